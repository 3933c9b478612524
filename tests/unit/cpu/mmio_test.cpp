// Data accesses outside guest RAM leave run() as MMIO exits, as KVM reports stage-2 faults
// outside every memory slot: KVM_EXIT_MMIO for single-register accesses without
// writeback (completed by the caller), KVM_EXIT_ARM_NISV for everything else.
#include <boost/test/unit_test.hpp>

#include "mmu_fixture.h"

using test::MmuFixture;
namespace pte = test::pte;

namespace {
constexpr uint64_t kUart = 0x09000000;  // a device address: not RAM
constexpr uint32_t kDataAbortSame = 0x96000000, kInstAbortSame = 0x86000000;

int reason(const cpu::RunResult& r) { return static_cast<int>(r.reason); }
constexpr int kMmio = static_cast<int>(cpu::ExitReason::kMmio);
constexpr int kNisv = static_cast<int>(cpu::ExitReason::kMmioNoSyndrome);
}  // namespace

BOOST_FIXTURE_TEST_SUITE(mmio_exits, MmuFixture)

BOOST_AUTO_TEST_CASE(store_outside_ram_exits_with_its_data_and_completes) {
  x(0) = 0x1122334455667788ull;
  x(1) = kUart;
  const auto r = exec({{0xd503201f, "nop"}, {0xf9000020, "str x0, [x1]"}, {0xd503201f, "nop"}});
  BOOST_TEST(reason(r) == kMmio);
  BOOST_TEST(r.retired == 1u);  // the trapped store does not retire in the guest
  const cpu::MmioAccess& m = core.mmio();
  BOOST_TEST(m.phys_addr == kUart);
  BOOST_TEST(m.size == 8u);
  BOOST_TEST(m.is_write);
  BOOST_TEST(m.data == 0x1122334455667788ull);
  BOOST_TEST(core.state().pc == kCode + 8);  // past the store
  BOOST_TEST(esr() == 0u);                   // no abort reached the guest
  // The next run() carries on after it.
  BOOST_TEST(step(1).retired == 1u);
  BOOST_TEST(core.state().pc == kCode + 12);
}

BOOST_AUTO_TEST_CASE(store_sizes_and_xzr) {
  x(0) = 0x1122334455667788ull;
  x(1) = kUart + 1;
  struct Case {
    test::Insn insn;
    uint8_t size;
    uint64_t data;
  };
  for (const Case& k : {Case{{0x39000020, "strb w0, [x1]"}, 1, 0x88}, Case{{0x79000020, "strh w0, [x1]"}, 2, 0x7788},
                        Case{{0xb9000020, "str w0, [x1]"}, 4, 0x55667788},
                        Case{{0xf900003f, "str xzr, [x1]"}, 8, 0},
                        Case{{0x889ffc20, "stlr w0, [x1]"}, 4, 0x55667788}}) {
    BOOST_TEST_CONTEXT(k.insn.text) {
      x(1) = k.insn.word == 0x889ffc20 ? kUart : kUart + 1;  // STLR must be aligned
      BOOST_TEST(reason(exec({k.insn})) == kMmio);
      BOOST_TEST(core.mmio().size == k.size);
      BOOST_TEST(core.mmio().data == k.data);
      BOOST_TEST(core.mmio().phys_addr == x(1));
    }
  }
}

BOOST_AUTO_TEST_CASE(load_exits_and_completes_on_the_callers_data) {
  struct Case {
    test::Insn insn;
    uint8_t size;
    bool sign_extend, sixty_four;
    uint64_t data, expect;
  };
  const Case cases[] = {
      {{0xf9400020, "ldr x0, [x1]"}, 8, false, true, 0x8877665544332211ull, 0x8877665544332211ull},
      {{0xb9400020, "ldr w0, [x1]"}, 4, false, false, 0xffffffff80000001ull, 0x80000001ull},
      {{0x39400020, "ldrb w0, [x1]"}, 1, false, false, 0x1ff, 0xff},
      {{0x79400020, "ldrh w0, [x1]"}, 2, false, false, 0x18001, 0x8001},
      {{0x39800020, "ldrsb x0, [x1]"}, 1, true, true, 0x80, 0xffffffffffffff80ull},
      {{0x39c00020, "ldrsb w0, [x1]"}, 1, true, false, 0x80, 0xffffff80ull},
      {{0x79800020, "ldrsh x0, [x1]"}, 2, true, true, 0x8000, 0xffffffffffff8000ull},
      {{0x79c00020, "ldrsh w0, [x1]"}, 2, true, false, 0x7fff, 0x7fff},
      {{0xb9800020, "ldrsw x0, [x1]"}, 4, true, true, 0x80000000, 0xffffffff80000000ull},
      {{0xf8626820, "ldr x0, [x1, x2]"}, 8, false, true, 5, 5},
      {{0xf8401020, "ldur x0, [x1, #1]"}, 8, false, true, 6, 6},
      {{0xc8dffc20, "ldar x0, [x1]"}, 8, false, true, 7, 7},
      {{0xf8400820, "ldtr x0, [x1]"}, 8, false, true, 8, 8},
  };
  for (const Case& k : cases) {
    BOOST_TEST_CONTEXT(k.insn.text) {
      x(0) = 0xdeadbeefdeadbeefull;
      x(1) = kUart;
      x(2) = 0;
      const auto r = exec({k.insn});
      BOOST_TEST(reason(r) == kMmio);
      BOOST_TEST(r.retired == 0u);
      const cpu::MmioAccess& m = core.mmio();
      BOOST_TEST(m.phys_addr == (k.insn.word == 0xf8401020 ? kUart + 1 : kUart));
      BOOST_TEST(m.size == k.size);
      BOOST_TEST(!m.is_write);
      BOOST_TEST(m.rt == 0u);
      BOOST_TEST(m.sign_extend == k.sign_extend);
      BOOST_TEST(m.sixty_four == k.sixty_four);
      BOOST_TEST(core.state().pc == kCode);       // not yet executed
      BOOST_TEST(x(0) == 0xdeadbeefdeadbeefull);  // Rt untouched until completion
      core.complete_mmio_read(k.data);
      BOOST_TEST(x(0) == k.expect);
      BOOST_TEST(core.state().pc == kCode + 4);
      core.complete_mmio_read(0);  // nothing pending any more: ignored
      BOOST_TEST(x(0) == k.expect);
      BOOST_TEST(core.state().pc == kCode + 4);
    }
  }
}

