// What a host offers a VM, asked of the KVM model the way a VMM asks /dev/kvm
// (KVM_CHECK_EXTENSION), and said in words for error messages, `conformance` and `plan`.
#pragma once

#include <string>

#include "emu/config/host_config.h"

namespace pmuemu::vmm {

// "" when KVM offers a vPMU on this host (KVM_CAP_ARM_PMU_V3); otherwise why not, e.g. for
// clusters with different PMU versions: the sanitised ID_AA64DFR0_EL1.PMUVer is 0 (the field
// must match on every CPU), so KVM registers no host PMU. The answer comes from the KVM
// model's own host PMU set-up, not from a second implementation of the rule.
std::string no_vpmu_reason(const config::Host& host);

}  // namespace pmuemu::vmm
