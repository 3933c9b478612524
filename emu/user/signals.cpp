#include "emu/user/signals.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "emu/user/uffd.h"

namespace pmuemu::user {
namespace {

long err(int e) { return -static_cast<long>(e); }
uint64_t bit_of(int sig) { return uint64_t{1} << (sig - 1); }

constexpr int kSigKill = 9, kSigSegv = 11, kSigStop = 19;
constexpr uint64_t kSigDfl = 0, kSigIgn = 1;
constexpr uint64_t kSaSiginfo = 0x4, kSaRestorer = 0x04000000, kSaRestart = 0x10000000, kSaNodefer = 0x40000000, kSaResethand = 0x80000000;
constexpr uint64_t kUnblockable = (uint64_t{1} << (kSigKill - 1)) | (uint64_t{1} << (kSigStop - 1));
constexpr int kSiUser = 0, kSiTkill = -6;  // si_code of kill() and tgkill()

// Signals whose default action is to do nothing: SIGCHLD, SIGCONT, SIGURG, SIGWINCH, and the
// job-control stops SIGTSTP, SIGTTIN, SIGTTOU (no terminal, no job control here).
constexpr uint64_t kIgnoredByDefault = (uint64_t{1} << (17 - 1)) | (uint64_t{1} << (18 - 1)) | (uint64_t{1} << (20 - 1)) |
                                       (uint64_t{1} << (21 - 1)) | (uint64_t{1} << (22 - 1)) | (uint64_t{1} << (23 - 1)) |
                                       (uint64_t{1} << (28 - 1));
bool ignored_by_default(int sig) { return (kIgnoredByDefault & bit_of(sig)) != 0; }

std::string signal_name(int sig) {
  static constexpr const char* kNames[] = {"",        "SIGHUP",  "SIGINT",  "SIGQUIT", "SIGILL",  "SIGTRAP",
                                           "SIGABRT", "SIGBUS",  "SIGFPE",  "SIGKILL", "SIGUSR1", "SIGSEGV",
                                           "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM"};
  const std::string n = "signal " + std::to_string(sig);
  return sig > 0 && sig < 16 ? n + " (" + kNames[sig] + ")" : n;
}

// Signal frames: the program's handler runs on its stack with x0 = signal, x1 = a siginfo
// (SA_SIGINFO), x30 = its sa_restorer with SA_RESTORER, else the process's trampoline
// (both call rt_sigreturn).
// The frame keeps what rt_sigreturn restores: X0-X30, SP, PC, PSTATE, V0-V31, FPSR, FPCR,
// the signal mask.
struct SigFrame {
  uint64_t magic;
  uint64_t x[31];
  uint64_t sp, pc, pstate, mask;
  uint64_t fpsr, fpcr;
  cpu::VReg v[32];
  int32_t info[32];  // siginfo_t: si_signo, si_errno, si_code, si_pid, si_uid
};
constexpr uint64_t kFrameMagic = 0x706d7565'73696766ull;  // "pmuesigf"

// The system calls that an interrupting handler with SA_RESTART runs again afterwards
// (Linux's -ERESTARTSYS calls) rather than failing with EINTR: read, write, readv, writev,
// pread64, futex, wait4. KVM_RUN returns -EINTR itself, the poll family and the sleeps
// always fail with EINTR.
constexpr std::array<uint64_t, 7> kRestartable = {63, 64, 65, 66, 67, 98, 260};
bool restarts(uint64_t nr) { return std::ranges::find(kRestartable, nr) != kRestartable.end(); }

// Takes the lowest pending signal of `set`, from thread t's own first, then from the
// process's (Linux's dequeue_signal()): its number and si_code (SI_TKILL for one sent to
// the thread, SI_USER for one sent to the process); 0 when none is pending.
struct Taken {
  int sig = 0;
  int code = 0;
};
Taken take_pending(Process& p, Thread& t, uint64_t set) {
  for (uint64_t* from : {&t.pending, &p.shared_pending}) {
    if (const uint64_t hit = *from & set) {
      const int sig = std::countr_zero(hit) + 1;
      *from &= ~bit_of(sig);
      return {sig, from == &t.pending ? kSiTkill : kSiUser};
    }
  }
  return {};
}

}  // namespace

bool Process::push_signal_frame(int sig, const SigAction& act, const std::string& reason) {
  using cpu::SysSlot;
  // At the vector stub (after an exception or system call) the program resumes at ELR_EL1;
  // a thread whose quantum ran out stopped at EL0, at its own PC.
  const bool in_vector = core_->state().el != 0;
  SigFrame f{};
  f.magic = kFrameMagic;
  for (unsigned i = 0; i < 31; ++i) f.x[i] = core_->x(i);
  f.sp = core_->state().sp_el0;
  f.pc = in_vector ? core_->sysreg(SysSlot::ELR_EL1) : core_->state().pc;
  f.pstate = in_vector ? core_->sysreg(SysSlot::SPSR_EL1) : core_->state().nzcv;
  f.mask = thread().sigmask;
  f.fpsr = core_->sysreg(SysSlot::FPSR);
  f.fpcr = core_->sysreg(SysSlot::FPCR);
  for (unsigned i = 0; i < 32; ++i) f.v[i] = core_->state().v[i];
  f.info[0] = sig;
  f.info[2] = kSiTkill;
  f.info[3] = opts_.pid;
  const uint64_t sp = (f.sp - sizeof f - 128) & ~0xfull;
  if (!write(sp, &f, sizeof f)) {
    fatal_signal_ = kSigSegv;
    fatal_reason_ = reason + "; the signal frame does not fit on the stack";
    return false;
  }
  thread().sigmask |= (act.mask | ((act.flags & kSaNodefer) ? 0 : bit_of(sig))) & ~kUnblockable;
  core_->state().sp_el0 = sp;
  core_->set_x(0, static_cast<uint64_t>(sig));
  core_->set_x(1, (act.flags & kSaSiginfo) ? sp + offsetof(SigFrame, info) : 0);
  core_->set_x(2, 0);
  core_->set_x(30, (act.flags & kSaRestorer) ? act.restorer : sigtramp_);
  if (in_vector) {
    core_->set_sysreg(SysSlot::ELR_EL1, act.handler);
    core_->set_sysreg(SysSlot::SPSR_EL1, f.pstate & 0xf0000000ull);  // EL0t, nothing masked
  } else {
    core_->state().pc = act.handler;
  }
  if (act.flags & kSaResethand) sigactions[sig] = SigAction{};
  return true;
}

void Process::raise_signal(int sig, const std::string& reason) {
  const SigAction& act = sigactions[sig];
  if (opts_.trace_syscall)
    std::fprintf(opts_.trace, "--- %s to tid %d: %s ---\n", signal_name(sig).c_str(), thread().tid, reason.c_str());
  const bool blocked = (thread().sigmask & bit_of(sig)) != 0;
  if (act.handler == kSigDfl || act.handler == kSigIgn || blocked) {
    // A synchronous fault whose handler is default, ignored or blocked kills the process
    // (Linux force_sig_fault resets it to the default action).
    fatal_signal_ = sig;
    fatal_reason_ = reason;
    return;
  }
  push_signal_frame(sig, act, reason);
}

bool Process::sigreturn() {
  using cpu::SysSlot;
  SigFrame f;
  if (!read(core_->state().sp_el0, &f, sizeof f) || f.magic != kFrameMagic) return false;
  for (unsigned i = 0; i < 31; ++i) core_->set_x(i, f.x[i]);
  core_->state().sp_el0 = f.sp;
  core_->set_sysreg(SysSlot::ELR_EL1, f.pc);
  core_->set_sysreg(SysSlot::SPSR_EL1, f.pstate & 0xf0000000ull);  // NZCV only: the program stays at EL0
  core_->set_sysreg(SysSlot::FPSR, f.fpsr);
  core_->set_sysreg(SysSlot::FPCR, f.fpcr);
  for (unsigned i = 0; i < 32; ++i) core_->state().v[i] = f.v[i];
  thread().sigmask = f.mask & ~kUnblockable;
  return true;
}

void Process::send_signal(Thread* t, int sig) {
  const uint64_t b = bit_of(sig);
  if (t == nullptr) {
    shared_pending |= b;
    // complete_signal(): the current thread if it takes it, else the first that does.
    if (!(thread().sigmask & b)) t = &thread();
    for (size_t i = 0; t == nullptr && i < threads_.size(); ++i)
      if (threads_[i]->state != Thread::State::kExited && !(threads_[i]->sigmask & b)) t = threads_[i].get();
  } else {
    t->pending |= b;
  }
  // Waits for a file (and sigwait, signalfd) look again; a thread that takes the signal
  // leaves its futex wait or sleep with EINTR to run the handler.
  wake_io();
  if (t == nullptr || (t->sigmask & b)) return;
  if (t->state == Thread::State::kFutexWait || t->state == Thread::State::kSleeping) {
    t->state = Thread::State::kRunnable;
    t->core->set_x(0, static_cast<uint64_t>(-EINTR));
  }
}

void Process::deliver_signals() {
  using cpu::SysSlot;
  Thread& t = thread();
  while (const uint64_t d = deliverable(t)) {
    const int sig = std::countr_zero(d) + 1;
    const uint64_t b = bit_of(sig);
    if (t.pending & b) t.pending &= ~b;
    else shared_pending &= ~b;
    const SigAction act = sigactions[sig];
    if (act.handler == kSigIgn || (act.handler == kSigDfl && ignored_by_default(sig))) continue;
    const std::string reason = signal_name(sig) + " (default action: terminate)";
    if (act.handler == kSigDfl) {
      fatal_signal_ = sig;
      fatal_reason_ = reason;
      return;
    }
    if (t.restarting) {
      // A waiting system call the signal interrupts: with SA_RESTART a restartable call
      // runs again after the handler (ELR is still at its SVC); otherwise it fails with
      // EINTR and the program resumes after it.
      t.restarting = false;
      const uint64_t nr = core_->x(8);
      if (!((act.flags & kSaRestart) && restarts(nr))) {
        core_->set_x(0, static_cast<uint64_t>(-EINTR));
        core_->set_sysreg(SysSlot::ELR_EL1, core_->sysreg(SysSlot::ELR_EL1) + 4);
        t.io_deadline = 0;  // the call is over: the next wait starts afresh
      }
    }
    if (opts_.trace_syscall)
      std::fprintf(opts_.trace, "--- %s delivered to tid %d: handler 0x%llx ---\n", signal_name(sig).c_str(), t.tid,
                   static_cast<unsigned long long>(act.handler));
    push_signal_frame(sig, act, reason);
    return;  // one frame per return to the program; the next after its rt_sigreturn
  }
}

// ---------------- system calls ----------------

long sys_rt_sigaction(Process& p, const SigArgs& a) {
  const uint64_t sig = a[0];
  if (sig < 1 || sig > 64 || (a[1] != 0 && (sig == kSigKill || sig == kSigStop)) || a[3] != 8) return err(EINVAL);
  if (a[2] != 0) {
    const Process::SigAction& old = p.sigactions[sig];
    const uint64_t o[4] = {old.handler, old.flags, old.restorer, old.mask};
    if (!p.write(a[2], o, sizeof o)) return err(EFAULT);
  }
  if (a[1] != 0) {
    uint64_t n[4];
    if (!p.read(a[1], n, sizeof n)) return err(EFAULT);
    p.sigactions[sig] = {n[0], n[1], n[2], n[3] & ~kUnblockable};
    // Setting SIG_IGN (or SIG_DFL of a signal ignored by default) discards it where pending.
    if (n[0] == kSigIgn || (n[0] == kSigDfl && ignored_by_default(static_cast<int>(sig)))) {
      p.shared_pending &= ~bit_of(static_cast<int>(sig));
      for (Thread* t : p.live_threads()) t->pending &= ~bit_of(static_cast<int>(sig));
    }
  }
  return 0;
}

long sys_rt_sigprocmask(Process& p, const SigArgs& a) {
  if (a[3] != 8) return err(EINVAL);
  uint64_t& mask = p.thread().sigmask;
  uint64_t m = 0;
  if (a[1] != 0) {
    if (a[0] > 2) return err(EINVAL);
    if (!p.read(a[1], &m, 8)) return err(EFAULT);
  }
  if (a[2] != 0 && !p.write(a[2], &mask, 8)) return err(EFAULT);
  if (a[1] != 0) {
    m &= ~kUnblockable;
    if (a[0] == 0) mask |= m;         // SIG_BLOCK
    else if (a[0] == 1) mask &= ~m;   // SIG_UNBLOCK
    else mask = m;                    // SIG_SETMASK
  }
  return 0;
}

long sys_rt_sigreturn(Process& p, const SigArgs&) {
  if (!p.sigreturn()) p.raise_signal(kSigSegv, "rt_sigreturn with a corrupt signal frame");
  return 0;
}

long sys_rt_sigpending(Process& p, const SigArgs& a) {
  if (a[1] != 8) return err(EINVAL);
  const uint64_t v = p.pending(p.thread()) & p.thread().sigmask;
  return p.write(a[0], &v, 8) ? 0 : err(EFAULT);
}

// rt_sigtimedwait(set, info, timeout, sigsetsize): takes a pending signal of the set (the
// thread's own first), or waits for one until the timeout.
long sys_rt_sigtimedwait(Process& p, const SigArgs& a) {
  if (a[3] != 8) return err(EINVAL);
  uint64_t set = 0;
  if (!p.read(a[0], &set, 8)) return err(EFAULT);
  set &= ~kUnblockable;
  Thread& t = p.thread();
  if (const Taken got = take_pending(p, t, set); got.sig != 0) {
    if (a[1] != 0) {
      int32_t info[32] = {got.sig, 0, got.code, p.pid()};
      if (!p.write(a[1], info, sizeof info)) return err(EFAULT);
    }
    return got.sig;
  }
  uint64_t deadline = UINT64_MAX;
  if (a[2] != 0) {
    int64_t ts[2];
    if (!p.read(a[2], ts, sizeof ts)) return err(EFAULT);
    if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000) return err(EINVAL);
    // The deadline of the first attempt holds across the restarts of the same call.
    deadline = t.io_deadline != 0 ? t.io_deadline
                                  : p.now_ns() + static_cast<uint64_t>(ts[0]) * 1000000000ull + static_cast<uint64_t>(ts[1]);
    if (p.now_ns() >= deadline) return err(EAGAIN);
  }
  return p.block_io(deadline);
}

