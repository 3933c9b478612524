// The TLB as software sees it: translations stay cached until a TLBI removes exactly what
// it names (by VA, ASID, VA for all ASIDs, everything), entries are tagged by ASID and the
// global bit, and decoded code follows remaps, ASID switches and writes through aliases.
#include <boost/test/unit_test.hpp>

#include <array>
#include <vector>

#include "mmu_fixture.h"

using test::MmuFixture;
namespace pte = test::pte;

namespace {
constexpr uint32_t kDataAbortSame = 0x96000000, kWnR = 0x40;
constexpr uint32_t kInstAbortLower = 0x82000000;
constexpr test::Insn kLdr{0xf9400020, "ldr x0, [x1]"};
constexpr test::Insn kStr{0xf9000020, "str x0, [x1]"};
constexpr test::Insn kBlr{0xd63f0020, "blr x1"};
constexpr test::Insn kRet{0xd65f03c0, "ret"};
constexpr test::Insn kMov1{0xd2800020, "movz x0, #0x1"};
constexpr test::Insn kMov2{0xd2800040, "movz x0, #0x2"};
constexpr test::Insn kIsb{0xd5033fdf, "isb"};
constexpr test::Insn kVae1{0xd5088722, "tlbi vae1, x2"};
constexpr test::Insn kVale1{0xd50887a2, "tlbi vale1, x2"};
constexpr test::Insn kVaae1{0xd5088762, "tlbi vaae1, x2"};
constexpr test::Insn kVaale1{0xd50887e2, "tlbi vaale1, x2"};
constexpr test::Insn kAside1{0xd5088742, "tlbi aside1, x2"};
constexpr test::Insn kVmalle1{0xd508871f, "tlbi vmalle1"};

// The TLBI operand: VA[55:12] in [43:0], ASID in [63:48].
constexpr uint64_t op_va(uint64_t va, uint16_t asid = 0) { return ((va >> 12) & 0xFFFFFFFFFFFull) | (uint64_t{asid} << 48); }

// Code in the (global) upper half, data in TTBR0 under ASID 5; A, B and C hold 0xa, 0xb, 0xc.
struct TlbFixture : MmuFixture {
  TlbFixture() {
    asid = 5;
    enable(kHigh);
    write64(kPageA, 0xa);
    write64(kPageB, 0xb);
    write64(kPageC, 0xc);
  }
  uint64_t load_at(uint64_t va) {
    x(1) = va;
    run({kLdr});
    return x(0);
  }
  // Runs one TLBI with operand x2, then the load at va.
  uint64_t tlbi_then_load(test::Insn tlbi, uint64_t operand, uint64_t va) {
    x(1) = va;
    x(2) = operand;
    run({tlbi, kLdr});
    return x(0);
  }
  void remap(uint64_t va, uint64_t pa, uint64_t attrs) { set_entry(va, 3, pa | 3 | attrs); }
};
}  // namespace

BOOST_FIXTURE_TEST_SUITE(tlb_maintenance, TlbFixture)

BOOST_AUTO_TEST_CASE(a_changed_pte_is_not_seen_until_tlbi) {
  map(kVa, kPageA, 3, kNormalRw);
  BOOST_TEST(load_at(kVa) == 0xau);
  remap(kVa, kPageB, kNormalRw);
  BOOST_TEST(load_at(kVa) == 0xau);  // the TLB still holds the old translation
  BOOST_TEST(tlbi_then_load(kVae1, op_va(kVa + 0x1000), kVa) == 0xau);  // another page
  BOOST_TEST(tlbi_then_load(kVae1, op_va(kVa), kVa) == 0xbu);
}

BOOST_AUTO_TEST_CASE(by_va_honours_the_asid_of_non_global_entries) {
  map(kVa, kPageA, 3, kNormalRw | pte::kNg);
  map(kVa + 0x1000, kPageA, 3, kNormalRw);  // global
  BOOST_TEST(load_at(kVa) == 0xau);
  BOOST_TEST(load_at(kVa + 0x1000) == 0xau);
  remap(kVa, kPageB, kNormalRw | pte::kNg);
  remap(kVa + 0x1000, kPageB, kNormalRw);
  for (test::Insn op : {kVae1, kVale1}) {
    BOOST_TEST_CONTEXT(op.text) {
      BOOST_TEST(tlbi_then_load(op, op_va(kVa, 6), kVa) == 0xau);  // other ASID: kept
    }
  }
  BOOST_TEST(tlbi_then_load(kVale1, op_va(kVa, 5), kVa) == 0xbu);
  // A global entry goes whatever ASID the operand names.
  BOOST_TEST(tlbi_then_load(kVae1, op_va(kVa + 0x1000, 6), kVa + 0x1000) == 0xbu);
}

