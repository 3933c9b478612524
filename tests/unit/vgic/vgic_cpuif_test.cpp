// Interrupt semantics and the CPU interface: level vs edge, priority masking, running priority
// and preemption, IAR/EOIR/DIR flows, SGI generation, SPI routing, take_changed, snapshots.
#include <boost/test/unit_test.hpp>

#include <stdexcept>
#include <vector>

#include "tests/unit/vgic/vgic_fixture.h"

using namespace vgic_test;

namespace {
using Ids = std::vector<unsigned>;
}

BOOST_AUTO_TEST_SUITE(vgic_cpuif)

BOOST_AUTO_TEST_CASE(cpu_interface_reset_values) {
  GicFixture f;
  BOOST_CHECK_EQUAL(f.icc_rd(0, kPMR), 0u);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kBPR0), 2u);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kBPR1), 3u);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kCTLR), 0x400u);  // PRIbits = 4 (5 bits), IDbits 0, A3V 0
  BOOST_CHECK_EQUAL(f.icc_rd(0, kSRE), 0x7u);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kIGRPEN1), 0u);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kIGRPEN0), 0u);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kAP1R0), 0u);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kRPR), 0xFFu);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kIAR1), 1023u);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kHPPIR1), 1023u);
  for (unsigned v = 0; v < 4; ++v) BOOST_CHECK(!f.g.irq_pending(v));
  BOOST_CHECK(f.g.take_changed().empty());
}

BOOST_AUTO_TEST_CASE(register_access_rules) {
  GicFixture f;
  uint64_t v = 0;
  // Write-only registers have no MRS form, read-only ones no MSR form.
  for (auto k : {kEOIR1, kEOIR0, kDIR, kSGI1R, kASGI1R, kSGI0R})
    BOOST_CHECK(f.g.sysreg(0, k, true, v) == Vgic::Access::kUndef);
  for (auto k : {kIAR1, kIAR0, kHPPIR1, kHPPIR0, kRPR})
    BOOST_CHECK(f.g.sysreg(0, k, false, v) == Vgic::Access::kUndef);
  // 5 preemption bits: only AP{0,1}R0 exist.
  for (auto k : {kAP1R1, kAP1R3, kAP0R1}) {
    BOOST_CHECK(f.g.sysreg(0, k, true, v) == Vgic::Access::kUndef);
    BOOST_CHECK(f.g.sysreg(0, k, false, v) == Vgic::Access::kUndef);
  }
  // Not an ICC register at all.
  BOOST_CHECK(f.g.sysreg(0, arch::sysreg(3, 0, 12, 10, 0), true, v) == Vgic::Access::kUndef);
  BOOST_CHECK(f.g.sysreg(0, arch::sysreg(3, 3, 14, 0, 0), true, v) == Vgic::Access::kUndef);
  BOOST_CHECK_THROW(f.g.sysreg(4, kPMR, true, v), std::out_of_range);
  // RAZ/WI and RAO/WI registers.
  f.icc_wr(0, kSRE, 0);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kSRE), 0x7u);
  f.icc_wr(0, kIGRPEN0, 1);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kIGRPEN0), 0u);
  f.icc_wr(0, kAP0R0, 0xFFFFFFFF);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kAP0R0), 0u);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kIAR0), 1023u);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kHPPIR0), 1023u);
  // ICC_CTLR_EL1: only CBPR and EOImode are writable.
  f.icc_wr(0, kCTLR, 0xFFFFFFFF);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kCTLR), 0x403u);
  f.icc_wr(0, kCTLR, 0);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kCTLR), 0x400u);
  // PMR: 5 implemented bits.
  f.icc_wr(0, kPMR, 0xFF);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kPMR), 0xF8u);
  BOOST_CHECK_EQUAL(f.icc_rd(1, kPMR), 0u);  // banked per vCPU
  // AP1R0: all 32 bits; the running priority follows it.
  f.icc_wr(0, kAP1R0, 0xFFFFFFFF00000100ull);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kAP1R0), 0x100u);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kRPR), 0x40u);
}

