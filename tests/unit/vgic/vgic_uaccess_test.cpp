// The VMM's register view (Vgic::user_*: the KVM_DEV_ARM_VGIC_GRP_* save/restore groups) and
// the redistributor assignment in vCPU creation order with KVM's GICR_TYPER.Last rule. The
// expected Last bits are the ones Linux 6.12's vgic_init selftest checks on real KVM.
#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <stdexcept>
#include <vector>

#include "tests/unit/vgic/vgic_fixture.h"

using namespace vgic_test;
using UF = Vgic::UserFrame;

namespace {

constexpr uint64_t kNone = ~uint64_t{0};

uint32_t user_rd(Vgic& g, UF f, unsigned vcpu, uint32_t off) {
  uint32_t v = 0xdeadbeef;
  BOOST_REQUIRE_EQUAL(g.user_read(f, vcpu, off, v), 0);
  return v;
}

// GICR_TYPER[31:0] as the vgic_init selftest compares it: processor number, Last.
uint32_t typer_lo(Vgic& g, unsigned vcpu) { return user_rd(g, UF::kRedist, vcpu, 0x0008); }

}  // namespace

BOOST_AUTO_TEST_SUITE(vgic_uaccess)

BOOST_AUTO_TEST_CASE(redistributors_follow_creation_order_across_regions) {
  // vgic_init's test_v3_last_bit_redist_regions: ids created 0,3,5,4,1,2; regions of two
  // frames at 0x100000, 0x240000, 0x200000 (the last two contiguous).
  Vgic g(6, 64);
  g.set_vcpu_order({0, 3, 5, 4, 1, 2});
  g.set_layout(0x0, {{0x100000, 2}, {0x240000, 2}, {0x200000, 2}});
  BOOST_CHECK_EQUAL(g.redist_base(0), 0x100000u);
  BOOST_CHECK_EQUAL(g.redist_base(3), 0x120000u);
  BOOST_CHECK_EQUAL(g.redist_base(5), 0x240000u);
  BOOST_CHECK_EQUAL(g.redist_base(4), 0x260000u);
  BOOST_CHECK_EQUAL(g.redist_base(1), 0x200000u);
  BOOST_CHECK_EQUAL(g.redist_base(2), 0x220000u);
  const uint32_t want[6] = {0x000, 0x100, 0x200, 0x310, 0x410, 0x500};
  for (unsigned v = 0; v < 6; ++v) BOOST_TEST(typer_lo(g, v) == want[v], "vCPU " << v);
  // The guest reads the same GICR_TYPER through the frame the layout gives it.
  uint64_t t = 0;
  BOOST_REQUIRE(g.mmio_read(0x260000 + 0x8, 8, t));
  BOOST_CHECK_EQUAL(t, (uint64_t{4} << 32) | 0x410);
}

BOOST_AUTO_TEST_CASE(full_region_is_not_last_when_a_contiguous_region_holds_frames) {
  Vgic g(4, 64);
  g.set_layout(0x0, {{0x100000, 2}, {0x140000, 2}});
  BOOST_CHECK_EQUAL(typer_lo(g, 1), 0x100u);   // region 0 continues into region 1
  BOOST_CHECK_EQUAL(typer_lo(g, 3), 0x310u);
  Vgic h(2, 64);
  h.set_layout(0x0, {{0x100000, 2}, {0x140000, 2}});
  BOOST_CHECK_EQUAL(typer_lo(h, 1), 0x110u);   // region 1 holds nothing
}

BOOST_AUTO_TEST_CASE(vcpus_beyond_the_regions_have_no_redistributor) {
  // test_v3_typer_accesses: ids created 0,3,1,2; one region of two frames.
  Vgic g(4, 64);
  g.set_vcpu_order({0, 3, 1, 2});
  g.set_layout(0x0, {});
  for (unsigned v = 0; v < 4; ++v) BOOST_TEST(typer_lo(g, v) == v * 0x100, "no region: no Last, vCPU " << v);
  g.set_layout(0x800000, {{0x200000, 2}});
  BOOST_CHECK_EQUAL(typer_lo(g, 0), 0x0u);
  BOOST_CHECK_EQUAL(typer_lo(g, 3), 0x310u);
  BOOST_CHECK_EQUAL(typer_lo(g, 1), 0x100u);
  BOOST_CHECK_EQUAL(g.redist_base(1), kNone);
  BOOST_CHECK(!g.owns(0x0));  // a vCPU with no frame claims no address
  BOOST_CHECK(!g.owns(0x1fffe));
  g.set_layout(0x0, {{0x200000, 2}, {0x20000, 10}});
  BOOST_CHECK_EQUAL(typer_lo(g, 1), 0x100u);
  BOOST_CHECK_EQUAL(typer_lo(g, 2), 0x210u);
  BOOST_CHECK_EQUAL(g.redist_base(2), 0x40000u);
}

