// The vCPU fd of /dev/kvm (kvm_vcpu_ioctl, kvm_arch_vcpu_ioctl): ONE_REG and the register
// list, KVM_RUN and its exits, signal masks and the vCPU-scoped attributes.
#include "kvm_model/abi/state.h"

#include <signal.h>

#include <cstring>

namespace kvm_model::abi {

long State::one_reg(VmObj& vm, VcpuData& vc, bool set, unsigned long arg) {
  if (!vc.v->initialised()) return -ENOEXEC;
  kvm_one_reg reg;
  if (int rc = get(reg, arg); rc != 0) return rc;
  // Nothing arch-specific in the upper 32 bits but the size (kvm_arm_get_reg).
  if ((reg.id & ~KVM_REG_SIZE_MASK) >> 32 != KVM_REG_ARM64 >> 32) return -EINVAL;
  const size_t size = size_t{1} << ((reg.id & KVM_REG_SIZE_MASK) >> KVM_REG_SIZE_SHIFT);
  uint8_t buf[64] = {};
  if (size > sizeof buf) return -ENOENT;
  if (set) {
    if (int rc = copy_in(buf, reg.addr, size); rc != 0) return rc;
    std::lock_guard vlk(vm.m);  // the firmware registers are VM-wide
    return set_reg(vm.ctx(vc), reg.id, buf, size);
  }
  if (int rc = get_reg(vm.ctx(vc), reg.id, buf, size); rc != 0) return rc;
  return copy_out(reg.addr, buf, size);
}

long State::reg_list(VmObj& vm, VcpuData& vc, unsigned long arg) {
  if (!vc.v->initialised()) return -ENOEXEC;
  uint64_t n;
  if (int rc = get(n, arg); rc != 0) return rc;
  std::vector<uint64_t> ids;
  if (int rc = list_regs(vm.ctx(vc), ids); rc != 0) return rc;
  const uint64_t count = ids.size();
  if (int rc = put(arg, count); rc != 0) return rc;
  if (n < count) return -E2BIG;
  return copy_out(arg + sizeof(uint64_t), ids.data(), ids.size() * sizeof(uint64_t));
}

// An exit at a guest-physical address inside a memory slot that is not the model's RAM:
// read it from the slot, write it unless the slot is read-only (then the write goes to the
// VMM as MMIO, as KVM_MEM_READONLY says). True: served, run on.
bool State::serve_slot_access(VmObj& vm, VcpuData& vc) {
  KvmRun& r = vc.v->run_struct();
  for (const auto& [id, s] : vm.slots) {
    if (static_cast<int>(id) == vm.backing_slot) continue;
    if (r.mmio.phys_addr < s.gpa || r.mmio.phys_addr + r.mmio.len > s.gpa + s.size) continue;
    uint8_t* host = reinterpret_cast<uint8_t*>(s.uaddr + (r.mmio.phys_addr - s.gpa));
    if (r.mmio.is_write) {
      if (s.flags & KVM_MEM_READONLY) return false;
      std::memcpy(host, r.mmio.data, r.mmio.len);
      s.mark_dirty(r.mmio.phys_addr, r.mmio.len);
    } else {
      std::memset(r.mmio.data, 0, sizeof r.mmio.data);
      std::memcpy(r.mmio.data, host, r.mmio.len);
    }
    return true;
  }
  return false;
}

long State::run(VmObj& vm, VcpuData& vc) {
  kvm_run* const ur = vc.run;
  KvmRun& r = vc.v->run_struct();
  // kvm_arch_vcpu_ioctl_run(): an MMIO read the last exit left pending completes with the
  // data the VMM put in run->mmio.data, even when immediate_exit then returns at once.
  if (ur->exit_reason == KVM_EXIT_MMIO && vc.v->mmio_pending()) {
    std::memcpy(r.mmio.data, ur->mmio.data, sizeof r.mmio.data);
    vc.v->complete_pending_mmio();
  }
  if (!vc.v->initialised()) return -ENOEXEC;
  if (ur->immediate_exit) return -EINTR;
  // kvm_arch_vcpu_ioctl_run(): from here the exit is unknown until the run says otherwise,
  // so a failing KVM_RUN (ENOSYS, EFAULT) leaves no stale MMIO exit behind.
  ur->exit_reason = KVM_EXIT_UNKNOWN;
  ur->flags = 0;
  {
    std::lock_guard lk(vm.m);  // the vCPU's lock, then the VM's: as KVM_ARM_VCPU_INIT takes them
    sync_slot_list(vm);
  }
  // kvm_sigset_activate() then the run loop's signal_pending() check: a signal pending for
  // the thread that the mask in force during the run does not block ends KVM_RUN before
  // the guest runs, with KVM_EXIT_INTR.
  if (signal_pending(vc)) {
    ++vc.v->stats().signal;  // kvm_handle_signal_exit()
    ur->exit_reason = KVM_EXIT_INTR;
    ur->flags = 0;
    return -EINTR;
  }
  long rc;
  for (;;) {
    rc = vc.v->run();
    if (rc != 0 || r.exit_reason != KVM_EXIT_MMIO) break;
    // Not an exit to the VMM: a slot's memory (which stage 2 maps in Linux), or, in
    // io_mem_abort()'s order, an in-kernel device of the MMIO bus (an ioeventfd) that takes
    // the write before the VMM would see it.
    const bool slot = serve_slot_access(vm, vc);
    if (!slot && !serve_ioeventfd(vm, vc) && !serve_coalesced(vm, vc)) break;
    Vcpu::Stats& st = vc.v->stats();
    --st.mmio_user;
    if (!slot) ++st.mmio_kernel;
    vc.v->complete_pending_mmio();
  }
  if (rc < 0 && rc != -EINTR) return rc;
  if (rc == 0 && r.exit_reason == KVM_EXIT_ARM_NISV && !vm.nisv_to_user) return -ENOSYS;
  // The fields Linux fills for each exit (include/uapi/linux/kvm.h).
  ur->exit_reason = r.exit_reason;
  ur->flags = 0;
  ur->s.regs.device_irq_level = r.device_irq_level;
  switch (r.exit_reason) {
    case KVM_EXIT_MMIO:
      ur->mmio.phys_addr = r.mmio.phys_addr;
      std::memcpy(ur->mmio.data, r.mmio.data, sizeof ur->mmio.data);
      ur->mmio.len = r.mmio.len;
      ur->mmio.is_write = r.mmio.is_write;
      break;
    case KVM_EXIT_SYSTEM_EVENT:
      ur->system_event.type = r.system_event.type;
      ur->system_event.ndata = r.system_event.ndata;
      std::memcpy(ur->system_event.data, r.system_event.data, sizeof ur->system_event.data);
      break;
    case KVM_EXIT_FAIL_ENTRY:
      ur->fail_entry.hardware_entry_failure_reason = r.fail_entry.hardware_entry_failure_reason;
      ur->fail_entry.cpu = r.fail_entry.cpu;
      break;
    case KVM_EXIT_ARM_NISV:
      ur->arm_nisv.esr_iss = r.arm_nisv.esr_iss;
      ur->arm_nisv.fault_ipa = r.arm_nisv.fault_ipa;
      break;
    case KVM_EXIT_DEBUG:
      ur->debug.arch.hsr = static_cast<uint32_t>(r.debug.hsr);
      break;
    case KVM_EXIT_HYPERCALL:
      std::memset(&ur->hypercall, 0, sizeof ur->hypercall);
      ur->hypercall.nr = r.hypercall.nr;
      // `flags` in 6.2+ headers, the same word as `longmode` in older ones.
      std::memcpy(&ur->hypercall.longmode, &r.hypercall.flags, sizeof(uint64_t));
      break;
    case KVM_EXIT_INTERNAL_ERROR:
      ur->internal.suberror = r.internal.suberror;
      ur->internal.ndata = r.internal.ndata;
      std::memcpy(ur->internal.data, r.internal.data, sizeof ur->internal.data);
      break;
    default:
      break;
  }
  return rc;
}

// Whether the calling thread has a signal pending that KVM_RUN's mask lets through. The
// host's own signals unless a hook says otherwise (pmuemu user: the program's).
bool State::signal_pending(const VcpuData& vc) const {
  // A signal the thread does not block has been delivered already; one it blocks stays
  // pending, and counts when the vCPU's mask unblocks it.
  if (!vc.has_sigmask) return false;
  if (pending_signals) return (pending_signals() & ~vc.sigmask) != 0;
  sigset_t set;
  if (sigpending(&set) != 0) return false;
  for (int sig = 1; sig <= 64; ++sig)
    if (sigismember(&set, sig) == 1 && !((vc.sigmask >> (sig - 1)) & 1)) return true;
  return false;
}

long State::vcpu_ioctl(VmObj& vm, VcpuData& vc, unsigned long req, unsigned long arg) {
  // kvm_vcpu_ioctl(): only KVM's ioctl type.
  if (((req >> _IOC_TYPESHIFT) & _IOC_TYPEMASK) != KVMIO) return -EINVAL;
  std::lock_guard lk(vc.m);
  switch (req) {
    case KVM_RUN:
      if (arg != 0) return -EINVAL;
      vm.touched.store(true);
      if (vm.ram_deleted) return -EFAULT;
      return run(vm, vc);
    case KVM_GET_STATS_FD:
      return vcpu_stats_fd(vc);
    case KVM_SET_SIGNAL_MASK: {
      // kvm_vcpu_ioctl(): no argument clears the mask; else len must be the kernel's
      // sizeof(sigset_t), 8 on arm64.
      if (arg == 0) {
        vc.has_sigmask = false;
        vc.sigmask = 0;
        return 0;
      }
      uint32_t len;
      if (int rc = get(len, arg); rc != 0) return rc;
      if (len != sizeof(uint64_t)) return -EINVAL;
      uint64_t set;
      if (int rc = copy_in(&set, arg + offsetof(kvm_signal_mask, sigset), sizeof set); rc != 0) return rc;
      // sigprocmask() never blocks SIGKILL and SIGSTOP.
      vc.sigmask = set & ~((uint64_t{1} << (SIGKILL - 1)) | (uint64_t{1} << (SIGSTOP - 1)));
      vc.has_sigmask = true;
      return 0;
    }
    case KVM_GET_MP_STATE: {
      kvm_mp_state st{vc.v->mp_state()};
      return put(arg, st);
    }
    case KVM_SET_MP_STATE: {
      kvm_mp_state st;
      if (int rc = get(st, arg); rc != 0) return rc;
      return vc.v->set_mp_state(st.mp_state);
    }
    case KVM_ARM_VCPU_INIT: {
      kvm_vcpu_init init;
      if (int rc = get(init, arg); rc != 0) return rc;
      std::lock_guard vlk(vm.m);  // the VM-wide features (kvm->arch.config_lock)
      kvm_model::kvm_vcpu_init mi;
      mi.target = init.target;
      std::memcpy(mi.features, init.features, sizeof mi.features);
      return vc.v->arm_vcpu_init(mi);
    }
    case KVM_SET_ONE_REG:
    case KVM_GET_ONE_REG:
      return one_reg(vm, vc, req == KVM_SET_ONE_REG, arg);
    case KVM_GET_REG_LIST:
      return reg_list(vm, vc, arg);
    case KVM_SET_DEVICE_ATTR:
    case KVM_GET_DEVICE_ATTR:
    case KVM_HAS_DEVICE_ATTR: {
      kvm_device_attr attr;
      if (int rc = get(attr, arg); rc != 0) return rc;
      std::lock_guard vlk(vm.m);
      vm.vm->set_vmm_pcpu(opts.vmm_pcpu);
      if (req == KVM_HAS_DEVICE_ATTR) return vc.v->has_device_attr(attr.group, attr.attr);
      // The attribute payloads are at most a filter (8 bytes) or an int/u64.
      uint8_t buf[sizeof(kvm_pmu_event_filter) + 8] = {};
      const size_t len = attr_payload_size(attr.group, attr.attr);
      if (req == KVM_SET_DEVICE_ATTR) {
        if (len != 0 && copy_in(buf, attr.addr, len) != 0) return -EFAULT;
        return vc.v->set_device_attr(attr.group, attr.attr, len != 0 ? buf : nullptr);
      }
      if (len == 0) return vc.v->get_device_attr(attr.group, attr.attr, nullptr);
      // Probe the destination first: a fault must not leave a half-done get behind.
      if (copy_in(buf, attr.addr, len) != 0) return -EFAULT;
      if (int rc = vc.v->get_device_attr(attr.group, attr.attr, buf); rc != 0) return rc;
      return copy_out(attr.addr, buf, len);
    }
    case KVM_ARM_VCPU_FINALIZE: {
      if (!vc.v->initialised()) return -ENOEXEC;
      int what;
      if (int rc = get(what, arg); rc != 0) return rc;
      return -EINVAL;  // only KVM_ARM_VCPU_SVE can be finalized, and there is no SVE
    }
    default:
      return -EINVAL;  // kvm_arch_vcpu_ioctl()
  }
}

}  // namespace kvm_model::abi
