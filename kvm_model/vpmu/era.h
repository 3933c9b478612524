// The kernel eras the vPMU model reproduces, and the ONE place where they differ: every
// behaviour that is not identical in all eras is a field of EraPolicy (a flag or a plain
// function pointer), selected once per VM. Handlers consult the policy; they never test the
// era themselves, so adding an era is one row of the table in era.cpp (plus its docs and
// tests). docs/kvm-model.md has the same table with one row per field and the kernel commit
// each row was verified against.
//
//   6.6    Linux v6.6, before "KVM: arm64: PMU: Allow userspace to limit the number of PMCs"
//   v5     the v5 posting of that series (2023-08-17), never merged; for reference
//   6.7    Linux v6.7: the series as merged (v8 + fix-ups) plus the pmevtyper-filter branch
//   6.12   the 6.12 LTS as of 6.12.118 (Debian's kernel): 6.7's vPMU plus the 6.8 UAPI, the
//          6.12 ID-register write rules and the 6.13 overflow-status fix (a stable backport)
//   6.15   6.12 plus the 6.13 PMCR_EL0.E reload and the 6.15 vPMU fixes (PMCEID from the VM's
//          arm_pmu, raw SET_ONE_REG of the bitmaps, reload on userspace writes and on reset)
//   6.16   the newest released era: 6.15 plus KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS
//          (kvmarm-6.16, commit b7628c79)
//   7.3-strict  6.16 plus KVM_ARM_VCPU_PMU_V3_STRICT (vCPU feature bit 9), queued in
//          kvmarm/next for the 7.3 merge window (series "Expose PMMIR_EL1.SLOTS to guests" v3)
//   proposal-fixed-counters  6.16 plus Akihiko Odaki's FIXED_COUNTERS_ONLY series v11 (not
//          merged): PMU_V3_CTRL attribute 5 = a cycle-counter-only PMU usable on every CPU
//   proposal-partition  6.16 plus Colton Lewis's partitioned PMU series v9 (not merged):
//          PMU_V3_CTRL attribute 5 = ENABLE_PARTITION, the guest owns HPMN counters
#pragma once

#include <array>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "kvm_model/vpmu/regs.h"

namespace kvm_model::vpmu {

class VcpuPmu;
class VmPmu;

// The order of the enumerators is the order of the rows of the policy table; era.cpp checks
// it at compile time (and unit_kvm_model again at run time).
enum class Era : uint8_t {
  k6_6,
  kV5,
  k6_7,
  k6_12,
  k6_15,
  kNewest,
  k7_3Strict,
  kProposalFixedCounters,
  kProposalPartition
};
inline constexpr std::array kAllEras{Era::k6_6,       Era::kV5,       Era::k6_7,
                                     Era::k6_12,      Era::k6_15,     Era::kNewest,
                                     Era::k7_3Strict, Era::kProposalFixedCounters, Era::kProposalPartition};
inline constexpr std::string_view kNewestRelease = "6.16";

// The row's name ("6.6", "v5", "6.7", "6.16", ...).
std::string_view era_name(Era era);
// Accepts every row's name and its alias ("newest" = 6.16).
std::optional<Era> parse_era(std::string_view name);
// "6.6, v5, 6.7, 6.12, 6.15, 6.16, newest, ...": every accepted spelling, for usage messages.
std::string known_era_names();
std::ostream& operator<<(std::ostream& os, Era era);  // prints era_name()

// Where an era's behaviour comes from.
enum class EraStatus : uint8_t {
  kReleased,  // a mainline Linux release
  kPosting,   // a posted version of a series that was later changed before merging
  kQueued,    // applied to kvmarm/next for the next merge window
  kProposal,  // a series on the list, not merged; named "proposal-..." and labelled as such
};
std::string_view era_status_name(EraStatus s);
bool is_proposal(Era era);

// Spec 2.2: when KVM picks the default host PMU (kvm_arm_set_default_pmu and friends).
enum class DefaultPmuPoint : uint8_t {
  kFirstPmuAttr,    // 6.6: first KVM_SET_DEVICE_ATTR(PMU_V3_CTRL, any) with no PMU chosen
  kVcpuReset,       // v5: kvm_reset_vcpu(), before kvm_pmu_vcpu_reset()
  kFirstVcpuInit,   // 6.7+: kvm_setup_vcpu(), first KVM_ARM_VCPU_INIT of a vCPU only
};

// What KVM_ARM_VCPU_PMU_V3_CTRL attribute 5 means. Two unmerged series claim the number;
// each proposal era defines it its own way, every other era rejects it (-ENXIO).
enum class Attr5 : uint8_t {
  kNone,
  kFixedCountersOnly,  // Odaki v11: KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY
  kEnablePartition,    // Lewis v9: KVM_ARM_VCPU_PMU_V3_ENABLE_PARTITION
};

// Which ID registers userspace may write with KVM_SET_ONE_REG, and how the writes are checked
// (kvm_model/id_writable.cpp holds the masks of each).
enum class IdRegWrites : uint8_t {
  kPmuVerAndCsv,  // 6.6's set_id_reg: ID_AA64DFR0_EL1.PMUVer and ID_AA64PFR0_EL1.CSV2/CSV3 only
  kFeatures6_7,   // 6.7: the feature ID registers' writable fields (Jing Zhang's series)
  kFeatures6_12,  // 6.12.118's table: more writable fields, CTR_EL0 writable, ASIDBITS read-only,
                  // ID_AA64PFR0_EL1.GIC cleared at the first run without a vGICv3
                  // (kvm_finalize_sys_regs)
};

// Spec 5.7: where the guest's PMCEID0/1 come from.
enum class PmceidSource : uint8_t {
  kCurrentPcpu,  // read_sysreg(pmceid*_el0) on the physical CPU running the vCPU (<= 6.7)
  kVmArmPmu,     // the VM's arm_pmu event bitmaps (6.15+, commit "Compute PMCEID from arm_pmu")
};

struct EraPolicy {
  Era era;
  std::string_view name;
  std::string_view alias;    // a second accepted spelling ("" if none)
  std::string_view kernel;   // human description
  EraStatus status;
  std::string_view source;   // commits, tags or series version the row was modelled from
  std::string_view summary;  // one line for `pmuemu --version` and `pmuemu kvm eras`

