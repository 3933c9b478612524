// Lazy counters on the instruction clock (pmu/pmu.h, class comment): add_instructions() only
// advances a clock, and counters are brought up to date when read or reprogrammed. These tests
// hold the lazy Pmu against the same Pmu fed the same work through add_events(), which settles
// every counter at every batch, after every step of random programming; and check that an
// overflow happening between two reads is seen at the right instruction count.
#include <random>

#include "tests/unit/pmu/pmu_test_util.h"

using namespace pmu_test;

namespace {

constexpr uint8_t kEl2 = 2;
constexpr uint64_t kMax = ~uint64_t{0};

arch::EventCounts insn_batch(const std::array<uint64_t, arch::kNumCountEls>& per_el) {
  arch::EventCounts c;
  for (unsigned el = 0; el < arch::kNumCountEls; ++el)
    for (uint16_t e : {pmu::event::INST_RETIRED, pmu::event::INST_SPEC, pmu::event::CPU_CYCLES})
      c.counts[el][e] = per_el[el];
  return c;
}

// Everything software can observe, read at EL2 (every counter visible).
std::vector<uint64_t> observe(pmu::Pmu& p) {
  std::vector<uint64_t> v;
  for (unsigned i = 0; i < p.num_counters(); ++i) v.push_back(rd(p, pmevcntr(i), kEl2));
  v.push_back(rd(p, kPMCCNTR, kEl2));
  v.push_back(rd(p, kPMOVSSET, kEl2));
  v.push_back(p.irq_level());
  v.push_back(p.irq_level_below_el2());
  v.push_back(p.events_until_overflow());
  for (unsigned i = 0; i < p.num_counters(); ++i) v.push_back(p.counter(i));
  v.push_back(p.counter(31));
  return v;
}

uint64_t near_overflow(std::mt19937_64& rng) {
  switch (rng() % 4) {
    case 0: return 0xffffffffu - rng() % 300;
    case 1: return kMax - rng() % 300;
    case 2: return rng() % 300;
    default: return rng();
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(lazy)

BOOST_AUTO_TEST_CASE(overflow_between_two_reads_sets_pmovsset_at_the_right_instruction) {
  pmu::Pmu p(config(4));
  program(p, 2, pmu::event::INST_RETIRED);
  wr(p, kPMINTENSET, 1u << 2);
  wr(p, pmevcntr(2), 0xffffff00u);
  BOOST_TEST(p.instructions_until_overflow() == 0xffu);
  p.add_instructions({0x7f, 0x7f, 0});  // 0xfe: one short
  BOOST_TEST(rd(p, pmevcntr(2)) == 0xfffffffeu);
  p.add_instructions({0, 1, 0});  // the last one that does not overflow
  BOOST_TEST(rd(p, kPMOVSSET) == 0u);
  BOOST_TEST(!p.irq_level());
  BOOST_TEST(p.instructions_until_overflow() == 0u);
  p.add_instructions({1, 0, 0});  // this one overflows
  BOOST_TEST(rd(p, kPMOVSSET) == (1u << 2));
  BOOST_TEST(p.irq_level());
  BOOST_TEST(rd(p, pmevcntr(2)) == 0u);
  // Counted on from the wrap, and the budget is the full 32 bits again.
  p.add_instructions({5, 0, 0});
  BOOST_TEST(rd(p, pmevcntr(2)) == 5u);
  BOOST_TEST(p.instructions_until_overflow() == 0xffffffffu - 5u);
}

BOOST_AUTO_TEST_CASE(an_overflow_within_a_large_batch_reaches_the_chain_partner) {
  pmu::Pmu p(config(4));
  program(p, 0, pmu::event::INST_RETIRED);
  program(p, 1, pmu::event::CHAIN);
  wr(p, pmevcntr(0), 0xfffffff0u);
  p.add_instructions({0, 0x10, 0});  // exactly to the wrap
  BOOST_TEST(rd(p, pmevcntr(1)) == 1u);
  BOOST_TEST(rd(p, pmevcntr(0)) == 0u);
  p.add_instructions({0, uint64_t{3} << 32, 0});  // three more wraps in one batch
  BOOST_TEST(rd(p, pmevcntr(1)) == 4u);
}

BOOST_AUTO_TEST_CASE(filtered_counter_reads_only_its_els) {
  pmu::Pmu p(config(2));
  program(p, 0, pmu::event::INST_RETIRED, kFiltU);  // EL1 only
  program(p, 31, 0, kFiltP);                          // EL0 only
  p.add_instructions({10, 3, 0});
  BOOST_TEST(rd(p, pmevcntr(0)) == 3u);
  BOOST_TEST(rd(p, kPMCCNTR) == 10u);
  // A change of filter brings the counter up to date under the old filter first.
  wr(p, pmevtyper(0), pmu::event::INST_RETIRED);
  p.add_instructions({10, 3, 0});
  BOOST_TEST(rd(p, pmevcntr(0)) == 16u);
}

BOOST_AUTO_TEST_CASE(random_programming_matches_settling_every_batch) {
  std::mt19937_64 rng(0x1a2e'0c0c);
  for (unsigned iter = 0; iter < 300; ++iter) {
    const uint8_t ver = rng() % 2 ? pmu::pmuver::kV3p7 : pmu::pmuver::kV3p1;
    const auto n = static_cast<uint32_t>(1 + rng() % 6);
    pmu::Pmu lazy(config(n, ver));
    pmu::Pmu eager(config(n, ver));
    BOOST_TEST_CONTEXT("iteration " << iter) {
      for (unsigned step = 0; step < 60; ++step) {
        const unsigned what = rng() % 12;
        const unsigned idx = static_cast<unsigned>(rng() % n);
        const uint64_t v = near_overflow(rng);
        const uint16_t events[] = {pmu::event::INST_RETIRED, pmu::event::CPU_CYCLES, pmu::event::INST_SPEC,
                                   pmu::event::CHAIN, pmu::event::SW_INCR, pmu::event::L1D_CACHE};
        const uint64_t filters[] = {0, kFiltU, kFiltP, kFiltNSH, kFiltP | kFiltU};
        for (pmu::Pmu* p : {&lazy, &eager}) {
          std::mt19937_64 same(v ^ step);  // both PMUs see the same arguments
          switch (what) {
            case 0: wr(*p, pmevcntr(idx), v, kEl2); break;
            case 1: wr(*p, kPMCCNTR, v, kEl2); break;
            case 2: wr(*p, pmevtyper(idx), events[same() % 6] | filters[same() % 5], kEl2); break;
            case 3: wr(*p, kPMCCFILTR, filters[same() % 5], kEl2); break;
            case 4: wr(*p, kPMCNTENSET, same(), kEl2); break;
            case 5: wr(*p, kPMCNTENCLR, same() & same(), kEl2); break;
            case 6: {
              const uint64_t ctl = kE * (same() % 4 != 0) | kD * (same() % 2) | kLC * (same() % 2) |
                                   kLP * (same() % 2) | kFZO * (same() % 4 == 0) | kP * (same() % 8 == 0) |
                                   kC * (same() % 8 == 0);
              wr(*p, kPMCR, ctl, kEl2);
              break;
            }
            case 7: wr(*p, kPMOVSCLR, same(), kEl2); break;
            case 8: wr(*p, kPMINTENSET, same(), kEl2); break;
            case 9: wr(*p, kPMSWINC, same(), kEl1); break;
            case 10: p->set_mdcr_el2({static_cast<uint32_t>(1 + same() % n), same() % 2 == 0, same() % 2 == 0}); break;
            default: break;  // counting only
          }
        }
        // Then some work, in one or several batches, sometimes far past an overflow.
        for (unsigned b = rng() % 4; b > 0; --b) {
          const uint64_t scale = rng() % 3 == 0 ? uint64_t{1} << 33 : 400;
          const std::array<uint64_t, arch::kNumCountEls> per_el{rng() % scale, rng() % scale, rng() % 3 == 0 ? rng() % scale : 0};
          lazy.add_instructions(per_el);
          eager.add_events(insn_batch(per_el));
        }
        BOOST_REQUIRE_MESSAGE(observe(lazy) == observe(eager), "step " << step << " op " << what);
        // The O(1) bound never promises too much: that many instructions at any one EL set
        // no new PMOVSSET bit.
        if (const uint64_t until = lazy.instructions_until_overflow(); until != kMax) {
          for (unsigned el = 0; el < arch::kNumCountEls; ++el) {
            pmu::Pmu q = lazy;
            const uint64_t before = rd(q, kPMOVSSET, kEl2);
            std::array<uint64_t, arch::kNumCountEls> per_el{};
            per_el[el] = until;
            q.add_instructions(per_el);
            BOOST_REQUIRE((rd(q, kPMOVSSET, kEl2) & ~before) == 0u);
          }
        }
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
