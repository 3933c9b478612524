// Arm floating point, exactly as the Arm ARM pseudocode defines it (shared/functions/float):
// half (N = 16), single (32) and double (64) precision values as raw bit patterns, computed
// with integer mantissa arithmetic under FPCR.{RMode, FZ, FZ16, DN, AHP}, with Arm's NaN
// propagation and the cumulative FPSR exception flags. No host floating point is used on
// the exact path; fp_fast.h adds host shortcuts only where they provably give the same
// bits and flags.
#pragma once

#include <cstdint>

namespace cpu::fp {

// FPRounding; the first four are FPCR.RMode's encoding.
enum class Rounding : uint8_t { kTieEven = 0, kPosInf = 1, kNegInf = 2, kZero = 3, kTieAway = 4, kOdd = 5 };

// FPSR cumulative exception bits (Arm ARM D17.2.62).
inline constexpr uint32_t kIOC = 1u << 0;
inline constexpr uint32_t kDZC = 1u << 1;
inline constexpr uint32_t kOFC = 1u << 2;
inline constexpr uint32_t kUFC = 1u << 3;
inline constexpr uint32_t kIXC = 1u << 4;
inline constexpr uint32_t kIDC = 1u << 7;
inline constexpr uint32_t kQC = 1u << 27;
inline constexpr uint32_t kCumulativeFlags = kIOC | kDZC | kOFC | kUFC | kIXC | kIDC;

// FPCR fields.
inline constexpr uint32_t kFpcrFZ16 = 1u << 19;
inline constexpr uint32_t kFpcrFZ = 1u << 24;
inline constexpr uint32_t kFpcrDN = 1u << 25;
inline constexpr uint32_t kFpcrAHP = 1u << 26;

// The FPCR an operation runs under and the exception flags it raised (to be ORed into
// FPSR by the caller). Exception trapping (FPCR.IOE etc.) is not implemented: those
// enables are RES0 on the cores modelled, so every exception is cumulative.
struct Env {
  uint32_t fpcr = 0;
  uint32_t flags = 0;
  Rounding rounding() const { return static_cast<Rounding>((fpcr >> 22) & 3u); }
  bool dn() const { return fpcr & kFpcrDN; }
  bool fz() const { return fpcr & kFpcrFZ; }
  bool fz16() const { return fpcr & kFpcrFZ16; }
  bool ahp() const { return fpcr & kFpcrAHP; }
};

enum class Type : uint8_t { kZero, kDenormal, kNormal, kInf, kQNaN, kSNaN };

// A finite value is mant * 2^exp (exact); infinities and NaNs carry no value.
struct Unpacked {
  Type type;
  bool sign;
  int exp;
  uint64_t mant;
};

template <int N> struct Fmt;
template <> struct Fmt<16> { static constexpr int E = 5, F = 10; };
template <> struct Fmt<32> { static constexpr int E = 8, F = 23; };
template <> struct Fmt<64> { static constexpr int E = 11, F = 52; };

template <int N> constexpr uint64_t sign_bit() { return uint64_t{1} << (N - 1); }
template <int N> constexpr uint64_t default_nan() { return ((uint64_t{1} << (Fmt<N>::E + 1)) - 1) << (Fmt<N>::F - 1); }
template <int N> constexpr uint64_t infinity(bool s) { return (s ? sign_bit<N>() : 0) | (((uint64_t{1} << Fmt<N>::E) - 1) << Fmt<N>::F); }
template <int N> constexpr uint64_t zero(bool s) { return s ? sign_bit<N>() : 0; }
template <int N> constexpr uint64_t max_normal(bool s) { return infinity<N>(s) - 1; }
template <int N> constexpr uint64_t fneg(uint64_t x) { return x ^ sign_bit<N>(); }
template <int N> constexpr uint64_t fabs(uint64_t x) { return x & (sign_bit<N>() - 1); }
template <int N> constexpr bool is_nan(uint64_t x) { return fabs<N>(x) > infinity<N>(false); }

// FPUnpack (AHP ignored; FZ/FZ16 flush denormal inputs to zero, IDC for single/double).
template <int N> Unpacked unpack(uint64_t x, Env& env);
// FPUnpackCV: as the conversions see their input (FZ16 ignored, AHP honoured for half).
template <int N> Unpacked unpack_cv(uint64_t x, Env& env);

// Arithmetic (FPAdd, FPSub, FPMul, FPMulX, FPDiv, FPSqrt, FPMulAdd(addend, a, b) = addend + a*b
// with one rounding, FPMax, FPMin, FPMaxNum, FPMinNum, FPRecipStepFused = 2 - a*b,
// FPRSqrtStepFused = (3 - a*b) / 2).
template <int N> uint64_t add(uint64_t a, uint64_t b, Env& env);
template <int N> uint64_t sub(uint64_t a, uint64_t b, Env& env);
template <int N> uint64_t mul(uint64_t a, uint64_t b, Env& env);
template <int N> uint64_t mulx(uint64_t a, uint64_t b, Env& env);
template <int N> uint64_t div(uint64_t a, uint64_t b, Env& env);
template <int N> uint64_t sqrt(uint64_t a, Env& env);
template <int N> uint64_t muladd(uint64_t addend, uint64_t a, uint64_t b, Env& env);
template <int N> uint64_t max(uint64_t a, uint64_t b, Env& env);
template <int N> uint64_t min(uint64_t a, uint64_t b, Env& env);
template <int N> uint64_t maxnum(uint64_t a, uint64_t b, Env& env);
template <int N> uint64_t minnum(uint64_t a, uint64_t b, Env& env);
// FPMulAddH (FMLAL/FMLSL, FEAT_FHM): a single-precision addend plus the product of two
// half-precision values, one rounding to single.
uint64_t muladd_h(uint64_t addend, uint64_t a, uint64_t b, Env& env);
template <int N> uint64_t recip_step(uint64_t a, uint64_t b, Env& env);
template <int N> uint64_t rsqrt_step(uint64_t a, uint64_t b, Env& env);
// FPAbsDiff's arithmetic part is FPAbs(FPSub(a, b)).

// FPCompare: NZCV in bits 3:0 (0011 unordered, 0110 equal, 1000 less, 0010 greater).
// signal_nans: FCMPE (quiet NaNs raise IOC too).
template <int N> uint32_t compare(uint64_t a, uint64_t b, bool signal_nans, Env& env);
template <int N> bool compare_eq(uint64_t a, uint64_t b, Env& env);
template <int N> bool compare_ge(uint64_t a, uint64_t b, Env& env);
template <int N> bool compare_gt(uint64_t a, uint64_t b, Env& env);

// FPRoundInt (exact: FRINTX raises IXC) and FPRoundIntN (FRINT32*/FRINT64*, intsize 32/64).
template <int N> uint64_t round_int(uint64_t a, Rounding r, bool exact, Env& env);
template <int N> uint64_t round_int_n(uint64_t a, Rounding r, int intsize, Env& env);

// FPToFixed to an M-bit integer (M = 32 or 64; result zero-extended to 64 bits) and
// FixedToFP from one; fbits 0 for the integer conversions.
template <int N> uint64_t to_fixed(uint64_t a, int fbits, bool is_unsigned, Rounding r, int m, Env& env);
template <int N> uint64_t from_fixed(uint64_t x, int fbits, bool is_unsigned, Rounding r, int m, Env& env);
// FPToFixedJS (FJCVTZS): the 32-bit result; *z receives the Z flag.
uint32_t to_fixed_js(uint64_t a, bool* z, Env& env);

// FPConvert from M to N bits (FCVT, FCVTN, FCVTL; Rounding kOdd for FCVTXN).
template <int To, int From> uint64_t convert(uint64_t a, Rounding r, Env& env);

// FPRecipEstimate, FPRSqrtEstimate, FPRecpX; UnsignedRecipEstimate, UnsignedRSqrtEstimate.
template <int N> uint64_t recip_estimate(uint64_t a, Env& env);
template <int N> uint64_t rsqrt_estimate(uint64_t a, Env& env);
template <int N> uint64_t recpx(uint64_t a, Env& env);
uint32_t urecpe(uint32_t a);
uint32_t ursqrte(uint32_t a);
// The table functions RecipEstimate (256..511 -> 256..511) and RecipSqrtEstimate (128..511).
unsigned recip_estimate_table(unsigned a);
unsigned rsqrt_estimate_table(unsigned a);

// VFPExpandImm: the 8-bit immediate of FMOV (scalar/vector immediate) as an N-bit value.
template <int N> constexpr uint64_t expand_imm8(uint32_t imm8) {
  constexpr int E = Fmt<N>::E, F = Fmt<N>::F;
  const uint64_t sign = (imm8 >> 7) & 1u;
  const uint64_t b6 = (imm8 >> 6) & 1u;
  // exp = NOT(b6) : Replicate(b6, E-3) : imm8<5:4>
  uint64_t exp = ((b6 ^ 1u) << (E - 1)) | (b6 ? (((uint64_t{1} << (E - 3)) - 1) << 2) : 0) | ((imm8 >> 4) & 3u);
  const uint64_t frac = static_cast<uint64_t>(imm8 & 15u) << (F - 4);
  return (sign << (N - 1)) | (exp << F) | frac;
}

}  // namespace cpu::fp
