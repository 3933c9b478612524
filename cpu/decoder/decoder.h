// Table-driven A64 decoder: cpu/decoder/a64.inc is the only list of encodings. Patterns
// are parsed at compile time into (mask, value); lookup goes through a 2048-bucket index on
// bits [31:21], each bucket holding its candidate rows most-specific first.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "cpu/core.h"
#include "cpu/decoder/features.h"
#include "cpu/decoder/roles.h"
#include "cpu/timing/timing_model.h"

namespace cpu::decoder {

enum class InsnId : uint16_t {
#define A64(name, ...) name,
#include "cpu/decoder/a64.inc"
#undef A64
  kCount,
  kUndefined = kCount,
};

// Fills inst.fn and its fields from an encoding of row `id` (inst.pc and inst.raw already
// set). Returns false for an unallocated combination inside the row's pattern.
using Predecode = bool (*)(DecodedInst& inst, uint32_t insn);

struct Row {
  InsnId id;
  std::string_view name;
  std::string_view mnemonics;  // space-separated: canonical first, then accepted aliases
  uint32_t mask;
  uint32_t value;
  Predecode predecode;
  timing::OpClass cls;  // the timing class (for kLdStByOpc/kLitPrfm rows, of the load form)
  roles::Roles roles;   // operand roles and control-flow facts (cpu/decoder/roles.h)
  Gate gate;            // the architecture features its encodings need (features.h)
};

consteval uint32_t pattern_mask(std::string_view p) {
  uint32_t m = 0;
  for (char c : p) m = (m << 1) | ((c == '0' || c == '1') ? 1u : 0u);
  return m;
}
consteval uint32_t pattern_value(std::string_view p) {
  uint32_t v = 0;
  for (char c : p) v = (v << 1) | (c == '1' ? 1u : 0u);
  return v;
}

const std::array<Row, static_cast<size_t>(InsnId::kCount)>& rows();

// The row whose pattern matches, or InsnId::kUndefined. Does not run the predecode check.
InsnId match(uint32_t insn);

// Full decode into a DecodedInst for a core with the features `have`: match, check the
// row's gate, then predecode; UNDEFINED encodings (no row, a feature the core lacks, or
// rejected by predecode) get the handler that raises the UNDEFINED exception. Returns the
// matched id, or kUndefined.
InsnId decode(uint32_t insn, uint64_t pc, DecodedInst& out, FeatureSet have = kAllFeatures);

// Whether execution of this instruction ends a basic block (branches, exception
// generation, system instructions that change context), given its predecoded form.
bool ends_block(InsnId id, const DecodedInst& inst);

}  // namespace cpu::decoder
