#include "mmu_fixture.h"

#include <boost/test/unit_test.hpp>
#include <stdexcept>

namespace test {
namespace {
constexpr uint64_t kTableAddrMask = 0x0000FFFFFFFFF000ull;
constexpr uint64_t kTableDesc = 3, kBlockDesc = 1, kPageDesc = 3;

unsigned shift_of(unsigned level) { return 12 + 9 * (3 - level); }
uint64_t index_of(uint64_t va, unsigned level, unsigned txsz) {
  const unsigned shift = shift_of(level);
  const unsigned bits = level == MmuFixture::start_level(txsz) ? 64 - txsz - shift : 9;
  return (va >> shift) & ((uint64_t{1} << bits) - 1);
}
bool upper(uint64_t va) { return (va >> 55) & 1; }
}  // namespace

MmuFixture::MmuFixture() {
  root0 = new_table();
  root1 = new_table();
}

uint64_t MmuFixture::tcr(uint64_t extra) const {
  constexpr uint64_t kTg1_4K = uint64_t{2} << 30, kIps48 = uint64_t{5} << 32;
  return uint64_t{t0sz} | (uint64_t{t1sz} << 16) | kTg1_4K | kIps48 | extra;
}

uint64_t MmuFixture::new_table() {
  if (next_table_ + 0x1000 > kBase + kSize) throw std::runtime_error("mmu_fixture: table pool exhausted");
  const uint64_t t = next_table_;
  next_table_ += 0x1000;
  for (uint64_t off = 0; off < 0x1000; off += 8) write64(t + off, 0);
  return t;
}

void MmuFixture::map_in(uint64_t root, unsigned txsz, uint64_t va, uint64_t pa, unsigned level, uint64_t attrs,
                        uint64_t table_attrs) {
  uint64_t table = root;
  for (unsigned l = start_level(txsz); l < level; ++l) {
    const uint64_t slot = table + index_of(va, l, txsz) * 8;
    uint64_t d = read64(slot);
    if ((d & 1) == 0) {
      d = new_table() | kTableDesc | table_attrs;
      write64(slot, d);
    }
    table = d & kTableAddrMask;
  }
  write64(table + index_of(va, level, txsz) * 8, pa | (level == 3 ? kPageDesc : kBlockDesc) | attrs);
}

void MmuFixture::map(uint64_t va, uint64_t pa, unsigned level, uint64_t attrs, uint64_t table_attrs) {
  map_in(upper(va) ? root1 : root0, upper(va) ? t1sz : t0sz, va, pa, level, attrs, table_attrs);
}

uint64_t MmuFixture::entry_pa_in(uint64_t root, unsigned txsz, uint64_t va, unsigned level) const {
  uint64_t table = root;
  for (unsigned l = start_level(txsz); l < level; ++l) {
    table = read64(table + index_of(va, l, txsz) * 8) & kTableAddrMask;
  }
  return table + index_of(va, level, txsz) * 8;
}

uint64_t MmuFixture::entry_pa(uint64_t va, unsigned level) const {
  return entry_pa_in(upper(va) ? root1 : root0, upper(va) ? t1sz : t0sz, va, level);
}

void MmuFixture::enable(uint64_t window_va, uint64_t sctlr_extra, uint64_t tcr_extra) {
  window_va_ = window_va;
  for (uint64_t off = 0; off < kWindowSize; off += 0x1000) map(window_va + off, kBase + off, 3, kNormalRw);
  core.set_sysreg(cpu::SysSlot::MAIR_EL1, kMair);
  core.set_sysreg(cpu::SysSlot::TCR_EL1, tcr(tcr_extra));
  core.set_sysreg(cpu::SysSlot::TTBR0_EL1, ttbr0());
  core.set_sysreg(cpu::SysSlot::TTBR1_EL1, root1);
  core.set_sysreg(cpu::SysSlot::SCTLR_EL1, core.sysreg(cpu::SysSlot::SCTLR_EL1) | kSctlrM | sctlr_extra);
  core.set_sysreg(cpu::SysSlot::VBAR_EL1, vbar_va());
  core.set_sp(window_va + 0x70000);
}

cpu::RunResult MmuFixture::run(std::initializer_list<Insn> prog) {
  load(prog);
  core.state().pc = code_va();
  return step(prog.size());
}

void MmuFixture::put(uint64_t pa, std::initializer_list<Insn> prog) {
  for (const auto& i : prog) {
    BOOST_TEST_CONTEXT("word 0x" << std::hex << i.word) { BOOST_TEST(dis.text(i.word, pa) == std::string(i.text)); }
    mem.write(pa, &i.word, 4);
    pa += 4;
  }
}

}  // namespace test
