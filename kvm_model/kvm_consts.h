// ABI constants more than one part of the KVM model answers with: the VM (its IPA space),
// the PSCI handler and the run loop (an SMC the firmware interface refuses).
#pragma once

#include <cstdint>

namespace kvm_model {

// PSCI NOT_SUPPORTED (Arm DEN0022), also SMCCC's answer to an unknown function id.
constexpr uint64_t kPsciRetNotSupported = static_cast<uint64_t>(-1);
// KVM_CREATE_VM type 0 gives the default 40-bit IPA space (KVM_PHYS_SHIFT); a CPU_ON entry
// point outside it is refused (kvm_ipa_valid).
constexpr unsigned kDefaultIpaBits = 40;

}  // namespace kvm_model