BOOST_AUTO_TEST_CASE(binary_point_minimum_and_cbpr) {
  GicFixture f;
  f.icc_wr(0, kBPR1, 0);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kBPR1), 3u);  // below the minimum: set to the minimum
  f.icc_wr(0, kBPR0, 1);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kBPR0), 2u);
  f.icc_wr(0, kBPR1, 5);
  f.icc_wr(0, kBPR0, 6);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kBPR1), 5u);
  f.icc_wr(0, kCTLR, vg::icc_ctlr::kCBPR);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kBPR1), 7u);  // BPR0 + 1
  f.icc_wr(0, kBPR1, 4);                      // ignored while CBPR = 1
  f.icc_wr(0, kBPR0, 7);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kBPR1), 7u);  // saturates at 7
  f.icc_wr(0, kCTLR, 0);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kBPR1), 5u);
}

BOOST_AUTO_TEST_CASE(level_sensitive_spi_follows_its_line) {
  GicFixture f;
  f.enable_all();
  f.enable_irq(0, 40, 0xA0);
  f.g.set_irq_level(0, 40, true);
  BOOST_CHECK(f.spi_bit(kGicdIspendr, 40));
  BOOST_CHECK(f.g.irq_pending(0));
  BOOST_CHECK(f.g.take_changed() == Ids{0});
  f.g.set_irq_level(0, 40, false);
  BOOST_CHECK(!f.spi_bit(kGicdIspendr, 40));
  BOOST_CHECK(!f.g.irq_pending(0));
  // Clear-pending does not clear a level interrupt whose line is high.
  f.g.set_irq_level(0, 40, true);
  f.wr(gicd(kGicdIcpendr + 4), 1u << 8);
  BOOST_CHECK(f.spi_bit(kGicdIspendr, 40));
  // Set-pending latches it even after the line drops; clear-pending removes the latch.
  f.wr(gicd(kGicdIspendr + 4), 1u << 8);
  f.g.set_irq_level(0, 40, false);
  BOOST_CHECK(f.spi_bit(kGicdIspendr, 40));
  f.wr(gicd(kGicdIcpendr + 4), 1u << 8);
  BOOST_CHECK(!f.spi_bit(kGicdIspendr, 40));
  BOOST_CHECK(!f.g.irq_pending(0));
}

BOOST_AUTO_TEST_CASE(level_interrupt_acknowledged_with_line_high_is_active_and_pending) {
  GicFixture f;
  f.enable_all();
  f.enable_irq(0, 40, 0xA0);
  f.g.set_irq_level(0, 40, true);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kIAR1), 40u);
  BOOST_CHECK(f.spi_bit(kGicdIsactiver, 40));
  BOOST_CHECK(f.spi_bit(kGicdIspendr, 40));
  BOOST_CHECK(!f.g.irq_pending(0));              // active: not signalled again
  f.icc_wr(0, kEOIR1, 40);                       // line still high: pending again
  BOOST_CHECK(f.g.irq_pending(0));
  BOOST_CHECK_EQUAL(f.icc_rd(0, kIAR1), 40u);
  f.g.set_irq_level(0, 40, false);               // device deasserts before the EOI
  f.icc_wr(0, kEOIR1, 40);
  BOOST_CHECK(!f.spi_bit(kGicdIsactiver, 40));
  BOOST_CHECK(!f.spi_bit(kGicdIspendr, 40));
  BOOST_CHECK(!f.g.irq_pending(0));
}

