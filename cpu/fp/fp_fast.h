// Host shortcuts for the common case of single and double precision arithmetic, taken only
// where they give exactly the bits and flags of the Arm pseudocode (fp.cpp is the
// reference; tests/unit/cpu/fp_fast_test.cpp compares the two on random operands).
//
// Why they are exact: with FPCR.RMode = round to nearest and operands that are normal
// numbers (or zeros), the host's IEEE 754 operation rounds the same exact value the same way
// as FPRoundBase. The Arm/IEEE differences all lie outside the admitted cases:
//  - NaNs (propagation order, default NaN) and infinities: operands must be finite;
//  - FZ (flush of denormal inputs and outputs): operands are normal or zero, and the result
//    must be normal, so nothing is flushed whatever FPCR.FZ says;
//  - tininess (Arm before rounding, x86 after): only results that round to exactly the
//    smallest normal can differ; they take the exact path, as do all denormal results and
//    overflows;
//  - zero results: only exact ones (from zero operands or exact cancellation) are admitted,
//    where IEEE and Arm give the same sign.
// The only flag left is IXC, computed without the host's flag state by an error-free
// transformation (add), an integer check of the significands (multiply, divide, square
// root), or the host's MXCSR read right after the instruction (fused multiply-add). The
// Env's flags start from FPSR's cumulative flags (interp::fp_env), so once IXC is set the
// fused multiply-add skips the MXCSR round trip.
#pragma once

#include <bit>
#include <cmath>
#include <cstring>

