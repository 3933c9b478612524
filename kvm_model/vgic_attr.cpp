// The vGICv3 device's save/restore attribute groups (Linux's vgic_v3_attr_regs_access and
// vgic_v3_has_attr_regs): GRP_DIST_REGS, GRP_REDIST_REGS, GRP_CPU_SYSREGS and GRP_LEVEL_INFO,
// addressed by the MPIDR in the attribute's upper half and an offset, sys-reg encoding or
// INTID in its lower half.
#include <cerrno>

#include "kvm_model/kvm.h"

namespace kvm_model {

namespace {

// The attribute's MPIDR field holds Aff3 in its top byte; MPIDR_EL1 has Aff3 at [39:32]
// (VGIC_TO_MPIDR).
uint64_t attr_mpidr(uint64_t attr) {
  const uint64_t v = attr >> KVM_DEV_ARM_VGIC_V3_MPIDR_SHIFT;
  return (v & 0xffffff) | (((v >> 24) & 0xff) << 32);
}

// The ICC_* encoding of a GRP_CPU_SYSREGS attribute: op0 [15:14], op1 [13:11], CRn [10:7],
// CRm [6:3], op2 [2:0] (KVM_REG_ARM_VGIC_SYSREG_*).
arch::SysRegKey attr_sysreg(uint64_t attr) {
  const uint64_t e = attr & KVM_DEV_ARM_VGIC_SYSREG_INSTR_MASK;
  return arch::sysreg(static_cast<unsigned>((e >> 14) & 3), static_cast<unsigned>((e >> 11) & 7),
                      static_cast<unsigned>((e >> 7) & 0xf), static_cast<unsigned>((e >> 3) & 0xf),
                      static_cast<unsigned>(e & 7));
}

vgic::Vgic::UserFrame frame_of(uint32_t group) {
  return group == KVM_DEV_ARM_VGIC_GRP_DIST_REGS ? vgic::Vgic::UserFrame::kDist : vgic::Vgic::UserFrame::kRedist;
}

uint32_t attr_offset(uint64_t attr) { return static_cast<uint32_t>(attr & KVM_DEV_ARM_VGIC_OFFSET_MASK); }

}  // namespace

bool Vm::is_vgic_regs_group(uint32_t group) {
  return group == KVM_DEV_ARM_VGIC_GRP_DIST_REGS || group == KVM_DEV_ARM_VGIC_GRP_REDIST_REGS ||
         group == KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS || group == KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO;
}

int Vm::vgic_regs_target(uint32_t group, uint64_t attr, unsigned& vcpu) {
  if (!vgic_created_) return -ENXIO;
  // The distributor is reached through the first vCPU created (kvm_get_vcpu(kvm, 0)); the
  // other groups name their vCPU by MPIDR.
  const Vcpu* v = nullptr;
  if (group == KVM_DEV_ARM_VGIC_GRP_DIST_REGS) v = vcpus_.empty() ? nullptr : vcpus_.front().get();
  else v = find_vcpu_by_mpidr(attr_mpidr(attr));
  if (v == nullptr) return -EINVAL;
  vcpu = v->id();
  return 0;
}

int Vm::vgic_regs_has_attr(uint32_t group, uint64_t attr) {
  unsigned vcpu = 0;
  if (group == KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO) {
    // Only the line-level kind of information exists; no vCPU lookup (vgic_v3_has_attr).
    const uint64_t info = (attr & KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_MASK) >> KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT;
    return info == VGIC_LEVEL_INFO_LINE_LEVEL ? 0 : -ENXIO;
  }
  if (int rc = vgic_regs_target(group, attr, vcpu); rc != 0) return rc;
  if (group == KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS)
    return vgic::Vgic::user_sysreg_exists(attr_sysreg(attr)) ? 0 : -ENXIO;
  // Before CTRL_INIT KVM answers from its tables with the interrupt count set so far (32,
  // the private ones, until GRP_NR_IRQS).
  const unsigned nr_irqs = vgic_ != nullptr ? vgic_->num_irqs() : (vgic_nr_irqs_ != 0 ? vgic_nr_irqs_ : 32);
  return vgic::Vgic::user_reg_exists(frame_of(group), attr_offset(attr), nr_irqs) ? 0 : -ENXIO;
}

int Vm::vgic_regs_get(uint32_t group, uint64_t attr, unsigned vcpu, uint64_t& value) {
  if (vgic_ == nullptr) return -EBUSY;  // !vgic_initialized()
  const auto lk = lock();
  switch (group) {
    case KVM_DEV_ARM_VGIC_GRP_DIST_REGS:
    case KVM_DEV_ARM_VGIC_GRP_REDIST_REGS: {
      uint32_t v = 0;
      if (int rc = vgic_->user_read(frame_of(group), vcpu, attr_offset(attr), v); rc != 0) return rc;
      value = v;
      return 0;
    }
    case KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS:
      return vgic_->user_sysreg_read(vcpu, attr_sysreg(attr), value);
    case KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO: {
      const uint64_t info = (attr & KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_MASK) >> KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT;
      if (info != VGIC_LEVEL_INFO_LINE_LEVEL) return -EINVAL;
      uint32_t v = 0;
      if (int rc = vgic_->user_line_levels(vcpu, static_cast<unsigned>(attr & KVM_DEV_ARM_VGIC_LINE_LEVEL_INTID_MASK), v);
          rc != 0)
        return rc;
      value = v;
      return 0;
    }
    default:
      return -EINVAL;
  }
}

int Vm::vgic_regs_set(uint32_t group, uint64_t attr, unsigned vcpu, uint64_t value) {
  if (vgic_ == nullptr) return -EBUSY;
  const auto lk = lock();
  int rc = -EINVAL;
  switch (group) {
    case KVM_DEV_ARM_VGIC_GRP_DIST_REGS:
    case KVM_DEV_ARM_VGIC_GRP_REDIST_REGS:
      rc = vgic_->user_write(frame_of(group), vcpu, attr_offset(attr), static_cast<uint32_t>(value));
      break;
    case KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS:
      rc = vgic_->user_sysreg_write(vcpu, attr_sysreg(attr), value);
      break;
    case KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO: {
      const uint64_t info = (attr & KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_MASK) >> KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT;
      if (info != VGIC_LEVEL_INFO_LINE_LEVEL) return -EINVAL;
      rc = vgic_->user_set_line_levels(vcpu, static_cast<unsigned>(attr & KVM_DEV_ARM_VGIC_LINE_LEVEL_INTID_MASK),
                                       static_cast<uint32_t>(value));
      break;
    }
    default:
      break;
  }
  // The restored state may change what a vCPU's interrupt line shows: a threaded vCPU
  // blocked in WFI must look again.
  kick_changed(~0u);
  return rc;
}

}  // namespace kvm_model