BOOST_AUTO_TEST_CASE(edge_triggered_spi_latches_rising_edges) {
  GicFixture f;
  f.enable_all();
  f.wr(gicd(kGicdIcfgr + 8), 2u << 18);        // INTID 41: GICD_ICFGR2 field 9
  BOOST_REQUIRE_EQUAL(f.rd(gicd(kGicdIcfgr + 8)), 2u << 18);
  f.enable_irq(0, 41, 0xA0);
  f.g.set_irq_level(0, 41, true);
  f.g.set_irq_level(0, 41, false);
  BOOST_CHECK(f.spi_bit(kGicdIspendr, 41));        // stays pending after the line drops
  BOOST_CHECK(f.g.irq_pending(0));
  BOOST_CHECK_EQUAL(f.icc_rd(0, kIAR1), 41u);
  BOOST_CHECK(!f.spi_bit(kGicdIspendr, 41));       // acknowledge consumed the edge
  f.g.set_irq_level(0, 41, true);                  // a new edge while active
  BOOST_CHECK(f.spi_bit(kGicdIspendr, 41));
  BOOST_CHECK(!f.g.irq_pending(0));                // active and pending: not signalled
  f.icc_wr(0, kEOIR1, 41);
  BOOST_CHECK(f.g.irq_pending(0));
  BOOST_CHECK_EQUAL(f.icc_rd(0, kIAR1), 41u);
  f.icc_wr(0, kEOIR1, 41);
  BOOST_CHECK(!f.g.irq_pending(0));                // holding the line high is no new edge
  f.g.set_irq_level(0, 41, true);
  BOOST_CHECK(!f.g.irq_pending(0));
  // An injection (KVM_IRQ_LINE, an irqfd) is an event: with the line still high it pends the
  // edge interrupt again, as Linux's vgic_validate_injection() lets every level 1 through.
  f.g.inject_irq(0, 41, true);
  BOOST_CHECK(f.spi_bit(kGicdIspendr, 41));
  BOOST_CHECK(f.g.irq_pending(0));
  BOOST_CHECK_EQUAL(f.icc_rd(0, kIAR1), 41u);
  f.icc_wr(0, kEOIR1, 41);
  f.g.inject_irq(0, 41, false);                    // lowering it does nothing
  BOOST_CHECK(!f.g.irq_pending(0));
  f.g.inject_irq(0, 40, true);                     // level-sensitive: injections follow the line
  f.g.inject_irq(0, 40, true);
  BOOST_CHECK(f.spi_bit(kGicdIspendr, 40));
  f.g.inject_irq(0, 40, false);
  BOOST_CHECK(!f.spi_bit(kGicdIspendr, 40));
}

BOOST_AUTO_TEST_CASE(pmu_ppi_23_raised_and_lowered) {
  GicFixture f;
  f.enable_all();
  f.enable_irq(2, vg::kPmuPpi, 0xA0);
  f.g.set_irq_level(2, vg::kPmuPpi, true);
  BOOST_CHECK(f.priv_bit(2, kGicrIspendr0, 23));
  BOOST_CHECK(!f.priv_bit(1, kGicrIspendr0, 23));
  BOOST_CHECK(f.g.irq_pending(2));
  BOOST_CHECK(!f.g.irq_pending(0) && !f.g.irq_pending(1) && !f.g.irq_pending(3));
  BOOST_CHECK(f.g.take_changed() == Ids{2});
  f.g.set_irq_level(2, vg::kPmuPpi, true);          // no edge, no change
  BOOST_CHECK(f.g.take_changed().empty());
  f.g.set_irq_level(2, vg::kPmuPpi, false);
  BOOST_CHECK(!f.g.irq_pending(2));
  BOOST_CHECK(f.g.take_changed() == Ids{2});
  // Raised again and handled: ack, the PMU driver clears the overflow, EOI.
  f.g.set_irq_level(2, vg::kPmuPpi, true);
  BOOST_CHECK_EQUAL(f.icc_rd(2, kHPPIR1), 23u);
  BOOST_CHECK_EQUAL(f.icc_rd(2, kIAR1), 23u);
  BOOST_CHECK_EQUAL(f.icc_rd(2, kRPR), 0xA0u);
  BOOST_CHECK(f.priv_bit(2, kGicrIsactiver0, 23));
  f.g.set_irq_level(2, vg::kPmuPpi, false);
  f.icc_wr(2, kEOIR1, 23);
  BOOST_CHECK(!f.priv_bit(2, kGicrIsactiver0, 23));
  BOOST_CHECK(!f.priv_bit(2, kGicrIspendr0, 23));
  BOOST_CHECK_EQUAL(f.icc_rd(2, kRPR), 0xFFu);
  BOOST_CHECK(!f.g.irq_pending(2));
}

