// Stage-1 translation of the EL1&0 regime: walks of every depth, TTBR1 execution, blocks,
// every fault class with its exact ESR/FAR and level, the EL0/EL1 permission matrix,
// execute-never controls, alignment checks, AT and PAR_EL1.
#include <boost/test/unit_test.hpp>

#include <random>
#include <vector>

#include "mmu_fixture.h"

using test::MmuFixture;
namespace pte = test::pte;

namespace {
constexpr uint32_t kDataAbortSame = 0x96000000, kDataAbortLower = 0x92000000;
constexpr uint32_t kInstAbortSame = 0x86000000, kInstAbortLower = 0x82000000;
constexpr uint32_t kWnR = 0x40;
constexpr uint64_t kVecSameSpx = 0x200, kVecLower = 0x400;
constexpr uint64_t kIpsMask = uint64_t{7} << 32;
constexpr test::Insn kLdr{0xf9400020, "ldr x0, [x1]"};
constexpr test::Insn kStr{0xf9000020, "str x0, [x1]"};
constexpr test::Insn kBlr{0xd63f0020, "blr x1"};
constexpr test::Insn kRet{0xd65f03c0, "ret"};
}  // namespace

BOOST_FIXTURE_TEST_SUITE(mmu_translation, MmuFixture)

BOOST_AUTO_TEST_CASE(three_level_walk_for_a_39_bit_va) {
  enable();
  map(kVa, kPageA, 3, kNormalRw);
  write64(kPageA, 0x1122334455667788ull);
  x(1) = kVa;
  run({kLdr, {0xf9000420, "str x0, [x1, #8]"}});
  BOOST_TEST(x(0) == 0x1122334455667788ull);
  BOOST_TEST(read64(kPageA + 8) == 0x1122334455667788ull);
  BOOST_TEST(core.state().pc == code_va() + 8);
  BOOST_TEST(core.mmu().tlb().occupancy() >= 2u);  // the code page and the data page
}

BOOST_AUTO_TEST_CASE(four_level_walk_for_a_48_bit_va) {
  t0sz = 16;
  enable();
  const uint64_t va = 0x00007f1234567000ull;
  map(va, kPageA, 3, kNormalRw);
  write64(kPageA + 0x10, 0xabcdefull);
  x(1) = va;
  run({{0xf9400820, "ldr x0, [x1, #0x10]"}});
  BOOST_TEST(x(0) == 0xabcdefu);
}

BOOST_AUTO_TEST_CASE(start_level_follows_t0sz) {
  // The code window sits at VA 0 so that even a 25-bit VA space holds it.
  for (unsigned tsz : {16u, 20u, 24u, 25u, 30u, 33u, 34u, 39u}) {
    BOOST_TEST_CONTEXT("T0SZ " << tsz) {
      MmuFixture f;
      f.t0sz = tsz;
      f.enable(0);
      const uint64_t va = 0x1000000;  // 16 MiB: inside every tested range
      f.map(va, kPageA, 3, kNormalRw);
      f.write64(kPageA, tsz);
      f.x(1) = va;
      f.run({kLdr});
      BOOST_TEST(f.x(0) == tsz);
      // The first VA above the range is a level 0 Translation fault.
      const uint64_t above = uint64_t{1} << (64 - tsz);
      f.x(1) = above;
      f.run({kLdr});
      BOOST_TEST(f.esr() == (kDataAbortSame | 0x04));
      BOOST_TEST(f.far() == above);
    }
  }
}

BOOST_AUTO_TEST_CASE(code_runs_from_a_ttbr1_address) {
  enable(kHigh);
  map(kVa, kPageA, 3, kNormalRw);
  write64(kPageA, 42);
  x(1) = kVa;
  run({{0xd2800020, "movz x0, #0x1"}, {0x91000400, "add x0, x0, #1"}, {0xf9400022, "ldr x2, [x1]"}});
  BOOST_TEST(core.state().pc == kHigh + 0x1000 + 12);
  BOOST_TEST(x(0) == 2u);
  BOOST_TEST(x(2) == 42u);
  // An abort goes to the vectors in the high half too.
  x(1) = kVa + 0x1000;
  run({kLdr});
  BOOST_TEST(vector_taken() == kHigh + 0x10000 + kVecSameSpx);
  BOOST_TEST(elr() == kHigh + 0x1000);
  BOOST_TEST(esr() == (kDataAbortSame | 0x07));
}