  // ---- vCPU features (KVM_ARM_VCPU_INIT) ----
  // 6.7+ kvm_vcpu_init_changed(): the features are VM-wide, a vCPU asking for others gets
  // -EINVAL (kvm->arch.vcpu_features); before, only a re-init of the same vCPU is checked.
  bool vm_wide_vcpu_features;
  // The /dev/kvm ABI of Linux 6.8+ (KVM_CAP_USER_MEMORY2, the writable ID register masks).
  bool uapi_6_8;

  // ---- PMCR_EL0.N (spec 1.1, 2.6, 4.1) ----
  // kvm_vcpu_read_pmcr(): what every internal reader of PMCR sees (VcpuPmu::read_pmcr). 6.6:
  // the raw slot, N is whatever each vCPU's slot holds (n_in_slot); v5 .. 6.16: the slot with
  // N replaced by the VM-wide kvm->arch.pmcr_n (commit 57fc267f). A flag rather than a hook:
  // the effective N is read on nearly every trapped access (the counter index checks).
  bool n_in_slot;
  bool vm_wide_n;          // kvm_arm_set_pmu() (re)sets kvm->arch.pmcr_n to the PMU's maximum
  bool has_pmcr_n_limit;   // v5's kvm->arch.pmcr_n_limit

  // ---- default PMU (spec 2.2) ----
  DefaultPmuPoint default_pmu;

  // ---- vCPU reset (spec 2.4, 2.5) ----
  bool reset_folds_backing;    // kvm_pmu_vcpu_reset(): fold live counts and release (<= 6.7)
  bool reset_requests_reload;  // 6.15+: kvm_reset_sys_regs() requests KVM_REQ_RELOAD_PMU
  // Reset functions returning the new slot value, or nullopt to leave the slot untouched.
  std::optional<uint64_t> (*reset_pmcr)(const VcpuPmu&, uint32_t pcpu);
  std::optional<uint64_t> (*reset_bitmap)(const VcpuPmu&, uint32_t pcpu);  // PM{C,I}NTEN, PMOVS
  std::optional<uint64_t> (*reset_pmevtyper)(const VcpuPmu&);
  std::string_view reset_pmcr_name, reset_bitmap_name, reset_pmevtyper_name;  // for --trace reset

  // ---- userspace ONE_REG accessors (spec 2.6, 2.7, 1.7) ----
  int (*get_pmcr_user)(const VcpuPmu&, uint64_t& out);
  int (*set_pmcr_user)(VcpuPmu&, uint64_t val);
  uint64_t (*get_bitmap_user)(const VcpuPmu&, Slot);
  void (*set_bitmap_user)(VcpuPmu&, Slot, bool is_set_register, uint64_t val);
  void (*set_counter_user)(VcpuPmu&, unsigned idx, uint64_t val);

  // ---- PMEVTYPER<n>/PMCCFILTR (spec 1.6) ----
  uint64_t (*evtyper_write_mask)(const VmPmu&);
  uint64_t evtyper_read_mask;  // guest reads return slot & this (~0: raw)

  // ---- backing events and counting (spec 5.1, 5.2, 5.5) ----
  bool ns_filter_bits;         // exclude EL0 iff U^NSU, EL1 iff P^NSK (else: iff U, iff P)
  bool pmcr_e_via_reload;      // 6.13+: PMCR.E changes and PMCNTEN writes go through
                               // kvm_pmu_reprogram_counter_mask / KVM_REQ_RELOAD_PMU
  bool overflow_needs_cnten;   // kvm_pmu_overflow_status() also ANDs PMCNTENSET (before the
                               // 6.13 fix "Ignore PMCNTENSET_EL0 while checking for overflow status")

