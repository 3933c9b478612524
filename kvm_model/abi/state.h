// The kernel side of the /dev/kvm ABI, shared by the files that implement it: the fd table
// (State), the objects behind VM, vCPU and device fds, memory slots, the kvm_run arena and
// the checked user copies. abi.cpp holds the system fd and Dev, vm_ioctl.cpp the VM fd
// (memory slots, dirty logs, vCPU and device creation), vcpu_ioctl.cpp the vCPU fd
// (ONE_REG, KVM_RUN) and device_ioctl.cpp the vGICv3 and ITS device fds.
//
// Internal to pmuemu_kvm_abi: it includes the arm64 UAPI, which only this library's
// sources have on their include path.
#pragma once

#include "kvm_model/kvm.h"
// After the model's headers: the UAPI's macros (KVM_EXIT_MMIO, ...) would otherwise rename
// the model's constants of the same names and values.
#include "kvm_model/abi/abi.h"
#include "pmuemu/kvm.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "kvm_model/abi/regs.h"
#include "kvm_model/abi/sys.h"

namespace kvm_model::abi {

inline constexpr long kPageSize = 4096;
// KVM_GET_VCPU_MMAP_SIZE on arm64: the kvm_run page and the coalesced MMIO ring page.
inline constexpr long kVcpuMmapSize = 2 * kPageSize;
inline constexpr int kApiVersion = 12;  // KVM_API_VERSION
inline constexpr unsigned kMaxVcpus = 512;  // kvm_arm_default_max_vcpus() with a GICv3
inline constexpr unsigned kUserMemSlots = 32764;  // KVM_USER_MEM_SLOTS (SHRT_MAX - internal slots)
inline constexpr unsigned kIpaMin = 32, kIpaDefault = 40;
inline constexpr uint32_t kMemFlagsV1 = KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY;

inline bool era_at_least_6_8(vpmu::Era e) { return vpmu::policy(e).uapi_6_8; }
// The ioctls and capabilities of Linux 6.8+ (USER_MEMORY2, the writable ID masks): the
// newest era's, or every era's with Options::newest_uapi.
inline bool uapi_6_8(const Options& o) { return o.newest_uapi || era_at_least_6_8(o.era); }

// Where the kvm_run pages live. Creating a memfd, sizing it and mapping it for every VM cost
// more than the rest of KVM_CREATE_VM together, so VMs take regions of an arena instead: a
// sparse memfd (untouched pages cost nothing) of kArenaRegions regions of kRegionBytes,
// mapped once by the model. A region is never handed out twice: a VMM may keep a vCPU's
// kvm_run mapping after closing every fd (valid until munmap, as in Linux), and must never
// see another VM's page through it. A full arena is left to its VMs; its mapping and memfd
// go with the last of them (the memfd itself lives on in any user mapping).
inline constexpr off_t kRegionBytes = off_t{kMaxVcpus} * kVcpuMmapSize;  // 4 MiB
inline constexpr unsigned kArenaRegions = 64;                             // 256 MiB of address space
inline constexpr off_t kArenaBytes = kRegionBytes * kArenaRegions;

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

// KVM_IOEVENTFD's buses (enum kvm_bus): an arm64 guest writes only the MMIO bus.
enum class IoBus : uint8_t { kMmio, kPio, kCcwNotify };
// One KVM_IOEVENTFD registration (struct _ioeventfd).
struct IoEventfd {
  IoBus bus;
  uint64_t addr;
  uint32_t len;     // 0: any write at addr
  bool wildcard;    // no KVM_IOEVENTFD_FLAG_DATAMATCH: any value
  uint64_t datamatch;
  std::shared_ptr<Eventfd> ev;
};
// One entry of the VM's GSI routing table (KVM_SET_GSI_ROUTING): an SPI of the vGIC
// (irqchip 0, pin n: SPI n + 32) or an MSI through the ITS.
struct GsiRoute {
  uint32_t gsi;
  bool msi;
  uint32_t pin;                 // irqchip
  uint64_t msi_addr = 0;        // MSI
  uint32_t msi_data = 0, msi_devid = 0, msi_flags = 0;
};
inline constexpr uint32_t kMaxIrqRoutes = 4096;  // KVM_MAX_IRQ_ROUTES
inline constexpr uint32_t kIrqchipPins = 1020 - 32;  // KVM_IRQCHIP_NUM_PINS: every SPI a GICv3 can have

// One KVM_REGISTER_COALESCED_MMIO zone (struct kvm_coalesced_mmio_dev).
struct CoalescedZone {
  uint64_t addr;
  uint32_t size;
  bool pio;  // on the PIO bus, which an arm64 guest never writes
};
// KVM_COALESCED_MMIO_MAX: the entries of the ring page after its two indices.
inline constexpr uint32_t kCoalescedMax = (kPageSize - sizeof(kvm_coalesced_mmio_ring)) / sizeof(kvm_coalesced_mmio);
inline constexpr size_t kIoBusDevs = 1000;  // NR_IOBUS_DEVS

// One KVM_IRQFD registration (struct kvm_kernel_irqfd): GSI n is SPI n + 32. With
// KVM_IRQFD_FLAG_RESAMPLE, `resample` is signalled when the guest deactivates the SPI.
struct Irqfd {
  uint32_t gsi;
  std::shared_ptr<Eventfd> ev;
  std::shared_ptr<Eventfd> resample;
};
// A resampling irqfd as the vGIC's EOI hook sees it: the SPI and the eventfd to signal.
struct Resampler {
  unsigned intid;
  std::shared_ptr<Eventfd> fd;
};

// A KVM_GET_STATS_FD file (stats.cpp): the model's memfd, mapped, and its data block.
struct StatsFile {
  int fd = -1;
  uint8_t* map = nullptr;
  size_t len = 0;
  uint64_t* data = nullptr;
  size_t words = 0;
  StatsFile() = default;
  StatsFile(const StatsFile&) = delete;
  StatsFile& operator=(const StatsFile&) = delete;
  ~StatsFile();
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
  std::unique_ptr<StatsFile> stats;  // after the first KVM_GET_STATS_FD
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
  // kvm->ioeventfds and kvm->irqfds.items (eventfd_ioctl.cpp), guarded by m.
  std::vector<IoEventfd> ioeventfds;
  std::vector<Irqfd> irqfds;
  std::atomic<std::shared_ptr<const std::vector<Resampler>>> resamplers;  // publish_resamplers()
  // The GSI routing table once the VMM set one; until then the default of an arm64 VM with
  // an initialised vGIC (kvm_vgic_setup_default_irq_routing): GSI n is SPI n + 32.
  std::optional<std::vector<GsiRoute>> routes;
  // Coalesced MMIO zones; the ring is page 1 of the region (vCPU index 0's second page),
  // which every vCPU fd maps at KVM_COALESCED_MMIO_PAGE_OFFSET.
  std::vector<CoalescedZone> coalesced;
  std::unique_ptr<StatsFile> stats;  // after the first KVM_GET_STATS_FD on the VM fd
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
  // lock_all_vcpus(): every vCPU's mutex, only tried (a VM ioctl never waits for a vCPU
  // ioctl): empty when a vCPU is inside one (KVM_RUN), which the caller answers with -EBUSY.
  // The mutexes stay held for as long as the returned value lives.
  std::optional<std::vector<std::unique_lock<std::mutex>>> lock_all_vcpus() {
    std::vector<std::unique_lock<std::mutex>> held;
    held.reserve(vcpus.size());
    for (const auto& vc : vcpus) {
      std::unique_lock l(vc->m, std::try_to_lock);
      if (!l.owns_lock()) return std::nullopt;
      held.push_back(std::move(l));
    }
    return held;
  }
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

struct State {
  Options opts;
  Kvm kvm;
  mutable std::mutex m;  // the fd table
  std::map<int, std::shared_ptr<File>> files;
  std::shared_ptr<Arena> arena;  // where the next VM's region comes from (guarded by m)
  TraceFn trace;
  cpu::HostPageGate* gate = nullptr;  // Dev::set_host_page_gate, for every VM
  PendingSignalsFn pending_signals;
  EventfdResolver eventfds = host_eventfd_resolver();  // Dev::set_eventfd_resolver
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
  int copy_in(void* dst, unsigned long src, size_t n) const;
  int copy_out(unsigned long dst, const void* src, size_t n) const;
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
  long set_counter_offset(VmObj& vm, const kvm_arm_counter_offset& off);
  long one_reg(VmObj& vm, VcpuData& vc, bool set, unsigned long arg);
  long reg_list(VmObj& vm, VcpuData& vc, unsigned long arg);
  long run(VmObj& vm, VcpuData& vc);
  bool serve_slot_access(VmObj& vm, VcpuData& vc);
  long ioeventfd(VmObj& vm, unsigned long arg);
  long irqfd(VmObj& vm, unsigned long arg);
  bool serve_ioeventfd(VmObj& vm, VcpuData& vc);
  void poll_irqfds(VmObj& vm);
  void drop_irqfds(VmObj& vm, const std::function<bool(const Irqfd&)>& gone);
  std::vector<unsigned> spis_of(VmObj& vm, uint32_t gsi);
  void publish_resamplers(VmObj& vm);
  long set_gsi_routing(VmObj& vm, unsigned long arg);
  long coalesced_mmio(VmObj& vm, bool reg, unsigned long arg);
  bool serve_coalesced(VmObj& vm, VcpuData& vc);
  long vm_stats_fd(VmObj& vm);
  long vcpu_stats_fd(VcpuData& vc);
  void sync_stats(VcpuData& vc);
  long get_dirty_log(VmObj& vm, unsigned long arg);
  bool signal_pending(const VcpuData& vc) const;
  long clear_dirty_log(VmObj& vm, unsigned long arg);
};

// The model's cores reach every slot but their RAM through this list (walks, fetches,
// data accesses), as Linux's stage 2 maps every memslot. Called with the VM's lock held
// and no vCPU running, before the cores next use it (KVM_RUN, vCPU creation).
void sync_slot_list(VmObj& vm);

}  // namespace kvm_model::abi
