// Mechanical checks of the instruction table (cpu/decoder/a64.inc): every row is reachable,
// rows of equal specificity never overlap (so the order of rows in the file cannot matter),
// and decoding is deterministic.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <bit>
#include <random>
#include <vector>

#include "cpu/decoder/classify.h"
#include "cpu/decoder/decoder.h"
#include "cpu/decoder/fields.h"

using cpu::decoder::InsnId;
using cpu::decoder::rows;

namespace {
uint32_t fill(const cpu::decoder::Row& r, std::mt19937& rng) {
  return (static_cast<uint32_t>(rng()) & ~r.mask) | r.value;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(decoder_table)

BOOST_AUTO_TEST_CASE(every_row_decodes_its_own_encodings) {
  std::mt19937 rng(1);
  for (const auto& row : rows()) {
    BOOST_TEST_CONTEXT("row " << row.name) {
      unsigned own = 0;
      for (int k = 0; k < 500; ++k) {
        const uint32_t w = fill(row, rng);
        const InsnId got = cpu::decoder::match(w);
        BOOST_REQUIRE(got != InsnId::kUndefined);
        const auto& winner = rows()[static_cast<size_t>(got)];
        // Only a strictly more specific row may take an encoding of this row.
        if (got != row.id) BOOST_TEST(std::popcount(winner.mask) > std::popcount(row.mask));
        own += got == row.id;
      }
      BOOST_TEST(own > 0u);
    }
  }
}

BOOST_AUTO_TEST_CASE(no_undeclared_overlaps) {
  const auto& t = rows();
  for (size_t i = 0; i < t.size(); ++i) {
    for (size_t j = i + 1; j < t.size(); ++j) {
      const bool overlap = ((t[i].value ^ t[j].value) & t[i].mask & t[j].mask) == 0;
      const bool same_specificity = std::popcount(t[i].mask) == std::popcount(t[j].mask);
      BOOST_TEST_CONTEXT(t[i].name << " vs " << t[j].name) { BOOST_TEST(!(overlap && same_specificity)); }
    }
  }
}

BOOST_AUTO_TEST_CASE(decode_sets_handler_and_pc) {
  cpu::DecodedInst d;
  const InsnId id = cpu::decoder::decode(0x91000420, 0x40001000, d);  // add x0, x1, #1
  BOOST_TEST(static_cast<int>(id) == static_cast<int>(InsnId::ADD_imm));
  BOOST_TEST(d.fn != nullptr);
  BOOST_TEST(d.pc == 0x40001000u);
  BOOST_TEST(d.imm == 1u);
  const InsnId bad = cpu::decoder::decode(0x00000000, 0x40001000, d);  // udf #0
  BOOST_TEST(static_cast<int>(bad) == static_cast<int>(InsnId::kUndefined));
  BOOST_TEST(d.fn != nullptr);  // the UNDEFINED handler
}

// The table's class and roles (once checked equal, encoding for encoding, to the
// hand-written classifier they replaced) keep the invariants the timing model relies on.
namespace {
using cpu::timing::OpClass;
bool is_memory(OpClass c) { return c == OpClass::kLoad || c == OpClass::kStore || c == OpClass::kAtomic; }
bool is_branch(OpClass c) {
  return c == OpClass::kBranch || c == OpClass::kCondBranch || c == OpClass::kIndirectBranch || c == OpClass::kCall ||
         c == OpClass::kIndirectCall || c == OpClass::kReturn;
}
// The values of the 5-bit register fields the pattern leaves open (Rd/Rt, Rn, Ra/Rt2, Rm);
// for Rm also its low four bits (the by-element forms with 16-bit elements use bit 20 as an
// index bit), and for the structure loads/stores the registers of the list Vt..Vt+3 (modulo
// 32).
std::vector<unsigned> register_fields(const cpu::decoder::Row& row, uint32_t w) {
  std::vector<unsigned> v;
  for (unsigned lsb : {0u, 5u, 10u, 16u})
    if (((row.mask >> lsb) & 31u) == 0) v.push_back((w >> lsb) & 31u);
  if (((row.mask >> 16) & 15u) == 0) v.push_back((w >> 16) & 15u);
  if ((row.roles & cpu::decoder::roles::kAmMask) == cpu::decoder::roles::kAmStruct)
    for (unsigned k = 1; k < 4; ++k) v.push_back((w + k) & 31u);
  return v;
}
}  // namespace

BOOST_AUTO_TEST_CASE(row_roles_are_consistent) {
  using namespace cpu::decoder::roles;
  for (const auto& row : rows()) {
    BOOST_TEST_CONTEXT("row " << row.name) {
      // Exactly the loads, stores and atomics state an address mode.
      BOOST_TEST(is_memory(row.cls) == ((row.roles & kAmMask) != 0));
      // Branches, exception entry and return end their block.
      if (is_branch(row.cls) || (row.roles & (kExcEntry | kExcReturn))) BOOST_TEST((row.roles & kEndsBlock) != 0u);
      // Only calls write the link register.
      BOOST_TEST(((row.roles & kLinkW) != 0) == (row.cls == OpClass::kCall || row.cls == OpClass::kIndirectCall));
      // Writeback needs an addressing form that has it.
      if (row.roles & kXnWb) {
        const Roles am = row.roles & kAmMask;
        BOOST_TEST((am == kAmSingleIdx || am == kAmPairIdx || am == kAmStruct));
      }
      // A row reads or writes the flags only if it is not a memory access.
      if (row.roles & (kFlagsR | kFlagsW)) BOOST_TEST(!is_memory(row.cls));
    }
  }
}

BOOST_AUTO_TEST_CASE(classification_names_the_patterns_registers) {
  std::mt19937 rng(7);
  unsigned checked = 0;
  for (const auto& row : rows()) {
    BOOST_TEST_CONTEXT("row " << row.name) {
      for (int k = 0; k < 500; ++k) {
        const uint32_t w = fill(row, rng);
        cpu::DecodedInst d;
        if (cpu::decoder::decode(w, 0x40001000, d) != row.id) continue;
        const cpu::InstTiming t = cpu::decoder::classify(row.id, d);
        BOOST_TEST_CONTEXT(std::hex << "word 0x" << w) {
          // The run loop tells memory accesses by their address mode.
          BOOST_TEST(is_memory(t.s.cls) == (t.amode != cpu::AddrMode::kNone));
          BOOST_TEST(((t.flags & cpu::kTimingExcEntry) != 0) == ((row.roles & cpu::decoder::roles::kExcEntry) != 0));
          // Every register the timing model tracks is one of the encoding's register fields
          // (V registers are numbered from 32), the link register of a call, or the second
          // register of a CASP pair.
          const auto fields = register_fields(row, w);
          auto named = [&](uint8_t r) {
            const unsigned reg = r >= 32 ? r - 32u : r;
            if (std::find(fields.begin(), fields.end(), reg) != fields.end()) return true;
            if (r == 30 && (row.roles & cpu::decoder::roles::kLinkW)) return true;
            return (row.roles & cpu::decoder::roles::kCasPair) && reg > 0 &&
                   std::find(fields.begin(), fields.end(), reg - 1) != fields.end();
          };
          for (uint8_t r : t.s.src)
            if (r != cpu::timing::kNoReg) BOOST_TEST(named(r), "source " << int(r));
          for (uint8_t r : t.s.dst)
            if (r != cpu::timing::kNoDst) BOOST_TEST(named(r), "destination " << int(r));
        }
        ++checked;
      }
    }
  }
  BOOST_TEST(checked > 50000u);
}

// The rows whose class depends on fields: an integer store is a store, PRFM is a hint.
BOOST_AUTO_TEST_CASE(single_register_forms_take_their_class_from_opc) {
  auto cls = [](uint32_t w) {
    cpu::DecodedInst d;
    const InsnId id = cpu::decoder::decode(w, 0x40001000, d);
    return cpu::decoder::classify(id, d).s.cls;
  };
  BOOST_TEST((cls(0xf9000020) == OpClass::kStore));  // str x0, [x1]
  BOOST_TEST((cls(0xf9400020) == OpClass::kLoad));   // ldr x0, [x1]
  BOOST_TEST((cls(0xf9800020) == OpClass::kNop));    // prfm pldl1keep, [x1]
  BOOST_TEST((cls(0xd8000040) == OpClass::kNop));    // prfm pldl1keep, #8
  BOOST_TEST((cls(0x58000040) == OpClass::kLoad));   // ldr x0, #8
}

// The pattern's letters are the field extractors. A predecode function must take the fields
// in pattern order, one parameter per letter: anything else does not compile. Checked here
// with the same concept with_fields requires.
namespace fields_check {
using cpu::DecodedInst;
using cpu::decoder::Field;
namespace pattern = cpu::decoder::pattern;
using Good = bool (*)(DecodedInst&, Field<'f'>, Field<'h'>, Field<'i'>, Field<'n'>, Field<'d'>);
using Swapped = bool (*)(DecodedInst&, Field<'f'>, Field<'h'>, Field<'i'>, Field<'d'>, Field<'n'>);
using Short = bool (*)(DecodedInst&, Field<'f'>, Field<'h'>, Field<'i'>, Field<'n'>);
using Plain = bool (*)(DecodedInst&, uint32_t, uint32_t, uint32_t, uint32_t, uint32_t);
static_assert(cpu::decoder::TakesFieldsOf<pattern::ADD_imm, Good, DecodedInst>);
static_assert(!cpu::decoder::TakesFieldsOf<pattern::ADD_imm, Swapped, DecodedInst>);
static_assert(!cpu::decoder::TakesFieldsOf<pattern::ADD_imm, Short, DecodedInst>);
static_assert(cpu::decoder::TakesFieldsOf<pattern::ADD_imm, Plain, DecodedInst>);  // untyped: unchecked by design
// ADR's immediate is immhi:immlo from two letters; a letter split over the word concatenates.
static_assert(cpu::decoder::kFieldsOf<pattern::ADR>.n == 3);
static_assert(cpu::decoder::kFieldsOf<pattern::ADR>.f[0].mask == 0x60000000u);
static_assert(cpu::decoder::kFieldsOf<pattern::ADR>.f[1].mask == 0x00ffffe0u);
// The bits a field's letter covers, 0 if the pattern has no such letter.
template <cpu::decoder::PatternString P>
constexpr uint32_t letter_mask(char letter) {
  for (size_t k = 0; k < cpu::decoder::kFieldsOf<P>.n; ++k)
    if (cpu::decoder::kFieldsOf<P>.f[k].letter == letter) return cpu::decoder::kFieldsOf<P>.f[k].mask;
  return 0;
}
// Every modified-immediate row's i is exactly imm8 (a:b:c at bits 18:16, d:e:f:g:h at
// 9:5), whatever part of cmode the row fixes: the predecodes pass it to AdvSIMDExpandImm
// as is.
constexpr uint32_t kImm8 = 0x000703e0u;
static_assert(letter_mask<pattern::SIMD_MODIMM_op0>('i') == kImm8);
static_assert(letter_mask<pattern::SIMD_MODIMM_op1>('i') == kImm8);
static_assert(letter_mask<pattern::SIMD_ORR_imm32>('i') == kImm8);
static_assert(letter_mask<pattern::SIMD_ORR_imm16>('i') == kImm8);
static_assert(letter_mask<pattern::SIMD_BIC_imm32>('i') == kImm8);
static_assert(letter_mask<pattern::SIMD_BIC_imm16>('i') == kImm8);
static_assert(letter_mask<pattern::SIMD_FMOV_h>('i') == kImm8);
static_assert(letter_mask<pattern::SIMD_MODIMM_op0>('c') == 0x0000f000u);  // cmode
static_assert(letter_mask<pattern::SIMD_ORR_imm32>('c') == 0x00006000u);   // cmode 0cc1
static_assert(letter_mask<pattern::SIMD_ORR_imm16>('c') == 0x00002000u);   // cmode 10c1
// Shift by immediate, integer and fixed-point conversion alike: immh (bits 22:19) and immb
// (18:16) are separate letters, h and b.
static_assert(letter_mask<pattern::SIMD_SHIFT_a>('h') == 0x00780000u);
static_assert(letter_mask<pattern::SIMD_SHIFT_a>('b') == 0x00070000u);
static_assert(letter_mask<pattern::SIMD_SHIFT_FIXED_FP>('h') == 0x00780000u);
static_assert(letter_mask<pattern::SIMD_SHIFT_FIXED_FP>('b') == 0x00070000u);
static_assert(letter_mask<pattern::SIMD_SCALAR_SHIFT_FIXED_FP>('h') == 0x00780000u);
static_assert(letter_mask<pattern::SIMD_SCALAR_SHIFT_FIXED_FP>('b') == 0x00070000u);
}  // namespace fields_check

// For every row, the fields of its pattern put back in place give the encoding again: every
// field bit belongs to exactly one letter and the extraction loses nothing.
namespace {
template <cpu::decoder::PatternString P>
bool fields_round_trip(uint32_t w) {
  constexpr auto fs = cpu::decoder::kFieldsOf<P>;
  uint32_t back = 0, all = 0;
  [&]<size_t... K>(std::index_sequence<K...>) {
    auto put = [&](uint32_t mask, uint32_t v) {
      for (int b = 0; b < 32; ++b)
        if (mask & (1u << b)) {
          back |= (v & 1u) << b;
          v >>= 1;
        }
      all |= mask;
    };
    (void)put;  // a pattern without fields never calls it
    (put(fs.f[K].mask, cpu::decoder::extract<P, K>(w)), ...);
  }(std::make_index_sequence<fs.n>{});
  return back == (w & all) && (all & ((1ull << 32) - 1)) == all;
}
}  // namespace

BOOST_AUTO_TEST_CASE(pattern_fields_round_trip) {
  std::mt19937 rng(9);
  for (int k = 0; k < 200; ++k) {
    const uint32_t w = static_cast<uint32_t>(rng());
#define A64(name, ...) BOOST_TEST(fields_round_trip<cpu::decoder::pattern::name>(w), #name);
#include "cpu/decoder/a64.inc"
#undef A64
  }
}

BOOST_AUTO_TEST_SUITE_END()
