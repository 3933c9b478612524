// The /dev/kvm ABI over the KVM model: file descriptors, copy_from_user/copy_to_user, the
// request numbers and structs of Linux's arm64 UAPI (the model itself is the kernel side).
// Dispatch follows Linux's: kvm_dev_ioctl (system fd), kvm_vm_ioctl then
// kvm_arch_vm_ioctl (VM fd), kvm_vcpu_ioctl then kvm_arch_vcpu_ioctl (vCPU fd),
// kvm_device_ioctl (device fd), each with its default errno for an unknown request.
#include "kvm_model/kvm.h"
// After the model's headers: the UAPI's macros (KVM_EXIT_MMIO, ...) would otherwise rename
// the model's constants of the same names and values.
#include "kvm_model/abi/abi.h"
#include "pmuemu/kvm.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstring>
#include <map>
#include <set>
#include <mutex>
#include <vector>

#include "cpu/sysreg/sysregs.h"
#include "kvm_model/abi/regs.h"
#include "kvm_model/abi/sys.h"

namespace kvm_model::abi {
namespace {

constexpr long kPageSize = 4096;
// KVM_GET_VCPU_MMAP_SIZE on arm64: the kvm_run page and the coalesced MMIO ring page.
constexpr long kVcpuMmapSize = 2 * kPageSize;
constexpr int kApiVersion = 12;  // KVM_API_VERSION
constexpr unsigned kMaxVcpus = 512;  // kvm_arm_default_max_vcpus() with a GICv3
constexpr unsigned kUserMemSlots = 32764;  // KVM_USER_MEM_SLOTS (SHRT_MAX - internal slots)
constexpr unsigned kIpaMin = 32, kIpaDefault = 40;
constexpr uint32_t kMemFlagsV1 = KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY;

bool era_at_least_6_8(vpmu::Era e) { return vpmu::policy(e).uapi_6_8; }
// The ioctls and capabilities of Linux 6.8+ (USER_MEMORY2, the writable ID masks): the
// newest era's, or every era's with Options::newest_uapi.
bool uapi_6_8(const Options& o) { return o.newest_uapi || era_at_least_6_8(o.era); }



// Where the kvm_run pages live. Creating a memfd, sizing it and mapping it for every VM cost
// more than the rest of KVM_CREATE_VM together, so VMs take regions of an arena instead: a
// sparse memfd (untouched pages cost nothing) of kArenaRegions regions of kRegionBytes,
// mapped once by the model. A region is never handed out twice: a VMM may keep a vCPU's
// kvm_run mapping after closing every fd (valid until munmap, as in Linux), and must never
// see another VM's page through it. A full arena is left to its VMs; its mapping and memfd
// go with the last of them (the memfd itself lives on in any user mapping).
constexpr off_t kRegionBytes = off_t{kMaxVcpus} * kVcpuMmapSize;  // 4 MiB
constexpr unsigned kArenaRegions = 64;                             // 256 MiB of address space
constexpr off_t kArenaBytes = kRegionBytes * kArenaRegions;

struct Arena {
  // Whether this process made it. `pmuemu user` forks (one child per get-reg-list
  // configuration): a child inherits the State and this arena, whose file it shares with
  // its parent, so it takes its regions from an arena of its own and never punches holes
  // in the parent's. The test is a private page a fork wipes (MADV_WIPEONFORK, Linux 4.14):
  // it reads 1 in the arena's own process and 0 in a child, without a getpid() system call
  // per VM; where the kernel refuses the advice, the pid is compared instead.
  pid_t pid = 0;
  volatile uint8_t* mark = nullptr;
  int fd = -1;
  uint8_t* map = nullptr;
  unsigned used = 0;  // regions handed out
  bool mine() const { return mark != nullptr ? *mark != 0 : getpid() == pid; }
  ~Arena() {
    if (map != nullptr) munmap(map, static_cast<size_t>(kArenaBytes));
    if (mark != nullptr) munmap(const_cast<uint8_t*>(mark), kPageSize);
    if (fd >= 0) sys_close(fd);
  }
};

struct Slot {
  uint32_t flags;
  uint64_t gpa, size, uaddr;
  // KVM_MEM_LOG_DIRTY_PAGES: memslot->dirty_bitmap, shared with the cores.
  std::shared_ptr<cpu::DirtyBitmap> dirty = nullptr;
  // The slot's log wants every page protected when it is next applied to RAM (KVM
  // write-protects the whole slot when logging starts without INITIALLY_SET).
  bool protect_all = false;
  void mark_dirty(uint64_t gpa_at, uint64_t len) const {
    if (dirty != nullptr && len != 0) dirty->mark_range((gpa_at - gpa) / kPageSize, (gpa_at + len - 1 - gpa) / kPageSize);
  }
};

struct VcpuData {
  unsigned id;
  Vcpu* v;
  unsigned index;    // creation order: its kvm_run page is page pair `index` of the VM's memfd
  kvm_run* run;      // the model's own MAP_SHARED mapping of it
  VcpuExtra extra;
  // KVM_SET_SIGNAL_MASK: the signals blocked while KVM_RUN runs (vcpu->sigset), in the
  // kernel's 64-bit sigset_t layout (bit n-1 for signal n).
  bool has_sigmask = false;
  uint64_t sigmask = 0;
  std::mutex m;      // vcpu->mutex: one ioctl at a time per vCPU
};

struct VmObj {
  std::mutex m;  // kvm->lock / slots_lock: VM-scoped ioctls
  // The model's RAM when the first vCPU came before any memory slot: one zeroed page of
  // this VM's own (declared before `vm`, which points at it, so it outlives it).
  std::unique_ptr<uint8_t[]> stand_in_ram;
  std::unique_ptr<Vm> vm;
  unsigned ipa_bits = kIpaDefault;
  std::map<uint16_t, Slot> slots;
  // The slots by guest address (they never overlap), for the overlap check of a new or
  // moved slot in O(log n): a VM may have 32764 of them (KVM_CAP_NR_MEMSLOTS).
  std::map<uint64_t, uint16_t> by_gpa;
  // The cores' copy of the slot list is older than `slots`: rebuilt before they next run
  // (KVM_RUN) or a vCPU is created, not on every change, since rebuilding it is O(n) and a
  // VMM may change thousands of slots before it runs a vCPU. The logs of slots changed
  // since then stay alive until that rebuild: the cores' old list points at them.
  bool slots_stale = false;
  std::vector<std::shared_ptr<cpu::DirtyBitmap>> retired_logs;
  // KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2's options (kvm->manual_dirty_log_protect).
  uint64_t manual_dirty_log = 0;
  // KVM_CAP_ARM_NISV_TO_USER enabled (KVM_ARCH_FLAG_RETURN_NISV_IO_ABORT_TO_USER): an
  // access without syndrome exits as KVM_EXIT_ARM_NISV; otherwise KVM_RUN fails with
  // ENOSYS (io_mem_abort()).
  bool nisv_to_user = false;
  int backing_slot = -1;  // the slot the model's RAM is (the first one created)
  // The backing slot was deleted while vCPUs exist (a VMM tearing the VM down, as
  // kvm_vm_free() in the selftests does): the model's cores still point at that memory, so
  // no vCPU may run again (KVM_RUN: -EFAULT, as Linux gives a vCPU whose memory is gone).
  bool ram_deleted = false;
  std::vector<std::unique_ptr<VcpuData>> vcpus;
  bool has_run() const {
    for (const auto& v : vcpus)
      if (v->v->has_run()) return true;
    return false;
  }
  RegCtx ctx(VcpuData& vc) { return RegCtx{*vc.v, vm->smccc(), vc.extra, has_run()}; }
  // The VM's region of an arena: every vCPU's kvm_run page pair (index i at
  // region_offset + i * kVcpuMmapSize). VM, vCPU and device fds are dups of the arena's
  // memfd, so creating any of them costs one dup(2).
  std::shared_ptr<Arena> arena;
  off_t region_offset = 0;
  uint8_t* runs = nullptr;
  // A kvm_run page of the region may hold memory: the model touches one only in KVM_RUN,
  // a VMM only through an mmap of a vCPU fd.
  std::atomic<bool> touched{false};
  ~VmObj() {
    // Give the touched kvm_run pages back. Only the process that allocated the region may:
    // a forked child shares the parent's arena file, and the region is the parent's VM.
    if (arena != nullptr && touched.load() && !vcpus.empty() && arena->mine())
      fallocate(arena->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, region_offset,
                static_cast<off_t>(vcpus.size()) * kVcpuMmapSize);
  }
};

// A KVM_DEV_TYPE_ARM_VGIC_ITS device (vgic-its.c): the model's ITS of this index.
struct ItsDev {
  unsigned index;
};

enum class Kind : uint8_t { kSystem, kVm, kVcpu, kDevice };
struct File {
  Kind kind;
  std::shared_ptr<VmObj> vm;  // VM, vCPU and device fds keep the VM alive
  VcpuData* vcpu = nullptr;
  std::shared_ptr<ItsDev> its = nullptr;  // a device fd of an ITS (else the vGICv3's)
};

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

struct State {
  Options opts;
  Kvm kvm;
  mutable std::mutex m;  // the fd table
  std::map<int, std::shared_ptr<File>> files;
  std::shared_ptr<Arena> arena;  // where the next VM's region comes from (guarded by m)
  TraceFn trace;
  cpu::HostPageGate* gate = nullptr;  // Dev::set_host_page_gate, for every VM
  PendingSignalsFn pending_signals;
  explicit State(Options o) : opts(std::move(o)), kvm(opts.host, opts.era) {}

