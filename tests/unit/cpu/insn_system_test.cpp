// Exceptions, exception return, EL0/EL1, system registers and the exits to the caller.
#include <boost/test/unit_test.hpp>

#include "cpu_fixture.h"

using test::CpuFixture;

namespace {

// A SysRegPort that records the last trapped access and answers reads with a constant.
struct FakePort : cpu::SysRegPort {
  uint32_t last_iss = 0;
  uint64_t last_value = 0;
  bool undef = false;
  Result handle(cpu::Core&, uint32_t iss, uint64_t& value) override {
    last_iss = iss;
    if (iss & 1) value = 0x3040; else last_value = value;
    return undef ? Result::kUndef : Result::kDone;
  }
};
}  // namespace

BOOST_FIXTURE_TEST_SUITE(system_insns, CpuFixture)

BOOST_AUTO_TEST_CASE(svc_brk_and_undefined) {
  exec({{0xd40000a1, "svc #0x5"}});
  BOOST_TEST(esr() == 0x56000005u);
  BOOST_TEST(core.sysreg(cpu::SysSlot::ELR_EL1) == kCode + 4);  // SVC returns past itself
  BOOST_TEST(core.sysreg(cpu::SysSlot::SPSR_EL1) == 0x3c5u);    // EL1h with DAIF masked
  BOOST_TEST(vector_taken() == kVbar + 0x200);

  core.state().pc = kCode;
  exec({{0xd4200060, "brk #0x3"}});
  BOOST_TEST(esr() == 0xf2000003u);
  BOOST_TEST(core.sysreg(cpu::SysSlot::ELR_EL1) == kCode);  // BRK returns to itself

  exec({{0x00000000, ""}});  // udf #0 (Capstone 4.0.2 has no name for it)
  BOOST_TEST(esr() == 0x02000000u);
  BOOST_TEST(core.sysreg(cpu::SysSlot::ELR_EL1) == kCode);
}

BOOST_AUTO_TEST_CASE(eret_to_el0_and_back) {
  core.set_sysreg(cpu::SysSlot::SPSR_EL1, 0);  // EL0t, DAIF clear
  core.set_sysreg(cpu::SysSlot::ELR_EL1, kCode + 8);
  core.state().sp_el0 = 0x12340;
  load({{0xd69f03e0, "eret"}, {0xd503201f, "nop"}, {0xd53bd040, "mrs x0, tpidr_el0"}, {0xd40000a1, "svc #0x5"}});
  core.set_sysreg(cpu::SysSlot::TPIDR_EL0, 0x77);
  step(1);
  BOOST_TEST(core.state().el == 0u);
  BOOST_TEST(core.state().pc == kCode + 8);
  BOOST_TEST(core.sp() == 0x12340u);  // EL0 uses SP_EL0
  step(2);
  BOOST_TEST(x(0) == 0x77u);
  BOOST_TEST(core.state().el == 1u);
  BOOST_TEST(vector_taken() == kVbar + 0x400);  // from a lower EL using AArch64
  BOOST_TEST(esr() == 0x56000005u);
  BOOST_TEST(core.sysreg(cpu::SysSlot::SPSR_EL1) == 0u);
}

BOOST_AUTO_TEST_CASE(el1_registers_are_undefined_at_el0) {
  core.set_sysreg(cpu::SysSlot::SPSR_EL1, 0);
  core.set_sysreg(cpu::SysSlot::ELR_EL1, kCode + 4);
  exec({{0xd69f03e0, "eret"}, {0xd5381000, "mrs x0, sctlr_el1"}});
  BOOST_TEST(esr() == 0x02000000u);
  BOOST_TEST(core.sysreg(cpu::SysSlot::ELR_EL1) == kCode + 4);
  BOOST_TEST(core.state().el == 1u);
}

BOOST_AUTO_TEST_CASE(illegal_exception_return) {
  core.set_sysreg(cpu::SysSlot::SPSR_EL1, 0x9);  // EL2h: not implemented
  core.set_sysreg(cpu::SysSlot::ELR_EL1, kCode + 4);
  exec({{0xd69f03e0, "eret"}, {0xd503201f, "nop"}});
  BOOST_TEST(esr() == 0x3a000000u);  // EC 0x0E illegal execution state
  BOOST_TEST(core.state().el == 1u);
  BOOST_TEST(core.sysreg(cpu::SysSlot::ELR_EL1) == kCode + 4);
}

BOOST_AUTO_TEST_CASE(pstate_access) {
  exec({{0xd50342ff, "msr daifclr, #2"}});
  BOOST_TEST(core.state().daif == 0x340u);  // I cleared
  set_nzcv(0b1001);
  exec({{0xd53b4200, "mrs x0, nzcv"}});
  BOOST_TEST(x(0) == 0x90000000u);
  x(0) = 0x60000000;
  exec({{0xd51b4200, "msr nzcv, x0"}});
  BOOST_TEST(nzcv() == 0b0110u);
  exec({{0xd5384240, "mrs x0, currentel"}});
  BOOST_TEST(x(0) == 4u);
  const uint64_t sp1 = core.sp();
  core.state().sp_el0 = 0x5550;
  exec({{0xd50040bf, "msr spsel, #0"}});
  BOOST_TEST(core.sp() == 0x5550u);
  BOOST_TEST(core.state().sp_el1 == sp1);
}

