// Generic timer: counters, CVAL/TVAL arithmetic, ISTATUS/IMASK, the outputs into the vGIC,
// next_deadline and the CNTKCTL_EL1 EL0 gates.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <stdexcept>

#include "kvm_model/timer/generic_timer.h"
#include "tests/unit/vgic/vgic_fixture.h"

using namespace vgic_test;
using kvm_model::timer::AccessContext;
using kvm_model::timer::GenericTimer;
using kvm_model::timer::TimerId;
namespace tmr = kvm_model::timer;

namespace {

constexpr arch::SysRegKey kCNTFRQ = arch::sysreg(3, 3, 14, 0, 0);
constexpr arch::SysRegKey kCNTPCT = arch::sysreg(3, 3, 14, 0, 1);
constexpr arch::SysRegKey kCNTVCT = arch::sysreg(3, 3, 14, 0, 2);
constexpr arch::SysRegKey kCNTP_TVAL = arch::sysreg(3, 3, 14, 2, 0);
constexpr arch::SysRegKey kCNTP_CTL = arch::sysreg(3, 3, 14, 2, 1);
constexpr arch::SysRegKey kCNTP_CVAL = arch::sysreg(3, 3, 14, 2, 2);
constexpr arch::SysRegKey kCNTV_TVAL = arch::sysreg(3, 3, 14, 3, 0);
constexpr arch::SysRegKey kCNTV_CTL = arch::sysreg(3, 3, 14, 3, 1);
constexpr arch::SysRegKey kCNTV_CVAL = arch::sysreg(3, 3, 14, 3, 2);
constexpr arch::SysRegKey kCNTKCTL = arch::sysreg(3, 0, 14, 1, 0);

constexpr uint64_t kEnable = tmr::cnt_ctl::kENABLE, kImask = tmr::cnt_ctl::kIMASK, kIstatus = tmr::cnt_ctl::kISTATUS;

struct TimerFixture {
  GenericTimer t;
  uint64_t now = 0;

