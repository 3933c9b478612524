// Branch prediction: a direction predictor (static, bimodal, gshare or a bimodal/gshare
// tournament; "tage" is modelled as a long-history gshare, see docs/timing.md), a
// direct-mapped BTB for targets and a return stack.
//
// Only the tables a predictor kind reads are kept: gshare (and tage) a gshare table and the
// global history, bimodal a bimodal table, tournament all three, static none. The hot case,
// a conditional branch under a gshare-style predictor, is inline.
#pragma once

#include <cstdint>
#include <vector>

#include "cpu/timing/mod_index.h"
#include "cpu/timing/params.h"

namespace cpu::timing {

enum class BranchKind : uint8_t { kDirect, kConditional, kIndirect, kCall, kIndirectCall, kReturn };

// A table of 2-bit saturating counters, one per byte (packing four to a byte made the
// tage-class tables, 2^20 counters, smaller but not faster on the benchmarks).
class CounterTable {
 public:
  static constexpr uint8_t kWeaklyTaken = 2;
  explicit CounterTable(size_t n) : c_(n, kWeaklyTaken) {}
  uint8_t get(uint64_t i) const { return c_[i]; }
  // Moves counter i one step towards `up` (saturating, no branch on the direction); returns
  // its value before the step.
  uint8_t bump(uint64_t i, bool up) {
    const uint8_t c = c_[i];
    c_[i] = static_cast<uint8_t>(c + (up & (c < 3)) - (!up & (c > 0)));
    return c;
  }

 private:
  std::vector<uint8_t> c_;
};

class BranchPredictor {
 public:
  explicit BranchPredictor(const CoreTimingParams& p);
  // Predicts the branch at pc, then trains on the real outcome. Returns true when the
  // prediction (direction or target) was wrong.
  [[gnu::always_inline]] bool predict_and_update(BranchKind kind, uint64_t pc, bool taken, uint64_t target) {
    if (kind == BranchKind::kConditional && gshare_only_) {
      const uint8_t c = gshare_.bump(((pc >> 2) ^ history_) & mask_, taken);
      const bool mispredict = (c >= kWeaklyTaken) != taken;
      history_ = ((history_ << 1) | (taken ? 1 : 0)) & mask_;
      btb_fill_if(taken, pc, target);
      return mispredict;
    }
    if (kind == BranchKind::kDirect) {
      // Direct targets are known at decode: only a BTB miss costs (counted as correct here;
      // the front end pays a decode bubble, folded into the pipeline model).
      if (taken) btb_fill(pc, target);
      return false;
    }
    return predict_and_update_slow(kind, pc, taken, target);
  }

 private:
  static constexpr uint8_t kWeaklyTaken = CounterTable::kWeaklyTaken;
  struct BtbEntry {
    uint64_t tag = ~uint64_t{0};
    uint64_t target = 0;
  };
  // Direct-mapped on PC[..:2].
  BtbEntry& btb_entry(uint64_t pc) { return btb_[btb_index_(pc >> 2)]; }
  void btb_fill(uint64_t pc, uint64_t target) { btb_entry(pc) = {pc, target}; }
  // btb_fill when `taken`, with no branch on the direction.
  void btb_fill_if(bool taken, uint64_t pc, uint64_t target) {
    BtbEntry& e = btb_entry(pc);
    e.tag = taken ? pc : e.tag;
    e.target = taken ? target : e.target;
  }
  bool predict_and_update_slow(BranchKind kind, uint64_t pc, bool taken, uint64_t target);
  bool conditional(uint64_t pc, bool taken, uint64_t target);

  PredictorKind kind_;
  bool gshare_only_;  // gshare or tage: the direction is the gshare table's
  uint64_t mask_;     // 2^history_bits - 1
  uint64_t history_ = 0;
  CounterTable gshare_;   // indexed by pc ^ history
  CounterTable bimodal_;  // indexed by pc
  CounterTable chooser_;  // tournament: >= 2 selects gshare
  ModIndex btb_index_;
  std::vector<BtbEntry> btb_;
  std::vector<uint64_t> ras_;
  uint32_t ras_top_ = 0;
  uint32_t ras_count_ = 0;
};

}  // namespace cpu::timing
