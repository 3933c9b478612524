// A bare core on 1 MiB of RAM at 0x40000000 for instruction-level tests. Instruction words
// are written together with the assembly they stand for; the fixture checks that Capstone
// disassembles each word to exactly that text, so a test cannot drift from its comment.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "cpu/core.h"
#include "emu/vmm/disasm.h"

namespace test {

struct Insn {
  uint32_t word;
  const char* text;  // Capstone's rendering, e.g. "add x0, x1, #1"
};

class CpuFixture {
 public:
  static constexpr uint64_t kBase = 0x40000000;
  static constexpr uint64_t kSize = 1 << 20;
  static constexpr uint64_t kCode = kBase + 0x1000;
  static constexpr uint64_t kData = kBase + 0x80000;
  static constexpr uint64_t kVbar = kBase + 0x10000;
  // The vector the last exception went to (the fixture's vectors stop at once).
  uint64_t vector_taken() const { return last_exit_hlt_ ? core.state().pc - 4 : core.state().pc; }

  CpuFixture();
  // Writes the program at kCode (checking each word's text) and resets PC there.
  void load(std::initializer_list<Insn> prog);
  // Writes instructions at pa (checking each word's text as at that address); PC unchanged.
  void place(uint64_t pa, std::initializer_list<Insn> prog);
  // Runs exactly n instructions (or until an exit); returns the run result.
  cpu::RunResult step(uint64_t n);
  // load + step(prog.size())
  cpu::RunResult exec(std::initializer_list<Insn> prog);

  uint64_t& x(unsigned n) { return core.state().r[n]; }
  uint32_t nzcv() const { return core.state().nzcv >> 28; }
  void set_nzcv(uint32_t f) { core.state().nzcv = f << 28; }
  uint64_t read64(uint64_t pa) const;
  void write64(uint64_t pa, uint64_t v);
  uint32_t esr() const { return static_cast<uint32_t>(core.sysreg(cpu::SysSlot::ESR_EL1)); }

  std::vector<uint8_t> ram;
  cpu::PhysMem mem;
  cpu::Core core;
  pmuemu::vmm::Disassembler dis;
  bool last_exit_hlt_ = false;
};

}  // namespace test
