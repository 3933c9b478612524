// Distributor and redistributor registers: reset values, RAZ/WI/RO behaviour, access sizes,
// GICR_TYPER, GICR_WAKER, the set/clear register families, IROUTER.
#include <boost/test/unit_test.hpp>

#include <stdexcept>

#include "tests/unit/vgic/vgic_fixture.h"

using namespace vgic_test;

BOOST_AUTO_TEST_SUITE(vgic_mmio)

BOOST_AUTO_TEST_CASE(constructor_validates_sizes) {
  BOOST_CHECK_THROW(Vgic(0, 64), std::invalid_argument);
  BOOST_CHECK_THROW(Vgic(513, 64), std::invalid_argument);
  BOOST_CHECK_THROW(Vgic(1, 32), std::invalid_argument);
  BOOST_CHECK_THROW(Vgic(1, 100), std::invalid_argument);
  BOOST_CHECK_THROW(Vgic(1, 1056), std::invalid_argument);
  BOOST_CHECK_NO_THROW(Vgic(1, 1024));
}

BOOST_AUTO_TEST_CASE(owns_distributor_and_redistributor_frames) {
  GicFixture f(4);
  BOOST_CHECK(f.g.owns(vg::kDistBase));
  BOOST_CHECK(f.g.owns(vg::kDistBase + vg::kDistSize - 1));
  BOOST_CHECK(!f.g.owns(vg::kDistBase + vg::kDistSize));
  BOOST_CHECK(!f.g.owns(vg::kDistBase - 1));
  BOOST_CHECK(f.g.owns(vg::kRedistBase));
  BOOST_CHECK(f.g.owns(gicr_sgi(3, 0xFFFC)));
  BOOST_CHECK(!f.g.owns(gicr(4, 0)));
  BOOST_CHECK_EQUAL(f.g.redist_size(), 4 * vg::kRedistStride);
  uint64_t v = 7;
  BOOST_CHECK(!f.g.mmio_read(gicr(4, 0), 4, v));
  BOOST_CHECK_EQUAL(v, 7u);
  BOOST_CHECK(!f.g.mmio_write(0x09000000, 4, 1));
}

BOOST_AUTO_TEST_CASE(gicd_reset_values) {
  GicFixture f(4, 64);
  BOOST_CHECK_EQUAL(f.rd(gicd(kGicdCtlr)), 0x50u);  // ARE | DS, groups disabled
  // ITLinesNumber 1 (64 INTIDs), IDbits 9, No1N.
  BOOST_CHECK_EQUAL(f.rd(gicd(kGicdTyper)), (1u << 25) | (9u << 19) | 1u);
  BOOST_CHECK_EQUAL(f.rd(gicd(kGicdIidr)), vg::kIidr);
  BOOST_CHECK_EQUAL(f.rd(gicd(kGicdPidr2)), 0x3Bu);
  BOOST_CHECK_EQUAL(f.rd(gicd(0xFFE0)), 0u);        // PIDR0: not populated
  BOOST_CHECK_EQUAL(f.rd(gicd(0x000C)), 0u);        // TYPER2
  BOOST_CHECK_EQUAL(f.rd(gicd(0x0010)), 0u);        // STATUSR
  BOOST_CHECK_EQUAL(f.rd(gicd(kGicdIsenabler + 4)), 0u);
  BOOST_CHECK_EQUAL(f.rd(gicd(kGicdIpriorityr + 32)), 0u);
  BOOST_CHECK_EQUAL(f.rd(gicd(kGicdIcfgr + 8)), 0u);  // SPIs level-sensitive
  BOOST_CHECK_EQUAL(f.rd(gicd(kGicdIrouter + 8 * 32), 8), 0u);

  GicFixture big(1, 1024);
  BOOST_CHECK_EQUAL(f.rd(gicd(kGicdTyper)) & 0x1f, 1u);
  BOOST_CHECK_EQUAL(big.rd(gicd(kGicdTyper)) & 0x1f, 31u);
}

BOOST_AUTO_TEST_CASE(gicd_ctlr_only_enable_grp1_is_writable) {
  GicFixture f;
  f.wr(gicd(kGicdCtlr), 0xFFFFFFFF);
  BOOST_CHECK_EQUAL(f.rd(gicd(kGicdCtlr)), 0x52u);  // EnableGrp0, E1NWF, RWP stay 0
  f.wr(gicd(kGicdCtlr), 0);
  BOOST_CHECK_EQUAL(f.rd(gicd(kGicdCtlr)), 0x50u);  // ARE and DS are RAO/WI
}

