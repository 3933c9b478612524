// events_until_overflow(): worked examples, and a property test over random programming that
// the bound is never too large (batches within it never overflow) and is tight (some batch of
// bound + 1 events of one type does overflow).
#include <boost/test/unit_test.hpp>

#include <limits>
#include <random>

#include "pmu_test_util.h"

using namespace pmu_test;
using pmu::Pmu;
using arch::CountEl;
namespace ev = pmu::event;

namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

const std::vector<uint16_t> kEventChoices{ev::INST_RETIRED, ev::L1D_CACHE, ev::CPU_CYCLES, ev::BR_RETIRED,
                                          ev::SW_INCR,      ev::CHAIN,     ev::STALL,      0x0100};
const std::vector<uint8_t> kVersions{pmu::pmuver::kV3, pmu::pmuver::kV3p1, pmu::pmuver::kV3p4, pmu::pmuver::kV3p5,
                                     pmu::pmuver::kV3p7};

// A counter value near an overflow boundary (32 or 64 bits) or anywhere.
uint64_t near_boundary(std::mt19937_64& rng) {
  const uint64_t small = rng() % 2000;
  switch (rng() % 4) {
    case 0: return 0xFFFFFFFFull - small;
    case 1: return kMax - small;
    case 2: return (rng() << 32) | (0xFFFFFFFFull - small);
    default: return rng();
  }
}

uint64_t random_filter(std::mt19937_64& rng) {
  const uint64_t bits[] = {kFiltP, kFiltU, kFiltNSK, kFiltNSU, kFiltNSH};
  uint64_t f = 0;
  for (uint64_t b : bits)
    if (rng() % 4 == 0) f |= b;
  return f;
}