#include "cpu/fp/fp.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace cpu::fp {
namespace fast {

template <int N> struct Host;
template <> struct Host<32> { using T = float; using U = uint32_t; };
template <> struct Host<64> { using T = double; using U = uint64_t; };

template <int N>
inline typename Host<N>::T as_float(uint64_t x) {
  const typename Host<N>::U u = static_cast<typename Host<N>::U>(x);
  typename Host<N>::T f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}
template <int N>
inline uint64_t as_bits(typename Host<N>::T f) {
  typename Host<N>::U u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

template <int N> constexpr uint64_t kExpMask = ((uint64_t{1} << Fmt<N>::E) - 1) << Fmt<N>::F;
template <int N> constexpr uint64_t kMinNormal = uint64_t{1} << Fmt<N>::F;

// A normal number (not zero, denormal, infinity or NaN).
template <int N>
inline bool normal(uint64_t x) {
  const uint64_t e = x & kExpMask<N>;
  return e != 0 && e != kExpMask<N>;
}
template <int N>
inline bool normal_or_zero(uint64_t x) {
  return normal<N>(x) || fabs<N>(x) == 0;
}
// A result the fast path may return: normal and above the smallest normal in magnitude.
template <int N>
inline bool safe_result(uint64_t r) {
  return normal<N>(r) && fabs<N>(r) != kMinNormal<N>;
}
inline bool rn(const Env& env) { return (env.fpcr & (3u << 22)) == 0; }

// The significand (with its leading one) of a normal number, without trailing zeros.
template <int N>
inline uint64_t odd_sig(uint64_t x) {
  const uint64_t m = (x & ((uint64_t{1} << Fmt<N>::F) - 1)) | (uint64_t{1} << Fmt<N>::F);
  return m >> std::countr_zero(m);
}

}  // namespace fast

template <int N>
inline uint64_t fast_add(uint64_t a, uint64_t b, Env& env) {
  if constexpr (N != 16) {
    using T = typename fast::Host<N>::T;
    if (fast::rn(env) && fast::normal_or_zero<N>(a) && fast::normal_or_zero<N>(b)) {
      const T x = fast::as_float<N>(a), y = fast::as_float<N>(b);
      const T s = x + y;
      const uint64_t r = fast::as_bits<N>(s);
      if (fast::safe_result<N>(r) || fabs<N>(r) == 0) {
        // TwoSum: the rounding error of s, exactly.
        const T yv = s - x, xv = s - yv;
        if ((x - xv) + (y - yv) != 0) env.flags |= kIXC;
        return r;
      }
    }
  }
  return add<N>(a, b, env);
}

template <int N>
inline uint64_t fast_sub(uint64_t a, uint64_t b, Env& env) {
  if constexpr (N != 16) {
    if (!is_nan<N>(b)) return fast_add<N>(a, fneg<N>(b), env);  // a - b = a + (-b) but for NaN signs
  }
  return sub<N>(a, b, env);
}

template <int N>
inline uint64_t fast_mul(uint64_t a, uint64_t b, Env& env) {
  if constexpr (N != 16) {
    if (fast::rn(env) && fast::normal<N>(a) && fast::normal<N>(b)) {
      if constexpr (N == 32) {
        const double p = static_cast<double>(fast::as_float<32>(a)) * fast::as_float<32>(b);  // exact
        const float f = static_cast<float>(p);
        const uint64_t r = fast::as_bits<32>(f);
        if (fast::safe_result<32>(r)) {
          if (static_cast<double>(f) != p) env.flags |= kIXC;
          return r;
        }
      } else {
        const uint64_t r = fast::as_bits<64>(fast::as_float<64>(a) * fast::as_float<64>(b));
        if (fast::safe_result<64>(r)) {
          const unsigned __int128 p = static_cast<unsigned __int128>(fast::odd_sig<64>(a)) * fast::odd_sig<64>(b);
          if ((p >> 53) != 0) env.flags |= kIXC;
          return r;
        }
      }
    }
  }
  return mul<N>(a, b, env);
}

template <int N>
inline uint64_t fast_div(uint64_t a, uint64_t b, Env& env) {
  if constexpr (N != 16) {
    if (fast::rn(env) && fast::normal<N>(a) && fast::normal<N>(b)) {
      const auto q = fast::as_float<N>(a) / fast::as_float<N>(b);
      const uint64_t r = fast::as_bits<N>(q);
      if (fast::safe_result<N>(r)) {
        bool exact;
        if constexpr (N == 32) {
          exact = static_cast<double>(q) * fast::as_float<32>(b) == static_cast<double>(fast::as_float<32>(a));
        } else {
          exact = static_cast<unsigned __int128>(fast::odd_sig<64>(r)) * fast::odd_sig<64>(b) == fast::odd_sig<64>(a);
        }
        if (!exact) env.flags |= kIXC;
        return r;
      }
    }
  }
  return div<N>(a, b, env);
}

template <int N>
inline uint64_t fast_sqrt(uint64_t a, Env& env) {
  if constexpr (N != 16) {
    if (fast::rn(env) && fast::normal<N>(a) && !(a >> (N - 1))) {
      const auto s = std::sqrt(fast::as_float<N>(a));
      const uint64_t r = fast::as_bits<N>(s);  // always normal: sqrt of a normal number
      bool exact;
      if constexpr (N == 32) {
        exact = static_cast<double>(s) * s == static_cast<double>(fast::as_float<32>(a));
      } else {
        const uint64_t o = fast::odd_sig<64>(r);
        exact = static_cast<unsigned __int128>(o) * o == fast::odd_sig<64>(a);
      }
      if (!exact) env.flags |= kIXC;
      return r;
    }
  }
  return sqrt<N>(a, env);
}

#if defined(__x86_64__)
namespace fast {
// The host's fused multiply-add and whether it was inexact: MXCSR.PE (bit 5) is cleared,
// the instruction runs and MXCSR is read back, all in one asm statement so that no other
// host floating-point operation can land in between. Needs the FMA extension (has_fma()).
[[gnu::target("fma")]] inline double host_fma(double a, double b, double c, bool& inexact) {
  uint32_t csr;
  asm volatile(
      "stmxcsr %[m]\n\tandl $-33, %[m]\n\tldmxcsr %[m]\n\t"
      "vfmadd231sd %[b], %[a], %[c]\n\tstmxcsr %[m]"
      : [c] "+x"(c), [m] "=m"(csr)
      : [a] "x"(a), [b] "x"(b)
      : "cc");
  inexact = csr & 0x20u;
  return c;
}
[[gnu::target("fma")]] inline float host_fma(float a, float b, float c, bool& inexact) {
  uint32_t csr;
  asm volatile(
      "stmxcsr %[m]\n\tandl $-33, %[m]\n\tldmxcsr %[m]\n\t"
      "vfmadd231ss %[b], %[a], %[c]\n\tstmxcsr %[m]"
      : [c] "+x"(c), [m] "=m"(csr)
      : [a] "x"(a), [b] "x"(b)
      : "cc");
  inexact = csr & 0x20u;
  return c;
}
// The host's fused multiply-add alone, for when IXC is already set and so needs no answer.
[[gnu::target("fma")]] inline double host_fma(double a, double b, double c) { return __builtin_fma(a, b, c); }
[[gnu::target("fma")]] inline float host_fma(float a, float b, float c) { return __builtin_fmaf(a, b, c); }
inline bool has_fma() {
  static const bool kHas = __builtin_cpu_supports("fma");
  return kHas;
}
}  // namespace fast
#endif

// FPMulAdd(addend, a, b).
template <int N>
inline uint64_t fast_muladd(uint64_t addend, uint64_t a, uint64_t b, Env& env) {
#if defined(__x86_64__)
  if constexpr (N != 16) {
    if (fast::rn(env) && fast::normal_or_zero<N>(addend) && fast::normal_or_zero<N>(a) &&
        fast::normal_or_zero<N>(b) && fast::has_fma()) {
      if (env.flags & kIXC) {
        // The cumulative IXC is set already (the caller's Env starts from FPSR): whether
        // this one is inexact changes nothing, so MXCSR, whose reads and writes cost more
        // than the FMA itself, stays untouched. A zero result may hide an underflow.
        const uint64_t r = fast::as_bits<N>(
            fast::host_fma(fast::as_float<N>(a), fast::as_float<N>(b), fast::as_float<N>(addend)));
        if (fast::safe_result<N>(r)) return r;
        return muladd<N>(addend, a, b, env);
      }
      bool inexact;
      const uint64_t r = fast::as_bits<N>(
          fast::host_fma(fast::as_float<N>(a), fast::as_float<N>(b), fast::as_float<N>(addend), inexact));
      if (fast::safe_result<N>(r) || (fabs<N>(r) == 0 && !inexact)) {
        if (inexact) env.flags |= kIXC;
        return r;
      }
    }
  }
#endif
  return muladd<N>(addend, a, b, env);
}

}  // namespace cpu::fp
