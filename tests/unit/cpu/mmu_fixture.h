// Stage-1 page tables built in the fixture's RAM, and an MMU-on environment: the fixture's
// "window" (code at +0x1000, vectors at +0x10000, stack below +0x70000: the first 512 KiB
// of RAM) is mapped at a chosen VA with 4 KiB pages, so tests run with the MMU on from
// there and map their data wherever they like.
#pragma once

#include <cstdint>
#include <initializer_list>

#include "cpu_fixture.h"

namespace test {

// Descriptor bits (Arm ARM D8.3, 4 KiB granule).
namespace pte {
inline constexpr uint64_t kAf = uint64_t{1} << 10;
inline constexpr uint64_t kNg = uint64_t{1} << 11;
inline constexpr uint64_t kApEl1Rw = uint64_t{0} << 6;  // AP[2:1] = 00: EL1 RW, EL0 none
inline constexpr uint64_t kApRw = uint64_t{1} << 6;     // 01: EL1 and EL0 RW
inline constexpr uint64_t kApEl1Ro = uint64_t{2} << 6;  // 10: EL1 RO, EL0 none
inline constexpr uint64_t kApRo = uint64_t{3} << 6;     // 11: EL1 and EL0 RO
inline constexpr uint64_t kShInner = uint64_t{3} << 8;
inline constexpr uint64_t kPxn = uint64_t{1} << 53;
inline constexpr uint64_t kUxn = uint64_t{1} << 54;
// Table descriptor controls.
inline constexpr uint64_t kPxnTable = uint64_t{1} << 59;
inline constexpr uint64_t kUxnTable = uint64_t{1} << 60;
inline constexpr uint64_t kApTableNoEl0 = uint64_t{1} << 61;
inline constexpr uint64_t kApTableRo = uint64_t{1} << 62;
constexpr uint64_t attr(unsigned index) { return uint64_t{index} << 2; }
}  // namespace pte

class MmuFixture : public CpuFixture {
 public:
  // MAIR_EL1 attribute indices used by the tests.
  static constexpr unsigned kNormal = 0, kDevice = 1, kNormalNc = 2;
  static constexpr uint64_t kMair = 0xff | (0x00 << 8) | (0x44 << 16);  // WB, Device-nGnRnE, NC
  static constexpr uint64_t kWindowSize = 0x80000;
  // Page tables come from the top quarter of RAM.
  static constexpr uint64_t kPool = kBase + 0xC0000;
  // A TTBR1 address (T1SZ = 25: the upper 39-bit region starts here).
  static constexpr uint64_t kHigh = 0xFFFFFF8000000000ull;
  // Default data VA (TTBR0) and two data pages in RAM.
  static constexpr uint64_t kVa = 0x10000000;
  static constexpr uint64_t kPageA = kData, kPageB = kData + 0x1000, kPageC = kData + 0x2000;
  static constexpr uint64_t kNormalRw = pte::kAf | pte::attr(kNormal) | pte::kShInner;  // EL1 RW
  static constexpr uint64_t kSctlrM = 1, kSctlrA = 2, kSctlrWxn = uint64_t{1} << 19;

  MmuFixture();

  unsigned t0sz = 25, t1sz = 25;
  uint64_t root0 = 0, root1 = 0;
  uint16_t asid = 0;

  // TCR_EL1 for the current TxSZ: 4 KiB granules on both halves, IPS 48 bits (plus extra).
  uint64_t tcr(uint64_t extra = 0) const;
  static unsigned start_level(unsigned txsz) { return txsz <= 24 ? 0 : txsz <= 33 ? 1 : 2; }

  // A zeroed 4 KiB table from the pool.
  uint64_t new_table();
  // Maps va to pa with a leaf at level (3: page, 1/2: block) under the root of va's half,
  // creating missing tables with table_attrs.
  void map(uint64_t va, uint64_t pa, unsigned level, uint64_t attrs, uint64_t table_attrs = 0);
  // The same under an explicit root table (a second address space).
  void map_in(uint64_t root, unsigned txsz, uint64_t va, uint64_t pa, unsigned level, uint64_t attrs,
              uint64_t table_attrs = 0);
  // The PA of va's descriptor at level (the tables must exist).
  uint64_t entry_pa(uint64_t va, unsigned level) const;
  uint64_t entry_pa_in(uint64_t root, unsigned txsz, uint64_t va, unsigned level) const;
  void set_entry(uint64_t va, unsigned level, uint64_t desc) { write64(entry_pa(va, level), desc); }

  // Maps the window at window_va and turns the MMU on (registers written directly; run()
  // picks them up). VBAR and SP move into the window.
  void enable(uint64_t window_va = kBase, uint64_t sctlr_extra = 0, uint64_t tcr_extra = 0);
  uint64_t window_va() const { return window_va_; }
  uint64_t code_va() const { return window_va_ + (kCode - kBase); }
  uint64_t vbar_va() const { return window_va_ + (kVbar - kBase); }

  // Loads prog at kCode (PA) and runs it from code_va(), one step per instruction.
  cpu::RunResult run(std::initializer_list<Insn> prog);
  // Loads prog at pa (a page the test maps somewhere) without running it.
  void put(uint64_t pa, std::initializer_list<Insn> prog);
  // PSTATE = EL0t.
  void to_el0() { core.set_pstate_bits(0); }

  uint64_t far() const { return core.sysreg(cpu::SysSlot::FAR_EL1); }
  uint64_t elr() const { return core.sysreg(cpu::SysSlot::ELR_EL1); }
  uint64_t par() const { return core.sysreg(cpu::SysSlot::PAR_EL1); }
  uint64_t ttbr0() const { return root0 | (uint64_t{asid} << 48); }

 private:
  uint64_t next_table_ = kPool;
  uint64_t window_va_ = kBase;
};

}  // namespace test
