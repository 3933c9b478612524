// Named fields of the VMSAv8-64 system registers and translation table descriptors the
// stage-1 EL1&0 translation reads or writes (Arm ARM D8 "The AArch64 Virtual Memory
// System Architecture", D19 register descriptions). Only the 4 KiB granule layout.
#pragma once

#include <cstdint>

#include "cpu/arch/bits.h"

namespace cpu::mmu {

// SCTLR_EL1 (Arm ARM D19.2 SCTLR_EL1).
namespace sctlr {
constexpr bool M(uint64_t v) { return arch::bit<0>(v); }     // stage 1 enable
constexpr bool A(uint64_t v) { return arch::bit<1>(v); }     // alignment check
constexpr bool C(uint64_t v) { return arch::bit<2>(v); }     // data cacheability
constexpr bool WXN(uint64_t v) { return arch::bit<19>(v); }  // write implies XN
// Bits that change what a translation returns: a write that flips one of them drops
// every cached translation (A only changes the checks, not the translations).
inline constexpr uint64_t kTranslationBits = (uint64_t{1} << 0) | (uint64_t{1} << 19);
}  // namespace sctlr

// TCR_EL1 (Arm ARM D19.2 TCR_EL1).
namespace tcr {
constexpr unsigned T0SZ(uint64_t v) { return static_cast<unsigned>(arch::bits<5, 0>(v)); }
constexpr bool EPD0(uint64_t v) { return arch::bit<7>(v); }
constexpr unsigned TG0(uint64_t v) { return static_cast<unsigned>(arch::bits<15, 14>(v)); }
constexpr unsigned T1SZ(uint64_t v) { return static_cast<unsigned>(arch::bits<21, 16>(v)); }
constexpr bool A1(uint64_t v) { return arch::bit<22>(v); }
constexpr bool EPD1(uint64_t v) { return arch::bit<23>(v); }
constexpr unsigned TG1(uint64_t v) { return static_cast<unsigned>(arch::bits<31, 30>(v)); }
constexpr unsigned IPS(uint64_t v) { return static_cast<unsigned>(arch::bits<34, 32>(v)); }
constexpr bool AS(uint64_t v) { return arch::bit<36>(v); }
constexpr bool TBI0(uint64_t v) { return arch::bit<37>(v); }
constexpr bool TBI1(uint64_t v) { return arch::bit<38>(v); }
// The 4 KiB granule encodings differ between the two halves: TG0 = 0b00, TG1 = 0b10.
inline constexpr unsigned kTg0Granule4K = 0b00;
inline constexpr unsigned kTg1Granule4K = 0b10;
}  // namespace tcr

// TTBR0_EL1 / TTBR1_EL1 (Arm ARM D19.2): ASID in [63:48], BADDR in [47:1], CnP in [0].
namespace ttbr {
constexpr uint16_t ASID(uint64_t v) { return static_cast<uint16_t>(arch::bits<63, 48>(v)); }
// The table base, bits [47:1] with CnP cleared; the walk also clears the RES0 bits below
// the start table's alignment.
constexpr uint64_t BADDR(uint64_t v) { return arch::bits<47, 1>(v) << 1; }
}  // namespace ttbr

// ID_AA64MMFR0_EL1.PARange and TCR_EL1.IPS share one encoding (Arm ARM D19.2); the
// reserved encodings above 0b0110 are read as the largest size (the walk bounds the
// output to 48 bits anyway: FEAT_LPA is not implemented).
inline constexpr uint8_t kPaBitsByEncoding[16] = {32, 36, 40, 42, 44, 48, 52, 52, 52, 52, 52, 52, 52, 52, 52, 52};
constexpr unsigned PARange(uint64_t id_aa64mmfr0) { return static_cast<unsigned>(arch::bits<3, 0>(id_aa64mmfr0)); }

// VMSAv8-64 descriptors, 4 KiB granule, 48-bit OA (Arm ARM D8.3 "Translation table
// descriptor formats").
namespace desc {
constexpr bool valid(uint64_t d) { return arch::bit<0>(d); }
// Bit 1: table (levels 0-2) or page (level 3) when set, block (levels 1-2) when clear.
constexpr bool table_or_page(uint64_t d) { return arch::bit<1>(d); }
constexpr unsigned AttrIndx(uint64_t d) { return static_cast<unsigned>(arch::bits<4, 2>(d)); }
constexpr bool AP_el0(uint64_t d) { return arch::bit<6>(d); }        // AP[1]: EL0 access
constexpr bool AP_read_only(uint64_t d) { return arch::bit<7>(d); }  // AP[2]: no write
constexpr unsigned SH(uint64_t d) { return static_cast<unsigned>(arch::bits<9, 8>(d)); }
constexpr bool AF(uint64_t d) { return arch::bit<10>(d); }
constexpr bool nG(uint64_t d) { return arch::bit<11>(d); }
// Output address field [47:12] (next-level table, or page/block base before masking).
constexpr uint64_t OA(uint64_t d) { return arch::bits<47, 12>(d) << 12; }
// Bits [51:48] hold OA bits only with FEAT_LPA (not implemented): RES0 and ignored here,
// as QEMU does without LPA.
constexpr bool PXN(uint64_t d) { return arch::bit<53>(d); }
constexpr bool UXN(uint64_t d) { return arch::bit<54>(d); }
// Hierarchical attributes of table descriptors (Arm ARM D8.4.2).
constexpr bool PXNTable(uint64_t d) { return arch::bit<59>(d); }
constexpr bool UXNTable(uint64_t d) { return arch::bit<60>(d); }
constexpr bool APTable0(uint64_t d) { return arch::bit<61>(d); }  // no EL0 access below
constexpr bool APTable1(uint64_t d) { return arch::bit<62>(d); }  // no write access below
}  // namespace desc

// MAIR_EL1 attribute bytes (Arm ARM D19.2 MAIR_EL1): 0b0000xx00 is Device memory.
constexpr uint8_t mair_attr(uint64_t mair, unsigned index) {
  return static_cast<uint8_t>(arch::bits_dyn(mair, index * 8 + 7, index * 8));
}
constexpr bool attr_is_device(uint8_t attr) { return arch::bits<7, 4>(attr) == 0; }
// Normal Inner Non-cacheable (0bxxxx0100) or Outer Non-cacheable (0b0100xxxx) memory:
// PAR_EL1.SH reads 0b10 for it (pseudocode PAREncodeShareability()).
constexpr bool attr_is_noncacheable(uint8_t attr) { return attr == 0x44 || attr == 0x40; }

// PAR_EL1, 64-bit format (Arm ARM D19.2 PAR_EL1).
namespace par {
inline constexpr uint64_t kF = 1;                      // the translation failed
inline constexpr uint64_t kRes1 = uint64_t{1} << 11;   // RES1 in the 64-bit format
inline constexpr uint64_t kNs = uint64_t{1} << 9;      // Non-secure output (success)
constexpr uint64_t success(uint64_t pa, uint8_t attr, unsigned sh) {
  return (uint64_t{attr} << 56) | (arch::bits<47, 12>(pa) << 12) | kRes1 | kNs | (uint64_t{sh} << 7);
}
// FST holds the fault status code; S (stage 2) and PTW stay 0 without EL2.
constexpr uint64_t failure(uint32_t fsc) { return kRes1 | (uint64_t{fsc & 0x3f} << 1) | kF; }
}  // namespace par

// TLBI operand (Arm ARM C5.5 "TLB maintenance instructions"): VA[55:12] in bits [43:0],
// ASID in bits [63:48].
namespace tlbi_operand {
constexpr uint64_t VA(uint64_t xt) {
  return static_cast<uint64_t>(arch::sign_extend(arch::bits<43, 0>(xt) << 12, 56));
}
constexpr uint16_t ASID(uint64_t xt) { return static_cast<uint16_t>(arch::bits<63, 48>(xt)); }
}  // namespace tlbi_operand

}  // namespace cpu::mmu
