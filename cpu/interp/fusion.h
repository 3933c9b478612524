// Instruction pairs that run as one handler while a block chains (docs/interpreter.md,
// "Fused pairs"). This table is the whole truth about fusion: which pairs, where in the block
// they must sit, and the function that gives the first instruction its fused handler.
// Core::build_block reads it; nothing else decides what fuses.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "cpu/core.h"
#include "cpu/decoder/decoder.h"

namespace cpu::interp {

enum class FusePlace : uint8_t {
  kAnywhere,  // the two may sit anywhere in the block, one right after the other
  kBlockEnd,  // the second one ends the block (a branch: the fused handler chains on)
};

struct FusionRule {
  std::string_view name;
  std::span<const decoder::InsnId> first, second;
  FusePlace place;
  // Gives `first` its fused handler if its form has one (the second keeps its own, which runs
  // one instruction at a time); returns whether it did.
  bool (*fuse)(DecodedInst& first, const DecodedInst& second, decoder::InsnId second_id);
};

std::span<const FusionRule> fusion_rules();
// The rule for the pair (first, second) at `place`, or nullptr.
const FusionRule* fusion_rule(decoder::InsnId first, decoder::InsnId second, FusePlace place);

}  // namespace cpu::interp
