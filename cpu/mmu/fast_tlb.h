// The soft TLB the interpreter's load/store fast path reads (the QEMU "addend" scheme): per
// permission view, a direct-mapped table from a VA page to the host address of the guest
// RAM page it maps. It caches only the current translation context (ASID, TTBRs, regime
// registers): the tagged architectural TLB (tlb.h) is what survives context changes, and
// this table is flushed whenever the context or any TLB entry changes.
//
// A tag is the VA of the page (its low 12 bits zero) when the view may perform that kind
// of access, so a hit is a single compare of (va & (page mask | alignment mask)) with the
// tag: misaligned accesses, accesses the view may not perform, Device memory and anything
// outside RAM all miss and take the slow path, which does the architectural checks.
#pragma once

#include <array>
#include <cstdint>

#include "cpu/arch/bits.h"
#include "cpu/mmu/walk.h"
#include "cpu/phys_mem.h"

namespace cpu::mmu {

struct FastEntry {
  uint64_t read;
  uint64_t write;
  uint64_t exec;
  uintptr_t addend;  // host address = VA + addend
};

class FastTlb {
 public:
  static constexpr unsigned kBits = 8;
  static constexpr unsigned kSize = 1u << kBits;
  static constexpr uint64_t kPageMask = ~(kPageSize - 1);
  // Never equal to a masked address: its bits [11:3] are set, which the alignment masks
  // (at most 15) always clear.
  static constexpr uint64_t kInvalid = ~uint64_t{0};
  // Set in the tags of Device pages so every access to them takes the slow path; bit 11
  // is above any alignment mask, so no masked address has it.
  static constexpr uint64_t kSlowPath = uint64_t{1} << 11;

  FastTlb() { flush(); }

  static unsigned index(uint64_t va) { return static_cast<unsigned>(va >> kPageShift) & (kSize - 1); }
  const FastEntry& entry(View view, uint64_t va) const { return views_[view][index(va)]; }

  // Whether e holds va for this kind of access: align_mask = access size - 1 for a
  // naturally aligned access (which then cannot cross the page).
  template <AccessType kType>
  static bool hit(const FastEntry& e, uint64_t va, uint64_t align_mask) {
    const uint64_t tag = kType == AccessType::kRead ? e.read : kType == AccessType::kWrite ? e.write : e.exec;
    return tag == (va & (kPageMask | align_mask));
  }
  static uint8_t* host(const FastEntry& e, uint64_t va) { return reinterpret_cast<uint8_t*>(va + e.addend); }
  // Host address of a hit, or nullptr.
  template <AccessType kType>
  uint8_t* lookup(View view, uint64_t va, uint64_t align_mask) const {
    const FastEntry& e = entry(view, va);
    return hit<kType>(e, va, align_mask) ? host(e, va) : nullptr;
  }

  // Caches the translation of va's page for one view. perms are the leaf's perm bits;
  // host is the host address of the page's first byte.
  void fill(View view, uint64_t va, uint8_t perms, bool device, uint8_t* host, unsigned leaf_level) {
    const uint64_t page = va & kPageMask;
    const uint64_t slow = device ? kSlowPath : 0;
    FastEntry& e = views_[view][index(va)];
    e.read = (perms & perm_bit(view, AccessType::kRead)) ? (page | slow) : kInvalid;
    e.write = (perms & perm_bit(view, AccessType::kWrite)) ? (page | slow) : kInvalid;
    e.exec = (perms & perm_bit(view, AccessType::kExec)) ? page : kInvalid;
    e.addend = reinterpret_cast<uintptr_t>(host) - page;
    filled_ = true;
    if (leaf_level < 3) {
      // Pages cut from a block: a TLBI by VA anywhere in that block must drop them all,
      // so remember the span they cover (QEMU tracks large pages the same way). The span
      // is kept in tag-free form, as TLBI addresses are.
      const uint64_t untagged = untag(page);
      if (block_lo_ > untagged) block_lo_ = untagged;
      if (block_hi_ < untagged) block_hi_ = untagged;
    }
  }

  void flush() {
    // Every vCPU reset and context change flushes; an empty table (the common case there)
    // is not rewritten, which was a tenth of a vCPU reset's cost.
    if (!filled_) return;
    filled_ = false;
    for (auto& view : views_) view.fill(FastEntry{kInvalid, kInvalid, kInvalid, 0});
    block_lo_ = kInvalid;
    block_hi_ = 0;
  }
  // Drops what a TLBI by VA removed: the page's slot in every view (tagged aliases of va
  // share it), or everything when a block containing va (at most 1 GiB) may have left
  // pages in the table. Returns true in the second case.
  bool flush_va(uint64_t va) {
    const uint64_t page = untag(va & kPageMask);
    if ((page | kMaxBlockMask) >= block_lo_ && (page & ~kMaxBlockMask) <= block_hi_) {
      flush();
      return true;
    }
    for (auto& view : views_) view[index(va)] = FastEntry{kInvalid, kInvalid, kInvalid, 0};
    return false;
  }

  // A VA as TLBI operands name it: the tag byte replaced by the sign of bit 55.
  static uint64_t untag(uint64_t va) { return static_cast<uint64_t>(arch::sign_extend(va, 56)); }

 private:
  static constexpr uint64_t kMaxBlockMask = (uint64_t{1} << 30) - 1;  // level 1 block

  std::array<std::array<FastEntry, kSize>, kNumViews> views_;
  uint64_t block_lo_ = kInvalid, block_hi_ = 0;
  bool filled_ = true;  // some entry may be valid (true at construction: views_ is not yet written)
};

}  // namespace cpu::mmu
