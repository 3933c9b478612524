// Whole-register host shortcuts for the Advanced SIMD floating-point lanes of single and
// double precision: one host vector operation for every lane of a 128-bit register, taken
// only when it gives exactly the bits and flags that the Arm pseudocode gives lane by lane
// (fp.cpp; tests/unit/cpu/fp_packed_test.cpp compares the two).
//
// The admitted cases, decided once for the whole vector instead of once per lane (as
// fp_fast.h does per operation): FPCR.RMode is round to nearest, no live lane of an operand
// is a NaN, an infinity or (under FZ) a denormal, and every live lane of the result is a
// normal number above the smallest normal or, with IXC still clear, an exact zero. Then no
// lane can meet a NaN, an infinity, a flushed input or output, an overflow or an underflow,
// so FZ, DN and the Arm/IEEE tininess difference cannot matter and the only flag is IXC,
// the OR of the lanes' inexactness. If any live lane falls outside, the caller runs its
// exact lane-by-lane path from the unchanged registers.
//
// Lanes above `lanes` (a 64-bit vector or a scalar form) are zeroed before the host
// operation, so they raise no host flag and come out as +0, which is the cleared upper
// part the V[] setter writes.
//
// The host operations need the FMA extension: the functions here are compiled for it
// (gnu::target) and may only run where fp::fast::has_fma() is true; a handler that uses them
// is itself compiled for FMA so that they inline into it.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "cpu/fp/fp.h"
#include "cpu/fp/fp_fast.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace cpu::fp::packed {

// A 128-bit SIMD&FP register image; bits 63:0 in element 0.
using Reg [[gnu::vector_size(16)]] = uint64_t;

template <int N> struct Lanes;
template <> struct Lanes<32> {
  using S [[gnu::vector_size(16)]] = int32_t;
  using F [[gnu::vector_size(16)]] = float;
  static constexpr unsigned kCount = 4;
};
template <> struct Lanes<64> {
  using S [[gnu::vector_size(16)]] = int64_t;
  using F [[gnu::vector_size(16)]] = double;
  static constexpr unsigned kCount = 2;
};
template <int N> using S = typename Lanes<N>::S;
template <int N> using F = typename Lanes<N>::F;
template <int N> using Elem = std::conditional_t<N == 64, int64_t, int32_t>;

// Lane constants as signed integers: a magnitude (sign cleared) fits the lane's positive
// range, so signed lane compares order magnitudes correctly.
template <int N> constexpr Elem<N> kSign = static_cast<Elem<N>>(sign_bit<N>());
template <int N> constexpr Elem<N> kMag = static_cast<Elem<N>>(sign_bit<N>() - 1);
template <int N> constexpr Elem<N> kMinNormal = static_cast<Elem<N>>(uint64_t{1} << Fmt<N>::F);
template <int N> constexpr Elem<N> kInf = static_cast<Elem<N>>(infinity<N>(false));

inline Reg load(const std::array<uint64_t, 2>& v) {
  Reg r;
  std::memcpy(&r, v.data(), sizeof r);
  return r;
}
inline void store(std::array<uint64_t, 2>& v, Reg r) { std::memcpy(v.data(), &r, sizeof r); }

// Every lane of the result set to element `index` of v (the by-element forms).
template <int N>
inline Reg broadcast(const std::array<uint64_t, 2>& v, unsigned index) {
  if constexpr (N == 64) {
    const uint64_t e = v[index & 1];
    return Reg{e, e};
  } else {
    const uint64_t e = (v[(index >> 1) & 1] >> ((index & 1) * 32)) & 0xffffffffu;
    const uint64_t both = e | (e << 32);
    return Reg{both, both};
  }
}
// The sign bit of every lane (FPNeg of a whole register).
template <int N>
inline Reg sign_mask() {
  return std::bit_cast<Reg>(S<N>{} + kSign<N>);
}

