// PMUv3 register field layouts (Arm ARM D17.5 "Performance Monitors registers"), as named
// masks and accessors so that no other file takes a PMU register image apart by hand.
#pragma once

#include <cstdint>

#include "cpu/arch/bits.h"

namespace pmu {

// Bit/index 31 of every counter bitmap (PMCNTEN*, PMINTEN*, PMOVS*, PMSWINC) is the cycle
// counter; bits 0..30 are event counters 0..30.
inline constexpr unsigned kCycleIdx = 31;
inline constexpr unsigned kMaxEventCounters = 31;
inline constexpr unsigned kMaxCounters = 32;  // bitmap width: event counters and the cycle counter

// The counter bitmap bits of a PMU with n event counters: the cycle counter's and [n-1:0].
constexpr uint64_t counter_mask_for_n(unsigned n) { return (uint64_t{1} << kCycleIdx) | arch::ones(n); }

// ID_AA64DFR0_EL1.PMUVer encodings: the PMUv3 versions this model implements, and the two
// values that mean "no architected PMUv3".
namespace pmuver {
inline constexpr uint8_t kNone = 0;     // no PMU
inline constexpr uint8_t kImpDef = 0xf; // IMPLEMENTATION DEFINED PMU (not PMUv3)
inline constexpr uint8_t kV3 = 1;     // FEAT_PMUv3 (Armv8.0)
inline constexpr uint8_t kV3p1 = 4;   // FEAT_PMUv3p1: 16-bit evtCount, 0x4000 event range in PMCEID
inline constexpr uint8_t kV3p4 = 5;   // FEAT_PMUv3p4: PMMIR_EL1
inline constexpr uint8_t kV3p5 = 6;   // FEAT_PMUv3p5: 64-bit event counters, PMCR_EL0.LP
inline constexpr uint8_t kV3p7 = 7;   // FEAT_PMUv3p7: PMCR_EL0.FZO
}  // namespace pmuver

// PMCR_EL0.
namespace pmcr {
inline constexpr uint64_t kE = uint64_t{1} << 0;     // enable
inline constexpr uint64_t kP = uint64_t{1} << 1;     // event counter reset (write-1 action, reads 0)
inline constexpr uint64_t kC = uint64_t{1} << 2;     // cycle counter reset (write-1 action, reads 0)
inline constexpr uint64_t kD = uint64_t{1} << 3;     // cycle counter counts every 64th cycle
inline constexpr uint64_t kX = uint64_t{1} << 4;     // export events
inline constexpr uint64_t kDP = uint64_t{1} << 5;    // cycle counter disabled where counting is prohibited
inline constexpr uint64_t kLC = uint64_t{1} << 6;    // cycle counter overflows at 64 bits
inline constexpr uint64_t kLP = uint64_t{1} << 7;    // event counters overflow at 64 bits (v3p5)
inline constexpr uint64_t kFZO = uint64_t{1} << 9;   // freeze event counters on overflow (v3p7)
inline constexpr unsigned kNShift = 11;              // N [15:11], read-only
inline constexpr unsigned kIdcodeShift = 16;         // IDCODE [23:16], read-only
inline constexpr unsigned kImpShift = 24;            // IMP [31:24], read-only
inline constexpr uint64_t kNMask = 0x1f;             // N, unshifted
inline constexpr uint64_t kNField = kNMask << kNShift;

constexpr uint8_t N(uint64_t v) { return static_cast<uint8_t>(arch::bits<15, 11>(v)); }
constexpr uint64_t with_n(uint64_t v, uint64_t n) { return (v & ~kNField) | ((n & kNMask) << kNShift); }
constexpr uint64_t IDCODE(uint64_t v) { return arch::bits<23, 16>(v); }
constexpr uint64_t IMP(uint64_t v) { return arch::bits<31, 24>(v); }
}  // namespace pmcr

// PMEVTYPER<n>_EL0; PMCCFILTR_EL0 has the same filter bits and a RES0 event field.
namespace evtyper {
inline constexpr uint64_t kP = uint64_t{1} << 31;    // exclude EL1
inline constexpr uint64_t kU = uint64_t{1} << 30;    // exclude EL0
inline constexpr uint64_t kNSK = uint64_t{1} << 29;  // Non-secure EL1 modifier (EL3 implemented)
inline constexpr uint64_t kNSU = uint64_t{1} << 28;  // Non-secure EL0 modifier (EL3 implemented)
inline constexpr uint64_t kNSH = uint64_t{1} << 27;  // count at EL2 (EL2 implemented)
inline constexpr uint64_t kM = uint64_t{1} << 26;    // EL3 modifier (EL3 implemented)
inline constexpr uint64_t kEvtCount10 = 0x3ff;       // evtCount width in PMUv3.0
inline constexpr uint64_t kEvtCount16 = 0xffff;      // evtCount width from PMUv3.1

constexpr bool P(uint64_t v) { return arch::bit<31>(v); }
constexpr bool U(uint64_t v) { return arch::bit<30>(v); }
constexpr bool NSK(uint64_t v) { return arch::bit<29>(v); }
constexpr bool NSU(uint64_t v) { return arch::bit<28>(v); }
constexpr bool NSH(uint64_t v) { return arch::bit<27>(v); }
}  // namespace evtyper

// PMUSERENR_EL0: which EL0 accesses are enabled.
namespace userenr {
inline constexpr uint64_t kEN = 1u << 0;  // everything except PMINTEN*, PMUSERENR writes, PMMIR
inline constexpr uint64_t kSW = 1u << 1;  // PMSWINC_EL0 writes
inline constexpr uint64_t kCR = 1u << 2;  // PMCCNTR_EL0 reads
inline constexpr uint64_t kER = 1u << 3;  // PMEVCNTR<n>/PMXEVCNTR reads, PMSELR reads and writes
inline constexpr uint64_t kMask = 0xf;
}  // namespace userenr

// PMSELR_EL0.
namespace selr {
inline constexpr uint64_t kSelMask = 0x1f;
constexpr unsigned SEL(uint64_t v) { return static_cast<unsigned>(arch::bits<4, 0>(v)); }
}  // namespace selr

// PMMIR_EL1 (PMUv3p4).
namespace pmmir {
inline constexpr uint64_t kSlotsMask = 0xff;  // SLOTS [7:0]
}  // namespace pmmir

// PMEVCNTR<n>_EL0 / PMEVTYPER<n>_EL0 encodings: (3, 3, 14, 8|12 + n>>3, n&7).
constexpr unsigned counter_of_key_fields(uint8_t crm, uint8_t op2) {
  return (static_cast<unsigned>(crm & 3) << 3) | op2;
}

}  // namespace pmu
