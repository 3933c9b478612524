// The architectural TLB of one vCPU: a set-associative cache of stage-1 leaves tagged by
// ASID and the global bit, so TLBI by VA, by ASID and by VA for all ASIDs can be honoured
// exactly, and a change of ASID keeps other address spaces' entries (Arm ARM D8.14
// "Translation Lookaside Buffers"). Blocks are cached at their own size: a lookup probes
// the set of each leaf size present, most specific first.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "cpu/mmu/walk.h"

namespace cpu::mmu {

class Tlb {
 public:
  static constexpr unsigned kSetBits = 8;
  static constexpr unsigned kSets = 1u << kSetBits;
  static constexpr unsigned kWays = 4;

  Tlb() { invalidate_all(); }

  // The entry mapping canonical va for this ASID (global entries match every ASID).
  const Leaf* lookup(uint64_t va, uint16_t asid) const;
  // Caches a leaf; the set's round-robin victim is replaced when it is full.
  void insert(const Leaf& leaf);

  // TLBI VMALLE1: every entry of the EL1&0 regime.
  void invalidate_all();
  // TLBI VAE1/VALE1 (asid given: entries of that ASID and global ones) and VAAE1/VAALE1
  // (no asid: every ASID), for the entries whose mapping contains canonical va. Without
  // walk caches, "last level only" selects the same entries.
  void invalidate_va(uint64_t va, std::optional<uint16_t> asid);
  // TLBI ASIDE1: the non-global entries of one ASID.
  void invalidate_asid(uint16_t asid);

  // Number of valid entries (tests).
  unsigned occupancy() const;

 private:
  static unsigned set_of(uint64_t va, unsigned level);
  void drop(Leaf& e);

  std::array<std::array<Leaf, kWays>, kSets> sets_{};
  std::array<uint8_t, kSets> victim_{};
  std::array<uint32_t, 4> per_level_{};  // valid entries per leaf level, to skip probes
};

}  // namespace cpu::mmu
