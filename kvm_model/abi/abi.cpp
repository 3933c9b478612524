// The /dev/kvm ABI over the KVM model: file descriptors, copy_from_user/copy_to_user, the
// request numbers and structs of Linux's arm64 UAPI (the model itself is the kernel side).
// Dispatch follows Linux's: kvm_dev_ioctl (system fd, here), kvm_vm_ioctl then
// kvm_arch_vm_ioctl (VM fd, vm_ioctl.cpp), kvm_vcpu_ioctl then kvm_arch_vcpu_ioctl (vCPU
// fd, vcpu_ioctl.cpp), kvm_device_ioctl (device fd, device_ioctl.cpp), each with its
// default errno for an unknown request. This file also holds Dev: the fd table, mmap and
// close.
#include "kvm_model/abi/state.h"

#include <pthread.h>
#include <sys/uio.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <string>

namespace kvm_model::abi {
namespace {

// ---- checked user copies without a system call, where that is provably safe ----
// A checked copy is a process_vm_readv/writev of this process (a bad pointer: -EFAULT, as
// Linux's copy_from_user gives), a system call of about 2 us: more than the rest of most
// ioctls. Most user structs and the values they point to are locals of the caller, though,
// and the calling thread's stack from its current frame up to the stack's top is mapped
// read-write for as long as those frames are live (the thread is inside this call), so a
// range wholly inside it can be copied directly. The bounds are the thread library's
// (pthread_getattr_np), taken once per thread; a call made on another stack (a signal
// handler's alternate stack, a coroutine's) is not inside them and takes the system call.
// (A program that mprotects part of its own live stack is outside this argument.)
struct StackBounds {
  uintptr_t lo = 0, hi = 0;  // [lo, hi); both 0: unknown
};

StackBounds thread_stack() {
  StackBounds b;
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return b;
  void* addr = nullptr;
  size_t size = 0;
  if (pthread_attr_getstack(&attr, &addr, &size) == 0 && addr != nullptr && size != 0) {
    b.lo = reinterpret_cast<uintptr_t>(addr);
    b.hi = b.lo + size;
  }
  pthread_attr_destroy(&attr);
  return b;
}

// True if [p, p + n) lies between this function's frame and the top of the stack the
// calling thread is running on.
__attribute__((noinline)) bool on_live_stack(uintptr_t p, size_t n) {
  // A per-thread cache of a fixed property of the thread (its stack never moves), filled on
  // the thread's first checked copy; a new thread starts with an empty one.
  thread_local const StackBounds bounds = thread_stack();
  const auto frame = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  if (frame < bounds.lo || frame >= bounds.hi) return false;  // not on the thread's stack
  return p >= frame && p < bounds.hi && n <= bounds.hi - p;
}

// A byte copy the sanitizers leave alone: the caller's object may be smaller than the size
// the ioctl reads (Linux reads whatever lies beyond it), which is not this process's bug.
__attribute__((no_sanitize("address", "thread", "undefined"))) void stack_copy(void* dst, const void* src, size_t n) {
  auto* d = static_cast<volatile uint8_t*>(dst);
  const auto* s = static_cast<const volatile uint8_t*>(src);
  for (size_t i = 0; i < n; ++i) d[i] = s[i];
}

}  // namespace

int State::copy_in(void* dst, unsigned long src, size_t n) const {
  if (n == 0) return 0;
  if (src < kPageSize) return -EFAULT;
  if (!opts.checked_copies) {
    std::memcpy(dst, reinterpret_cast<const void*>(src), n);
    return 0;
  }
  if (on_live_stack(src, n)) {
    stack_copy(dst, reinterpret_cast<const void*>(src), n);
    return 0;
  }
  // The current pid, not one cached at open: a forked VMM (get-reg-list's child per
  // configuration) owns the State copy and must read its own memory, not its parent's.
  iovec local{dst, n}, remote{reinterpret_cast<void*>(src), n};
  return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == static_cast<ssize_t>(n) ? 0 : -EFAULT;
}
int State::copy_out(unsigned long dst, const void* src, size_t n) const {
  if (n == 0) return 0;
  if (dst < kPageSize) return -EFAULT;
  if (!opts.checked_copies) {
    std::memcpy(reinterpret_cast<void*>(dst), src, n);
    return 0;
  }
  if (on_live_stack(dst, n)) {
    stack_copy(reinterpret_cast<void*>(dst), src, n);
    return 0;
  }
  iovec local{const_cast<void*>(src), n}, remote{reinterpret_cast<void*>(dst), n};
  return process_vm_writev(getpid(), &local, 1, &remote, 1, 0) == static_cast<ssize_t>(n) ? 0 : -EFAULT;
}

// ---------------- system fd ----------------
long State::check_extension(const VmObj* vm, long cap) const {
  switch (cap) {
    // Linux's generic and arm64 capabilities the model implements in every era.
    case KVM_CAP_USER_MEMORY:
    case KVM_CAP_DESTROY_MEMORY_REGION_WORKS:
    case KVM_CAP_JOIN_MEMORY_REGIONS_WORKS:
    case KVM_CAP_INTERNAL_ERROR_DATA:
    case KVM_CAP_CHECK_EXTENSION_VM:
    case KVM_CAP_ENABLE_CAP_VM:
    case KVM_CAP_DEVICE_CTRL:
    case KVM_CAP_SYSTEM_EVENT_DATA:
    case KVM_CAP_SYNC_MMU:
    case KVM_CAP_ONE_REG:
    case KVM_CAP_ARM_PSCI:
    case KVM_CAP_ARM_PSCI_0_2:
    case KVM_CAP_READONLY_MEM:
    case KVM_CAP_MP_STATE:
    case KVM_CAP_IMMEDIATE_EXIT:
    case KVM_CAP_ARM_IRQ_LINE_LAYOUT_2:
    case KVM_CAP_ARM_NISV_TO_USER:
    case KVM_CAP_VCPU_ATTRIBUTES:
    case KVM_CAP_ARM_SYSTEM_SUSPEND:
    case KVM_CAP_ARM_SET_DEVICE_ADDR:
    case KVM_CAP_ARM_USER_IRQ:
    case KVM_CAP_STEAL_TIME:
    case KVM_CAP_IRQCHIP:  // vgic_present: a GICv3 host
    case KVM_CAP_SIGNAL_MSI:
    case KVM_CAP_PMUEMU_SEMIHOSTING:
    case KVM_CAP_BINARY_STATS_FD:
    case KVM_CAP_COALESCED_PIO:
    case KVM_CAP_IOEVENTFD:
    case KVM_CAP_IOEVENTFD_ANY_LENGTH:
    case KVM_CAP_IRQFD:
    case KVM_CAP_IRQFD_RESAMPLE:
    case KVM_CAP_COUNTER_OFFSET:  // Linux 6.4: KVM_ARM_SET_COUNTER_OFFSET
      return 1;
    case KVM_CAP_COALESCED_MMIO:
      return KVM_COALESCED_MMIO_PAGE_OFFSET;  // the ring's page in a vCPU's mmap
    // kvm_vm_ioctl_check_extension_generic(): arm64 selects
    // CONFIG_KVM_GENERIC_DIRTYLOG_READ_PROTECT and defines KVM_DIRTY_LOG_MANUAL_CAPS with
    // INITIALLY_SET (every era from 6.6 to 6.16).
    case KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2:
      return KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET;
    case KVM_CAP_MSI_DEVID:
      // An ITS makes MSIs carry a DeviceID (kvm->arch.vgic.msis_require_devid).
      if (vm == nullptr) return -EINVAL;
      return vm->vm->num_its() != 0 ? 1 : 0;
    case KVM_CAP_IRQ_ROUTING:
      return kMaxIrqRoutes;
    case KVM_CAP_MULTI_ADDRESS_SPACE:
      return 1;  // KVM_ADDRESS_SPACE_NUM on arm64
    case KVM_CAP_NR_MEMSLOTS:
      return kUserMemSlots;
    case KVM_CAP_NR_VCPUS:
      return std::min<long>(static_cast<long>(opts.host.cpus.size()), kMaxVcpus);
    case KVM_CAP_MAX_VCPUS:
    case KVM_CAP_MAX_VCPU_ID:
      return kMaxVcpus;
    case KVM_CAP_ARM_PMU_V3:
      // kvm_arm_support_pmu_v3(): KVM registers host PMUs only when the sanitised PMUVer is
      // a PMUv3 version, so a host whose clusters' PMU versions differ has no vPMU at all
      // even though every CPU has a PMU (KVM_ARM_VCPU_INIT with PMU_V3 is -EINVAL there).
      return kvm.pmus().supports_pmu_v3() ? 1 : 0;
    case KVM_CAP_ARM_VM_IPA_SIZE:
      return kIpaDefault;  // get_kvm_ipa_limit(): the model's 40-bit stage 2
    case KVM_CAP_ARM_EL1_32BIT:
      return 0;  // the emulated cores have no AArch32 EL1
    // Linux 6.8+ (USER_MEMORY2 with the guest_memfd series, the writable ID masks).
    case KVM_CAP_USER_MEMORY2:
      return uapi_6_8(opts) ? 1 : 0;
    case KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES:
      return uapi_6_8(opts) ? 1 : 0;  // BIT(KVM_ARM_FEATURE_ID_RANGE)
    default:
      // Not modelled: SVE, pointer authentication, MTE, guest debug,
      // VCPU_EVENTS, PTP_KVM, dirty logging rings, ... (Linux may answer 1 for some).
      (void)vm;
      return 0;
  }
}

long State::create_vm(unsigned long type) {
  // KVM_VM_TYPE_ARM_IPA_SIZE: bits [7:0] the IPA size (0 = 40 bits); every other bit is
  // reserved (-EINVAL), as is a size outside 32..the limit.
  if (type & ~0xfful) return -EINVAL;
  unsigned ipa = static_cast<unsigned>(type & 0xff);
  if (ipa == 0) ipa = kIpaDefault;
  else if (ipa < kIpaMin || ipa > kIpaDefault) return -EINVAL;
  std::unique_ptr<Vm> vm;
  if (int rc = kvm.create_vm(vm); rc != 0) return rc;
  vm->set_vmm_pcpu(opts.vmm_pcpu);
  vm->set_host_page_gate(gate);
  // A guest's HLT #0xF000 is UNDEFINED, as under Linux, until the VMM asks for pmuemu's
  // semihosting exits (KVM_CAP_PMUEMU_SEMIHOSTING).
  vm->set_semihosting(false);
  auto obj = std::make_shared<VmObj>();
  obj->vm = std::move(vm);
  // Guest memory the model does not map itself (every slot but its RAM): what KVM reaches
  // with kvm_write_guest (the PV-time record) and gfn_to_hva (the PV-time IPA check). Like
  // serve_slot_access, called with the vCPU's or the VM's lock held.
  obj->vm->set_guest_memory_hook([o = obj.get()](uint64_t gpa, void* buf, size_t len, bool is_write) {
    for (const auto& [id, s] : o->slots) {
      if (static_cast<int>(id) == o->backing_slot) continue;
      if (gpa < s.gpa || gpa + len > s.gpa + s.size) continue;
      if (buf == nullptr) return true;
      uint8_t* host = reinterpret_cast<uint8_t*>(s.uaddr + (gpa - s.gpa));
      if (is_write) {
        if (s.flags & KVM_MEM_READONLY) return false;
        std::memcpy(host, buf, len);
        s.mark_dirty(gpa, len);  // kvm_write_guest()'s mark_page_dirty_in_slot()
      } else {
        std::memcpy(buf, host, len);
      }
      return true;
    }
    return false;
  });
  obj->ipa_bits = ipa;
  if (int rc = take_region(*obj); rc != 0) return rc;
  const int fd = dup(obj->arena->fd);
  if (fd < 0) return -errno;
  return install(std::make_shared<File>(File{Kind::kVm, std::move(obj), nullptr}), fd);
}

// A fresh region for a new VM: the current arena's next one, or the first of a new arena
// when it is full or belongs to the parent of this (forked) process.
int State::take_region(VmObj& vm) {
  std::lock_guard lk(m);
  if (arena == nullptr || arena->used == kArenaRegions || !arena->mine()) {
    auto a = std::make_shared<Arena>();
    a->pid = getpid();
    void* mark = sys_mmap(nullptr, kPageSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mark == MAP_FAILED) return -ENOMEM;
    if (madvise(mark, kPageSize, MADV_WIPEONFORK) == 0) {
      a->mark = static_cast<volatile uint8_t*>(mark);
      *a->mark = 1;
    } else {
      munmap(mark, kPageSize);
    }
    a->fd = new_fd("kvm", kArenaBytes);
    if (a->fd < 0) return a->fd;
    void* p = sys_mmap(nullptr, static_cast<size_t>(kArenaBytes), PROT_READ | PROT_WRITE, MAP_SHARED, a->fd, 0);
    if (p == MAP_FAILED) return -ENOMEM;  // a's destructor closes the memfd
    a->map = static_cast<uint8_t*>(p);
    arena = std::move(a);
  }
  vm.arena = arena;
  vm.region_offset = static_cast<off_t>(arena->used) * kRegionBytes;
  vm.runs = arena->map + vm.region_offset;
  ++arena->used;
  return 0;
}

long State::sys_ioctl(unsigned long req, unsigned long arg) {
  switch (req) {
    case KVM_GET_API_VERSION:
      return arg != 0 ? -EINVAL : kApiVersion;
    case KVM_CREATE_VM:
      return create_vm(arg);
    case KVM_CHECK_EXTENSION:
      return check_extension(nullptr, static_cast<long>(arg));
    case KVM_GET_VCPU_MMAP_SIZE:
      return arg != 0 ? -EINVAL : kVcpuMmapSize;
    default:
      return -EINVAL;  // kvm_arch_dev_ioctl()
  }
}

// ---------------- Dev ----------------
Dev::Dev(Options opts) : s_(std::make_unique<State>(std::move(opts))) {}

Dev::~Dev() {
  std::lock_guard lk(s_->m);
  for (const auto& [fd, f] : s_->files) sys_close(fd);
}

int Dev::open_dev() {
  const int fd = State::new_fd("kvm", 0);
  if (fd < 0) return fd;
  s_->install(std::make_shared<File>(File{Kind::kSystem, nullptr, nullptr}), fd);
  if (s_->trace) s_->trace("open(\"/dev/kvm\", O_RDWR) = " + std::to_string(fd));
  return fd;
}

long Dev::ioctl_untraced(int fd, unsigned long request, unsigned long arg) { return s_->dispatch(fd, request, arg, false); }
long Dev::ioctl(int fd, unsigned long request, unsigned long arg) { return s_->dispatch(fd, request, arg, true); }

long State::dispatch(int fd, unsigned long request, unsigned long arg, bool traced) {
  State* const s_ = this;
  const auto f = s_->find(fd);
  if (f == nullptr) return -EBADF;
  if (f->vm != nullptr) {
    // Linux injects an irqfd's interrupt when the eventfd is written. The model looks at its
    // irqfds before each call on the VM's files instead: every way the VMM or the guest can
    // observe the interrupt (KVM_RUN, the vGIC's attributes, ...) comes after that look.
    std::lock_guard lk(f->vm->m);
    s_->poll_irqfds(*f->vm);
  }
  long rc;
  switch (f->kind) {
    case Kind::kSystem: rc = s_->sys_ioctl(request, arg); break;
    case Kind::kVm: rc = s_->vm_ioctl(f->vm, request, arg); break;
    case Kind::kVcpu: rc = s_->vcpu_ioctl(*f->vm, *f->vcpu, request, arg); break;
    case Kind::kDevice:
      rc = f->its ? s_->its_ioctl(*f->vm, *f->its, request, arg) : s_->device_ioctl(*f->vm, request, arg);
      break;
    default: rc = -EBADF;
  }
  // The vCPU's statistics file shows what the call counted (KVM_RUN's exits).
  if (f->kind == Kind::kVcpu && f->vcpu->stats != nullptr) s_->sync_stats(*f->vcpu);
  if (traced && s_->trace) s_->trace(format_call(fd, static_cast<int>(f->kind), f->vcpu ? f->vcpu->id : 0, request, arg, rc,
                                       f->vcpu ? f->vcpu->run : nullptr));
  return rc;
}

void* Dev::mmap(void* addr, size_t len, int prot, int flags, int fd, long offset, int* err) {
  const auto f = s_->find(fd);
  if (f == nullptr) {
    *err = EBADF;
    return MAP_FAILED;
  }
  if (f->kind != Kind::kVcpu) {
    *err = ENODEV;  // no mmap file operation
    return MAP_FAILED;
  }
  // The vCPU's two pages inside the VM's region of its arena: page 0 kvm_run, page 1 the (empty)
  // coalesced-MMIO ring. A mapping beyond them is refused rather than showing the next
  // vCPU's page (Linux would SIGBUS on access there).
  if (offset < 0 || static_cast<uint64_t>(offset) + len > static_cast<uint64_t>(kVcpuMmapSize)) {
    *err = EINVAL;
    return MAP_FAILED;
  }
  f->vm->touched.store(true);
  void* p = sys_mmap(addr, len, prot, flags, fd, f->vm->region_offset + f->vcpu->index * kVcpuMmapSize + offset);
  if (p == MAP_FAILED) {
    *err = errno;
    return p;
  }
  // Page 1 is the VM's coalesced MMIO ring, one page for every vCPU (kvm->coalesced_mmio_ring):
  // the first vCPU pair's second page of the region.
  if (f->vcpu->index != 0 && offset + static_cast<long>(len) > kPageSize) {
    uint8_t* ring_at = static_cast<uint8_t*>(p) + (offset < kPageSize ? kPageSize - offset : 0);
    if (sys_mmap(ring_at, kPageSize, prot, flags | MAP_FIXED, fd, f->vm->region_offset + kPageSize) == MAP_FAILED) {
      *err = errno;
      munmap(p, len);
      return MAP_FAILED;
    }
  }
  return p;
}

int Dev::close(int fd) {
  std::shared_ptr<File> f;
  {
    std::lock_guard lk(s_->m);
    const auto it = s_->files.find(fd);
    if (it == s_->files.end()) return -EBADF;
    f = std::move(it->second);
    s_->files.erase(it);
  }
  sys_close(fd);
  if (s_->trace) s_->trace("close(" + std::to_string(fd) + ") = 0");
  return 0;  // the VM goes when the last File referring to it does
}

bool Dev::owns(int fd) const { return s_->find(fd) != nullptr; }
void Dev::set_trace(TraceFn fn) { s_->trace = std::move(fn); }
void Dev::set_pending_signals(PendingSignalsFn fn) { s_->pending_signals = std::move(fn); }
void Dev::set_eventfd_resolver(EventfdResolver r) { s_->eventfds = std::move(r); }
const Options& Dev::options() const { return s_->opts; }
void Dev::set_vmm_pcpu(uint32_t pcpu) { s_->opts.vmm_pcpu = pcpu; }

void Dev::set_host_page_gate(cpu::HostPageGate* g) {
  std::lock_guard lk(s_->m);
  s_->gate = g;
  for (const auto& [fd, f] : s_->files)
    if (f->vm != nullptr) f->vm->vm->set_host_page_gate(g);
}

void Dev::host_pages_dropped(const void* h, uint64_t len) {
  std::set<VmObj*> seen;
  std::lock_guard lk(s_->m);
  for (const auto& [fd, f] : s_->files)
    if (f->vm != nullptr && seen.insert(f->vm.get()).second) f->vm->vm->host_pages_dropped(static_cast<const uint8_t*>(h), len);
}

Vm* Dev::vm_of(int fd) {
  const auto f = s_->find(fd);
  return f != nullptr && f->vm != nullptr ? f->vm->vm.get() : nullptr;
}
Vcpu* Dev::vcpu_of(int fd) {
  const auto f = s_->find(fd);
  return f != nullptr && f->vcpu != nullptr ? f->vcpu->v : nullptr;
}

}  // namespace kvm_model::abi