  // ---- first run (spec 2.13) ----
  bool first_run_requests_reload;  // kvm_arm_pmu_v3_enable() queues a one-shot reload
  void (*reload)(VcpuPmu&);        // what KVM_REQ_RELOAD_PMU does

  // ---- PMCEID (spec 5.7) ----
  PmceidSource pmceid_source;
  bool pmceid_forces_sw_incr;  // 6.15+: "Always support SW_INCR PMU event"

  // ---- device attributes (spec 2.12) ----
  bool attr_probes_default_pmu;  // 6.6 step 3
  bool has_set_nr_counters;      // KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS (6.16+)
  Attr5 attr5;                   // attribute 5 (proposals only)

  // ---- KVM_ARM_VCPU_PMU_V3_STRICT (7.3) ----
  // vCPU feature bit 9 is accepted; a VM whose vCPUs ask for it (VmPmu::strict) gets no
  // default PMU, must SET_PMU before the first run (-EPERM otherwise, as KVM_RUN refuses an
  // unfinalised vCPU), ignores PMCR_EL0.N from userspace and exposes PMMIR_EL1.SLOTS.
  bool has_pmu_v3_strict;

  // ---- ID registers (writable with KVM_SET_ONE_REG) ----
  IdRegWrites id_reg_writes;
};

const EraPolicy& policy(Era era);

// `pmuemu run --pmu MODE` for attribute 5: "fixed-counters-only", "partitioned" ("" for kNone).
std::string_view attr5_pmu_mode(Attr5 a);
// The eras whose attribute 5 has this meaning, "a, b" (for usage messages).
std::string eras_with_attr5(Attr5 a);

// One behaviour of the table, for `pmuemu kvm eras` and docs/kvm-model.md: the EraPolicy
// field, what it decides, and its value in an era as text.
struct BehaviourRow {
  std::string_view field;
  std::string_view what;
  std::string (*value)(const EraPolicy&);
};
std::span<const BehaviourRow> behaviour_rows();

// The behaviours the rows are assembled from, each named after the era that introduced it and
// the kernel function it stands for. Exposed so that tests can state which behaviour a row
// has (`policy(e).set_bitmap_user == era_fn::set_bitmap_6_7`) instead of testing the era.
namespace era_fn {
std::optional<uint64_t> reset_pmcr_6_6(const VcpuPmu&, uint32_t pcpu);
std::optional<uint64_t> reset_pmcr_v5(const VcpuPmu&, uint32_t pcpu);
std::optional<uint64_t> reset_pmcr_6_7(const VcpuPmu&, uint32_t pcpu);
std::optional<uint64_t> reset_bitmap_6_6(const VcpuPmu&, uint32_t pcpu);
std::optional<uint64_t> reset_bitmap_v5(const VcpuPmu&, uint32_t pcpu);
std::optional<uint64_t> reset_bitmap_6_7(const VcpuPmu&, uint32_t pcpu);
std::optional<uint64_t> reset_pmevtyper_6_6(const VcpuPmu&);
std::optional<uint64_t> reset_pmevtyper_6_7(const VcpuPmu&);
int get_pmcr_raw(const VcpuPmu&, uint64_t& out);
int get_pmcr_merged(const VcpuPmu&, uint64_t& out);
int set_pmcr_raw(VcpuPmu&, uint64_t val);
int set_pmcr_v5(VcpuPmu&, uint64_t val);
int set_pmcr_6_7(VcpuPmu&, uint64_t val);
int set_pmcr_6_16(VcpuPmu&, uint64_t val);
int set_pmcr_7_3(VcpuPmu&, uint64_t val);
uint64_t get_bitmap_raw(const VcpuPmu&, Slot);
uint64_t get_bitmap_masked(const VcpuPmu&, Slot);
void set_bitmap_raw(VcpuPmu&, Slot, bool is_set_register, uint64_t val);
void set_bitmap_6_7(VcpuPmu&, Slot, bool is_set_register, uint64_t val);
void set_bitmap_6_16(VcpuPmu&, Slot, bool is_set_register, uint64_t val);
void set_counter_user_raw(VcpuPmu&, unsigned idx, uint64_t val);
void set_counter_user_6_16(VcpuPmu&, unsigned idx, uint64_t val);
uint64_t evtyper_write_mask_6_6(const VmPmu&);
uint64_t evtyper_write_mask_6_7(const VmPmu&);
void reload_6_6(VcpuPmu&);
void reload_v5(VcpuPmu&);
void reload_6_7(VcpuPmu&);
void reload_6_16(VcpuPmu&);
}  // namespace era_fn

}  // namespace kvm_model::vpmu
