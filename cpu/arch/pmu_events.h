// The interface between whatever produces microarchitectural events (the functional core
// and the timing model in cpu/) and whatever counts them (the PMU in pmu/). Neither side
// includes the other: producers add counts into an EventCounts, consumers drain it.
//
// Counting is in bulk: a producer accumulates counts per exception level over a block or
// a quantum, and the consumer settles them lazily (on a register access, at a deadline),
// so enabling counters never adds per-instruction work.
#pragma once

#include <array>
#include <cstdint>

namespace arch {

// Common event numbers 0x00..0x3F are counted individually (Arm ARM D17.11); that is the
// whole space the models emit.
inline constexpr unsigned kNumCommonEvents = 0x40;

// The architected common event numbers by name (Arm ARM D17.11), from the one table.
namespace event {
#define PMU_EVENT(num, NAME) inline constexpr uint16_t NAME = num;
#include "cpu/arch/pmu_event_table.inc"
#undef PMU_EVENT
}  // namespace event

// Which exception level the counted work ran at; filtering (PMEVTYPER.P/U/NSK/NSU) needs it.
enum class CountEl : uint8_t { kEl0 = 0, kEl1 = 1, kEl2 = 2 };
inline constexpr unsigned kNumCountEls = 3;

struct EventCounts {
  // counts[el][event]
  std::array<std::array<uint64_t, kNumCommonEvents>, kNumCountEls> counts{};

  void add(CountEl el, uint16_t event, uint64_t n) { counts[static_cast<unsigned>(el)][event] += n; }
  uint64_t get(CountEl el, uint16_t event) const { return counts[static_cast<unsigned>(el)][event]; }
  void clear() { counts = {}; }
  bool empty() const {
    for (const auto& per_el : counts)
      for (uint64_t c : per_el)
        if (c) return false;
    return true;
  }
};

}  // namespace arch
