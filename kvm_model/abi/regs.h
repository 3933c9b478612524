// The ONE_REG side of the ABI: register ids the model does not keep itself (the firmware
// pseudo-registers, the AArch32 banked SPSRs), KVM_GET_REG_LIST in Linux's order, the
// writable ID-register masks, and the names traces print.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kvm_model/kvm.h"

struct kvm_run;

namespace kvm_model::abi {

// The firmware interface a VMM configures through KVM_REG_ARM_FW / _FW_FEAT_BMAP
// (kvm->arch.smccc_feat, the PSCI version): the VM's, fixed once a vCPU has run.
using FwState = SmcccConfig;

// Per-vCPU state the model leaves to the ABI layer: SPSR_abt/und/irq/fiq (AArch32 only;
// kept and returned as KVM keeps them).
struct VcpuExtra {
  uint64_t spsr32[4] = {};
};

struct RegCtx {
  Vcpu& v;
  FwState& fw;
  VcpuExtra& extra;
  bool vm_has_run;
};

// KVM_GET_ONE_REG / KVM_SET_ONE_REG with the id's size (1 << KVM_REG_SIZE). -ENOENT for ids
// not exposed, -EINVAL for a core id of the wrong size or an invalid firmware value.
int get_reg(RegCtx c, uint64_t id, uint8_t* buf, size_t size);
int set_reg(RegCtx c, uint64_t id, const uint8_t* buf, size_t size);
// KVM_GET_REG_LIST: core, firmware, timer, then system registers (ascending), as Linux.
int list_regs(RegCtx c, std::vector<uint64_t>& ids);
// KVM_ARM_GET_REG_WRITABLE_MASKS: masks of the ID registers' writable fields, indexed as
// KVM_ARM_FEATURE_ID_RANGE_IDX (op1, CRm, op2 of the op0 = 3, CRn = 0 space), per era.
void writable_id_masks(vpmu::Era era, std::vector<uint64_t>& masks);
// The bytes a vCPU device attribute's addr points to (0: none).
size_t attr_payload_size(uint32_t group, uint64_t attr);

// strace-style line for one ioctl, written after the call: name, decoded argument, result.
std::string format_call(int fd, int kind, unsigned vcpu_id, unsigned long req, unsigned long arg, long rc,
                        const kvm_run* run);

}  // namespace kvm_model::abi
