// Instruction stream: random words run as guest code at EL1 or EL0 behind a vector table
// that steps over every exception, for a bounded number of instructions. Properties: the
// emulator always returns control, never touches host memory outside guest RAM (guard
// zones around the RAM buffer must keep their pattern), and never crashes.
#include <cstdint>
#include <cstring>
#include <vector>

#include "cpu/core.h"

namespace {
constexpr uint64_t kBase = 0x40000000;
constexpr uint64_t kSize = 1 << 20;
constexpr size_t kGuard = 4096;
constexpr uint8_t kGuardByte = 0xA5;
constexpr uint64_t kVbar = kBase + 0x1000;
constexpr uint64_t kCode = kBase + 0x4000;

// Vector entry: ELR_EL1 += 4; ERET (steps over the faulting or trapping instruction).
constexpr uint32_t kStepOver[] = {
    0xd5384020,  // mrs x0, elr_el1
    0x91001000,  // add x0, x0, #4
    0xd5184020,  // msr elr_el1, x0
    0xd69f03e0,  // eret
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::vector<uint8_t> buf(kSize + 2 * kGuard, 0);
  std::memset(buf.data(), kGuardByte, kGuard);
  std::memset(buf.data() + kGuard + kSize, kGuardByte, kGuard);
  cpu::PhysMem mem(buf.data() + kGuard, kBase, kSize);
  cpu::Core core(mem, cpu::IdRegs{});
  for (uint64_t v = 0; v < 16; ++v) mem.write(kVbar + v * 0x80, kStepOver, sizeof kStepOver);
  const size_t code_len = std::min<size_t>((size - 1) & ~size_t{3}, kSize - (kCode - kBase));
  mem.write(kCode, data + 1, code_len);
  core.reset(kCode);
  core.set_sysreg(cpu::SysSlot::VBAR_EL1, kVbar);
  core.set_sp(kBase + kSize - 16);
  if (data[0] & 1) {  // start at EL0: ERET into the code
    core.set_sysreg(cpu::SysSlot::SPSR_EL1, 0);
    core.set_sysreg(cpu::SysSlot::ELR_EL1, kCode);
    core.state().sp_el0 = kBase + kSize - 4096;
    const uint32_t eret = 0xd69f03e0;
    mem.write(kBase + 0x3000, &eret, 4);
    core.state().pc = kBase + 0x3000;
  }
  for (int round = 0; round < 8; ++round) {
    const cpu::RunResult r = core.run(2000);
    if (r.reason == cpu::ExitReason::kBudget || r.reason == cpu::ExitReason::kExceptionLoop) break;
    // HVC/semihosting/WFI exits: resume, as a hypervisor would after serving the call.
  }
  for (size_t i = 0; i < kGuard; ++i) {
    if (buf[i] != kGuardByte || buf[kGuard + kSize + i] != kGuardByte) __builtin_trap();
  }
  return 0;
}
