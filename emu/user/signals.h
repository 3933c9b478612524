// Signals of `pmuemu user`: per-thread masks and pending sets, delivery on the way back to
// the program, interrupted waits, and the system calls that send, wait for and read them
// (kill, tgkill, rt_sigtimedwait, signalfd). A VMM depends on them: QEMU kicks a vCPU
// thread out of KVM_RUN with a signal, and its main loop reads signals through a signalfd.
#pragma once

#include <array>
#include <cstdint>

#include "emu/user/process.h"

namespace pmuemu::user {

using SigArgs = std::array<uint64_t, 6>;
long sys_rt_sigaction(Process& p, const SigArgs& a);
long sys_rt_sigprocmask(Process& p, const SigArgs& a);
long sys_rt_sigreturn(Process& p, const SigArgs& a);
long sys_rt_sigpending(Process& p, const SigArgs& a);
long sys_rt_sigtimedwait(Process& p, const SigArgs& a);
long sys_kill(Process& p, const SigArgs& a);
long sys_tgkill(Process& p, const SigArgs& a);
long sys_tkill(Process& p, const SigArgs& a);
long sys_signalfd4(Process& p, const SigArgs& a);

// A signalfd: read(2) takes one struct signalfd_siginfo per pending signal of its mask
// (the reading thread's own first, then the process's); readable while one is pending.
long signalfd_read(Process& p, OpenFile& f, uint8_t* dst, uint64_t len);
bool signalfd_readable(const OpenFile& f);

}  // namespace pmuemu::user
