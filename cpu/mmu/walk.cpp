#include "cpu/mmu/walk.h"

#include <algorithm>
#include <cstring>

#include "cpu/mmu/fields.h"

namespace cpu::mmu {
namespace {

// 4 KiB granule: 9 VA bits resolved per level (Arm ARM D8.2.7 "Translation granule").
constexpr unsigned kStride = 9;
// TxSZ limits without FEAT_LVA (min 16: 48-bit VA) and FEAT_TTST (max 39). Outside them it
// is IMPLEMENTATION DEFINED whether the value is clamped or a level 0 Translation fault is
// raised; this model faults, as QEMU does.
constexpr unsigned kMinTxSZ = 16, kMaxTxSZ = 39;
// The OA field is 48 bits wide without FEAT_LPA.
constexpr unsigned kMaxOaBits = 48;

constexpr Walk fault_at(FaultKind kind, unsigned level) {
  return Walk{Fault{kind, static_cast<uint8_t>(level)}, Leaf{}};
}

bool out_of_range(uint64_t addr, unsigned bits) { return bits < 64 && (addr >> bits) != 0; }

// Stage-1 permissions of a leaf (pseudocode AArch64.S1DirectBasePermissions for the
// EL1&0 regime without PAN/EPAN): AP[2:1] with APTable applied, UXN/PXN with the table
// XN bits applied, EL0-writable memory is never privileged-executable, and WXN removes
// execute from anything writable at the same level.
uint8_t leaf_perms(uint64_t d, bool ap_table0, bool ap_table1, bool uxn_table, bool pxn_table, bool wxn) {
  const bool read_only = desc::AP_read_only(d) || ap_table1;
  const bool el0_access = desc::AP_el0(d) && !ap_table0;
  const bool priv_w = !read_only;
  const bool user_r = el0_access;
  const bool user_w = el0_access && !read_only;
  const bool user_x = !(desc::UXN(d) || uxn_table || (wxn && user_w));
  const bool priv_x = !(desc::PXN(d) || pxn_table || user_w || (wxn && priv_w));
  uint8_t p = perm_bit(kViewEl1, AccessType::kRead);
  if (priv_w) p |= perm_bit(kViewEl1, AccessType::kWrite);
  if (priv_x) p |= perm_bit(kViewEl1, AccessType::kExec);
  if (user_r) p |= perm_bit(kViewEl0, AccessType::kRead);
  if (user_w) p |= perm_bit(kViewEl0, AccessType::kWrite);
  if (user_x) p |= perm_bit(kViewEl0, AccessType::kExec);
  return p;
}

// Descriptor reads are little-endian 64-bit (SCTLR_EL1.EE = 0: big-endian not implemented).
// Tables may live in RAM or in any other memory slot, read-only ones included: KVM counts
// a stage-1 walk as a write only for a permission fault (hardware AF/DB updates), which
// this model never makes (kvm_is_write_fault()).
// A slot page the host has not populated stops the walk (FaultKind::kHostPage): the walk
// is a read (kvm_is_write_fault() counts an S1PTW as a write only for a permission fault).
enum class DescRead : uint8_t { kOk, kOutside, kHostPage };
DescRead read_descriptor(const PhysMem& mem, uint64_t pa, uint64_t& out) {
  if (mem.contains(pa, 8)) {
    out = guest_load<uint64_t>(mem.ptr(pa));
    return DescRead::kOk;
  }
  const SlotRegion* s = mem.slot(pa, 8);
  if (s == nullptr) return DescRead::kOutside;
  if (!mem.slot_page_present(s->ptr(pa), false)) return DescRead::kHostPage;
  out = guest_load<uint64_t>(s->ptr(pa));
  return DescRead::kOk;
}

}  // namespace

bool Regime::enabled() const { return sctlr::M(sctlr); }

uint16_t Regime::asid() const {
  const uint16_t a = ttbr::ASID(tcr::A1(tcr) ? ttbr1 : ttbr0);
  return tcr::AS(tcr) ? a : static_cast<uint16_t>(arch::bits<7, 0>(a));
}

uint64_t canonical_va(const Regime& r, uint64_t va) {
  const bool upper = arch::bit<55>(va);
  const bool tbi = upper ? tcr::TBI1(r.tcr) : tcr::TBI0(r.tcr);
  return tbi ? static_cast<uint64_t>(arch::sign_extend(va, 56)) : va;
}

Walk identity(const Regime& r, uint64_t va) {
  if (out_of_range(va, r.parange_bits)) return fault_at(FaultKind::kAddressSize, 0);
  Leaf l;
  l.va = va & ~(kPageSize - 1);
  l.pa = l.va;
  l.level = 3;
  l.perms = 0x3f;
  l.attr = 0x00;  // Device-nGnRnE for data (Arm ARM D8.2.11); fetches are Normal
  l.sh = 0b10;
  l.global = true;
  return Walk{Fault{}, l};
}

Walk walk(const PhysMem& mem, const Regime& r, uint64_t va) {
  const bool upper = arch::bit<55>(va);
  const uint64_t tcr = r.tcr;
  const unsigned tsz = upper ? tcr::T1SZ(tcr) : tcr::T0SZ(tcr);
  const bool epd = upper ? tcr::EPD1(tcr) : tcr::EPD0(tcr);
  // Only the 4 KiB granule is implemented (ID_AA64MMFR0_EL1.TGran16 = 0, TGran64 = 0xF).
  // A TGn naming another granule would be treated as an implemented size (IMPLEMENTATION
  // DEFINED which); this model instead reports a level 0 Translation fault so a guest
  // that assumes 16K/64K fails loudly at its first access.
  const bool granule_ok = upper ? tcr::TG1(tcr) == tcr::kTg1Granule4K : tcr::TG0(tcr) == tcr::kTg0Granule4K;
  if (!granule_ok || tsz < kMinTxSZ || tsz > kMaxTxSZ) return fault_at(FaultKind::kTranslation, 0);

  // The VA must lie in the half TTBRn covers: bits [63:inputsize] all equal to bit 55
  // (after TBI). The gap between the halves is a level 0 Translation fault.
  const unsigned inputsize = 64 - tsz;
  const int64_t top = static_cast<int64_t>(va) >> inputsize;
  if (top != (upper ? -1 : 0)) return fault_at(FaultKind::kTranslation, 0);
  // EPDn: a TLB miss on this half does not walk (Arm ARM D19.2 TCR_EL1.EPD0).
  if (epd) return fault_at(FaultKind::kTranslation, 0);

  // Output size: TCR.IPS bounded by the implemented PA size (pseudocode AArch64.PAMax).
  const unsigned oa_bits = std::min({static_cast<unsigned>(kPaBitsByEncoding[tcr::IPS(tcr)]), r.parange_bits, kMaxOaBits});

  // Start level (AArch64.S1StartLevel): 4 - RoundUp((inputsize - 12) / 9).
  unsigned level = 4 - (inputsize - 4) / kStride;
  const uint64_t ttbr = upper ? r.ttbr1 : r.ttbr0;
  uint64_t table = ttbr::BADDR(ttbr);
  if (out_of_range(table, oa_bits)) return fault_at(FaultKind::kAddressSize, 0);
  // The start table is aligned to its size; the BADDR bits below that are RES0.
  const unsigned start_index_bits = inputsize - Leaf::shift_of(level);
  table &= ~((uint64_t{8} << start_index_bits) - 1);

  bool ap_table0 = false, ap_table1 = false, uxn_table = false, pxn_table = false;
  for (;;) {
    const unsigned shift = Leaf::shift_of(level);
    const unsigned index_bits = std::min(kStride, inputsize - shift);
    const uint64_t index = arch::bits_dyn(va, shift + index_bits - 1, shift);
    uint64_t d;
    if (const DescRead rd = read_descriptor(mem, table + index * 8, d); rd != DescRead::kOk)
      return fault_at(rd == DescRead::kOutside ? FaultKind::kWalkExternal : FaultKind::kHostPage, level);
    // Invalid, or 0b01 (block) at level 3 which is reserved, or a block at level 0 which
    // the 4 KiB granule does not have (Arm ARM D8.3.1).
    if (!desc::valid(d)) return fault_at(FaultKind::kTranslation, level);
    const bool tp = desc::table_or_page(d);
    if ((level == 3 && !tp) || (level == 0 && !tp)) return fault_at(FaultKind::kTranslation, level);
    const uint64_t oa = desc::OA(d);
    if (out_of_range(oa, oa_bits)) return fault_at(FaultKind::kAddressSize, level);
    if (tp && level < 3) {
      // Table descriptor: the hierarchical controls accumulate towards the leaf.
      ap_table0 |= desc::APTable0(d);
      ap_table1 |= desc::APTable1(d);
      uxn_table |= desc::UXNTable(d);
      pxn_table |= desc::PXNTable(d);
      table = oa;
      ++level;
      continue;
    }
    if (!desc::AF(d)) return fault_at(FaultKind::kAccessFlag, level);
    Leaf l;
    l.level = static_cast<uint8_t>(level);
    l.va = va & ~(l.size() - 1);
    l.pa = oa & ~(l.size() - 1);
    l.asid = r.asid();
    l.perms = leaf_perms(d, ap_table0, ap_table1, uxn_table, pxn_table, sctlr::WXN(r.sctlr));
    l.attr = mair_attr(r.mair, desc::AttrIndx(d));
    l.sh = static_cast<uint8_t>(desc::SH(d));
    l.global = !desc::nG(d);
    return Walk{Fault{}, l};
  }
}

}  // namespace cpu::mmu
