#include "cpu/interp/fusion.h"

#include <algorithm>
#include <array>

#include "cpu/interp/visitor.h"

namespace cpu::interp {
namespace {

using decoder::InsnId;

// CMP/SUBS (immediate, or register with no shift; fuse_* checks the form).
constexpr std::array kSubs = {InsnId::SUBS_imm, InsnId::SUBS_sreg};
constexpr std::array kSelects = {InsnId::CSEL, InsnId::CSINC, InsnId::CSINV, InsnId::CSNEG};
constexpr std::array kBCond = {InsnId::B_cond};
// LDR Wt/Xt with an immediate offset (unsigned scaled, or unscaled).
constexpr std::array kLoads = {InsnId::LDST_uimm, InsnId::LDST_unscaled};
constexpr std::array kZeroBranches = {InsnId::CBZ, InsnId::CBNZ};

bool fuse_b_cond(DecodedInst& subs, const DecodedInst&, InsnId) { return fuse_with_b_cond(subs); }
bool fuse_csel(DecodedInst& subs, const DecodedInst& sel, InsnId) { return fuse_with_csel(subs, sel); }
bool fuse_cbz(DecodedInst& load, const DecodedInst& cbz, InsnId id) {
  return fuse_load_with_cbz(load, cbz, id == InsnId::CBNZ);
}

// Why each pair: a compare feeding a select sits on the data path of branch-free code (a
// CRC step, a min/max), where NZCV would otherwise round-trip through memory; a compare
// closing a loop with B.cond spares the branch a dispatch; a load whose value the closing
// CBZ/CBNZ tests is a list walk's step.
constexpr FusionRule kRules[] = {
    {"SUBS + CSEL/CSINC/CSINV/CSNEG", kSubs, kSelects, FusePlace::kAnywhere, fuse_csel},
    {"SUBS + B.cond", kSubs, kBCond, FusePlace::kBlockEnd, fuse_b_cond},
    {"LDR + CBZ/CBNZ", kLoads, kZeroBranches, FusePlace::kBlockEnd, fuse_cbz},
};

bool contains(std::span<const InsnId> ids, InsnId id) { return std::find(ids.begin(), ids.end(), id) != ids.end(); }

}  // namespace

std::span<const FusionRule> fusion_rules() { return kRules; }

const FusionRule* fusion_rule(InsnId first, InsnId second, FusePlace place) {
  for (const FusionRule& r : kRules)
    if (r.place == place && contains(r.first, first) && contains(r.second, second)) return &r;
  return nullptr;
}

}  // namespace cpu::interp
