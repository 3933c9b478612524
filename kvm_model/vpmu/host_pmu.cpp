#include "kvm_model/vpmu/host_pmu.h"

#include <algorithm>
#include <stdexcept>

#include "kvm_model/vpmu/regs.h"

namespace kvm_model::vpmu {

bool ArmPmu::covers(uint32_t cpu) const {
  return std::find(supported_cpus.begin(), supported_cpus.end(), cpu) != supported_cpus.end();
}

namespace {

// The sanitised system-wide PMUVer: FTR_EXACT (all CPUs agree, else the safe value 0), then
// kvm_arm_pmu_get_pmuver_limit()'s IMP_DEF -> 0 and cap at V3P5.
uint8_t sanitised_pmuver_limit(const std::vector<ClusterPmuDesc>& clusters) {
  if (clusters.empty()) return 0;
  uint8_t v = clusters.front().pmuver;
  for (const auto& c : clusters)
    if (c.pmuver != v) return 0;
  if (v == pmuver::kImpDef) return 0;
  return std::min(v, pmuver::kV3p5);
}

bool pmuv3_implemented(uint8_t v) { return v != pmuver::kNone && v != pmuver::kImpDef; }

}  // namespace

HostPmus::HostPmus(std::vector<ClusterPmuDesc> clusters, HostFeatures features)
    : clusters_(std::move(clusters)), features_(features) {
  for (uint32_t ci = 0; ci < clusters_.size(); ++ci) {
    const auto& c = clusters_[ci];
    if (c.num_counters > kMaxEventCounters)
      throw std::invalid_argument("vpmu: cluster '" + c.name + "' has PMCR_EL0.N > 31");
    for (uint32_t cpu : c.cpus) {
      if (cpu >= cluster_of_.size()) cluster_of_.resize(cpu + 1, -1);
      if (cluster_of_[cpu] != -1)
        throw std::invalid_argument("vpmu: pCPU " + std::to_string(cpu) + " is in two clusters");
      cluster_of_[cpu] = static_cast<int32_t>(ci);
    }
  }
  pmuver_limit_ = sanitised_pmuver_limit(clusters_);
  // kvm_host_pmu_init() runs once per registered arm_pmu and bails out on the system-wide
  // check, so either every cluster's PMU is registered or none is.
  if (!pmuv3_implemented(pmuver_limit_)) return;
  for (uint32_t ci = 0; ci < clusters_.size(); ++ci) {
    const auto& c = clusters_[ci];
    ArmPmu p;
    p.type = kArmPmuTypeBase + ci;
    p.name = "armv8_" + c.name;
    p.supported_cpus = c.cpus;
    p.num_events = c.num_counters + 1;
    p.pmuver = c.pmuver;
    p.pmceid0 = c.pmceid0;
    p.pmceid1 = c.pmceid1;
    p.events_40_7f = c.events_40_7f;
    p.cluster = ci;
    p.pmmir_slots = c.pmmir_slots;
    p.reserved_host_counters = c.reserved_host_counters;
    p.feat_hpmn0 = c.feat_hpmn0;
    arm_pmus_.push_back(std::move(p));
  }
}

bool HostPmus::pmus_cover_every_cpu() const {
  if (arm_pmus_.empty() || cluster_of_.empty()) return false;
  for (int32_t c : cluster_of_)
    if (c < 0) return false;
  return true;
}

const ArmPmu* HostPmus::probe(uint32_t pcpu) const {
  for (const auto& p : arm_pmus_)
    if (p.covers(pcpu)) return &p;
  return nullptr;
}

const ArmPmu* HostPmus::find_by_type(uint32_t type) const {
  for (const auto& p : arm_pmus_)
    if (p.type == type) return &p;
  return nullptr;
}

const ClusterPmuDesc* HostPmus::physical(uint32_t pcpu) const {
  if (pcpu >= cluster_of_.size() || cluster_of_[pcpu] < 0) return nullptr;
  return &clusters_[static_cast<size_t>(cluster_of_[pcpu])];
}

const ArmPmu* HostPmus::arm_pmu_of(uint32_t pcpu) const {
  if (pcpu >= cluster_of_.size() || cluster_of_[pcpu] < 0) return nullptr;
  for (const auto& p : arm_pmus_)
    if (p.cluster == static_cast<uint32_t>(cluster_of_[pcpu])) return &p;
  return nullptr;
}

}  // namespace kvm_model::vpmu
