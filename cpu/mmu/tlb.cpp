#include "cpu/mmu/tlb.h"

namespace cpu::mmu {
namespace {
// Whether entry e (valid) maps canonical va: equal above the mapping's size.
bool covers(const Leaf& e, uint64_t va) { return ((e.va ^ va) >> e.shift()) == 0; }
}  // namespace

unsigned Tlb::set_of(uint64_t va, unsigned level) {
  const uint64_t vpn = va >> Leaf::shift_of(level);
  // Fold the higher VPN bits in so TTBR0 and TTBR1 pages with equal low bits spread, and
  // salt by level so blocks and pages of one region do not share sets.
  return static_cast<unsigned>((vpn ^ (vpn >> kSetBits) ^ (vpn >> (2 * kSetBits)) ^ (level * 0x5bu)) & (kSets - 1));
}

const Leaf* Tlb::lookup(uint64_t va, uint16_t asid) const {
  for (unsigned level = 3; level >= 1; --level) {
    if (per_level_[level] == 0) continue;
    for (const Leaf& e : sets_[set_of(va, level)]) {
      if (e.level == level && covers(e, va) && (e.global || e.asid == asid)) return &e;
    }
  }
  return nullptr;
}

void Tlb::insert(const Leaf& leaf) {
  auto& set = sets_[set_of(leaf.va, leaf.level)];
  Leaf* slot = nullptr;
  for (Leaf& e : set) {
    // Replace an entry for the same mapping rather than caching it twice.
    if (e.level == leaf.level && e.va == leaf.va && e.global == leaf.global && (e.global || e.asid == leaf.asid)) {
      slot = &e;
      break;
    }
    if (slot == nullptr && e.level == 0) slot = &e;
  }
  if (slot == nullptr) {
    uint8_t& v = victim_[set_of(leaf.va, leaf.level)];
    slot = &set[v];
    v = static_cast<uint8_t>((v + 1) % kWays);
  }
  drop(*slot);
  *slot = leaf;
  ++per_level_[leaf.level];
}

void Tlb::drop(Leaf& e) {
  if (e.level != 0) --per_level_[e.level];
  e.level = 0;
}

void Tlb::invalidate_all() {
  // A TLB with no valid leaf (a new or just-reset vCPU: every reset flushes) has nothing to
  // drop; walking its sets was a fifth of a vCPU reset's cost.
  if (per_level_[1] == 0 && per_level_[2] == 0 && per_level_[3] == 0) return;
  for (auto& set : sets_)
    for (Leaf& e : set) e.level = 0;
  per_level_.fill(0);
}

void Tlb::invalidate_va(uint64_t va, std::optional<uint16_t> asid) {
  for (unsigned level = 1; level <= 3; ++level) {
    if (per_level_[level] == 0) continue;
    for (Leaf& e : sets_[set_of(va, level)]) {
      if (e.level != level || !covers(e, va)) continue;
      if (asid && !e.global && e.asid != *asid) continue;
      drop(e);
    }
  }
}

void Tlb::invalidate_asid(uint16_t asid) {
  for (auto& set : sets_)
    for (Leaf& e : set)
      if (e.level != 0 && !e.global && e.asid == asid) drop(e);
}

unsigned Tlb::occupancy() const { return per_level_[1] + per_level_[2] + per_level_[3]; }

}  // namespace cpu::mmu