BOOST_AUTO_TEST_CASE(legacy_region_marks_the_last_created_vcpu) {
  Vgic g(6, 64);
  g.set_vcpu_order({0, 3, 5, 4, 1, 2});
  g.set_layout(0x0, {{0x10000, 0}});
  BOOST_CHECK_EQUAL(typer_lo(g, 2), 0x210u);
  BOOST_CHECK_EQUAL(typer_lo(g, 4), 0x400u);
  BOOST_CHECK_EQUAL(g.redist_base(1), 0x10000u + 4 * vg::kRedistStride);
}

BOOST_AUTO_TEST_CASE(sparse_ids_and_bad_orders) {
  Vgic g(4, 64);
  BOOST_CHECK_THROW(g.set_vcpu_order({0, 4}), std::invalid_argument);
  BOOST_CHECK_THROW(g.set_vcpu_order({1, 1}), std::invalid_argument);
  g.set_vcpu_order({3, 0});  // ids 1 and 2 were never created
  BOOST_CHECK_EQUAL(g.redist_base(3), vg::kRedistBase);
  BOOST_CHECK_EQUAL(g.redist_base(0), vg::kRedistBase + vg::kRedistStride);
  BOOST_CHECK_EQUAL(g.redist_base(1), kNone);
  BOOST_CHECK_EQUAL(typer_lo(g, 0), 0x010u);
}

BOOST_AUTO_TEST_CASE(which_offsets_have_registers) {
  // KVM's tables, not the guest view's: GICD_NSACR and GICD_SGIR are absent, GICR_INVLPIR
  // and GICR_SYNCR present; per-INTID arrays end at the configured interrupt count.
  BOOST_CHECK(Vgic::user_reg_exists(UF::kDist, 0x0000, 64));
  BOOST_CHECK(Vgic::user_reg_exists(UF::kDist, 0x000C, 64));   // GICD_TYPER2
  BOOST_CHECK(!Vgic::user_reg_exists(UF::kDist, 0x0E00, 64));  // GICD_NSACR
  BOOST_CHECK(!Vgic::user_reg_exists(UF::kDist, 0x0F00, 64));  // GICD_SGIR
  BOOST_CHECK(!Vgic::user_reg_exists(UF::kDist, 0x0002, 64));  // misaligned
  BOOST_CHECK(Vgic::user_reg_exists(UF::kDist, 0x0104, 64));   // ISENABLER1: INTIDs 32..63
  BOOST_CHECK(!Vgic::user_reg_exists(UF::kDist, 0x0108, 64));  // INTIDs 64..95 of 64
  BOOST_CHECK(Vgic::user_reg_exists(UF::kDist, 0x0108, 96));
  BOOST_CHECK(Vgic::user_reg_exists(UF::kDist, 0x6000 + 8 * 63 + 4, 64));   // IROUTER63 high
  BOOST_CHECK(!Vgic::user_reg_exists(UF::kDist, 0x6000 + 8 * 64, 64));
  BOOST_CHECK(Vgic::user_reg_exists(UF::kRedist, 0x00A0, 64));   // GICR_INVLPIR
  BOOST_CHECK(Vgic::user_reg_exists(UF::kRedist, 0x000C, 64));   // GICR_TYPER high word
  BOOST_CHECK(Vgic::user_reg_exists(UF::kRedist, 0x1041C, 64));  // GICR_IPRIORITYR7
  BOOST_CHECK(!Vgic::user_reg_exists(UF::kRedist, 0x10420, 64));
  BOOST_CHECK(!Vgic::user_reg_exists(UF::kRedist, 0x10F00, 64));
  // An offset with no register reads 0 and ignores writes.
  GicFixture f(2);
  BOOST_CHECK_EQUAL(user_rd(f.g, UF::kDist, 0, 0x0E00), 0u);
  BOOST_CHECK_EQUAL(f.g.user_write(UF::kDist, 0, 0x0108, 0xffffffff), 0);
  BOOST_CHECK_THROW(f.g.user_write(UF::kRedist, 2, 0x0014, 0), std::out_of_range);
}