// All-ones in the first `lanes` lanes, zero above.
template <int N>
inline S<N> live_mask(unsigned lanes) {
  // Indexed by the lane count: 1, 2 or 4 (single) lanes; 1 or 2 (double).
  static constexpr Reg kLive[5] = {{0, 0},
                                   {N == 64 ? ~uint64_t{0} : 0xffffffffu, 0},
                                   {~uint64_t{0}, N == 64 ? ~uint64_t{0} : 0},
                                   {0, 0},
                                   {~uint64_t{0}, ~uint64_t{0}}};
  return std::bit_cast<S<N>>(kLive[lanes > 4 ? 4 : lanes]);
}
// All-ones in the lanes that hold a denormal number.
template <int N>
inline S<N> denormal(S<N> x) {
  const S<N> mag = x & kMag<N>;
  return (mag != 0) & (mag < kMinNormal<N>);
}
// All-ones in the lanes that hold a normal number above the smallest normal.
template <int N>
inline S<N> safe_result(S<N> x) {
  const S<N> mag = x & kMag<N>;
  return (mag > kMinNormal<N>) & (mag < kInf<N>);
}
template <int N>
inline S<N> is_zero(S<N> x) {
  return (x & kMag<N>) == 0;
}
template <int N>
inline bool all(S<N> m) {
  uint64_t w[2];
  std::memcpy(w, &m, sizeof w);
  return (w[0] & w[1]) == ~uint64_t{0};
}
template <int N>
inline bool any(S<N> m) {
  uint64_t w[2];
  std::memcpy(w, &m, sizeof w);
  return (w[0] | w[1]) != 0;
}

// The operations: FPMulAdd(c, a, b) = c + a*b with one rounding, FPAdd, FPSub, FPMul (a, b).
enum class Op : uint8_t { kMulAdd, kAdd, kSub, kMul };

#if defined(__x86_64__)
template <int N> struct Host;
template <> struct Host<32> { using V = __m128; };
template <> struct Host<64> { using V = __m128d; };
template <int N> using HostVec = typename Host<N>::V;

// The host instruction alone (IXC already set: nobody needs to know whether it was inexact).
template <Op kOp>
[[gnu::target("fma")]] inline __m128d host_op(__m128d a, __m128d b, __m128d c) {
  if constexpr (kOp == Op::kMulAdd) return _mm_fmadd_pd(a, b, c);
  else if constexpr (kOp == Op::kAdd) return _mm_add_pd(a, b);
  else if constexpr (kOp == Op::kSub) return _mm_sub_pd(a, b);
  else return _mm_mul_pd(a, b);
}
template <Op kOp>
[[gnu::target("fma")]] inline __m128 host_op(__m128 a, __m128 b, __m128 c) {
  if constexpr (kOp == Op::kMulAdd) return _mm_fmadd_ps(a, b, c);
  else if constexpr (kOp == Op::kAdd) return _mm_add_ps(a, b);
  else if constexpr (kOp == Op::kSub) return _mm_sub_ps(a, b);
  else return _mm_mul_ps(a, b);
}

// The host instruction and whether any lane was inexact: MXCSR.PE is cleared, the
// instruction runs and MXCSR is read back in one asm statement, so that no other host
// floating-point operation can land in between. The result is c (AT&T operand order:
// "vsubpd b, a, c" is c = a - b).
#define PMUEMU_PACKED_PE(T, kOp, insn)                                                             \
  [[gnu::target("fma")]] inline T host_op_pe(OpTag<kOp>, T a, T b, T c, bool& inexact) {         \
    uint32_t csr;                                                                                  \
    asm volatile("stmxcsr %[m]\n\tandl $-33, %[m]\n\tldmxcsr %[m]\n\t" insn "\n\tstmxcsr %[m]" \
                 : [c] "+x"(c), [m] "=m"(csr)                                                      \
                 : [a] "x"(a), [b] "x"(b)                                                          \
                 : "cc");                                                                          \
    inexact = csr & 0x20u;                                                                         \
    return c;                                                                                      \
  }
