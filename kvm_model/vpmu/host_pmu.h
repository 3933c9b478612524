// The host side of KVM's vPMU: the physical PMUs of a (possibly heterogeneous) host as the
// arm_pmu perf driver registers them, and the global list KVM keeps of them (arm_pmus in
// arch/arm64/kvm/pmu-emul.c, filled by kvm_host_pmu_init()). Spec 2.1, 2.2, 3.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kvm_model::vpmu {

// What the emulated host looks like, per cluster (one PMU per cluster). The VMM side (emu/)
// fills this from its host description; kvm_model never parses configuration itself.
struct ClusterPmuDesc {
  std::string name;             // e.g. "cortex-a55"; the perf PMU is named "armv8_<name>"
  std::vector<uint32_t> cpus;   // physical CPU ids of the cluster
  uint32_t num_counters = 0;    // physical PMCR_EL0.N
  uint8_t pmuver = 0;           // physical ID_AA64DFR0_EL1.PMUVer
  uint64_t pmceid0 = 0;         // physical PMCEID0_EL0 (pmu::pmceid_of(events))
  uint64_t pmceid1 = 0;         // physical PMCEID1_EL0
  // The events 0x40..0x7F the physical PMU counts (bit e - 0x40), e.g. ASE_SPEC (0x74): no
  // PMCEID bit describes them, but perf counts a raw event the hardware implements.
  uint64_t events_40_7f = 0;
  // What the eras after 6.16 read (all optional in the host description):
  uint8_t pmmir_slots = 0;             // physical PMMIR_EL1.SLOTS (0: not implemented)
  uint32_t reserved_host_counters = 0; // arm_pmuv3.reserved_host_counters (partitioned PMU)
  bool feat_hpmn0 = false;             // FEAT_HPMN0: MDCR_EL2.HPMN may be 0
};

// System-wide facts KVM derives from the sanitised CPU feature registers.
struct HostFeatures {
  bool supports_32bit_el0 = false;  // kvm_supports_32bit_el0(): PMCR_EL0.LC is RES1 when false
  uint8_t pfr0_el2 = 1;             // sanitised ID_AA64PFR0_EL1.EL2 (a KVM host always has EL2)
  uint8_t pfr0_el3 = 0;             // sanitised ID_AA64PFR0_EL1.EL3
  bool vhe = true;                  // the host kernel runs at EL2 (VHE); false: nVHE/hVHE
};

// perf type ids: this model gives the PMU of cluster c the id kArmPmuTypeBase + c. (Real
// systems allocate dynamic perf types from an IDR above PERF_TYPE_MAX; arm PMUs commonly end
// up at 8, 9, ... in probe order, which this convention imitates.)
inline constexpr uint32_t kArmPmuTypeBase = 8;

// struct arm_pmu, reduced to what KVM reads.
struct ArmPmu {
  uint32_t type = 0;                    // pmu.type: the id userspace passes to SET_PMU
  std::string name;                     // "armv8_<cluster name>"
  std::vector<uint32_t> supported_cpus;
  uint32_t num_events = 0;              // PMCR_EL0.N + 1 (includes the cycle counter)
  uint8_t pmuver = 0;
  uint64_t pmceid0 = 0, pmceid1 = 0;    // pmceid_bitmap / pmceid_ext_bitmap as PMCEID images
  uint64_t events_40_7f = 0;            // the raw events 0x40..0x7F the hardware counts
  uint32_t cluster = 0;                 // index into HostPmus::clusters()
  uint8_t pmmir_slots = 0;              // the cluster's PMMIR_EL1.SLOTS
  uint32_t reserved_host_counters = 0;  // counters the host keeps (partitioned PMU)
  bool feat_hpmn0 = false;

  bool covers(uint32_t cpu) const;
  // kvm_arm_pmu_get_max_counters(): the largest PMCR_EL0.N a VM using this PMU can have.
  uint8_t max_counters() const { return static_cast<uint8_t>(num_events - 1); }
};

class HostPmus {
 public:
  // Throws std::invalid_argument when a pCPU appears in two clusters or N > 31 (host
  // configuration errors, not guest-visible behaviour).
  HostPmus(std::vector<ClusterPmuDesc> clusters, HostFeatures features);

  // arm_pmus in registration (= cluster) order. Empty when the system-wide sanitised PMUVer
  // is not a PMUv3: ID_AA64DFR0_EL1.PMUVer is FTR_EXACT with safe value 0 in
  // arch/arm64/kernel/cpufeature.c, so clusters with *different* PMUVer sanitise to 0 and
  // kvm_host_pmu_init() registers nothing (KVM "does not support implementations where PMUv3
  // exists on a subset of CPUs").
  const std::vector<ArmPmu>& arm_pmus() const { return arm_pmus_; }
  // kvm_arm_support_pmu_v3() / KVM_CAP_ARM_PMU_V3.
  bool supports_pmu_v3() const { return !arm_pmus_.empty(); }
  // kvm_arm_pmu_get_pmuver_limit(): sanitised PMUVer, IMP_DEF treated as 0, capped at V3P5.
  uint8_t pmuver_limit() const { return pmuver_limit_; }
  const HostFeatures& features() const { return features_; }

  // kvm_pmu_probe_armpmu(): the first registered PMU whose supported_cpus contains pcpu.
  const ArmPmu* probe(uint32_t pcpu) const;
  const ArmPmu* find_by_type(uint32_t type) const;

  // The physical PMU of a pCPU, whether or not KVM registered it (6.6's reset reads the
  // physical PMCR_EL0, 6.6/6.7 guest PMCEID reads the physical PMCEID). nullptr if unknown.
  const ClusterPmuDesc* physical(uint32_t pcpu) const;
  // The registered ArmPmu of the pCPU's cluster, nullptr if none.
  const ArmPmu* arm_pmu_of(uint32_t pcpu) const;
  const std::vector<ClusterPmuDesc>& clusters() const { return clusters_; }
  // Whether every pCPU 0 .. num_pcpus()-1 has a registered PMU: a PMU that must work on
  // whichever CPU a vCPU lands on (fixed-counters-only) needs this.
  bool pmus_cover_every_cpu() const;
  uint32_t num_pcpus() const { return static_cast<uint32_t>(cluster_of_.size()); }

 private:
  std::vector<ClusterPmuDesc> clusters_;
  HostFeatures features_;
  std::vector<int32_t> cluster_of_;  // pcpu -> cluster index, -1 if absent
  std::vector<ArmPmu> arm_pmus_;
  uint8_t pmuver_limit_ = 0;
};

}  // namespace kvm_model::vpmu
