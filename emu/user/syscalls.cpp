// The Linux system calls of `pmuemu user`, by arm64 number (the asm-generic table). Results
// are Linux's: a value or -errno in X0. What is not here returns -ENOSYS.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstring>
#include <string>

#include "emu/user/files.h"
#include "emu/user/process.h"
#include "emu/user/signals.h"
#include "emu/user/uffd.h"

namespace pmuemu::user {
namespace {

using Args = std::array<uint64_t, 6>;
using Handler = long (*)(Process&, const Args&);

long err(int e) { return -static_cast<long>(e); }

// A path for the trace, as strace shows it: printable ASCII as is, the rest escaped, in
// full (text::printable cuts at 64 characters, for one-line error messages; a trace is
// read for the whole path).
std::string printable(const std::string& s) {
  std::string out;
  for (const unsigned char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", c);
      out += b;
    }
  }
  return out;
}

std::shared_ptr<OpenFile> file_of(Process& p, uint64_t fd) {
  auto it = p.files().find(static_cast<int>(fd));
  return it == p.files().end() ? nullptr : it->second;
}

// ---- files ----
long sys_read(Process& p, const Args& a) {
  auto f = file_of(p, a[0]);
  if (!f) return err(EBADF);
  if (!p.mem().accessible(a[1], a[2], kProtWrite)) return err(EFAULT);
  return read_file(p, *f, p.mem().host(a[1]), a[2], -1);
}
long sys_pread64(Process& p, const Args& a) {
  auto f = file_of(p, a[0]);
  if (!f) return err(EBADF);
  if (!p.mem().accessible(a[1], a[2], kProtWrite)) return err(EFAULT);
  return read_file(p, *f, p.mem().host(a[1]), a[2], static_cast<int64_t>(a[3]));
}
long sys_write(Process& p, const Args& a) {
  auto f = file_of(p, a[0]);
  if (!f) return err(EBADF);
  if (!p.mem().accessible(a[1], a[2], kProtRead)) return err(EFAULT);
  return write_file(p, *f, p.mem().host(a[1]), a[2]);
}
long iov_io(Process& p, const Args& a, bool is_write) {
  auto f = file_of(p, a[0]);
  if (!f) return err(EBADF);
  if (a[2] > 1024) return err(EINVAL);
  long total = 0;
  for (uint64_t i = 0; i < a[2]; ++i) {
    uint64_t iov[2];
    if (!p.read(a[1] + 16 * i, iov, 16)) return err(EFAULT);
    if (iov[1] == 0) continue;
    if (!p.mem().accessible(iov[0], iov[1], is_write ? kProtRead : kProtWrite)) return total ? total : err(EFAULT);
    const long r = is_write ? write_file(p, *f, p.mem().host(iov[0]), iov[1])
                            : read_file(p, *f, p.mem().host(iov[0]), iov[1], -1);
    if (r < 0) return total ? total : r;
    total += r;
    if (static_cast<uint64_t>(r) < iov[1]) break;
  }
  return total;
}
long sys_readv(Process& p, const Args& a) { return iov_io(p, a, false); }
long sys_writev(Process& p, const Args& a) { return iov_io(p, a, true); }
long sys_openat(Process& p, const Args& a) {
  const auto path = p.read_string(a[1]);
  if (!path) return err(EFAULT);
  return open_file(p, static_cast<int>(a[0]), *path, static_cast<int>(a[2]), static_cast<unsigned>(a[3]));
}
// A descriptor goes away: the last one of a KVM file closes it in the model, the last one of
// a uffd releases its ranges, and threads waiting on files look again (a pipe's other end
// may be gone).
void drop_fd(Process& p, std::map<int, std::shared_ptr<OpenFile>>::iterator it) {
  const std::shared_ptr<OpenFile> f = it->second;
  const bool last = f.use_count() == 2;  // the table's and this copy
  if (f->kind == OpenFile::Kind::kKvm && last) p.kvm().close(f->kvm_fd);
  if (f->kind == OpenFile::Kind::kUffd && last && f->uffd.use_count() == 1) uffd_release(p, f->uffd);
  p.files().erase(it);
  if (f->kind == OpenFile::Kind::kPipe || f->kind == OpenFile::Kind::kUffd || f->kind == OpenFile::Kind::kEpoll)
    p.wake_io();
}
long sys_close(Process& p, const Args& a) {
  auto it = p.files().find(static_cast<int>(a[0]));
  if (it == p.files().end()) return err(EBADF);
  drop_fd(p, it);
  return 0;
}
// ftruncate(fd, length) and pwrite64(fd, buf, count, offset): host files only (QEMU's
// file: migration sizes its file, then writes it at offsets).
long sys_ftruncate(Process& p, const Args& a) {
  auto f = file_of(p, a[0]);
  if (!f) return err(EBADF);
  if (f->kind != OpenFile::Kind::kHost || f->host_fd <= 2) return err(EINVAL);
  return ::ftruncate(f->host_fd, static_cast<off_t>(a[1])) == 0 ? 0 : -errno;
}
long sys_pwrite64(Process& p, const Args& a) {
  auto f = file_of(p, a[0]);
  if (!f) return err(EBADF);
  if (!p.mem().accessible(a[1], a[2], kProtRead)) return err(EFAULT);
  if (f->kind != OpenFile::Kind::kHost || f->host_fd <= 2) return err(ESPIPE);
  const ssize_t r = ::pwrite(f->host_fd, p.mem().host(a[1]), a[2], static_cast<off_t>(a[3]));
  return r < 0 ? -errno : r;
}
long sys_lseek(Process& p, const Args& a) {
  auto f = file_of(p, a[0]);
  if (!f) return err(EBADF);
  return seek_file(*f, static_cast<int64_t>(a[1]), static_cast<int>(a[2]));
}
long sys_newfstatat(Process& p, const Args& a) {
  const auto path = p.read_string(a[1]);
  if (!path) return err(EFAULT);
  LinuxStat st{};
  const long r = stat_file(p, static_cast<int>(a[0]), *path, static_cast<int>(a[3]), st);
  if (r < 0) return r;
  return p.write(a[2], &st, sizeof st) ? 0 : err(EFAULT);
}
long sys_fstat(Process& p, const Args& a) {
  LinuxStat st{};
  const long r = stat_file(p, static_cast<int>(a[0]), "", 0x1000 /* AT_EMPTY_PATH */, st);
  if (r < 0) return r;
  return p.write(a[1], &st, sizeof st) ? 0 : err(EFAULT);
}
long sys_readlinkat(Process& p, const Args& a) {
  if (static_cast<int>(a[3]) <= 0) return err(EINVAL);  // bufsiz is an int; readlink(2) refuses <= 0
  const auto path = p.read_string(a[1]);
  if (!path) return err(EFAULT);
  std::string target;
  const long r = readlink_path(p, *path, target);
  if (r < 0) return r;
  const uint64_t n = std::min<uint64_t>(target.size(), a[3]);
  return p.write(a[2], target.data(), n) ? static_cast<long>(n) : err(EFAULT);
}
long sys_faccessat(Process& p, const Args& a) {
  const auto path = p.read_string(a[1]);
  if (!path) return err(EFAULT);
  LinuxStat st{};
  return stat_file(p, static_cast<int>(a[0]), *path, 0, st) < 0 ? err(ENOENT) : 0;
}
long sys_getcwd(Process& p, const Args& a) {
  char buf[4096];
  if (::getcwd(buf, sizeof buf) == nullptr) return -errno;
  const uint64_t n = std::strlen(buf) + 1;
  if (n > a[1]) return err(ERANGE);
  return p.write(a[0], buf, n) ? static_cast<long>(n) : err(EFAULT);
}
long sys_ioctl(Process& p, const Args& a) {
  auto f = file_of(p, a[0]);
  if (!f) return err(EBADF);
  // ioctl(2) takes the request as an unsigned int: the upper half of the register is
  // ignored (a program that passes a request through an int sign-extends the _IOWR ones).
  const uint32_t cmd = static_cast<uint32_t>(a[1]);
  if (f->kind == OpenFile::Kind::kUffd) return uffd_ioctl(p, *f, cmd, a[2]);
  if (f->kind == OpenFile::Kind::kKvm) {
    p.kvm().set_caller_pcpu(p.pcpu());
    if (const auto st = p.sched_stat(p.thread().tid)) p.kvm().set_caller_run_delay(st->run_delay_ns);
    p.kvm().set_caller_budget(p.quantum_left());
    const long r = p.kvm().ioctl(f->kvm_fd, cmd, a[2]);
    // KVM_RUN ran the guest on this thread's pCPU: that time passed for the program too.
    p.add_guest_instructions(p.kvm().take_guest_instructions());
    if (r == kWaitHostPage) {
      // The guest touched a registered page that is missing: the vCPU thread waits in the
      // fault as in Linux, and its KVM_RUN runs again (retrying the guest's access) when
      // the page is filled or the range woken.
      const auto pf = p.user_faults().take_pending();
      const auto ctx = pf ? p.user_faults().registered_at(pf->address) : nullptr;
      if (ctx == nullptr) return err(EFAULT);  // the registration went away meanwhile: retry
      p.user_fault(ctx, pf->address, pf->write);
      return kRestartSyscall;
    }
    if (p.kvm().take_preempted()) {
      // The guest used up the thread's quantum: the call goes on when the thread next
      // runs, invisibly to it, as a Linux thread preempted in the kernel continues its call.
      return kRestartSyscall;
    }
    // Calls that create a file descriptor hand back the model's; the program gets one of its
    // own for it (the return value, or kvm_create_device.fd).
    constexpr unsigned long kCreateVm = 0xae01, kCreateVcpu = 0xae41, kCreateDevice = 0xc00caee0;
    auto wrap = [&](int model_fd) {
      auto nf = std::make_shared<OpenFile>();
      nf->kind = OpenFile::Kind::kKvm;
      nf->kvm_fd = model_fd;
      nf->path = "anon_inode:kvm";
      return p.new_fd(nf);
    };
    if (r >= 0 && (cmd == kCreateVm || cmd == kCreateVcpu)) return wrap(static_cast<int>(r));
    constexpr unsigned long kGetStatsFd = 0xaece;  // _IO(KVMIO, 0xce)
    if (r >= 0 && cmd == kGetStatsFd) {
      // A statistics file is a plain read-only file of the host that the model handed over
      // (its own open file of the model's memfd): reads go straight to it.
      auto nf = std::make_shared<OpenFile>();
      nf->kind = OpenFile::Kind::kHost;
      nf->host_fd = static_cast<int>(r);
      nf->path = "anon_inode:kvm-stats";
      return p.new_fd(nf);
    }
    if (r >= 0 && cmd == kCreateDevice) {
      uint32_t dev[3];
      if (p.read(a[2], dev, sizeof dev) && !(dev[2] & 1 /* KVM_CREATE_DEVICE_TEST */)) {
        dev[1] = static_cast<uint32_t>(wrap(static_cast<int>(dev[1])));
        p.write(a[2], dev, sizeof dev);
      }
    }
    return r;
  }
  return err(ENOTTY);  // no terminal ioctls: stdio is treated as a pipe
}
long sys_dup(Process& p, const Args& a) {
  auto f = file_of(p, a[0]);
  if (!f) return err(EBADF);
  return p.new_fd(f);
}
long sys_dup3(Process& p, const Args& a) {
  auto f = file_of(p, a[0]);
  if (!f) return err(EBADF);
  if (a[0] == a[1]) return err(EINVAL);
  if (auto old = p.files().find(static_cast<int>(a[1])); old != p.files().end()) drop_fd(p, old);
  p.files()[static_cast<int>(a[1])] = f;
  return static_cast<long>(a[1]);
}
long sys_fcntl(Process& p, const Args& a) {
  auto f = file_of(p, a[0]);
  if (!f) return err(EBADF);
  switch (a[1]) {
    case F_DUPFD: case F_DUPFD_CLOEXEC: return p.new_fd(f, static_cast<int>(a[2]));
    case F_GETFD: case F_SETFD: return 0;
    // O_NONBLOCK is the one status flag that changes anything here (pipes, uffds).
    case F_SETFL: f->nonblock = (a[2] & 04000) != 0; return 0;
    case F_GETFL: return O_RDWR | (f->nonblock ? 04000 : 0);
    default: return err(EINVAL);
  }
}

// A mapping replaced or removed takes its userfaultfd registration with it (the VMA is
// gone), and the KVM model forgets what it derived from the old pages.
void forget_range(Process& p, uint64_t va, uint64_t len) {
  const uint64_t size = AddressSpace::round_up_page(len);
  if (!p.user_faults().empty()) {
    p.user_faults().remove(va, va + size, nullptr);
    p.wake_pages(va, size);
  }
  p.kvm().host_pages_dropped(va, size);
}
// ---- memory ----
long sys_brk(Process& p, const Args& a) {
  AddressSpace& m = p.mem();
  const uint64_t want = a[0];
  if (want < m.brk_start || want > kMmapTop) return static_cast<long>(m.brk_cur);
  const uint64_t old_end = (m.brk_cur + 0xfff) & ~0xfffull, new_end = (want + 0xfff) & ~0xfffull;
  if (new_end > old_end) {
    for (uint64_t pg = old_end; pg < new_end; pg += 0x1000)
      if (m.mapped(pg)) return static_cast<long>(m.brk_cur);  // would overwrite a mapping
    m.map(old_end, new_end - old_end, kProtRead | kProtWrite);
  } else if (new_end < old_end) {
    m.unmap(new_end, old_end - new_end);
  }
  m.brk_cur = want;
  p.core().tlbi(cpu::mmu::TlbiOp::kVmallE1, 0);
  return static_cast<long>(want);
}
long sys_mmap(Process& p, const Args& a) {
  constexpr uint64_t kShared = 0x01, kPrivate = 0x02, kFixed = 0x10, kAnon = 0x20, kFixedNoreplace = 0x100000;
  const uint64_t addr = a[0], len = a[1], flags = a[3], off = a[5];
  const int prot = static_cast<int>(a[2]) & 7;
  // A plain hint is only a hint (Linux rounds it down); a fixed address must be a page.
  if (len == 0 || ((addr & 0xfff) != 0 && (flags & (kFixed | kFixedNoreplace))) || (off & 0xfff) != 0)
    return err(EINVAL);
  if ((flags & (kShared | kPrivate)) == 0) return err(EINVAL);
  std::shared_ptr<OpenFile> f;
  if (!(flags & kAnon)) {
    f = file_of(p, a[4]);
    if (!f) return err(EBADF);
  }
  const uint64_t size = AddressSpace::round_up_page(len);
  // A length that rounds past 2^64 is ENOMEM (Linux: PAGE_ALIGN gives 0), as is a fixed
  // range outside the program's pages (Linux: beyond TASK_SIZE): both before
  // MAP_FIXED_NOREPLACE looks for a mapping in the way, as in Linux's do_mmap().
  if (size == 0) return err(ENOMEM);
  uint64_t va;
  if (flags & (kFixed | kFixedNoreplace)) {
    va = addr;
    if (!AddressSpace::fits(va, size)) return err(ENOMEM);
    if ((flags & kFixedNoreplace) && !p.mem().regions_in(va, va + size).empty()) return err(EEXIST);
  } else {
    va = p.mem().find_free(size);
    if (va == 0) return err(ENOMEM);
  }
  if (f && f->kind == OpenFile::Kind::kKvm) {
    // The vCPU's kvm_run page: the model's own page mapped at the program's address, so
    // both sides see one struct kvm_run, as with Linux. MAP_PRIVATE maps the same page
    // copy-on-write, as Linux's vCPU fault handler does for a private mapping: the program
    // sees the model's updates until it writes a page, which then becomes its own.
    if (!p.mem().map(va, size, prot | kProtRead)) return err(ENOMEM);
    if (!p.kvm().map_shared(f->kvm_fd, va, size, off, PROT_READ | PROT_WRITE, !(flags & kShared))) {
      p.mem().unmap(va, size);
      return err(ENODEV);
    }
    p.mem().mark_shared(va, size);
    forget_range(p, va, size);
    p.flush_tlbs();
    return static_cast<long>(va);
  }
  if (!p.mem().map(va, size, prot)) return err(ENOMEM);
  forget_range(p, va, size);
  if (f) {
    const long r = pread_into(p, *f, p.mem().host(va), len, off);
    if (r < 0) {
      p.mem().unmap(va, size);
      return r;
    }
  }
  p.flush_tlbs();
  return static_cast<long>(va);
}
long sys_munmap(Process& p, const Args& a) {
  if ((a[0] & 0xfff) != 0 || a[1] == 0) return err(EINVAL);
  if (!p.mem().unmap(a[0], a[1])) return err(EINVAL);
  forget_range(p, a[0], a[1]);
  p.flush_tlbs();
  return 0;
}
long sys_mprotect(Process& p, const Args& a) {
  // do_mprotect_pkey(): PROT_GROWSDOWN/GROWSUP first (arm64 has no grows-up mappings, and
  // both together are invalid), then arch_validate_prot(): read, write, exec, PROT_SEM,
  // and PROT_BTI only where the CPU has BTI (no MTE here, so no PROT_MTE).
  constexpr uint64_t kProtSem = 0x8, kProtBti = 0x10, kGrowsDown = 0x01000000, kGrowsUp = 0x02000000;
  constexpr uint64_t kHwcap2Bti = uint64_t{1} << 17;
  const uint64_t prot = a[2];
  if (prot & kGrowsUp) return err(EINVAL);
  uint64_t supported = 7 | kProtSem | kGrowsDown;
  if (p.hwcaps().hwcap2 & kHwcap2Bti) supported |= kProtBti;
  if (prot & ~supported) return err(EINVAL);
  const int r = p.mem().protect(a[0], a[1], static_cast<int>(prot & 7));
  p.flush_tlbs();
  return r;
}
// MADV_DONTNEED drops the pages for real: they read as zero afterwards (private anonymous
// memory), or are missing to a userfaultfd that registered them. The mapped parts of the
// range are dropped; a hole makes the call ENOMEM, as in Linux. Other advice changes
// nothing observable here and succeeds.
long sys_madvise(Process& p, const Args& a) {
  constexpr uint64_t kDontNeed = 4;
  if ((a[0] & 0xfff) != 0) return err(EINVAL);
  const uint64_t len = AddressSpace::round_up_page(a[1]);
  if (len < a[1] || a[0] + len < a[0]) return err(EINVAL);
  if (a[2] == kDontNeed && len != 0) {
    uint64_t covered = 0;
    for (const auto& run : p.mem().regions_in(a[0], a[0] + len)) {
      p.drop_pages(run.start, run.end - run.start);
      covered += run.end - run.start;
    }
    if (covered != len) return err(ENOMEM);
  }
  return 0;
}

// ---- process, time, identity ----
long sys_exit(Process& p, const Args& a) {
  p.exit_thread(static_cast<int>(a[0] & 0xff));
  return 0;
}
long sys_exit_group(Process& p, const Args& a) {
  p.exit_code = static_cast<int>(a[0] & 0xff);
  return 0;
}
long sys_set_tid_address(Process& p, const Args& a) {
  p.thread().clear_tid = a[0];
  return p.thread().tid;
}
long sys_gettid(Process& p, const Args&) { return p.thread().tid; }
long sys_sched_yield(Process& p, const Args&) {
  p.yield();
  return 0;
}
long sys_futex(Process& p, const Args& a) { return p.futex(a[0], a[1], a[2], a[3], a[4], a[5]); }
long sys_ok(Process&, const Args&) { return 0; }
long sys_getrandom(Process& p, const Args& a) {
  if (!p.mem().accessible(a[0], a[1], kProtWrite)) return err(EFAULT);
  for (uint64_t i = 0; i < a[1]; i += 8) {
    const uint64_t r = p.random_u64();
    const uint64_t n = std::min<uint64_t>(8, a[1] - i);
    p.write(a[0] + i, &r, n);
  }
  return static_cast<long>(a[1]);
}
long sys_clock_gettime(Process& p, const Args& a) {
  const uint64_t ns = p.now_ns();
  const int64_t ts[2] = {static_cast<int64_t>(ns / 1000000000), static_cast<int64_t>(ns % 1000000000)};
  return p.write(a[1], ts, sizeof ts) ? 0 : err(EFAULT);
}
long sys_clock_getres(Process& p, const Args& a) {
  const int64_t ts[2] = {0, 1};
  return a[1] == 0 || p.write(a[1], ts, sizeof ts) ? 0 : err(EFAULT);
}
long sys_gettimeofday(Process& p, const Args& a) {
  const uint64_t ns = p.now_ns();
  const int64_t tv[2] = {static_cast<int64_t>(ns / 1000000000), static_cast<int64_t>(ns % 1000000000 / 1000)};
  return a[0] == 0 || p.write(a[0], tv, sizeof tv) ? 0 : err(EFAULT);
}
// Sleeps pass in emulated time: the thread waits while the others run, and when every
// thread waits the clock jumps ahead (no host time is spent).
long sys_nanosleep(Process& p, const Args& a) {
  int64_t ts[2];
  if (!p.read(a[0], ts, sizeof ts)) return err(EFAULT);
  if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000) return err(EINVAL);
  return p.sleep_ns(static_cast<uint64_t>(ts[0]) * 1000000000ull + static_cast<uint64_t>(ts[1]));
}
long sys_clock_nanosleep(Process& p, const Args& a) {
  int64_t ts[2];
  if (!p.read(a[2], ts, sizeof ts)) return err(EFAULT);
  if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000) return err(EINVAL);
  const uint64_t ns = static_cast<uint64_t>(ts[0]) * 1000000000ull + static_cast<uint64_t>(ts[1]);
  constexpr uint64_t kTimerAbstime = 1;
  const uint64_t now = p.now_ns();
  return p.sleep_ns((a[1] & kTimerAbstime) ? (ns > now ? ns - now : 0) : ns);
}
long sys_uname(Process& p, const Args& a) {
  char u[6][65] = {};
  std::strcpy(u[0], "Linux");
  std::strcpy(u[1], "pmuemu");
  std::strcpy(u[2], "6.12.0-pmuemu");
  std::strcpy(u[3], "#1 SMP");
  std::strcpy(u[4], "aarch64");
  std::strcpy(u[5], "(none)");
  return p.write(a[0], u, sizeof u) ? 0 : err(EFAULT);
}
long sys_prlimit64(Process& p, const Args& a) {
  if (a[3] != 0) {
    // RLIMIT_STACK is the stack we gave; the rest are unlimited.
    const uint64_t lim[2] = {a[1] == 3 ? kStackSize : ~0ull, a[1] == 3 ? kStackSize : ~0ull};
    if (!p.write(a[3], lim, sizeof lim)) return err(EFAULT);
  }
  return 0;
}
long sys_getrlimit(Process& p, const Args& a) {
  const uint64_t lim[2] = {a[0] == 3 ? kStackSize : ~0ull, a[0] == 3 ? kStackSize : ~0ull};
  return p.write(a[1], lim, sizeof lim) ? 0 : err(EFAULT);
}
// The thread a scheduler call names: 0 or its own tid is the caller, else another thread of
// the process (threads of other processes are out of reach: ESRCH).
Thread* sched_target(Process& p, uint64_t pid) {
  if (pid == 0) return &p.thread();
  return p.thread_by_tid(static_cast<int>(pid));
}
long sys_sched_getaffinity(Process& p, const Args& a) {
  const Thread* t = sched_target(p, a[0]);
  if (t == nullptr) return err(ESRCH);
  const uint32_t n = p.host().num_pcpus();
  const uint64_t mask = (n >= 64 ? ~0ull : ((1ull << n) - 1)) & t->affinity;
  if (a[1] < 8) return err(EINVAL);
  return p.write(a[2], &mask, 8) ? 8 : err(EFAULT);
}
long sys_sched_setaffinity(Process& p, const Args& a) {
  uint64_t mask = 0;
  if (!p.read(a[2], &mask, std::min<uint64_t>(8, a[1]))) return err(EFAULT);
  const uint32_t n = p.host().num_pcpus();
  mask &= n >= 64 ? ~0ull : ((1ull << n) - 1);
  if (mask == 0) return err(EINVAL);
  Thread* t = sched_target(p, a[0]);
  if (t == nullptr) return err(ESRCH);
  t->affinity = mask;
  // The thread now runs on the lowest pCPU of its mask, as the scheduler would place it
  // when the current one is not allowed.
  if (!((mask >> t->pcpu) & 1)) p.set_thread_pcpu(*t, static_cast<uint32_t>(__builtin_ctzll(mask)));
  return 0;
}
// prctl(option, ...): the calling thread's name (PR_SET_NAME: up to 15 characters of the
// string, PR_GET_NAME: 16 bytes with the NUL). The other options are not modelled (ENOSYS,
// as every prctl was before: callers treat it as an old kernel's).
long sys_prctl(Process& p, const Args& a) {
  constexpr uint64_t kSetName = 15, kGetName = 16;
  constexpr size_t kCommLen = 16;  // TASK_COMM_LEN
  if (a[0] == kSetName) {
    char buf[kCommLen] = {};
    size_t n = 0;
    for (; n < kCommLen - 1; ++n) {
      if (!p.read(a[1] + n, &buf[n], 1)) return err(EFAULT);
      if (buf[n] == 0) break;
    }
    p.set_thread_name(std::string(buf, n));
    return 0;
  }
  if (a[0] == kGetName) {
    char buf[kCommLen] = {};
    std::memcpy(buf, p.thread().comm.data(), std::min(p.thread().comm.size(), kCommLen - 1));
    return p.write(a[1], buf, kCommLen) ? 0 : err(EFAULT);
  }
  return err(ENOSYS);
}
// getcpu(cpu, node, tcache): the pCPU the thread runs on, NUMA node 0 (one node).
long sys_getcpu(Process& p, const Args& a) {
  const uint32_t cpu = p.pcpu(), node = 0;
  if (a[0] != 0 && !p.write(a[0], &cpu, 4)) return err(EFAULT);
  if (a[1] != 0 && !p.write(a[1], &node, 4)) return err(EFAULT);
  return 0;
}
// rseq(rseq, rseq_len, flags, sig), as Linux 6.3+ (kernel/rseq.c): one registration per
// thread; registering again with the same arguments is EBUSY, with others EINVAL;
// RSEQ_FLAG_UNREGISTER (1) needs the registered ones. The area's fields are written before
// the thread returns to the program (Process::rseq_resume).
long sys_rseq(Process& p, const Args& a) {
  constexpr uint64_t kUnregister = 1, kOrigSize = 32, kFeatureSize = 32;  // offsetof(struct rseq, end) in 6.12
  Thread& t = p.thread();
  const uint64_t addr = a[0], len = static_cast<uint32_t>(a[1]), flags = a[2];
  const uint32_t sig = static_cast<uint32_t>(a[3]);
  if (flags & kUnregister) {
    if (flags & ~kUnregister) return err(EINVAL);
    if (t.rseq != addr || t.rseq == 0) return err(EINVAL);
    if (len != t.rseq_len) return err(EINVAL);
    if (sig != t.rseq_sig) return err(EPERM);
    const uint32_t uninit[2] = {0, UINT32_MAX};  // cpu_id_start 0, cpu_id RSEQ_CPU_ID_UNINITIALIZED
    if (!p.write(addr, uninit, sizeof uninit)) return err(EFAULT);
    t.rseq = 0;
    t.rseq_len = t.rseq_sig = 0;
    t.rseq_shown = UINT32_MAX;
    return 0;
  }
  if (flags != 0) return err(EINVAL);
  if (t.rseq != 0) {
    if (t.rseq != addr || len != t.rseq_len) return err(EINVAL);
    if (sig != t.rseq_sig) return err(EPERM);
    return err(EBUSY);
  }
  if (len < kOrigSize || (len == kOrigSize && addr % kOrigSize != 0) ||
      (len != kOrigSize && (addr % kOrigSize != 0 || len < kFeatureSize)))
    return err(EINVAL);
  std::vector<uint8_t> probe(len);
  if (!p.read(addr, probe.data(), len) || !p.write(addr, probe.data(), len)) return err(EFAULT);
  t.rseq = addr;
  t.rseq_len = static_cast<uint32_t>(len);
  t.rseq_sig = sig;
  t.rseq_shown = UINT32_MAX;  // shown where it runs before it returns
  return 0;
}
long sys_getpid(Process& p, const Args&) { return p.pid(); }
long sys_clone(Process& p, const Args& a) { return p.clone(a[0], a[1], a[2], a[3], a[4]); }
long sys_wait4(Process& p, const Args& a) { return p.wait4(static_cast<int64_t>(a[0]), a[1], a[2]); }
long sys_execve(Process& p, const Args& a) { return p.execve(a[0], a[1], a[2]); }

