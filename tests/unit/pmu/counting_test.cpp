// Counting through add_events(): enables, EL filtering, unimplemented events, 32/64-bit
// overflow, PMCR_EL0.D, CHAIN, PMSWINC, the interrupt, FZO and totals.
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include "pmu_test_util.h"

namespace bdata = boost::unit_test::data;
using namespace pmu_test;
using pmu::Pmu;
using arch::CountEl;
namespace ev = pmu::event;

namespace {

constexpr uint64_t kLow32 = 0xFFFFFFFFull;

// EL0: 1, EL1: 10, EL2: 100 events of `event`, so the counted total names the ELs admitted.
arch::EventCounts per_el_batch(uint16_t event) {
  arch::EventCounts c;
  c.add(CountEl::kEl0, event, 1);
  c.add(CountEl::kEl1, event, 10);
  c.add(CountEl::kEl2, event, 100);
  return c;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(counting)

BOOST_AUTO_TEST_CASE(counts_only_when_enabled_by_pmcr_e_and_pmcntenset) {
  Pmu p(config(4));
  wr(p, pmevtyper(0), ev::INST_RETIRED);
  const auto b = batch(CountEl::kEl1, ev::INST_RETIRED, 5);
  const auto cyc = batch(CountEl::kEl1, ev::CPU_CYCLES, 7);

  p.add_events(b);
  p.add_events(cyc);
  BOOST_TEST(p.counter(0) == 0u);
  BOOST_TEST(p.counter(31) == 0u);

  wr(p, kPMCNTENSET, 1 | kCycleBit);  // enabled per counter, but PMCR.E = 0
  p.add_events(b);
  p.add_events(cyc);
  BOOST_TEST(p.counter(0) == 0u);
  BOOST_TEST(p.counter(31) == 0u);

  wr(p, kPMCR, kE);
  p.add_events(b);
  p.add_events(cyc);
  BOOST_TEST(p.counter(0) == 5u);
  BOOST_TEST(p.counter(31) == 7u);

  wr(p, kPMCNTENCLR, 1);  // counter 0 off, cycle counter still on
  p.add_events(b);
  p.add_events(cyc);
  BOOST_TEST(p.counter(0) == 5u);
  BOOST_TEST(p.counter(31) == 14u);

  wr(p, kPMCR, 0);  // everything off; values hold
  p.add_events(cyc);
  BOOST_TEST(p.counter(31) == 14u);
}

BOOST_AUTO_TEST_CASE(each_counter_counts_its_own_event) {
  Pmu p(config(3));
  program(p, 0, ev::INST_RETIRED);
  program(p, 1, ev::L1D_CACHE);
  program(p, 2, ev::INST_RETIRED);
  arch::EventCounts c;
  c.add(CountEl::kEl0, ev::INST_RETIRED, 3);
  c.add(CountEl::kEl1, ev::INST_RETIRED, 4);
  c.add(CountEl::kEl0, ev::L1D_CACHE, 9);
  c.add(CountEl::kEl0, ev::BR_RETIRED, 99);
  p.add_events(c);
  BOOST_TEST(p.counter(0) == 7u);
  BOOST_TEST(p.counter(1) == 9u);
  BOOST_TEST(p.counter(2) == 7u);
}

// AArch64.CountEvents for a Non-secure PE: EL0 iff U == NSU, EL1 iff P == NSK, EL2 iff NSH;
// for each of the 32 filter combinations, on an event counter and on the cycle counter, with
// and without EL3 (NSK/NSU RES0) and EL2 (NSH RES0).
BOOST_DATA_TEST_CASE(el_filter_matrix, bdata::xrange(32) * bdata::make({0u, 31u}) * bdata::make({true, false}) *
                                           bdata::make({true, false}),
                     bits, idx, has_el3, has_el2) {
  const bool P = bits & 1, U = bits & 2, NSK = bits & 4, NSU = bits & 8, NSH = bits & 16;
  const uint64_t filter = (P ? kFiltP : 0) | (U ? kFiltU : 0) | (NSK ? kFiltNSK : 0) | (NSU ? kFiltNSU : 0) |
                          (NSH ? kFiltNSH : 0);
  auto c = config(1);
  c.has_el3 = has_el3;
  c.has_el2 = has_el2;
  Pmu p(c);
  const uint16_t event = idx == 31 ? ev::CPU_CYCLES : ev::INST_RETIRED;
  program(p, idx, event, filter);
  p.add_events(per_el_batch(event));
  const bool nsk = has_el3 && NSK, nsu = has_el3 && NSU, nsh = has_el2 && NSH;
  const uint64_t expected = (U == nsu ? 1 : 0) + (P == nsk ? 10 : 0) + (nsh ? 100 : 0);
  BOOST_TEST(p.counter(idx) == expected);
}

BOOST_AUTO_TEST_CASE(unimplemented_events_count_nothing) {
  Pmu p(config(3, pmu::pmuver::kV3p1, {ev::SW_INCR, ev::INST_RETIRED, ev::CPU_CYCLES}));
  program(p, 0, ev::L2D_CACHE);    // a common event this core does not implement
  program(p, 1, 0x0100);           // outside the common range
  program(p, 2, ev::INST_RETIRED); // implemented
  arch::EventCounts c;
  c.add(CountEl::kEl1, ev::L2D_CACHE, 50);
  c.add(CountEl::kEl1, ev::INST_RETIRED, 6);
  p.add_events(c);
  BOOST_TEST(p.counter(0) == 0u);
  BOOST_TEST(p.counter(1) == 0u);
  BOOST_TEST(p.counter(2) == 6u);
  BOOST_TEST(p.totals()[ev::L2D_CACHE] == 50u);  // totals are kept regardless

  // A PMUv3.0 PMU sees only evtCount[9:0]: 0x408 is stored as 0x008 (INST_RETIRED).
  Pmu q(config(1, pmu::pmuver::kV3));
  program(q, 0, 0x408);
  BOOST_TEST(rd(q, pmevtyper(0)) == 0x008u);
  q.add_events(batch(CountEl::kEl0, ev::INST_RETIRED, 2));
  BOOST_TEST(q.counter(0) == 2u);
}

BOOST_AUTO_TEST_CASE(totals_count_everything_regardless_of_programming) {
  Pmu p(config(0));
  arch::EventCounts c;
  for (uint16_t e = 0; e < arch::kNumCommonEvents; ++e) {
    c.add(CountEl::kEl0, e, e);
    c.add(CountEl::kEl2, e, 1);
  }
  p.add_events(c);
  p.add_events(c);
  for (uint16_t e = 0; e < arch::kNumCommonEvents; ++e) BOOST_TEST(p.totals()[e] == 2u * (e + 1u));
}

BOOST_AUTO_TEST_CASE(event_counter_32bit_wrap_sets_pmovsset) {
  Pmu p(config(2, pmu::pmuver::kV3p1));
  program(p, 1, ev::INST_RETIRED);
  wr(p, pmevcntr(1), 0xFFFFFFF0);
  p.add_events(batch(CountEl::kEl0, ev::INST_RETIRED, 0xF));
  BOOST_TEST(p.counter(1) == 0xFFFFFFFFu);
  BOOST_TEST(rd(p, kPMOVSSET) == 0u);
  p.add_events(batch(CountEl::kEl0, ev::INST_RETIRED, 0x11));
  BOOST_TEST(p.counter(1) == 0x10u);
  BOOST_TEST(rd(p, kPMOVSSET) == 0x2u);
  // A batch larger than 2^32 wraps more than once; the counter keeps the low 32 bits.
  wr(p, kPMOVSCLR, ~uint64_t{0});
  p.add_events(batch(CountEl::kEl0, ev::INST_RETIRED, (3ull << 32) + 5));
  BOOST_TEST(p.counter(1) == 0x15u);
  BOOST_TEST(rd(p, kPMOVSSET) == 0x2u);
}

BOOST_AUTO_TEST_CASE(event_counter_64bit_with_lp_on_v3p5) {
  Pmu p(config(2, pmu::pmuver::kV3p5));
  program(p, 0, ev::INST_RETIRED);
  // LP = 0: 64-bit storage, overflow flag on the carry out of bit 31.
  wr(p, pmevcntr(0), 0xFFFFFFF0);
  p.add_events(batch(CountEl::kEl1, ev::INST_RETIRED, 0x20));
  BOOST_TEST(p.counter(0) == 0x1'0000'0010ull);
  BOOST_TEST(rd(p, kPMOVSSET) == 0x1u);
  // LP = 1: no overflow at 32 bits, overflow when the 64-bit value wraps.
  wr(p, kPMOVSCLR, 1);
  wr(p, kPMCR, kE | kLP);
  wr(p, pmevcntr(0), 0xFFFFFFF0);
  p.add_events(batch(CountEl::kEl1, ev::INST_RETIRED, 0x20));
  BOOST_TEST(p.counter(0) == 0x1'0000'0010ull);
  BOOST_TEST(rd(p, kPMOVSSET) == 0u);
  wr(p, pmevcntr(0), ~uint64_t{0} - 1);
  p.add_events(batch(CountEl::kEl1, ev::INST_RETIRED, 3));
  BOOST_TEST(p.counter(0) == 1u);
  BOOST_TEST(rd(p, kPMOVSSET) == 0x1u);
}

BOOST_AUTO_TEST_CASE(lp_is_res0_before_v3p5) {
  Pmu p(config(1, pmu::pmuver::kV3p4));
  program(p, 0, ev::INST_RETIRED);
  wr(p, kPMCR, kE | kLP);
  BOOST_TEST((rd(p, kPMCR) & kLP) == 0u);
  wr(p, pmevcntr(0), kLow32);
  p.add_events(batch(CountEl::kEl1, ev::INST_RETIRED, 1));
  BOOST_TEST(p.counter(0) == 0u);
  BOOST_TEST(rd(p, kPMOVSSET) == 1u);
}

BOOST_AUTO_TEST_CASE(cycle_counter_overflow_at_32_or_64_by_lc) {
  Pmu p(config(0));
  program(p, 31, ev::CPU_CYCLES);
  wr(p, kPMCCNTR, 0xFFFFFFF0);
  p.add_events(batch(CountEl::kEl1, ev::CPU_CYCLES, 0x20));
  BOOST_TEST(p.counter(31) == 0x1'0000'0010ull);  // 64-bit counter either way
  BOOST_TEST(rd(p, kPMOVSSET) == kCycleBit);
  wr(p, kPMOVSCLR, kCycleBit);
  wr(p, kPMCR, kE | kLC);
  wr(p, kPMCCNTR, 0xFFFFFFF0);
  p.add_events(batch(CountEl::kEl1, ev::CPU_CYCLES, 0x20));
  BOOST_TEST(rd(p, kPMOVSSET) == 0u);
  wr(p, kPMCCNTR, ~uint64_t{0});
  p.add_events(batch(CountEl::kEl1, ev::CPU_CYCLES, 1));
  BOOST_TEST(p.counter(31) == 0u);
  BOOST_TEST(rd(p, kPMOVSSET) == kCycleBit);
}

BOOST_AUTO_TEST_CASE(cycle_counter_divider) {
  Pmu p(config(0));
  program(p, 31, ev::CPU_CYCLES);
  wr(p, kPMCR, kE | kD);
  p.add_events(batch(CountEl::kEl1, ev::CPU_CYCLES, 63));
  BOOST_TEST(p.counter(31) == 0u);
  p.add_events(batch(CountEl::kEl1, ev::CPU_CYCLES, 1));
  BOOST_TEST(p.counter(31) == 1u);
  p.add_events(batch(CountEl::kEl1, ev::CPU_CYCLES, 64 * 10 + 40));
  BOOST_TEST(p.counter(31) == 11u);
  p.add_events(batch(CountEl::kEl1, ev::CPU_CYCLES, 24));  // phase 40 + 24 completes a tick
  BOOST_TEST(p.counter(31) == 12u);
  // C resets the counter and the divider phase.
  p.add_events(batch(CountEl::kEl1, ev::CPU_CYCLES, 50));
  wr(p, kPMCR, kE | kD | kC);
  p.add_events(batch(CountEl::kEl1, ev::CPU_CYCLES, 63));
  BOOST_TEST(p.counter(31) == 0u);
  // LC = 1 ignores D.
  wr(p, kPMCR, kE | kD | kLC);
  p.add_events(batch(CountEl::kEl1, ev::CPU_CYCLES, 5));
  BOOST_TEST(p.counter(31) == 5u);
  // Without AArch32, D is RES0.
  auto c = config(0);
  c.has_aarch32 = false;
  Pmu q(c);
  program(q, 31, ev::CPU_CYCLES);
  wr(q, kPMCR, kE | kD);
  BOOST_TEST((rd(q, kPMCR) & kD) == 0u);
  q.add_events(batch(CountEl::kEl1, ev::CPU_CYCLES, 5));
  BOOST_TEST(q.counter(31) == 5u);
}

BOOST_AUTO_TEST_CASE(chain_counts_overflows_of_the_even_partner) {
  Pmu p(config(4, pmu::pmuver::kV3p1));
  program(p, 0, ev::INST_RETIRED);
  program(p, 1, ev::CHAIN);
  wr(p, pmevcntr(0), kLow32 - 1);
  p.add_events(batch(CountEl::kEl1, ev::INST_RETIRED, 3));
  BOOST_TEST(p.counter(0) == 1u);
  BOOST_TEST(p.counter(1) == 1u);
  BOOST_TEST(rd(p, kPMOVSSET) == 0x1u);
  // Several wraps in one batch chain as several increments.
  p.add_events(batch(CountEl::kEl1, ev::INST_RETIRED, 2ull << 32));
  BOOST_TEST(p.counter(0) == 1u);
  BOOST_TEST(p.counter(1) == 3u);
  // The odd counter overflows in its turn (and does not chain further).
  program(p, 2, ev::CHAIN);
  wr(p, kPMOVSCLR, ~uint64_t{0});
  wr(p, pmevcntr(1), kLow32);
  wr(p, pmevcntr(0), kLow32);
  p.add_events(batch(CountEl::kEl1, ev::INST_RETIRED, 1));
  BOOST_TEST(p.counter(0) == 0u);
  BOOST_TEST(p.counter(1) == 0u);
  BOOST_TEST(p.counter(2) == 0u);
  BOOST_TEST(rd(p, kPMOVSSET) == 0x3u);
}

BOOST_AUTO_TEST_CASE(chain_needs_an_enabled_odd_partner) {
  Pmu p(config(4));
  program(p, 0, ev::INST_RETIRED);
  wr(p, pmevtyper(1), ev::CHAIN);  // programmed but not enabled
  wr(p, pmevcntr(0), kLow32);
  p.add_events(batch(CountEl::kEl1, ev::INST_RETIRED, 1));
  BOOST_TEST(p.counter(1) == 0u);
  // CHAIN on an even counter counts nothing.
  program(p, 2, ev::CHAIN);
  program(p, 3, ev::INST_RETIRED);
  wr(p, pmevcntr(3), kLow32);
  p.add_events(batch(CountEl::kEl1, ev::INST_RETIRED, 1));
  BOOST_TEST(p.counter(2) == 0u);
  BOOST_TEST(rd(p, kPMOVSSET) == 0x9u);
}

BOOST_AUTO_TEST_CASE(chain_partner_must_be_implemented_and_below_n) {
  // N = 1: counter 0 has no partner.
  Pmu p(config(1));
  program(p, 0, ev::INST_RETIRED);
  wr(p, pmevcntr(0), kLow32);
  p.add_events(batch(CountEl::kEl1, ev::INST_RETIRED, 1));
  BOOST_TEST(rd(p, kPMOVSSET) == 0x1u);
  // N = 31: counter 30 does not chain into the cycle counter.
  Pmu q(config(31));
  program(q, 30, ev::INST_RETIRED);
  program(q, 31, ev::CPU_CYCLES);
  wr(q, pmevcntr(30), kLow32);
  q.add_events(batch(CountEl::kEl1, ev::INST_RETIRED, 1));
  BOOST_TEST(q.counter(31) == 0u);
  // CHAIN not implemented: the odd counter counts nothing.
  Pmu r(config(2, pmu::pmuver::kV3p1, {ev::INST_RETIRED}));
  program(r, 0, ev::INST_RETIRED);
  program(r, 1, ev::CHAIN);
  wr(r, pmevcntr(0), kLow32);
  r.add_events(batch(CountEl::kEl1, ev::INST_RETIRED, 1));
  BOOST_TEST(r.counter(1) == 0u);
}

BOOST_AUTO_TEST_CASE(chain_with_v3p5_only_for_32bit_overflow) {
  Pmu p(config(2, pmu::pmuver::kV3p5));
  program(p, 0, ev::INST_RETIRED);
  program(p, 1, ev::CHAIN);
  wr(p, pmevcntr(0), kLow32);
  p.add_events(batch(CountEl::kEl1, ev::INST_RETIRED, 1));
  BOOST_TEST(p.counter(0) == 0x1'0000'0000ull);  // 64-bit storage, 32-bit overflow
  BOOST_TEST(p.counter(1) == 1u);
  // LP = 1: the even counter overflows at 64 bits and no CHAIN event is generated.
  wr(p, kPMCR, kE | kLP);
  wr(p, pmevcntr(0), ~uint64_t{0});
  p.add_events(batch(CountEl::kEl1, ev::INST_RETIRED, 1));
  BOOST_TEST(p.counter(0) == 0u);
  BOOST_TEST(p.counter(1) == 1u);
  BOOST_TEST(rd(p, kPMOVSSET) == 0x1u);
}

BOOST_AUTO_TEST_CASE(chain_is_filtered_by_the_odd_counter_at_the_overflow_el) {
  Pmu p(config(2));
  program(p, 0, ev::INST_RETIRED);
  program(p, 1, ev::CHAIN, kFiltP);  // the odd counter excludes EL1
  wr(p, pmevcntr(0), kLow32);
  p.add_events(batch(CountEl::kEl1, ev::INST_RETIRED, 1));
  BOOST_TEST(p.counter(1) == 0u);
  wr(p, pmevcntr(0), kLow32);
  p.add_events(batch(CountEl::kEl0, ev::INST_RETIRED, 1));
  BOOST_TEST(p.counter(1) == 1u);
}

BOOST_AUTO_TEST_CASE(pmswinc_increments_enabled_sw_incr_counters) {
  Pmu p(config(4));
  program(p, 0, ev::SW_INCR);
  program(p, 1, ev::SW_INCR);
  wr(p, pmevtyper(2), ev::SW_INCR);  // not enabled
  program(p, 3, ev::INST_RETIRED);   // enabled, other event
  wr(p, kPMSWINC, 0xFFFF'FFFFull);
  BOOST_TEST(p.counter(0) == 1u);
  BOOST_TEST(p.counter(1) == 1u);
  BOOST_TEST(p.counter(2) == 0u);
  BOOST_TEST(p.counter(3) == 0u);
  BOOST_TEST(p.counter(31) == 0u);  // bit 31 of PMSWINC means nothing
  wr(p, kPMSWINC, 0x2);
  BOOST_TEST(p.counter(0) == 1u);
  BOOST_TEST(p.counter(1) == 2u);
  // PMCR.E = 0 stops software increments too.
  wr(p, kPMCR, 0);
  wr(p, kPMSWINC, 0x3);
  BOOST_TEST(p.counter(0) == 1u);
  // PMSWINC is write-only.
  BOOST_TEST(!read_ok(p, kPMSWINC, kEl1));
  // add_events never drives SW_INCR counters.
  wr(p, kPMCR, kE);
  p.add_events(batch(CountEl::kEl1, ev::SW_INCR, 10));
  BOOST_TEST(p.counter(0) == 1u);
}

BOOST_AUTO_TEST_CASE(pmswinc_is_filtered_at_the_writing_el) {
  Pmu p(config(2));
  program(p, 0, ev::SW_INCR, kFiltU);  // excludes EL0
  wr(p, kPMUSERENR, kSW);
  wr(p, kPMSWINC, 1, kEl0);
  BOOST_TEST(p.counter(0) == 0u);
  wr(p, kPMSWINC, 1, kEl1);
  BOOST_TEST(p.counter(0) == 1u);
  p.software_increment(1, kEl1);
  BOOST_TEST(p.counter(0) == 2u);
}

BOOST_AUTO_TEST_CASE(pmswinc_overflow_chains) {
  Pmu p(config(2));
  program(p, 0, ev::SW_INCR);
  program(p, 1, ev::CHAIN);
  wr(p, pmevcntr(0), kLow32);
  wr(p, kPMSWINC, 1);
  BOOST_TEST(p.counter(0) == 0u);
  BOOST_TEST(p.counter(1) == 1u);
  BOOST_TEST(rd(p, kPMOVSSET) == 0x1u);
}

// AArch64.CheckForPMUOverflow: irq = PMCR.E && PMINTENSET[n] && PMOVSSET[n] for some n;
// PMCNTENSET plays no part.
BOOST_DATA_TEST_CASE(irq_truth_table, bdata::xrange(16) * bdata::make({0u, 3u, 31u}), bits, idx) {
  const bool e = bits & 1, inten = bits & 2, ovs = bits & 4, cnten = bits & 8;
  Pmu p(config(4));
  wr(p, kPMCR, e ? kE : 0);
  if (inten) wr(p, kPMINTENSET, 1ull << idx);
  if (ovs) wr(p, kPMOVSSET, 1ull << idx);
  if (cnten) wr(p, kPMCNTENSET, 1ull << idx);
  BOOST_TEST(p.irq_level() == (e && inten && ovs));
}

BOOST_AUTO_TEST_CASE(irq_follows_overflow_and_clear) {
  Pmu p(config(2));
  program(p, 0, ev::INST_RETIRED);
  wr(p, kPMINTENSET, 1);
  wr(p, pmevcntr(0), kLow32);
  BOOST_TEST(!p.irq_level());
  p.add_events(batch(CountEl::kEl0, ev::INST_RETIRED, 1));
  BOOST_TEST(p.irq_level());
  wr(p, kPMINTENCLR, 1);
  BOOST_TEST(!p.irq_level());
  wr(p, kPMINTENSET, 1);
  BOOST_TEST(p.irq_level());
  wr(p, kPMOVSCLR, 1);
  BOOST_TEST(!p.irq_level());
  // Overflows of counters without PMINTENSET set the flag but not the line.
  program(p, 1, ev::INST_RETIRED);
  wr(p, pmevcntr(1), kLow32);
  p.add_events(batch(CountEl::kEl0, ev::INST_RETIRED, 1));
  BOOST_TEST(rd(p, kPMOVSSET) == 0x2u);
  BOOST_TEST(!p.irq_level());
}

BOOST_AUTO_TEST_CASE(fzo_freezes_event_counters_after_an_overflow) {
  Pmu p(config(3, pmu::pmuver::kV3p7));
  program(p, 0, ev::INST_RETIRED);
  program(p, 1, ev::L1D_CACHE);
  program(p, 2, ev::SW_INCR);
  program(p, 31, ev::CPU_CYCLES);
  wr(p, kPMCR, kE | kFZO);
  wr(p, pmevcntr(0), kLow32);
  arch::EventCounts c;
  c.add(CountEl::kEl0, ev::INST_RETIRED, 1);
  c.add(CountEl::kEl0, ev::L1D_CACHE, 5);
  c.add(CountEl::kEl0, ev::CPU_CYCLES, 5);
  p.add_events(c);  // the overflow happens in this batch; the freeze applies from the next
  BOOST_TEST(p.counter(1) == 5u);
  p.add_events(c);
  BOOST_TEST(p.counter(0) == 0x1'0000'0000ull);  // 64-bit storage from PMUv3p5, 32-bit overflow
  BOOST_TEST(p.counter(1) == 5u);
  BOOST_TEST(p.counter(31) == 10u);  // the cycle counter is not frozen
  wr(p, kPMSWINC, 0x4);              // software increments are frozen too
  BOOST_TEST(p.counter(2) == 0u);
  wr(p, kPMOVSCLR, 1);
  p.add_events(c);
  BOOST_TEST(p.counter(0) == 0x1'0000'0001ull);
  BOOST_TEST(p.counter(1) == 10u);
  wr(p, kPMSWINC, 0x4);
  BOOST_TEST(p.counter(2) == 1u);
  // A cycle-counter overflow does not freeze event counters.
  wr(p, kPMCCNTR, ~uint64_t{0});
  wr(p, kPMCR, kE | kFZO | kLC);
  p.add_events(c);
  BOOST_TEST(rd(p, kPMOVSSET) == kCycleBit);
  p.add_events(c);
  BOOST_TEST(p.counter(1) == 20u);
  // FZO is RES0 before PMUv3p7.
  Pmu q(config(2, pmu::pmuver::kV3p5));
  wr(q, kPMCR, kE | kFZO);
  BOOST_TEST((rd(q, kPMCR) & kFZO) == 0u);
}

BOOST_AUTO_TEST_CASE(direct_writes_never_overflow) {
  Pmu p(config(2));
  program(p, 0, ev::INST_RETIRED);
  wr(p, kPMINTENSET, 1);
  wr(p, pmevcntr(0), kLow32);
  wr(p, pmevcntr(0), 0);
  p.set_counter(0, kLow32);
  p.set_counter(0, 5);
  BOOST_TEST(rd(p, kPMOVSSET) == 0u);
  BOOST_TEST(!p.irq_level());
}

// Reprogramming between batches takes effect for the next batch only.
BOOST_AUTO_TEST_CASE(reprogramming_applies_to_later_batches) {
  Pmu p(config(1));
  program(p, 0, ev::INST_RETIRED);
  p.add_events(per_el_batch(ev::INST_RETIRED));
  BOOST_TEST(p.counter(0) == 11u);
  wr(p, pmevtyper(0), ev::INST_RETIRED | kFiltU);
  p.add_events(per_el_batch(ev::INST_RETIRED));
  BOOST_TEST(p.counter(0) == 21u);
  wr(p, pmevtyper(0), ev::L1D_CACHE);
  p.add_events(per_el_batch(ev::INST_RETIRED));
  BOOST_TEST(p.counter(0) == 21u);
}

BOOST_AUTO_TEST_SUITE_END()
