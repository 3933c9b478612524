// The ITS and LPIs of the vGICv3 (kvm_model/vgic/its.h, vgic_lpi.cpp), driven the way a
// guest's ITS driver drives them: tables and a command queue in guest memory, commands
// written to the queue and announced through GITS_CWRITER, LPIs taken through ICC_IAR1_EL1.
// Expected values are the architecture's (IHI 0069) and KVM 6.12's choices.
#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <cstring>
#include <vector>

#include "kvm_model/vgic/its.h"
#include "tests/unit/vgic/vgic_fixture.h"

namespace {

using namespace vgic_test;
using vg::Its;

// Guest memory: 1 MiB at 1 GiB, laid out as a guest ITS driver would.
constexpr uint64_t kRam = 0x40000000, kRamSize = 0x100000;
constexpr uint64_t kDevTable = kRam + 0x00000, kCollTable = kRam + 0x10000, kCmdq = kRam + 0x20000;
constexpr uint64_t kItt = kRam + 0x30000, kProp = kRam + 0x40000, kPend0 = kRam + 0x50000, kPend1 = kRam + 0x60000;
constexpr uint64_t kItsBase = 0x08080000;
constexpr uint64_t kGitsCtlr = 0x0000, kGitsIidr = 0x0004, kGitsTyper = 0x0008, kGitsCbaser = 0x0080;
constexpr uint64_t kGitsCwriter = 0x0088, kGitsCreadr = 0x0090, kGitsBaser = 0x0100, kGitsPidr2 = 0xFFE8;
constexpr uint64_t kGicrPendbaser = 0x0078, kGicrInvallr = 0x00B0, kGicrInvlpir = 0x00A0;
constexpr uint64_t kValid = 1ull << 63;
constexpr uint8_t kPropPrioA0Enabled = 0xa0 | 1;

struct ItsFixture : GicFixture {
  std::vector<uint8_t> ram = std::vector<uint8_t>(kRamSize, 0);
  Its its;
  uint64_t cwriter = 0;

  ItsFixture() : GicFixture(2, 64) {
    g.set_guest_memory([this](uint64_t gpa, void* buf, size_t len, bool is_write) {
      if (gpa < kRam || gpa - kRam > kRamSize || kRamSize - (gpa - kRam) < len) return false;
      if (buf == nullptr) return true;
      if (is_write) std::memcpy(&ram[gpa - kRam], buf, len);
      else std::memcpy(buf, &ram[gpa - kRam], len);
      return true;
    });
    its.set_base(kItsBase);
    g.enable_lpi_support();
  }
  uint64_t its_rd(uint64_t off, unsigned size = 8) { return its.mmio_read(kItsBase + off, size); }
  void its_wr(uint64_t off, uint64_t v, unsigned size = 8) { its.mmio_write(g, kItsBase + off, size, v); }
  uint8_t& mem(uint64_t gpa) { return ram.at(gpa - kRam); }
  uint64_t mem64(uint64_t gpa) {
    uint64_t v;
    std::memcpy(&v, &ram.at(gpa - kRam), 8);
    return v;
  }