BOOST_AUTO_TEST_CASE(by_asid_keeps_global_entries) {
  map(kVa, kPageA, 3, kNormalRw | pte::kNg);
  map(kVa + 0x1000, kPageA, 3, kNormalRw);
  BOOST_TEST(load_at(kVa) == 0xau);
  BOOST_TEST(load_at(kVa + 0x1000) == 0xau);
  remap(kVa, kPageB, kNormalRw | pte::kNg);
  remap(kVa + 0x1000, kPageB, kNormalRw);
  BOOST_TEST(tlbi_then_load(kAside1, op_va(0, 6), kVa) == 0xau);
  BOOST_TEST(tlbi_then_load(kAside1, op_va(0, 5), kVa) == 0xbu);
  BOOST_TEST(load_at(kVa + 0x1000) == 0xau);
}

BOOST_AUTO_TEST_CASE(by_va_for_all_asids) {
  for (test::Insn op : {kVaae1, kVaale1}) {
    BOOST_TEST_CONTEXT(op.text) {
      map(kVa, kPageA, 3, kNormalRw | pte::kNg);
      core.tlbi(cpu::mmu::TlbiOp::kVmallE1, 0);  // forget the previous round
      BOOST_TEST(load_at(kVa) == 0xau);
      remap(kVa, kPageB, kNormalRw | pte::kNg);
      BOOST_TEST(tlbi_then_load(op, op_va(kVa + 0x1000), kVa) == 0xau);
      // The operand's ASID field is ignored.
      BOOST_TEST(tlbi_then_load(op, op_va(kVa, 0x77), kVa) == 0xbu);
    }
  }
}

BOOST_AUTO_TEST_CASE(vmalle1_drops_everything) {
  map(kVa, kPageA, 3, kNormalRw | pte::kNg);
  map(kVa + 0x1000, kPageA, 3, kNormalRw);
  BOOST_TEST(load_at(kVa) == 0xau);
  BOOST_TEST(load_at(kVa + 0x1000) == 0xau);
  remap(kVa, kPageB, kNormalRw | pte::kNg);
  remap(kVa + 0x1000, kPageC, kNormalRw);
  BOOST_TEST(tlbi_then_load(kVmalle1, 0, kVa) == 0xbu);
  BOOST_TEST(load_at(kVa + 0x1000) == 0xcu);
}

BOOST_AUTO_TEST_CASE(tlbi_by_va_drops_a_whole_block) {
  map(0x200000, kBase, 2, kNormalRw);  // a 2 MiB block
  const uint64_t va = 0x200000 + (kData - kBase);
  x(1) = va;
  x(0) = 1;
  run({kStr});
  set_entry(0x200000, 2, kBase | 1 | kNormalRw | pte::kApEl1Ro);
  run({kStr});  // still writable: stale
  BOOST_TEST(esr() == 0u);
  // Invalidate by a VA elsewhere in the block: the block entry, and every page cut from
  // it, goes.
  x(2) = op_va(0x200000 + 0x1000);
  run({kVae1, kStr});
  BOOST_TEST(esr() == (kDataAbortSame | kWnR | 0x0E));  // permission fault, level 2
}

