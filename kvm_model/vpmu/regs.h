// Register vocabulary of KVM's virtual PMUv3: the constants of include/linux/perf/arm_pmuv3.h
// that KVM uses (spec 1.1, 1.3-1.8), the UNKNOWN reset pattern, and the per-vCPU storage slots
// (the kernel's enum vcpu_sysreg, PMU part). KVM spellings are kept on purpose so that a reader
// can put this file next to the kernel sources.
#pragma once

#include <cstdint>

#include "cpu/arch/bits.h"
#include "cpu/arch/pmu_events.h"

namespace kvm_model::vpmu {

// ---- counters (spec 1.1) ----
inline constexpr unsigned kMaxCounters = 32;     // ARMV8_PMU_MAX_COUNTERS (incl. the cycle counter)
inline constexpr unsigned kCycleIdx = 31;        // ARMV8_PMU_CYCLE_IDX
inline constexpr unsigned kMaxEventCounters = 31;
inline constexpr uint64_t kCounterMask = 0x1f;   // ARMV8_PMU_COUNTER_MASK (PMSELR.SEL)

// reset_unknown(): the value KVM writes into registers whose reset value is UNKNOWN.
inline constexpr uint64_t kUnknownPattern = 0x1de7ec7edbadc0deull;

// ---- PMCR_EL0 (spec 1.3) ----
namespace pmcr {
inline constexpr uint64_t E = 1u << 0;
inline constexpr uint64_t P = 1u << 1;
inline constexpr uint64_t C = 1u << 2;
inline constexpr uint64_t D = 1u << 3;
inline constexpr uint64_t X = 1u << 4;
inline constexpr uint64_t DP = 1u << 5;
inline constexpr uint64_t LC = 1u << 6;
inline constexpr uint64_t LP = 1u << 7;
inline constexpr uint64_t kMask = 0xff;          // ARMV8_PMU_PMCR_MASK: guest-writable bits
inline constexpr unsigned kNShift = 11;          // ARMV8_PMU_PMCR_N_SHIFT
inline constexpr uint64_t kNMask = 0x1f;         // ARMV8_PMU_PMCR_N_MASK (unshifted)
inline constexpr uint64_t kNField = kNMask << kNShift;
constexpr uint8_t N(uint64_t v) { return static_cast<uint8_t>(arch::bits<15, 11>(v)); }
constexpr uint64_t with_n(uint64_t v, uint64_t n) { return (v & ~kNField) | ((n & kNMask) << kNShift); }
}  // namespace pmcr

// ---- PMEVTYPER<n>_EL0 / PMCCFILTR_EL0 (spec 1.6) ----
namespace evtype {
inline constexpr uint64_t EXCLUDE_EL1 = 1u << 31;     // P
inline constexpr uint64_t EXCLUDE_EL0 = 1u << 30;     // U
inline constexpr uint64_t EXCLUDE_NS_EL1 = 1u << 29;  // NSK
inline constexpr uint64_t EXCLUDE_NS_EL0 = 1u << 28;  // NSU
inline constexpr uint64_t INCLUDE_EL2 = 1u << 27;     // NSH
inline constexpr uint64_t EXCLUDE_EL3 = 1u << 26;     // M
inline constexpr uint64_t kMask = 0xc800ffff;         // ARMV8_PMU_EVTYPE_MASK (pre-6.7 write/read mask)
inline constexpr uint64_t kEvent = 0xffff;            // ARMV8_PMU_EVTYPE_EVENT
}  // namespace evtype

// ---- PMUSERENR_EL0 (spec 1.8) ----
namespace userenr {
inline constexpr uint64_t EN = 1u << 0;
inline constexpr uint64_t SW = 1u << 1;
inline constexpr uint64_t CR = 1u << 2;
inline constexpr uint64_t ER = 1u << 3;
inline constexpr uint64_t kMask = 0xf;
}  // namespace userenr

// ---- ID_AA64DFR0_EL1.PMUVer encodings (spec 5.8) ----
namespace pmuver {
inline constexpr uint8_t kNone = 0;
inline constexpr uint8_t kImp = 1;     // PMUv3 (Armv8.0)
inline constexpr uint8_t kV3p1 = 4;
inline constexpr uint8_t kV3p4 = 5;
inline constexpr uint8_t kV3p5 = 6;    // 64-bit event counters, PMCR_EL0.LP
inline constexpr uint8_t kV3p7 = 7;
inline constexpr uint8_t kImpDef = 0xf;
}  // namespace pmuver

// ---- architected event numbers (spec 5.7): the shared table (cpu/arch/pmu_event_table.inc) ----
namespace event = ::arch::event;

// bit31 | bits[n-1:0]: kvm_pmu_valid_counter_mask() / kvm_pmu_implemented_counter_mask().
constexpr uint64_t counter_mask_for_n(unsigned n) {
  return (uint64_t{1} << kCycleIdx) | (n ? arch::ones(n) : 0);
}

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
