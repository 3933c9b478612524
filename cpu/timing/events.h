// The common events (Arm ARM D17.11) the cycle-level timing model produces: its declaration.
// The PMCEID0/1 of an emulated core under the timing model (pmu::counted_events), the event
// list of docs/configs.md and the catalogue checks are derived from it, and unit_timing checks
// that the model produces every event listed here and no other, so software never finds an
// advertised event that stays at zero, nor counts one that is not advertised.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>

#include "cpu/arch/pmu_events.h"

namespace cpu::timing {

// clang-format off
inline constexpr std::array<uint16_t, 24> kProducedEvents{
    arch::event::L1I_CACHE_REFILL, arch::event::L1D_CACHE_REFILL, arch::event::L1D_CACHE,
    arch::event::LD_RETIRED, arch::event::ST_RETIRED, arch::event::INST_RETIRED,
    arch::event::EXC_TAKEN, arch::event::EXC_RETURN, arch::event::BR_MIS_PRED,
    arch::event::CPU_CYCLES, arch::event::BR_PRED, arch::event::MEM_ACCESS,
    arch::event::L1I_CACHE, arch::event::L2D_CACHE, arch::event::L2D_CACHE_REFILL,
    arch::event::BUS_ACCESS, arch::event::INST_SPEC, arch::event::BR_RETIRED,
    arch::event::BR_MIS_PRED_RETIRED, arch::event::STALL_FRONTEND, arch::event::STALL_BACKEND,
    arch::event::ASE_SPEC, arch::event::VFP_SPEC, arch::event::CRYPTO_SPEC};
// clang-format on
static_assert(std::is_sorted(kProducedEvents.begin(), kProducedEvents.end()), "kProducedEvents: keep it sorted");

constexpr bool produces(uint16_t event) {
  return std::binary_search(kProducedEvents.begin(), kProducedEvents.end(), event);
}

}  // namespace cpu::timing