  std::shared_ptr<File> find(int fd) const {
    std::lock_guard lk(m);
    const auto it = files.find(fd);
    return it == files.end() ? nullptr : it->second;
  }
  int install(std::shared_ptr<File> f, int fd) {
    std::lock_guard lk(m);
    files[fd] = std::move(f);
    return fd;
  }

  // copy_from_user / copy_to_user: a fault gives -EFAULT, never a crash.
  int copy_in(void* dst, unsigned long src, size_t n) const {
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
  int copy_out(unsigned long dst, const void* src, size_t n) const {
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
  template <typename T>
  int get(T& out, unsigned long src) const { return copy_in(&out, src, sizeof(T)); }
  template <typename T>
  int put(unsigned long dst, const T& v) const { return copy_out(dst, &v, sizeof(T)); }

  // One real fd per KVM file: its number is unique in the process and a vCPU's can be
  // mapped with mmap(2) as the kvm_run page.
  static int new_fd(const char* name, off_t size) {
    const int fd = memfd_create(name, MFD_CLOEXEC);
    if (fd < 0) return -errno;
    if (size != 0 && ftruncate(fd, size) != 0) {
      const int e = errno;
      sys_close(fd);
      return -e;
    }
    return fd;
  }

  int take_region(VmObj& vm);
  long dispatch(int fd, unsigned long req, unsigned long arg, bool traced);
  long sys_ioctl(unsigned long req, unsigned long arg);
  long vm_ioctl(const std::shared_ptr<VmObj>& vm, unsigned long req, unsigned long arg);
  long vcpu_ioctl(VmObj& vm, VcpuData& vc, unsigned long req, unsigned long arg);
  long device_ioctl(VmObj& vm, unsigned long req, unsigned long arg);
  long vgic_regs_attr(VmObj& vm, unsigned long req, const kvm_device_attr& attr);
  long its_ioctl(VmObj& vm, ItsDev& its, unsigned long req, unsigned long arg);

  long check_extension(const VmObj* vm, long cap) const;
  long create_vm(unsigned long type);
  long set_memory_region(VmObj& vm, const kvm_userspace_memory_region2& mem);
  long update_memory_region(VmObj& vm, const kvm_userspace_memory_region2& mem);
  long create_vcpu(const std::shared_ptr<VmObj>& vm, unsigned long id);
  long create_device(const std::shared_ptr<VmObj>& vm, unsigned long arg);
  long irq_line(VmObj& vm, unsigned long arg);
  long one_reg(VmObj& vm, VcpuData& vc, bool set, unsigned long arg);
  long reg_list(VmObj& vm, VcpuData& vc, unsigned long arg);
  long run(VmObj& vm, VcpuData& vc);
  bool serve_slot_access(VmObj& vm, VcpuData& vc);
  long get_dirty_log(VmObj& vm, unsigned long arg);
  bool signal_pending(const VcpuData& vc) const;
  long clear_dirty_log(VmObj& vm, unsigned long arg);
};

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
      return 1;
    // kvm_vm_ioctl_check_extension_generic(): arm64 selects
    // CONFIG_KVM_GENERIC_DIRTYLOG_READ_PROTECT and defines KVM_DIRTY_LOG_MANUAL_CAPS with
    // INITIALLY_SET (every era from 6.6 to 6.16).
    case KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2:
      return KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET;
    case KVM_CAP_MSI_DEVID:
      // An ITS makes MSIs carry a DeviceID (kvm->arch.vgic.msis_require_devid).
      if (vm == nullptr) return -EINVAL;
      return vm->vm->num_its() != 0 ? 1 : 0;
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
      // Not modelled: SVE, pointer authentication, MTE, guest debug, the counter offset,
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

// ---------------- VM fd ----------------
// The model's cores reach every slot but their RAM through this list (walks, fetches,
// data accesses), as Linux's stage 2 maps every memslot. Called with the VM's lock held
// and no vCPU running, before the cores next use it (KVM_RUN, vCPU creation).
static void sync_slot_list(VmObj& vm) {
  if (!vm.slots_stale) return;
  std::vector<cpu::SlotRegion> regions;
  regions.reserve(vm.slots.size());
  for (const auto& [id, s] : vm.slots)
    if (static_cast<int>(id) != vm.backing_slot)
      regions.push_back({s.gpa, s.size, reinterpret_cast<uint8_t*>(s.uaddr), (s.flags & KVM_MEM_READONLY) != 0, s.dirty.get()});
  vm.vm->set_memory_slots(std::move(regions));
  vm.slots_stale = false;
  vm.retired_logs.clear();
}

// After a slot change: the cores' list is rebuilt later (sync_slot_list); the RAM's log,
// which the model's own writes to RAM mark at once, is applied now (O(1)).
static void sync_slots(VmObj& vm) {
  vm.slots_stale = true;
  // The model's RAM logs through its pages' flags (cpu::PhysMem::set_dirty_log).
  cpu::PhysMem* ram = vm.vm->mem();
  if (ram == nullptr) return;
  const auto b = vm.slots.find(static_cast<uint16_t>(vm.backing_slot));
  Slot* const bs = vm.backing_slot >= 0 && b != vm.slots.end() ? &b->second : nullptr;
  const std::shared_ptr<cpu::DirtyBitmap> log = bs != nullptr ? bs->dirty : nullptr;
  if (log != ram->dirty_log() || (bs != nullptr && bs->protect_all)) ram->set_dirty_log(log, bs != nullptr && bs->protect_all);
  if (bs != nullptr) bs->protect_all = false;
}

// kvm_prepare_memory_region() and kvm_arch_commit_memory_region() for the log of a slot
// being created, moved or changed: none without KVM_MEM_LOG_DIRTY_PAGES; the old one when
// there is one; else a new one, all pages dirty under KVM_DIRTY_LOG_INITIALLY_SET. Logging
// write-protects the whole slot, except with INITIALLY_SET, where KVM_CLEAR_DIRTY_LOG
// protects the pages it clears.
static void start_dirty_log(const VmObj& vm, Slot& s, std::shared_ptr<cpu::DirtyBitmap> old) {
  if (!(s.flags & KVM_MEM_LOG_DIRTY_PAGES)) {
    s.dirty = nullptr;
    s.protect_all = false;
    return;
  }
  const bool init_set = (vm.manual_dirty_log & KVM_DIRTY_LOG_INITIALLY_SET) != 0;
  s.dirty = old != nullptr ? std::move(old) : std::make_shared<cpu::DirtyBitmap>(s.size / kPageSize, init_set);
  s.protect_all = !init_set;
}

long State::set_memory_region(VmObj& vm, const kvm_userspace_memory_region2& mem) {
  // The cores hold the slot's log by plain pointer until sync_slots replaces their list.
  const auto old = vm.slots.find(static_cast<uint16_t>(mem.slot));
  std::shared_ptr<cpu::DirtyBitmap> keep = old != vm.slots.end() ? old->second.dirty : nullptr;
  const long rc = update_memory_region(vm, mem);
  if (rc == 0) {
    if (keep != nullptr) vm.retired_logs.push_back(std::move(keep));
    sync_slots(vm);
  }
  return rc;
}

long State::update_memory_region(VmObj& vm, const kvm_userspace_memory_region2& mem) {
  // check_memory_region_flags(): no guest_memfd on arm64.
  if (mem.flags & ~(KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY)) return -EINVAL;
  const uint16_t id = static_cast<uint16_t>(mem.slot);
  const uint32_t as_id = mem.slot >> 16;
  if ((mem.memory_size | mem.guest_phys_addr | mem.userspace_addr) & (kPageSize - 1)) return -EINVAL;
  if (mem.memory_size != 0 && mem.userspace_addr == 0) return -EINVAL;  // !access_ok()
  if (mem.userspace_addr + mem.memory_size < mem.userspace_addr) return -EINVAL;
  if (as_id >= 1 || id >= kUserMemSlots) return -EINVAL;
  if (mem.guest_phys_addr + mem.memory_size < mem.guest_phys_addr) return -EINVAL;
  const auto old = vm.slots.find(id);
  if (mem.memory_size == 0) {
    if (old == vm.slots.end()) return -EINVAL;
    // The model's RAM stays mapped in the cores once vCPUs exist (docs/kvm-api.md): its
    // deletion then stops the vCPUs from running rather than unmapping it under them.
    if (id == vm.backing_slot && !vm.vm->vcpus().empty()) vm.ram_deleted = true;
    if (id == vm.backing_slot) vm.backing_slot = -1;
    vm.by_gpa.erase(old->second.gpa);
    vm.slots.erase(old);
    return 0;
  }
  bool move = false;
  if (old != vm.slots.end()) {
    const Slot& o = old->second;
    if (mem.userspace_addr != o.uaddr || mem.memory_size != o.size || ((mem.flags ^ o.flags) & KVM_MEM_READONLY))
      return -EINVAL;
    if (mem.guest_phys_addr == o.gpa) {
      // KVM_MR_FLAGS_ONLY (dirty logging on or off) or nothing.
      if (mem.flags != o.flags) {
        old->second.flags = mem.flags;
        start_dirty_log(vm, old->second, o.dirty);
      }
      return 0;
    }
    move = true;
    if (id == vm.backing_slot && !vm.vm->vcpus().empty()) return -EBUSY;
  }
  // Slots never overlap, so ordered by address they are ordered by end too: of the other
  // slots that start below the new end, only the highest can reach past the new start.
  for (auto it = vm.by_gpa.lower_bound(mem.guest_phys_addr + mem.memory_size); it != vm.by_gpa.begin();) {
    --it;
    if (it->second == id) continue;
    const Slot& s = vm.slots.at(it->second);
    if (s.gpa + s.size > mem.guest_phys_addr) return -EEXIST;
    break;
  }
  // kvm_arch_prepare_memory_region(): inside the VM's IPA space.
  if (mem.guest_phys_addr + mem.memory_size > (uint64_t{1} << vm.ipa_bits)) return -EFAULT;
  Slot s{mem.flags, mem.guest_phys_addr, mem.memory_size, mem.userspace_addr};
  // A moved slot keeps its log (kvm_prepare_memory_region() reuses the old bitmap).
  start_dirty_log(vm, s, move ? old->second.dirty : nullptr);
  // The model's RAM: the first writable slot created before any vCPU exists. Other slots
  // (and read-only ones) are served at their exits, in the ABI layer.
  const bool backs = vm.vm->mem() == nullptr && !(mem.flags & KVM_MEM_READONLY) && vm.vm->vcpus().empty();
  if (backs || (move && id == vm.backing_slot)) {
    if (int rc = vm.vm->set_user_memory_region(0, s.gpa, s.size, reinterpret_cast<uint8_t*>(s.uaddr)); rc != 0)
      return rc;
    vm.backing_slot = id;
  }
  if (move) vm.by_gpa.erase(old->second.gpa);
  vm.by_gpa[s.gpa] = id;
  vm.slots[id] = s;
  return 0;
}

long State::create_vcpu(const std::shared_ptr<VmObj>& vm, unsigned long id) {
  if (id >= kMaxVcpus) return -EINVAL;
  for (const auto& v : vm->vcpus)
    if (v->id == id) return -EEXIST;
  // kvm_arch_vcpu_precreate(): not once the vGIC is initialised.
  if (vm->vm->vgic() != nullptr) return -EBUSY;
  if (vm->vm->mem() == nullptr) {
    // No RAM slot yet: the model's cores still need a memory. Give them one page of the
    // VM's own at the top of its IPA space, where no slot a VMM creates later is likely to
    // be shadowed by it; every other guest access is served through the slots.
    vm->stand_in_ram = std::make_unique<uint8_t[]>(kPageSize);  // value-initialised: zeros
    const uint64_t top = (uint64_t{1} << vm->ipa_bits) - kPageSize;
    if (int rc = vm->vm->set_user_memory_region(0, top, kPageSize, vm->stand_in_ram.get()); rc != 0) return rc;
  }
  const int fd = dup(vm->arena->fd);
  if (fd < 0) return -errno;
  Vcpu* v = nullptr;
  if (int rc = vm->vm->create_vcpu(static_cast<unsigned>(id), v); rc != 0) {
    sys_close(fd);
    return rc;
  }
  auto data = std::make_unique<VcpuData>();
  data->id = static_cast<unsigned>(id);
  data->v = v;
  data->index = static_cast<unsigned>(vm->vcpus.size());
  data->run = reinterpret_cast<kvm_run*>(vm->runs + data->index * kVcpuMmapSize);
  VcpuData* raw = data.get();
  vm->vcpus.push_back(std::move(data));
  return install(std::make_shared<File>(File{Kind::kVcpu, vm, raw}), fd);
}

long State::create_device(const std::shared_ptr<VmObj>& vm, unsigned long arg) {
  kvm_create_device cd;
  if (int rc = get(cd, arg); rc != 0) return rc;
  // kvm_ioctl_create_device(): the type must exist; KVM_CREATE_DEVICE_TEST only asks.
  if (cd.type != KVM_DEV_TYPE_ARM_VGIC_V3 && cd.type != KVM_DEV_TYPE_ARM_VGIC_ITS) return -ENODEV;
  if (cd.flags & KVM_CREATE_DEVICE_TEST) return 0;
  if (cd.type == KVM_DEV_TYPE_ARM_VGIC_ITS) {
    // vgic_its_create(): any number of ITSes, each with its own fd.
    const int fd = dup(vm->arena->fd);
    if (fd < 0) return -errno;
    cd.fd = static_cast<uint32_t>(fd);
    if (int rc = put(arg, cd); rc != 0) {
      sys_close(fd);
      return rc;
    }
    install(std::make_shared<File>(File{Kind::kDevice, vm, nullptr, std::make_shared<ItsDev>(ItsDev{vm->vm->create_its()})}), fd);
    return 0;
  }
  if (int rc = vm->vm->create_device(cd.type); rc != 0) return rc;
  const int fd = dup(vm->arena->fd);
  if (fd < 0) return -errno;
  cd.fd = static_cast<uint32_t>(fd);
  if (int rc = put(arg, cd); rc != 0) {
    sys_close(fd);
    return rc;  // the device stays created, as in Linux
  }
  install(std::make_shared<File>(File{Kind::kDevice, vm, nullptr}), fd);
  return 0;  // the fd is in the struct
}

long State::irq_line(VmObj& vm, unsigned long arg) {
  kvm_irq_level il;
  if (int rc = get(il, arg); rc != 0) return rc;
  const uint32_t irq = il.irq;
  const unsigned type = (irq >> KVM_ARM_IRQ_TYPE_SHIFT) & KVM_ARM_IRQ_TYPE_MASK;
  const unsigned vcpu_idx = ((irq >> KVM_ARM_IRQ_VCPU_SHIFT) & KVM_ARM_IRQ_VCPU_MASK) |
                            (((irq >> KVM_ARM_IRQ_VCPU2_SHIFT) & KVM_ARM_IRQ_VCPU2_MASK) << 8);
  const unsigned num = (irq >> KVM_ARM_IRQ_NUM_SHIFT) & KVM_ARM_IRQ_NUM_MASK;
  auto vcpu_at = [&](unsigned idx) -> VcpuData* {
    return idx < vm.vcpus.size() ? vm.vcpus[idx].get() : nullptr;  // kvm_get_vcpu(): by index
  };
  const bool in_kernel = vm.vm->vgic_created();
  switch (type) {
    case KVM_ARM_IRQ_TYPE_CPU: {
      if (in_kernel) return -ENXIO;
      VcpuData* vc = vcpu_at(vcpu_idx);
      if (vc == nullptr) return -EINVAL;
      if (num > KVM_ARM_IRQ_CPU_FIQ) return -EINVAL;
      return vc->v->irq_line(num, il.level != 0);
    }
    case KVM_ARM_IRQ_TYPE_PPI: {
      if (!in_kernel) return -ENXIO;
      VcpuData* vc = vcpu_at(vcpu_idx);
      if (vc == nullptr) return -EINVAL;
      if (num < 16 || num >= 32) return -EINVAL;
      if (vm.vm->vgic() == nullptr) return -EBUSY;  // vgic_lazy_init(): a GICv3 is not lazy
      const auto lk = vm.vm->lock();
      vm.vm->vgic()->set_irq_level(vc->id, num, il.level != 0);
      return 0;
    }
    case KVM_ARM_IRQ_TYPE_SPI: {
      if (!in_kernel) return -ENXIO;
      if (vm.vm->vgic() == nullptr) return -EBUSY;
      if (num < 32 || num >= vm.vm->vgic()->num_irqs()) return -EINVAL;
      const auto lk = vm.vm->lock();
      vm.vm->vgic()->set_irq_level(0, num, il.level != 0);
      return 0;
    }
    default:
      return -EINVAL;
  }
}

long State::vm_ioctl(const std::shared_ptr<VmObj>& vmp, unsigned long req, unsigned long arg) {
  VmObj& vm = *vmp;
  std::lock_guard lk(vm.m);
  switch (req) {
    case KVM_CREATE_VCPU:
      return create_vcpu(vmp, arg);
    case KVM_CHECK_EXTENSION:
      return check_extension(&vm, static_cast<long>(arg));
    case KVM_ENABLE_CAP: {
      kvm_enable_cap cap;
      if (int rc = get(cap, arg); rc != 0) return rc;
      if (cap.flags) return -EINVAL;
      // kvm_vm_ioctl_enable_cap(): the arm64 capabilities a VMM can enable.
      if (cap.cap == KVM_CAP_ARM_NISV_TO_USER) {
        vm.nisv_to_user = true;
        return 0;
      }
      if (cap.cap == KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) {
        // kvm_vm_ioctl_enable_cap_generic(): INITIALLY_SET only with PROTECT_ENABLE.
        const uint64_t caps = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET;
        const uint64_t allowed = (cap.args[0] & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE) ? caps : KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
        if (cap.args[0] & ~allowed) return -EINVAL;
        vm.manual_dirty_log = cap.args[0];
        return 0;
      }
      if (cap.cap == KVM_CAP_ARM_SYSTEM_SUSPEND) {
        // KVM_ARCH_FLAG_SYSTEM_SUSPEND_ENABLED: PSCI SYSTEM_SUSPEND exits to the VMM.
        vm.vm->smccc().system_suspend = true;
        return 0;
      }
      return -EINVAL;
    }
    case KVM_HAS_DEVICE_ATTR:
    case KVM_SET_DEVICE_ATTR: {
      // kvm_vm_has_attr() / kvm_vm_set_attr(): the SMCCC filter is the arm64 VM attribute.
      kvm_device_attr at;
      if (int rc = get(at, arg); rc != 0) return rc;
      if (at.group != KVM_ARM_VM_SMCCC_CTRL || at.attr != KVM_ARM_VM_SMCCC_FILTER) return -ENXIO;
      if (req == KVM_HAS_DEVICE_ATTR) return 0;
      kvm_smccc_filter f;
      if (int rc = get(f, at.addr); rc != 0) return rc;
      for (uint8_t b : f.pad)
        if (b != 0) return -EINVAL;
      return vm.vm->set_smccc_filter(f.base, f.nr_functions, f.action);
    }
    case KVM_SET_USER_MEMORY_REGION:
    case KVM_SET_USER_MEMORY_REGION2: {
      kvm_userspace_memory_region2 mem{};
      if (req == KVM_SET_USER_MEMORY_REGION2) {
        if (!uapi_6_8(opts)) return -ENOTTY;
        if (int rc = get(mem, arg); rc != 0) return rc;
      } else {
        if (int rc = copy_in(&mem, arg, sizeof(kvm_userspace_memory_region)); rc != 0) return rc;
        if (mem.flags & ~kMemFlagsV1) return -EINVAL;
      }
      return set_memory_region(vm, mem);
    }
    case KVM_GET_DIRTY_LOG:
      return get_dirty_log(vm, arg);
    case KVM_CLEAR_DIRTY_LOG:
      return clear_dirty_log(vm, arg);
    case KVM_CREATE_DEVICE:
      return create_device(vmp, arg);
    case KVM_IRQ_LINE:
      return irq_line(vm, arg);
    case KVM_SIGNAL_MSI: {
      kvm_msi msi;
      if (int rc = get(msi, arg); rc != 0) return rc;
      return vm.vm->signal_msi((uint64_t{msi.address_hi} << 32) | msi.address_lo, msi.data, msi.devid, msi.flags);
    }
    case KVM_ARM_PREFERRED_TARGET: {
      kvm_vcpu_init init{};
      init.target = KVM_ARM_TARGET_GENERIC_V8;
      return put(arg, init);
    }
    case KVM_ARM_GET_REG_WRITABLE_MASKS: {
      if (!uapi_6_8(opts)) return -EINVAL;  // kvm_arch_vm_ioctl() default
      reg_mask_range range;
      if (int rc = get(range, arg); rc != 0) return rc;
      if (range.range != KVM_ARM_FEATURE_ID_RANGE) return -EINVAL;
      for (uint32_t r : range.reserved)
        if (r != 0) return -EINVAL;
      std::vector<uint64_t> masks(KVM_ARM_FEATURE_ID_RANGE_SIZE, 0);
      writable_id_masks(vm.vm->era(), masks);
      return copy_out(range.addr, masks.data(), masks.size() * sizeof(uint64_t));
    }
    default:
      return -EINVAL;  // kvm_arch_vm_ioctl()
  }
}

// The dirty log of the memslot the dirty-log ioctls name (address space in bits 31:16, which
// must be 0 on arm64): -EINVAL for a bad id, -ENOENT for a slot that does not log.
static long logged_slot(VmObj& vm, uint32_t slot, cpu::DirtyBitmap*& out) {
  const uint32_t as_id = slot >> 16;
  const uint16_t id = static_cast<uint16_t>(slot);
  if (as_id >= 1 || id >= kUserMemSlots) return -EINVAL;
  const auto it = vm.slots.find(id);
  if (it == vm.slots.end() || it->second.dirty == nullptr) return -ENOENT;
  out = it->second.dirty.get();
  return 0;
}

// kvm_get_dirty_log_protect(): the slot's bitmap, rounded up to 64-bit words. Without
// manual protection the bits are taken (cleared) and their pages protected again, so the
// next write to them logs anew; with it, the log is only read and KVM_CLEAR_DIRTY_LOG does
// that. A bad destination gives -EFAULT and puts the taken bits back, so no bit is lost
// (Linux would lose them).
long State::get_dirty_log(VmObj& vm, unsigned long arg) {
  kvm_dirty_log log;
  if (int rc = get(log, arg); rc != 0) return rc;
  cpu::DirtyBitmap* slot_log = nullptr;
  if (long rc = logged_slot(vm, log.slot, slot_log); rc != 0) return rc;
  cpu::DirtyBitmap& bm = *slot_log;
  const uint16_t id = static_cast<uint16_t>(log.slot);
  const unsigned long dst = reinterpret_cast<unsigned long>(log.dirty_bitmap);
  std::vector<uint64_t> words(bm.word_count());
  const size_t bytes = words.size() * sizeof(uint64_t);
  const bool ram = static_cast<int>(id) == vm.backing_slot && vm.vm->mem() != nullptr;
  for (uint64_t w = 0; w < words.size(); ++w) {
    if (vm.manual_dirty_log & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE) {
      words[w] = bm.word(w).load(std::memory_order_relaxed);
      continue;
    }
    words[w] = bm.word(w).exchange(0, std::memory_order_relaxed);
    if (ram && words[w] != 0) vm.vm->mem()->protect_for_log(w, words[w]);
  }
  if (int rc = copy_out(dst, words.data(), bytes); rc != 0) {
    if (!(vm.manual_dirty_log & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE))
      for (uint64_t w = 0; w < words.size(); ++w) bm.word(w).fetch_or(words[w], std::memory_order_relaxed);
    return rc;
  }
  return 0;
}

// kvm_clear_dirty_log_protect(): clears the bits the caller's bitmap sets in
// [first_page, first_page + num_pages) and protects those pages again. first_page must be
// a multiple of 64, and num_pages too unless the range ends at the end of the slot.
long State::clear_dirty_log(VmObj& vm, unsigned long arg) {
  kvm_clear_dirty_log log;
  if (int rc = get(log, arg); rc != 0) return rc;
  // Both -EINVAL, so checking first_page before the slot id gives the same answers.
  if (log.first_page & 63) return -EINVAL;
  cpu::DirtyBitmap* slot_log = nullptr;
  if (long rc = logged_slot(vm, log.slot, slot_log); rc != 0) return rc;
  cpu::DirtyBitmap& bm = *slot_log;
  const uint16_t id = static_cast<uint16_t>(log.slot);
  const uint64_t npages = bm.pages();
  if (log.first_page > npages || log.num_pages > npages - log.first_page ||
      (log.num_pages < npages - log.first_page && (log.num_pages & 63)))
    return -EINVAL;
  std::vector<uint64_t> mask((uint64_t{log.num_pages} + 63) / 64);
  if (copy_in(mask.data(), reinterpret_cast<unsigned long>(log.dirty_bitmap), mask.size() * sizeof(uint64_t)) != 0)
    return -EFAULT;
  const bool ram = static_cast<int>(id) == vm.backing_slot && vm.vm->mem() != nullptr;
  for (uint64_t k = 0; k < mask.size(); ++k) {
    if (mask[k] == 0) continue;
    const uint64_t w = log.first_page / 64 + k;
    // Bits beyond the slot's last page (a final partial word) name no page.
    const uint64_t cleared = mask[k] & bm.word(w).fetch_and(~mask[k], std::memory_order_relaxed) & bm.full_word(w);
    if (ram && cleared != 0) vm.vm->mem()->protect_for_log(w, cleared);
  }
  return 0;
}

// ---------------- vCPU fd ----------------
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
    ur->exit_reason = KVM_EXIT_INTR;
    ur->flags = 0;
    return -EINTR;
  }
  long rc;
  for (;;) {
    rc = vc.v->run();
    if (rc == 0 && r.exit_reason == KVM_EXIT_MMIO && serve_slot_access(vm, vc)) {
      vc.v->complete_pending_mmio();
      continue;
    }
    break;
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

// ---------------- device fd (vGICv3) ----------------
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
  std::vector<std::unique_lock<std::mutex>> held;
  for (const auto& vc : vm.vcpus) {
    std::unique_lock vlk(vc->m, std::try_to_lock);
    if (!vlk.owns_lock()) return -EBUSY;  // a vCPU is inside an ioctl (KVM_RUN)
    held.push_back(std::move(vlk));
  }
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
  auto all_vcpus_idle = [&vm] {
    for (const auto& vc : vm.vcpus) {
      std::unique_lock vlk(vc->m, std::try_to_lock);
      if (!vlk.owns_lock()) return false;
    }
    return true;
  };
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
  if (p == MAP_FAILED) *err = errno;
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