  AccessContext ctx(uint8_t el = 1, uint64_t cntkctl = 0) const { return AccessContext{el, cntkctl, now, nullptr, 0}; }
  uint64_t rd(arch::SysRegKey k) {
    uint64_t v = 0xdeadbeef;
    BOOST_REQUIRE(t.sysreg(k, true, v, ctx()) == GenericTimer::Access::kOk);
    return v;
  }
  void wr(arch::SysRegKey k, uint64_t v) { BOOST_REQUIRE(t.sysreg(k, false, v, ctx()) == GenericTimer::Access::kOk); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(generic_timer)

BOOST_AUTO_TEST_CASE(reset_values_and_counters) {
  TimerFixture f;
  f.now = 123456;
  BOOST_CHECK_EQUAL(f.rd(kCNTFRQ), 62'500'000u);
  BOOST_CHECK_EQUAL(f.rd(kCNTPCT), 123456u);
  BOOST_CHECK_EQUAL(f.rd(kCNTVCT), 123456u);     // CNTVOFF = 0
  BOOST_CHECK_EQUAL(f.rd(kCNTP_CTL), 0u);
  BOOST_CHECK_EQUAL(f.rd(kCNTV_CTL), 0u);
  BOOST_CHECK_EQUAL(f.rd(kCNTP_CVAL), 0u);
  BOOST_CHECK_EQUAL(f.rd(kCNTV_CVAL), 0u);
  f.t.set_cntvoff(1000);
  BOOST_CHECK_EQUAL(f.rd(kCNTVCT), 122456u);
  BOOST_CHECK_EQUAL(f.rd(kCNTPCT), 123456u);
  f.t.set_cntvoff(200000);                        // the virtual count wraps like hardware
  BOOST_CHECK_EQUAL(f.rd(kCNTVCT), uint64_t{123456} - 200000);
  GenericTimer g(1'000'000'000);
  uint64_t v = 0;
  BOOST_CHECK(g.sysreg(kCNTFRQ, true, v, AccessContext{}) == GenericTimer::Access::kOk);
  BOOST_CHECK_EQUAL(v, 1'000'000'000u);
  BOOST_CHECK_THROW(GenericTimer(0), std::invalid_argument);
  BOOST_CHECK_THROW(GenericTimer(uint64_t{1} << 32), std::invalid_argument);
  BOOST_CHECK_EQUAL(tmr::timer_ppi(TimerId::kPhys), 30u);
  BOOST_CHECK_EQUAL(tmr::timer_ppi(TimerId::kVirt), 27u);
}

BOOST_AUTO_TEST_CASE(read_only_and_unknown_registers) {
  TimerFixture f;
  uint64_t v = 5;
  for (uint8_t el : {uint8_t{0}, uint8_t{1}}) {
    BOOST_TEST_CONTEXT("EL" << int{el}) {
      // CNTFRQ_EL0 is writable only at the highest EL: UNDEFINED for the guest, even at EL0
      // with every CNTKCTL_EL1 gate open (UNDEFINED comes before the trap).
      BOOST_CHECK(f.t.sysreg(kCNTFRQ, false, v, f.ctx(el, 0x303)) == GenericTimer::Access::kUndef);
      BOOST_CHECK(f.t.sysreg(kCNTPCT, false, v, f.ctx(el, 0x303)) == GenericTimer::Access::kUndef);
      BOOST_CHECK(f.t.sysreg(kCNTVCT, false, v, f.ctx(el, 0x303)) == GenericTimer::Access::kUndef);
    }
  }
  BOOST_CHECK_EQUAL(f.rd(kCNTFRQ), 62'500'000u);
  // Registers the timer does not own.
  BOOST_CHECK(f.t.sysreg(kCNTKCTL, true, v, f.ctx()) == GenericTimer::Access::kUndef);
  BOOST_CHECK(f.t.sysreg(arch::sysreg(3, 4, 14, 1, 0), true, v, f.ctx()) == GenericTimer::Access::kUndef);
}

BOOST_AUTO_TEST_CASE(cval_and_istatus) {
  TimerFixture f;
  f.now = 999;
  f.wr(kCNTP_CVAL, 1000);
  BOOST_CHECK_EQUAL(f.rd(kCNTP_CTL), 0u);          // disabled: ISTATUS reads 0
  BOOST_CHECK(!f.t.istatus(TimerId::kPhys, 2000));
  f.wr(kCNTP_CTL, kEnable);
  BOOST_CHECK_EQUAL(f.rd(kCNTP_CTL), kEnable);
  f.now = 1000;
  BOOST_CHECK_EQUAL(f.rd(kCNTP_CTL), kEnable | kIstatus);
  BOOST_CHECK(f.t.output(TimerId::kPhys, f.now));
  BOOST_CHECK(!f.t.output(TimerId::kVirt, f.now)); // the other timer is independent
  // ISTATUS is read-only, other bits RES0.
  f.wr(kCNTP_CTL, 0xFFFFFFFFFFFFFFF8ull | kEnable);
  BOOST_CHECK_EQUAL(f.rd(kCNTP_CTL), kEnable | kIstatus);
  f.wr(kCNTP_CTL, kEnable | kIstatus);
  f.now = 5;
  BOOST_CHECK_EQUAL(f.rd(kCNTP_CTL), kEnable);
  // The condition is an unsigned 64-bit comparison.
  f.wr(kCNTP_CVAL, UINT64_MAX);
  f.now = UINT64_MAX - 1;
  BOOST_CHECK(!f.t.istatus(TimerId::kPhys, f.now));
  BOOST_CHECK(f.t.istatus(TimerId::kPhys, UINT64_MAX));
}

BOOST_AUTO_TEST_CASE(tval_arithmetic) {
  TimerFixture f;
  f.now = 5000;
  f.wr(kCNTP_TVAL, 100);
  BOOST_CHECK_EQUAL(f.rd(kCNTP_CVAL), 5100u);
  f.now = 5050;
  BOOST_CHECK_EQUAL(f.rd(kCNTP_TVAL), 50u);
  f.now = 5200;                                    // past: negative, as 32 bits, upper RES0
  BOOST_CHECK_EQUAL(f.rd(kCNTP_TVAL), 0xFFFFFF9Cu);
  // A negative TVAL sets CVAL in the past: the timer fires at once.
  f.now = 5000;
  f.wr(kCNTP_CTL, kEnable);
  f.wr(kCNTP_TVAL, 0xFFFFFFF6);                    // -10
  BOOST_CHECK_EQUAL(f.rd(kCNTP_CVAL), 4990u);
  BOOST_CHECK_EQUAL(f.rd(kCNTP_CTL), kEnable | kIstatus);
  // Only TVAL[31:0] is used, sign-extended.
  f.wr(kCNTP_TVAL, 0xFFFFFFFF00000010ull);
  BOOST_CHECK_EQUAL(f.rd(kCNTP_CVAL), 5016u);
  f.wr(kCNTP_TVAL, 0x80000000);                    // INT32_MIN
  BOOST_CHECK_EQUAL(f.rd(kCNTP_CVAL), uint64_t{5000} - 0x80000000ull);
  // CVAL beyond 32 bits of distance: TVAL reads the low 32 bits of the difference.
  f.wr(kCNTP_CVAL, 5000 + 0x100000005ull);
  BOOST_CHECK_EQUAL(f.rd(kCNTP_TVAL), 5u);
}

BOOST_AUTO_TEST_CASE(virtual_timer_counts_from_cntvoff) {
  TimerFixture f;
  f.t.set_cntvoff(1000);
  f.now = 5000;                                    // CNTVCT = 4000
  f.wr(kCNTV_TVAL, 10);
  BOOST_CHECK_EQUAL(f.rd(kCNTV_CVAL), 4010u);
  f.wr(kCNTV_CTL, kEnable);
  BOOST_CHECK_EQUAL(f.t.next_deadline(5000), 5010u);
  BOOST_CHECK(!f.t.output(TimerId::kVirt, 5009));
  BOOST_CHECK(f.t.output(TimerId::kVirt, 5010));
  f.now = 5010;
  BOOST_CHECK_EQUAL(f.rd(kCNTV_CTL), kEnable | kIstatus);
  BOOST_CHECK_EQUAL(f.rd(kCNTV_TVAL), 0u);
  BOOST_CHECK_EQUAL(f.rd(kCNTP_CTL), 0u);
}

BOOST_AUTO_TEST_CASE(imask_hides_the_output_not_istatus) {
  TimerFixture f;
  f.now = 100;
  f.wr(kCNTV_CVAL, 50);
  f.wr(kCNTV_CTL, kEnable | kImask);
  BOOST_CHECK_EQUAL(f.rd(kCNTV_CTL), kEnable | kImask | kIstatus);
  BOOST_CHECK(f.t.istatus(TimerId::kVirt, f.now));
  BOOST_CHECK(!f.t.output(TimerId::kVirt, f.now));
  f.wr(kCNTV_CTL, kEnable);
  BOOST_CHECK(f.t.output(TimerId::kVirt, f.now));
}

BOOST_AUTO_TEST_CASE(outputs_drive_ppis_27_and_30) {
  GicFixture gf(2);
  gf.enable_all();
  gf.enable_irq(1, 27, 0xA0);
  gf.enable_irq(1, 30, 0xA0);
  GenericTimer t;
  auto ctx = [&](uint64_t now) { return AccessContext{1, 0, now, &gf.g, 1}; };
  uint64_t v = 200;
  BOOST_REQUIRE(t.sysreg(kCNTV_CVAL, false, v, ctx(100)) == GenericTimer::Access::kOk);
  v = kEnable;
  BOOST_REQUIRE(t.sysreg(kCNTV_CTL, false, v, ctx(100)) == GenericTimer::Access::kOk);
  BOOST_CHECK(!gf.priv_bit(1, kGicrIspendr0, 27));
  BOOST_CHECK_EQUAL(t.next_deadline(100), 200u);
  t.update(199, gf.g, 1);
  BOOST_CHECK(!gf.g.irq_pending(1));
  t.update(200, gf.g, 1);
  BOOST_CHECK(gf.priv_bit(1, kGicrIspendr0, 27));
  BOOST_CHECK(!gf.priv_bit(1, kGicrIspendr0, 30));
  BOOST_CHECK(!gf.priv_bit(0, kGicrIspendr0, 27));
  BOOST_CHECK(gf.g.irq_pending(1));
  BOOST_CHECK_EQUAL(t.next_deadline(250), UINT64_MAX);  // already high: nothing to raise
  // Linux's handler: acknowledge, mask the timer, EOI. The mask lowers the line at once
  // (ctx.gic is set), so the EOI does not re-pend the level interrupt.
  BOOST_CHECK_EQUAL(gf.icc_rd(1, kIAR1), 27u);
  v = kEnable | kImask;
  BOOST_REQUIRE(t.sysreg(kCNTV_CTL, false, v, ctx(250)) == GenericTimer::Access::kOk);
  BOOST_CHECK(!gf.priv_bit(1, kGicrIspendr0, 27));
  gf.icc_wr(1, kEOIR1, 27);
  BOOST_CHECK(!gf.g.irq_pending(1));
  // Physical timer on PPI 30 with a TVAL write.
  v = 10;
  BOOST_REQUIRE(t.sysreg(kCNTP_TVAL, false, v, ctx(300)) == GenericTimer::Access::kOk);
  v = kEnable;
  BOOST_REQUIRE(t.sysreg(kCNTP_CTL, false, v, ctx(300)) == GenericTimer::Access::kOk);
  BOOST_CHECK_EQUAL(t.next_deadline(300), 310u);
  t.update(310, gf.g, 1);
  BOOST_CHECK_EQUAL(gf.icc_rd(1, kIAR1), 30u);
  // Disabling lowers the line; without ctx.gic the change is left for update().
  v = 0;
  BOOST_REQUIRE(t.sysreg(kCNTP_CTL, false, v, AccessContext{1, 0, 320, nullptr, 0}) == GenericTimer::Access::kOk);
  BOOST_CHECK(gf.priv_bit(1, kGicrIspendr0, 30));
  BOOST_CHECK_EQUAL(t.next_deadline(320), 320u);          // a change is due now
  t.update(320, gf.g, 1);
  BOOST_CHECK(!gf.priv_bit(1, kGicrIspendr0, 30));
  BOOST_CHECK_EQUAL(t.next_deadline(320), UINT64_MAX);
}

BOOST_AUTO_TEST_CASE(next_deadline) {
  TimerFixture f;
  BOOST_CHECK_EQUAL(f.t.next_deadline(0), UINT64_MAX);    // nothing enabled
  f.wr(kCNTP_CVAL, 2000);
  BOOST_CHECK_EQUAL(f.t.next_deadline(100), UINT64_MAX);  // CVAL set, not enabled
  f.wr(kCNTP_CTL, kEnable);
  BOOST_CHECK_EQUAL(f.t.next_deadline(100), 2000u);
  f.wr(kCNTV_CVAL, 1500);
  f.wr(kCNTV_CTL, kEnable | kImask);
  BOOST_CHECK_EQUAL(f.t.next_deadline(100), 2000u);       // masked timers never raise a line
  f.wr(kCNTV_CTL, kEnable);
  BOOST_CHECK_EQUAL(f.t.next_deadline(100), 1500u);       // the earlier of the two
  BOOST_CHECK_EQUAL(f.t.next_deadline(1500), 1500u);      // due: output high, line low
  // Saturation: a virtual deadline beyond 2^64 physical ticks.
  TimerFixture s;
  s.t.set_cntvoff(1000);                                  // CNTVCT = now - 1000
  s.wr(kCNTV_CVAL, UINT64_MAX);
  s.wr(kCNTV_CTL, kEnable);
  BOOST_CHECK_EQUAL(s.t.next_deadline(2000), UINT64_MAX);
  // Before physical 1000 the virtual count has wrapped to near 2^64: it reaches CVAL at 999.
  BOOST_CHECK_EQUAL(s.t.next_deadline(500), 999u);
}

// The core's clock and the count: 62.5 MHz CNTFRQ (the default) against a 2 GHz core is
// 32 cycles per tick; the cycles to a deadline round up, so a run that long reaches it.
BOOST_AUTO_TEST_CASE(cycles_and_ticks) {
  TimerFixture f;
  BOOST_REQUIRE_EQUAL(f.t.frequency(), 62500000u);
  BOOST_CHECK_EQUAL(f.t.ticks_after(0, 2000), 0u);
  BOOST_CHECK_EQUAL(f.t.ticks_after(31, 2000), 0u);
  BOOST_CHECK_EQUAL(f.t.ticks_after(32, 2000), 1u);
  BOOST_CHECK_EQUAL(f.t.ticks_after(uint64_t{1} << 62, 2000), (uint64_t{1} << 62) / 32);  // no overflow
  BOOST_CHECK_EQUAL(f.t.cycles_until_deadline(100, 2000), UINT64_MAX);  // nothing enabled
  f.wr(kCNTP_CVAL, 110);
  f.wr(kCNTP_CTL, kEnable);
  BOOST_CHECK_EQUAL(f.t.cycles_until_deadline(100, 2000), 10u * 32 + 1);
  BOOST_CHECK_EQUAL(f.t.ticks_after(f.t.cycles_until_deadline(0, 2000), 2000), 110u);
  BOOST_CHECK_EQUAL(f.t.cycles_until_deadline(110, 2000), 1u);  // due now: at least one
  BOOST_CHECK_EQUAL(f.t.cycles_until_deadline(120, 2000), 1u);
  // A deadline whose cycle count exceeds 64 bits saturates.
  f.wr(kCNTP_CVAL, UINT64_MAX - 1);
  BOOST_CHECK_EQUAL(f.t.cycles_until_deadline(0, 2000), UINT64_MAX);
}

BOOST_AUTO_TEST_CASE(el0_access_gated_by_cntkctl) {
  using A = GenericTimer::Access;
  TimerFixture f;
  f.now = 77;
  struct Row {
    arch::SysRegKey key;
    uint64_t opens;   // CNTKCTL_EL1 bits that each open it
  };
  const Row rows[] = {
      {kCNTFRQ, tmr::cntkctl::kEL0PCTEN | tmr::cntkctl::kEL0VCTEN},
      {kCNTPCT, tmr::cntkctl::kEL0PCTEN},
      {kCNTVCT, tmr::cntkctl::kEL0VCTEN},
      {kCNTP_CTL, tmr::cntkctl::kEL0PTEN},  {kCNTP_CVAL, tmr::cntkctl::kEL0PTEN},
      {kCNTP_TVAL, tmr::cntkctl::kEL0PTEN}, {kCNTV_CTL, tmr::cntkctl::kEL0VTEN},
      {kCNTV_CVAL, tmr::cntkctl::kEL0VTEN}, {kCNTV_TVAL, tmr::cntkctl::kEL0VTEN},
  };
  const uint64_t bits[] = {tmr::cntkctl::kEL0PCTEN, tmr::cntkctl::kEL0VCTEN, tmr::cntkctl::kEL0VTEN,
                           tmr::cntkctl::kEL0PTEN};
  for (const Row& r : rows) {
    BOOST_TEST_CONTEXT("key index 0x" << std::hex << r.key.index()) {
      uint64_t v = 0;
      BOOST_CHECK(f.t.sysreg(r.key, true, v, f.ctx(0, 0)) == A::kTrapEl0);
      BOOST_CHECK(f.t.sysreg(r.key, true, v, f.ctx(1, 0)) == A::kOk);  // EL1: never gated
      for (uint64_t b : bits) {
        const A want = (r.opens & b) ? A::kOk : A::kTrapEl0;
        BOOST_CHECK(f.t.sysreg(r.key, true, v, f.ctx(0, b)) == want);
      }
    }
  }
  // An allowed EL0 write takes effect; a refused one does not.
  uint64_t v = 1234;
  BOOST_CHECK(f.t.sysreg(kCNTV_CVAL, false, v, f.ctx(0, tmr::cntkctl::kEL0PTEN)) == A::kTrapEl0);
  BOOST_CHECK_EQUAL(f.rd(kCNTV_CVAL), 0u);
  BOOST_CHECK(f.t.sysreg(kCNTV_CVAL, false, v, f.ctx(0, tmr::cntkctl::kEL0VTEN)) == A::kOk);
  BOOST_CHECK_EQUAL(f.rd(kCNTV_CVAL), 1234u);
  // EL0 reads return the same values as EL1.
  BOOST_CHECK(f.t.sysreg(kCNTPCT, true, v, f.ctx(0, tmr::cntkctl::kEL0PCTEN)) == A::kOk);
  BOOST_CHECK_EQUAL(v, 77u);
}

BOOST_AUTO_TEST_CASE(reset_and_snapshot) {
  TimerFixture f;
  f.t.set_cntvoff(5);
  f.wr(kCNTV_CVAL, 1000);
  f.wr(kCNTV_CTL, kEnable);
  const tmr::TimerState saved = f.t.state();
  f.t.reset();
  BOOST_CHECK_EQUAL(f.rd(kCNTV_CTL), 0u);
  BOOST_CHECK_EQUAL(f.rd(kCNTV_CVAL), 0u);
  BOOST_CHECK_EQUAL(f.t.cntvoff(), 5u);                   // platform/hypervisor state kept
  f.t.set_state(saved);
  BOOST_CHECK_EQUAL(f.rd(kCNTV_CVAL), 1000u);
  BOOST_CHECK_EQUAL(f.t.next_deadline(100), 1005u);
  f.t.set_frequency(24'000'000);
  BOOST_CHECK_EQUAL(f.rd(kCNTFRQ), 24'000'000u);
  BOOST_CHECK_THROW(f.t.set_frequency(0), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