BOOST_AUTO_TEST_CASE(id_registers_come_from_the_configured_core) {
  cpu::IdRegs ids;
  ids.midr = 0x411fd0b0;  // Cortex-A76 r1p0
  core.set_ids(ids);
  exec({{0xd5380000, "mrs x0, midr_el1"}});
  BOOST_TEST(x(0) == 0x411fd0b0u);
}

BOOST_AUTO_TEST_CASE(pmu_registers_go_to_the_port_with_the_ec18_syndrome) {
  exec({{0xd53b9c00, "mrs x0, pmcr_el0"}});
  BOOST_TEST(esr() == 0x02000000u);  // no port: UNDEFINED

  FakePort port;
  core.set_sysreg_port(&port);
  core.state().pc = kCode;
  exec({{0xd53b9c00, "mrs x0, pmcr_el0"}});
  BOOST_TEST(port.last_iss == 0x30e419u);  // spec 2.10: mrs x0, pmcr_el0 -> ISS 0x30E419
  BOOST_TEST(x(0) == 0x3040u);
  x(1) = 0x41;
  exec({{0xd51b9c01, "msr pmcr_el0, x1"}});
  BOOST_TEST(port.last_iss == (0x30e419u & ~1u & ~(31u << 5)) + (1u << 5));
  BOOST_TEST(port.last_value == 0x41u);
  port.undef = true;
  exec({{0xd51b9c01, "msr pmcr_el0, x1"}});
  BOOST_TEST(esr() == 0x02000000u);
  BOOST_TEST(core.sysreg(cpu::SysSlot::ELR_EL1) == kCode);
}

BOOST_AUTO_TEST_CASE(exits_to_the_caller) {
  auto r = exec({{0xd4000002, "hvc #0"}});
  BOOST_TEST(static_cast<int>(r.reason) == static_cast<int>(cpu::ExitReason::kHvc));
  BOOST_TEST(core.state().pc == kCode + 4);
  r = exec({{0xd45e0000, "hlt #0xf000"}});
  BOOST_TEST(static_cast<int>(r.reason) == static_cast<int>(cpu::ExitReason::kSemihosting));
  r = exec({{0xd503207f, "wfi"}});
  BOOST_TEST(static_cast<int>(r.reason) == static_cast<int>(cpu::ExitReason::kWfi));
  r = exec({{0xd503201f, "nop"}, {0xd503201f, "nop"}});
  BOOST_TEST(static_cast<int>(r.reason) == static_cast<int>(cpu::ExitReason::kBudget));
  BOOST_TEST(r.retired == 2u);
}

BOOST_AUTO_TEST_CASE(exception_loop_is_reported_not_spun) {
  core.set_sysreg(cpu::SysSlot::VBAR_EL1, 0);  // vectors outside RAM: every entry faults
  load({{0x00000000, ""}});
  const auto r = step(1000000);
  BOOST_TEST(static_cast<int>(r.reason) == static_cast<int>(cpu::ExitReason::kExceptionLoop));
  BOOST_TEST(r.retired == 0u);
}

BOOST_AUTO_TEST_CASE(dc_zva_zeroes_a_block) {
  for (uint64_t a = kData; a < kData + 128; a += 8) write64(a, ~0ull);
  x(0) = kData + 70;  // inside the second 64-byte block
  exec({{0xd50b7420, "dc zva, x0"}});
  BOOST_TEST(read64(kData + 56) == ~0ull);
  BOOST_TEST(read64(kData + 64) == 0u);
  BOOST_TEST(read64(kData + 120) == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(interrupts, CpuFixture)

BOOST_AUTO_TEST_CASE(irq_is_taken_when_unmasked_and_wakes_wfi_when_masked) {
  core.set_irq_pending(true);
  exec({{0xd503207f, "wfi"}, {0xd503201f, "nop"}});  // DAIF masked out of reset: WFI falls through
  BOOST_TEST(core.state().pc == kCode + 8);
  load({{0xd50342ff, "msr daifclr, #2"}, {0xd503201f, "nop"}});
  step(2);
  BOOST_TEST(vector_taken() == kVbar + 0x280);  // IRQ, current EL with SP_ELx
  BOOST_TEST(core.sysreg(cpu::SysSlot::ELR_EL1) == kCode + 4);
  BOOST_TEST(core.sysreg(cpu::SysSlot::SPSR_EL1) == 0x345u);  // I was clear when taken
  BOOST_TEST(core.state().daif == 0x3c0u);
}

BOOST_AUTO_TEST_SUITE_END()
