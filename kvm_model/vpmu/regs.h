// Register vocabulary of KVM's virtual PMUv3: the PMUv3 field layouts and event numbers, which
// are the physical PMU model's (pmu/pmuv3_fields.h, cpu/arch/pmu_events.h) brought into this
// namespace with the kernel's names mapped below; the constants that are KVM's own policy (its
// writable masks, the UNKNOWN reset pattern); and the per-vCPU storage slots (the kernel's
// enum vcpu_sysreg, PMU part).
#pragma once

#include <cstdint>

#include "cpu/arch/bits.h"
#include "cpu/arch/pmu_events.h"
#include "pmu/pmuv3_fields.h"

namespace kvm_model::vpmu {

// ---- the PMUv3 vocabulary: one definition, in pmu/pmuv3_fields.h (spec 1.1, 1.3-1.8, 5.8) ----
// KVM's ARMV8_PMU_* names map onto it as: ARMV8_PMU_MAX_COUNTERS = kMaxCounters,
// ARMV8_PMU_CYCLE_IDX = kCycleIdx, ARMV8_PMU_COUNTER_MASK = selr::kSelMask, ARMV8_PMU_PMCR_*
// = pmcr::k*, ARMV8_PMU_EXCLUDE_EL1/EL0/NS_EL1/NS_EL0, INCLUDE_EL2, EXCLUDE_EL3 =
// evtyper::kP/kU/kNSK/kNSU/kNSH/kM, ARMV8_PMU_EVTYPE_EVENT = evtyper::kEvtCount16,
// ARMV8_PMU_USERENR_* = userenr::k*, ID_AA64DFR0_EL1_PMUVer_IMP = pmuver::kV3.
using ::pmu::counter_mask_for_n;
using ::pmu::kCycleIdx;
using ::pmu::kMaxCounters;
using ::pmu::kMaxEventCounters;
namespace pmcr = ::pmu::pmcr;
namespace evtyper = ::pmu::evtyper;
namespace userenr = ::pmu::userenr;
namespace selr = ::pmu::selr;
namespace pmuver = ::pmu::pmuver;

// KVM's own constants (policy, not register layout).
// reset_unknown(): the value KVM writes into registers whose reset value is UNKNOWN.
inline constexpr uint64_t kUnknownPattern = 0x1de7ec7edbadc0deull;
// ARMV8_PMU_PMCR_MASK: the PMCR_EL0 bits KVM lets a guest write (E, P, C, D, X, DP, LC, LP).
inline constexpr uint64_t kPmcrWritableMask = 0xff;
// ARMV8_PMU_EVTYPE_MASK: the PMEVTYPER mask before 6.7 (P, U, NSH and the event number).
inline constexpr uint64_t kEvtypeMaskPre67 = 0xc800ffff;

// ---- architected event numbers (spec 5.7): the shared table (cpu/arch/pmu_event_table.inc) ----
namespace event = ::arch::event;

// The per-vCPU backing slots (the PMU part of the kernel's enum vcpu_sysreg). SET/CLR register
// pairs share one slot. PMEVTYPER0..30 are followed by PMCCFILTR so that PMEVTYPER0 + 31 is
// PMCCFILTR, which is what makes PMXEVTYPER with PMSELR.SEL == 31 land on PMCCFILTR (spec 1.5).
enum class Slot : uint8_t {
  kNone = 0,
  PMCR_EL0,
  PMSELR_EL0,
  PMCNTENSET_EL0,
  PMINTENSET_EL1,
  PMOVSSET_EL0,
  PMUSERENR_EL0,
  PMCCNTR_EL0,
  PMEVCNTR0_EL0,
  PMEVTYPER0_EL0 = PMEVCNTR0_EL0 + kMaxEventCounters,
  PMCCFILTR_EL0 = PMEVTYPER0_EL0 + kMaxEventCounters,
  kCount,
};
inline constexpr unsigned kNumSlots = static_cast<unsigned>(Slot::kCount);

constexpr Slot slot_plus(Slot s, unsigned n) { return static_cast<Slot>(static_cast<unsigned>(s) + n); }
constexpr Slot evcntr_slot(unsigned idx) { return idx == kCycleIdx ? Slot::PMCCNTR_EL0 : slot_plus(Slot::PMEVCNTR0_EL0, idx); }
constexpr Slot evtyper_slot(unsigned idx) { return slot_plus(Slot::PMEVTYPER0_EL0, idx); }  // 31 -> PMCCFILTR
static_assert(evtyper_slot(kCycleIdx) == Slot::PMCCFILTR_EL0);

}  // namespace kvm_model::vpmu
