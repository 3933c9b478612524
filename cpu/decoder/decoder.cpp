#include "cpu/decoder/decoder.h"

#include <algorithm>
#include <bit>
#include <vector>

#include "cpu/interp/visitor.h"

namespace cpu::decoder {
namespace {

constexpr std::array<Row, static_cast<size_t>(InsnId::kCount)> kRows{{
#define A64(name, mnem, pattern, cls, rl, gt)                                                   \
  Row{InsnId::name, #name, mnem, pattern_mask(pattern), pattern_value(pattern), &interp::pre_##name, \
      timing::OpClass::cls,                                                                        \
      [] {                                                                                         \
        using namespace roles;                                                                     \
        return Roles{rl};                                                                          \
      }(),                                                                                         \
      [] {                                                                                         \
        using namespace gates;                                                                     \
        return Gate{gt};                                                                           \
      }()},
#include "cpu/decoder/a64.inc"
#undef A64
}};

// Every row's fixed bits must be consistent (value only inside mask): checked at compile time.
constexpr bool rows_well_formed() {
  for (const auto& r : kRows)
    if ((r.value & ~r.mask) != 0) return false;
  return true;
}
static_assert(rows_well_formed());

constexpr unsigned kBucketShift = 21;  // index on bits [31:21]
constexpr size_t kBuckets = size_t{1} << (32 - kBucketShift);

struct Index {
  std::array<std::vector<uint16_t>, kBuckets> buckets;
  Index() {
    // Most specific first, so a row that carves an exception out of a wider row wins.
    std::vector<uint16_t> order(kRows.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<uint16_t>(i);
    std::stable_sort(order.begin(), order.end(), [](uint16_t a, uint16_t b) {
      return std::popcount(kRows[a].mask) > std::popcount(kRows[b].mask);
    });
    for (size_t b = 0; b < kBuckets; ++b) {
      const uint32_t top = static_cast<uint32_t>(b) << kBucketShift;
      const uint32_t top_mask = ~uint32_t{0} << kBucketShift;
      for (uint16_t i : order) {
        if (((top ^ kRows[i].value) & kRows[i].mask & top_mask) == 0) buckets[b].push_back(i);
      }
    }
  }
};

const Index& index() {
  static const Index idx;  // immutable after construction
  return idx;
}

// The rows' kEndsBlock role, plus UNDEFINED (it raises an exception).
constexpr auto kBlockEnders = [] {
  std::array<bool, static_cast<size_t>(InsnId::kCount) + 1> t{};
  for (const auto& r : kRows) t[static_cast<size_t>(r.id)] = (r.roles & roles::kEndsBlock) != 0;
  t[static_cast<size_t>(InsnId::kUndefined)] = true;
  return t;
}();

}  // namespace

const std::array<Row, static_cast<size_t>(InsnId::kCount)>& rows() { return kRows; }

InsnId match(uint32_t insn) {
  for (uint16_t i : index().buckets[insn >> kBucketShift]) {
    if ((insn & kRows[i].mask) == kRows[i].value) return kRows[i].id;
  }
  return InsnId::kUndefined;
}

InsnId decode(uint32_t insn, uint64_t pc, DecodedInst& out, FeatureSet have) {
  out = DecodedInst{};
  out.pc = pc;
  out.raw = insn;
  const InsnId id = match(insn);
  if (id != InsnId::kUndefined) {
    const Row& row = kRows[static_cast<size_t>(id)];
    if (row.gate.open(insn, have) && row.predecode(out, insn)) return id;
  }
  out = DecodedInst{};
  out.pc = pc;
  out.raw = insn;
  out.fn = &interp::op_undefined;
  return InsnId::kUndefined;
}

bool ends_block(InsnId id, const DecodedInst& inst) {
  // A trapped MSR continues its block; the port makes it leave when the write lets an
  // interrupt in or asks for a stop (Core::must_leave_block).
  return kBlockEnders[static_cast<size_t>(id)] && !(id == InsnId::MSR_reg && interp::is_port_write(inst));
}

}  // namespace cpu::decoder
