// The device fds of /dev/kvm (kvm_device_ioctl): the vGICv3's attribute groups and the
// ITS's.
#include "kvm_model/abi/state.h"

#include "cpu/sysreg/sysregs.h"

namespace kvm_model::abi {

long State::device_ioctl(VmObj& vm, unsigned long req, unsigned long arg) {
  if (req != KVM_SET_DEVICE_ATTR && req != KVM_GET_DEVICE_ATTR && req != KVM_HAS_DEVICE_ATTR) return -ENOTTY;
  kvm_device_attr attr;
  if (int rc = get(attr, arg); rc != 0) return rc;
  std::lock_guard lk(vm.m);
  Vm& m = *vm.vm;
  if (Vm::is_vgic_regs_group(attr.group)) {
    if (req == KVM_HAS_DEVICE_ATTR) return m.vgic_regs_has_attr(attr.group, attr.attr);
    return vgic_regs_attr(vm, req, attr);
  }
  if (req == KVM_HAS_DEVICE_ATTR) return m.vgic_has_attr(attr.group, attr.attr);
  // The payload: a u64 address, a u32 count, nothing for CTRL.
  const size_t len = attr.group == KVM_DEV_ARM_VGIC_GRP_ADDR      ? 8
                     : attr.group == KVM_DEV_ARM_VGIC_GRP_NR_IRQS ? 4
                                                                  : 0;
  if (m.vgic_has_attr(attr.group, attr.attr) != 0) return -ENXIO;
  if (req == KVM_SET_DEVICE_ATTR) {
    uint64_t v = 0;
    if (len != 0 && copy_in(&v, attr.addr, len) != 0) return -EFAULT;
    return m.vgic_set_attr(attr.group, attr.attr, v);
  }
  if (len == 0) return -ENXIO;
  uint64_t v = 0;
  // The REDIST_REGION read takes its index from the user's value.
  if (attr.group == KVM_DEV_ARM_VGIC_GRP_ADDR && copy_in(&v, attr.addr, len) != 0) return -EFAULT;
  if (int rc = m.vgic_get_attr(attr.group, attr.attr, v); rc != 0) return rc;
  return copy_out(attr.addr, &v, len);
}

// The save/restore groups, in vgic_v3_attr_regs_access()'s order: the vCPU the attribute
// names (-EINVAL), the value to write (-EFAULT), every vCPU idle (lock_all_vcpus: -EBUSY),
// the vGIC initialised (-EBUSY), the access, the value read (-EFAULT). CPU_SYSREGS moves a
// u64 and reads its value only after the checks (kvm_sys_reg_set_user); the others a u32.
// The caller holds vm.m.
long State::vgic_regs_attr(VmObj& vm, unsigned long req, const kvm_device_attr& attr) {
  Vm& m = *vm.vm;
  const bool is_write = req == KVM_SET_DEVICE_ATTR;
  const bool sysreg = attr.group == KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS;
  unsigned vcpu = 0;
  if (int rc = m.vgic_regs_target(attr.group, attr.attr, vcpu); rc != 0) return rc;
  uint64_t v = 0;
  if (is_write && !sysreg && copy_in(&v, attr.addr, sizeof(uint32_t)) != 0) return -EFAULT;
  const auto held = vm.lock_all_vcpus();
  if (!held) return -EBUSY;  // a vCPU is inside an ioctl (KVM_RUN)
  if (m.vgic() == nullptr) return -EBUSY;
  if (is_write) {
    if (sysreg && copy_in(&v, attr.addr, sizeof(uint64_t)) != 0) return -EFAULT;
    return m.vgic_regs_set(attr.group, attr.attr, vcpu, v);
  }
  if (int rc = m.vgic_regs_get(attr.group, attr.attr, vcpu, v); rc != 0) return rc;
  if (sysreg) return copy_out(attr.addr, &v, sizeof(uint64_t));
  const auto v32 = static_cast<uint32_t>(v);
  return copy_out(attr.addr, &v32, sizeof v32);
}

// The ITS device fd (vgic_its_{has,set,get}_attr).
long State::its_ioctl(VmObj& vm, ItsDev& its, unsigned long req, unsigned long arg) {
  if (req != KVM_SET_DEVICE_ATTR && req != KVM_GET_DEVICE_ATTR && req != KVM_HAS_DEVICE_ATTR) return -ENOTTY;
  kvm_device_attr attr;
  if (int rc = get(attr, arg); rc != 0) return rc;
  std::lock_guard lk(vm.m);
  const bool ctrl_known = attr.attr == KVM_DEV_ARM_VGIC_CTRL_INIT || attr.attr == KVM_DEV_ARM_ITS_CTRL_RESET ||
                          attr.attr == KVM_DEV_ARM_ITS_SAVE_TABLES || attr.attr == KVM_DEV_ARM_ITS_RESTORE_TABLES;
  if (req == KVM_HAS_DEVICE_ATTR) {
    if (attr.group == KVM_DEV_ARM_VGIC_GRP_ADDR) return attr.attr == KVM_VGIC_ITS_ADDR_TYPE ? 0 : -ENXIO;
    if (attr.group == KVM_DEV_ARM_VGIC_GRP_CTRL) return ctrl_known ? 0 : -ENXIO;
    if (attr.group == KVM_DEV_ARM_VGIC_GRP_ITS_REGS) return Vm::its_regs_has(attr.attr);
    return -ENXIO;
  }
  // Whether no vCPU is inside an ioctl now (the vCPU mutexes are let go at once).
  auto all_vcpus_idle = [&vm] { return vm.lock_all_vcpus().has_value(); };
  if (attr.group == KVM_DEV_ARM_VGIC_GRP_ITS_REGS) {
    // vgic_its_attr_regs_access(): the value, the alignment, then no vCPU in an ioctl.
    uint64_t v = 0;
    if (req == KVM_SET_DEVICE_ATTR && copy_in(&v, attr.addr, sizeof v) != 0) return -EFAULT;
    if (int rc = Vm::its_regs_has(attr.attr); rc == -EINVAL) return rc;
    if (!all_vcpus_idle()) return -EBUSY;
    if (req == KVM_SET_DEVICE_ATTR) return vm.vm->its_regs_set(its.index, attr.attr, v);
    if (int rc = vm.vm->its_regs_get(its.index, attr.attr, v); rc != 0) return rc;
    return copy_out(attr.addr, &v, sizeof v);
  }
  if (attr.group == KVM_DEV_ARM_VGIC_GRP_ADDR) {
    if (attr.attr != KVM_VGIC_ITS_ADDR_TYPE) return -ENODEV;
    const uint64_t base = vm.vm->its_base(its.index);
    if (req == KVM_GET_DEVICE_ATTR) return copy_out(attr.addr, &base, sizeof base);
    uint64_t addr = 0;
    if (copy_in(&addr, attr.addr, sizeof addr) != 0) return -EFAULT;
    // vgic_check_iorange(): set once, 64 KiB aligned, the whole frame inside the IPA space.
    if (base != ~uint64_t{0}) return -EEXIST;
    if (addr % 0x10000 != 0) return -EINVAL;
    if (addr + kVgicItsFrameSize < addr) return -EINVAL;
    const uint64_t ipa = uint64_t{1} << vm.ipa_bits;
    if (addr >= ipa || addr + kVgicItsFrameSize > ipa) return -E2BIG;
    vm.vm->set_its_base(its.index, addr);
    return 0;
  }
  if (req == KVM_SET_DEVICE_ATTR && attr.group == KVM_DEV_ARM_VGIC_GRP_CTRL) {
    if (attr.attr == KVM_DEV_ARM_VGIC_CTRL_INIT) return 0;
    if (!all_vcpus_idle()) return -EBUSY;
    return vm.vm->its_ctrl(its.index, attr.attr);
  }
  return -ENXIO;
}

}  // namespace kvm_model::abi
