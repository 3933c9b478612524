#include "cpu/timing/bpred.h"

#include <algorithm>

namespace cpu::timing {
namespace {
uint32_t table_bits(const CoreTimingParams& p) {
  return p.predictor == PredictorKind::kTage ? std::min<uint32_t>(p.history_bits + 4, 20) : p.history_bits;
}
size_t table_size(const CoreTimingParams& p, bool used) { return used ? size_t{1} << table_bits(p) : 0; }
bool uses_gshare(PredictorKind k) {
  return k == PredictorKind::kGshare || k == PredictorKind::kTage || k == PredictorKind::kTournament;
}
bool uses_bimodal(PredictorKind k) { return k == PredictorKind::kBimodal || k == PredictorKind::kTournament; }
}  // namespace

BranchPredictor::BranchPredictor(const CoreTimingParams& p)
    : kind_(p.predictor),
      gshare_only_(p.predictor == PredictorKind::kGshare || p.predictor == PredictorKind::kTage),
      mask_((uint64_t{1} << table_bits(p)) - 1),
      gshare_(table_size(p, uses_gshare(p.predictor))),
      bimodal_(table_size(p, uses_bimodal(p.predictor))),
      chooser_(table_size(p, p.predictor == PredictorKind::kTournament)),
      btb_index_(std::max<uint32_t>(p.btb_entries, 1)),
      btb_(std::max<uint32_t>(p.btb_entries, 1)),
      ras_(std::max<uint32_t>(p.ras_entries, 1), 0) {}

// A conditional branch under the predictor kinds other than the inline gshare case. Each
// kind reads and trains only its own tables: the others would never be read.
bool BranchPredictor::conditional(uint64_t pc, bool taken, uint64_t target) {
  const uint64_t pcx = pc >> 2;
  switch (kind_) {
    case PredictorKind::kStatic:
      return (target < pc) != taken;  // backward taken, forward not
    case PredictorKind::kBimodal:
      return (bimodal_.bump(pcx & mask_, taken) >= kWeaklyTaken) != taken;
    case PredictorKind::kTournament: {
      const uint64_t gi = (pcx ^ history_) & mask_;
      const bool bim_ok = (bimodal_.get(pcx & mask_) >= kWeaklyTaken) == taken;
      const bool gsh_ok = (gshare_.get(gi) >= kWeaklyTaken) == taken;
      const bool mispredict = !(chooser_.get(pcx & mask_) >= kWeaklyTaken ? gsh_ok : bim_ok);
      if (bim_ok != gsh_ok) chooser_.bump(pcx & mask_, gsh_ok);
      bimodal_.bump(pcx & mask_, taken);
      gshare_.bump(gi, taken);
      history_ = ((history_ << 1) | (taken ? 1 : 0)) & mask_;
      return mispredict;
    }
    case PredictorKind::kGshare:
    case PredictorKind::kTage:
      break;
  }
  const bool mispredict = (gshare_.bump((pcx ^ history_) & mask_, taken) >= kWeaklyTaken) != taken;
  history_ = ((history_ << 1) | (taken ? 1 : 0)) & mask_;
  return mispredict;
}

bool BranchPredictor::predict_and_update_slow(BranchKind kind, uint64_t pc, bool taken, uint64_t target) {
  BtbEntry& btb = btb_entry(pc);
  const uint32_t ras_n = static_cast<uint32_t>(ras_.size());
  bool mispredict = false;
  switch (kind) {
    case BranchKind::kDirect:
    case BranchKind::kCall:
      break;
    case BranchKind::kConditional:
      mispredict = conditional(pc, taken, target);
      break;
    case BranchKind::kIndirect:
    case BranchKind::kIndirectCall:
      mispredict = btb.tag != pc || btb.target != target;
      break;
    case BranchKind::kReturn:
      if (ras_count_ == 0) {
        mispredict = btb.tag != pc || btb.target != target;
      } else {
        ras_top_ = ras_top_ == 0 ? ras_n - 1 : ras_top_ - 1;
        --ras_count_;
        mispredict = ras_[ras_top_] != target;
      }
      break;
  }
  if (kind == BranchKind::kCall || kind == BranchKind::kIndirectCall) {
    ras_[ras_top_] = pc + 4;
    ras_top_ = ras_top_ + 1 == ras_n ? 0 : ras_top_ + 1;
    ras_count_ = std::min(ras_count_ + 1, ras_n);
  }
  if (taken) btb = {pc, target};
  return mispredict;
}

}  // namespace cpu::timing
