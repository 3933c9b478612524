// The timing model's building blocks against plain reference implementations: the set and
// BTB index (ModIndex) against %, the recency-ordered cache against a cache that keeps a
// last-use stamp per way (true LRU, an empty way filled first), and the per-EL bulk event
// counting against what each instruction emits.
#include <boost/test/unit_test.hpp>

#include <random>
#include <vector>

#include "cpu/timing/cache.h"
#include "cpu/timing/mod_index.h"
#include "cpu/timing/timing_model.h"

using namespace cpu::timing;

namespace {

// True LRU with last-use stamps: the victim is the way with the oldest stamp (empty ways
// have stamp 0, so they are filled first).
class StampLru {
 public:
  explicit StampLru(const CacheGeometry& g)
      : g_(g), sets_(g.size_bytes / (g.line_bytes * g.ways)), tags_(size_t{sets_} * g.ways, ~uint64_t{0}),
        stamps_(tags_.size(), 0) {}
  bool access(uint64_t addr) {
    const uint64_t line = addr / g_.line_bytes;
    const size_t base = static_cast<size_t>(line % sets_) * g_.ways;
    ++clock_;
    size_t victim = base;
    for (size_t w = base; w < base + g_.ways; ++w) {
      if (tags_[w] == line) {
        stamps_[w] = clock_;
        return true;
      }
      if (stamps_[w] < stamps_[victim]) victim = w;
    }
    tags_[victim] = line;
    stamps_[victim] = clock_;
    return false;
  }