long sys_kill(Process& p, const SigArgs& a) {
  const int64_t pid = static_cast<int64_t>(a[0]);
  const uint64_t sig = a[1];
  if (sig > 64) return err(EINVAL);
  // Only this process is reachable (its children are host processes of their own).
  if (pid != p.pid() && pid != 0 && pid != -1) return err(ESRCH);
  if (sig != 0) p.send_signal(nullptr, static_cast<int>(sig));
  return 0;
}

long sys_tgkill(Process& p, const SigArgs& a) {
  const int64_t tgid = static_cast<int64_t>(a[0]), tid = static_cast<int64_t>(a[1]);
  const uint64_t sig = a[2];
  if (sig > 64 || tid <= 0 || (tgid <= 0 && tgid != -1)) return err(EINVAL);
  if (tgid != -1 && tgid != p.pid()) return err(ESRCH);
  Thread* t = p.thread_by_tid(static_cast<int>(tid));
  if (t == nullptr) return err(ESRCH);
  if (sig != 0) p.send_signal(t, static_cast<int>(sig));
  return 0;
}

long sys_tkill(Process& p, const SigArgs& a) { return sys_tgkill(p, {static_cast<uint64_t>(-1), a[0], a[1], 0, 0, 0}); }

// signalfd4(fd, mask, sizemask, flags): a new signalfd, or a new mask for an existing one.
long sys_signalfd4(Process& p, const SigArgs& a) {
  constexpr uint64_t kSfdNonblock = 0x800, kSfdCloexec = 0x80000;
  if (a[2] != 8 || (a[3] & ~(kSfdNonblock | kSfdCloexec))) return err(EINVAL);
  uint64_t mask = 0;
  if (!p.read(a[1], &mask, 8)) return err(EFAULT);
  mask &= ~kUnblockable;
  const int fd = static_cast<int>(a[0]);
  if (fd != -1) {
    auto it = p.files().find(fd);
    if (it == p.files().end()) return err(EBADF);
    if (it->second->kind != OpenFile::Kind::kSignalfd) return err(EINVAL);
    it->second->signal_mask = mask;
    p.wake_io();
    return fd;
  }
  auto f = std::make_shared<OpenFile>();
  f->kind = OpenFile::Kind::kSignalfd;
  f->signal_mask = mask;
  f->signal_owner = &p;
  f->nonblock = (a[3] & kSfdNonblock) != 0;
  f->path = "anon_inode:[signalfd]";
  return p.new_fd(f);
}

bool signalfd_readable(const OpenFile& f) {
  const Process& p = *f.signal_owner;
  return (p.pending(p.thread()) & f.signal_mask) != 0;
}

long signalfd_read(Process& p, OpenFile& f, uint8_t* dst, uint64_t len) {
  constexpr uint64_t kInfoSize = 128;  // struct signalfd_siginfo
  if (len < kInfoSize) return err(EINVAL);
  long done = 0;
  Thread& t = p.thread();
  while (len - static_cast<uint64_t>(done) >= kInfoSize) {
    const Taken got = take_pending(p, t, f.signal_mask);
    if (got.sig == 0) break;
    uint32_t info[kInfoSize / 4] = {static_cast<uint32_t>(got.sig), 0, static_cast<uint32_t>(got.code),
                                    static_cast<uint32_t>(p.pid())};
    std::memcpy(dst + done, info, kInfoSize);
    p.mem().phys().note_write(reinterpret_cast<uint64_t>(dst + done), kInfoSize);
    done += static_cast<long>(kInfoSize);
  }
  if (done != 0) return done;
  return f.nonblock ? err(EAGAIN) : p.block_io(UINT64_MAX);
}

}  // namespace pmuemu::user