struct Syscall {
  uint16_t nr;
  const char* name;
  Handler fn;
  int8_t path_arg = -1;  // the argument that is a path, which --trace prints as a string
};
constexpr Syscall kSyscalls[] = {
    {17, "getcwd", sys_getcwd},
    {19, "eventfd2", sys_eventfd2},
    {20, "epoll_create1", sys_epoll_create1},
    {21, "epoll_ctl", sys_epoll_ctl},
    {22, "epoll_pwait", sys_epoll_pwait},
    {23, "dup", sys_dup},
    {24, "dup3", sys_dup3},
    {25, "fcntl", sys_fcntl},
    {29, "ioctl", sys_ioctl},
    {48, "faccessat", sys_faccessat, 1},
    {56, "openat", sys_openat, 1},
    {57, "close", sys_close},
    {59, "pipe2", sys_pipe2},
    {62, "lseek", sys_lseek},
    {63, "read", sys_read},
    {64, "write", sys_write},
    {65, "readv", sys_readv},
    {66, "writev", sys_writev},
    {67, "pread64", sys_pread64},
    {68, "pwrite64", sys_pwrite64},
    {46, "ftruncate", sys_ftruncate},
    {73, "ppoll", sys_ppoll},
    {74, "signalfd4", sys_signalfd4},
    {78, "readlinkat", sys_readlinkat, 1},
    {79, "newfstatat", sys_newfstatat, 1},
    {80, "fstat", sys_fstat},
    {93, "exit", sys_exit},
    {94, "exit_group", sys_exit_group},
    {96, "set_tid_address", sys_set_tid_address},
    {98, "futex", sys_futex},
    {99, "set_robust_list", sys_ok},
    {101, "nanosleep", sys_nanosleep},
    {113, "clock_gettime", sys_clock_gettime},
    {114, "clock_getres", sys_clock_getres},
    {115, "clock_nanosleep", sys_clock_nanosleep},
    {122, "sched_setaffinity", sys_sched_setaffinity},
    {167, "prctl", sys_prctl},
    {123, "sched_getaffinity", sys_sched_getaffinity},
    {124, "sched_yield", sys_sched_yield},
    {129, "kill", sys_kill},
    {130, "tkill", sys_tkill},
    {131, "tgkill", sys_tgkill},
    {132, "sigaltstack", sys_ok},
    {134, "rt_sigaction", sys_rt_sigaction},
    {135, "rt_sigprocmask", sys_rt_sigprocmask},
    {136, "rt_sigpending", sys_rt_sigpending},
    {137, "rt_sigtimedwait", sys_rt_sigtimedwait},
    {139, "rt_sigreturn", sys_rt_sigreturn},
    {160, "uname", sys_uname},
    {163, "getrlimit", sys_getrlimit},
    {168, "getcpu", sys_getcpu},
    {169, "gettimeofday", sys_gettimeofday},
    {172, "getpid", sys_getpid},
    {173, "getppid", sys_ok},
    {174, "getuid", sys_ok},
    {175, "geteuid", sys_ok},
    {176, "getgid", sys_ok},
    {177, "getegid", sys_ok},
    {178, "gettid", sys_gettid},
    {214, "brk", sys_brk},
    {220, "clone", sys_clone},
    {221, "execve", sys_execve, 0},
    {260, "wait4", sys_wait4},
    {215, "munmap", sys_munmap},
    {222, "mmap", sys_mmap},
    {226, "mprotect", sys_mprotect},
    {233, "madvise", sys_madvise},
    {261, "prlimit64", sys_prlimit64},
    {278, "getrandom", sys_getrandom},
    {282, "userfaultfd", sys_userfaultfd},
    {293, "rseq", sys_rseq},
};