template <Op kOp> struct OpTag {};
PMUEMU_PACKED_PE(__m128d, Op::kMulAdd, "vfmadd231pd %[b], %[a], %[c]")
PMUEMU_PACKED_PE(__m128d, Op::kAdd, "vaddpd %[b], %[a], %[c]")
PMUEMU_PACKED_PE(__m128d, Op::kSub, "vsubpd %[b], %[a], %[c]")
PMUEMU_PACKED_PE(__m128d, Op::kMul, "vmulpd %[b], %[a], %[c]")
PMUEMU_PACKED_PE(__m128, Op::kMulAdd, "vfmadd231ps %[b], %[a], %[c]")
PMUEMU_PACKED_PE(__m128, Op::kAdd, "vaddps %[b], %[a], %[c]")
PMUEMU_PACKED_PE(__m128, Op::kSub, "vsubps %[b], %[a], %[c]")
PMUEMU_PACKED_PE(__m128, Op::kMul, "vmulps %[b], %[a], %[c]")
#undef PMUEMU_PACKED_PE

// kOp on the first `lanes` lanes of N bits (1, 2 or 128 / N), the rest of the result zero:
// c + a*b for kMulAdd, a op b for the others (c unused). fpsr: FPSR's cumulative flags
// (with IXC already set the host's inexact flag is not needed and MXCSR is left alone).
// Returns true with the result in out and the flags to raise in flags, or false, with out
// and flags unchanged, when a lane is outside the admitted cases. Needs
// fp::fast::has_fma().
//
// The operands need no check of their own but under FZ: a NaN or infinite operand makes
// the host result a NaN or an infinity (0 x Inf and Inf - Inf included), which the result
// check refuses, and a denormal operand is exact input to both the host and the
// pseudocode (FPUnpack flushes it only under FZ, and only then raises IDC), so only FZ makes
// denormal operands a refusal.
template <int N, Op kOp>
[[gnu::target("fma"), gnu::always_inline]] inline bool arith(Reg& out, uint32_t& flags, Reg a, Reg b, Reg c,
                                                            unsigned lanes, uint32_t fpcr, uint32_t fpsr) {
  if ((fpcr & (3u << 22)) != 0) return false;
  const S<N> live = live_mask<N>(lanes);
  const S<N> sa = std::bit_cast<S<N>>(a) & live, sb = std::bit_cast<S<N>>(b) & live;
  const S<N> sc = kOp == Op::kMulAdd ? std::bit_cast<S<N>>(c) & live : S<N>{};
  if (fpcr & kFpcrFZ) [[unlikely]] {
    if (any<N>(denormal<N>(sa) | denormal<N>(sb) | denormal<N>(sc))) return false;
  }
  const auto ha = std::bit_cast<HostVec<N>>(sa), hb = std::bit_cast<HostVec<N>>(sb),
             hc = std::bit_cast<HostVec<N>>(sc);
  if (fpsr & kIXC) {
    // IXC is set already, so whether this one is inexact changes nothing; a zero result
    // might hide an underflow, so only normal results are taken.
    const HostVec<N> r = host_op<kOp>(ha, hb, hc);
    const S<N> sr = std::bit_cast<S<N>>(r);
    if (!all<N>(safe_result<N>(sr) | ~live)) return false;
    out = std::bit_cast<Reg>(r);
    return true;
  }
  bool inexact;
  const HostVec<N> r = host_op_pe(OpTag<kOp>{}, ha, hb, hc, inexact);
  const S<N> sr = std::bit_cast<S<N>>(r);
  const S<N> zero = is_zero<N>(sr);  // dead lanes are +0 and pass here
  if (!all<N>(safe_result<N>(sr) | zero)) return false;
  if (inexact) {
    // Which lane was inexact is unknown: an inexact zero lane would be an underflow.
    if (any<N>(zero & live)) return false;
    flags |= kIXC;
  }
  out = std::bit_cast<Reg>(r);
  return true;
}

// FPMulAdd(d, n, m) = d + n*m.
template <int N>
[[gnu::target("fma"), gnu::always_inline]] inline bool muladd(Reg& out, uint32_t& flags, Reg d, Reg n, Reg m,
                                                             unsigned lanes, uint32_t fpcr, uint32_t fpsr) {
  return arith<N, Op::kMulAdd>(out, flags, n, m, d, lanes, fpcr, fpsr);
}
#endif

}  // namespace cpu::fp::packed
