// Stage-1 translation of the EL1&0 regime (Arm ARM D8, pseudocode AArch64.S1Translate /
// AArch64.S1Walk): the register snapshot a walk depends on, the leaf a walk produces (what
// a TLB entry caches) and the walk itself over guest RAM. 4 KiB granule only.
#pragma once

#include <cstdint>

#include "cpu/phys_mem.h"

namespace cpu::mmu {

// What an access does with the memory it translates.
enum class AccessType : uint8_t { kRead = 0, kWrite = 1, kExec = 2 };

// Whose permissions apply: EL0 (also LDTR/STTR and AT S1E0* at EL1) or EL1.
enum View : uint8_t { kViewEl0 = 0, kViewEl1 = 1 };
inline constexpr unsigned kNumViews = 2;

// A leaf's permissions for both views, one bit per (view, access).
constexpr uint8_t perm_bit(View v, AccessType a) {
  return static_cast<uint8_t>(1u << (static_cast<unsigned>(v) * 3 + static_cast<unsigned>(a)));
}

// Fault classes of a stage-1 translation; the DFSC/IFSC adds the level.
enum class FaultKind : uint8_t {
  kNone,
  kAddressSize,    // output or table address above the output size
  kTranslation,    // invalid descriptor, VA out of range, EPDn, bad TxSZ/TGn
  kAccessFlag,     // AF = 0 in the leaf (no hardware AF update: FEAT_HAFDBS absent)
  kPermission,
  kWalkExternal,   // a descriptor read outside every memory slot (see fault_status)
  kAlignment,
  kExternal,       // a fetch from outside RAM
  // A descriptor in a slot page the host has not populated (HostPageGate): never reported
  // to the guest; the core leaves run() with ExitReason::kHostPage and retries the access.
  kHostPage,
};
struct Fault {
  FaultKind kind = FaultKind::kNone;
  uint8_t level = 0;
  constexpr bool ok() const { return kind == FaultKind::kNone; }
};

// DFSC/IFSC of a fault (Arm ARM D19.2 ESR_ELx, ISS encoding for Data/Instruction Aborts).
// A walk that reads outside every memory slot is a stage-2 fault on the walk, taken to EL2:
// KVM cannot give it to userspace (no syndrome) and injects into the guest a synchronous
// external abort, 0x10 without a level (kvm_handle_guest_abort(), inject_abt64()), not the
// 0b0101LL a walk of physical memory would report.
constexpr uint32_t fault_status(Fault f) {
  // Indexed by FaultKind; levelled codes get the level in bits [1:0].
  constexpr uint8_t kBase[] = {0x00, 0x00, 0x04, 0x08, 0x0C, 0x10, 0x21, 0x10, 0x10};
  constexpr bool kLevelled[] = {false, true, true, true, true, false, false, false, false};
  const auto k = static_cast<unsigned>(f.kind);
  return kBase[k] | (kLevelled[k] ? f.level : 0u);
}

static_assert(fault_status({FaultKind::kAddressSize, 0}) == 0x00 && fault_status({FaultKind::kTranslation, 3}) == 0x07 &&
              fault_status({FaultKind::kAccessFlag, 1}) == 0x09 && fault_status({FaultKind::kPermission, 2}) == 0x0E &&
              fault_status({FaultKind::kWalkExternal, 2}) == 0x10 && fault_status({FaultKind::kAlignment, 3}) == 0x21 &&
              fault_status({FaultKind::kExternal, 3}) == 0x10,
              "DFSC/IFSC encodings (Arm ARM ESR_ELx.ISS.DFSC)");

// The registers a translation depends on, plus the implemented PA size.
struct Regime {
  uint64_t sctlr = 0, tcr = 0, ttbr0 = 0, ttbr1 = 0, mair = 0;
  unsigned parange_bits = 48;  // from ID_AA64MMFR0_EL1.PARange

  bool enabled() const;
  // The current ASID: TCR.A1 selects TTBR0 or TTBR1; TCR.AS = 0 means 8 bits.
  uint16_t asid() const;
};

// One translation result as a TLB caches it: a page (level 3) or block (levels 1, 2).
struct Leaf {
  uint64_t va = 0;     // canonical VA of the mapping's first byte
  uint64_t pa = 0;     // PA of the mapping's first byte
  uint16_t asid = 0;   // ASID it was walked under (meaningless when global)
  uint8_t level = 0;   // 1..3; 0 marks an empty TLB slot
  uint8_t perms = 0;   // perm_bit() set, WXN and hierarchical controls applied
  uint8_t attr = 0;    // MAIR attribute byte
  uint8_t sh = 0;      // SH[1:0]
  bool global = false; // nG == 0

  static constexpr unsigned shift_of(unsigned level) { return 12 + 9 * (3 - level); }
  unsigned shift() const { return shift_of(level); }
  uint64_t size() const { return uint64_t{1} << shift(); }
  uint64_t pa_of(uint64_t canonical_va) const { return pa + (canonical_va & (size() - 1)); }
};

// VA with the tag byte replaced by copies of bit 55 when TBI applies to its half (Arm ARM
// D8.8 "Address tagging"; TBI applies whether or not stage 1 is enabled).
uint64_t canonical_va(const Regime& r, uint64_t va);

struct Walk {
  Fault fault;
  Leaf leaf;
};

// The translation table walk for canonical va with stage 1 enabled (AArch64.S1Walk):
// translation, address size, walk external abort and access flag faults, in that
// priority. Permission checks are the caller's: an alignment fault caused by the memory
// type takes priority over them (Arm ARM R_XCHFJ). The ASID recorded is r.asid().
Walk walk(const PhysMem& mem, const Regime& r, uint64_t va);

// Stage 1 disabled (AArch64.S1DisabledOutput): flat mapping of one page, all permissions,
// data attributes Device-nGnRnE; a VA above the PA size is an address size fault, level 0.
Walk identity(const Regime& r, uint64_t va);

}  // namespace cpu::mmu