BOOST_AUTO_TEST_CASE(spurious_when_nothing_can_be_signalled) {
  GicFixture f;
  f.enable_all();
  f.enable_irq(0, 40, 0xA0);
  f.g.set_irq_level(0, 40, true);
  // Group 1 disabled at the CPU interface.
  f.icc_wr(0, kIGRPEN1, 0);
  BOOST_CHECK(!f.g.irq_pending(0));
  BOOST_CHECK_EQUAL(f.icc_rd(0, kIAR1), 1023u);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kHPPIR1), 1023u);
  f.icc_wr(0, kIGRPEN1, 1);
  // Group 1 disabled at the distributor.
  f.wr(gicd(kGicdCtlr), 0);
  BOOST_CHECK(!f.g.irq_pending(0));
  BOOST_CHECK_EQUAL(f.icc_rd(0, kIAR1), 1023u);
  f.wr(gicd(kGicdCtlr), vg::gicd_ctlr::kEnableGrp1);
  // Disabled interrupt.
  f.wr(gicd(kGicdIcenabler + 4), 1u << 8);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kIAR1), 1023u);
  BOOST_CHECK(f.spi_bit(kGicdIspendr, 40));  // still pending, just not forwarded
  f.wr(gicd(kGicdIsenabler + 4), 1u << 8);
  // Made active by software.
  f.wr(gicd(kGicdIsactiver + 4), 1u << 8);
  BOOST_CHECK(!f.g.irq_pending(0));
  BOOST_CHECK_EQUAL(f.icc_rd(0, kIAR1), 1023u);
  f.wr(gicd(kGicdIcactiver + 4), 1u << 8);
  BOOST_CHECK(f.g.irq_pending(0));
  BOOST_CHECK_EQUAL(f.icc_rd(0, kIAR1), 40u);
}

BOOST_AUTO_TEST_CASE(priority_mask) {
  GicFixture f;
  f.enable_all();
  f.enable_irq(0, 40, 0x80);
  f.g.set_irq_level(0, 40, true);
  f.icc_wr(0, kPMR, 0x80);                    // equal priority is masked
  BOOST_CHECK(!f.g.irq_pending(0));
  BOOST_CHECK_EQUAL(f.icc_rd(0, kIAR1), 1023u);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kHPPIR1), 40u);  // HPPIR ignores the mask
  f.icc_wr(0, kPMR, 0x87);                    // low bits RAZ: still 0x80
  BOOST_CHECK(!f.g.irq_pending(0));
  f.icc_wr(0, kPMR, 0x88);
  BOOST_CHECK(f.g.irq_pending(0));
  BOOST_CHECK(f.g.take_changed() == Ids{0});
  f.icc_wr(0, kPMR, 0);
  BOOST_CHECK(!f.g.irq_pending(0));
  BOOST_CHECK(f.g.take_changed() == Ids{0});
}