BOOST_AUTO_TEST_CASE(level_1_and_level_2_blocks) {
  enable();
  map(0x200000, kBase, 2, kNormalRw);      // 2 MiB block over RAM
  map(0x80000000, 0x40000000, 1, kNormalRw);  // 1 GiB block over RAM
  write64(kData, 7);
  x(1) = 0x200000 + (kData - kBase);
  run({kLdr});
  BOOST_TEST(x(0) == 7u);
  x(1) = 0x80000000 + (kData - 0x40000000);
  x(0) = 0;
  run({kLdr});
  BOOST_TEST(x(0) == 7u);
  x(1) = 0x80000000 + (kData - 0x40000000) + 0x18;
  run({{0xd5087801, "at s1e1r, x1"}});
  BOOST_TEST((par() & 0x0000FFFFFFFFF000ull) == kData);
}

BOOST_AUTO_TEST_CASE(translation_faults_report_their_level) {
  enable();
  map(kVa, kPageA, 3, kNormalRw);  // L1[0] -> L2, L2[128] -> L3, L3[0] = page
  write64(entry_pa(kVa, 3) + 16, kPageB | 1 | kNormalRw);  // 0b01 at level 3: reserved
  struct Case {
    uint64_t va;
    uint32_t dfsc;
  };
  for (const Case& k : {Case{0x80000000, 0x05}, Case{kVa + 0x200000, 0x06}, Case{kVa + 0x1000, 0x07},
                        Case{kVa + 0x2000, 0x07}}) {
    BOOST_TEST_CONTEXT("va 0x" << std::hex << k.va) {
      x(1) = k.va;
      run({kLdr});
      BOOST_TEST(esr() == (kDataAbortSame | k.dfsc));
      BOOST_TEST(far() == k.va);
      BOOST_TEST(elr() == code_va());
      BOOST_TEST(vector_taken() == vbar_va() + kVecSameSpx);
      run({kStr});
      BOOST_TEST(esr() == (kDataAbortSame | kWnR | k.dfsc));
    }
  }
}

BOOST_AUTO_TEST_CASE(level_0_translation_faults) {
  t0sz = 16;
  enable();
  x(1) = 0x0000800000000000ull;  // L0 index 256: empty
  run({kLdr});
  BOOST_TEST(esr() == (kDataAbortSame | 0x04));
  // A block descriptor at level 0 does not exist with the 4 KiB granule.
  write64(root0 + 8, kPageA | 1 | kNormalRw);
  x(1) = uint64_t{1} << 39;
  run({kLdr});
  BOOST_TEST(esr() == (kDataAbortSame | 0x04));
  BOOST_TEST(far() == (uint64_t{1} << 39));
}

BOOST_AUTO_TEST_CASE(va_outside_both_halves_is_a_level_0_fault) {
  enable();
  for (uint64_t va : {uint64_t{1} << 39, uint64_t{0xFFFFFF0000000000ull}, uint64_t{0x0100000000001000ull}}) {
    x(1) = va;
    run({kLdr});
    BOOST_TEST(esr() == (kDataAbortSame | 0x04));
    BOOST_TEST(far() == va);
  }
}

BOOST_AUTO_TEST_CASE(tcr_controls_that_disable_the_lower_half) {
  // Code in the upper half; each TCR setting below breaks TTBR0 walks only.
  struct Case {
    const char* what;
    uint64_t tcr_bits;  // replaces T0SZ/EPD0/TG0
  };
  for (const Case& k : {Case{"EPD0", (uint64_t{1} << 7) | 25}, Case{"TG0 64K", (uint64_t{1} << 14) | 25},
                        Case{"TG0 16K", (uint64_t{2} << 14) | 25}, Case{"T0SZ 12", 12}, Case{"T0SZ 40", 40}}) {
    BOOST_TEST_CONTEXT(k.what) {
      MmuFixture f;
      f.enable(kHigh);
      f.map(kVa, kPageA, 3, kNormalRw);
      f.core.set_sysreg(cpu::SysSlot::TCR_EL1, (f.tcr() & ~uint64_t{0xffff}) | k.tcr_bits);
      f.x(1) = kVa;
      f.run({kLdr});
      BOOST_TEST(f.esr() == (kDataAbortSame | 0x04));
      BOOST_TEST(f.far() == kVa);
    }
  }
}