BOOST_AUTO_TEST_CASE(entries_are_tagged_by_asid) {
  // Two address spaces map kVa differently; the code is global in the upper half.
  const uint64_t root_b = new_table();
  map(kVa, kPageA, 3, kNormalRw | pte::kNg);                  // ASID 5
  map_in(root_b, t0sz, kVa, kPageB, 3, kNormalRw | pte::kNg);  // ASID 6
  const uint64_t ttbr_a = root0 | (uint64_t{5} << 48), ttbr_b = root_b | (uint64_t{6} << 48);
  const test::Insn switch_and_load[] = {{0xd5182003, "msr ttbr0_el1, x3"}, kIsb, kLdr};
  auto in = [&](uint64_t ttbr) {
    x(1) = kVa;
    x(3) = ttbr;
    run({switch_and_load[0], switch_and_load[1], switch_and_load[2]});
    return x(0);
  };
  BOOST_TEST(in(ttbr_a) == 0xau);
  BOOST_TEST(in(ttbr_b) == 0xbu);
  // Change space A's PTE without TLBI, visit B, come back: A's entry survived the
  // switches in the tagged TLB.
  remap(kVa, kPageC, kNormalRw | pte::kNg);
  BOOST_TEST(in(ttbr_b) == 0xbu);
  BOOST_TEST(in(ttbr_a) == 0xau);
  // TLBI ASIDE1 for space B leaves A's stale entry; for A it goes.
  x(2) = op_va(0, 6);
  run({kAside1});
  BOOST_TEST(in(ttbr_a) == 0xau);
  x(2) = op_va(0, 5);
  run({kAside1});
  BOOST_TEST(in(ttbr_a) == 0xcu);
}

BOOST_AUTO_TEST_CASE(tcr_a1_takes_the_asid_from_ttbr1) {
  core.set_sysreg(cpu::SysSlot::TCR_EL1, tcr(uint64_t{1} << 22));
  core.set_sysreg(cpu::SysSlot::TTBR1_EL1, root1 | (uint64_t{3} << 48));
  map(kVa, kPageA, 3, kNormalRw | pte::kNg);
  BOOST_TEST(load_at(kVa) == 0xau);
  remap(kVa, kPageB, kNormalRw | pte::kNg);
  BOOST_TEST(tlbi_then_load(kVae1, op_va(kVa, 5), kVa) == 0xau);  // TTBR0's ASID: not it
  BOOST_TEST(tlbi_then_load(kVae1, op_va(kVa, 3), kVa) == 0xbu);
}

BOOST_AUTO_TEST_CASE(tcr_as_selects_8_or_16_bit_asids) {
  core.set_sysreg(cpu::SysSlot::TTBR0_EL1, root0 | (uint64_t{0x105} << 48));
  map(kVa, kPageA, 3, kNormalRw | pte::kNg);
  BOOST_TEST(load_at(kVa) == 0xau);
  remap(kVa, kPageB, kNormalRw | pte::kNg);
  // TCR.AS = 0: the ASID is 0x05; the upper byte of TTBR0.ASID is ignored.
  BOOST_TEST(tlbi_then_load(kAside1, op_va(0, 0x105), kVa) == 0xau);
  BOOST_TEST(tlbi_then_load(kAside1, op_va(0, 0x05), kVa) == 0xbu);
  // TCR.AS = 1: all 16 bits.
  core.set_sysreg(cpu::SysSlot::TCR_EL1, tcr(uint64_t{1} << 36));
  BOOST_TEST(load_at(kVa) == 0xbu);
  remap(kVa, kPageC, kNormalRw | pte::kNg);
  BOOST_TEST(tlbi_then_load(kAside1, op_va(0, 0x05), kVa) == 0xbu);
  BOOST_TEST(tlbi_then_load(kAside1, op_va(0, 0x105), kVa) == 0xcu);
}

BOOST_AUTO_TEST_CASE(inner_shareable_forms_reach_the_broadcast_hook) {
  struct Seen {
    std::vector<std::pair<cpu::mmu::TlbiOp, uint64_t>> ops;
  } seen;
  core.set_tlbi_broadcast(
      [](void* ctx, cpu::Core&, cpu::mmu::TlbiOp op, uint64_t operand) {
        static_cast<Seen*>(ctx)->ops.emplace_back(op, operand);
      },
      &seen);
  map(kVa, kPageA, 3, kNormalRw);
  BOOST_TEST(load_at(kVa) == 0xau);
  remap(kVa, kPageB, kNormalRw);
  x(2) = op_va(kVa);
  x(1) = kVa;
  run({{0xd5088322, "tlbi vae1is, x2"}, kLdr, {0xd508831f, "tlbi vmalle1is"}, kVae1});
  BOOST_TEST(x(0) == 0xbu);  // applied locally too
  BOOST_REQUIRE(seen.ops.size() == 2u);  // the local form is not broadcast
  BOOST_TEST((seen.ops[0].first == cpu::mmu::TlbiOp::kVaE1));
  BOOST_TEST(seen.ops[0].second == op_va(kVa));
  BOOST_TEST((seen.ops[1].first == cpu::mmu::TlbiOp::kVmallE1));
}