BOOST_AUTO_TEST_CASE(gicd_read_only_registers_ignore_writes) {
  GicFixture f;
  const uint64_t typer = f.rd(gicd(kGicdTyper));
  f.wr(gicd(kGicdTyper), 0);
  f.wr(gicd(kGicdIidr), 0);
  f.wr(gicd(kGicdPidr2), 0);
  BOOST_CHECK_EQUAL(f.rd(gicd(kGicdTyper)), typer);
  BOOST_CHECK_EQUAL(f.rd(gicd(kGicdIidr)), vg::kIidr);
  BOOST_CHECK_EQUAL(f.rd(gicd(kGicdPidr2)), 0x3Bu);
}

BOOST_AUTO_TEST_CASE(gicd_private_interrupts_and_legacy_registers_are_raz_wi) {
  GicFixture f;
  // INTIDs 0..31 live in the redistributors when affinity routing is on.
  for (uint64_t reg : {kGicdIgroupr, kGicdIsenabler, kGicdIspendr, kGicdIsactiver, kGicdIcfgr}) {
    f.wr(gicd(reg), 0xFFFFFFFF);
    BOOST_CHECK_EQUAL(f.rd(gicd(reg)), 0u);
  }
  f.wr(gicd(kGicdIpriorityr), 0xFFFFFFFF);
  BOOST_CHECK_EQUAL(f.rd(gicd(kGicdIpriorityr)), 0u);
  BOOST_CHECK_EQUAL(f.rd(gicr_sgi(0, kGicrIsenabler0)), 0u);   // the write did not leak
  BOOST_CHECK_EQUAL(f.rd(gicr_sgi(0, kGicrIpriorityr)), 0u);
  f.wr(gicd(kGicdItargetsr + 32), 0xFFFFFFFF);
  BOOST_CHECK_EQUAL(f.rd(gicd(kGicdItargetsr + 32)), 0u);
  f.wr(gicd(kGicdSgir), 0x00010001);  // GICv2 SGI generation does nothing
  BOOST_CHECK(f.g.take_changed().empty());
  BOOST_CHECK_EQUAL(f.rd(gicr_sgi(0, kGicrIspendr0)), 0u);
  f.wr(gicd(kGicdIrouter + 8 * 5), 1, 8);
  BOOST_CHECK_EQUAL(f.rd(gicd(kGicdIrouter + 8 * 5), 8), 0u);
}

BOOST_AUTO_TEST_CASE(gicd_unimplemented_spis_are_raz_wi) {
  GicFixture f(4, 64);
  // INTIDs 64..95 do not exist with 64 INTIDs.
  f.wr(gicd(kGicdIsenabler + 8), 0xFFFFFFFF);
  BOOST_CHECK_EQUAL(f.rd(gicd(kGicdIsenabler + 8)), 0u);
  BOOST_CHECK_EQUAL(f.rd(gicd(kGicdIgroupr + 8)), 0u);
  f.wr(gicd(kGicdIrouter + 8 * 64), 1, 8);
  BOOST_CHECK_EQUAL(f.rd(gicd(kGicdIrouter + 8 * 64), 8), 0u);
  BOOST_CHECK_THROW(f.g.set_irq_level(0, 64, true), std::out_of_range);
  BOOST_CHECK_THROW(f.g.set_irq_level(4, 20, true), std::out_of_range);
  BOOST_CHECK_NO_THROW(f.g.set_irq_level(4, 40, true));  // SPI: vcpu ignored
  // With 1024 INTIDs, 1020..1023 are still special.
  GicFixture big(1, 1024);
  big.wr(gicd(kGicdIsenabler + 124), 0xFFFFFFFF);
  BOOST_CHECK_EQUAL(big.rd(gicd(kGicdIsenabler + 124)), 0x0FFFFFFFu);
  BOOST_CHECK_THROW(big.g.set_irq_level(0, 1020, true), std::out_of_range);
}

