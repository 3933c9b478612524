// Per-VM vPMU state (the PMU part of struct kvm_arch, spec 2.1). VM-scoped, protected in the
// kernel by kvm->arch.config_lock; this model is single-threaded per VM.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "kvm_model/vpmu/era.h"
#include "kvm_model/vpmu/host_pmu.h"
#include "kvm_model/vpmu/uapi.h"
#include "pmu/pmu.h"

namespace kvm_model::vpmu {

class VcpuPmu;

class VmPmu {
 public:
  // `host` must outlive the VmPmu; so must the VmPmu every VcpuPmu created on it.
  VmPmu(const HostPmus& host, Era era);
  VmPmu(const VmPmu&) = delete;
  VmPmu& operator=(const VmPmu&) = delete;

  Era era() const { return era_; }
  const EraPolicy& policy() const { return *policy_; }
  const HostPmus& host() const { return host_; }

  // ---- host PMU selection (spec 2.2, 2.3) ----
  const ArmPmu* arm_pmu() const { return arm_pmu_; }
  // Bumped by every change of what a vCPU's backing events are made from besides its own
  // registers (the PMU, the event filter, PMUVer): a backing created in the same epoch from
  // the same PMEVTYPER value and enable state has the same perf attributes.
  uint64_t attr_epoch() const { return attr_epoch_; }
  // kvm_arm_pmu_get_max_counters(): arm_pmu->num_events - 1, 0 without a PMU. A
  // fixed-counters-only PMU has no event counter; a partitioned one only the guest's HPMN.
  uint8_t max_counters() const {
    if (arm_pmu_ == nullptr || fixed_counters_only_) return 0;
    return partitioned_ ? hpmn_of(*arm_pmu_) : arm_pmu_->max_counters();
  }
  // kvm_arm_set_pmu(): store the PMU and, in eras with a VM-wide N, reset N to its maximum.
  void set_pmu(const ArmPmu* pmu);
  // kvm_arm_set_default_pmu(): probe on `pcpu` (the CPU executing the ioctl); -ENODEV if no
  // registered PMU covers it. Deliberately leaves supported_cpus alone.
  int set_default_pmu(uint32_t pcpu);

  // ---- PMCR_EL0.N (v5/6.7/6.16: kvm->arch.pmcr_n; 6.16 calls it nr_pmu_counters) ----
  uint8_t pmcr_n() const { return pmcr_n_; }
  void set_pmcr_n(uint8_t n) { pmcr_n_ = n; }
  uint8_t pmcr_n_limit() const { return pmcr_n_limit_; }  // v5 only
  // 6.16: whether KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS was used since the last PMU selection.
  bool nr_counters_explicit() const { return nr_counters_explicit_; }
  void set_nr_counters_explicit(bool v) { nr_counters_explicit_ = v; }

  // ---- after 6.16 (era 7.3-strict and the proposal eras) ----
  // KVM_ARM_VCPU_PMU_V3_STRICT (vCPU feature bit 9, VM-wide): no default PMU, SET_PMU before
  // the first run, PMCR_EL0.N from SET_NR_COUNTERS only, PMMIR_EL1.SLOTS exposed.
  bool strict() const { return strict_; }
  void set_strict(bool s) { strict_ = s; }
  // Whether userspace chose the PMU with SET_PMU (not the default PMU).
  bool pmu_explicit() const { return pmu_explicit_; }
  void set_pmu_explicit(bool e) { pmu_explicit_ = e; }
  // The VM's PMMIR_EL1.SLOTS: the PMU's real value at SET_PMU; userspace may only clear it.
  uint8_t pmmir_slots() const { return pmmir_slots_; }
  void set_pmmir_slots(uint8_t s) { pmmir_slots_ = s; }
  // Proposal (Odaki, FIXED_COUNTERS_ONLY v11): only the cycle counter, counting on the
  // physical PMU of whichever pCPU the vCPU runs on.
  bool fixed_counters_only() const { return fixed_counters_only_; }
  void set_fixed_counters_only();
  // Proposal (Lewis, partitioned PMU v9): the guest owns MDCR_EL2.HPMN = N - reserved
  // counters of its PMU; the host keeps the rest.
  bool partitioned() const { return partitioned_; }
  static uint8_t hpmn_of(const ArmPmu& p) {
    return p.reserved_host_counters >= p.max_counters()
               ? 0
               : static_cast<uint8_t>(p.max_counters() - p.reserved_host_counters);
  }
  void set_partitioned();