BOOST_AUTO_TEST_CASE(applying_a_tlbi_from_outside) {
  map(kVa, kPageA, 3, kNormalRw);
  BOOST_TEST(load_at(kVa) == 0xau);
  remap(kVa, kPageB, kNormalRw);
  core.tlbi(cpu::mmu::TlbiOp::kVaaE1, op_va(kVa));  // as another core's TLBI VAAE1IS would
  BOOST_TEST(load_at(kVa) == 0xbu);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(tlb_and_decoded_code, TlbFixture)

BOOST_AUTO_TEST_CASE(remapped_code_runs_after_tlbi) {
  put(kPageA, {kMov1, kRet});
  put(kPageB, {kMov2, kRet});
  map(kVa, kPageA, 3, kNormalRw);
  x(1) = kVa;
  run({kBlr});
  step(2);
  BOOST_TEST(x(0) == 1u);
  remap(kVa, kPageB, kNormalRw);
  run({kBlr});
  step(2);
  BOOST_TEST(x(0) == 1u);  // stale translation, consistent code
  x(2) = op_va(kVa);
  run({kVae1, kBlr});
  step(2);
  BOOST_TEST(x(0) == 2u);
}

// A TLBI by VA of a page no block was entered through leaves the decoded blocks in force
// (Linux issues tens of thousands while it boots); these check that the pages blocks do
// depend on are still followed, however many there are and whatever TLBIs came between.
BOOST_AUTO_TEST_CASE(a_tlbi_of_another_page_does_not_hide_the_code_page) {
  put(kPageA, {kMov1, kRet});
  put(kPageB, {kMov2, kRet});
  map(kVa, kPageA, 3, kNormalRw);
  map(kVa + 0x5000, kPageC, 3, kNormalRw);
  x(1) = kVa;
  run({kBlr});
  step(2);
  BOOST_TEST(x(0) == 1u);
  x(2) = op_va(kVa + 0x5000);  // a data page: the code's blocks stay
  run({kVaale1, kBlr});
  step(2);
  BOOST_TEST(x(0) == 1u);
  remap(kVa, kPageB, kNormalRw);
  x(2) = op_va(kVa);
  run({kVaale1, kBlr});
  step(2);
  BOOST_TEST(x(0) == 2u);
}

BOOST_AUTO_TEST_CASE(code_on_many_pages_follows_a_tlbi_of_any_of_them) {
  // More code pages than the core records individually (it then treats every TLBI by VA
  // as touching code): the first and a late page are remapped in turn.
  // Each page's code sits at its own offset, so the blocks do not evict each other from
  // the core's block cache and stay current without a new lookup.
  for (uint64_t off = 0; off < 0x1000; off += 8) {
    put(kPageA + off, {kMov1, kRet});
    put(kPageB + off, {kMov2, kRet});
  }
  constexpr uint64_t kPages = 300;
  auto entry = [](uint64_t n) { return kVa + n * 0x1000 + (n % 512) * 8; };
  for (uint64_t n = 0; n < kPages; ++n) map(kVa + n * 0x1000, kPageA, 3, kNormalRw);
  auto call = [&](uint64_t va) {
    x(1) = va;
    x(0) = 0;
    run({kBlr});
    step(2);
    return x(0);
  };
  for (uint64_t n = 0; n < kPages; ++n) BOOST_REQUIRE(call(entry(n)) == 1u);
  for (const uint64_t n : {uint64_t{250}, uint64_t{0}}) {  // a late page first, while the record is full
    remap(kVa + n * 0x1000, kPageB, kNormalRw);
    x(2) = op_va(kVa + n * 0x1000);
    run({kVaae1});
    BOOST_TEST(call(entry(n)) == 2u);
    BOOST_TEST(call(entry(n + 1)) == 1u);
  }
}

BOOST_AUTO_TEST_CASE(code_in_a_block_follows_a_tlbi_anywhere_in_the_block) {
  // Code reached through a 2 MiB block; the block loses execute permission and is
  // invalidated by a VA in another of its pages: the code page's translation goes too.
  put(kPageA, {kMov1, kRet});
  map(0x200000, kBase, 2, kNormalRw);
  const uint64_t va = 0x200000 + (kPageA - kBase);
  x(1) = va;
  run({kBlr});
  step(2);
  BOOST_TEST(x(0) == 1u);
  set_entry(0x200000, 2, kBase | 1 | kNormalRw | pte::kPxn);
  x(2) = op_va(0x200000 + 0x1000);
  run({kVaale1, kBlr});
  step(1);
  BOOST_TEST(esr() == (0x86000000u | 0x0E));  // instruction abort, permission, level 2
  BOOST_TEST(far() == va);
}

BOOST_AUTO_TEST_CASE(an_asid_switch_changes_the_code_at_a_va) {
  put(kPageA, {kMov1, kRet});
  put(kPageB, {kMov2, kRet});
  const uint64_t root_b = new_table();
  map(kVa, kPageA, 3, kNormalRw | pte::kNg);
  map_in(root_b, t0sz, kVa, kPageB, 3, kNormalRw | pte::kNg);
  auto call_in = [&](uint64_t ttbr) {
    x(1) = kVa;
    x(3) = ttbr;
    x(0) = 0;
    run({{0xd5182003, "msr ttbr0_el1, x3"}, kIsb, kBlr});
    step(2);
    return x(0);
  };
  const uint64_t a = root0 | (uint64_t{5} << 48), b = root_b | (uint64_t{6} << 48);
  BOOST_TEST(call_in(a) == 1u);
  BOOST_TEST(call_in(b) == 2u);
  BOOST_TEST(call_in(a) == 1u);
  BOOST_TEST(call_in(b) == 2u);
}

BOOST_AUTO_TEST_CASE(code_written_through_an_alias_is_seen) {
  put(kPageA, {kMov1, kRet});
  map(kVa, kPageA, 3, kNormalRw);           // where it runs
  map(kVa + 0x1000, kPageA, 3, kNormalRw);  // where it is written
  x(1) = kVa;
  run({kBlr});
  step(2);
  BOOST_TEST(x(0) == 1u);
  x(2) = kMov2.word;
  x(3) = kVa + 0x1000;
  run({{0xb9000062, "str w2, [x3]"}, kBlr});
  step(2);
  BOOST_TEST(x(0) == 2u);
}

BOOST_AUTO_TEST_CASE(a_block_decoded_at_el1_is_not_run_at_el0_without_permission) {
  put(kPageA, {kRet});
  map(kVa, kPageA, 3, kNormalRw | pte::kUxn);  // EL1 may execute, EL0 may not
  x(1) = kVa;
  run({kBlr});
  step(1);
  BOOST_TEST(core.state().pc == code_va() + 4);
  to_el0();
  core.state().pc = kVa;
  step(1);
  BOOST_TEST(esr() == (kInstAbortLower | 0x0F));
  BOOST_TEST(far() == kVa);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(tlb_capacity, TlbFixture)

BOOST_AUTO_TEST_CASE(more_pages_than_entries_stay_correct) {
  // 2048 VA pages over four PAs: every set of the TLB and the fast table overflows.
  for (uint64_t n = 0; n < 2048; ++n) map(kVa + n * 0x1000, kPageA + (n % 4) * 0x1000, 3, kNormalRw);
  write64(kPageA + 0x3000, 0xd);
  for (int round = 0; round < 2; ++round) {
    for (uint64_t n = 0; n < 2048; n += 7) {
      const uint64_t expect = std::array<uint64_t, 4>{0xa, 0xb, 0xc, 0xd}[n % 4];
      if (load_at(kVa + n * 0x1000) != expect) {
        BOOST_TEST(load_at(kVa + n * 0x1000) == expect);
        return;
      }
    }
  }
  BOOST_TEST(core.mmu().tlb().occupancy() <= cpu::mmu::Tlb::kSets * cpu::mmu::Tlb::kWays);
}

BOOST_AUTO_TEST_SUITE_END()