 private:
  CacheGeometry g_;
  uint32_t sets_;
  std::vector<uint64_t> tags_, stamps_;
  uint64_t clock_ = 0;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(timing_structures)

BOOST_AUTO_TEST_CASE(mod_index_equals_remainder) {
  std::mt19937_64 rng(1);
  std::vector<uint32_t> divisors{1, 2, 3, 5, 6, 7, 48, 96, 100, 192, 255, 256, 1000, 1024, 6144, 8191, 8192,
                                 65535, 65537, 1u << 20, (1u << 31) - 1, 1u << 31, 0xfffffffbu, 0xffffffffu};
  for (int i = 0; i < 200; ++i) divisors.push_back(static_cast<uint32_t>(rng()) >> (rng() % 32) | 1);
  for (uint32_t n : divisors) {
    const ModIndex mod(n);
    std::vector<uint64_t> xs{0, 1, n - 1ull, n, n + 1ull, 2ull * n - 1, ~uint64_t{0}, ~uint64_t{0} - 1, uint64_t{1} << 63,
                             (uint64_t{1} << 62) - 1};
    for (int k = 0; k < 2000; ++k) xs.push_back(rng() >> (rng() % 64));
    for (uint64_t x : xs) BOOST_TEST_REQUIRE(mod(x) == x % n, "x=" << x << " n=" << n);
  }
}

BOOST_AUTO_TEST_CASE(cache_is_true_lru) {
  std::mt19937_64 rng(2);
  for (int c = 0; c < 60; ++c) {
    CacheGeometry g;
    g.line_bytes = 16u << (rng() % 5);
    g.ways = 1 + static_cast<uint32_t>(rng() % 12);
    const uint32_t sets = (rng() & 1) ? 1u << (rng() % 8) : 1 + static_cast<uint32_t>(rng() % 200);
    g.size_bytes = sets * g.ways * g.line_bytes;
    Cache cache(g);
    StampLru ref(g);
    // A working set around the cache's size, with runs on one line and some far accesses.
    const uint64_t span = uint64_t{g.size_bytes} * (1 + rng() % 3);
    uint64_t addr = 0;
    for (int i = 0; i < 20000; ++i) {
      if (rng() % 4) addr = 0x10000 + rng() % span;
      else if (rng() % 8 == 0) addr = rng();
      else addr += 8;  // often the same line again
      BOOST_TEST_REQUIRE(cache.access(addr) == ref.access(addr), "case " << c << " access " << i);
    }
    cache.flush();
    BOOST_TEST(!cache.contains(addr));
    BOOST_TEST(!cache.access(addr));
    BOOST_TEST(cache.access(addr));
  }
}

BOOST_AUTO_TEST_CASE(bulk_events_match_per_instruction_counts) {
  // Loads, stores, atomics and branches at alternating ELs, drained at odd points: every
  // count ends up at the EL of the instruction that emitted it.
  CoreTimingParams p;
  TimingModel m(p);
  std::mt19937 rng(3);
  uint64_t want[3][5] = {};  // per EL: insts, loads (incl. atomics), stores, branches, memory accesses
  arch::EventCounts got;
  arch::EventMask drained_mask;
  for (unsigned i = 0; i < 5000; ++i) {
    const unsigned el = (i / 37) % 3;
    StaticInfo s;
    const unsigned kind = rng() % 5;
    s.cls = kind == 0 ? OpClass::kLoad : kind == 1 ? OpClass::kStore : kind == 2 ? OpClass::kAtomic
          : kind == 3 ? OpClass::kCondBranch : OpClass::kAlu;
    s.src[0] = static_cast<uint8_t>(rng() % 8);
    s.dst[0] = static_cast<uint8_t>(rng() % 8);
    m.retire(s, {0x8000 + 4ull * (i % 64), 0x100000 + 8ull * (rng() % 4096), 0x8000, (rng() & 1) != 0},
             static_cast<arch::CountEl>(el));
    ++want[el][0];
    if (kind == 0 || kind == 2) ++want[el][1], ++want[el][4];
    if (kind == 1) ++want[el][2], ++want[el][4];
    if (kind == 3) ++want[el][3];
    if (rng() % 300 == 0) drained_mask |= m.drain_events(got);
  }
  drained_mask |= m.drain_events(got);
  uint64_t cycles = 0;
  for (unsigned el = 0; el < 3; ++el) {
    const auto cel = static_cast<arch::CountEl>(el);
    BOOST_TEST(got.get(cel, 0x08) == want[el][0]);  // INST_RETIRED
    BOOST_TEST(got.get(cel, 0x1B) == want[el][0]);  // INST_SPEC
    BOOST_TEST(got.get(cel, 0x06) == want[el][1]);  // LD_RETIRED
    BOOST_TEST(got.get(cel, 0x07) == want[el][2]);  // ST_RETIRED
    BOOST_TEST(got.get(cel, 0x21) == want[el][3]);  // BR_RETIRED
    BOOST_TEST(got.get(cel, 0x12) == want[el][3]);  // BR_PRED
    BOOST_TEST(got.get(cel, 0x04) == want[el][4]);  // L1D_CACHE
    BOOST_TEST(got.get(cel, 0x13) == want[el][4]);  // MEM_ACCESS
    cycles += got.get(cel, 0x11);
  }
  BOOST_TEST(cycles == m.cycles());
  // Every event with a count is in the returned masks.
  for (unsigned el = 0; el < 3; ++el)
    for (unsigned e = 0; e < arch::kNumEvents; ++e)
      if (got.counts[el][e] != 0) BOOST_TEST(drained_mask.test(e), "event " << e);
}

namespace {
// The two pipeline shapes the retire-form tests below run: dual-issue in order, and
// 4-wide out of order with a 96-entry ROB.
CoreTimingParams shape(bool out_of_order) {
  CoreTimingParams p;
  p.out_of_order = out_of_order;
  p.issue_width = out_of_order ? 4 : 2;
  p.rob_entries = out_of_order ? 96 : 0;
  return p;
}
void same_events(TimingModel& a, TimingModel& b) {
  arch::EventCounts ea, eb;
  BOOST_TEST(a.drain_events(ea).w == b.drain_events(eb).w);
  BOOST_TEST(ea.counts == eb.counts);
}
}  // namespace

BOOST_AUTO_TEST_CASE(two_step_retire_matches_retire) {
  // enter_el() once per run of one EL, then retire_at_el<out_of_order()>: the same cycles and
  // events as retire() with the EL on every call.
  for (const bool ooo : {false, true}) {
    TimingModel a(shape(ooo)), b(shape(ooo));
    std::mt19937 rng(4);
    for (unsigned i = 0; i < 20000; ++i) {
      const auto el = static_cast<arch::CountEl>((i / 50) % 2);
      StaticInfo s;
      s.cls = static_cast<OpClass>(rng() % static_cast<unsigned>(OpClass::kCount));
      s.src[0] = static_cast<uint8_t>(rng() % 12);
      s.src[1] = rng() % 2 ? static_cast<uint8_t>(rng() % 12) : kNoReg;
      s.dst[0] = static_cast<uint8_t>(rng() % 12);
      const DynInfo d{0x9000 + 4ull * (rng() % 512), 0x200000 + 8ull * (rng() % 20000), 0x9000 + 4ull * (rng() % 512),
                      (rng() % 3) != 0};
      a.retire(s, d, el);
      if (i % 50 == 0) b.enter_el(el);
      if (ooo) b.retire_at_el<true>(s, d);
      else b.retire_at_el<false>(s, d);
      BOOST_TEST_REQUIRE(a.cycles() == b.cycles());
    }
    same_events(a, b);
  }
}

BOOST_AUTO_TEST_CASE(narrowed_retire_matches_retire) {
  // What a run loop knows at compile time (memory operation or not, no branch, the next
  // instruction of a straight-line run) and a count handed over in bulk: the same cycles,
  // instruction count and events as retire() for every instruction that is not a branch.
  using cpu::timing::Mem;
  for (const bool ooo : {false, true}) {
    TimingModel a(shape(ooo)), b(shape(ooo));
    std::mt19937 rng(5);
    const OpClass classes[] = {OpClass::kAlu, OpClass::kMul, OpClass::kDiv, OpClass::kLoad,
                               OpClass::kStore, OpClass::kAtomic, OpClass::kSystem, OpClass::kNop};
    uint64_t uncounted = 0;
    uint64_t pc = 0;
    unsigned left = 0;  // instructions left in the current straight-line run
    for (unsigned i = 0; i < 20000; ++i) {
      const auto el = static_cast<arch::CountEl>((i / 50) % 2);
      StaticInfo s;
      s.cls = classes[rng() % std::size(classes)];
      s.src[0] = static_cast<uint8_t>(rng() % 12);
      s.src[1] = rng() % 2 ? static_cast<uint8_t>(rng() % 12) : kNoReg;
      s.dst[0] = static_cast<uint8_t>(rng() % 12);
      if (rng() % 4 == 0) s.dst[1] = static_cast<uint8_t>(rng() % 12);
      // Straight-line runs of 1..24 instructions at random places in 32 KiB (so that L1I
      // misses occur too, and runs cross fetch lines); data over 160 KiB.
      const bool follows = left != 0;
      if (left == 0) {
        pc = 0x9000 + 4ull * (rng() % 8192);
        left = 1 + static_cast<unsigned>(rng() % 24);
      } else {
        pc += 4;
      }
      --left;
      const DynInfo d{pc, 0x200000 + 8ull * (rng() % 20000), 0, false};
      a.retire(s, d, el);
      if (i % 50 == 0) {
        b.count_retired(uncounted);  // before the EL changes: the segment reads the count
        uncounted = 0;
        b.enter_el(el);
      }
      const bool mem = s.cls == OpClass::kLoad || s.cls == OpClass::kStore || s.cls == OpClass::kAtomic;
      constexpr cpu::timing::RetireAs kMemOp{.mem = Mem::kYes, .may_branch = false, .count = false};
      constexpr cpu::timing::RetireAs kOther{.mem = Mem::kNo, .may_branch = false, .count = false};
      constexpr cpu::timing::RetireAs kMemNext{.mem = Mem::kYes, .may_branch = false, .count = false, .follows = true};
      constexpr cpu::timing::RetireAs kOtherNext{.mem = Mem::kNo, .may_branch = false, .count = false, .follows = true};
      const auto narrowed = [&]<bool kOoo>() {
        if (follows) mem ? b.retire_at_el<kOoo, kMemNext>(s, d) : b.retire_at_el<kOoo, kOtherNext>(s, d);
        else mem ? b.retire_at_el<kOoo, kMemOp>(s, d) : b.retire_at_el<kOoo, kOther>(s, d);
      };
      if (ooo) narrowed.template operator()<true>();
      else narrowed.template operator()<false>();
      ++uncounted;
      if (rng() % 16 == 0) {
        b.count_retired(uncounted);
        uncounted = 0;
        BOOST_TEST_REQUIRE(a.cycles() == b.cycles());
        BOOST_TEST_REQUIRE(a.instructions() == b.instructions());
      }
    }
    b.count_retired(uncounted);
    BOOST_TEST(a.cycles() == b.cycles());
    same_events(a, b);
  }
}

BOOST_AUTO_TEST_SUITE_END()
