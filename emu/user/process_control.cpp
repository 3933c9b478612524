// fork, wait4 and execve of `pmuemu user`. A forked program is a forked pmuemu: the host
// process is copied with everything in it (the program's memory at the same addresses, its
// files, a KVM model with its VMs), which is exactly what fork gives a Linux process. execve
// replaces the host process with `pmuemu user` on the new program.
#include <elf.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>

#include "emu/user/files.h"
#include "emu/user/process.h"

namespace pmuemu::user {
namespace {

constexpr uint64_t kCloneVm = 0x100, kCloneVfork = 0x4000, kCloneThread = 0x10000, kCloneSettls = 0x80000,
                   kCloneParentSettid = 0x100000, kCloneChildCleartid = 0x200000, kCloneChildSettid = 0x1000000;

// Whether path is a program this mode can run, checked before the host process is given up
// (Linux's execve fails in the caller when the image is unusable).
long check_program(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return access(path.c_str(), F_OK) == 0 ? -EACCES : -ENOENT;
  Elf64_Ehdr eh{};
  in.read(reinterpret_cast<char*>(&eh), sizeof eh);
  if (in.gcount() != sizeof eh || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) return -ENOEXEC;
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_AARCH64 || (eh.e_type != ET_EXEC && eh.e_type != ET_DYN))
    return -ENOEXEC;
  return 0;
}

}  // namespace

long Process::clone(uint64_t flags, uint64_t newsp, uint64_t ptid, uint64_t tls, uint64_t ctid) {
  if (opts_.sandbox && !(flags & kCloneThread)) return -EPERM;
  if (threads_.size() >= 1024) return -EAGAIN;
  const int vpid = next_pid_++;
  if (flags & kCloneThread) {
    // A thread: a new core on the same memory, with the caller's registers; it starts
    // returning 0 from this clone (its PC is at the vector stub's ERET, as the caller's).
    if (!(flags & kCloneVm)) return -EINVAL;
    auto t = std::make_unique<Thread>();
    t->tid = vpid;
    t->pcpu = thread().pcpu;
    t->affinity = thread().affinity;
    t->comm = thread().comm;  // a new thread is named as its creator until it renames itself
    t->sigmask = thread().sigmask;  // a new thread inherits its creator's mask, nothing pending
    t->core = make_core(t->pcpu);
    t->core->state() = core_->state();
    t->core->sync_translation_regs();
    t->core->set_x(0, 0);
    if (newsp != 0) t->core->state().sp_el0 = newsp;
    if (flags & kCloneSettls) t->core->set_sysreg(cpu::SysSlot::TPIDR_EL0, tls);
    if (flags & kCloneChildSettid) write(ctid, &vpid, 4);
    if (flags & kCloneChildCleartid) t->clear_tid = ctid;
    if (flags & kCloneParentSettid) write(ptid, &vpid, 4);
    threads_.push_back(std::move(t));
    return vpid;
  }
  std::fflush(nullptr);
  const pid_t h = ::fork();
  if (h < 0) return -errno;
  if (h > 0) {
    children_[vpid] = h;
    if (flags & kCloneParentSettid) write(ptid, &vpid, 4);
    return vpid;
  }
  // The child: its scheduler statistics start afresh (sched_fork()), switched in once.
  forked_child_ = true;
  thread().sched = SchedStat{0, 0, 1};
  opts_.pid = vpid;
  children_.clear();
  next_pid_ = vpid * 1000 + 1;  // distinct from every pid its parent hands out
  if (newsp != 0) core_->state().sp_el0 = newsp;
  if (flags & kCloneSettls) core_->set_sysreg(cpu::SysSlot::TPIDR_EL0, tls);
  if (flags & kCloneChildSettid) write(ctid, &vpid, 4);
  if (flags & kCloneChildCleartid) thread().clear_tid = ctid;
  // Only the calling thread survives a fork.
  for (auto& t : threads_)
    if (t.get() != &thread()) {
      retired_exited_ += t->core->retired_total();
      t->state = Thread::State::kExited;
    }
  (void)kCloneVfork;
  return 0;
}