BOOST_AUTO_TEST_CASE(access_flag_faults_at_each_leaf_level) {
  enable();
  const uint64_t no_af = kNormalRw & ~pte::kAf;
  map(kVa, kPageA, 3, no_af);
  map(0x200000, kBase, 2, no_af);
  map(0x80000000, 0x40000000, 1, no_af);
  for (auto [va, dfsc] : {std::pair{kVa, 0x0Bu}, std::pair{uint64_t{0x200000}, 0x0Au},
                          std::pair{uint64_t{0x80000000}, 0x09u}}) {
    x(1) = va;
    run({kLdr});
    BOOST_TEST(esr() == (kDataAbortSame | dfsc));
    run({kStr});
    BOOST_TEST(esr() == (kDataAbortSame | kWnR | dfsc));
    BOOST_TEST(far() == va);
  }
}

BOOST_AUTO_TEST_CASE(address_size_faults) {
  enable();
  // IPS = 32 bits: outputs and table addresses at 4 GiB and above are out of range.
  core.set_sysreg(cpu::SysSlot::TCR_EL1, tcr() & ~kIpsMask);
  map(kVa, uint64_t{1} << 32, 3, kNormalRw);
  write64(root0 + 3 * 8, (uint64_t{1} << 32) | 3);  // L1[3]: a table above 4 GiB
  x(1) = kVa;
  run({kLdr});
  BOOST_TEST(esr() == (kDataAbortSame | 0x03));
  x(1) = 0xC0000000;
  run({kLdr});
  BOOST_TEST(esr() == (kDataAbortSame | 0x01));
  BOOST_TEST(far() == 0xC0000000u);
}

BOOST_AUTO_TEST_CASE(ttbr_base_above_the_output_size_is_a_level_0_address_size_fault) {
  enable(kHigh);
  core.set_sysreg(cpu::SysSlot::TCR_EL1, tcr() & ~kIpsMask);
  core.set_sysreg(cpu::SysSlot::TTBR0_EL1, uint64_t{1} << 32);
  x(1) = kVa;
  run({kLdr});
  BOOST_TEST(esr() == (kDataAbortSame | 0x00));
}

BOOST_AUTO_TEST_CASE(parange_bounds_the_output_size) {
  enable();
  map(kVa, uint64_t{1} << 40, 3, kNormalRw);
  // PARange 48 bits: a valid PA, outside RAM: an MMIO exit.
  x(1) = kVa;
  auto r = run({kLdr});
  BOOST_TEST(static_cast<int>(r.reason) == static_cast<int>(cpu::ExitReason::kMmio));
  BOOST_TEST(core.mmio().phys_addr == (uint64_t{1} << 40));
  // PARange 40 bits: the same output is an address size fault although TCR.IPS says 48.
  cpu::IdRegs ids = core.ids();
  ids.id_aa64mmfr0 = (ids.id_aa64mmfr0 & ~uint64_t{0xf}) | 2;
  core.set_ids(ids);
  r = run({kLdr});
  BOOST_TEST(esr() == (kDataAbortSame | 0x03));
}