BOOST_AUTO_TEST_CASE(groups_are_rao_wi) {
  GicFixture f;
  BOOST_CHECK_EQUAL(f.rd(gicd(kGicdIgroupr + 4)), 0xFFFFFFFFu);
  f.wr(gicd(kGicdIgroupr + 4), 0);
  BOOST_CHECK_EQUAL(f.rd(gicd(kGicdIgroupr + 4)), 0xFFFFFFFFu);
  BOOST_CHECK_EQUAL(f.rd(gicr_sgi(2, kGicrIgroupr0)), 0xFFFFFFFFu);
  f.wr(gicr_sgi(2, kGicrIgroupr0), 0);
  BOOST_CHECK_EQUAL(f.rd(gicr_sgi(2, kGicrIgroupr0)), 0xFFFFFFFFu);
}

BOOST_AUTO_TEST_CASE(access_sizes_and_alignment) {
  GicFixture f;
  // Byte access to IPRIORITYR, 5 implemented priority bits.
  f.wr(gicd(kGicdIpriorityr + 33), 0xFF, 1);
  BOOST_CHECK_EQUAL(f.rd(gicd(kGicdIpriorityr + 32)), 0x0000F800u);
  BOOST_CHECK_EQUAL(f.rd(gicd(kGicdIpriorityr + 33), 1), 0xF8u);
  f.wr(gicd(kGicdIpriorityr + 36), 0x01234567);
  BOOST_CHECK_EQUAL(f.rd(gicd(kGicdIpriorityr + 36)), 0x00204060u);
  // 16-bit accesses are not supported anywhere: RAZ/WI.
  f.wr(gicd(kGicdIpriorityr + 40), 0xFFFF, 2);
  BOOST_CHECK_EQUAL(f.rd(gicd(kGicdIpriorityr + 40)), 0u);
  BOOST_CHECK_EQUAL(f.rd(gicd(kGicdIpriorityr + 32), 2), 0u);
  // Byte access to a 32-bit-only register: RAZ/WI.
  f.wr(gicd(kGicdIsenabler + 4), 0xFF, 1);
  BOOST_CHECK_EQUAL(f.rd(gicd(kGicdIsenabler + 4)), 0u);
  BOOST_CHECK_EQUAL(f.rd(gicd(kGicdCtlr), 1), 0u);
  // Misaligned word: RAZ/WI.
  f.wr(gicd(kGicdIsenabler + 6), 0xFFFFFFFF);
  BOOST_CHECK_EQUAL(f.rd(gicd(kGicdIsenabler + 4)), 0u);
  BOOST_CHECK_EQUAL(f.rd(gicd(kGicdIpriorityr + 34), 4), 0u);
  // 64-bit access to a 32-bit register: RAZ/WI.
  f.wr(gicd(kGicdCtlr), 2, 8);
  BOOST_CHECK_EQUAL(f.rd(gicd(kGicdCtlr)), 0x50u);
  BOOST_CHECK_EQUAL(f.rd(gicd(kGicdCtlr), 8), 0u);
  // Reserved offsets: RAZ/WI.
  f.wr(gicd(0x0040), 0xFFFFFFFF);
  BOOST_CHECK_EQUAL(f.rd(gicd(0x0040)), 0u);
  BOOST_CHECK_EQUAL(f.rd(gicr(0, 0x0100)), 0u);
  BOOST_CHECK_EQUAL(f.rd(gicr_sgi(0, 0x0500)), 0u);
}

BOOST_AUTO_TEST_CASE(gicr_typer_affinity_processor_number_and_last) {
  GicFixture f(4);
  for (unsigned v = 0; v < 4; ++v) {
    const uint64_t typer = f.rd(gicr(v, kGicrTyper), 8);
    BOOST_TEST_CONTEXT("vCPU " << v) {
      BOOST_CHECK_EQUAL(typer >> 32, v);                   // Aff0 = id
      BOOST_CHECK_EQUAL((typer >> 8) & 0xffff, v);         // Processor_Number
      BOOST_CHECK_EQUAL((typer >> 4) & 1, v == 3 ? 1u : 0u);  // Last
      BOOST_CHECK_EQUAL(typer & 0x1, 0u);                  // PLPIS
      BOOST_CHECK_EQUAL(f.rd(gicr(v, kGicrTyper)), typer & 0xffffffff);
      BOOST_CHECK_EQUAL(f.rd(gicr(v, kGicrTyper + 4)), typer >> 32);
    }
  }
  f.wr(gicr(0, kGicrTyper), 0xFFFFFFFF);  // read-only
  BOOST_CHECK_EQUAL(f.rd(gicr(0, kGicrTyper)), 0u);

  // vCPU 17: Aff0 = 1, Aff1 = 1 (KVM's MPIDR layout).
  GicFixture big(20);
  BOOST_CHECK_EQUAL(big.rd(gicr(17, kGicrTyper), 8), (uint64_t{0x0101} << 32) | (17u << 8));
  BOOST_CHECK_EQUAL(big.rd(gicr(19, kGicrTyper), 8), (uint64_t{0x0103} << 32) | (19u << 8) | 0x10u);
  BOOST_CHECK_EQUAL(vg::affinity_of_vcpu(0x1234), 0x012304u);
}

