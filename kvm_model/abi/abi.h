// /dev/kvm for arm64, as Linux's userspace ABI: file descriptors for the system, each VM,
// each vCPU and each device, ioctl() with Linux's request numbers and structs
// (include/uapi/linux/kvm.h, arch/arm64/include/uapi/asm/kvm.h), mmap() of the vCPU fd for
// the shared struct kvm_run, close(). Results are what the syscall would return: >= 0, or
// -errno, and a failed call changes nothing.
//
// Every fd handed out is a real file descriptor of this process (a memfd), so its number
// cannot collide with any other fd and the kvm_run page of a vCPU fd can be mapped with the
// ordinary mmap(2). Guest memory is the caller's own memory (userspace_addr), as with KVM.
//
// This header does not include the UAPI headers: callers pass request numbers and
// pointers to the UAPI structs, exactly as to ioctl(2).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "kvm_model/kvm.h"

namespace kvm_model::abi {

struct Options {
  HostDesc host;
  vpmu::Era era = vpmu::Era::k6_7;
  uint32_t vmm_pcpu = 0;  // the pCPU the calling (VMM) thread runs on
  // Copy user structs with a fault check, so that a bad pointer gives -EFAULT as in Linux
  // instead of a crash: directly when the range lies on the calling thread's live stack,
  // else with process_vm_readv/writev on this process. Off: only null and the first page
  // are refused (trusted in-process callers that want the fast path).
  bool checked_copies = true;
  // The userspace ABI of the newest era (KVM_SET_USER_MEMORY_REGION2, the writable ID
  // register masks and their capabilities) whatever `era`, whose KVM behaviour (the vPMU,
  // resets, ...) is unchanged. Linux's 6.12 selftests require USER_MEMORY2 (6.8+) and skip
  // on anything older; with this, they run against the 6.6, v5 and 6.7 behaviour as they
  // would on a kernel that carries those PMU semantics with a 6.8 userspace ABI.
  bool newest_uapi = false;
};

// strace-style tracing of every call (--trace vmm): one line per ioctl, written after the
// call so that values it fills in are shown.
using TraceFn = std::function<void(const std::string& line)>;

// The signals pending for the calling thread (bit n-1 for signal n): blocked by its own mask,
// since others are delivered at once. One that the vCPU's KVM_SET_SIGNAL_MASK lets through
// makes KVM_RUN return -EINTR with KVM_EXIT_INTR.
using PendingSignalsFn = std::function<uint64_t()>;

// An eventfd as KVM_IOEVENTFD and KVM_IRQFD hold it (Linux's eventfd_ctx): the VM keeps it
// until the registration is removed or the VM goes, whatever happens to the fd number.
class Eventfd {
 public:
  virtual ~Eventfd() = default;
  // eventfd_signal(): the count goes up by one and its readers wake (an ioeventfd's hit).
  virtual void signal() = 0;
  // An irqfd's wake-up, which empties the count (eventfd_ctx_do_read): whether it was
  // nonzero, i.e. whether the program wrote to it since the last take().
  virtual bool take() = 0;
  // The same eventfd (one open file, whichever fd or dup names it): an eventfd serves one
  // irqfd per VM, and a deassignment names the eventfd it removes.
  virtual bool same(const Eventfd& other) const = 0;
  // The program holds no descriptor of the eventfd any more, so its file is released:
  // Linux's eventfd_release() wakes the eventfd's waiters with EPOLLHUP, on which an irqfd
  // deactivates itself (irqfd_wakeup()); an ioeventfd pays no attention.
  virtual bool hung_up() = 0;
};

// fd -> the eventfd behind it, as eventfd_ctx_fdget(): 0 with `out` set; -EBADF when fd is
// not open; -EINVAL when it is not an eventfd.
using EventfdResolver = std::function<long(int fd, std::shared_ptr<Eventfd>& out)>;

struct State;

// One emulated /dev/kvm and every file opened from it, for one process.
class Dev {
 public:
  explicit Dev(Options opts);
  ~Dev();
  Dev(const Dev&) = delete;
  Dev& operator=(const Dev&) = delete;

  // open("/dev/kvm", O_RDWR): a new system fd, or -errno.
  int open_dev();
  // ioctl(fd, request, arg): the result or -errno (-EBADF: not a KVM fd of this Dev).
  long ioctl(int fd, unsigned long request, unsigned long arg);
  // The same without the trace line (a VMM's own observers, which --trace vmm leaves out).
  long ioctl_untraced(int fd, unsigned long request, unsigned long arg);
  // mmap(addr, len, prot, flags, fd, offset) on a KVM fd: the mapping, or MAP_FAILED with
  // *err = errno. Only vCPU fds can be mapped (page 0: the vCPU's kvm_run; page 1: the VM's
  // coalesced MMIO ring, the same page for every vCPU), as in Linux; others give ENODEV.
  void* mmap(void* addr, size_t len, int prot, int flags, int fd, long offset, int* err);
  // close(fd): 0 or -EBADF. A vCPU or device fd keeps its VM alive; the VM lives until
  // every fd that refers to it is closed.
  int close(int fd);
  bool owns(int fd) const;

  void set_trace(TraceFn fn);
  const Options& options() const;

  // ---- host-side hooks: what the host OS (not KVM) provides a VMM ----
  // The model objects behind a VM or vCPU fd (null if fd is not one): scheduler placement
  // (vcpu_load), the run budget a timer signal stands for, tracepoints. Not KVM ioctls.
  Vm* vm_of(int fd);
  Vcpu* vcpu_of(int fd);
  // Where KVM_RUN learns of the calling thread's pending signals. Default: the host
  // thread's (sigpending), which count only under a KVM_SET_SIGNAL_MASK that unblocks them.
  void set_pending_signals(PendingSignalsFn fn);
  // Where KVM_IOEVENTFD and KVM_IRQFD find the eventfds their fd numbers name. Default:
  // the host process's own eventfd(2)s (host_eventfd_resolver()); `pmuemu user`: its program's.
  void set_eventfd_resolver(EventfdResolver r);
  // The pCPU the VMM thread now runs on (sched_setaffinity).
  void set_vmm_pcpu(uint32_t pcpu);
  // Which pages of the VMM's memory are there (a userfaultfd's missing pages): every VM's
  // memory slots ask it, and KVM_RUN returns kvm_model::kRunWaitHostPage when the guest
  // touches a missing one. Not owned; null (the default): every page is there.
  void set_host_page_gate(cpu::HostPageGate* g);
  // The VMM dropped [h, h+len) of its memory (MADV_DONTNEED): every VM forgets what it
  // derived from those pages (decoded code, cached translations), as Linux's MMU notifier
  // makes KVM do.
  void host_pages_dropped(const void* h, uint64_t len);

 private:
  std::unique_ptr<State> s_;
};

// The default resolver: eventfd(2)s of this process as a VM holds them, each a duplicate of
// the fd it was given, so that the VMM may close its own; irqfds look at them with a
// non-blocking poll whenever a vCPU enters or leaves guest code. An eventfd has hung up when
// no descriptor of the process but the duplicates of this resolver names its file.
EventfdResolver host_eventfd_resolver();

// Names for traces and docs: "KVM_GET_ONE_REG", register ids as "PMCR_EL0", "X3", ...
const char* ioctl_name(unsigned long request);
std::string reg_name(uint64_t id);
const char* errno_name(int err);  // "EINVAL"

}  // namespace kvm_model::abi