// A table outside every memory slot faults at stage 2 on the walk; KVM injects a plain
// synchronous external abort (0x10, no level, no WnR), not the 0b0101LL of a walk that
// reached physical memory (kvm_handle_guest_abort(), inject_abt64()).
BOOST_AUTO_TEST_CASE(walk_outside_every_slot_is_the_external_abort_kvm_injects) {
  enable();
  write64(root0 + 3 * 8, 0x1000 | 3);  // L1[3] -> a "table" outside RAM
  x(1) = 0xC0000000;
  run({kLdr});
  BOOST_TEST(esr() == (kDataAbortSame | 0x10));
  BOOST_TEST(far() == 0xC0000000u);
  run({kStr});
  BOOST_TEST(esr() == (kDataAbortSame | 0x10));  // no WnR either
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(mmu_permissions, MmuFixture)

BOOST_AUTO_TEST_CASE(ap_matrix_through_at) {
  enable();
  // AP[2:1] = 00, 01, 10, 11 on four pages; AT checks EL1 and EL0 read/write.
  struct Row {
    uint64_t ap;
    bool e1r, e1w, e0r, e0w;
  };
  const Row rows[] = {{pte::kApEl1Rw, true, true, false, false},
                      {pte::kApRw, true, true, true, true},
                      {pte::kApEl1Ro, true, false, false, false},
                      {pte::kApRo, true, false, true, false}};
  constexpr uint64_t kPermissionFaultPar = 0x800 | (0x0F << 1) | 1;
  for (unsigned k = 0; k < 4; ++k) {
    const uint64_t va = kVa + k * 0x1000;
    map(va, kPageA, 3, kNormalRw | rows[k].ap);
    x(1) = va;
    const test::Insn ats[] = {{0xd5087801, "at s1e1r, x1"},
                              {0xd5087821, "at s1e1w, x1"},
                              {0xd5087841, "at s1e0r, x1"},
                              {0xd5087861, "at s1e0w, x1"}};
    const bool ok[] = {rows[k].e1r, rows[k].e1w, rows[k].e0r, rows[k].e0w};
    for (unsigned a = 0; a < 4; ++a) {
      BOOST_TEST_CONTEXT("AP " << k << " " << ats[a].text) {
        run({ats[a]});
        if (ok[a]) {
          BOOST_TEST((par() & 1) == 0u);
          BOOST_TEST((par() & 0x0000FFFFFFFFF000ull) == kPageA);
        } else {
          BOOST_TEST(par() == kPermissionFaultPar);
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(el1_write_to_read_only_memory) {
  enable();
  map(kVa, kPageA, 3, kNormalRw | pte::kApEl1Ro);
  write64(kPageA, 5);
  x(1) = kVa;
  x(0) = 9;
  run({kStr});
  BOOST_TEST(esr() == (kDataAbortSame | kWnR | 0x0F));
  BOOST_TEST(far() == kVa);
  BOOST_TEST(read64(kPageA) == 5u);
  run({kLdr});
  BOOST_TEST(x(0) == 5u);
}

BOOST_AUTO_TEST_CASE(el0_data_permissions) {
  enable();
  map(kVa, kPageA, 3, kNormalRw | pte::kApEl1Rw);           // EL0: none
  map(kVa + 0x1000, kPageB, 3, kNormalRw | pte::kApRo);     // EL0: read
  map(kVa + 0x2000, kPageC, 3, kNormalRw | pte::kApRw);     // EL0: read/write
  write64(kPageB, 0xb);
  to_el0();
  x(1) = kVa;
  run({kLdr});
  BOOST_TEST(esr() == (kDataAbortLower | 0x0F));
  BOOST_TEST(vector_taken() == vbar_va() + kVecLower);
  to_el0();
  x(1) = kVa + 0x1000;
  run({kLdr});
  BOOST_TEST(x(0) == 0xbu);
  BOOST_TEST(core.state().el == 0u);
  run({kStr});
  BOOST_TEST(esr() == (kDataAbortLower | kWnR | 0x0F));
  to_el0();
  x(1) = kVa + 0x2000;
  x(0) = 0xc;
  run({kStr});
  BOOST_TEST(read64(kPageC) == 0xcu);
  BOOST_TEST(core.state().el == 0u);
}

BOOST_AUTO_TEST_CASE(ldtr_and_sttr_at_el1_check_el0_permissions) {
  enable();
  map(kVa, kPageA, 3, kNormalRw | pte::kApEl1Rw);
  map(kVa + 0x1000, kPageB, 3, kNormalRw | pte::kApRo);
  map(kVa + 0x2000, kPageC, 3, kNormalRw | pte::kApRw);
  write64(kPageA, 1);
  write64(kPageB, 2);
  const test::Insn ldtr{0xf8400820, "ldtr x0, [x1]"}, sttr{0xf8000820, "sttr x0, [x1]"};
  x(1) = kVa;
  run({kLdr});  // an ordinary EL1 load is allowed...
  BOOST_TEST(x(0) == 1u);
  run({ldtr});  // ...the unprivileged one is not
  BOOST_TEST(esr() == (kDataAbortSame | 0x0F));
  BOOST_TEST(far() == kVa);
  x(1) = kVa + 0x1000;
  run({ldtr});
  BOOST_TEST(x(0) == 2u);
  run({sttr});
  BOOST_TEST(esr() == (kDataAbortSame | kWnR | 0x0F));
  x(1) = kVa + 0x2000;
  x(0) = 3;
  run({sttr});
  BOOST_TEST(read64(kPageC) == 3u);
}

BOOST_AUTO_TEST_CASE(execute_never_controls) {
  enable();
  put(kPageA, {kRet});
  struct Case {
    const char* what;
    uint64_t attrs;
    bool el0;
    uint32_t esr;  // 0: executes
  };
  const Case cases[] = {
      {"PXN at EL1", kNormalRw | pte::kPxn, false, kInstAbortSame | 0x0F},
      {"EL0-writable is PXN", kNormalRw | pte::kApRw, false, kInstAbortSame | 0x0F},
      {"UXN at EL1 runs", kNormalRw | pte::kUxn, false, 0},
      {"UXN at EL0", kNormalRw | pte::kUxn, true, kInstAbortLower | 0x0F},
      {"PXN at EL0 runs", kNormalRw | pte::kPxn, true, 0},
      {"EL0 execute-only runs", kNormalRw | pte::kApEl1Rw, true, 0},
  };
  for (unsigned k = 0; k < std::size(cases); ++k) {
    BOOST_TEST_CONTEXT(cases[k].what) {
      const uint64_t va = kVa + k * 0x1000;
      map(va, kPageA, 3, cases[k].attrs);
      core.set_pstate_bits(cases[k].el0 ? 0x0 : 0x5);  // EL0t or EL1h
      x(1) = va;
      run({kBlr});
      step(1);  // the fetch at the target
      if (cases[k].esr != 0) {
        BOOST_TEST(esr() == cases[k].esr);
        BOOST_TEST(far() == va);
        BOOST_TEST(elr() == va);
      } else {
        BOOST_TEST(core.state().pc == code_va() + 4);  // RET came back
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(table_descriptor_controls_apply_below) {
  enable();
  put(kPageA, {kRet});
  // Each mapping gets a fresh L3 table (distinct 2 MiB regions) carrying the control.
  const uint64_t pxn_va = kVa + 0x200000, uxn_va = kVa + 0x400000, ro_va = kVa + 0x600000,
                 noel0_va = kVa + 0x800000;
  map(pxn_va, kPageA, 3, kNormalRw, pte::kPxnTable);
  map(uxn_va, kPageA, 3, kNormalRw, pte::kUxnTable);
  map(ro_va, kPageB, 3, kNormalRw, pte::kApTableRo);
  map(noel0_va, kPageC, 3, kNormalRw | pte::kApRw | pte::kUxn, pte::kApTableNoEl0);
  x(1) = pxn_va;
  run({kBlr});
  step(1);
  BOOST_TEST(esr() == (kInstAbortSame | 0x0F));
  to_el0();
  x(1) = uxn_va;
  run({kBlr});
  step(1);
  BOOST_TEST(esr() == (kInstAbortLower | 0x0F));
  x(1) = ro_va;
  run({kStr});
  BOOST_TEST(esr() == (kDataAbortSame | kWnR | 0x0F));
  write64(kPageB, 4);
  run({kLdr});
  BOOST_TEST(x(0) == 4u);
  x(1) = noel0_va;
  write64(kPageC, 6);
  run({kLdr});
  BOOST_TEST(x(0) == 6u);  // EL1 may
  to_el0();
  run({kLdr});
  BOOST_TEST(esr() == (kDataAbortLower | 0x0F));  // EL0 may not, whatever AP says
}

BOOST_AUTO_TEST_CASE(wxn_makes_writable_memory_execute_never) {
  enable(kBase, kSctlrWxn);
  // The window must not be writable, or WXN would forbid running it.
  for (uint64_t off = 0; off < kWindowSize; off += 0x1000)
    map(window_va() + off, kBase + off, 3, kNormalRw | pte::kApEl1Ro);
  put(kPageA, {kRet});
  map(kVa, kPageA, 3, kNormalRw);                       // writable: XN under WXN
  map(kVa + 0x1000, kPageA, 3, kNormalRw | pte::kApEl1Ro);  // read-only: executable
  x(1) = kVa;
  run({kBlr});
  step(1);
  BOOST_TEST(esr() == (kInstAbortSame | 0x0F));
  x(1) = kVa + 0x1000;
  run({kBlr});
  step(1);
  BOOST_TEST(core.state().pc == code_va() + 4);
}

BOOST_AUTO_TEST_CASE(fetch_from_unmapped_memory_is_an_instruction_abort) {
  enable();
  x(1) = kVa;
  run({kBlr});
  step(1);
  BOOST_TEST(esr() == (kInstAbortSame | 0x05));  // L1[0] empty: nothing else is mapped
  BOOST_TEST(far() == kVa);
  BOOST_TEST(elr() == kVa);
  BOOST_TEST(core.state().r[30] == code_va() + 4);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(mmu_alignment, MmuFixture)

BOOST_AUTO_TEST_CASE(sctlr_a_checks_every_access) {
  enable(kBase, kSctlrA);
  map(kVa, kPageA, 3, kNormalRw);
  x(1) = kVa + 4;
  run({kLdr});
  BOOST_TEST(esr() == (kDataAbortSame | 0x21));
  BOOST_TEST(far() == kVa + 4);
  write64(kPageA, 0x1111222233334444ull);
  run({{0xb9400020, "ldr w0, [x1]"}});  // 4-byte aligned: fine
  BOOST_TEST(x(0) == 0x11112222u);
}

BOOST_AUTO_TEST_CASE(sctlr_a_with_the_mmu_off) {
  core.set_sysreg(cpu::SysSlot::SCTLR_EL1, core.sysreg(cpu::SysSlot::SCTLR_EL1) | kSctlrA);
  x(1) = kData + 4;
  exec({kLdr});
  BOOST_TEST(esr() == (kDataAbortSame | 0x21));
  write64(kData + 8, 77);
  x(1) = kData + 8;
  exec({kLdr});
  BOOST_TEST(x(0) == 77u);
}

BOOST_AUTO_TEST_CASE(device_memory_faults_misaligned_accesses) {
  enable();
  map(kVa, kPageA, 3, pte::kAf | pte::attr(kDevice));
  write64(kPageA, 0x1111222233334444ull);
  x(1) = kVa + 4;
  run({kLdr});
  BOOST_TEST(esr() == (kDataAbortSame | 0x21));
  BOOST_TEST(far() == kVa + 4);
  run({{0xb9400020, "ldr w0, [x1]"}});
  BOOST_TEST(x(0) == 0x11112222u);
  x(1) = kVa;
  run({{0xd50b7421, "dc zva, x1"}});  // DC ZVA to Device memory always faults
  BOOST_TEST(esr() == (kDataAbortSame | kWnR | 0x21));
  // Alignment (memory type) comes before permission: a misaligned write to read-only
  // Device memory is an Alignment fault.
  map(kVa + 0x1000, kPageB, 3, pte::kAf | pte::attr(kDevice) | pte::kApEl1Ro);
  x(1) = kVa + 0x1001;
  run({kStr});
  BOOST_TEST(esr() == (kDataAbortSame | kWnR | 0x21));
}

BOOST_AUTO_TEST_CASE(normal_memory_allows_misaligned_accesses_across_pages) {
  enable();
  map(kVa, kPageB, 3, kNormalRw);           // deliberately not contiguous in PA
  map(kVa + 0x1000, kPageA, 3, kNormalRw);
  write64(kPageB + 0xff8, 0x8877665544332211ull);
  write64(kPageA, 0xffeeddccbbaa9988ull);
  x(1) = kVa + 0xffc;
  run({kLdr});
  BOOST_TEST(x(0) == 0xbbaa998888776655ull);
  x(0) = 0x0102030405060708ull;
  run({kStr});
  BOOST_TEST(read64(kPageB + 0xff8) == 0x0506070844332211ull);
  BOOST_TEST(read64(kPageA) == 0xffeeddcc01020304ull);
  // Into an unmapped page: FAR is the first byte of that page.
  x(1) = kVa + 0x1ffc;
  run({kLdr});
  BOOST_TEST(esr() == (kDataAbortSame | 0x07));
  BOOST_TEST(far() == kVa + 0x2000);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(mmu_at, MmuFixture)

BOOST_AUTO_TEST_CASE(par_reports_pa_attributes_and_faults) {
  enable();
  map(kVa, kPageA, 3, kNormalRw);
  map(kVa + 0x1000, kPageB, 3, pte::kAf | pte::attr(kDevice));
  map(kVa + 0x2000, kPageC, 3, pte::kAf | pte::attr(kNormalNc) | pte::kShInner);
  const test::Insn at{0xd5087801, "at s1e1r, x1"};
  constexpr uint64_t kRes1 = 0x800, kNs = 0x200;
  x(1) = kVa + 0x123;
  run({at});
  BOOST_TEST(par() == ((uint64_t{0xff} << 56) | kPageA | kRes1 | kNs | (3u << 7)));
  x(1) = kVa + 0x1000;
  run({at});
  BOOST_TEST(par() == (kPageB | kRes1 | kNs | (2u << 7)));  // Device: ATTR 0, Outer Shareable
  x(1) = kVa + 0x2000;
  run({at});
  BOOST_TEST(par() == ((uint64_t{0x44} << 56) | kPageC | kRes1 | kNs | (2u << 7)));  // NC: SH 0b10
  x(1) = kVa + 0x3000;
  run({at});
  BOOST_TEST(par() == (kRes1 | (0x07u << 1) | 1));  // F, FST = translation fault level 3
  BOOST_TEST(esr() == 0u);  // AT itself does not fault
}

BOOST_AUTO_TEST_CASE(at_with_the_mmu_off_is_the_flat_mapping) {
  x(1) = 0x12345678;
  exec({{0xd5087801, "at s1e1r, x1"}});
  BOOST_TEST(par() == (0x12345000u | 0x800 | 0x200 | (2u << 7)));  // Device-nGnRnE
}

// AT's walk outside every slot: the same injected abort as for a load (kvm_inject_dabt
// for a stage-2 fault on a stage-1 walk), nothing in PAR_EL1.
BOOST_AUTO_TEST_CASE(at_walk_outside_every_slot_is_the_injected_data_abort) {
  enable();
  write64(root0 + 3 * 8, 0x1000 | 3);
  x(1) = 0xC0000000;
  run({{0xd5087801, "at s1e1r, x1"}});
  BOOST_TEST(esr() == (kDataAbortSame | 0x10));
  BOOST_TEST(far() == 0xC0000000u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(mmu_control, MmuFixture)

BOOST_AUTO_TEST_CASE(msr_sctlr_turns_translation_on_and_off) {
  enable();
  const uint64_t on = core.sysreg(cpu::SysSlot::SCTLR_EL1);
  core.set_sysreg(cpu::SysSlot::SCTLR_EL1, on & ~kSctlrM);
  map(kVa, kPageA, 3, kNormalRw);
  write64(kPageA, 99);
  x(1) = kVa;
  x(4) = on;
  run({{0xd5181004, "msr sctlr_el1, x4"}, {0xd5033fdf, "isb"}, {0xf9400025, "ldr x5, [x1]"}});
  BOOST_TEST(x(5) == 99u);
  x(4) = on & ~kSctlrM;
  const auto r = run({{0xd5181004, "msr sctlr_el1, x4"}, {0xd5033fdf, "isb"}, {0xf9400025, "ldr x5, [x1]"}});
  // Flat mapping again: VA 0x10000000 is a PA outside RAM.
  BOOST_TEST(static_cast<int>(r.reason) == static_cast<int>(cpu::ExitReason::kMmio));
  BOOST_TEST(core.mmio().phys_addr == kVa);
}

BOOST_AUTO_TEST_CASE(id_registers_describe_the_mmu) {
  const uint64_t mmfr0 = core.ids().id_aa64mmfr0;
  BOOST_TEST((mmfr0 & 0xf) == 5u);            // PARange 48 bits
  BOOST_TEST(((mmfr0 >> 4) & 0xf) == 2u);     // 16-bit ASIDs
  BOOST_TEST(((mmfr0 >> 20) & 0xf) == 0u);    // TGran16: not implemented
  BOOST_TEST(((mmfr0 >> 24) & 0xf) == 0xfu);  // TGran64: not implemented
  BOOST_TEST(((mmfr0 >> 28) & 0xf) == 0u);    // TGran4: implemented
  BOOST_TEST(((core.ids().id_aa64mmfr1 >> 20) & 0xf) == 0u);  // no PAN
  BOOST_TEST((core.ids().id_aa64mmfr1 & 0xf) == 0u);          // no hardware AF/dirty update
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(mmu_in_place_accesses, MmuFixture)

BOOST_AUTO_TEST_CASE(exclusives_and_atomics_through_the_mmu) {
  enable();
  map(kVa, kPageA, 3, kNormalRw);
  map(kVa + 0x1000, kPageB, 3, kNormalRw | pte::kApEl1Ro);
  write64(kPageA, 10);
  write64(kPageB, 20);
  x(1) = kVa;
  x(0) = 0;
  run({{0xc85f7c20, "ldxr x0, [x1]"}, {0xc8047c20, "stxr w4, x0, [x1]"}});
  BOOST_TEST(x(0) == 10u);
  BOOST_TEST(x(4) == 0u);
  x(2) = 5;
  run({{0xf8220020, ""}});  // ldadd x2, x0, [x1]
  BOOST_TEST(x(0) == 10u);
  BOOST_TEST(read64(kPageA) == 15u);
  // Read-only memory: a load-exclusive is fine, an atomic needs write permission.
  x(1) = kVa + 0x1000;
  run({{0xc85f7c20, "ldxr x0, [x1]"}});
  BOOST_TEST(x(0) == 20u);
  run({{0xf8220020, ""}});
  BOOST_TEST(esr() == (kDataAbortSame | kWnR | 0x0F));
  BOOST_TEST(far() == kVa + 0x1000);
  x(2) = 20;
  x(3) = 21;
  run({{0xc8a27c23, ""}});  // cas x2, x3, [x1]
  BOOST_TEST(esr() == (kDataAbortSame | kWnR | 0x0F));
  BOOST_TEST(read64(kPageB) == 20u);
}

BOOST_AUTO_TEST_CASE(pairs_across_a_page_boundary) {
  enable();
  map(kVa, kPageB, 3, kNormalRw);
  map(kVa + 0x1000, kPageA, 3, kNormalRw);
  map(kVa + 0x2000, kPageC, 3, kNormalRw | pte::kApEl1Ro);
  write64(kPageB + 0xff8, 1);
  write64(kPageA, 2);
  x(1) = kVa + 0xff8;
  run({{0xa9400c22, "ldp x2, x3, [x1]"}});
  BOOST_TEST(x(2) == 1u);
  BOOST_TEST(x(3) == 2u);
  // A pair whose second half is read-only writes neither half.
  x(1) = kVa + 0x1ff8;
  x(2) = 0x55;
  x(3) = 0x66;
  run({{0xa9000c22, "stp x2, x3, [x1]"}});
  BOOST_TEST(esr() == (kDataAbortSame | kWnR | 0x0F));
  BOOST_TEST(far() == kVa + 0x2000);
  BOOST_TEST(read64(kPageA + 0xff8) == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(mmu_robustness, MmuFixture)

// Random tables and TCR values for the lower half (the code lives in the upper half):
// every access must end in a result, an abort or an exit, never a crash or a hang
// (run under ASan in CI).
BOOST_AUTO_TEST_CASE(random_tables_and_controls) {
  enable(kHigh);
  std::mt19937_64 rng(12345);
  std::vector<uint64_t> tables{root0};
  for (int k = 0; k < 7; ++k) tables.push_back(new_table());
  const test::Insn progs[] = {kLdr,
                              kStr,
                              {0xa9400c22, "ldp x2, x3, [x1]"},
                              {0xd5087801, "at s1e1r, x1"},
                              {0xd5087861, "at s1e0w, x1"},
                              {0xf8400820, "ldtr x0, [x1]"},
                              {0xd50b7421, "dc zva, x1"},
                              {0xd5088722, "tlbi vae1, x2"},
                              {0xc85f7c20, "ldxr x0, [x1]"},
                              kBlr};
  auto random_desc = [&]() -> uint64_t {
    const uint64_t attrs = rng() & 0xFFF0000000000FFCull;  // upper and lower attributes
    const uint64_t ram_page = kBase + (rng() % (kSize / 0x1000)) * 0x1000;
    switch (rng() % 5) {
      case 0: return 0;
      case 1: return tables[rng() % tables.size()] | 3 | (attrs & ~uint64_t{0xFFC});
      case 2: return (rng() & 0x0000FFFFFFFFF000ull) | 1 | attrs;  // block anywhere
      case 3: return ram_page | 3 | attrs | pte::kAf;
      default: return ram_page | 1 | attrs;
    }
  };
  auto one_in = [&](unsigned n) { return rng() % n == 0; };
  for (int round = 0; round < 300; ++round) {
    for (uint64_t t : tables)
      for (uint64_t e = 0; e < 512; ++e) write64(t + e * 8, random_desc());
    // Mostly valid settings (4K granule, TxSZ in range), sometimes anything.
    const unsigned tsz = one_in(10) ? rng() % 64 : 16 + rng() % 24;
    const uint64_t tg0 = one_in(10) ? rng() % 4 : 0;
    const uint64_t t0 = tsz | (one_in(10) ? uint64_t{1} << 7 : 0) | (tg0 << 14);
    core.set_sysreg(cpu::SysSlot::TCR_EL1, (tcr() & ~uint64_t{0xffff} & ~kIpsMask) | t0 | ((rng() % 8) << 32) |
                                                (rng() & (uint64_t{1} << 36)) | (rng() & (uint64_t{3} << 37)));
    core.set_sysreg(cpu::SysSlot::TTBR0_EL1, tables[rng() % tables.size()] | ((rng() & 0xff) << 48));
    core.tlbi(cpu::mmu::TlbiOp::kVmallE1, 0);
    for (int a = 0; a < 8; ++a) {
      const uint64_t va = one_in(5) ? rng() : rng() & ((uint64_t{1} << (64 - std::min(tsz, 63u))) - 1);
      x(1) = (rng() & 1) ? va : va & ~uint64_t{15};
      x(2) = rng();
      core.set_pstate_bits(rng() & 1 ? 0x5 : 0x0);
      const auto r = run({progs[rng() % std::size(progs)]});
      BOOST_REQUIRE(r.retired <= 1u);
      if (r.reason == cpu::ExitReason::kMmio && !core.mmio().is_write) core.complete_mmio_read(rng());
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
