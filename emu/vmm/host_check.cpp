#include "emu/vmm/host_check.h"

#include "emu/vmm/host_model.h"
#include "kvm_model/vpmu/host_pmu.h"

namespace pmuemu::vmm {

std::string no_vpmu_reason(const config::Host& host) {
  const kvm_model::HostDesc d = host_desc(host, false);
  const kvm_model::vpmu::HostPmus pmus(d.pmus, d.features);
  if (pmus.supports_pmu_v3()) return "";
  std::string versions;
  bool differ = false;
  for (size_t c = 0; c < host.clusters.size(); ++c) {
    const auto& core = host.clusters[c].core;
    versions += (c ? ", " : "") + std::string("cluster ") + std::to_string(c) + " " + core.name + " PMUv" +
                core.pmu_version;
    differ |= core.pmuver != host.clusters.front().core.pmuver;
  }
  if (differ)
    return "host '" + host.name + "' has clusters with different PMU versions (" + versions +
           "): ID_AA64DFR0_EL1.PMUVer must match on every CPU, so its sanitised value is 0 and KVM registers no "
           "host PMU: no vPMU (KVM_CAP_ARM_PMU_V3 absent)";
  return "host '" + host.name + "' has no PMUv3 KVM can use (" + versions +
         "): no vPMU (KVM_CAP_ARM_PMU_V3 absent)";
}

}  // namespace pmuemu::vmm
