// The letters of a row's pattern are its field extractors. For a pattern string (the one in
// the row of cpu/decoder/a64.inc, available by row name as decoder::pattern::<Name>), a
// parser run at compile time (kFieldsOf is a constexpr variable; the parser is constexpr,
// not consteval, because clang 14 rejects a consteval call on a template parameter object)
// finds each letter's bits: a letter's field is every bit marked with it, concatenated from
// bit 31 down, and the fields are ordered by the first appearance of their letter. `with_fields<pattern::Name>(inst, insn, fn)` calls fn(inst, f1, f2, ...)
// with the fields in that order, each as a Field<'letter'>. A Field converts to its value
// but never to a Field of another letter, so a function whose parameters do not list the
// pattern's letters in order, one each, does not compile: arity and order are checked at
// compile time.
#pragma once

#include <array>
#include <bit>
#include <type_traits>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <utility>

namespace cpu::decoder {

// A pattern string usable as a template argument.
struct PatternString {
  char s[33]{};
  consteval PatternString(const char (&p)[33]) {
    for (size_t k = 0; k < 33; ++k) s[k] = p[k];
  }
};

// The value of the field marked with letter L.
template <char L>
struct Field {
  uint32_t v;
  constexpr explicit Field(uint32_t x) : v(x) {}
  constexpr operator uint32_t() const { return v; }
  static constexpr char letter = L;
};

struct FieldLayout {
  char letter = 0;
  uint8_t width = 0;
  uint32_t mask = 0;  // the bits of the instruction word that form the field
};

struct PatternFields {
  std::array<FieldLayout, 16> f{};
  size_t n = 0;
};

constexpr bool is_field_char(char c) { return c != '0' && c != '1'; }

constexpr PatternFields parse_fields(PatternString p) {
  PatternFields out;
  for (int i = 0; i < 32; ++i) {
    const char c = p.s[i];
    if (!is_field_char(c)) continue;
    size_t k = 0;
    while (k < out.n && out.f[k].letter != c) ++k;
    if (k == out.n) {
      if (out.n == out.f.size()) throw std::logic_error("a pattern has at most 16 fields");
      out.f[out.n++].letter = c;
    }
    out.f[k].mask |= uint32_t{1} << (31 - i);
    ++out.f[k].width;
  }
  return out;
}

// The field's bits of insn, packed (bit 31 side most significant). A contiguous field is
// one shift and mask; the loop runs over constants and folds away.
template <uint32_t kMask>
constexpr uint32_t gather(uint32_t insn) {
  if constexpr (kMask == 0) {
    return 0;
  } else if constexpr (((kMask >> std::countr_zero(kMask)) & ((kMask >> std::countr_zero(kMask)) + 1)) == 0) {
    return (insn & kMask) >> std::countr_zero(kMask);
  } else {
    uint32_t v = 0;
    for (int b = 31; b >= 0; --b)
      if (kMask & (uint32_t{1} << b)) v = (v << 1) | ((insn >> b) & 1u);
    return v;
  }
}

template <PatternString P>
inline constexpr PatternFields kFieldsOf = parse_fields(P);

template <PatternString P, size_t K>
using FieldOf = Field<kFieldsOf<P>.f[K].letter>;

template <PatternString P, size_t K>
constexpr FieldOf<P, K> extract(uint32_t insn) {
  return FieldOf<P, K>{gather<kFieldsOf<P>.f[K].mask>(insn)};
}

// Whether fn can take the fields of P, in order (for tests of the compile-time check).
template <PatternString P, typename Fn, typename Inst>
concept TakesFieldsOf = []<size_t... K>(std::index_sequence<K...>) {
  return std::is_invocable_v<Fn, Inst&, FieldOf<P, K>...>;
}(std::make_index_sequence<kFieldsOf<P>.n>{});

template <PatternString P, typename Inst, typename Fn>
  requires TakesFieldsOf<P, Fn, Inst>
constexpr auto with_fields(Inst& inst, uint32_t insn, Fn&& fn) {
  return [&]<size_t... K>(std::index_sequence<K...>) {
    return fn(inst, extract<P, K>(insn)...);
  }(std::make_index_sequence<kFieldsOf<P>.n>{});
}

// Every row's pattern by row name: pattern::ADD_imm is the row's "f00100010h..." string.
namespace pattern {
#define A64(name, mnem, pat, ...) inline constexpr PatternString name{pat};
#include "cpu/decoder/a64.inc"
#undef A64
}  // namespace pattern

}  // namespace cpu::decoder