  // ---- the physical PMUs (the hardware: one pmu::Pmu per pCPU, built on first use) ----
  // The PMU of pCPU `pcpu` as its cluster describes it (N, PMUVer, the events PMCEID
  // advertises, FEAT_HPMN0, PMMIR.SLOTS); nullptr for a pCPU without a PMUv3. A partitioned
  // vCPU's guest context lives in it while loaded (VcpuPmu::load_hw).
  pmu::Pmu* physical_pmu(uint32_t pcpu);
  // The vCPU whose guest context the pCPU's physical PMU holds (nullptr: none).
  VcpuPmu* hw_owner(uint32_t pcpu) const { return pcpu < hw_owner_.size() ? hw_owner_[pcpu] : nullptr; }

  // ---- KVM_ARCH_FLAG_HAS_RAN_ONCE ----
  bool has_ran_once() const { return has_ran_once_; }
  void mark_ran_once() { has_ran_once_ = true; }

  // ---- supported_cpus (all pCPUs at creation; narrowed by SET_PMU only, spec 3) ----
  bool cpu_supported(uint32_t pcpu) const;
  const std::vector<bool>& supported_cpus() const { return supported_cpus_; }
  void set_supported_cpus(const std::vector<uint32_t>& cpus);

  // ---- event filter (spec 2.12 FILTER) ----
  bool has_filter() const { return !filter_.empty(); }
  // test_bit(event, pmu_filter); false outside the allocated range.
  bool filter_allows(uint32_t event) const;
  uint32_t filter_nr_events() const { return filter_nr_events_; }
  // Applies one range; allocates on first use (bitmap_alloc + zero/fill per first action).
  void apply_filter(const kvm_pmu_event_filter& f, uint32_t nr_events);

  // ---- the VM's ID registers as far as they shape the PMU (spec 1.6, 5.8) ----
  // ID_AA64DFR0_EL1.PMUVer: initialised once per VM at the first vCPU reset to the host limit
  // (if that vCPU has a PMU) or 0; userspace may lower it before the VM runs.
  uint8_t pmuver() const { return pmuver_; }
  void init_id_regs(bool vcpu_has_pmu);  // no-op after the first call
  bool id_regs_initialized() const { return id_regs_initialized_; }
  // Userspace write of ID_AA64DFR0_EL1.PMUVer: IMP_DEF (0xF) means 0; -EINVAL above the host
  // limit; -EBUSY for a change after the VM ran. (The lead's ID-register code calls this.)
  int set_user_pmuver(uint8_t v);
  uint8_t pfr0_el2() const { return pfr0_el2_; }
  uint8_t pfr0_el3() const { return pfr0_el3_; }
  // Userspace lowering ID_AA64PFR0_EL1.EL2/EL3 (spec 1.6: "userspace may lower them").
  void set_pfr0_el2_el3(uint8_t el2, uint8_t el3) { pfr0_el2_ = el2; pfr0_el3_ = el3; }
  // kvm_pmu_event_mask(kvm): 0x3ff for PMUv3.0, 0xffff from PMUv3p1, 0 without a PMU.
  uint32_t event_mask() const {
    switch (pmuver_) {
      case pmuver::kV3: return 0x3ff;
      case pmuver::kV3p1:
      case pmuver::kV3p4:
      case pmuver::kV3p5:
      case pmuver::kV3p7: return 0xffff;
      default: return 0;  // the kernel WARNs ("Unknown PMU version") and returns 0
    }
  }
  // kvm_pmu_evtyper_mask(kvm) (6.7+): P | U | event mask, + NSH with EL2, + NSU|NSK|M with EL3.
  uint64_t evtyper_mask() const;

  // ---- vCPUs (for the IRQ attribute's cross-vCPU checks) ----
  const std::vector<VcpuPmu*>& vcpus() const { return vcpus_; }

 private:
  friend class VcpuPmu;
  void add_vcpu(VcpuPmu* v) { vcpus_.push_back(v); }
  void remove_vcpu(VcpuPmu* v);

  const HostPmus& host_;
  Era era_;
  const EraPolicy* policy_;
  const ArmPmu* arm_pmu_ = nullptr;
  uint8_t pmcr_n_ = 0;
  uint8_t pmcr_n_limit_ = 0;
  bool nr_counters_explicit_ = false;
  bool strict_ = false;
  bool pmu_explicit_ = false;
  uint8_t pmmir_slots_ = 0;
  bool fixed_counters_only_ = false;
  bool partitioned_ = false;
  bool has_ran_once_ = false;
  std::vector<bool> supported_cpus_;
  std::vector<uint64_t> filter_;      // bitmap, empty = no filter
  uint32_t filter_nr_events_ = 0;
  uint8_t pmuver_ = 0;
  uint64_t attr_epoch_ = 0;
  uint8_t pfr0_el2_ = 0, pfr0_el3_ = 0;
  bool id_regs_initialized_ = false;
  std::vector<VcpuPmu*> vcpus_;
  std::vector<std::unique_ptr<pmu::Pmu>> physical_;  // per pCPU, lazily
  std::vector<VcpuPmu*> hw_owner_;                    // per pCPU
};

}  // namespace kvm_model::vpmu
