// Bit-field helpers. Outside this header, instruction words and register images are
// taken apart only through these helpers and the named field accessors built on them.
#pragma once

#include <bit>
#include <cstdint>

namespace arch {

// Bits [hi:lo] of v, right-aligned (Arm ARM notation v<hi:lo>).
template <unsigned Hi, unsigned Lo, typename T>
constexpr T bits(T v) {
  static_assert(Hi >= Lo && Hi < sizeof(T) * 8);
  constexpr unsigned kWidth = Hi - Lo + 1;
  if constexpr (kWidth == sizeof(T) * 8) {
    return v;
  } else {
    return (v >> Lo) & ((T{1} << kWidth) - 1);
  }
}

template <unsigned N, typename T>
constexpr bool bit(T v) {
  return (v >> N) & 1;
}

constexpr uint64_t bits_dyn(uint64_t v, unsigned hi, unsigned lo) {
  const unsigned width = hi - lo + 1;
  return width >= 64 ? v >> lo : (v >> lo) & ((uint64_t{1} << width) - 1);
}

// SignExtend(v<width-1:0>, 64).
constexpr int64_t sign_extend(uint64_t v, unsigned width) {
  const unsigned shift = 64 - width;
  return static_cast<int64_t>(v << shift) >> shift;
}

constexpr uint64_t ones(unsigned n) { return n >= 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1; }

constexpr uint64_t ror(uint64_t v, unsigned amount, unsigned width) {
  amount %= width;
  if (amount == 0) return v;
  return ((v >> amount) | (v << (width - amount))) & ones(width);
}

}  // namespace arch