  // Linux's its_init / gic_rdist_enable_lpis sequence, as the selftests' library does it:
  // 64 KiB flat tables, a 64 KiB queue, 16 INTID bits, then EnableLPIs and GITS_CTLR.Enable.
  void bring_up() {
    enable_all();
    for (unsigned v = 0; v < 2; ++v) {
      wr(gicr(v, kGicrPropbaser), kProp | (1ull << 10) | (7ull << 7) | 15, 8);
      wr(gicr(v, kGicrPendbaser), (v == 0 ? kPend0 : kPend1) | (1ull << 10) | (7ull << 7), 8);
      wr(gicr(v, kGicrCtlr), 1);
    }
    its_wr(kGitsBaser + 8, kCollTable | kValid | (2ull << 8));
    its_wr(kGitsBaser, kDevTable | kValid | (2ull << 8));
    its_wr(kGitsCbaser, kCmdq | kValid | 15);  // 16 pages of 4 KiB
    its_wr(kGitsCtlr, 1, 4);
  }
  // One command into the queue, then CWRITER; the ITS must have consumed it on return.
  void cmd(uint64_t d0, uint64_t d1 = 0, uint64_t d2 = 0, uint64_t d3 = 0) {
    const uint64_t words[4] = {d0, d1, d2, d3};
    std::memcpy(&ram[kCmdq - kRam + cwriter], words, sizeof words);
    cwriter = (cwriter + 32) % 0x10000;
    its_wr(kGitsCwriter, cwriter);
    BOOST_REQUIRE_EQUAL(its_rd(kGitsCreadr), cwriter);
  }
  void mapd(uint32_t dev, uint64_t itt, unsigned bits, bool valid = true) {
    cmd(0x08 | (uint64_t{dev} << 32), bits - 1, itt | (uint64_t{valid} << 63));
  }
  void mapc(uint32_t coll, uint64_t vcpu, bool valid = true) {
    cmd(0x09, 0, coll | (vcpu << 16) | (uint64_t{valid} << 63));
  }
  void mapti(uint32_t dev, uint32_t ev, uint32_t intid, uint32_t coll) {
    cmd(0x0a | (uint64_t{dev} << 32), ev | (uint64_t{intid} << 32), coll);
  }
  void devev(uint8_t op, uint32_t dev, uint32_t ev, uint32_t coll = 0) {
    cmd(op | (uint64_t{dev} << 32), ev, coll);
  }
  void invall(uint32_t coll) { cmd(0x0d, 0, coll); }
  unsigned ack(unsigned vcpu) { return static_cast<unsigned>(icc_rd(vcpu, kIAR1)); }
};

BOOST_AUTO_TEST_SUITE(its)

BOOST_FIXTURE_TEST_CASE(registers_at_reset_are_kvms, ItsFixture) {
  // GITS_TYPER: Physical, 8-byte ITT entries, 16 EventID bits, 16 DeviceID bits.
  BOOST_CHECK_EQUAL(its_rd(kGitsTyper), 0x1ull | (7u << 4) | (15u << 8) | (15u << 13));
  BOOST_CHECK_EQUAL(its_rd(kGitsTyper + 4, 4), 0u);
  BOOST_CHECK_EQUAL(its_rd(kGitsIidr, 4), 0x4B00043Bu);
  BOOST_CHECK_EQUAL(its_rd(kGitsPidr2, 4), 0x3Bu);
  BOOST_CHECK_EQUAL(its_rd(kGitsCtlr, 4), 1u << 31);  // disabled, quiescent
  // BASER0 the device table, BASER1 the collection table: 8-byte entries, 64 KiB pages,
  // inner RaWb, Inner Shareable; BASER2 RAZ.
  BOOST_CHECK_EQUAL(its_rd(kGitsBaser), (1ull << 56) | (7ull << 48) | (3ull << 59) | (1ull << 10) | (2ull << 8));
  BOOST_CHECK_EQUAL(its_rd(kGitsBaser + 8), (4ull << 56) | (7ull << 48) | (3ull << 59) | (1ull << 10) | (2ull << 8));
  BOOST_CHECK_EQUAL(its_rd(kGitsBaser + 16), 0u);
  // A 64-bit register is also readable as two 32-bit halves; a 2-byte access reads 0.
  BOOST_CHECK_EQUAL(its_rd(kGitsBaser + 4, 4), ((1ull << 56) | (7ull << 48) | (3ull << 59)) >> 32);
  BOOST_CHECK_EQUAL(its_rd(kGitsTyper, 2), 0u);
  // The vGIC shows LPIs once an ITS exists: GICD_TYPER.LPIS and 16 INTID bits, GICR_TYPER.PLPIS.
  BOOST_CHECK_EQUAL(rd(gicd(kGicdTyper)) & ((1u << 17) | (0x1fu << 19)), (1u << 17) | (15u << 19));
  BOOST_CHECK_EQUAL(rd(gicr(0, kGicrTyper), 8) & 1, 1u);
  Vgic plain(1, 64);
  uint64_t v = 0;
  plain.mmio_read(gicd(kGicdTyper), 4, v);
  BOOST_CHECK_EQUAL(v & ((1u << 17) | (0x1fu << 19)), 9u << 19);
  plain.mmio_write(gicr(0, kGicrCtlr), 4, 1);
  plain.mmio_read(gicr(0, kGicrCtlr), 4, v);
  BOOST_CHECK_EQUAL(v, 0u);  // no ITS: EnableLPIs RAZ/WI
}

BOOST_FIXTURE_TEST_CASE(enable_needs_valid_queue_and_tables, ItsFixture) {
  its_wr(kGitsCtlr, 1, 4);
  BOOST_CHECK_EQUAL(its_rd(kGitsCtlr, 4) & 1, 0u);  // nothing valid: ignored
  // The type and entry size are read-only, the page size is forced to 64 KiB, and the
  // collection table cannot be two-level.
  its_wr(kGitsBaser + 8, kCollTable | kValid | (1ull << 62) | (0x1full << 48) | (7ull << 56));
  BOOST_CHECK_EQUAL(its_rd(kGitsBaser + 8), kCollTable | kValid | (4ull << 56) | (7ull << 48) | (2ull << 8) | (3ull << 59));
  its_wr(kGitsBaser, kDevTable | kValid);
  its_wr(kGitsCtlr, 1, 4);
  BOOST_CHECK_EQUAL(its_rd(kGitsCtlr, 4) & 1, 0u);  // no valid CBASER yet
  // PA[15:12] cleared, inner non-cacheable made RaWb (KVM's sanitising).
  its_wr(kGitsCbaser, kCmdq | kValid | 0xf000 | 15);
  const uint64_t cbaser = kCmdq | kValid | (3ull << 59) | 15;
  BOOST_CHECK_EQUAL(its_rd(kGitsCbaser), cbaser);
  its_wr(kGitsCtlr, 1, 4);
  BOOST_CHECK_EQUAL(its_rd(kGitsCtlr, 4), 1u | (1u << 31));
  // Enabled: CBASER and BASER<n> are read-only.
  its_wr(kGitsCbaser, 0);
  its_wr(kGitsBaser, 0);
  BOOST_CHECK_EQUAL(its_rd(kGitsCbaser), cbaser);
  BOOST_CHECK_EQUAL(its_rd(kGitsBaser) & kValid, kValid);
  // CWRITER beyond the 64 KiB queue is ignored; an offset is 32-byte aligned.
  its_wr(kGitsCwriter, 0x10000);
  BOOST_CHECK_EQUAL(its_rd(kGitsCwriter), 0u);
}

BOOST_FIXTURE_TEST_CASE(msi_becomes_an_lpi_taken_through_iar1, ItsFixture) {
  mem(kProp + 5) = kPropPrioA0Enabled;  // INTID 8197
  bring_up();
  mapc(0, 1);
  mapd(7, kItt, 4);
  mapti(7, 3, 8197, 0);
  invall(0);
  BOOST_CHECK(!g.irq_pending(1));
  BOOST_CHECK_EQUAL(its.signal(g, 7, 3), 1);
  BOOST_CHECK(g.irq_pending(1));
  BOOST_CHECK(!g.irq_pending(0));
  BOOST_CHECK_EQUAL(icc_rd(1, kHPPIR1), 8197u);
  BOOST_CHECK_EQUAL(ack(1), 8197u);
  // No active state: the LPI is gone once acknowledged, the running priority is its own.
  BOOST_CHECK(!g.irq_pending(1));
  BOOST_CHECK_EQUAL(icc_rd(1, kRPR), 0xa0u);
  BOOST_CHECK(!g.lpi(8197)->irq.active);
  // A second MSI while it is being handled: pending again, but the same priority cannot
  // preempt itself; after the EOI it is taken again.
  BOOST_CHECK_EQUAL(its.signal(g, 7, 3), 1);
  BOOST_CHECK(!g.irq_pending(1));
  icc_wr(1, kEOIR1, 8197);
  BOOST_CHECK_EQUAL(icc_rd(1, kRPR), 0xffu);
  BOOST_CHECK(g.irq_pending(1));
  BOOST_CHECK_EQUAL(ack(1), 8197u);
  icc_wr(1, kEOIR1, 8197);
  BOOST_CHECK_EQUAL(ack(1), 1023u);
  // An unmapped event or device is dropped (KVM_SIGNAL_MSI's 0).
  BOOST_CHECK_EQUAL(its.signal(g, 7, 4), 0);
  BOOST_CHECK_EQUAL(its.signal(g, 8, 3), 0);
}

BOOST_FIXTURE_TEST_CASE(lpi_priority_orders_against_spis_and_pmr, ItsFixture) {
  mem(kProp + 0) = 0x40 | 1;
  mem(kProp + 1) = 0xe8 | 1;  // below the PMR of 0xF0? 0xe8 < 0xf0: signalled
  mem(kProp + 2) = 0xf8 | 1;  // at or above the PMR: never signalled
  bring_up();
  mapc(0, 0);
  mapd(1, kItt, 4);
  for (uint32_t ev = 0; ev < 3; ++ev) mapti(1, ev, 8192 + ev, 0);
  enable_irq(0, 40, 0x80);
  route_spi(40, 0);
  wr(gicd(kGicdIspendr + 4), 1u << 8);
  for (uint32_t ev = 0; ev < 3; ++ev) BOOST_CHECK_EQUAL(its.signal(g, 1, ev), 1);
  BOOST_CHECK_EQUAL(ack(0), 8192u);  // 0x40 beats the SPI's 0x80
  icc_wr(0, kEOIR1, 8192);
  BOOST_CHECK_EQUAL(ack(0), 40u);
  icc_wr(0, kEOIR1, 40);
  BOOST_CHECK_EQUAL(ack(0), 8193u);
  icc_wr(0, kEOIR1, 8193);
  BOOST_CHECK_EQUAL(ack(0), 1023u);  // 8194's 0xf8 is masked by the PMR
  BOOST_CHECK(g.lpi(8194)->irq.latch);
}

BOOST_FIXTURE_TEST_CASE(configuration_is_read_at_map_and_inv_only, ItsFixture) {
  mem(kProp + 9) = kPropPrioA0Enabled;
  bring_up();
  mapc(3, 0);
  mapd(2, kItt, 5);
  mapti(2, 17, 8201, 3);
  BOOST_CHECK_EQUAL(g.lpi(8201)->irq.priority, 0xa0);
  // Disabled in memory, but the cached copy still says enabled until INV.
  mem(kProp + 9) = 0x20;
  BOOST_CHECK_EQUAL(its.signal(g, 2, 17), 1);
  BOOST_CHECK(g.irq_pending(0));
  devev(0x0c, 2, 17);  // INV
  BOOST_CHECK(!g.irq_pending(0));
  BOOST_CHECK(g.lpi(8201)->irq.latch);  // still pending, now disabled
  mem(kProp + 9) = 0x30 | 1;
  invall(3);
  BOOST_CHECK(g.irq_pending(0));
  BOOST_CHECK_EQUAL(g.lpi(8201)->irq.priority, 0x30);
  // GICR_INVLPIR does the same for one INTID, GICR_INVALLR for the redistributor's LPIs.
  mem(kProp + 9) = 0;
  wr(gicr(0, kGicrInvlpir), 8201, 8);
  BOOST_CHECK(!g.irq_pending(0));
  mem(kProp + 9) = 0x50 | 1;
  wr(gicr(0, kGicrInvallr), 0, 8);
  BOOST_CHECK_EQUAL(g.lpi(8201)->irq.priority, 0x50);
  BOOST_CHECK(g.irq_pending(0));
}

BOOST_FIXTURE_TEST_CASE(command_errors_leave_no_translation, ItsFixture) {
  mem(kProp) = kPropPrioA0Enabled;
  bring_up();
  mapc(0, 0);
  mapti(5, 0, 8192, 0);                      // device not mapped
  BOOST_CHECK(g.lpi(8192) == nullptr);
  mapd(5, kItt, 17);                         // more EventID bits than GITS_TYPER has
  mapti(5, 0, 8192, 0);
  BOOST_CHECK(g.lpi(8192) == nullptr);
  mapd(5, kItt, 2);
  mapti(5, 4, 8192, 0);                      // EventID beyond the ITT's 2 bits
  mapti(5, 0, 8191, 0);                      // not an LPI
  mapti(5, 0, 1u << 16, 0);                  // beyond PROPBASER.IDbits (16 bits)
  BOOST_CHECK(g.lpi(8192) == nullptr && its.state().devices.at(5).ites.empty());
  mapd(0x10000, kItt, 2);                    // DeviceID beyond 16 bits
  BOOST_CHECK_EQUAL(its.state().devices.count(0x10000), 0u);
  mapc(1, 2);                                // no vCPU 2
  BOOST_CHECK_EQUAL(its.state().collections.count(1), 0u);
  // A translation through a collection that is not mapped exists but delivers nothing.
  mapti(5, 1, 8193, 9);
  BOOST_CHECK(g.lpi(8193) != nullptr);
  BOOST_CHECK_EQUAL(g.lpi(8193)->target, -1);
  BOOST_CHECK_EQUAL(its.signal(g, 5, 1), 0);
  mapc(9, 1);                                // mapping it retargets the LPI
  BOOST_CHECK_EQUAL(g.lpi(8193)->target, 1);
  BOOST_CHECK_EQUAL(its.signal(g, 5, 1), 1);
  // An unknown command number is skipped and the queue moves on.
  cmd(0x3f);
  // Disabled ITS, or LPIs disabled at the target: -EBUSY.
  wr(gicr(1, kGicrCtlr), 0);
  BOOST_CHECK(!g.lpi(8193)->irq.latch);      // disabling drops the pending LPIs
  BOOST_CHECK_EQUAL(its.signal(g, 5, 1), -EBUSY);
  its_wr(kGitsCtlr, 0, 4);
  BOOST_CHECK_EQUAL(its.signal(g, 5, 1), -EBUSY);
}

BOOST_FIXTURE_TEST_CASE(movi_movall_clear_discard_int_and_unmap, ItsFixture) {
  for (unsigned i = 0; i < 4; ++i) mem(kProp + i) = kPropPrioA0Enabled;
  bring_up();
  mapc(0, 0);
  mapc(1, 1);
  mapd(3, kItt, 4);
  mapti(3, 0, 8192, 0);
  mapti(3, 1, 8193, 0);
  cmd(0x01 | (3ull << 32), 0, 1);             // MOVI event 0 to collection 1
  BOOST_CHECK_EQUAL(g.lpi(8192)->target, 1);
  devev(0x03, 3, 0);                          // INT
  BOOST_CHECK(g.irq_pending(1));
  devev(0x04, 3, 0);                          // CLEAR
  BOOST_CHECK(!g.irq_pending(1));
  cmd(0x0e, 0, 0, 1ull << 16);                // MOVALL vCPU 0 -> vCPU 1
  BOOST_CHECK_EQUAL(g.lpi(8193)->target, 1);
  // DISCARD removes the translation and zeroes its ITT entry.
  std::memset(&mem(kItt + 8), 0xff, 8);
  devev(0x0f, 3, 1);
  BOOST_CHECK(g.lpi(8193) == nullptr);
  BOOST_CHECK_EQUAL(mem64(kItt + 8), 0u);
  BOOST_CHECK_EQUAL(its.signal(g, 3, 1), 0);
  // MAPC V=0: translations through it lose their collection for good.
  mapc(1, 0, false);
  BOOST_CHECK_EQUAL(its.signal(g, 3, 0), 0);
  mapc(1, 0);
  BOOST_CHECK_EQUAL(its.signal(g, 3, 0), 0);
  // MAPD V=0 drops the device and zeroes its device table entry.
  std::memset(&mem(kDevTable + 3 * 8), 0xff, 8);
  mapd(3, 0, 1, false);
  BOOST_CHECK_EQUAL(mem64(kDevTable + 3 * 8), 0u);
  BOOST_CHECK(g.lpi(8192) == nullptr);
  BOOST_CHECK(its.state().devices.empty());
}

BOOST_FIXTURE_TEST_CASE(pending_tables_are_read_at_map_and_enable_and_saved, ItsFixture) {
  for (unsigned i = 0; i < 16; ++i) mem(kProp + i) = kPropPrioA0Enabled;
  mem(kPend0 + 8192 / 8) = 0x04;              // INTID 8194 pending in vCPU 0's table
  bring_up();
  mapc(0, 0);
  mapd(1, kItt, 4);
  mapti(1, 2, 8194, 0);
  BOOST_CHECK(g.lpi(8194)->irq.latch);         // read at mapping ...
  BOOST_CHECK_EQUAL(mem(kPend0 + 8192 / 8), 0u);  // ... and consumed
  BOOST_CHECK_EQUAL(ack(0), 8194u);
  icc_wr(0, kEOIR1, 8194);
  // KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES writes the pending bits back.
  BOOST_CHECK_EQUAL(its.signal(g, 1, 2), 1);
  BOOST_CHECK_EQUAL(g.save_pending_tables(), 0);
  BOOST_CHECK_EQUAL(mem(kPend0 + 8192 / 8), 0x04);
  // Disable and re-enable LPIs: the pending table is read again (PTZ clear).
  wr(gicr(0, kGicrCtlr), 0);
  BOOST_CHECK(!g.lpi(8194)->irq.latch);
  wr(gicr(0, kGicrCtlr), 1);
  BOOST_CHECK(g.lpi(8194)->irq.latch);
  // With PTZ the table is not read.
  wr(gicr(0, kGicrCtlr), 0);
  wr(gicr(0, kGicrPendbaser), kPend0 | (1ull << 62), 8);
  BOOST_CHECK_EQUAL(rd(gicr(0, kGicrPendbaser), 8) & (1ull << 62), 0u);  // PTZ reads as 0
  wr(gicr(0, kGicrCtlr), 1);
  BOOST_CHECK(!g.lpi(8194)->irq.latch);
  // PROPBASER and PENDBASER are ignored while LPIs are enabled.
  wr(gicr(0, kGicrPendbaser), kPend1, 8);
  BOOST_CHECK_EQUAL(rd(gicr(0, kGicrPendbaser), 8) & 0x000ffffffffff000ull, kPend0);
}

BOOST_FIXTURE_TEST_CASE(queue_wraps_and_bogus_queue_is_skipped, ItsFixture) {
  mem(kProp) = kPropPrioA0Enabled;
  bring_up();
  // Fill the 64 KiB queue once round: CREADR follows CWRITER through the wrap.
  for (unsigned i = 0; i < 0x10000 / 32 + 3; ++i) cmd(0x05);  // SYNC
  BOOST_CHECK_EQUAL(its_rd(kGitsCreadr), 3u * 32);
  // A queue outside guest memory: every command is skipped, CREADR still advances.
  its_wr(kGitsCtlr, 0, 4);
  its_wr(kGitsCbaser, 0x7000000000ull | kValid);
  its_wr(kGitsCtlr, 1, 4);
  its_wr(kGitsCwriter, 64);
  BOOST_CHECK_EQUAL(its_rd(kGitsCreadr), 64u);
}

BOOST_FIXTURE_TEST_CASE(user_register_access_and_reset, ItsFixture) {
  uint64_t v = 0;
  BOOST_CHECK_EQUAL(Its::user_reg_check(0x0c), -EINVAL);   // 64-bit TYPER upper half
  BOOST_CHECK_EQUAL(Its::user_reg_check(0x0a), -EINVAL);
  BOOST_CHECK_EQUAL(Its::user_reg_check(0x20), -ENXIO);
  BOOST_CHECK_EQUAL(Its::user_reg_check(0x0004), 0);
  BOOST_CHECK_EQUAL(its.user_read(kGitsIidr, v), 0);
  BOOST_CHECK_EQUAL(v, 0x4B00043Bu);
  BOOST_CHECK_EQUAL(its.user_write(&g, kGitsIidr, 1u << 12), -EINVAL);  // ABI revision 1 unknown
  BOOST_CHECK_EQUAL(its.user_write(&g, kGitsIidr, 0x4B00043B), 0);
  bring_up();
  BOOST_CHECK_EQUAL(its.user_write(&g, kGitsCreadr, 0x40), -EBUSY);  // enabled
  its_wr(kGitsCtlr, 0, 4);
  BOOST_CHECK_EQUAL(its.user_write(&g, kGitsCreadr, 0x10000), -EINVAL);  // beyond the queue
  BOOST_CHECK_EQUAL(its.user_write(&g, kGitsCreadr, 0x40), 0);
  BOOST_CHECK_EQUAL(its.user_read(kGitsCreadr, v), 0);
  BOOST_CHECK_EQUAL(v, 0x40u);
  BOOST_CHECK_EQUAL(its.user_write(&g, kGitsCreadr, 0), 0);
  its_wr(kGitsCtlr, 1, 4);
  // CTRL_RESET: disabled, queue registers zero, Valid bits gone, other BASER fields kept.
  mapc(0, 0);
  its.reset(&g);
  BOOST_CHECK_EQUAL(its_rd(kGitsCbaser), 0u);
  BOOST_CHECK_EQUAL(its_rd(kGitsBaser) & kValid, 0u);
  BOOST_CHECK_EQUAL(its_rd(kGitsBaser) & 0x0000fffffffff000ull, kDevTable);
  BOOST_CHECK(its.state().collections.empty());
  Its unset;
  BOOST_CHECK_EQUAL(unset.user_read(kGitsCtlr, v), -ENXIO);  // no frame address yet
}

BOOST_FIXTURE_TEST_CASE(save_and_restore_tables_round_trip, ItsFixture) {
  for (unsigned i = 0; i < 64; ++i) mem(kProp + i) = kPropPrioA0Enabled;
  bring_up();
  mapc(0, 0);
  mapc(5, 1);
  mapd(2, kItt, 4);
  mapd(9, kItt + 0x1000, 8);
  mapti(2, 1, 8192, 0);
  mapti(2, 6, 8200, 5);
  mapti(9, 200, 8250, 5);
  BOOST_REQUIRE_EQUAL(its.save_tables(g), 0);
  // The documented ABI revision 0 layout.
  BOOST_CHECK_EQUAL(mem64(kDevTable + 2 * 8), kValid | (7ull << 49) | ((kItt >> 8) << 5) | 3);
  BOOST_CHECK_EQUAL(mem64(kDevTable + 9 * 8), kValid | (((kItt + 0x1000) >> 8) << 5) | 7);
  BOOST_CHECK_EQUAL(mem64(kItt + 1 * 8), (5ull << 48) | (8192ull << 16) | 0);
  BOOST_CHECK_EQUAL(mem64(kItt + 6 * 8), (8200ull << 16) | 5);
  BOOST_CHECK_EQUAL(mem64(kCollTable + 0), kValid | 0);
  BOOST_CHECK_EQUAL(mem64(kCollTable + 8), kValid | (1ull << 16) | 5);
  BOOST_CHECK_EQUAL(mem64(kCollTable + 16), 0u);
  const vg::ItsState saved = its.state();
  // A fresh ITS over a fresh vGIC with the same tables: the same translations.
  Vgic g2(2, 64);
  g2.set_guest_memory([this](uint64_t gpa, void* buf, size_t len, bool is_write) {
    if (gpa < kRam || gpa - kRam > kRamSize || kRamSize - (gpa - kRam) < len) return false;
    if (buf == nullptr) return true;
    if (is_write) std::memcpy(&ram[gpa - kRam], buf, len);
    else std::memcpy(buf, &ram[gpa - kRam], len);
    return true;
  });
  g2.enable_lpi_support();
  uint64_t v = 0;
  // The redistributors' tables first, as a VMM restores them (an LPI's pending bit is read
  // from its target's pending table when it is mapped).
  g.mmio_read(gicr(0, kGicrPropbaser), 8, v);
  g2.mmio_write(gicr(0, kGicrPropbaser), 8, v);
  for (unsigned c = 0; c < 2; ++c) {
    g.mmio_read(gicr(c, kGicrPendbaser), 8, v);
    g2.mmio_write(gicr(c, kGicrPendbaser), 8, v);
  }
  Its its2;
  its2.set_base(kItsBase);
  BOOST_REQUIRE_EQUAL(its2.user_write(&g2, kGitsBaser, its.mmio_read(kItsBase + kGitsBaser, 8)), 0);
  BOOST_REQUIRE_EQUAL(its2.user_write(&g2, kGitsBaser + 8, its.mmio_read(kItsBase + kGitsBaser + 8, 8)), 0);
  BOOST_REQUIRE_EQUAL(its2.restore_tables(g2), 0);
  BOOST_CHECK(its2.state().collections == saved.collections);
  BOOST_REQUIRE_EQUAL(its2.state().devices.size(), 2u);
  for (const auto& [devid, dev] : saved.devices) {
    const auto& got = its2.state().devices.at(devid);
    BOOST_CHECK_EQUAL(got.itt_addr, dev.itt_addr);
    BOOST_CHECK_EQUAL(got.eventid_bits, dev.eventid_bits);
    BOOST_REQUIRE_EQUAL(got.ites.size(), dev.ites.size());
    for (const auto& [ev, ite] : dev.ites) {
      BOOST_CHECK_EQUAL(got.ites.at(ev).lpi, ite.lpi);
      BOOST_CHECK_EQUAL(got.ites.at(ev).collection, ite.collection);
    }
  }
  BOOST_REQUIRE(g2.lpi(8250) != nullptr);
  BOOST_CHECK_EQUAL(g2.lpi(8250)->target, 1);
  // Restoring over existing collections is -EEXIST; a corrupt ITE (pINTID below 8192)
  // is -EINVAL and leaves nothing behind.
  BOOST_CHECK_EQUAL(its2.restore_tables(g2), -EEXIST);
  Its its3;
  its3.set_base(kItsBase);
  its3.user_write(&g2, kGitsBaser, its.mmio_read(kItsBase + kGitsBaser, 8));
  its3.user_write(&g2, kGitsBaser + 8, its.mmio_read(kItsBase + kGitsBaser + 8, 8));
  const uint64_t bad = (100ull << 16) | 5;
  std::memcpy(&mem(kItt + 6 * 8), &bad, 8);
  BOOST_CHECK_EQUAL(its3.restore_tables(g2), -EINVAL);
  BOOST_CHECK(its3.state().devices.empty() && its3.state().collections.empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
