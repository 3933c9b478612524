// Instruction stream: random words run as guest code at EL1 or EL0 behind a vector table
// that steps over every exception, for a bounded number of instructions. Properties: the
// emulator always returns control, never touches host memory outside guest RAM (guard
// zones around the RAM buffer must keep their pattern), and never crashes.
//
// The first byte also steers the SIMD&FP coverage: bits [2:1] select how many words are
// moved into the SIMD&FP encoding groups (Arm ARM C4.1: bits [27:25] = 111 data processing,
// 110 loads/stores), since uniformly random words land there only 1 time in 4; bit 3 leaves
// CPACR_EL1.FPEN at 0 so the FP trap path is exercised too; bits [7:4] pick FPCR.RMode, FZ
// and DN.
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
  std::vector<uint8_t> code(data + 1, data + 1 + code_len);
  const unsigned bias = (data[0] >> 1) & 3u;  // 0: raw words; 1..3: 1/4, 1/2, 3/4 moved
  if (bias != 0) {
    for (size_t i = 0; i + 4 <= code.size(); i += 4) {
      uint32_t w;
      std::memcpy(&w, &code[i], 4);
      if (((w >> 29) & 3u) < bias) {  // bits [30:29] choose; they stay random in the word
        w = (w & ~0x0e000000u) | (((w >> 25) & 1u) ? 0x0e000000u : 0x0c000000u);
        std::memcpy(&code[i], &w, 4);
      }
    }
  }
  mem.write(kCode, code.data(), code.size());
  core.reset(kCode);
  core.set_sysreg(cpu::SysSlot::VBAR_EL1, kVbar);
  if (!(data[0] & 8)) core.set_sysreg(cpu::SysSlot::CPACR_EL1, uint64_t{3} << 20);
  // FPCR.RMode (bits 23:22), FZ (24), DN (25).
  core.set_sysreg(cpu::SysSlot::FPCR, uint64_t{(data[0] >> 4) & 0xfu} << 22);
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