// Splits n events of `event` over the three ELs at random.
void add_split(arch::EventCounts& c, uint16_t event, uint64_t n, std::mt19937_64& rng) {
  const uint64_t a = n == 0 ? 0 : rng() % (n + (n < kMax ? 1 : 0));
  const uint64_t rest = n - a;
  const uint64_t b = rest == 0 ? 0 : rng() % (rest + (rest < kMax ? 1 : 0));
  c.add(CountEl::kEl0, event, a);
  c.add(CountEl::kEl1, event, b);
  c.add(CountEl::kEl2, event, rest - b);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(overflow_bound)

BOOST_AUTO_TEST_CASE(worked_examples) {
  Pmu p(config(4, pmu::pmuver::kV3p5));
  BOOST_TEST(p.events_until_overflow() == kMax);  // nothing enabled

  program(p, 0, ev::INST_RETIRED);
  wr(p, pmevcntr(0), 0xFFFFFFF0);
  BOOST_TEST(p.events_until_overflow() == 15u);
  // Fully filtered out (U, P, no NSH): cannot count, cannot overflow.
  wr(p, pmevtyper(0), ev::INST_RETIRED | kFiltU | kFiltP);
  BOOST_TEST(p.events_until_overflow() == kMax);
  wr(p, pmevtyper(0), ev::INST_RETIRED);
  // LP = 1: the counter now overflows at 2^64.
  wr(p, kPMCR, kE | kLP);
  BOOST_TEST(p.events_until_overflow() == kMax - 0xFFFFFFF0u);
  wr(p, pmevcntr(0), 0);
  BOOST_TEST(p.events_until_overflow() == kMax);
  wr(p, kPMCR, kE);

  // The cycle counter with LC = 0 at 0xFFFFFFFF: the next cycle overflows.
  program(p, 31, ev::CPU_CYCLES);
  wr(p, kPMCCNTR, 0xFFFFFFFF);
  BOOST_TEST(p.events_until_overflow() == 0u);
  // With D, 63 more cycles are safe, fewer once the divider phase has advanced.
  wr(p, kPMCR, kE | kD);
  wr(p, kPMCCNTR, 0xFFFFFFFE);
  BOOST_TEST(p.events_until_overflow() == 64u + 63u);
  p.add_events(batch(CountEl::kEl1, ev::CPU_CYCLES, 10));
  BOOST_TEST(p.events_until_overflow() == 64u + 53u);
  BOOST_TEST(p.counter(31) == 0xFFFFFFFEu);

  // SW_INCR and CHAIN counters do not count add_events() input.
  Pmu q(config(2));
  program(q, 0, ev::SW_INCR);
  program(q, 1, ev::CHAIN);
  wr(q, pmevcntr(0), 0xFFFFFFFF);
  wr(q, pmevcntr(1), 0xFFFFFFFF);
  BOOST_TEST(q.events_until_overflow() == kMax);

  // Frozen event counters (FZO with an event-counter overflow pending) cannot overflow.
  Pmu r(config(2, pmu::pmuver::kV3p7));
  program(r, 1, ev::INST_RETIRED);
  wr(r, pmevcntr(1), 0xFFFFFFFF);
  BOOST_TEST(r.events_until_overflow() == 0u);
  wr(r, kPMCR, kE | kFZO);
  wr(r, kPMOVSSET, 1);
  BOOST_TEST(r.events_until_overflow() == kMax);
}

BOOST_AUTO_TEST_CASE(bound_is_never_too_large_and_is_tight) {
  std::mt19937_64 rng(0x5eed'0f'0b0e);
  unsigned tight_checked = 0;
  for (unsigned iter = 0; iter < 3000; ++iter) {
    const uint8_t ver = kVersions[rng() % kVersions.size()];
    const auto n = static_cast<uint32_t>(rng() % 32);
    auto c = config(n, ver);
    c.has_aarch32 = rng() % 2;
    Pmu p(c);
    // Random programming.
    for (unsigned i = 0; i < n; ++i) {
      wr(p, pmevtyper(i), kEventChoices[rng() % kEventChoices.size()] | random_filter(rng));
      wr(p, pmevcntr(i), near_boundary(rng));
    }
    wr(p, kPMCCFILTR, random_filter(rng));
    wr(p, kPMCCNTR, near_boundary(rng));
    wr(p, kPMCNTENSET, rng());
    const uint64_t ctl = kD * (rng() % 2) | kLC * (rng() % 2) | kLP * (rng() % 2) | kFZO * (rng() % 4 == 0);
    wr(p, kPMCR, (rng() % 8 ? kE : 0) | ctl);
    // Advance the divider phase and leave no overflow pending.
    p.add_events(batch(CountEl::kEl1, ev::CPU_CYCLES, rng() % 64));
    wr(p, kPMOVSCLR, ~uint64_t{0});
    const Pmu before = p;

    const uint64_t bound = p.events_until_overflow();
    BOOST_TEST_CONTEXT("iteration " << iter << " N " << n << " pmuver " << int(ver) << " bound " << bound) {
      // Three batches, the last one using up exactly `bound` of every event number.
      std::array<uint64_t, arch::kNumCommonEvents> left;
      left.fill(bound);
      for (unsigned b = 0; b < 3; ++b) {
        arch::EventCounts counts;
        for (uint16_t e = 0; e < arch::kNumCommonEvents; ++e) {
          const uint64_t take = b == 2 ? left[e] : (left[e] == 0 ? 0 : rng() % (left[e] / 2 + 1));
          left[e] -= take;
          add_split(counts, e, take, rng);
        }
        p.add_events(counts);
        BOOST_REQUIRE(rd(p, kPMOVSSET) == 0u);
        BOOST_REQUIRE(!p.irq_level());
      }
      // Tight: bound + 1 of every event at one EL overflows some counter, for some EL.
      if (bound != kMax) {
        bool overflowed = false;
        for (auto el : {CountEl::kEl0, CountEl::kEl1, CountEl::kEl2}) {
          Pmu q = before;
          arch::EventCounts counts;
          for (uint16_t e = 0; e < arch::kNumCommonEvents; ++e) counts.add(el, e, bound + 1);
          q.add_events(counts);
          overflowed = overflowed || rd(q, kPMOVSSET) != 0;
        }
        BOOST_TEST(overflowed);
        ++tight_checked;
      }
    }
  }
  BOOST_TEST(tight_checked > 1000u);  // the generator does reach finite bounds
}

BOOST_AUTO_TEST_SUITE_END()