BOOST_AUTO_TEST_CASE(highest_priority_first_ties_to_lowest_intid) {
  GicFixture f;
  f.enable_all();
  f.enable_irq(0, 45, 0x90);
  f.enable_irq(0, 42, 0x90);
  f.enable_irq(0, 50, 0x88);
  f.enable_irq(0, 20, 0xA0);
  for (unsigned i : {45u, 42u, 50u}) f.g.set_irq_level(0, i, true);
  f.g.set_irq_level(0, 20, true);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kHPPIR1), 50u);
  f.icc_wr(0, kBPR1, 7);                       // no nesting: take them one by one
  BOOST_CHECK_EQUAL(f.icc_rd(0, kIAR1), 50u);
  f.g.set_irq_level(0, 50, false);
  f.icc_wr(0, kEOIR1, 50);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kIAR1), 42u);  // 0x90 tie: lowest INTID
  f.g.set_irq_level(0, 42, false);
  f.icc_wr(0, kEOIR1, 42);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kIAR1), 45u);
  f.g.set_irq_level(0, 45, false);
  f.icc_wr(0, kEOIR1, 45);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kIAR1), 20u);
}

BOOST_AUTO_TEST_CASE(running_priority_and_preemption) {
  GicFixture f;
  f.enable_all();
  f.enable_irq(0, 40, 0x80);
  f.enable_irq(0, 41, 0x80);
  f.enable_irq(0, 42, 0x40);
  f.g.set_irq_level(0, 40, true);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kIAR1), 40u);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kRPR), 0x80u);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kAP1R0), 1u << (0x80 >> 3));
  f.g.set_irq_level(0, 41, true);              // same priority: cannot preempt
  BOOST_CHECK(!f.g.irq_pending(0));
  BOOST_CHECK_EQUAL(f.icc_rd(0, kIAR1), 1023u);
  f.g.set_irq_level(0, 42, true);              // higher priority: preempts
  BOOST_CHECK(f.g.irq_pending(0));
  BOOST_CHECK_EQUAL(f.icc_rd(0, kIAR1), 42u);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kRPR), 0x40u);
  BOOST_CHECK(!f.g.irq_pending(0));
  f.g.set_irq_level(0, 42, false);
  f.icc_wr(0, kEOIR1, 42);                     // back to the interrupted handler
  BOOST_CHECK_EQUAL(f.icc_rd(0, kRPR), 0x80u);
  BOOST_CHECK(!f.g.irq_pending(0));
  f.g.set_irq_level(0, 40, false);
  f.icc_wr(0, kEOIR1, 40);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kRPR), 0xFFu);
  BOOST_CHECK(f.g.irq_pending(0));              // 41 was waiting
  BOOST_CHECK_EQUAL(f.icc_rd(0, kIAR1), 41u);
}

BOOST_AUTO_TEST_CASE(preemption_uses_group_priority_from_bpr1) {
  GicFixture f;
  f.enable_all();
  f.icc_wr(0, kBPR1, 4);                       // group priority = priority[7:4]
  f.enable_irq(0, 40, 0x48);
  f.enable_irq(0, 41, 0x40);
  f.enable_irq(0, 42, 0x38);
  f.g.set_irq_level(0, 40, true);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kIAR1), 40u);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kRPR), 0x40u);  // the group priority of 0x48
  f.g.set_irq_level(0, 41, true);              // higher subpriority only: no preemption
  BOOST_CHECK(!f.g.irq_pending(0));
  f.g.set_irq_level(0, 42, true);              // group 0x30 < 0x40: preempts
  BOOST_CHECK(f.g.irq_pending(0));
  BOOST_CHECK_EQUAL(f.icc_rd(0, kIAR1), 42u);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kRPR), 0x30u);
  f.icc_wr(0, kEOIR1, 42);
  f.icc_wr(0, kEOIR1, 40);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kRPR), 0xFFu);

  // With CBPR, Group 1 preemption uses BPR0 + 1: BPR0 = 6 gives group priority [7:7].
  GicFixture c;
  c.enable_all();
  c.icc_wr(0, kBPR0, 6);
  c.icc_wr(0, kCTLR, vg::icc_ctlr::kCBPR);
  c.enable_irq(0, 40, 0x70);
  c.enable_irq(0, 41, 0x08);
  c.enable_irq(0, 42, 0x80);
  c.g.set_irq_level(0, 42, true);
  BOOST_CHECK_EQUAL(c.icc_rd(0, kIAR1), 42u);
  BOOST_CHECK_EQUAL(c.icc_rd(0, kRPR), 0x80u);
  c.g.set_irq_level(0, 40, true);              // group 0x00 < 0x80: preempts
  BOOST_CHECK_EQUAL(c.icc_rd(0, kIAR1), 40u);
  BOOST_CHECK_EQUAL(c.icc_rd(0, kRPR), 0x00u);
  c.g.set_irq_level(0, 41, true);              // group 0x00 == 0x00: no preemption
  BOOST_CHECK(!c.g.irq_pending(0));
}

