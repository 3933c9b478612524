#include "pmu/events.h"

#include <algorithm>

#include "cpu/timing/events.h"

namespace pmu {

// The table is the single source of truth; keep it sorted so lookups by number can bisect.
static_assert(std::is_sorted(kCommonEvents.begin(), kCommonEvents.end(),
                             [](const EventInfo& a, const EventInfo& b) { return a.number < b.number; }));

std::optional<uint16_t> event_by_name(std::string_view name) {
  for (const auto& e : kCommonEvents) {
    if (e.name == name) return e.number;
  }
  return std::nullopt;
}

std::string_view event_name(uint16_t number) {
  auto it = std::lower_bound(kCommonEvents.begin(), kCommonEvents.end(), number,
                             [](const EventInfo& e, uint16_t n) { return e.number < n; });
  return (it != kCommonEvents.end() && it->number == number) ? it->name : std::string_view{};
}

Pmceid pmceid_of(std::span<const uint16_t> events) {
  Pmceid p;
  for (uint16_t ev : events) {
    // 0x4000..0x403F is the extended common-event range, reported in the upper words.
    const bool ext = ev >= 0x4000 && ev < 0x4040;
    const uint16_t base = ext ? ev - 0x4000 : ev;
    if (base >= 0x40) continue;
    const unsigned bit = (base & 0x1f) + (ext ? 32 : 0);
    (base < 0x20 ? p.pmceid0 : p.pmceid1) |= uint64_t{1} << bit;
  }
  return p;
}

uint64_t events_40_7f_of(std::span<const uint16_t> events) {
  uint64_t bits = 0;
  for (uint16_t ev : events)
    if (ev >= 0x40 && ev < 0x80) bits |= uint64_t{1} << (ev - 0x40);
  return bits;
}

namespace {
bool is_own(uint16_t ev) { return std::find(kPmuOwnEvents.begin(), kPmuOwnEvents.end(), ev) != kPmuOwnEvents.end(); }
}  // namespace

std::vector<uint16_t> countable_events() {
  std::vector<uint16_t> out(kPmuOwnEvents.begin(), kPmuOwnEvents.end());
  out.insert(out.end(), cpu::timing::kProducedEvents.begin(), cpu::timing::kProducedEvents.end());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<uint16_t> counted_events(std::span<const uint16_t> implemented, bool cycle_timing) {
  std::vector<uint16_t> out;
  for (uint16_t ev : implemented) {
    const bool counted =
        cycle_timing ? is_own(ev) || cpu::timing::produces(ev)
                     : std::find(kInstructionClockEvents.begin(), kInstructionClockEvents.end(), ev) !=
                           kInstructionClockEvents.end();
    if (counted) out.push_back(ev);
  }
  return out;
}

}  // namespace pmu