BOOST_AUTO_TEST_CASE(load_into_xzr_discards_the_value) {
  x(1) = kUart;
  BOOST_TEST(reason(exec({{0xf940003f, "ldr xzr, [x1]"}})) == kMmio);
  BOOST_TEST(core.mmio().rt == 31u);
  core.complete_mmio_read(0x1234);
  BOOST_TEST(core.state().pc == kCode + 4);
  BOOST_TEST(core.x(31) == 0u);
}

BOOST_AUTO_TEST_CASE(accesses_without_a_syndrome_exit_as_nisv) {
  struct Case {
    test::Insn insn;
    bool is_write;
  };
  const Case cases[] = {
      {{0xa9400c22, "ldp x2, x3, [x1]"}, false},
      {{0xa9000c22, "stp x2, x3, [x1]"}, true},
      {{0xf8408c20, "ldr x0, [x1, #8]!"}, false},  // writeback
      {{0xc85f7c20, "ldxr x0, [x1]"}, false},
      {{0xf8220020, ""}, true},  // ldadd x2, x0, [x1] (LSE: Capstone 4 cannot print it)
      {{0xd50b7421, "dc zva, x1"}, true},
  };
  for (const Case& k : cases) {
    BOOST_TEST_CONTEXT("word 0x" << std::hex << k.insn.word) {
      x(0) = 0x55;
      x(1) = kUart;
      const auto r = exec({k.insn});
      BOOST_TEST(reason(r) == kNisv);
      BOOST_TEST(r.retired == 0u);
      BOOST_TEST(core.mmio().phys_addr == (k.insn.word == 0xf8408c20 ? kUart + 8 : kUart));
      BOOST_TEST(core.mmio().is_write == k.is_write);
      BOOST_TEST(core.state().pc == kCode);  // not executed, not advanced
      BOOST_TEST(x(1) == kUart);             // no writeback
      BOOST_TEST(x(0) == 0x55u);
    }
  }
}

BOOST_AUTO_TEST_CASE(mmio_through_a_device_mapping_with_the_mmu_on) {
  enable();
  map(kVa, kUart, 3, pte::kAf | pte::attr(kDevice));
  x(1) = kVa + 8;
  x(0) = 0x41;
  auto r = run({{0x39000020, "strb w0, [x1]"}, {0xf9400023, "ldr x3, [x1]"}, {0xd503201f, "nop"}});
  BOOST_TEST(reason(r) == kMmio);
  BOOST_TEST(core.mmio().phys_addr == kUart + 8);  // the translated address
  BOOST_TEST(core.mmio().data == 0x41u);
  r = step(3);
  BOOST_TEST(reason(r) == kMmio);
  BOOST_TEST(!core.mmio().is_write);
  BOOST_TEST(core.mmio().rt == 3u);
  core.complete_mmio_read(0x77);
  BOOST_TEST(x(3) == 0x77u);
  r = step(1);
  BOOST_TEST(r.retired == 1u);
  BOOST_TEST(core.state().pc == code_va() + 12);
  // A misaligned access to it is still an Alignment fault, taken by the guest.
  x(1) = kVa + 4;
  run({{0xf9400023, "ldr x3, [x1]"}});
  BOOST_TEST(esr() == (kDataAbortSame | 0x21));
}

BOOST_AUTO_TEST_CASE(an_access_straddling_the_end_of_ram_is_an_external_abort) {
  x(1) = kBase + kSize - 4;
  exec({{0xf9400020, "ldr x0, [x1]"}});
  BOOST_TEST(esr() == (kDataAbortSame | 0x10));
  BOOST_TEST(core.sysreg(cpu::SysSlot::FAR_EL1) == kBase + kSize);  // the first byte outside
  exec({{0xf9000020, "str x0, [x1]"}});
  BOOST_TEST(esr() == (kDataAbortSame | 0x40 | 0x10));
}

BOOST_AUTO_TEST_CASE(a_va_above_the_pa_size_with_the_mmu_off_is_an_address_size_fault) {
  x(1) = uint64_t{1} << 50;
  exec({{0xf9400020, "ldr x0, [x1]"}});
  BOOST_TEST(esr() == (kDataAbortSame | 0x00));
  BOOST_TEST(core.sysreg(cpu::SysSlot::FAR_EL1) == (uint64_t{1} << 50));
}

BOOST_AUTO_TEST_CASE(instruction_fetch_outside_ram_stays_an_abort) {
  x(1) = kUart;
  exec({{0xd61f0020, "br x1"}});
  step(1);
  BOOST_TEST(esr() == (kInstAbortSame | 0x10));
  BOOST_TEST(core.sysreg(cpu::SysSlot::FAR_EL1) == kUart);
}

BOOST_AUTO_TEST_SUITE_END()
