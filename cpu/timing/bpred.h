// Branch prediction: a direction predictor (static, bimodal, gshare or a bimodal/gshare
// tournament; "tage" is modelled as a long-history gshare, see docs/timing.md), a
// direct-mapped BTB for targets and a return stack.
#pragma once

#include <cstdint>
#include <vector>

#include "cpu/timing/params.h"

namespace cpu::timing {

enum class BranchKind : uint8_t { kDirect, kConditional, kIndirect, kCall, kIndirectCall, kReturn };

class BranchPredictor {
 public:
  explicit BranchPredictor(const CoreTimingParams& p);
  // Predicts the branch at pc, then trains on the real outcome. Returns true when the
  // prediction (direction or target) was wrong.
  bool predict_and_update(BranchKind kind, uint64_t pc, bool taken, uint64_t target);

 private:
  bool predict_direction(uint64_t pc) const;
  void train_direction(uint64_t pc, bool taken);

  PredictorKind kind_;
  uint32_t history_bits_;
  uint64_t history_ = 0;
  std::vector<uint8_t> gshare_;   // 2-bit counters indexed by pc ^ history
  std::vector<uint8_t> bimodal_;  // 2-bit counters indexed by pc
  std::vector<uint8_t> chooser_;  // tournament: 2-bit, >= 2 selects gshare
  std::vector<uint64_t> btb_tag_, btb_target_;
  std::vector<uint64_t> ras_;
  uint32_t ras_top_ = 0;
  uint32_t ras_count_ = 0;
};

}  // namespace cpu::timing
