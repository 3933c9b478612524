#include "cpu_fixture.h"

#include <boost/test/unit_test.hpp>
#include <cstring>

namespace test {

CpuFixture::CpuFixture() : ram(kSize, 0), mem(ram.data(), kBase, kSize), core(mem, cpu::IdRegs{}) {
  core.reset(kCode);
  core.set_sysreg(cpu::SysSlot::VBAR_EL1, kBase + 0x10000);
  core.set_sp(kBase + 0x70000);
  // Every vector entry is HLT #0xF000, so a taken exception ends the run at once and the
  // test can inspect ESR/ELR/FAR and the vector that was used (pc - 4).
  const uint32_t hlt = 0xd45e0000;
  for (uint64_t off = 0; off < 0x800; off += 4) mem.write(kVbar + off, &hlt, 4);
}

void CpuFixture::load(std::initializer_list<Insn> prog) {
  place(kCode, prog);
  core.state().pc = kCode;
}

void CpuFixture::place(uint64_t pa, std::initializer_list<Insn> prog) {
  uint64_t pc = pa;
  for (const auto& i : prog) {
    // An empty text marks an Armv8.1 LSE word, which Capstone 4.0.2 cannot decode; the
    // check still runs, so a Capstone that learns LSE makes the test ask for the text.
    BOOST_TEST_CONTEXT("word 0x" << std::hex << i.word) {
      BOOST_TEST(dis.text(i.word, pc) == std::string(i.text));
    }
    mem.write(pc, &i.word, 4);
    pc += 4;
  }
}

cpu::RunResult CpuFixture::step(uint64_t n) {
  const cpu::RunResult r = core.run(n);
  last_exit_hlt_ = r.reason == cpu::ExitReason::kSemihosting;
  return r;
}

cpu::RunResult CpuFixture::exec(std::initializer_list<Insn> prog) {
  load(prog);
  return step(prog.size());
}

uint64_t CpuFixture::read64(uint64_t pa) const {
  uint64_t v;
  std::memcpy(&v, ram.data() + (pa - kBase), 8);
  return v;
}
void CpuFixture::write64(uint64_t pa, uint64_t v) { mem.write(pa, &v, 8); }

}  // namespace test
