// The architected PMUv3 common-event table and the PMCEID encoding of an event set.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace pmu {

struct EventInfo {
  uint16_t number;
  std::string_view name;
};

inline constexpr std::array kCommonEvents{
#define PMU_EVENT(num, NAME) EventInfo{num, #NAME},
#include "pmu/event_table.inc"
#undef PMU_EVENT
};

// Event numbers used by the models by name (Arm ARM D17.11).
namespace event {
#define PMU_EVENT(num, NAME) inline constexpr uint16_t NAME = num;
#include "pmu/event_table.inc"
#undef PMU_EVENT
}  // namespace event

std::optional<uint16_t> event_by_name(std::string_view name);
std::string_view event_name(uint16_t number);  // "" when not a common event

// PMCEID0_EL0/PMCEID1_EL0 image of a set of common events: PMCEID0 bit i (i < 32) = event i,
// bit 32+i = event 0x4000+i; PMCEID1 bit i = event 0x20+i, bit 32+i = event 0x4020+i.
struct Pmceid {
  uint64_t pmceid0 = 0;
  uint64_t pmceid1 = 0;
};
Pmceid pmceid_of(std::span<const uint16_t> events);

}  // namespace pmu
