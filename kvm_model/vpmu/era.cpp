// The per-era behaviours. Each function below is the kernel code of one era, named after the
// era and the kernel function it stands for; the table at the bottom assembles them.
#include "kvm_model/vpmu/era.h"

#include <cerrno>
#include <iterator>
#include <ostream>
#include <string>

#include "kvm_model/vpmu/vcpu_pmu.h"

namespace kvm_model::vpmu {
namespace {

uint64_t lc_if_no_aarch32(const VcpuPmu& v) {
  return v.vm().host().features().supports_32bit_el0 ? 0 : pmcr::kLC;
}
uint8_t physical_n(const VcpuPmu& v, uint32_t pcpu) {
  const ClusterPmuDesc* phys = v.vm().host().physical(pcpu);
  return phys ? static_cast<uint8_t>(phys->num_counters) : 0;
}

}  // namespace

namespace era_fn {

// ---------------- reset_pmcr ----------------
std::optional<uint64_t> reset_pmcr_6_6(const VcpuPmu& v, uint32_t pcpu) {
  // "No PMU available, PMCR_EL0 may UNDEF...": leave the slot alone.
  if (!v.vm().host().supports_pmu_v3()) return std::nullopt;
  // Only preserve PMCR_EL0.N of the *physical* CPU executing the reset.
  return pmcr::with_n(0, physical_n(v, pcpu)) | lc_if_no_aarch32(v);
}
std::optional<uint64_t> reset_pmcr_v5(const VcpuPmu& v, uint32_t) {
  if (!v.vm().host().supports_pmu_v3()) return std::nullopt;
  // N field of kvm_vcpu_read_pmcr(), i.e. pmcr_n, is kept in the slot.
  return pmcr::with_n(0, v.vm().pmcr_n()) | lc_if_no_aarch32(v);
}
std::optional<uint64_t> reset_pmcr_6_7(const VcpuPmu& v, uint32_t) {
  // N is not stored; kvm_vcpu_read_pmcr() supplies it.
  return lc_if_no_aarch32(v);
}

// ---------------- PM{C,I}NTEN{SET,CLR}, PMOVS{SET,CLR} reset ----------------
std::optional<uint64_t> reset_bitmap_6_6(const VcpuPmu& v, uint32_t pcpu) {
  if (!v.vm().host().supports_pmu_v3()) return std::nullopt;
  // reset_pmu_reg(): the UNKNOWN pattern masked with the physical CPU's N.
  return kUnknownPattern & counter_mask_for_n(physical_n(v, pcpu));
}
std::optional<uint64_t> reset_bitmap_v5(const VcpuPmu&, uint32_t) {
  return 0;  // v5 patch 3: reset_val() instead of reset_pmu_reg()
}
std::optional<uint64_t> reset_bitmap_6_7(const VcpuPmu& v, uint32_t) {
  return kUnknownPattern & counter_mask_for_n(v.vm().pmcr_n());
}

// ---------------- reset_pmevtyper ----------------
std::optional<uint64_t> reset_pmevtyper_6_6(const VcpuPmu&) { return kUnknownPattern & kEvtypeMaskPre67; }
std::optional<uint64_t> reset_pmevtyper_6_7(const VcpuPmu& v) {
  // bc512d6a/ae8d3522: masked with kvm_pmu_evtyper_mask(); untouched without a PMU.
  if (!v.has_pmu()) return std::nullopt;
  return kUnknownPattern & v.vm().evtyper_mask();
}

// ---------------- PMCR_EL0 userspace accessors ----------------
int get_pmcr_raw(const VcpuPmu& v, uint64_t& out) {
  out = v.reg(Slot::PMCR_EL0);
  return 0;
}
int get_pmcr_merged(const VcpuPmu& v, uint64_t& out) {
  out = v.read_pmcr();  // P/C bits stored by userspace are returned (only the guest path masks)
  return 0;
}
int set_pmcr_raw(VcpuPmu& v, uint64_t val) {
  v.reg(Slot::PMCR_EL0) = val;  // 6.6: no set_user, the whole 64-bit value lands in the slot
  return 0;
}
int set_pmcr_v5(VcpuPmu& v, uint64_t val) {
  VmPmu& vm = v.vm();
  const uint8_t new_n = pmcr::N(val);
  if (new_n != vm.pmcr_n()) {
    // v5 returned an error (Oliver Upton's review asked for silently ignoring it instead).
    if (new_n > vm.pmcr_n_limit()) return -EINVAL;
    vm.set_pmcr_n(new_n);
  }
  const uint64_t mutable_mask = kPmcrWritableMask | pmcr::kNField;
  val = (val & mutable_mask) | (v.reg(Slot::PMCR_EL0) & ~mutable_mask);
  v.reg(Slot::PMCR_EL0) = val | lc_if_no_aarch32(v);
  return 0;
}
int set_pmcr_6_7(VcpuPmu& v, uint64_t val) {
  VmPmu& vm = v.vm();
  const uint8_t new_n = pmcr::N(val);
  // ea9ca904 (final): N is taken only before the first run and only up to the hardware
  // maximum; otherwise silently ignored. The call never fails.
  if (!vm.has_ran_once() && new_n <= vm.max_counters()) vm.set_pmcr_n(new_n);
  v.reg(Slot::PMCR_EL0) = (val & kPmcrWritableMask) | lc_if_no_aarch32(v);
  return 0;
}
int set_pmcr_6_16(VcpuPmu& v, uint64_t val) {
  set_pmcr_6_7(v, val);
  v.request_reload();  // 1db4aaa0 "Reload when user modifies registers" (6.15)
  return 0;
}
int set_pmcr_7_3(VcpuPmu& v, uint64_t val) {
  if (!v.vm().strict()) return set_pmcr_6_16(v, val);
  // KVM_ARM_VCPU_PMU_V3_STRICT: N is set with SET_NR_COUNTERS only; a written N is ignored
  // (the call still succeeds, so GET-all/SET-all migration keeps working).
  v.reg(Slot::PMCR_EL0) = (val & kPmcrWritableMask) | lc_if_no_aarch32(v);
  v.request_reload();
  return 0;
}

// ---------------- bitmap userspace accessors ----------------
uint64_t get_bitmap_raw(const VcpuPmu& v, Slot s) { return v.reg(s); }
uint64_t get_bitmap_masked(const VcpuPmu& v, Slot s) { return v.reg(s) & v.valid_mask(); }
void set_bitmap_raw(VcpuPmu& v, Slot s, bool, uint64_t val) {
  v.reg(s) = val;  // no set_user: SET and CLR ids both overwrite the shared slot
}
void set_bitmap_6_7(VcpuPmu& v, Slot s, bool is_set, uint64_t val) {
  // a45f41d7: behave like a guest write of SET (OR) or CLR (AND-NOT), masked with N.
  val &= v.valid_mask();
  if (is_set)
    v.reg(s) |= val;
  else
    v.reg(s) &= ~val;
}
void set_bitmap_6_16(VcpuPmu& v, Slot s, bool, uint64_t val) {
  // f2aeb7bb (6.15): raw value again (migration must restore what GET returned), but masked.
  v.reg(s) = val & v.valid_mask();
  v.request_reload();
}

// ---------------- counter userspace setter ----------------
void set_counter_user_raw(VcpuPmu& v, unsigned idx, uint64_t val) {
  // <= 6.7: only the sysreg file is written; a live backing event keeps its count, which is
  // added on top at the next read (the bug 64074ca8 fixed).
  v.reg(evcntr_slot(idx)) = val;
}
void set_counter_user_6_16(VcpuPmu& v, unsigned idx, uint64_t val) {
  // kvm_pmu_set_counter_value_user() (64074ca8, 6.15): release, store, reload.
  v.release_backing(idx);
  v.reg(evcntr_slot(idx)) = val;
  v.request_reload();
}

// ---------------- PMEVTYPER write masks ----------------
uint64_t evtyper_write_mask_6_6(const VmPmu& vm) {
  // ARMV8_PMU_EVTYPE_MASK with its event field replaced by the VM's event mask.
  return (kEvtypeMaskPre67 & ~evtyper::kEvtCount16) | vm.event_mask();
}
uint64_t evtyper_write_mask_6_7(const VmPmu& vm) { return vm.evtyper_mask(); }

// ---------------- KVM_REQ_RELOAD_PMU ----------------
void reload_6_6(VcpuPmu& v) { v.handle_pmcr(v.reg(Slot::PMCR_EL0)); }
void reload_v5(VcpuPmu& v) { v.handle_pmcr(v.read_pmcr()); }
void reload_6_7(VcpuPmu& v) {
  // 27131b19 kvm_vcpu_reload_pmu(): PMCR processing first, then the masking. (Quirk: with
  // PMCR.E set, backing events for bits >= N are created before the mask is applied.)
  const uint64_t mask = v.valid_mask();
  v.handle_pmcr(v.read_pmcr());
  v.reg(Slot::PMOVSSET_EL0) &= mask;
  v.reg(Slot::PMINTENSET_EL1) &= mask;
  v.reg(Slot::PMCNTENSET_EL0) &= mask;
}
void reload_6_16(VcpuPmu& v) {
  // 6.15: mask first, then reprogram every implemented counter (no PMCR P/C/LP processing).
  const uint64_t mask = v.valid_mask();
  v.reg(Slot::PMOVSSET_EL0) &= mask;
  v.reg(Slot::PMINTENSET_EL1) &= mask;
  v.reg(Slot::PMCNTENSET_EL0) &= mask;
  v.reprogram_counter_mask(mask);
}

}  // namespace era_fn

namespace {
using namespace era_fn;

constexpr uint64_t kRaw = ~uint64_t{0};

// Who an era is; every row states all of it.
struct EraIdentity {
  Era era;
  std::string_view name, alias, kernel;
  EraStatus status;
  std::string_view source, summary;
};

// A row that builds on an earlier era: `base`, with `id` and then only the behaviours the
// new era changes (`edit`). Each row below therefore reads as the list of what its kernel
// changed, and a field the new era does not mention keeps its predecessor's value.
template <typename Edit>
constexpr EraPolicy builds_on(EraPolicy base, const EraIdentity& id, Edit edit) {
  base.era = id.era;
  base.name = id.name;
  base.alias = id.alias;
  base.kernel = id.kernel;
  base.status = id.status;
  base.source = id.source;
  base.summary = id.summary;
  edit(base);
  return base;
}

// The root row states every field.
constexpr EraPolicy kRow6_6 = {
    .era = Era::k6_6,
    .name = "6.6",
    .alias = "",
    .kernel = "Linux v6.6 (before the PMCR_EL0.N series)",
    .status = EraStatus::kReleased,
    .source = "tag v6.6",
    .summary = "Linux v6.6, before userspace could limit the number of PMU counters",
    .vm_wide_vcpu_features = false,
    .uapi_6_8 = false,
    .n_in_slot = true,
    .vm_wide_n = false,
    .has_pmcr_n_limit = false,
    .default_pmu = DefaultPmuPoint::kFirstPmuAttr,
    .reset_folds_backing = true,
    .reset_requests_reload = false,
    .reset_pmcr = reset_pmcr_6_6,
    .reset_bitmap = reset_bitmap_6_6,
    .reset_pmevtyper = reset_pmevtyper_6_6,
    .reset_pmcr_name = "reset_pmcr (physical N)",
    .reset_bitmap_name = "reset_pmu_reg (physical N)",
    .reset_pmevtyper_name = "reset_pmevtyper (0xc800ffff)",
    .get_pmcr_user = get_pmcr_raw,
    .set_pmcr_user = set_pmcr_raw,
    .get_bitmap_user = get_bitmap_raw,
    .set_bitmap_user = set_bitmap_raw,
    .set_counter_user = set_counter_user_raw,
    .evtyper_write_mask = evtyper_write_mask_6_6,
    .evtyper_read_mask = kEvtypeMaskPre67,
    .ns_filter_bits = false,
    .pmcr_e_via_reload = false,
    .overflow_needs_cnten = true,
    .first_run_requests_reload = true,
    .reload = reload_6_6,
    .pmceid_source = PmceidSource::kCurrentPcpu,
    .pmceid_forces_sw_incr = false,
    .attr_probes_default_pmu = true,
    .has_set_nr_counters = false,
    .attr5 = Attr5::kNone,
    .has_pmu_v3_strict = false,
    .id_reg_writes = IdRegWrites::kPmuVerAndCsv,
};

// v5 posting of the counter-limit series, on 6.6.
constexpr EraPolicy kRowV5 = builds_on(
    kRow6_6,
    {Era::kV5, "v5", "", "v5 posting 2023-08-17 (never merged)", EraStatus::kPosting,
     "series \"KVM: arm64: PMU: Allow userspace to limit the number of PMCs\" v5, 2023-08-17",
     "the v5 posting of the counter-limit series (2023-08-17), never merged"},
    [](EraPolicy& p) {
      p.n_in_slot = false;
      p.vm_wide_n = true;
      p.has_pmcr_n_limit = true;
      p.default_pmu = DefaultPmuPoint::kVcpuReset;
      p.reset_pmcr = reset_pmcr_v5;
      p.reset_bitmap = reset_bitmap_v5;
      p.reset_pmcr_name = "reset_pmcr (N from pmcr_n)";
      p.reset_bitmap_name = "reset_val (0)";
      p.get_pmcr_user = get_pmcr_merged;
      p.set_pmcr_user = set_pmcr_v5;
      p.reload = reload_v5;
      p.attr_probes_default_pmu = false;
    });

// 6.7: the series as merged (v8 and fix-ups) and the pmevtyper-filter branch, on 6.6 (v5
// was never merged).
constexpr EraPolicy kRow6_7 = builds_on(
    kRow6_6,
    {Era::k6_7, "6.7", "", "Linux v6.7 (series v8 merged + pmevtyper-filter)", EraStatus::kReleased,
     "tag v6.7 (57fc267f, ea9ca904, a45f41d7, bc512d6a, 27131b19)",
     "Linux v6.7: the counter-limit series as merged (the default)"},
    [](EraPolicy& p) {
      p.vm_wide_vcpu_features = true;
      p.n_in_slot = false;
      p.vm_wide_n = true;
      p.default_pmu = DefaultPmuPoint::kFirstVcpuInit;
      p.reset_pmcr = reset_pmcr_6_7;
      p.reset_bitmap = reset_bitmap_6_7;
      p.reset_pmevtyper = reset_pmevtyper_6_7;
      p.reset_pmcr_name = "reset_pmcr";
      p.reset_bitmap_name = "reset_pmu_reg (pmcr_n)";
      p.reset_pmevtyper_name = "reset_pmevtyper (evtyper_mask)";
      p.get_pmcr_user = get_pmcr_merged;
      p.set_pmcr_user = set_pmcr_6_7;
      p.get_bitmap_user = get_bitmap_masked;
      p.set_bitmap_user = set_bitmap_6_7;
      p.evtyper_write_mask = evtyper_write_mask_6_7;
      p.evtyper_read_mask = kRaw;
      p.ns_filter_bits = true;
      p.reload = reload_6_7;
      p.attr_probes_default_pmu = false;
      p.id_reg_writes = IdRegWrites::kFeatures6_7;
    });

// 6.12 LTS as of 6.12.118, on 6.7 (verified against the 6.12.118 sources: pmu-emul.c and
// sys_regs.c keep 6.7's reset, reload, SET_ONE_REG and first-run behaviour).
constexpr EraPolicy kRow6_12 = builds_on(
    kRow6_7,
    {Era::k6_12, "6.12", "", "Linux v6.12.118 (LTS; 6.8 UAPI, 6.13 overflow fix backported)", EraStatus::kReleased,
     "Debian linux-source-6.12 6.12.118: arch/arm64/kvm/pmu-emul.c, sys_regs.c",
     "Linux 6.12 LTS (6.12.118, Debian's kernel): 6.7's vPMU with the 6.8 UAPI and the overflow-status fix"},
    [](EraPolicy& p) {
      p.uapi_6_8 = true;
      // "KVM: arm64: Ignore PMCNTENSET_EL0 while checking for overflow status" (6.13), in
      // 6.12.118 through the stable tree: kvm_pmu_overflow_status() reads only PMOVSSET &
      // PMINTENSET under PMCR_EL0.E.
      p.overflow_needs_cnten = false;
      p.id_reg_writes = IdRegWrites::kFeatures6_12;
    });

// 6.15, on 6.12: the 6.13 PMCR_EL0.E reload and the 6.15 vPMU fixes.
constexpr EraPolicy kRow6_15 = builds_on(
    kRow6_12,
    {Era::k6_15, "6.15", "", "Linux v6.15 (vPMU fixes: PMCEID from arm_pmu, raw bitmap SET, reloads)",
     EraStatus::kReleased, "6.13: \"Use KVM_REQ_RELOAD_PMU to handle PMCR_EL0.E change\"; 6.15: f2aeb7bb, 64074ca8, 1db4aaa0, fe535380",
     "Linux 6.15: the vPMU fixes (raw SET_ONE_REG of the bitmaps, reloads, PMCEID from the VM's PMU)"},
    [](EraPolicy& p) {
      p.pmcr_e_via_reload = true;                 // 6.13
      p.reset_folds_backing = false;              // fe535380
      p.reset_requests_reload = true;             // fe535380
      p.set_pmcr_user = set_pmcr_6_16;            // 1db4aaa0
      p.set_bitmap_user = set_bitmap_6_16;        // f2aeb7bb
      p.set_counter_user = set_counter_user_6_16; // 64074ca8
      p.first_run_requests_reload = false;        // 1db4aaa0
      p.reload = reload_6_16;
      p.pmceid_source = PmceidSource::kVmArmPmu;  // "Compute PMCEID from arm_pmu's event bitmaps"
      p.pmceid_forces_sw_incr = true;             // "Always support SW_INCR PMU event"
    });

// 6.16 (newest release), on 6.15: SET_NR_COUNTERS, and pmcr_n renamed nr_pmu_counters.
constexpr EraPolicy kRow6_16 = builds_on(
    kRow6_15,
    {Era::kNewest, kNewestRelease, "newest", "Linux v6.16 (SET_NR_COUNTERS)", EraStatus::kReleased,
     "tag kvmarm-6.16 (b7628c79)",
     "Linux 6.16: KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS (also 'newest')"},
    [](EraPolicy& p) {
      p.reset_bitmap_name = "reset_pmu_reg (nr_pmu_counters)";
      p.has_set_nr_counters = true;
    });

// The next eras all build on 6.16.
constexpr EraPolicy kRow7_3Strict = builds_on(
    kRow6_16,
    {Era::k7_3Strict, "7.3-strict", "", "6.16 + KVM_ARM_VCPU_PMU_V3_STRICT (kvmarm/next, queued for 7.3)",
     EraStatus::kQueued,
     "kvmarm/next, queued for 7.3: series \"Expose PMMIR_EL1.SLOTS to guests\" v3 (Congkai Tan, Oliver Upton, July 2026)",
     "queued for 7.3: KVM_ARM_VCPU_PMU_V3_STRICT (no default PMU, SET_PMU before KVM_RUN, PMMIR_EL1.SLOTS)"},
    [](EraPolicy& p) {
      p.set_pmcr_user = set_pmcr_7_3;
      p.has_pmu_v3_strict = true;
    });

constexpr EraPolicy kRowProposalFixedCounters = builds_on(
    kRow6_16,
    {Era::kProposalFixedCounters, "proposal-fixed-counters", "",
     "6.16 + FIXED_COUNTERS_ONLY series v11 (proposal, not merged)", EraStatus::kProposal,
     "series v11, not merged: \"KVM: arm64: PMU: FIXED_COUNTERS_ONLY\" (Akihiko Odaki, September 2026)",
     "PROPOSAL (Odaki v11, not merged): attribute 5 = FIXED_COUNTERS_ONLY, a cycle-counter-only PMU on every CPU"},
    [](EraPolicy& p) { p.attr5 = Attr5::kFixedCountersOnly; });

constexpr EraPolicy kRowProposalPartition = builds_on(
    kRow6_16,
    {Era::kProposalPartition, "proposal-partition", "", "6.16 + partitioned PMU series v9 (proposal, not merged)",
     EraStatus::kProposal,
     "series v9, not merged: \"KVM: arm64: Partitioned PMU\" (Colton Lewis, September 2026)",
     "PROPOSAL (Lewis v9, not merged): attribute 5 = ENABLE_PARTITION, the guest owns HPMN = N - reserved counters"},
    [](EraPolicy& p) { p.attr5 = Attr5::kEnablePartition; });

constexpr EraPolicy kPolicies[] = {kRow6_6,  kRowV5,        kRow6_7,
                                   kRow6_12, kRow6_15,      kRow6_16,
                                   kRow7_3Strict, kRowProposalFixedCounters, kRowProposalPartition};

// Adding an era: one enumerator, one entry of kAllEras, one row here, in the same order.
constexpr bool rows_in_enum_order() {
  if (std::size(kPolicies) != kAllEras.size()) return false;
  for (size_t i = 0; i < kAllEras.size(); ++i)
    if (kPolicies[i].era != kAllEras[i] || static_cast<size_t>(kAllEras[i]) != i) return false;
  return true;
}
static_assert(rows_in_enum_order(), "Era enumerators, kAllEras and the policy rows must be in the same order");

constexpr bool names_unique() {
  for (size_t i = 0; i < std::size(kPolicies); ++i)
    for (size_t j = 0; j < std::size(kPolicies); ++j) {
      if (kPolicies[i].name.empty()) return false;
      if (i != j && (kPolicies[i].name == kPolicies[j].name ||
                     (!kPolicies[j].alias.empty() && kPolicies[i].name == kPolicies[j].alias)))
        return false;
    }
  return true;
}
static_assert(names_unique(), "every era name and alias must be unique");

std::string yes_no(bool b) { return b ? "yes" : "no"; }

// How each behaviour reads in one era. Function-valued fields are named by the era_fn they
// hold; a new era_fn needs its line here (the unit test renders every row of every era).
constexpr BehaviourRow kBehaviourRows[] = {
    {"n_in_slot", "where PMCR_EL0.N lives (every internal reader)",
     [](const EraPolicy& p) -> std::string { return p.n_in_slot ? "each vCPU's PMCR slot" : "VM-wide kvm->arch.pmcr_n"; }},
    {"vm_wide_n", "SET_PMU resets N to the PMU's maximum", [](const EraPolicy& p) { return yes_no(p.vm_wide_n); }},
    {"has_pmcr_n_limit", "pmcr_n_limit: an N above it is -EINVAL", [](const EraPolicy& p) { return yes_no(p.has_pmcr_n_limit); }},
    {"default_pmu", "when the default host PMU is chosen",
     [](const EraPolicy& p) -> std::string {
       switch (p.default_pmu) {
         case DefaultPmuPoint::kFirstPmuAttr: return "first PMU attribute";
         case DefaultPmuPoint::kVcpuReset: return "vCPU reset";
         case DefaultPmuPoint::kFirstVcpuInit: break;
       }
       return p.has_pmu_v3_strict ? "first KVM_ARM_VCPU_INIT; none with STRICT" : "first KVM_ARM_VCPU_INIT";
     }},
    {"reset_folds_backing", "vCPU reset folds live counts and releases them", [](const EraPolicy& p) { return yes_no(p.reset_folds_backing); }},
    {"reset_requests_reload", "vCPU reset requests KVM_REQ_RELOAD_PMU", [](const EraPolicy& p) { return yes_no(p.reset_requests_reload); }},
    {"reset_pmcr", "PMCR_EL0 reset", [](const EraPolicy& p) { return std::string(p.reset_pmcr_name); }},
    {"reset_bitmap", "PMCNTEN/PMINTEN/PMOVS reset", [](const EraPolicy& p) { return std::string(p.reset_bitmap_name); }},
    {"reset_pmevtyper", "PMEVTYPER<n> reset", [](const EraPolicy& p) { return std::string(p.reset_pmevtyper_name); }},
    {"get_pmcr_user", "GET_ONE_REG(PMCR_EL0)",
     [](const EraPolicy& p) -> std::string { return p.get_pmcr_user == get_pmcr_raw ? "raw slot" : "slot with N merged"; }},
    {"set_pmcr_user", "SET_ONE_REG(PMCR_EL0)",
     [](const EraPolicy& p) -> std::string {
       if (p.set_pmcr_user == set_pmcr_raw) return "raw 64-bit store";
       if (p.set_pmcr_user == set_pmcr_v5) return "N above the limit -EINVAL; N and bits 7:0 taken";
       if (p.set_pmcr_user == set_pmcr_6_7) return "N taken if <= max and before the run, else ignored; bits 7:0";
       if (p.set_pmcr_user == set_pmcr_6_16) return "as 6.7, then a reload request";
       return "as 6.16; with STRICT, N ignored (SET_NR_COUNTERS only)";
     }},
    {"get_bitmap_user", "GET_ONE_REG of PMCNTEN/PMINTEN/PMOVS",
     [](const EraPolicy& p) -> std::string { return p.get_bitmap_user == get_bitmap_raw ? "raw" : "masked with N"; }},
    {"set_bitmap_user", "SET_ONE_REG of PMCNTEN/PMINTEN/PMOVS",
     [](const EraPolicy& p) -> std::string {
       if (p.set_bitmap_user == set_bitmap_raw) return "raw store (a CLR id overwrites the slot)";
       if (p.set_bitmap_user == set_bitmap_6_7) return "SET ORs, CLR clears, masked";
       return "masked store, then a reload request (f2aeb7bb)";
     }},
    {"set_counter_user", "SET_ONE_REG of a counter",
     [](const EraPolicy& p) -> std::string {
       return p.set_counter_user == set_counter_user_raw ? "raw slot, the live count stays on top"
                                                         : "release the backing, store, reload (64074ca8)";
     }},
    {"evtyper_write_mask", "PMEVTYPER<n> guest write mask",
     [](const EraPolicy& p) -> std::string {
       return p.evtyper_write_mask == evtyper_write_mask_6_6 ? "0xc8000000 | event mask"
                                                             : "P|U|event, +NSH with EL2, +NSU|NSK|M with EL3";
     }},
    {"evtyper_read_mask", "PMEVTYPER<n> guest read",
     [](const EraPolicy& p) -> std::string { return p.evtyper_read_mask == ~uint64_t{0} ? "raw" : "slot & 0xc800ffff"; }},
    {"ns_filter_bits", "EL0/EL1 exclusion rule",
     [](const EraPolicy& p) -> std::string { return p.ns_filter_bits ? "U^NSU, P^NSK" : "U, P"; }},
    {"pmcr_e_via_reload", "PMCR.E changes and PMCNTEN writes go through a reload", [](const EraPolicy& p) { return yes_no(p.pmcr_e_via_reload); }},
    {"overflow_needs_cnten", "the overflow interrupt also needs PMCNTENSET", [](const EraPolicy& p) { return yes_no(p.overflow_needs_cnten); }},
    {"first_run_requests_reload", "the first KVM_RUN requests a reload", [](const EraPolicy& p) { return yes_no(p.first_run_requests_reload); }},
    {"reload", "KVM_REQ_RELOAD_PMU",
     [](const EraPolicy& p) -> std::string {
       if (p.reload == reload_6_6) return "handle_pmcr(raw slot)";
       if (p.reload == reload_v5) return "handle_pmcr(merged)";
       if (p.reload == reload_6_7) return "handle_pmcr(merged), then mask the bitmaps";
       return "mask the bitmaps, then reprogram";
     }},
    {"pmceid_source", "where the guest's PMCEID0/1 come from",
     [](const EraPolicy& p) -> std::string {
       return p.pmceid_source == PmceidSource::kCurrentPcpu ? "physical PMCEID of the current pCPU" : "the VM's arm_pmu bitmaps";
     }},
    {"pmceid_forces_sw_incr", "PMCEID always has SW_INCR", [](const EraPolicy& p) { return yes_no(p.pmceid_forces_sw_incr); }},
    {"attr_probes_default_pmu", "a PMU attribute probes the default PMU", [](const EraPolicy& p) { return yes_no(p.attr_probes_default_pmu); }},
    {"has_set_nr_counters", "attribute 4, SET_NR_COUNTERS", [](const EraPolicy& p) { return yes_no(p.has_set_nr_counters); }},
    {"attr5", "attribute 5",
     [](const EraPolicy& p) -> std::string {
       switch (p.attr5) {
         case Attr5::kFixedCountersOnly: return "FIXED_COUNTERS_ONLY (proposal, v11)";
         case Attr5::kEnablePartition: return "ENABLE_PARTITION (proposal, v9)";
         case Attr5::kNone: break;
       }
       return "unknown (-ENXIO)";
     }},
    {"has_pmu_v3_strict", "vCPU feature bit 9, PMU_V3_STRICT (no default PMU, SET_PMU before KVM_RUN, PMMIR_EL1.SLOTS)",
     [](const EraPolicy& p) { return yes_no(p.has_pmu_v3_strict); }},
    {"vm_wide_vcpu_features", "vCPU features are VM-wide", [](const EraPolicy& p) { return yes_no(p.vm_wide_vcpu_features); }},
    {"uapi_6_8", "the 6.8 /dev/kvm ABI (USER_MEMORY2, writable ID masks)", [](const EraPolicy& p) { return yes_no(p.uapi_6_8); }},
    {"id_reg_writes", "ID registers userspace may write",
     [](const EraPolicy& p) -> std::string {
       switch (p.id_reg_writes) {
         case IdRegWrites::kPmuVerAndCsv: return "PMUVer, CSV2, CSV3 only";
         case IdRegWrites::kFeatures6_7: return "6.7's feature fields";
         case IdRegWrites::kFeatures6_12: break;
       }
       return "6.12's feature fields and CTR_EL0; GIC hidden without a vGICv3";
     }},
};

}  // namespace

std::span<const BehaviourRow> behaviour_rows() { return kBehaviourRows; }

const EraPolicy& policy(Era era) { return kPolicies[static_cast<unsigned>(era)]; }

std::string_view era_name(Era era) { return policy(era).name; }

std::optional<Era> parse_era(std::string_view name) {
  for (const EraPolicy& p : kPolicies)
    if (p.name == name || (!p.alias.empty() && p.alias == name)) return p.era;
  return std::nullopt;
}

std::string known_era_names() {
  std::string out;
  for (const EraPolicy& p : kPolicies) {
    if (!out.empty()) out += ", ";
    out += p.name;
    if (!p.alias.empty()) out += ", " + std::string(p.alias);
  }
  return out;
}

std::string_view era_status_name(EraStatus s) {
  switch (s) {
    case EraStatus::kReleased: return "released";
    case EraStatus::kPosting: return "posting, never merged";
    case EraStatus::kQueued: return "queued";
    case EraStatus::kProposal: return "proposal, not merged";
  }
  return "?";
}

bool is_proposal(Era era) { return policy(era).status == EraStatus::kProposal; }

std::string_view attr5_pmu_mode(Attr5 a) {
  switch (a) {
    case Attr5::kFixedCountersOnly: return "fixed-counters-only";
    case Attr5::kEnablePartition: return "partitioned";
    case Attr5::kNone: break;
  }
  return "";
}

std::string eras_with_attr5(Attr5 a) {
  std::string out;
  for (const EraPolicy& p : kPolicies)
    if (p.attr5 == a) out += (out.empty() ? "" : ", ") + std::string(p.name);
  return out;
}

std::ostream& operator<<(std::ostream& os, Era era) { return os << era_name(era); }

}  // namespace kvm_model::vpmu
