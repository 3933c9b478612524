#include "emu/user/uffd.h"
#include "emu/user/signals.h"

#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <vector>

namespace pmuemu::user {
namespace {

long err(int e) { return -static_cast<long>(e); }

constexpr uint64_t kPage = 4096;
// arm64's TASK_SIZE with 48-bit virtual addresses: validate_range()'s bound.
constexpr uint64_t kTaskSize = uint64_t{1} << 48;
// Flag values of the arm64 ABI (asm-generic/fcntl.h; O_DIRECT is arm64's own).
constexpr uint64_t kOCloexec = 02000000, kONonblock = 04000, kODirect = 0200000, kONotificationPipe = 010000000;
// poll(2)/epoll(7) bits.
constexpr uint32_t kPollIn = 0x1, kPollOut = 0x4, kPollErr = 0x8, kPollHup = 0x10, kPollNval = 0x20,
                   kPollRdNorm = 0x40, kPollWrNorm = 0x100;
constexpr uint32_t kEpollExclusive = 1u << 28, kEpollWakeup = 1u << 29, kEpollOneshot = 1u << 30, kEpollEt = 1u << 31;
// DEFAULT_POLLMASK: what a file without a poll method reports.
constexpr uint32_t kDefaultPollMask = kPollIn | kPollOut | kPollRdNorm | kPollWrNorm;

// The features this layer implements and reports (UFFDIO_API): the thread id in messages
// and unmasked fault addresses. MISSING registration of anonymous private memory is the
// base API; write-protect, minor faults, the non-cooperative events and SIGBUS mode are
// not modelled and so not reported.
constexpr uint64_t kFeatures = UFFD_FEATURE_THREAD_ID | UFFD_FEATURE_EXACT_ADDRESS;
constexpr uint64_t kApiIoctls = (uint64_t{1} << _UFFDIO_REGISTER) | (uint64_t{1} << _UFFDIO_UNREGISTER) |
                                (uint64_t{1} << _UFFDIO_API);
constexpr uint64_t kRangeIoctls =
    (uint64_t{1} << _UFFDIO_WAKE) | (uint64_t{1} << _UFFDIO_COPY) | (uint64_t{1} << _UFFDIO_ZEROPAGE);

// validate_range(): a page-aligned, non-empty range inside the task size.
int validate_range(uint64_t start, uint64_t len, bool aligned_start = true) {
  if (aligned_start && (start & (kPage - 1)) != 0) return -EINVAL;
  if ((len & (kPage - 1)) != 0 || len == 0) return -EINVAL;
  if (start >= kTaskSize || len > kTaskSize - start) return -EINVAL;
  return 0;
}

// wake_userfault(): the context's threads waiting on a page of [start, start+len) run again
// (and fault again if the page is still missing).
void wake_range(Process& p, Uffd& ctx, uint64_t start, uint64_t len) {
  const uint64_t end = start + len;
  for (auto it = ctx.waiters.begin(); it != ctx.waiters.end();) {
    const uint64_t page = it->address & ~(kPage - 1);
    if (page >= (start & ~(kPage - 1)) && page < end) {
      p.wake_pages(page, kPage);
      it = ctx.waiters.erase(it);
    } else {
      ++it;
    }
  }
}

std::shared_ptr<OpenFile> file_of(Process& p, uint64_t fd) {
  auto it = p.files().find(static_cast<int>(fd));
  return it == p.files().end() ? nullptr : it->second;
}

// Whether a file has a poll method (epoll_ctl refuses the others with EPERM): pipes, epoll
// instances, uffds, and the standard streams, which the program sees as pipes.
bool pollable(const OpenFile& f) {
  switch (f.kind) {
    case OpenFile::Kind::kPipe:
    case OpenFile::Kind::kEpoll:
    case OpenFile::Kind::kUffd:
    case OpenFile::Kind::kEventfd:
    case OpenFile::Kind::kSignalfd:
      return true;
    case OpenFile::Kind::kHost:
      return f.host_fd <= 2;
    default:
      return false;
  }
}

// The ready entries of an epoll instance, at most max (ONESHOT entries are disarmed).
struct Ready {
  uint32_t events;
  uint64_t data;
};
std::vector<Ready> epoll_ready(Process& p, Epoll& ep, size_t max, bool consume) {
  std::vector<Ready> out;
  for (auto it = ep.entries.begin(); it != ep.entries.end() && out.size() < max;) {
    const auto f = it->second.file.lock();
    // A file whose last descriptor was closed, or whose fd now names another file, has left
    // the set (eventpoll_release()).
    const auto cur = p.files().find(it->first);
    if (f == nullptr || cur == p.files().end() || cur->second != f) {
      it = ep.entries.erase(it);
      continue;
    }
    const uint32_t want = it->second.events;
    const uint32_t got = poll_mask(*f) & (want | kPollErr | kPollHup);
    if (got != 0 && (want & ~(kEpollOneshot | kEpollEt | kEpollWakeup | kEpollExclusive)) != 0) {
      out.push_back({got, it->second.data});
      if (consume && (want & kEpollOneshot)) it->second.events = kEpollOneshot;  // disarmed until EPOLL_CTL_MOD
    }
    ++it;
  }
  return out;
}

}  // namespace

// ---------------- registrations and the page gate ----------------

UserFaults::~UserFaults() {
  if (pagemap_fd_ >= 0) ::close(pagemap_fd_);
}

bool UserFaults::populated(uint64_t va) {
  // /proc/self/pagemap: bit 63 present, bit 62 swapped (either: the page exists). A forked
  // child reopens it, or it would read its parent's.
  const int pid = ::getpid();
  if (pagemap_fd_ < 0 || pagemap_pid_ != pid) {
    if (pagemap_fd_ >= 0) ::close(pagemap_fd_);
    pagemap_fd_ = ::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    pagemap_pid_ = pid;
  }
  uint64_t e = 0;
  if (pagemap_fd_ >= 0 && ::pread(pagemap_fd_, &e, sizeof e, static_cast<off_t>(va / kPage * sizeof e)) == sizeof e)
    return (e >> 62) != 0;
  // Without pagemap: residency, which is the same for memory that is not swapped out.
  unsigned char v = 0;
  return ::mincore(reinterpret_cast<void*>(va & ~(kPage - 1)), kPage, &v) == 0 && (v & 1) != 0;
}

std::shared_ptr<Uffd> UserFaults::registered_at(uint64_t va) const {
  auto it = regs_.upper_bound(va);
  if (it == regs_.begin()) return nullptr;
  --it;
  return va < it->second.end ? it->second.ctx.lock() : nullptr;
}

std::shared_ptr<Uffd> UserFaults::missing_at(uint64_t va) {
  if (regs_.empty()) return nullptr;
  auto ctx = registered_at(va);
  if (ctx == nullptr || populated(va)) return nullptr;
  return ctx;
}

bool UserFaults::present(const uint8_t* h, bool write) {
  const auto va = reinterpret_cast<uint64_t>(h);
  if (missing_at(va) == nullptr) return true;
  pending_ = Pending{va, write};
  return false;
}

void UserFaults::split_at(uint64_t va) {
  auto it = regs_.upper_bound(va);
  if (it == regs_.begin()) return;
  --it;
  if (it->first == va || va >= it->second.end) return;
  Reg tail = it->second;
  it->second.end = va;
  regs_[va] = tail;
}

void UserFaults::add(uint64_t start, uint64_t end, const std::shared_ptr<Uffd>& ctx) {
  remove(start, end, nullptr);
  regs_[start] = Reg{end, ctx};
}

void UserFaults::remove(uint64_t start, uint64_t end, const Uffd* ctx) {
  split_at(start);
  split_at(end);
  for (auto it = regs_.lower_bound(start); it != regs_.end() && it->first < end;) {
    const auto owner = it->second.ctx.lock();
    if (ctx == nullptr || owner == nullptr || owner.get() == ctx) it = regs_.erase(it);
    else ++it;
  }
}

bool UserFaults::held_by_other(uint64_t start, uint64_t end, const Uffd* ctx) const {
  auto it = regs_.upper_bound(start);
  if (it != regs_.begin()) --it;
  for (; it != regs_.end() && it->first < end; ++it) {
    if (it->second.end <= start) continue;
    const auto owner = it->second.ctx.lock();
    if (owner != nullptr && owner.get() != ctx) return true;
  }
  return false;
}

bool UserFaults::covered(uint64_t start, uint64_t end) const {
  uint64_t at = start;
  auto it = regs_.upper_bound(start);
  if (it == regs_.begin()) return false;
  --it;
  for (; it != regs_.end() && at < end; ++it) {
    if (it->first > at || it->second.end <= at || it->second.ctx.expired()) return false;
    at = it->second.end;
  }
  return at >= end;
}

// ---------------- Process: waiting and waking ----------------

long Process::block_io(uint64_t deadline_ns) {
  Thread& t = thread();
  t.state = Thread::State::kIoWait;
  t.wake_ns = deadline_ns;
  t.io_deadline = deadline_ns;
  switch_now_ = true;
  return kRestartSyscall;
}

void Process::wake_io() {
  for (auto& t : threads_)
    if (t->state == Thread::State::kIoWait) t->state = Thread::State::kRunnable;
}

void Process::user_fault(const std::shared_ptr<Uffd>& ctx, uint64_t va, bool write) {
  Thread& t = thread();
  // handle_userfault(): the message carries the page (or the exact address with
  // UFFD_FEATURE_EXACT_ADDRESS), WRITE for a write fault, and the thread id with THREAD_ID.
  const uint64_t addr = (ctx->features & UFFD_FEATURE_EXACT_ADDRESS) ? va : (va & ~(kPage - 1));
  ctx->waiters.push_back(Uffd::Waiter{t.tid, addr, write ? uint64_t{UFFD_PAGEFAULT_FLAG_WRITE} : 0, false});
  t.state = Thread::State::kPageWait;
  t.wait_page = va & ~(kPage - 1);
  switch_now_ = true;
  wake_io();  // readers and pollers of the uffd
}

void Process::wake_pages(uint64_t va, uint64_t len) {
  for (auto& t : threads_)
    if (t->state == Thread::State::kPageWait && t->wait_page >= va && t->wait_page - va < len)
      t->state = Thread::State::kRunnable;
}

void Process::flush_tlbs() {
  for (auto& t : threads_)
    if (t->core) t->core->tlbi(cpu::mmu::TlbiOp::kVmallE1, 0);
}

void Process::drop_pages(uint64_t va, uint64_t len) {
  if (len == 0) return;
  ::madvise(mem_.host(va), len, MADV_DONTNEED);
  // The program's descriptors go too, so that its next access faults and asks whether the
  // page is missing to a userfaultfd; blocks decoded from the pages go with them.
  mem_.drop_descriptors(va, len);
  mem_.phys().host_pages_dropped(mem_.host(va), len);
  flush_tlbs();
  kvm_->host_pages_dropped(va, len);
}

// ---------------- files: readiness, pipes, uffd reads ----------------

uint32_t poll_mask(const OpenFile& f) {
  switch (f.kind) {
    case OpenFile::Kind::kPipe: {
      const Pipe& pp = *f.pipe;
      if (!f.pipe_write) return (pp.buf.empty() ? 0 : kPollIn | kPollRdNorm) | (pp.writers == 0 ? kPollHup : 0);
      return (pp.buf.size() < Pipe::kCapacity ? kPollOut | kPollWrNorm : 0) | (pp.readers == 0 ? kPollErr : 0);
    }
    case OpenFile::Kind::kSignalfd:
      return signalfd_readable(f) ? kPollIn | kPollRdNorm : 0;
    case OpenFile::Kind::kEventfd:
      // eventfd_poll(): readable while the counter is non-zero, writable while a write of 1
      // fits below the maximum, an error once a (kernel-side) overflow reached it.
      return (f.event_count > 0 ? kPollIn | kPollRdNorm : 0) |
             (f.event_count < UINT64_MAX - 1 ? kPollOut | kPollWrNorm : 0) |
             (f.event_count == UINT64_MAX ? kPollErr : 0);
    case OpenFile::Kind::kUffd:
      // userfaultfd_poll(): an error before UFFDIO_API and for a blocking uffd (a fault may
      // be woken before it is read, so poll could not promise a read will not block).
      if (!f.uffd->api || !f.nonblock) return kPollErr;
      return f.uffd->has_unread() ? kPollIn : 0;
    case OpenFile::Kind::kEpoll: {
      for (const auto& [fd, e] : f.epoll->entries) {
        const auto t = e.file.lock();
        if (t != nullptr && t->kind != OpenFile::Kind::kEpoll && (poll_mask(*t) & (e.events | kPollErr | kPollHup)))
          return kPollIn | kPollRdNorm;
      }
      return 0;
    }
    default:
      return kDefaultPollMask;
  }
}

long pipe_read(Process& p, OpenFile& f, uint8_t* dst, uint64_t len) {
  if (f.pipe_write) return err(EBADF);
  Pipe& pp = *f.pipe;
  if (len == 0) return 0;
  if (pp.buf.empty()) {
    if (pp.writers == 0) return 0;  // end of file
    if (f.nonblock) return err(EAGAIN);
    return p.block_io(UINT64_MAX);
  }
  const uint64_t n = std::min<uint64_t>(len, pp.buf.size());
  cpu::guest_copy(dst, pp.buf.data(), n);
  p.mem().phys().note_write(reinterpret_cast<uint64_t>(dst), n);
  pp.buf.erase(0, n);
  p.wake_io();
  return static_cast<long>(n);
}

long pipe_write(Process& p, OpenFile& f, const uint8_t* src, uint64_t len) {
  if (!f.pipe_write) return err(EBADF);
  Pipe& pp = *f.pipe;
  if (pp.readers == 0) {
    p.send_signal(&p.thread(), 13);  // SIGPIPE, then EPIPE if it is handled or ignored
    return err(EPIPE);
  }
  if (len == 0) return 0;
  constexpr uint64_t kPipeBuf = 4096;  // writes up to PIPE_BUF bytes are atomic
  const uint64_t space = Pipe::kCapacity - pp.buf.size();
  uint64_t n = len;
  if (len > space) {
    if (space == 0 || len <= kPipeBuf) return f.nonblock ? err(EAGAIN) : p.block_io(UINT64_MAX);
    n = space;  // a large write returns what fitted (Linux would block for the rest)
  }
  pp.buf.append(reinterpret_cast<const char*>(src), n);
  p.wake_io();
  return static_cast<long>(n);
}

long uffd_read(Process& p, OpenFile& f, uint64_t dst, uint64_t len) {
  Uffd& ctx = *f.uffd;
  if (!ctx.api) return err(EINVAL);
  if (len < sizeof(uffd_msg)) return err(EINVAL);
  long done = 0;
  // Every unread fault that fits; only the first may wait (userfaultfd_read_iter()).
  for (Uffd::Waiter& w : ctx.waiters) {
    if (w.read) continue;
    if (len - static_cast<uint64_t>(done) < sizeof(uffd_msg)) break;
    uffd_msg m{};
    m.event = UFFD_EVENT_PAGEFAULT;
    m.arg.pagefault.flags = w.flags;
    m.arg.pagefault.address = w.address;
    if (ctx.features & UFFD_FEATURE_THREAD_ID) m.arg.pagefault.feat.ptid = static_cast<uint32_t>(w.tid);
    if (!p.write(dst + static_cast<uint64_t>(done), &m, sizeof m)) return done != 0 ? done : err(EFAULT);
    w.read = true;
    done += static_cast<long>(sizeof m);
  }
  if (done != 0) return done;
  if (f.nonblock) return err(EAGAIN);
  return p.block_io(UINT64_MAX);
}

void uffd_release(Process& p, const std::shared_ptr<Uffd>& ctx) {
  p.user_faults().remove(0, kTaskSize, ctx.get());
  // The waiting threads fault again, now outside any registration: their pages are filled
  // the ordinary way.
  for (const Uffd::Waiter& w : ctx->waiters) p.wake_pages(w.address & ~(kPage - 1), kPage);
  ctx->waiters.clear();
}

// ---------------- UFFDIO_* ----------------
namespace {

// UFFDIO_API: the handshake. A wrong API number, an unknown or unimplemented feature, or a
// second handshake is EINVAL with the struct zeroed, as userfaultfd_api() leaves it.
long uffd_api(Process& p, Uffd& ctx, uint64_t arg) {
  uffdio_api a;
  if (!p.read(arg, &a, sizeof a)) return err(EFAULT);
  auto fail = [&] {
    const uffdio_api zero{};
    return p.write(arg, &zero, sizeof zero) ? err(EINVAL) : err(EFAULT);
  };
  if (a.api != UFFD_API) return fail();
  if (a.features & ~kFeatures) return fail();
  const uint64_t requested = a.features;
  a.features = kFeatures;
  a.ioctls = kApiIoctls;
  if (!p.write(arg, &a, sizeof a)) return err(EFAULT);
  if (ctx.api) return fail();
  ctx.api = true;
  ctx.features = requested;
  return 0;
}

long uffd_register(Process& p, const std::shared_ptr<Uffd>& ctx, uint64_t arg) {
  uffdio_register r;
  if (!p.read(arg, &r, sizeof r - sizeof r.ioctls)) return err(EFAULT);
  constexpr uint64_t kModes = UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_WP | UFFDIO_REGISTER_MODE_MINOR;
  if (r.mode == 0 || (r.mode & ~kModes)) return err(EINVAL);
  // arm64 has no userfaultfd write protection in 6.12 (no HAVE_ARCH_USERFAULTFD_WP), and
  // minor faults exist only for hugetlbfs and shmem, which this layer does not map:
  // vma_can_userfault() refuses anonymous memory.
  if (r.mode & (UFFDIO_REGISTER_MODE_WP | UFFDIO_REGISTER_MODE_MINOR)) return err(EINVAL);
  if (const int rc = validate_range(r.range.start, r.range.len); rc != 0) return rc;
  const uint64_t start = r.range.start, end = start + r.range.len;
  const auto runs = p.mem().regions_in(start, end);
  if (runs.empty()) return err(EINVAL);  // no mapping in the range
  for (const auto& run : runs) {
    if (run.shared) return err(EINVAL);  // a vCPU's kvm_run page: not anonymous memory
    if (p.user_faults().held_by_other(run.start, run.end, ctx.get())) return err(EBUSY);
  }
  for (const auto& run : runs) {
    p.user_faults().add(run.start, run.end, ctx);
    // One populated page must never populate its neighbours (a transparent huge page).
    ::madvise(p.mem().host(run.start), run.end - run.start, MADV_NOHUGEPAGE);
    // The program's next access to each page faults and asks whether it is missing.
    p.mem().drop_descriptors(run.start, run.end - run.start);
  }
  p.flush_tlbs();
  r.ioctls = kRangeIoctls;
  return p.write(arg + offsetof(uffdio_register, ioctls), &r.ioctls, sizeof r.ioctls) ? 0 : err(EFAULT);
}

long uffd_unregister(Process& p, const std::shared_ptr<Uffd>& ctx, uint64_t arg) {
  uffdio_range r;
  if (!p.read(arg, &r, sizeof r)) return err(EFAULT);
  if (const int rc = validate_range(r.start, r.len); rc != 0) return rc;
  const uint64_t start = r.start, end = start + r.len;
  const auto runs = p.mem().regions_in(start, end);
  if (runs.empty()) return err(EINVAL);
  for (const auto& run : runs)
    if (run.shared) return err(EINVAL);
  // Waiters of the range run again (and now fault the ordinary way).
  wake_range(p, *ctx, start, end - start);
  p.user_faults().remove(start, end, ctx.get());
  return 0;
}

// The checks and the page loop UFFDIO_COPY and UFFDIO_ZEROPAGE share (mfill_atomic()): the
// destination must lie in one registered range (-ENOENT), every page must be missing
// (-EEXIST); the result is the bytes filled before the first failure, or its errno.
long mfill(Process& p, uint64_t dst, uint64_t src, uint64_t len, bool zero) {
  if (!p.user_faults().covered(dst, dst + len) || !p.mem().accessible(dst, len, 0)) return err(ENOENT);
  long done = 0;
  for (uint64_t off = 0; off < len; off += kPage) {
    const uint64_t d = dst + off;
    if (p.user_faults().populated(d)) return done != 0 ? done : err(EEXIST);
    if (zero) {
      // The shared zero page: present, reads as zero, no memory of its own.
      [[maybe_unused]] const volatile uint8_t touch = *p.mem().host(d);
    } else {
      if (!p.mem().accessible(src + off, kPage, kProtRead)) return done != 0 ? done : err(EFAULT);
      cpu::guest_copy(p.mem().host(d), p.mem().host(src + off), kPage);
      p.mem().phys().note_write(d, kPage);
    }
    done += static_cast<long>(kPage);
  }
  return done;
}

long uffd_copy(Process& p, Uffd& ctx, uint64_t arg) {
  uffdio_copy c;
  if (!p.read(arg, &c, sizeof c - sizeof c.copy)) return err(EFAULT);
  if (const int rc = validate_range(c.src, c.len, false); rc != 0) return rc;
  if (const int rc = validate_range(c.dst, c.len); rc != 0) return rc;
  if (c.mode & ~(UFFDIO_COPY_MODE_DONTWAKE | UFFDIO_COPY_MODE_WP)) return err(EINVAL);
  // MODE_WP needs a write-protect registration, which arm64 cannot have here.
  const long r = (c.mode & UFFDIO_COPY_MODE_WP) ? err(EINVAL) : mfill(p, c.dst, c.src, c.len, false);
  const int64_t out = r;
  if (!p.write(arg + offsetof(uffdio_copy, copy), &out, sizeof out)) return err(EFAULT);
  if (r < 0) return r;
  if (!(c.mode & UFFDIO_COPY_MODE_DONTWAKE)) wake_range(p, ctx, c.dst, static_cast<uint64_t>(r));
  return static_cast<uint64_t>(r) == c.len ? 0 : err(EAGAIN);
}

long uffd_zeropage(Process& p, Uffd& ctx, uint64_t arg) {
  uffdio_zeropage z;
  if (!p.read(arg, &z, sizeof z - sizeof z.zeropage)) return err(EFAULT);
  if (const int rc = validate_range(z.range.start, z.range.len); rc != 0) return rc;
  if (z.mode & ~UFFDIO_ZEROPAGE_MODE_DONTWAKE) return err(EINVAL);
  const long r = mfill(p, z.range.start, 0, z.range.len, true);
  const int64_t out = r;
  if (!p.write(arg + offsetof(uffdio_zeropage, zeropage), &out, sizeof out)) return err(EFAULT);
  if (r < 0) return r;
  if (!(z.mode & UFFDIO_ZEROPAGE_MODE_DONTWAKE)) wake_range(p, ctx, z.range.start, static_cast<uint64_t>(r));
  return static_cast<uint64_t>(r) == z.range.len ? 0 : err(EAGAIN);
}

long uffd_wake(Process& p, Uffd& ctx, uint64_t arg) {
  uffdio_range r;
  if (!p.read(arg, &r, sizeof r)) return err(EFAULT);
  if (const int rc = validate_range(r.start, r.len); rc != 0) return rc;
  wake_range(p, ctx, r.start, r.len);
  return 0;
}

}  // namespace

long uffd_ioctl(Process& p, OpenFile& f, uint64_t request, uint64_t arg) {
  const std::shared_ptr<Uffd>& ctx = f.uffd;
  if (request != UFFDIO_API && !ctx->api) return err(EINVAL);
  switch (request) {
    case UFFDIO_API: return uffd_api(p, *ctx, arg);
    case UFFDIO_REGISTER: return uffd_register(p, ctx, arg);
    case UFFDIO_UNREGISTER: return uffd_unregister(p, ctx, arg);
    case UFFDIO_WAKE: return uffd_wake(p, *ctx, arg);
    case UFFDIO_COPY: return uffd_copy(p, *ctx, arg);
    case UFFDIO_ZEROPAGE: return uffd_zeropage(p, *ctx, arg);
    default: return err(EINVAL);  // userfaultfd_ioctl(): WRITEPROTECT, CONTINUE, MOVE, POISON too
  }
}

// ---------------- system calls ----------------

long sys_userfaultfd(Process& p, const SysArgs& a) {
  if (a[0] & ~(kOCloexec | kONonblock | UFFD_USER_MODE_ONLY)) return err(EINVAL);
  auto f = std::make_shared<OpenFile>();
  f->kind = OpenFile::Kind::kUffd;
  f->uffd = std::make_shared<Uffd>();
  f->nonblock = (a[0] & kONonblock) != 0;
  f->path = "anon_inode:[userfaultfd]";
  return p.new_fd(f);
}

long sys_pipe2(Process& p, const SysArgs& a) {
  if (a[1] & ~(kOCloexec | kONonblock | kODirect | kONotificationPipe)) return err(EINVAL);
  if (a[1] & kONotificationPipe) return err(EINVAL);  // CONFIG_WATCH_QUEUE's pipes: not modelled
  auto pipe = std::make_shared<Pipe>();
  auto end = [&](bool write) {
    auto f = std::make_shared<OpenFile>();
    f->kind = OpenFile::Kind::kPipe;
    f->pipe = pipe;
    f->pipe_write = write;
    f->nonblock = (a[1] & kONonblock) != 0;
    f->path = "pipe:";
    ++(write ? pipe->writers : pipe->readers);
    return f;
  };
  const int fds[2] = {p.new_fd(end(false)), p.new_fd(end(true))};
  if (!p.write(a[0], fds, sizeof fds)) {
    p.files().erase(fds[0]);
    p.files().erase(fds[1]);
    return err(EFAULT);
  }
  return 0;
}

long sys_epoll_create1(Process& p, const SysArgs& a) {
  if (a[0] & ~kOCloexec) return err(EINVAL);
  auto f = std::make_shared<OpenFile>();
  f->kind = OpenFile::Kind::kEpoll;
  f->epoll = std::make_shared<Epoll>();
  f->path = "anon_inode:[eventpoll]";
  return p.new_fd(f);
}

// epoll_ctl(epfd, op, fd, event), in do_epoll_ctl()'s order of checks.
long sys_epoll_ctl(Process& p, const SysArgs& a) {
  constexpr uint64_t kAdd = 1, kDel = 2, kMod = 3;
  const uint64_t op = a[1];
  struct {
    uint32_t events;
    uint64_t data;
  } ev{};  // struct epoll_event on arm64: not packed, data at offset 8
  static_assert(sizeof ev == 16);
  const bool has_event = op != kDel;
  if (has_event && !p.read(a[3], &ev, sizeof ev)) return err(EFAULT);
  const auto ep = file_of(p, a[0]);
  if (!ep) return err(EBADF);
  const auto target = file_of(p, a[2]);
  if (!target) return err(EBADF);
  if (!pollable(*target)) return err(EPERM);
  if (ep->kind != OpenFile::Kind::kEpoll || ep == target) return err(EINVAL);
  constexpr uint32_t kExclusiveOk = kPollIn | kPollOut | kPollErr | kPollHup | kEpollWakeup | kEpollEt | kEpollExclusive;
  if (has_event && (ev.events & kEpollExclusive)) {
    if (op == kMod) return err(EINVAL);
    if (op == kAdd && (target->kind == OpenFile::Kind::kEpoll || (ev.events & ~kExclusiveOk))) return err(EINVAL);
  }
  auto& entries = ep->epoll->entries;
  const int fd = static_cast<int>(a[2]);
  auto it = entries.find(fd);
  if (it != entries.end() && it->second.file.lock() != target) {
    entries.erase(it);  // a stale entry of a file this fd no longer names
    it = entries.end();
  }
  switch (op) {
    case kAdd:
      if (it != entries.end()) return err(EEXIST);
      entries[fd] = Epoll::Entry{target, ev.events, ev.data};
      return 0;
    case kDel:
      if (it == entries.end()) return err(ENOENT);
      entries.erase(it);
      return 0;
    case kMod:
      if (it == entries.end()) return err(ENOENT);
      if (it->second.events & kEpollExclusive) return err(EINVAL);
      it->second.events = ev.events;
      it->second.data = ev.data;
      return 0;
    default:
      return err(EINVAL);
  }
}

namespace {
// The deadline of a waiting call: the one it set when it first blocked (it is being
// restarted), else now + timeout (UINT64_MAX: none).
uint64_t wait_deadline(Process& p, bool infinite, uint64_t timeout_ns) {
  const Thread& t = p.thread();
  if (t.io_deadline != 0) return t.io_deadline;
  return infinite ? UINT64_MAX : p.now_ns() + timeout_ns;
}
}  // namespace

// epoll_pwait(epfd, events, maxevents, timeout_ms, sigmask, sigsetsize). Level-triggered:
// EPOLLET is accepted and reported like a level (no signals are ever pending here, so the
// mask changes nothing either).
long sys_epoll_pwait(Process& p, const SysArgs& a) {
  const int maxevents = static_cast<int>(a[2]);
  if (maxevents <= 0 || static_cast<uint64_t>(maxevents) > INT_MAX / 16) return err(EINVAL);
  const auto ep = file_of(p, a[0]);
  if (!ep) return err(EBADF);
  if (ep->kind != OpenFile::Kind::kEpoll) return err(EINVAL);
  if (a[4] != 0 && a[5] != 8) return err(EINVAL);
  const auto ready = epoll_ready(p, *ep->epoll, static_cast<size_t>(maxevents), true);
  if (!ready.empty()) {
    for (size_t i = 0; i < ready.size(); ++i) {
      const struct {
        uint32_t events;
        uint64_t data;
      } out{ready[i].events, ready[i].data};
      if (!p.write(a[1] + 16 * i, &out, sizeof out)) return i != 0 ? static_cast<long>(i) : err(EFAULT);
    }
    return static_cast<long>(ready.size());
  }
  const int timeout_ms = static_cast<int>(a[3]);
  if (timeout_ms == 0) return 0;
  const uint64_t deadline = wait_deadline(p, timeout_ms < 0, static_cast<uint64_t>(timeout_ms) * 1000000);
  if (deadline != UINT64_MAX && p.now_ns() >= deadline) return 0;
  return p.block_io(deadline);
}

// ppoll(fds, nfds, timeout, sigmask, sigsetsize) (glibc's poll() on arm64).
long sys_ppoll(Process& p, const SysArgs& a) {
  constexpr uint64_t kNofile = 1024 * 1024;  // RLIMIT_NOFILE's hard limit
  const uint64_t nfds = a[1];
  if (nfds > kNofile) return err(EINVAL);
  struct PollFd {
    int32_t fd;
    int16_t events, revents;
  };
  std::vector<PollFd> fds(nfds);
  if (nfds != 0 && !p.read(a[0], fds.data(), nfds * sizeof(PollFd))) return err(EFAULT);
  bool infinite = true;
  uint64_t timeout_ns = 0;
  if (a[2] != 0) {
    int64_t ts[2];
    if (!p.read(a[2], ts, sizeof ts)) return err(EFAULT);
    if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000) return err(EINVAL);
    infinite = false;
    timeout_ns = static_cast<uint64_t>(ts[0]) * 1000000000ull + static_cast<uint64_t>(ts[1]);
  }
  if (a[3] != 0 && a[4] != 8) return err(EINVAL);
  long n = 0;
  for (PollFd& pf : fds) {
    pf.revents = 0;
    if (pf.fd < 0) continue;
    const auto f = file_of(p, static_cast<uint64_t>(pf.fd));
    const uint32_t m = f ? poll_mask(*f) & (static_cast<uint16_t>(pf.events) | kPollErr | kPollHup) : kPollNval;
    pf.revents = static_cast<int16_t>(m);
    if (m != 0) ++n;
  }
  if (n != 0 || (!infinite && timeout_ns == 0)) {
    if (nfds != 0 && !p.write(a[0], fds.data(), nfds * sizeof(PollFd))) return err(EFAULT);
    return n;
  }
  const uint64_t deadline = wait_deadline(p, infinite, timeout_ns);
  if (deadline != UINT64_MAX && p.now_ns() >= deadline) {
    if (nfds != 0 && !p.write(a[0], fds.data(), nfds * sizeof(PollFd))) return err(EFAULT);
    return 0;
  }
  return p.block_io(deadline);
}

}  // namespace pmuemu::user
