// MDCR_EL2.HPMN/HPME/HLP: the event counters split between EL2 and the levels below it
// (Arm ARM D13.3, "Partitioning the event counters"; the model's choices in pmu/pmu.h).
#include <stdexcept>

#include "tests/unit/pmu/pmu_test_util.h"

using namespace pmu_test;

namespace {
constexpr uint8_t kEl2 = 2;

// N = 6 split at HPMN = 4: counters 0-3 for EL1/EL0, 4-5 for EL2.
pmu::Pmu split_pmu(uint32_t hpmn = 4, bool hpme = false) {
  pmu::Pmu p(config(6, pmu::pmuver::kV3p5));
  p.set_mdcr_el2({hpmn, hpme, false});
  return p;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(hpmn)

BOOST_AUTO_TEST_CASE(pmcr_n_reads_hpmn_below_el2_and_n_at_el2) {
  pmu::Pmu p = split_pmu();
  BOOST_TEST(pmu::pmcr::N(rd(p, kPMCR, kEl1)) == 4u);
  wr(p, kPMUSERENR, kEN);
  BOOST_TEST(pmu::pmcr::N(rd(p, kPMCR, kEl0)) == 4u);
  BOOST_TEST(pmu::pmcr::N(rd(p, kPMCR, kEl2)) == 6u);
  // Other fields are the same at every level.
  BOOST_TEST((rd(p, kPMCR, kEl1) & ~(0x1full << 11)) == (rd(p, kPMCR, kEl2) & ~(0x1full << 11)));
}

BOOST_AUTO_TEST_CASE(counters_at_or_above_hpmn_are_undefined_below_el2) {
  pmu::Pmu p = split_pmu();
  for (unsigned n = 0; n < 6; ++n) {
    BOOST_TEST(read_ok(p, pmevcntr(n), kEl1) == (n < 4));
    BOOST_TEST(write_ok(p, pmevtyper(n), kEl1, 0x11) == (n < 4));
    BOOST_TEST(read_ok(p, pmevcntr(n), kEl2));
    BOOST_TEST(write_ok(p, pmevtyper(n), kEl2, 0x11));
  }
  // Through PMSELR: SEL 4 is EL2's, SEL 31 (PMXEVTYPER = PMCCFILTR) stays accessible.
  wr(p, kPMSELR, 4);
  BOOST_TEST(!read_ok(p, kPMXEVCNTR, kEl1));
  BOOST_TEST(!write_ok(p, kPMXEVTYPER, kEl1, 0));
  BOOST_TEST(read_ok(p, kPMXEVCNTR, kEl2));
  wr(p, kPMSELR, 31);
  BOOST_TEST(read_ok(p, kPMXEVTYPER, kEl1));
}

BOOST_AUTO_TEST_CASE(bitmaps_hide_el2_counters_below_el2) {
  pmu::Pmu p = split_pmu();
  wr(p, kPMCNTENSET, 0x30 | kCycleBit, kEl2);  // EL2 enables its two counters and the cycle counter
  BOOST_TEST(rd(p, kPMCNTENSET, kEl1) == kCycleBit);
  wr(p, kPMCNTENSET, 0x3f, kEl1);  // bits 4, 5 are WI below EL2
  BOOST_TEST(rd(p, kPMCNTENSET, kEl2) == (0x3f | kCycleBit));
  wr(p, kPMCNTENCLR, 0x3f, kEl1);  // clears 0-3 only
  BOOST_TEST(rd(p, kPMCNTENSET, kEl2) == (0x30 | kCycleBit));
  BOOST_TEST(rd(p, kPMCNTENSET, kEl1) == kCycleBit);
}

BOOST_AUTO_TEST_CASE(pmcr_p_below_el2_resets_only_counters_below_hpmn) {
  pmu::Pmu p = split_pmu();
  for (unsigned n = 0; n < 6; ++n) p.set_counter(n, 100 + n);
  wr(p, kPMCR, kP, kEl1);
  for (unsigned n = 0; n < 6; ++n) BOOST_TEST(p.counter(n) == (n < 4 ? 0u : 100u + n));
  wr(p, kPMCR, kP, kEl2);
  for (unsigned n = 0; n < 6; ++n) BOOST_TEST(p.counter(n) == 0u);
}

BOOST_AUTO_TEST_CASE(pmcr_e_enables_the_low_range_and_hpme_the_high_range) {
  pmu::Pmu p = split_pmu();
  wr(p, pmevtyper(0), pmu::event::INST_RETIRED, kEl2);
  wr(p, pmevtyper(4), pmu::event::INST_RETIRED, kEl2);
  wr(p, kPMCNTENSET, 0x11 | kCycleBit, kEl2);
  wr(p, kPMCR, kE, kEl1);
  p.add_events(batch(arch::CountEl::kEl1, pmu::event::INST_RETIRED, 10));
  BOOST_TEST(p.counter(0) == 10u);
  BOOST_TEST(p.counter(4) == 0u);  // PMCR.E does not enable counter 4
  p.set_mdcr_el2({4, true, false});
  wr(p, kPMCR, 0, kEl1);  // E = 0: counter 0 stops, counter 4 counts under HPME
  p.add_events(batch(arch::CountEl::kEl1, pmu::event::INST_RETIRED, 5));
  BOOST_TEST(p.counter(0) == 10u);
  BOOST_TEST(p.counter(4) == 5u);
}

BOOST_AUTO_TEST_CASE(overflow_interrupt_per_range_enable) {
  pmu::Pmu p = split_pmu();
  wr(p, kPMINTENSET, 0x10, kEl2);
  wr(p, kPMOVSSET, 0x10, kEl2);
  wr(p, kPMCR, kE, kEl1);
  BOOST_TEST(!p.irq_level());  // counter 4's overflow needs HPME
  BOOST_TEST(rd(p, kPMOVSSET, kEl1) == 0u);  // and EL1 does not see it
  p.set_mdcr_el2({4, true, false});
  BOOST_TEST(p.irq_level());
}

BOOST_AUTO_TEST_CASE(hpmn_limits_and_feat_hpmn0) {
  pmu::Pmu p(config(6));
  BOOST_CHECK_THROW(p.set_mdcr_el2({7, false, false}), std::invalid_argument);
  BOOST_CHECK_THROW(p.set_mdcr_el2({0, false, false}), std::invalid_argument);
  auto c = config(6);
  c.feat_hpmn0 = true;
  pmu::Pmu q(c);
  q.set_mdcr_el2({0, false, false});
  BOOST_TEST(pmu::pmcr::N(rd(q, kPMCR, kEl1)) == 0u);
  BOOST_TEST(!read_ok(q, pmevcntr(0), kEl1));
  BOOST_TEST(read_ok(q, kPMCCNTR, kEl1));  // the cycle counter is never partitioned
}

BOOST_AUTO_TEST_CASE(default_is_no_split) {
  pmu::Pmu p(config(6));
  BOOST_TEST(p.mdcr_el2().hpmn == 6u);
  BOOST_TEST(pmu::pmcr::N(rd(p, kPMCR, kEl1)) == 6u);
  BOOST_TEST(read_ok(p, pmevcntr(5), kEl1));
}

BOOST_AUTO_TEST_CASE(add_instructions_matches_add_events) {
  pmu::Pmu a(config(4)), b(config(4));
  for (pmu::Pmu* p : {&a, &b}) {
    program(*p, 0, pmu::event::INST_RETIRED, kFiltU);  // EL1 only
    program(*p, 1, pmu::event::CPU_CYCLES);
    program(*p, 2, pmu::event::L1D_CACHE);  // not in the batch
    program(*p, 3, pmu::event::INST_SPEC);
    p->set_counter(3, 0xfffffff8u);  // overflows at EL1, after the EL0 share
    program(*p, 31, 0);
    p->set_counter(1, 0xfffffff0u);  // overflows within the batch
  }
  arch::EventCounts c;
  for (uint16_t e : pmu::kInstructionClockEvents) {
    c.add(arch::CountEl::kEl0, e, 7);
    c.add(arch::CountEl::kEl1, e, 20);
  }
  c.counts[0][pmu::event::SW_INCR] = c.counts[1][pmu::event::SW_INCR] = 0;
  c.counts[0][pmu::event::CHAIN] = c.counts[1][pmu::event::CHAIN] = 0;
  a.add_events(c);
  b.add_instructions({7, 20, 0});
  for (unsigned i : {0u, 1u, 2u, 3u, 31u}) BOOST_TEST(a.counter(i) == b.counter(i));
  BOOST_TEST(a.counter(0) == 20u);
  BOOST_TEST(rd(a, kPMOVSSET) == rd(b, kPMOVSSET));
  BOOST_TEST(rd(b, kPMOVSSET) == 0xau);
  BOOST_TEST(a.totals() == b.totals());
}

BOOST_AUTO_TEST_SUITE_END()
