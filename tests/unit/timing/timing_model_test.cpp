// The timing model against analytic expectations on synthetic instruction streams:
// dependency chains, issue width, cache latencies by working-set size, streaming refills,
// branch prediction, and the events it emits.
#include <boost/test/unit_test.hpp>

#include <random>

#include "cpu/timing/events.h"
#include "cpu/timing/timing_model.h"

using namespace cpu::timing;
using arch::CountEl;

namespace {

CoreTimingParams little() {
  CoreTimingParams p;
  p.out_of_order = false;
  p.issue_width = 2;
  p.load_to_use = 3;
  p.l1d = {32 * 1024, 4, 64, 3};
  p.l2 = {128 * 1024, 8, 64, 12};
  p.memory_latency_cycles = 150;
  p.mispredict_penalty = 8;
  return p;
}

CoreTimingParams big() {
  CoreTimingParams p = little();
  p.out_of_order = true;
  p.issue_width = 4;
  p.rob_entries = 128;
  p.load_to_use = 4;
  p.l1d = {64 * 1024, 4, 64, 4};
  p.l2 = {512 * 1024, 8, 64, 11};
  p.mispredict_penalty = 11;
  return p;
}

StaticInfo alu(uint8_t dst, uint8_t src) {
  StaticInfo s;
  s.cls = OpClass::kAlu;
  s.dst[0] = dst;
  s.src[0] = src;
  return s;
}
StaticInfo load(uint8_t dst, uint8_t base) {
  StaticInfo s;
  s.cls = OpClass::kLoad;
  s.dst[0] = dst;
  s.src[0] = base;
  return s;
}

// Cycles per instruction over n retirements of `make(i)` after a warm-up of the same.
template <typename F>
double cpi(const CoreTimingParams& p, unsigned n, F&& make, unsigned warmup = 1000) {
  TimingModel m(p);
  for (unsigned i = 0; i < warmup; ++i) make(m, i);
  const uint64_t c0 = m.cycles();
  for (unsigned i = 0; i < n; ++i) make(m, i);
  return static_cast<double>(m.cycles() - c0) / n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(timing_model)

BOOST_AUTO_TEST_CASE(dependent_alu_chain_runs_at_alu_latency) {
  for (const auto& p : {little(), big()}) {
    const double c = cpi(p, 10000, [](TimingModel& m, unsigned i) {
      m.retire(alu(1, 1), {0x1000 + 4 * (i % 16), 0, 0, false}, CountEl::kEl1);
    });
    BOOST_TEST(c == 1.0, boost::test_tools::tolerance(0.02));
  }
}

BOOST_AUTO_TEST_CASE(independent_alu_reaches_issue_width) {
  auto independent = [](TimingModel& m, unsigned i) {
    const uint8_t r = static_cast<uint8_t>(i % 8);
    m.retire(alu(r, static_cast<uint8_t>(r + 8)), {0x1000 + 4 * (i % 16), 0, 0, false}, CountEl::kEl1);
  };
  BOOST_TEST(1.0 / cpi(little(), 10000, independent) == 2.0, boost::test_tools::tolerance(0.02));
  BOOST_TEST(1.0 / cpi(big(), 10000, independent) == 4.0, boost::test_tools::tolerance(0.02));
}

BOOST_AUTO_TEST_CASE(pointer_chase_latency_by_working_set) {
  // Each load's address depends on the previous load: the chain runs at the latency of the
  // level the working set fits in.
  struct Case { uint64_t bytes; const char* level; };
  for (const auto& p : {little(), big()}) {
    const uint32_t l1 = p.load_to_use, l2 = p.l2.latency_cycles, mem = p.l2.latency_cycles + p.memory_latency_cycles;
    for (const auto& [bytes, expect] : {std::pair<uint64_t, uint32_t>{p.l1d.size_bytes / 2, l1},
                                        std::pair<uint64_t, uint32_t>{p.l2.size_bytes / 2, l2},
                                        std::pair<uint64_t, uint32_t>{p.l2.size_bytes * 8, mem}}) {
      const uint64_t lines = bytes / 64;
      // A fixed permutation walk with a large odd stride visits every line in turn.
      // Warm up with two full passes so every line of the set has been touched.
      const double c = cpi(
          p, 20000,
          [&](TimingModel& m, unsigned i) {
            const uint64_t addr = 0x10000000 + ((i * 7919ull) % lines) * 64;
            m.retire(load(1, 1), {0x2000, addr, 0, false}, CountEl::kEl1);
          },
          static_cast<unsigned>(2 * lines));
      BOOST_TEST_CONTEXT("working set " << bytes << " expect " << expect) {
        BOOST_TEST(c == static_cast<double>(expect), boost::test_tools::tolerance(0.10));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(streaming_refills_once_per_line) {
  TimingModel m(little());
  const unsigned n = 64 * 1024;  // 8-byte loads over 512 KiB: every line is new
  for (unsigned i = 0; i < n; ++i)
    m.retire(load(static_cast<uint8_t>(i % 4), 20), {0x3000, 0x20000000 + 8ull * i, 0, false}, CountEl::kEl1);
  arch::EventCounts e;
  m.drain_events(e);
  BOOST_TEST(e.get(CountEl::kEl1, 0x04) == n);       // L1D_CACHE
  BOOST_TEST(e.get(CountEl::kEl1, 0x03) == n / 8);   // L1D_CACHE_REFILL: one per 64-byte line
  BOOST_TEST(e.get(CountEl::kEl1, 0x06) == n);       // LD_RETIRED
  BOOST_TEST(e.get(CountEl::kEl1, 0x08) == n);       // INST_RETIRED
}

BOOST_AUTO_TEST_CASE(mispredicts_cost_the_penalty) {
  for (const auto& p : {little(), big()}) {
    std::mt19937 rng(7);
    auto run = [&](bool random) {
      TimingModel m(p);
      for (unsigned i = 0; i < 20000; ++i) {
        const bool taken = random ? (rng() & 1) : true;
        StaticInfo b;
        b.cls = OpClass::kCondBranch;
        m.retire(b, {0x4000, 0, 0x3000, taken}, CountEl::kEl1);
      }
      arch::EventCounts e;
      m.drain_events(e);
      return std::pair{m.cycles(), e.get(CountEl::kEl1, 0x10)};
    };
    const auto [c_pred, mis_pred] = run(false);
    const auto [c_rand, mis_rand] = run(true);
    BOOST_TEST(mis_pred < 10u);
    BOOST_TEST(mis_rand > 8000u);  // a random direction is mispredicted about half the time
    const double per_miss = static_cast<double>(c_rand - c_pred) / static_cast<double>(mis_rand - mis_pred);
    BOOST_TEST(per_miss == static_cast<double>(p.mispredict_penalty + p.alu_latency), boost::test_tools::tolerance(0.15));
  }
}

BOOST_AUTO_TEST_CASE(events_are_split_by_el_and_cycles_add_up) {
  TimingModel m(big());
  for (unsigned i = 0; i < 1000; ++i)
    m.retire(alu(1, 1), {0x5000 + 4 * (i % 8), 0, 0, false}, i % 4 ? CountEl::kEl1 : CountEl::kEl0);
  arch::EventCounts e;
  m.drain_events(e);
  BOOST_TEST(e.get(CountEl::kEl0, 0x08) == 250u);
  BOOST_TEST(e.get(CountEl::kEl1, 0x08) == 750u);
  BOOST_TEST(e.get(CountEl::kEl0, 0x11) + e.get(CountEl::kEl1, 0x11) == m.cycles());
  arch::EventCounts again;
  m.drain_events(again);
  BOOST_TEST(again.empty());
}

BOOST_AUTO_TEST_CASE(big_and_little_differ_on_the_same_stream) {
  auto stream = [](TimingModel& m) {
    for (unsigned i = 0; i < 5000; ++i) {
      m.retire(alu(static_cast<uint8_t>(i % 6), static_cast<uint8_t>((i + 3) % 6)), {0x6000 + 4 * (i % 32), 0, 0, false},
               CountEl::kEl1);
      m.retire(load(7, 8), {0x6004, 0x30000000 + 64ull * (i % 300), 0, false}, CountEl::kEl1);
    }
  };
  TimingModel a(little()), b(big());
  stream(a);
  stream(b);
  BOOST_TEST(a.instructions() == b.instructions());
  BOOST_TEST(a.cycles() > b.cycles());
}

BOOST_AUTO_TEST_CASE(produces_exactly_the_declared_events) {
  // A stream with every kind of work the model knows: a code footprint larger than the L1I,
  // loads and stores over a working set larger than the L2 (refills, bus accesses), a load
  // feeding the next instruction (backend stall), random branches (mispredicts, frontend
  // stall), calls and returns, exception entries and returns, scalar FP, Advanced SIMD,
  // crypto and transfers between the register files, at EL0 and EL1.
  for (const auto& p : {little(), big()}) {
    TimingModel m(p);
    std::mt19937_64 rng(11);
    std::array<uint64_t, arch::kNumEvents> seen{};
    arch::EventCounts e;
    auto drain = [&] {
      m.drain_events(e);
      for (unsigned el = 0; el < arch::kNumCountEls; ++el)
        for (unsigned ev = 0; ev < arch::kNumEvents; ++ev) seen[ev] += e.counts[el][ev];
      e.clear();
    };
    for (unsigned i = 0; i < 200000; ++i) {
      const CountEl el = i % 3 == 0 ? CountEl::kEl0 : CountEl::kEl1;
      const uint64_t pc = 0x100000 + 4 * (rng() % (1u << 18));
      const uint64_t addr = 0x40000000 + 8 * (rng() % (1u << 22));
      StaticInfo s;
      switch (i % 8) {
        case 0: s = load(1, 2); break;
        case 1: s = alu(3, 1); break;  // waits for the load
        case 2: s.cls = OpClass::kStore; s.src[0] = 3; s.src[1] = 4; break;
        case 3: s.cls = OpClass::kCondBranch; break;
        case 4: s.cls = OpClass::kCall; break;
        case 5: s.cls = OpClass::kReturn; break;
        case 6: {
          // Every SIMD&FP class in turn.
          constexpr OpClass kSimdFp[] = {OpClass::kFpAlu, OpClass::kFpMul, OpClass::kFpDiv, OpClass::kSimdAlu,
                                         OpClass::kSimdMul, OpClass::kSimdFpAlu, OpClass::kSimdFpMul,
                                         OpClass::kSimdFpDiv, OpClass::kCrypto, OpClass::kFpMove,
                                         OpClass::kSimdMove};
          s.cls = kSimdFp[(i / 8) % std::size(kSimdFp)];
          s.src[0] = 40;
          s.dst[0] = 41;
          break;
        }
        default: s = alu(static_cast<uint8_t>(5 + i % 3), 6); break;
      }
      m.retire(s, {pc, addr, pc + 64 * (rng() % 16), (rng() & 1) != 0}, el);
      if (i % 1000 == 0) {
        m.exception(el, false);
        m.exception(el, true);
      }
      if (i % 4096 == 0) drain();
    }
    drain();
    for (unsigned ev = 0; ev < arch::kNumEvents; ++ev) {
      BOOST_TEST_CONTEXT("event 0x" << std::hex << ev) {
        BOOST_TEST((seen[ev] != 0) == produces(static_cast<uint16_t>(ev)));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(bad_parameters_are_rejected) {
  CoreTimingParams p = big();
  p.rob_entries = 2;
  BOOST_CHECK_THROW(TimingModel{p}, std::invalid_argument);
  p = little();
  p.l1d.line_bytes = 48;
  BOOST_CHECK_THROW(TimingModel{p}, std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