BOOST_AUTO_TEST_CASE(gicr_waker_handshake) {
  GicFixture f;
  BOOST_CHECK_EQUAL(f.rd(gicr(1, kGicrWaker)), 0x6u);   // ProcessorSleep, ChildrenAsleep
  f.wr(gicr(1, kGicrWaker), 0);                          // wake: Linux's gic_enable_redist
  BOOST_CHECK_EQUAL(f.rd(gicr(1, kGicrWaker)), 0u);      // ChildrenAsleep follows at once
  BOOST_CHECK_EQUAL(f.rd(gicr(0, kGicrWaker)), 0x6u);    // banked per redistributor
  f.wr(gicr(1, kGicrWaker), 0x4);                        // ChildrenAsleep is read-only
  BOOST_CHECK_EQUAL(f.rd(gicr(1, kGicrWaker)), 0u);
  f.wr(gicr(1, kGicrWaker), 0x2);
  BOOST_CHECK_EQUAL(f.rd(gicr(1, kGicrWaker)), 0x6u);
}

BOOST_AUTO_TEST_CASE(gicr_rd_frame_reset_and_raz) {
  GicFixture f;
  BOOST_CHECK_EQUAL(f.rd(gicr(2, kGicrCtlr)), 0u);
  f.wr(gicr(2, kGicrCtlr), 1);  // EnableLPIs: no LPIs
  BOOST_CHECK_EQUAL(f.rd(gicr(2, kGicrCtlr)), 0u);
  BOOST_CHECK_EQUAL(f.rd(gicr(2, kGicrIidr)), vg::kIidr);
  BOOST_CHECK_EQUAL(f.rd(gicr(2, kGicrPidr2)), 0x3Bu);
  f.wr(gicr(2, kGicrPropbaser), 0x12345000, 8);
  BOOST_CHECK_EQUAL(f.rd(gicr(2, kGicrPropbaser), 8), 0u);
}

BOOST_AUTO_TEST_CASE(gicr_sgi_frame_config_is_fixed) {
  GicFixture f;
  BOOST_CHECK_EQUAL(f.rd(gicr_sgi(0, kGicrIcfgr0)), 0xAAAAAAAAu);  // SGIs edge
  BOOST_CHECK_EQUAL(f.rd(gicr_sgi(0, kGicrIcfgr1)), 0u);           // PPIs level
  f.wr(gicr_sgi(0, kGicrIcfgr0), 0);
  f.wr(gicr_sgi(0, kGicrIcfgr1), 0xFFFFFFFF);
  BOOST_CHECK_EQUAL(f.rd(gicr_sgi(0, kGicrIcfgr0)), 0xAAAAAAAAu);
  BOOST_CHECK_EQUAL(f.rd(gicr_sgi(0, kGicrIcfgr1)), 0u);
}

BOOST_AUTO_TEST_CASE(spi_config_is_programmable) {
  GicFixture f;
  f.wr(gicd(kGicdIcfgr + 8), 0xFFFFFFFF);           // INTIDs 32..47
  BOOST_CHECK_EQUAL(f.rd(gicd(kGicdIcfgr + 8)), 0xAAAAAAAAu);  // Int_config[0] is RES0
  f.wr(gicd(kGicdIcfgr + 12), 0x00000008);          // INTID 49 edge
  BOOST_CHECK_EQUAL(f.rd(gicd(kGicdIcfgr + 12)), 0x8u);
}