BOOST_AUTO_TEST_CASE(eoimode_1_splits_priority_drop_and_deactivation) {
  GicFixture f;
  f.enable_all();
  f.icc_wr(0, kCTLR, vg::icc_ctlr::kEOImode);
  f.wr(gicd(kGicdIcfgr + 8), 2u << 18);        // INTID 41 edge
  f.enable_irq(0, 41, 0xA0);
  f.g.set_irq_level(0, 41, true);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kIAR1), 41u);
  f.icc_wr(0, kEOIR1, 41);                     // priority drop only
  BOOST_CHECK_EQUAL(f.icc_rd(0, kRPR), 0xFFu);
  BOOST_CHECK(f.spi_bit(kGicdIsactiver, 41));
  f.g.set_irq_level(0, 41, false);
  f.g.set_irq_level(0, 41, true);              // new edge: active and pending
  BOOST_CHECK(!f.g.irq_pending(0));
  f.icc_wr(0, kDIR, 41);                       // deactivation
  BOOST_CHECK(!f.spi_bit(kGicdIsactiver, 41));
  BOOST_CHECK(f.g.irq_pending(0));
  BOOST_CHECK_EQUAL(f.icc_rd(0, kIAR1), 41u);

  // EOImode 0: DIR is ignored, EOIR deactivates.
  f.icc_wr(0, kCTLR, 0);
  f.icc_wr(0, kDIR, 41);
  BOOST_CHECK(f.spi_bit(kGicdIsactiver, 41));
  f.icc_wr(0, kEOIR1, 41);
  BOOST_CHECK(!f.spi_bit(kGicdIsactiver, 41));
}

BOOST_AUTO_TEST_CASE(eoi_of_special_or_without_active_priority_is_ignored) {
  GicFixture f;
  f.enable_all();
  f.enable_irq(0, 40, 0xA0);
  f.wr(gicd(kGicdIsactiver + 4), 1u << 8);     // active, but not acknowledged here
  f.icc_wr(0, kEOIR1, 40);                     // no active priority: ignored
  BOOST_CHECK(f.spi_bit(kGicdIsactiver, 40));
  f.wr(gicd(kGicdIcactiver + 4), 1u << 8);
  f.g.set_irq_level(0, 40, true);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kIAR1), 40u);
  f.icc_wr(0, kEOIR1, 1023);                   // special INTID: ignored
  BOOST_CHECK_EQUAL(f.icc_rd(0, kRPR), 0xA0u);
  f.icc_wr(0, kEOIR0, 40);                     // Group 0 EOI: ignored
  BOOST_CHECK_EQUAL(f.icc_rd(0, kRPR), 0xA0u);
  f.icc_wr(0, kEOIR1, 40);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kRPR), 0xFFu);
}

