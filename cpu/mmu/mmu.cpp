#include "cpu/mmu/mmu.h"

namespace cpu::mmu {

Mmu::Change Mmu::load(const Regime& r) {
  const bool all = ((r.sctlr ^ regs_.sctlr) & sctlr::kTranslationBits) != 0 || r.tcr != regs_.tcr ||
                   r.mair != regs_.mair || r.parange_bits != regs_.parange_bits;
  const bool context = r.ttbr0 != regs_.ttbr0 || r.ttbr1 != regs_.ttbr1;
  const bool checks = sctlr::A(r.sctlr) != sctlr::A(regs_.sctlr);
  regs_ = r;
  enabled_ = r.enabled();
  asid_ = r.asid();
  if (all) {
    flush_all();
    return Change::kAll;
  }
  if (context) {
    // The fast table holds the old context's translations; the tagged TLB keeps them
    // under their ASID (a new BADDR with the same ASID needs TLBI architecturally).
    fast_.flush();
    return Change::kContext;
  }
  return checks ? Change::kChecks : Change::kNone;
}

void Mmu::flush_all() {
  tlb_.invalidate_all();
  fast_.flush();
}

Translation Mmu::translate(uint64_t va) {
  const uint64_t cva = canonical_va(regs_, va);
  Translation t;
  Walk w;
  const Leaf* leaf;
  if (!enabled_) {
    w = identity(regs_, cva);
    leaf = &w.leaf;
  } else {
    leaf = tlb_.lookup(cva, asid_);
    if (leaf == nullptr) {
      w = walk(mem_, regs_, cva);
      if (w.fault.ok()) tlb_.insert(w.leaf);
      leaf = &w.leaf;
    }
  }
  if (!w.fault.ok()) {
    t.fault = w.fault;
    return t;
  }
  t.pa = leaf->pa_of(cva);
  t.level = leaf->level;
  t.perms = leaf->perms;
  t.attr = leaf->attr;
  t.sh = leaf->sh;
  return t;
}

Fault Mmu::check_permission(const Translation& t, View view, AccessType type) {
  if (t.perms & perm_bit(view, type)) return Fault{};
  return Fault{FaultKind::kPermission, t.level};
}

void Mmu::fill_fast(View view, uint64_t va, const Translation& t) {
  const uint64_t page = t.pa & FastTlb::kPageMask;
  if (!mem_.contains(page, kPageSize)) return;  // MMIO (or a partial page): always slow
  // With stage 1 disabled the flat mapping is Device-nGnRnE for data, but this model
  // does not alignment-check MMU-off accesses (see data_access.cpp), so it is cached as
  // ordinary memory.
  fast_.fill(view, va, t.perms, enabled_ && t.device(), mem_.ptr(page), t.level);
}

bool Mmu::tlbi(TlbiOp op, uint64_t operand) {
  const uint64_t va = tlbi_operand::VA(operand);
  const uint16_t asid = tlbi_operand::ASID(operand);
  switch (op) {
    case TlbiOp::kVmallE1:
      flush_all();
      break;
    case TlbiOp::kVaE1:
    case TlbiOp::kVaLE1:
      tlb_.invalidate_va(va, asid);
      return fast_.flush_va(va);
    case TlbiOp::kVaaE1:
    case TlbiOp::kVaaLE1:
      tlb_.invalidate_va(va, std::nullopt);
      return fast_.flush_va(va);
    case TlbiOp::kAsidE1:
      tlb_.invalidate_asid(asid);
      // The fast table holds only the current ASID's entries (and global ones, which
      // ASIDE1 keeps).
      if (asid == asid_) fast_.flush();
      break;
  }
  return true;
}

uint64_t Mmu::at(uint64_t va, View view, AccessType type, Fault& walk_abort) {
  walk_abort = Fault{};
  const Translation t = translate(va);
  if (t.fault.kind == FaultKind::kWalkExternal || t.fault.kind == FaultKind::kHostPage) {
    walk_abort = t.fault;
    return 0;
  }
  if (!t.fault.ok()) return par::failure(fault_status(t.fault));
  if (const Fault p = check_permission(t, view, type); !p.ok()) return par::failure(fault_status(p));
  // PAREncodeShareability(): Device and Normal Non-cacheable memory read as Outer Shareable.
  const unsigned sh = (t.device() || attr_is_noncacheable(t.attr)) ? 0b10 : t.sh;
  return par::success(t.pa, t.attr, sh);
}

}  // namespace cpu::mmu
