// The architected PMUv3 common-event table and the PMCEID encoding of an event set.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "cpu/arch/pmu_events.h"

namespace pmu {

struct EventInfo {
  uint16_t number;
  std::string_view name;
};

inline constexpr std::array kCommonEvents{
#define PMU_EVENT(num, NAME) EventInfo{num, #NAME},
#include "cpu/arch/pmu_event_table.inc"
#undef PMU_EVENT
};

// Event numbers used by the models by name (Arm ARM D17.11): the shared definition.
namespace event = ::arch::event;

std::optional<uint16_t> event_by_name(std::string_view name);
std::string_view event_name(uint16_t number);  // "" when not a common event

// PMCEID0_EL0/PMCEID1_EL0 image of a set of common events: PMCEID0 bit i (i < 32) = event i,
// bit 32+i = event 0x4000+i; PMCEID1 bit i = event 0x20+i, bit 32+i = event 0x4020+i.
struct Pmceid {
  uint64_t pmceid0 = 0;
  uint64_t pmceid1 = 0;
};
Pmceid pmceid_of(std::span<const uint16_t> events);
// The events 0x40..0x7F of a set, bit e - 0x40 each: the ones no PMCEID bit describes.
uint64_t events_40_7f_of(std::span<const uint16_t> events);

// What a core counts without its cycle-level timing model (functional timing): every retired
// instruction is one INST_RETIRED, one INST_SPEC and one CPU_CYCLES; SW_INCR (PMSWINC writes)
// and CHAIN (the odd counter of a pair counting the even one's overflows) are counted by the
// PMU itself. The cache, TLB, branch, memory and stall events a core implements exist only
// in the timing model, so without it PMCEID must not advertise them: software that finds an
// event in PMCEID reads its count as the truth (Linux's perf prints `<not supported>` only
// for what PMCEID lacks).
inline constexpr std::array<uint16_t, 5> kInstructionClockEvents{event::SW_INCR, event::INST_RETIRED, event::CPU_CYCLES,
                                                                 event::INST_SPEC, event::CHAIN};
// The events the PMU produces itself, whatever the timing: PMSWINC writes and CHAIN.
inline constexpr std::array<uint16_t, 2> kPmuOwnEvents{event::SW_INCR, event::CHAIN};
// Every event some core of the emulator can count: the PMU's own and those the timing model
// declares (cpu/timing/events.h), sorted. A catalogue core lists a subset of these only.
std::vector<uint16_t> countable_events();
// The events of `implemented` that a core counts under the given timing (order kept): with
// the timing model, the PMU's own and the model's declared events; without it, the
// instruction clock's.
std::vector<uint16_t> counted_events(std::span<const uint16_t> implemented, bool cycle_timing);

}  // namespace pmu
