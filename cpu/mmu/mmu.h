// The stage-1 MMU of one vCPU for the EL1&0 regime: the register snapshot, the tagged TLB,
// the interpreter's fast table, TLB maintenance and AT. It owns no exception logic: faults
// are values the core turns into aborts (Arm ARM D8 "The AArch64 Virtual Memory System
// Architecture").
#pragma once

#include <cstdint>

#include "cpu/mmu/fast_tlb.h"
#include "cpu/mmu/fields.h"
#include "cpu/mmu/tlb.h"
#include "cpu/mmu/walk.h"
#include "cpu/phys_mem.h"

namespace cpu::mmu {

// TLB maintenance by (op, operand) for the EL1&0 regime (Arm ARM C5.5.x TLBI). The Inner
// Shareable forms perform the same operation; broadcasting them is the caller's business.
enum class TlbiOp : uint8_t {
  kVmallE1,  // every entry
  kVaE1,     // by VA and ASID (global entries too), all levels
  kAsidE1,   // by ASID, non-global entries
  kVaaE1,    // by VA, all ASIDs
  kVaLE1,    // by VA and ASID, last level
  kVaaLE1,   // by VA, all ASIDs, last level
};

// A translation before its permission check.
struct Translation {
  Fault fault;       // a walk fault, or none
  uint64_t pa = 0;
  uint8_t level = 3;
  uint8_t perms = 0;
  uint8_t attr = 0;
  uint8_t sh = 0;
  bool device() const { return attr_is_device(attr); }
};

class Mmu {
 public:
  explicit Mmu(const PhysMem& mem) : mem_(mem) {}

  // What a register load requires of the caller's derived state.
  enum class Change : uint8_t {
    kNone,     // nothing that translation depends on changed
    kChecks,   // only SCTLR.A: the fast path mode, not translations
    kContext,  // TTBR0/TTBR1 (ASID or base): the fast table was flushed
    kAll,      // SCTLR.{M,WXN}, TCR or MAIR: every cached translation was dropped
  };
  // Takes new register values. Changing TCR, MAIR or SCTLR.{M,WXN} requires TLB
  // maintenance architecturally; this model flushes conservatively instead. A TTBR write
  // keeps the tagged TLB (other ASIDs' entries stay valid, as on hardware).
  Change load(const Regime& r);
  const Regime& regime() const { return regs_; }
  bool enabled() const { return enabled_; }
  uint16_t asid() const { return asid_; }

  // Translates va (tagged or not) through the TLB, walking on a miss; faulting walks are
  // not cached. Stage 1 disabled gives the flat mapping.
  Translation translate(uint64_t va);
  // The permission fault of an access, if the leaf does not allow it.
  static Fault check_permission(const Translation& t, View view, AccessType type);
  // Caches a translation of va for view in the fast table when its page is guest RAM.
  void fill_fast(View view, uint64_t va, const Translation& t);
  FastTlb& fast() { return fast_; }
  const FastTlb& fast() const { return fast_; }
  const Tlb& tlb() const { return tlb_; }

  // Returns false only for a TLBI by VA that removed nothing but that page's entries (no
  // page cut from a block may have been affected): the caller may then limit its own
  // invalidation to that page.
  bool tlbi(TlbiOp op, uint64_t operand);
  // AT S1E0R/W and S1E1R/W (Arm ARM C5.5.x): the PAR_EL1 value. A synchronous external
  // abort on the walk is not reported in PAR but taken as a Data Abort: it is returned
  // in walk_abort, and the return value is then meaningless.
  uint64_t at(uint64_t va, View view, AccessType type, Fault& walk_abort);

  void flush_all();

 private:
  const PhysMem& mem_;
  Regime regs_;
  bool enabled_ = false;
  uint16_t asid_ = 0;
  Tlb tlb_;
  FastTlb fast_;
};

}  // namespace cpu::mmu
