#include "cpu/timing/bpred.h"

#include <algorithm>

namespace cpu::timing {
namespace {
constexpr uint8_t kWeaklyTaken = 2;
inline void bump(uint8_t& c, bool up) {
  if (up && c < 3) ++c;
  if (!up && c > 0) --c;
}
}  // namespace

BranchPredictor::BranchPredictor(const CoreTimingParams& p)
    : kind_(p.predictor),
      history_bits_(p.predictor == PredictorKind::kTage ? std::min<uint32_t>(p.history_bits + 4, 20) : p.history_bits),
      gshare_(size_t{1} << history_bits_, kWeaklyTaken),
      bimodal_(size_t{1} << history_bits_, kWeaklyTaken),
      chooser_(size_t{1} << history_bits_, kWeaklyTaken),
      btb_tag_(std::max<uint32_t>(p.btb_entries, 1), ~uint64_t{0}),
      btb_target_(std::max<uint32_t>(p.btb_entries, 1), 0),
      ras_(std::max<uint32_t>(p.ras_entries, 1), 0) {}

bool BranchPredictor::predict_direction(uint64_t pc) const {
  const uint64_t mask = (uint64_t{1} << history_bits_) - 1;
  const uint64_t pcx = pc >> 2;
  const bool bim = bimodal_[pcx & mask] >= kWeaklyTaken;
  const bool gsh = gshare_[(pcx ^ history_) & mask] >= kWeaklyTaken;
  switch (kind_) {
    case PredictorKind::kStatic: return false;  // overridden for backward branches by the caller
    case PredictorKind::kBimodal: return bim;
    case PredictorKind::kTournament: return chooser_[pcx & mask] >= kWeaklyTaken ? gsh : bim;
    default: return gsh;
  }
}

void BranchPredictor::train_direction(uint64_t pc, bool taken) {
  const uint64_t mask = (uint64_t{1} << history_bits_) - 1;
  const uint64_t pcx = pc >> 2;
  uint8_t& bim = bimodal_[pcx & mask];
  uint8_t& gsh = gshare_[(pcx ^ history_) & mask];
  if (kind_ == PredictorKind::kTournament) {
    const bool bim_ok = (bim >= kWeaklyTaken) == taken, gsh_ok = (gsh >= kWeaklyTaken) == taken;
    if (bim_ok != gsh_ok) bump(chooser_[pcx & mask], gsh_ok);
  }
  bump(bim, taken);
  bump(gsh, taken);
  history_ = ((history_ << 1) | (taken ? 1 : 0)) & mask;
}

bool BranchPredictor::predict_and_update(BranchKind kind, uint64_t pc, bool taken, uint64_t target) {
  // Direct-mapped on PC[..:2]; a mask instead of a 64-bit division when the size allows.
  const size_t n = btb_tag_.size();
  const size_t slot = (n & (n - 1)) == 0 ? ((pc >> 2) & (n - 1)) : (pc >> 2) % n;
  const bool btb_hit = btb_tag_[slot] == pc;
  bool mispredict = false;
  switch (kind) {
    case BranchKind::kDirect:
    case BranchKind::kCall:
      // Direct targets are known at decode: only a BTB miss costs (counted as correct here;
      // the front end pays a decode bubble, folded into the pipeline model).
      break;
    case BranchKind::kConditional: {
      bool pred = predict_direction(pc);
      if (kind_ == PredictorKind::kStatic) pred = target < pc;  // backward taken, forward not
      mispredict = pred != taken;
      train_direction(pc, taken);
      break;
    }
    case BranchKind::kIndirect:
    case BranchKind::kIndirectCall:
      mispredict = !btb_hit || btb_target_[slot] != target;
      break;
    case BranchKind::kReturn:
      if (ras_count_ == 0) {
        mispredict = !btb_hit || btb_target_[slot] != target;
      } else {
        ras_top_ = (ras_top_ + static_cast<uint32_t>(ras_.size()) - 1) % static_cast<uint32_t>(ras_.size());
        --ras_count_;
        mispredict = ras_[ras_top_] != target;
      }
      break;
  }
  if (kind == BranchKind::kCall || kind == BranchKind::kIndirectCall) {
    ras_[ras_top_] = pc + 4;
    ras_top_ = (ras_top_ + 1) % static_cast<uint32_t>(ras_.size());
    ras_count_ = std::min<uint32_t>(ras_count_ + 1, static_cast<uint32_t>(ras_.size()));
  }
  if (taken) {
    btb_tag_[slot] = pc;
    btb_target_[slot] = target;
  }
  return mispredict;
}

}  // namespace cpu::timing