BOOST_AUTO_TEST_CASE(pending_is_the_latch_and_icpendr_is_raz_wi) {
  GicFixture f(2);
  f.g.set_irq_level(0, 40, true);  // level-sensitive SPI, line high: pending without a latch
  BOOST_CHECK(f.spi_bit(kGicdIspendr, 40));
  BOOST_CHECK_EQUAL(user_rd(f.g, UF::kDist, 0, kGicdIspendr + 4), 0u);
  BOOST_CHECK_EQUAL(user_rd(f.g, UF::kDist, 0, kGicdIcpendr + 4), 0u);
  // A restore writes the latches exactly: set bits latch, zero bits clear.
  BOOST_CHECK_EQUAL(f.g.user_write(UF::kDist, 0, kGicdIspendr + 4, 1u << (41 - 32)), 0);
  BOOST_CHECK_EQUAL(user_rd(f.g, UF::kDist, 0, kGicdIspendr + 4), 1u << (41 - 32));
  BOOST_CHECK_EQUAL(f.g.user_write(UF::kDist, 0, kGicdIcpendr + 4, 0xffffffff), 0);  // WI
  BOOST_CHECK(f.spi_bit(kGicdIspendr, 41));
  BOOST_CHECK_EQUAL(f.g.user_write(UF::kDist, 0, kGicdIspendr + 4, 0), 0);
  BOOST_CHECK(!f.spi_bit(kGicdIspendr, 41));
  BOOST_CHECK(f.spi_bit(kGicdIspendr, 40));  // the line still holds 40 pending
  // The redistributor's SGIs/PPIs the same way.
  BOOST_CHECK_EQUAL(f.g.user_write(UF::kRedist, 1, 0x10200, 0x0001'0002), 0);
  BOOST_CHECK_EQUAL(user_rd(f.g, UF::kRedist, 1, 0x10200), 0x0001'0002u);
  BOOST_CHECK(f.priv_bit(1, kGicrIspendr0, 1));
  BOOST_CHECK(!f.priv_bit(0, kGicrIspendr0, 1));
}

BOOST_AUTO_TEST_CASE(identification_registers_accept_only_their_own_value) {
  GicFixture f(1);
  const uint32_t iidr = user_rd(f.g, UF::kDist, 0, kGicdIidr);
  BOOST_CHECK_EQUAL(iidr, vg::kIidr);
  BOOST_CHECK_EQUAL(f.g.user_write(UF::kDist, 0, kGicdIidr, iidr), 0);
  BOOST_CHECK_EQUAL(f.g.user_write(UF::kDist, 0, kGicdIidr, iidr ^ (1u << 12)), -EINVAL);
  BOOST_CHECK_EQUAL(f.g.user_write(UF::kDist, 0, kGicdIidr, iidr ^ 1), -EINVAL);
  BOOST_CHECK_EQUAL(f.g.user_write(UF::kDist, 0, 0x000C, 0), 0);
  BOOST_CHECK_EQUAL(f.g.user_write(UF::kDist, 0, 0x000C, 1), -EINVAL);
  // GICR_TYPER ignores writes.
  const uint32_t t = user_rd(f.g, UF::kRedist, 0, 0x0008);
  BOOST_CHECK_EQUAL(f.g.user_write(UF::kRedist, 0, 0x0008, ~t), 0);
  BOOST_CHECK_EQUAL(user_rd(f.g, UF::kRedist, 0, 0x0008), t);
}

BOOST_AUTO_TEST_CASE(cpu_sysregs_by_encoding) {
  GicFixture f(2);
  uint64_t v = 0;
  BOOST_CHECK(Vgic::user_sysreg_exists(kPMR));
  BOOST_CHECK(Vgic::user_sysreg_exists(kAP1R3));   // listed, but holds no state here
  BOOST_CHECK(!Vgic::user_sysreg_exists(kIAR1));   // not saved state
  BOOST_CHECK(!Vgic::user_sysreg_exists(kRPR));
  BOOST_CHECK_EQUAL(f.g.user_sysreg_read(0, kIAR1, v), -ENOENT);
  BOOST_CHECK_EQUAL(f.g.user_sysreg_write(0, kIAR1, 0), -ENOENT);
  BOOST_CHECK_EQUAL(f.g.user_sysreg_read(0, kAP1R1, v), -EINVAL);
  BOOST_CHECK_EQUAL(f.g.user_sysreg_write(0, kAP0R1, 0), -EINVAL);
  BOOST_CHECK_EQUAL(f.g.user_sysreg_write(1, kPMR, 0xF7), 0);
  BOOST_CHECK_EQUAL(f.g.user_sysreg_read(1, kPMR, v), 0);
  BOOST_CHECK_EQUAL(v, 0xF0u);
  BOOST_CHECK_EQUAL(f.icc_rd(1, kPMR), 0xF0u);
  BOOST_CHECK_EQUAL(f.icc_rd(0, kPMR), 0u);
  BOOST_CHECK_EQUAL(f.g.user_sysreg_write(1, kAP1R0, 0x10), 0);
  BOOST_CHECK_EQUAL(f.icc_rd(1, kRPR), 4u << 3);
  BOOST_CHECK_EQUAL(f.g.user_sysreg_read(1, kSRE, v), 0);
  BOOST_CHECK_EQUAL(v, 7u);
  BOOST_CHECK_EQUAL(f.g.user_sysreg_write(1, kSRE, 6), -EINVAL);
  BOOST_CHECK_EQUAL(f.g.user_sysreg_write(1, kSRE, 7), 0);
  // ICC_CTLR_EL1: the saved CPU interface must not need more than this one has.
  BOOST_CHECK_EQUAL(f.g.user_sysreg_read(1, kCTLR, v), 0);
  BOOST_CHECK_EQUAL(v, uint64_t{4} << 8);
  BOOST_CHECK_EQUAL(f.g.user_sysreg_write(1, kCTLR, (uint64_t{5} << 8) | 2), -EINVAL);  // 6 priority bits
  BOOST_CHECK_EQUAL(f.g.user_sysreg_write(1, kCTLR, (uint64_t{4} << 8) | (1u << 11)), -EINVAL);  // 24-bit INTIDs
  BOOST_CHECK_EQUAL(f.g.user_sysreg_write(1, kCTLR, (uint64_t{4} << 8) | (1u << 15)), -EINVAL);  // A3V
  BOOST_CHECK_EQUAL(f.g.user_sysreg_write(1, kCTLR, (uint64_t{4} << 8) | (1u << 14)), -EINVAL);  // SEIS
  BOOST_CHECK_EQUAL(f.g.user_sysreg_write(1, kCTLR, (uint64_t{4} << 8) | 2), 0);
  BOOST_CHECK_EQUAL(f.icc_rd(1, kCTLR), (uint64_t{4} << 8) | 2);
  // Group 0 state: accepted, holds nothing.
  BOOST_CHECK_EQUAL(f.g.user_sysreg_write(1, kIGRPEN0, 1), 0);
  BOOST_CHECK_EQUAL(f.g.user_sysreg_read(1, kIGRPEN0, v), 0);
  BOOST_CHECK_EQUAL(v, 0u);
}

BOOST_AUTO_TEST_CASE(line_levels_of_level_sensitive_interrupts) {
  GicFixture f(2);
  uint32_t bits = 0;
  f.g.set_irq_level(1, 27, true);  // vCPU 1's virtual timer PPI
  f.g.set_irq_level(0, 33, true);
  f.wr(gicd(kGicdIcfgr + 8), 2u << 2);  // INTID 33..: make 33 edge-triggered
  f.g.set_irq_level(0, 34, true);
  BOOST_CHECK_EQUAL(f.g.user_line_levels(1, 0, bits), 0);
  BOOST_CHECK_EQUAL(bits, 1u << 27);
  BOOST_CHECK_EQUAL(f.g.user_line_levels(0, 0, bits), 0);
  BOOST_CHECK_EQUAL(bits, 0u);
  BOOST_CHECK_EQUAL(f.g.user_line_levels(0, 32, bits), 0);
  BOOST_CHECK_EQUAL(bits, 1u << 2);  // 33 is edge: not reported
  BOOST_CHECK_EQUAL(f.g.user_line_levels(0, 16, bits), -EINVAL);
  BOOST_CHECK_EQUAL(f.g.user_set_line_levels(0, 8, 1), -EINVAL);
  // A write sets lines without latching; SGIs and INTIDs beyond the count are ignored.
  BOOST_CHECK_EQUAL(f.g.user_set_line_levels(0, 0, 0xffffffff), 0);
  BOOST_CHECK_EQUAL(f.g.user_line_levels(0, 0, bits), 0);
  BOOST_CHECK_EQUAL(bits, 0xffff0000u);
  BOOST_CHECK_EQUAL(user_rd(f.g, UF::kRedist, 0, 0x10200), 0u);  // no latch
  BOOST_CHECK(f.priv_bit(0, kGicrIspendr0, 20));                 // pending through the line
  BOOST_CHECK_EQUAL(f.g.user_set_line_levels(0, 64, 1), 0);
}

BOOST_AUTO_TEST_CASE(save_and_restore_through_the_groups_reproduces_the_state) {
  // Every register of the groups read from one vGIC and written to a fresh one gives the
  // same guest-visible state (an acknowledged SPI, a pending SGI, a level PPI, routing,
  // configuration, CPU interfaces).
  GicFixture a(2, 96);
  a.enable_all();
  a.enable_irq(1, 27, 0x80);
  a.enable_irq(0, 50, 0x40);
  a.route_spi(50, 1);
  a.wr(gicd(kGicdIcfgr + 12), 2u << 4);  // INTID 50 edge-triggered
  a.g.set_irq_level(0, 50, true);
  a.g.set_irq_level(1, 27, true);
  a.icc_wr(1, kBPR1, 4);
  BOOST_REQUIRE_EQUAL(a.icc_rd(1, kIAR1), 50u);
  a.icc_wr(0, kSGI1R, sgi1r(3, 0b10));
  GicFixture b(2, 96);
  std::vector<uint32_t> dist(0x10000 / 4), rd0(0x20000 / 4), rd1(0x20000 / 4);
  for (uint32_t off = 0; off < 0x10000; off += 4) dist[off / 4] = user_rd(a.g, UF::kDist, 0, off);
  for (uint32_t off = 0; off < 0x20000; off += 4) {
    rd0[off / 4] = user_rd(a.g, UF::kRedist, 0, off);
    rd1[off / 4] = user_rd(a.g, UF::kRedist, 1, off);
  }
  // As a VMM restores: each set/clear pair through its clear register (the complement) and
  // then its set register; everything else as read.
  auto restore = [&b](UF f, unsigned vcpu, const std::vector<uint32_t>& img, uint32_t base) {
    for (uint32_t off = 0; off < img.size() * 4; off += 4) {
      const uint32_t o = off - base;  // offset inside the frame holding the per-INTID arrays
      const bool set_reg = (o >= 0x100 && o < 0x180) || (o >= 0x300 && o < 0x380);
      const bool clear_reg = (o >= 0x180 && o < 0x200) || (o >= 0x380 && o < 0x400);
      if (clear_reg) continue;
      if (set_reg) BOOST_REQUIRE_EQUAL(b.g.user_write(f, vcpu, off + 0x80, ~img[off / 4]), 0);
      BOOST_REQUIRE_EQUAL(b.g.user_write(f, vcpu, off, img[off / 4]), 0);
    }
  };
  b.wr(gicd(kGicdIsenabler + 4), 0xffffffff);  // state a restore must clear
  restore(UF::kDist, 0, dist, 0);
  restore(UF::kRedist, 0, rd0, 0x10000);
  restore(UF::kRedist, 1, rd1, 0x10000);
  for (unsigned v = 0; v < 2; ++v) {
    for (unsigned first = 0; first < 96; first += 32) {
      uint32_t bits = 0;
      BOOST_REQUIRE_EQUAL(a.g.user_line_levels(v, first, bits), 0);
      BOOST_REQUIRE_EQUAL(b.g.user_set_line_levels(v, first, bits), 0);
    }
    for (arch::SysRegKey k : {kBPR1, kCTLR, kBPR0, kPMR, kAP1R0, kIGRPEN1}) {
      uint64_t x = 0;
      BOOST_REQUIRE_EQUAL(a.g.user_sysreg_read(v, k, x), 0);
      BOOST_REQUIRE_EQUAL(b.g.user_sysreg_write(v, k, x), 0);
    }
  }
  // Guest-visible comparison: every distributor and redistributor register, the CPU
  // interface registers and the interrupt outputs.
  for (uint64_t off = 0; off < 0x10000; off += 4) BOOST_TEST(a.rd(gicd(off)) == b.rd(gicd(off)), "GICD+" << off);
  for (unsigned v = 0; v < 2; ++v) {
    for (uint64_t off = 0; off < 0x20000; off += 4) BOOST_TEST(a.rd(gicr(v, off)) == b.rd(gicr(v, off)), "GICR" << v << "+" << off);
    for (arch::SysRegKey k : {kPMR, kBPR0, kBPR1, kCTLR, kAP1R0, kIGRPEN1, kRPR, kHPPIR1})
      BOOST_TEST(a.icc_rd(v, k) == b.icc_rd(v, k));
    BOOST_TEST(a.g.irq_pending(v) == b.g.irq_pending(v));
  }
  BOOST_CHECK(b.priv_bit(1, kGicrIspendr0, 3));
  BOOST_CHECK(b.spi_bit(kGicdIsactiver, 50));
  BOOST_CHECK_EQUAL(b.icc_rd(1, kHPPIR1), 27u);  // the line of the PPI came across
  BOOST_CHECK_EQUAL(b.icc_rd(1, kIAR1), 1023u);  // but 50 is still active at a higher priority
}

BOOST_AUTO_TEST_SUITE_END()
