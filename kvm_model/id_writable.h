// Writable feature ID registers (KVM_SET_ONE_REG of ID_AA64*_EL1, 6.7 and later): which
// fields a VMM may change per era, and whether a value is a safe subset of the vCPU's limit
// (sys_regs.c arm64_check_features() over cpufeature.c's field descriptions). The VM-wide
// storage and the guest's view are Vm::set_feature_id_reg (id_writable.cpp).
#pragma once

#include <cstdint>
#include <vector>

#include "kvm_model/vpmu/era.h"

namespace kvm_model::id_writable {

// Whether the era lets a VMM lower feature fields of the AArch64 ID registers (CRm 4-7 of
// op0 3, op1 0, CRn 0) beyond ID_AA64DFR0_EL1.PMUVer and ID_AA64PFR0_EL1's CSV2 and
// CSV3: 6.7 and later.
bool era_has_writable_features(vpmu::Era era);

// Whether CTR_EL0 is a writable VM feature register (newer than 6.7; before, an invariant
// register that accepts only its current value).
bool era_ctr_writable(vpmu::Era era);

// Whether the first KVM_RUN of a VM without an in-kernel GICv3 clears ID_AA64PFR0_EL1.GIC
// (kvm_finalize_sys_regs, newer than 6.7): before it, a guest was told of a CPU interface
// whose registers UNDEF.
bool era_hides_absent_gic(vpmu::Era era);

// Whether a KVM_SET_ONE_REG of the feature ID register (op1 0, CRn 0, crm, op2) goes
// through Vm::set_feature_id_reg: every AArch64 one (CRm 4-7) but, before 6.7,
// ID_AA64DFR0_EL1, whose only writable field then is the vPMU's PMUVer (its own rules).
bool era_checks_id_writes(vpmu::Era era, uint8_t crm, uint8_t op2);

// The sys_reg_desc .val of the ID register (op1 0, CRn 0, crm, op2) in the era: the mask
// KVM_ARM_GET_REG_WRITABLE_MASKS reports; 0 for a register that is not writable.
uint64_t writable_mask(vpmu::Era era, uint8_t crm, uint8_t op2);

// KVM_ARM_GET_REG_WRITABLE_MASKS' array (KVM_ARM_FEATURE_ID_RANGE_SIZE entries, indexed by
// op1 * 64 + CRm * 8 + op2) for the era. The AArch32 ID registers have none: KVM lists them
// only when every host CPU runs AArch32 at EL0, which the emulated cores never do.
void writable_masks(vpmu::Era era, std::vector<uint64_t>& masks);

// arm64_check_features(): 0 if every field of `value` that is writable in the era (and
// described by cpufeature) is safe against `limit` (equal to it or on its safe side), and
// every other bit equals the limit's; -EINVAL otherwise. Registers without a rule (not
// writable in the era) accept only the limit itself.
int check(vpmu::Era era, uint8_t crm, uint8_t op2, uint64_t value, uint64_t limit);

}  // namespace kvm_model::id_writable
