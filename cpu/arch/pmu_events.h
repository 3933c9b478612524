// The interface between whatever produces microarchitectural events (the functional core
// and the timing model in cpu/) and whatever counts them (the PMU in pmu/). Neither side
// includes the other: producers add counts into an EventCounts, consumers drain it.
//
// Counting is in bulk: a producer accumulates counts per exception level over a block or
// a quantum, and the consumer settles them lazily (on a register access, at a deadline),
// so enabling counters never adds per-instruction work.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace arch {

// Common event numbers 0x00..0x3F are the ones PMCEID0/1 describe (with 0x4000..0x403F);
// 0x40..0x7F hold the Armv8 common microarchitectural events of the same space that the
// models emit (ASE_SPEC, VFP_SPEC, CRYPTO_SPEC): PMCEID cannot advertise them, a counter
// programmed with one still counts it when the core implements it. Event storage covers
// 0x00..0x7F, one entry per number.
inline constexpr unsigned kNumCommonEvents = 0x40;
inline constexpr unsigned kNumEvents = 0x80;

// The architected common event numbers by name (Arm ARM D17.11), from the one table.
namespace event {
#define PMU_EVENT(num, NAME) inline constexpr uint16_t NAME = num;
#include "cpu/arch/pmu_event_table.inc"
#undef PMU_EVENT
}  // namespace event

// Which exception level the counted work ran at; filtering (PMEVTYPER.P/U/NSK/NSU) needs it.
enum class CountEl : uint8_t { kEl0 = 0, kEl1 = 1, kEl2 = 2 };
inline constexpr unsigned kNumCountEls = 3;

// A set of event numbers below kNumEvents (which entries of an EventCounts were touched).
struct EventMask {
  std::array<uint64_t, kNumEvents / 64> w{};

  constexpr void set(unsigned e) { w[e / 64] |= uint64_t{1} << (e % 64); }
  constexpr bool test(unsigned e) const { return (w[e / 64] >> (e % 64)) & 1; }
  constexpr bool any() const {
    for (uint64_t x : w)
      if (x) return true;
    return false;
  }
  constexpr EventMask& operator|=(const EventMask& o) {
    for (size_t k = 0; k < w.size(); ++k) w[k] |= o.w[k];
    return *this;
  }
  // fn(e) for every event in the set, in ascending order.
  template <typename Fn>
  constexpr void for_each(Fn&& fn) const {
    for (size_t k = 0; k < w.size(); ++k)
      for (uint64_t m = w[k]; m != 0; m &= m - 1) fn(static_cast<unsigned>(k * 64 + std::countr_zero(m)));
  }
};

struct EventCounts {
  // counts[el][event]
  std::array<std::array<uint64_t, kNumEvents>, kNumCountEls> counts{};

  void add(CountEl el, uint16_t event, uint64_t n) { counts[static_cast<unsigned>(el)][event] += n; }
  uint64_t get(CountEl el, uint16_t event) const { return counts[static_cast<unsigned>(el)][event]; }
  void clear() { counts = {}; }
  // Zeroes only the events of `touched` (what a drain reported adding to).
  void clear(const EventMask& touched) {
    touched.for_each([&](unsigned e) {
      for (auto& per_el : counts) per_el[e] = 0;
    });
  }
  bool empty() const {
    for (const auto& per_el : counts)
      for (uint64_t c : per_el)
        if (c) return false;
    return true;
  }
};

}  // namespace arch
