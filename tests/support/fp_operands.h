// Random FP operands for the sweeps that compare a fast path of cpu/fp against the exact
// one: each draw picks a case from a weighted table, so the boundaries where a shortcut must
// give way to the pseudocode (denormal inputs, NaNs and infinities, results near the
// smallest normal or near overflow, zeros) come up far more often than uniform bits would
// give them. Each sweep passes its own weighting; the same table and seed give the same
// sequence of operands, so a failure replays.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <stdexcept>

#include "cpu/fp/fp.h"

namespace test {

enum class FpCase : uint8_t {
  kZeroOrDenormal,  // exponent field 0, any fraction
  kInfOrNaN,        // exponent field all ones: infinity when the fraction is 0, else a NaN
  kNearMinNormal,   // exponent 1..30: products and sums land around the smallest normal
  kNearOverflow,    // exponent emax-30..emax-1: products and sums land around the largest finite
  kZero,            // +0 or -0
  kMidRange,        // exponent within 20 of the bias: ordinary values
};

struct FpCaseWeight {
  FpCase c;
  unsigned weight;
};

// One single- or double-precision operand, in the low N bits. (Half precision has too few
// exponents for these ranges: its bias is 15, and kMidRange reaches 20 below it.) A fifth of
// the draws clear a random number of the fraction's low bits so that exact results, ties and
// infinities (whose fraction is 0) occur. The case drawn is stored in *drawn when given.
template <int N>
uint64_t fp_operand(std::mt19937_64& rng, std::span<const FpCaseWeight> table, FpCase* drawn = nullptr) {
  static_assert(N == 32 || N == 64, "fp_operand: single or double precision");
  constexpr int E = cpu::fp::Fmt<N>::E, F = cpu::fp::Fmt<N>::F;
  constexpr uint64_t emax = (uint64_t{1} << E) - 1;
  const uint64_t r = rng();
  uint64_t frac = rng() & ((uint64_t{1} << F) - 1);
  if (r % 5 == 0) frac &= ~((uint64_t{1} << (rng() % F)) - 1);
  unsigned total = 0;
  for (const FpCaseWeight& w : table) total += w.weight;
  if (total == 0) throw std::invalid_argument("fp_operand: the case table has no weight");
  // Bits 4 and up of r pick the case, in table order; bit 8 is the sign.
  unsigned pick = static_cast<unsigned>((r >> 4) % total);
  const FpCaseWeight* chosen = table.data();
  while (pick >= chosen->weight) pick -= (chosen++)->weight;
  uint64_t exp = 0;
  switch (chosen->c) {
    case FpCase::kZeroOrDenormal: exp = 0; break;
    case FpCase::kInfOrNaN: exp = emax; break;
    case FpCase::kNearMinNormal: exp = 1 + rng() % 30; break;
    case FpCase::kNearOverflow: exp = emax - 1 - rng() % 30; break;
    case FpCase::kZero: exp = 0; frac = 0; break;
    case FpCase::kMidRange: exp = (emax >> 1) - 20 + rng() % 40; break;
  }
  if (drawn) *drawn = chosen->c;
  return ((r >> 8) & 1 ? cpu::fp::sign_bit<N>() : 0) | (exp << F) | frac;
}

}  // namespace test
