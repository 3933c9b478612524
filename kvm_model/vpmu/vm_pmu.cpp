#include "kvm_model/vpmu/vm_pmu.h"

#include <algorithm>
#include <cerrno>

#include "kvm_model/vpmu/vcpu_pmu.h"

namespace kvm_model::vpmu {

VmPmu::VmPmu(const HostPmus& host, Era era)
    : host_(host),
      era_(era),
      policy_(&vpmu::policy(era)),
      // supported_cpus starts as "all possible CPUs" (kvm_arch_init_vm) and is narrowed only
      // by SET_PMU: the default PMU deliberately leaves it alone (spec 2.2).
      supported_cpus_(host.num_pcpus(), true),
      pfr0_el2_(host.features().pfr0_el2),
      pfr0_el3_(host.features().pfr0_el3) {}

void VmPmu::set_pmu(const ArmPmu* pmu) {
  arm_pmu_ = pmu;
  ++attr_epoch_;
  pmmir_slots_ = pmu ? pmu->pmmir_slots : 0;
  if (policy_->vm_wide_n) {
    // 6.7 kvm_arm_set_pmu() / v5 kvm_arm_set_vm_pmu(): N defaults to the PMU's maximum; a
    // later SET_PMU therefore discards an earlier PMCR_EL0.N or SET_NR_COUNTERS (spec 2.12).
    pmcr_n_ = max_counters();
    if (policy_->has_pmcr_n_limit) pmcr_n_limit_ = pmcr_n_;
  }
  nr_counters_explicit_ = false;
}

void VmPmu::set_fixed_counters_only() {
  fixed_counters_only_ = true;
  ++attr_epoch_;
  pmcr_n_ = 0;  // the cycle counter only
  nr_counters_explicit_ = false;
}

void VmPmu::set_partitioned() {
  partitioned_ = true;
  ++attr_epoch_;
  pmcr_n_ = max_counters();  // HPMN
  nr_counters_explicit_ = false;
}

int VmPmu::set_default_pmu(uint32_t pcpu) {
  const ArmPmu* p = host_.probe(pcpu);
  if (p == nullptr) return -ENODEV;
  set_pmu(p);
  return 0;
}

bool VmPmu::cpu_supported(uint32_t pcpu) const {
  return pcpu < supported_cpus_.size() && supported_cpus_[pcpu];
}

void VmPmu::set_supported_cpus(const std::vector<uint32_t>& cpus) {
  std::fill(supported_cpus_.begin(), supported_cpus_.end(), false);
  for (uint32_t c : cpus)
    if (c < supported_cpus_.size()) supported_cpus_[c] = true;
}

bool VmPmu::filter_allows(uint32_t event) const {
  if (event >= filter_nr_events_) return false;
  return (filter_[event / 64] >> (event % 64)) & 1;
}

void VmPmu::apply_filter(const kvm_pmu_event_filter& f, uint32_t nr_events) {
  if (filter_.empty()) {
    // "The default depends on the first applied filter": first ALLOW -> deny everything else,
    // first DENY -> allow everything else.
    filter_nr_events_ = nr_events;
    filter_.assign((nr_events + 63) / 64, f.action == KVM_PMU_EVENT_ALLOW ? 0 : ~uint64_t{0});
  }
  ++attr_epoch_;
  const uint32_t end = std::min<uint32_t>(uint32_t{f.base_event} + f.nevents, filter_nr_events_);
  for (uint32_t e = f.base_event; e < end; ++e) {
    const uint64_t bit = uint64_t{1} << (e % 64);
    if (f.action == KVM_PMU_EVENT_ALLOW)
      filter_[e / 64] |= bit;
    else
      filter_[e / 64] &= ~bit;
  }
}

void VmPmu::init_id_regs(bool vcpu_has_pmu) {
  if (id_regs_initialized_) return;
  // read_sanitised_id_aa64dfr0_el1(): PMUVer only if the vCPU was configured with a PMU.
  pmuver_ = vcpu_has_pmu ? host_.pmuver_limit() : 0;
  ++attr_epoch_;
  id_regs_initialized_ = true;
}

int VmPmu::set_user_pmuver(uint8_t v) {
  if (v == pmuver::kImpDef) v = 0;
  if (has_ran_once_) return v == pmuver_ ? 0 : -EBUSY;
  if (v > host_.pmuver_limit()) return -EINVAL;
  pmuver_ = v;
  ++attr_epoch_;
  return 0;
}

uint64_t VmPmu::evtyper_mask() const {
  uint64_t mask = evtyper::kP | evtyper::kU | event_mask();
  if (pfr0_el2_ != 0) mask |= evtyper::kNSH;
  if (pfr0_el3_ != 0) mask |= evtyper::kNSU | evtyper::kNSK | evtyper::kM;
  return mask;
}

pmu::Pmu* VmPmu::physical_pmu(uint32_t pcpu) {
  if (pcpu >= host_.num_pcpus()) return nullptr;
  if (physical_.size() != host_.num_pcpus()) {
    physical_.resize(host_.num_pcpus());
    hw_owner_.resize(host_.num_pcpus(), nullptr);
  }
  std::unique_ptr<pmu::Pmu>& p = physical_[pcpu];
  if (p == nullptr) {
    const ClusterPmuDesc* d = host_.physical(pcpu);
    if (d == nullptr) return nullptr;
    pmu::PmuConfig c;
    c.num_counters = d->num_counters;
    c.pmuver = d->pmuver;
    // The events its PMCEID0/1 advertise: bits [31:0] are events 0x00-0x1F / 0x20-0x3F,
    // bits [63:32] the 0x4000 range (Arm ARM D17.5, PMCEID<n>_EL0).
    for (unsigned b = 0; b < 64; ++b) {
      const uint16_t base = b < 32 ? 0 : 0x4000 - 32;
      if ((d->pmceid0 >> b) & 1) c.events.push_back(static_cast<uint16_t>(base + b));
      if ((d->pmceid1 >> b) & 1) c.events.push_back(static_cast<uint16_t>(base + b + 32));
    }
    std::sort(c.events.begin(), c.events.end());
    if (c.pmuver < pmuver::kV3p1)
      c.events.erase(std::remove_if(c.events.begin(), c.events.end(), [](uint16_t e) { return e >= 0x4000; }),
                     c.events.end());
    c.has_el2 = host_.features().pfr0_el2 != 0;
    c.has_el3 = host_.features().pfr0_el3 != 0;
    c.has_aarch32 = host_.features().supports_32bit_el0;
    c.pmmir_slots = d->pmmir_slots;
    c.feat_hpmn0 = d->feat_hpmn0;
    // A cluster without a PMUv3 the hardware model implements has no physical PMU here.
    if (c.num_counters > 31 || (c.pmuver != 1 && (c.pmuver < 4 || c.pmuver > 7))) return nullptr;
    p = std::make_unique<pmu::Pmu>(c);
  }
  return p.get();
}

void VmPmu::remove_vcpu(VcpuPmu* v) {
  for (VcpuPmu*& o : hw_owner_)
    if (o == v) o = nullptr;
  vcpus_.erase(std::remove(vcpus_.begin(), vcpus_.end(), v), vcpus_.end());
}

}  // namespace kvm_model::vpmu
