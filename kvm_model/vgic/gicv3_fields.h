// GICv3 register field layouts (Arm IHI 0069, chapter 12 "Programmers' model": the GICD_*,
// GICR_* and ICC_* register descriptions), as named masks and accessors so that no other file of
// the vGIC takes a register image apart by hand.
#pragma once

#include <cstdint>

#include "cpu/arch/bits.h"

namespace kvm_model::vgic {

// ---- INTID space (IHI 0069 "INTIDs") ----
inline constexpr unsigned kNumSgis = 16;        // INTIDs 0..15
inline constexpr unsigned kNumPrivate = 32;     // SGIs + PPIs 16..31, banked per redistributor
inline constexpr unsigned kMaxIrqs = 1020;      // SPIs end at 1019
inline constexpr unsigned kSpuriousIntid = 1023;
inline constexpr unsigned kFirstSpecialIntid = 1020;  // 1020..1023 are never real interrupts

// LPIs (IHI 0069 "LPIs"): INTIDs from 8192 up. KVM's ITS gives 16 INTID bits
// (INTERRUPT_ID_BITS_ITS), so LPIs are 8192..65535.
inline constexpr unsigned kFirstLpi = 8192;
inline constexpr unsigned kLpiIdBits = 16;

// ---- Priority (IHI 0069 "Interrupt prioritization") ----
// Like KVM's vGICv3 (VGIC_PRI_BITS, ICH_VTR_EL2.PRIbits/PREbits on the hardware it runs on):
// 5 bits of priority, all of them preemption bits. The low 3 bits of every priority field,
// of ICC_PMR_EL1 and of the group-priority computations are RAZ/WI.
inline constexpr unsigned kPriorityBits = 5;
inline constexpr uint8_t kPriorityMask = static_cast<uint8_t>(0xff << (8 - kPriorityBits));  // 0xF8
inline constexpr uint8_t kIdlePriority = 0xff;  // ICC_RPR_EL1 with nothing active
// Minimum binary points: BPR0 = 7 - PREbits; BPR1 one more (IHI 0069 ICC_BPR0_EL1/ICC_BPR1_EL1).
inline constexpr uint8_t kMinBpr0 = 7 - kPriorityBits;  // 2
inline constexpr uint8_t kMinBpr1 = kMinBpr0 + 1;       // 3
// One active-priority bit per preemption level: 2^5 = 32 levels, i.e. only ICC_AP1R0_EL1.
inline constexpr unsigned kApBitShift = 8 - kPriorityBits;

// Identification values shared by GICD_IIDR and GICR_IIDR: KVM's (ProductID 0x4B,
// Implementer 0x43B = Arm). Revision 1: KVM's revision 2 means "interrupt groups are
// guest-configurable", which this model does not implement (IGROUPR is RAO/WI).
inline constexpr uint32_t kIidr = (0x4Bu << 24) | (1u << 12) | 0x43Bu;
// GICD_PIDR2 / GICR_PIDR2: ArchRev [7:4] = 3 (GICv3), JEP106 bits [3:0] = 0xB.
inline constexpr uint32_t kPidr2 = 0x3B;

// GICD_CTLR, single security state view (DS = 1).
namespace gicd_ctlr {
inline constexpr uint32_t kEnableGrp0 = 1u << 0;   // RAZ/WI here: no Group 0 interrupts
inline constexpr uint32_t kEnableGrp1 = 1u << 1;
inline constexpr uint32_t kARE = 1u << 4;          // RAO/WI: affinity routing always on
inline constexpr uint32_t kDS = 1u << 6;           // RAO/WI: one security state
inline constexpr uint32_t kRWP = 1u << 31;         // reads 0: writes take effect at once
constexpr bool EnableGrp1(uint64_t v) { return arch::bit<1>(v); }
}  // namespace gicd_ctlr

// GICD_TYPER.
namespace gicd_typer {
inline constexpr unsigned kIDbitsShift = 19;       // IDbits [23:19]: INTID bits - 1
inline constexpr uint32_t kLPIS = 1u << 17;        // LPIs supported (an ITS exists)
inline constexpr uint32_t kNo1N = 1u << 25;        // 1 of N SPI routing not supported
constexpr uint32_t ITLinesNumber(unsigned num_irqs) { return num_irqs / 32 - 1; }
}  // namespace gicd_typer

// GICD_IROUTER<n> (64-bit): Aff3 [39:32], IRM [31], Aff2 [23:16], Aff1 [15:8], Aff0 [7:0].
namespace irouter {
// Only Aff2..Aff0 are kept: IRM is RAZ/WI because GICD_TYPER.No1N = 1, Aff3 is RAZ/WI because
// GICD_TYPER.A3V = 0 (every vCPU has Aff3 = 0), as in KVM's vgic_mmio_write_irouter.
inline constexpr uint64_t kStoredMask = 0x00ffffff;
}  // namespace irouter

// GICR_TYPER (64-bit).
namespace gicr_typer {
inline constexpr uint64_t kPLPIS = 1u << 0;         // physical LPIs supported
inline constexpr uint64_t kLast = 1u << 4;          // last redistributor of the region
inline constexpr unsigned kProcessorNumberShift = 8;  // [23:8]
inline constexpr unsigned kAffinityShift = 32;        // Affinity_Value [63:32] = Aff3.Aff2.Aff1.Aff0
}  // namespace gicr_typer

// GICR_CTLR.
namespace gicr_ctlr {
inline constexpr uint32_t kEnableLPIs = 1u << 0;
}  // namespace gicr_ctlr

// GICR_PROPBASER / GICR_PENDBASER (64-bit): the LPI configuration table (one byte per LPI,
// VM-wide in KVM) and each redistributor's pending table (one bit per INTID).
namespace lpi_tables {
inline constexpr uint64_t kPropAddrMask = 0x000ffffffffff000ull;   // PROPBASER PA [51:12]
inline constexpr uint64_t kPendAddrMask = 0x000fffffffff0000ull;   // PENDBASER PA [51:16]
inline constexpr uint64_t kPendPTZ = 1ull << 62;                   // pending table zero (write-only)
// Bits KVM keeps RES0 (vgic-mmio-v3.c PROPBASER_RES0_MASK / PENDBASER_RES0_MASK).
inline constexpr uint64_t kPropRes0 = 0xf800000000000000ull | 0x00f0000000000000ull | 0x60ull;
inline constexpr uint64_t kPendRes0 = (1ull << 63) | 0x3800000000000000ull | 0x00f0000000000000ull | 0xf000ull | 0x7full;
constexpr unsigned PropIdBits(uint64_t v) { return static_cast<unsigned>(arch::bits<4, 0>(v)) + 1; }
// A configuration byte (IHI 0069 "LPI Configuration tables"): priority [7:2], Enable [0].
constexpr uint8_t ConfigPriority(uint8_t b) { return static_cast<uint8_t>(b & 0xfc); }
constexpr bool ConfigEnable(uint8_t b) { return (b & 1) != 0; }
}  // namespace lpi_tables

// The cacheability/shareability fields of GICR_{PROP,PEND}BASER, GITS_CBASER and
// GITS_BASER<n>, as KVM sanitises them (vgic_sanitise_*): Outer Shareable becomes Inner
// Shareable, inner non-cacheable becomes RaWb (3), outer anything but SameAsInner (0) or nC
// (1) becomes SameAsInner.
constexpr uint64_t sanitise_baser(uint64_t reg, unsigned shareability_shift, unsigned inner_shift,
                                  unsigned outer_shift) {
  const uint64_t sh = (reg >> shareability_shift) & 3;
  if (sh == 2) reg = (reg & ~(uint64_t{3} << shareability_shift)) | (uint64_t{1} << shareability_shift);
  const uint64_t in = (reg >> inner_shift) & 7;
  if (in == 0 || in == 1) reg = (reg & ~(uint64_t{7} << inner_shift)) | (uint64_t{3} << inner_shift);
  const uint64_t out = (reg >> outer_shift) & 7;
  if (out > 1) reg &= ~(uint64_t{7} << outer_shift);
  return reg;
}

// GICR_WAKER.
namespace gicr_waker {
inline constexpr uint32_t kProcessorSleep = 1u << 1;
inline constexpr uint32_t kChildrenAsleep = 1u << 2;  // read-only, follows ProcessorSleep
constexpr bool ProcessorSleep(uint64_t v) { return arch::bit<1>(v); }
}  // namespace gicr_waker

// ICC_CTLR_EL1 (IHI 0069 ICC_CTLR_EL1).
namespace icc_ctlr {
inline constexpr uint64_t kCBPR = 1u << 0;
inline constexpr uint64_t kEOImode = 1u << 1;
inline constexpr unsigned kPRIbitsShift = 8;   // [10:8] = priority bits - 1, read-only
// IDbits [13:11] = 0 (16-bit INTIDs), SEIS [14] = 0, A3V [15] = 0, RSS [18] = 0, ExtRange [19] = 0.
constexpr bool CBPR(uint64_t v) { return arch::bit<0>(v); }
constexpr bool EOImode(uint64_t v) { return arch::bit<1>(v); }
}  // namespace icc_ctlr

// ICC_SRE_EL1: SRE, DFB, DIB all RAO/WI (system-register interface only, no bypass).
namespace icc_sre {
inline constexpr uint64_t kValue = 0x7;
}  // namespace icc_sre

// ICC_SGI1R_EL1 / ICC_ASGI1R_EL1 / ICC_SGI0R_EL1.
namespace icc_sgir {
constexpr unsigned TargetList(uint64_t v) { return static_cast<unsigned>(arch::bits<15, 0>(v)); }
constexpr unsigned Aff1(uint64_t v) { return static_cast<unsigned>(arch::bits<23, 16>(v)); }
constexpr unsigned INTID(uint64_t v) { return static_cast<unsigned>(arch::bits<27, 24>(v)); }
constexpr unsigned Aff2(uint64_t v) { return static_cast<unsigned>(arch::bits<39, 32>(v)); }
constexpr bool IRM(uint64_t v) { return arch::bit<40>(v); }
constexpr unsigned RS(uint64_t v) { return static_cast<unsigned>(arch::bits<47, 44>(v)); }
constexpr unsigned Aff3(uint64_t v) { return static_cast<unsigned>(arch::bits<55, 48>(v)); }
}  // namespace icc_sgir

// ICC_EOIR1_EL1 / ICC_DIR_EL1: INTID [23:0].
constexpr unsigned eoi_intid(uint64_t v) { return static_cast<unsigned>(arch::bits<23, 0>(v)); }

// ---- Affinity of a vCPU ----
// KVM's reset_mpidr(): Aff0 = id[3:0], Aff1 = id[11:4], Aff2 = id[19:12], Aff3 = 0. Returned in
// the MPIDR_EL1 layout (Aff2 [23:16], Aff1 [15:8], Aff0 [7:0]) without the RES1 bit 31.
constexpr uint64_t affinity_of_vcpu(unsigned id) {
  return arch::bits<3, 0>(uint64_t{id}) | (arch::bits<11, 4>(uint64_t{id}) << 8) |
         (arch::bits<19, 12>(uint64_t{id}) << 16);
}
// Inverse of affinity_of_vcpu on MPIDR-layout affinity (Aff3 [39:32] included): the vCPU id, or
// -1 when no id maps there (Aff0 >= 16 or Aff3 != 0).
constexpr long vcpu_of_affinity(uint64_t aff) {
  const uint64_t aff0 = arch::bits<7, 0>(aff), aff1 = arch::bits<15, 8>(aff);
  const uint64_t aff2 = arch::bits<23, 16>(aff), aff3 = arch::bits<39, 32>(aff);
  if (aff0 >= 16 || aff3 != 0) return -1;
  return static_cast<long>(aff0 | (aff1 << 4) | (aff2 << 12));
}
static_assert(vcpu_of_affinity(affinity_of_vcpu(0x12345)) == 0x12345);

}  // namespace kvm_model::vgic