BOOST_AUTO_TEST_CASE(sgi_by_target_list) {
  GicFixture f(4);
  f.enable_all();
  for (unsigned v = 0; v < 4; ++v) f.enable_irq(v, 5, 0x80);
  f.icc_wr(0, kSGI1R, sgi1r(5, 0b1010));        // vCPUs 1 and 3
  BOOST_CHECK(f.g.take_changed() == (Ids{1, 3}));
  BOOST_CHECK(!f.g.irq_pending(0) && f.g.irq_pending(1) && !f.g.irq_pending(2) && f.g.irq_pending(3));
  BOOST_CHECK(f.priv_bit(1, kGicrIspendr0, 5));
  BOOST_CHECK(!f.priv_bit(2, kGicrIspendr0, 5));
  BOOST_CHECK_EQUAL(f.icc_rd(1, kIAR1), 5u);
  BOOST_CHECK_EQUAL(f.icc_rd(3, kIAR1), 5u);
  f.icc_wr(1, kEOIR1, 5);
  f.icc_wr(3, kEOIR1, 5);
  BOOST_CHECK(f.g.take_changed() == (Ids{1, 3}));  // the acknowledges lowered their outputs
  // To self, and to targets that do not exist (Aff0 4..15; Aff1 = 1).
  f.icc_wr(2, kSGI1R, sgi1r(5, 0xFFF4));
  BOOST_CHECK(f.g.take_changed() == Ids{2});
  BOOST_CHECK_EQUAL(f.icc_rd(2, kIAR1), 5u);
  f.icc_wr(2, kEOIR1, 5);
  f.g.take_changed();
  f.icc_wr(0, kSGI1R, sgi1r(5, 0xF, 1));
  BOOST_CHECK(f.g.take_changed().empty());
  // A disabled SGI is made pending but not signalled.
  f.icc_wr(0, kSGI1R, sgi1r(6, 0b0010));
  BOOST_CHECK(f.priv_bit(1, kGicrIspendr0, 6));
  BOOST_CHECK(!f.g.irq_pending(1));
}

BOOST_AUTO_TEST_CASE(sgi_irm_broadcasts_to_all_but_self) {
  GicFixture f(4);
  f.enable_all();
  for (unsigned v = 0; v < 4; ++v) f.enable_irq(v, 3, 0x80);
  f.icc_wr(2, kSGI1R, sgi1r(3, 0, 0, 0, true));
  BOOST_CHECK(f.g.take_changed() == (Ids{0, 1, 3}));
  for (unsigned v : {0u, 1u, 3u}) BOOST_CHECK_EQUAL(f.icc_rd(v, kIAR1), 3u);
  BOOST_CHECK_EQUAL(f.icc_rd(2, kIAR1), 1023u);
}

BOOST_AUTO_TEST_CASE(sgi_affinity_levels) {
  GicFixture f(20);
  f.enable_all();
  f.enable_irq(17, 1, 0x80);
  f.enable_irq(1, 1, 0x80);
  f.icc_wr(0, kSGI1R, sgi1r(1, 0b10, 1));       // Aff1 = 1, Aff0 = 1: vCPU 17
  BOOST_CHECK(f.g.take_changed() == Ids{17});
  f.icc_wr(0, kSGI1R, sgi1r(1, 0b10, 0, 1));    // Aff2 = 1: nobody
  BOOST_CHECK(f.g.take_changed().empty());
}

BOOST_AUTO_TEST_CASE(group0_and_alternate_sgis_are_ignored) {
  GicFixture f(2);
  f.enable_all();
  f.enable_irq(1, 2, 0x80);
  f.icc_wr(0, kSGI0R, sgi1r(2, 0b10));
  f.icc_wr(0, kASGI1R, sgi1r(2, 0b10));
  BOOST_CHECK(!f.priv_bit(1, kGicrIspendr0, 2));
  BOOST_CHECK(f.g.take_changed().empty());
}