long Process::futex(uint64_t uaddr, uint64_t op, uint64_t val, uint64_t timeout_va, uint64_t uaddr2, uint64_t val3) {
  constexpr uint64_t kWait = 0, kWake = 1, kWaitBitset = 9, kWakeBitset = 10, kCmdMask = 0x7f;
  const uint64_t cmd = op & kCmdMask;
  if (cmd == kWait || cmd == kWaitBitset) {
    uint32_t cur = 0;
    if ((uaddr & 3) != 0) return -EINVAL;
    if (!read(uaddr, &cur, 4)) return -EFAULT;
    if (cur != static_cast<uint32_t>(val)) return -EAGAIN;
    uint64_t wake = UINT64_MAX;
    if (timeout_va != 0) {
      int64_t ts[2];
      if (!read(timeout_va, ts, sizeof ts)) return -EFAULT;
      const uint64_t ns = static_cast<uint64_t>(ts[0]) * 1000000000ull + static_cast<uint64_t>(ts[1]);
      // FUTEX_WAIT takes a relative timeout, FUTEX_WAIT_BITSET an absolute one.
      wake = cmd == kWait ? now_ns() + ns : ns;
    }
    Thread& t = thread();
    t.state = Thread::State::kFutexWait;
    t.futex_addr = uaddr;
    t.wake_ns = wake;
    switch_now_ = true;
    return 0;  // what it returns when woken
  }
  if (cmd == kWake || cmd == kWakeBitset) {
    long woken = 0;
    for (auto& t : threads_) {
      if (woken >= static_cast<long>(val)) break;
      if (t->state == Thread::State::kFutexWait && t->futex_addr == uaddr) {
        t->state = Thread::State::kRunnable;
        ++woken;
      }
    }
    return woken;
  }
  (void)uaddr2;
  (void)val3;
  return -ENOSYS;
}

long Process::sleep_ns(uint64_t ns) {
  Thread& t = thread();
  t.state = Thread::State::kSleeping;
  t.wake_ns = now_ns() + ns;
  switch_now_ = true;
  return 0;
}

void Process::exit_thread(int code) {
  Thread& t = thread();
  if (t.clear_tid != 0) {
    const uint32_t zero = 0;
    write(t.clear_tid, &zero, 4);
    futex(t.clear_tid, 1, 1, 0, 0, 0);  // pthread_join waits on it
  }
  t.state = Thread::State::kExited;
  switch_now_ = true;
  bool any = false;
  for (const auto& o : threads_) any |= o->state != Thread::State::kExited;
  if (!any) exit_code = code;
}

long Process::wait4(int64_t pid, uint64_t status_va, uint64_t options) {
  constexpr uint64_t kWnohang = 1;
  if (children_.empty()) return -ECHILD;
  pid_t host = -1;
  if (pid > 0) {
    auto it = children_.find(static_cast<int>(pid));
    if (it == children_.end()) return -ECHILD;
    host = it->second;
  }
  int st = 0;
  const pid_t r = ::waitpid(host, &st, (options & kWnohang) ? WNOHANG : 0);
  if (r < 0) return -errno;
  if (r == 0) return 0;
  int vpid = 0;
  for (auto it = children_.begin(); it != children_.end(); ++it)
    if (it->second == r) {
      vpid = it->first;
      children_.erase(it);
      break;
    }
  // The host status is the child's own (a forked pmuemu exits with the program's status
  // and dies by the program's fatal signal), in the same encoding Linux uses.
  const int32_t linux_status = st;
  if (status_va != 0 && !write(status_va, &linux_status, 4)) return -EFAULT;
  return vpid;
}

long Process::execve(uint64_t path_va, uint64_t argv_va, uint64_t envp_va) {
  if (opts_.sandbox) return -EPERM;
  const auto path = read_string(path_va);
  if (!path) return -EFAULT;
  auto read_vec = [&](uint64_t va, std::vector<std::string>& out) -> bool {
    for (unsigned i = 0; va != 0 && i < 4096; ++i) {
      uint64_t p = 0;
      if (!read(va + 8 * i, &p, 8)) return false;
      if (p == 0) return true;
      const auto s = read_string(p, 1 << 16);
      if (!s) return false;
      out.push_back(*s);
    }
    return va == 0;
  };
  std::vector<std::string> argv, envp;
  if (!read_vec(argv_va, argv) || !read_vec(envp_va, envp)) return -EFAULT;
  const std::string target = *path == "/proc/self/exe" ? opts_.program.string() : host_path(opts_, *path);
  if (const long r = check_program(target); r < 0) return r;
  if (opts_.reexec.empty()) return -ENOSYS;
  std::vector<std::string> cmd = opts_.reexec;
  cmd.push_back("--pid");
  cmd.push_back(std::to_string(opts_.pid));
  for (const auto& e : envp) {
    cmd.push_back("--env");
    cmd.push_back(e);
  }
  cmd.push_back("--");
  cmd.push_back(target);
  for (size_t i = 1; i < argv.size(); ++i) cmd.push_back(argv[i]);
  std::vector<char*> cargv;
  for (auto& s : cmd) cargv.push_back(s.data());
  cargv.push_back(nullptr);
  std::fflush(nullptr);
  ::execv("/proc/self/exe", cargv.data());
  return -errno;
}

}  // namespace pmuemu::user