constexpr auto kTable = [] {
  std::array<const Syscall*, 512> t{};
  for (const Syscall& s : kSyscalls) t[s.nr] = &s;
  return t;
}();

}  // namespace

long dispatch_syscall(Process& p, uint64_t nr, const Args& a, bool trace) {
  const Syscall* s = nr < kTable.size() ? kTable[nr] : nullptr;
  const long r = s != nullptr ? s->fn(p, a) : err(ENOSYS);
  if (trace) {
    // With several threads, which one made the call (as strace -f prefixes it).
    if (p.live_threads().size() > 1) std::fprintf(p.options().trace, "[tid %d] ", p.thread().tid);
    if (s != nullptr) {
      std::fprintf(p.options().trace, "%s(", s->name);
      for (int i = 0; i < 4; ++i) {
        const char* sep = i == 0 ? "" : ", ";
        const auto path = i == s->path_arg ? p.read_string(a[static_cast<size_t>(i)], 256) : std::nullopt;
        if (path) std::fprintf(p.options().trace, "%s\"%s\"", sep, printable(*path).c_str());
        else std::fprintf(p.options().trace, "%s0x%" PRIx64, sep, a[static_cast<size_t>(i)]);
      }
      std::fprintf(p.options().trace, ") = ");
    } else
      std::fprintf(p.options().trace, "syscall_%" PRIu64 "(0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64 ") = ", nr, a[0],
                   a[1], a[2]);
    if (r == kRestartSyscall)
      std::fprintf(p.options().trace, "? (waits; restarted when woken)\n");
    else if (r < 0 && r >= -4095)
      std::fprintf(p.options().trace, "-1 %s (%s)\n", strerrorname_np(static_cast<int>(-r)), std::strerror(static_cast<int>(-r)));
    else
      std::fprintf(p.options().trace, "0x%lx\n", static_cast<unsigned long>(r));
  }
  return r;
}

}  // namespace pmuemu::user