BOOST_AUTO_TEST_CASE(private_registers_are_banked) {
  GicFixture f;
  f.wr(gicr_sgi(1, kGicrIsenabler0), 0x00800001);
  f.wr(gicr_sgi(1, kGicrIpriorityr + 20), 0xA0A0A0A0);
  BOOST_CHECK_EQUAL(f.rd(gicr_sgi(1, kGicrIsenabler0)), 0x00800001u);
  BOOST_CHECK_EQUAL(f.rd(gicr_sgi(0, kGicrIsenabler0)), 0u);
  BOOST_CHECK_EQUAL(f.rd(gicr_sgi(2, kGicrIsenabler0)), 0u);
  BOOST_CHECK_EQUAL(f.rd(gicr_sgi(1, kGicrIpriorityr + 20)), 0xA0A0A0A0u);
  BOOST_CHECK_EQUAL(f.rd(gicr_sgi(0, kGicrIpriorityr + 20)), 0u);
}

// The set/clear register families, in the distributor (SPIs) and a redistributor (SGI/PPI).
BOOST_AUTO_TEST_CASE(set_clear_enable_pending_active) {
  struct Bank {
    uint64_t set_en, clr_en, set_pend, clr_pend, set_act, clr_act;
  };
  GicFixture f;
  const Bank banks[] = {
      {gicd(kGicdIsenabler + 4), gicd(kGicdIcenabler + 4), gicd(kGicdIspendr + 4), gicd(kGicdIcpendr + 4),
       gicd(kGicdIsactiver + 4), gicd(kGicdIcactiver + 4)},
      {gicr_sgi(3, kGicrIsenabler0), gicr_sgi(3, kGicrIcenabler0), gicr_sgi(3, kGicrIspendr0),
       gicr_sgi(3, kGicrIcpendr0), gicr_sgi(3, kGicrIsactiver0), gicr_sgi(3, kGicrIcactiver0)},
  };
  for (const Bank& b : banks) {
    BOOST_TEST_CONTEXT("bank at 0x" << std::hex << b.set_en) {
      // Enable: writes of 1 set, writes of 0 do nothing; both views read the same state.
      f.wr(b.set_en, 0x00000005);
      f.wr(b.set_en, 0x00000010);
      BOOST_CHECK_EQUAL(f.rd(b.set_en), 0x15u);
      BOOST_CHECK_EQUAL(f.rd(b.clr_en), 0x15u);
      f.wr(b.clr_en, 0x00000004);
      BOOST_CHECK_EQUAL(f.rd(b.set_en), 0x11u);
      // Pending.
      f.wr(b.set_pend, 0x80000002);
      BOOST_CHECK_EQUAL(f.rd(b.set_pend), 0x80000002u);
      BOOST_CHECK_EQUAL(f.rd(b.clr_pend), 0x80000002u);
      f.wr(b.clr_pend, 0x00000002);
      BOOST_CHECK_EQUAL(f.rd(b.set_pend), 0x80000000u);
      f.wr(b.clr_pend, 0xFFFFFFFF);
      BOOST_CHECK_EQUAL(f.rd(b.set_pend), 0u);
      // Active.
      f.wr(b.set_act, 0x00000300);
      BOOST_CHECK_EQUAL(f.rd(b.set_act), 0x300u);
      BOOST_CHECK_EQUAL(f.rd(b.clr_act), 0x300u);
      f.wr(b.clr_act, 0x00000100);
      BOOST_CHECK_EQUAL(f.rd(b.set_act), 0x200u);
    }
  }
}

BOOST_AUTO_TEST_CASE(irouter_keeps_aff2_to_aff0) {
  GicFixture f;
  const uint64_t irouter40 = gicd(kGicdIrouter + 8 * 40);
  f.wr(irouter40, 0x000000FF80030201ull, 8);  // Aff3 = 0xFF, IRM = 1: both RAZ/WI
  BOOST_CHECK_EQUAL(f.rd(irouter40, 8), 0x030201u);
  BOOST_CHECK_EQUAL(f.rd(irouter40), 0x030201u);
  BOOST_CHECK_EQUAL(f.rd(irouter40 + 4), 0u);
  f.wr(irouter40 + 4, 0xFF);                  // upper word: WI
  f.wr(irouter40, 0x00000002);                // lower word: Aff0
  BOOST_CHECK_EQUAL(f.rd(irouter40, 8), 0x2u);
  f.wr(irouter40 + 4, 1, 8);                  // misaligned doubleword: RAZ/WI
  BOOST_CHECK_EQUAL(f.rd(irouter40, 8), 0x2u);
}

BOOST_AUTO_TEST_SUITE_END()