BOOST_AUTO_TEST_CASE(spi_routing_by_irouter) {
  GicFixture f(4);
  f.enable_all();
  f.enable_irq(0, 40, 0x80);
  f.g.set_irq_level(0, 40, true);               // routed to vCPU 0 at reset
  BOOST_CHECK(f.g.take_changed() == Ids{0});
  f.route_spi(40, vg::affinity_of_vcpu(2));
  BOOST_CHECK(f.g.take_changed() == (Ids{0, 2}));
  BOOST_CHECK(!f.g.irq_pending(0) && f.g.irq_pending(2));
  BOOST_CHECK_EQUAL(f.icc_rd(0, kIAR1), 1023u);
  f.route_spi(40, vg::affinity_of_vcpu(3));
  BOOST_CHECK(f.g.take_changed() == (Ids{2, 3}));
  f.route_spi(40, 0x10);                        // Aff0 = 16: no such vCPU
  BOOST_CHECK(f.g.take_changed() == Ids{3});
  for (unsigned v = 0; v < 4; ++v) BOOST_CHECK(!f.g.irq_pending(v));
  BOOST_CHECK(f.spi_bit(kGicdIspendr, 40));     // still pending, delivered nowhere
  f.route_spi(40, 1);
  BOOST_CHECK(f.g.take_changed() == Ids{1});
  BOOST_CHECK_EQUAL(f.icc_rd(1, kIAR1), 40u);
  // Another vCPU may deactivate it (EOImode 1 style through ICC_DIR_EL1 on vCPU 0).
  f.icc_wr(0, kCTLR, vg::icc_ctlr::kEOImode);
  f.g.set_irq_level(0, 40, false);
  f.icc_wr(0, kDIR, 40);
  BOOST_CHECK(!f.spi_bit(kGicdIsactiver, 40));
}

BOOST_AUTO_TEST_CASE(take_changed_reports_flips_only) {
  GicFixture f(4);
  f.enable_all();
  BOOST_CHECK(f.g.take_changed().empty());
  f.enable_irq(1, 16, 0x80);
  f.enable_irq(1, 17, 0x80);
  f.g.set_irq_level(1, 16, true);
  f.g.set_irq_level(1, 17, true);               // output already high: no flip
  BOOST_CHECK(f.g.take_changed() == Ids{1});
  BOOST_CHECK(f.g.take_changed().empty());
  f.g.set_irq_level(1, 17, false);              // 16 still pending: no flip
  BOOST_CHECK(f.g.take_changed().empty());
  f.g.set_irq_level(1, 16, false);
  f.g.set_irq_level(1, 16, true);               // low and high again: reported once
  BOOST_CHECK(f.g.take_changed() == Ids{1});
  BOOST_CHECK(f.g.irq_pending(1));
}

BOOST_AUTO_TEST_CASE(snapshot_round_trip) {
  GicFixture f(2);
  f.enable_all();
  f.enable_irq(1, 40, 0x80);
  f.route_spi(40, 1);
  f.g.set_irq_level(0, 40, true);
  f.g.take_changed();
  const vg::VgicState saved = f.g.state();
  BOOST_CHECK_EQUAL(f.icc_rd(1, kIAR1), 40u);
  f.wr(gicd(kGicdCtlr), 0);
  f.g.take_changed();
  f.g.set_state(saved);
  BOOST_CHECK(f.g.irq_pending(1));
  BOOST_CHECK(f.g.take_changed() == Ids{1});
  BOOST_CHECK_EQUAL(f.icc_rd(1, kRPR), 0xFFu);
  BOOST_CHECK_EQUAL(f.icc_rd(1, kIAR1), 40u);
  Vgic other(3, 64);
  BOOST_CHECK_THROW(other.set_state(saved), std::invalid_argument);
  // Reset of one CPU interface keeps the redistributor and distributor state.
  f.g.reset_cpu_interface(1);
  BOOST_CHECK_EQUAL(f.icc_rd(1, kPMR), 0u);
  BOOST_CHECK_EQUAL(f.icc_rd(1, kRPR), 0xFFu);
  BOOST_CHECK(f.spi_bit(kGicdIsactiver, 40));
  f.g.reset();
  BOOST_CHECK(!f.spi_bit(kGicdIsactiver, 40));
  BOOST_CHECK_EQUAL(f.rd(gicr(1, kGicrWaker)), 0x6u);
}

BOOST_AUTO_TEST_SUITE_END()
