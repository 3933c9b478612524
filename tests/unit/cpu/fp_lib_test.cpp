// The FP library (cpu/fp) against two oracles: the host's IEEE 754 arithmetic for single
// and double precision in all four rounding modes (results and the flags that IEEE and Arm
// define the same way), and hand-worked values from the Arm ARM pseudocode for everything
// the host does differently (NaN propagation, default NaN, flush to zero, tininess before
// rounding, the estimate tables, half precision, AHP).
// PMUEMU_FP_ITERS scales the random cross-check (default 40000 operand sets per
// operation, precision and rounding mode).
#include <boost/test/unit_test.hpp>

#include <cfenv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <immintrin.h>
#include <random>

#include "cpu/fp/fp.h"
#include "tests/support/sanitizer.h"

namespace fp = cpu::fp;
using fp::Env;
using fp::Rounding;

namespace {

constexpr uint32_t kRN = 0, kRP = 1u << 22, kRM = 2u << 22, kRZ = 3u << 22;

template <class T> struct Bits;
template <> struct Bits<float> { using U = uint32_t; static constexpr int N = 32; };
template <> struct Bits<double> { using U = uint64_t; static constexpr int N = 64; };

template <class T> typename Bits<T>::U to_bits(T x) { typename Bits<T>::U u; std::memcpy(&u, &x, sizeof u); return u; }
template <class T> T from_bits(uint64_t u) { typename Bits<T>::U v = static_cast<typename Bits<T>::U>(u); T x; std::memcpy(&x, &v, sizeof x); return x; }

uint64_t cvt_16_32(uint64_t x, Rounding r, Env& e) { return fp::convert<16, 32>(x, r, e); }
uint64_t cvt_16_64(uint64_t x, Rounding r, Env& e) { return fp::convert<16, 64>(x, r, e); }
uint64_t cvt_32_16(uint64_t x, Rounding r, Env& e) { return fp::convert<32, 16>(x, r, e); }
uint64_t cvt_32_64(uint64_t x, Rounding r, Env& e) { return fp::convert<32, 64>(x, r, e); }
uint64_t cvt_64_16(uint64_t x, Rounding r, Env& e) { return fp::convert<64, 16>(x, r, e); }
uint64_t cvt_64_32(uint64_t x, Rounding r, Env& e) { return fp::convert<64, 32>(x, r, e); }

int iters() { return test::fp_iters(40000, 5000); }

// Random operands weighted toward the hard cases: any bit pattern, exponents close to each
// other (cancellation, halfway cases), the extremes of the exponent range (denormals,
// overflow), and small integers.
template <int N>
struct Gen {
  std::mt19937_64 rng;
  explicit Gen(uint64_t seed) : rng(seed) {}
  uint64_t any() {
    constexpr int E = fp::Fmt<N>::E, F = fp::Fmt<N>::F;
    const uint64_t r = rng();
    const uint64_t sign = (r & 1) ? fp::sign_bit<N>() : 0;
    uint64_t frac = rng() & ((uint64_t{1} << F) - 1);
    if ((r >> 1) % 4 == 0) frac &= ~((uint64_t{1} << (rng() % F)) - 1);  // few significant bits
    uint64_t exp;
    const unsigned kind = (r >> 4) % 8;
    const uint64_t emax = (uint64_t{1} << E) - 1;
    if (kind == 0) exp = 0;
    else if (kind == 1) exp = 1 + rng() % 3;
    else if (kind == 2) exp = emax - 1 - rng() % 3;
    else if (kind <= 5) exp = (emax >> 1) - 4 + rng() % 9;
    else exp = 1 + rng() % (emax - 1);
    return sign | (exp << F) | frac;
  }
};

int host_mode(uint32_t fpcr) {
  switch ((fpcr >> 22) & 3) {
    case 0: return FE_TONEAREST;
    case 1: return FE_UPWARD;
    case 2: return FE_DOWNWARD;
    default: return FE_TOWARDZERO;
  }
}

uint32_t host_flags(int fe) {
  uint32_t f = 0;
  if (fe & FE_INVALID) f |= fp::kIOC;
  if (fe & FE_DIVBYZERO) f |= fp::kDZC;
  if (fe & FE_OVERFLOW) f |= fp::kOFC;
  if (fe & FE_UNDERFLOW) f |= fp::kUFC;
  if (fe & FE_INEXACT) f |= fp::kIXC;
  return f;
}

enum class Op { kAdd, kSub, kMul, kDiv, kSqrt, kFma };

template <class T>
T host_op(Op op, T a, T b, T c, int mode, uint32_t& flags) {
  volatile T va = a, vb = b, vc = c;
  std::fesetround(mode);
  std::feclearexcept(FE_ALL_EXCEPT);
  T r;
  switch (op) {
    case Op::kAdd: r = va + vb; break;
    case Op::kSub: r = va - vb; break;
    case Op::kMul: r = va * vb; break;
    case Op::kDiv: r = va / vb; break;
    case Op::kSqrt: r = std::sqrt(static_cast<T>(va)); break;
    default: r = std::fma(static_cast<T>(va), static_cast<T>(vb), static_cast<T>(vc)); break;
  }
  volatile T vr = r;
  flags = host_flags(std::fetestexcept(FE_ALL_EXCEPT));
  std::fesetround(FE_TONEAREST);
  return vr;
}

template <int N>
uint64_t lib_op(Op op, uint64_t a, uint64_t b, uint64_t c, Env& env) {
  switch (op) {
    case Op::kAdd: return fp::add<N>(a, b, env);
    case Op::kSub: return fp::sub<N>(a, b, env);
    case Op::kMul: return fp::mul<N>(a, b, env);
    case Op::kDiv: return fp::div<N>(a, b, env);
    case Op::kSqrt: return fp::sqrt<N>(a, env);
    default: return fp::muladd<N>(c, a, b, env);
  }
}

template <class T>
void cross_check(Op op, uint32_t fpcr, uint64_t seed) {
  constexpr int N = Bits<T>::N;
  constexpr uint64_t kMinNormal = uint64_t{1} << fp::Fmt<N>::F;
  Gen<N> g(seed);
  const int n = iters();
  int mismatches = 0;
  for (int k = 0; k < n && mismatches < 5; ++k) {
    uint64_t a = g.any(), b = g.any(), c = g.any();
    if (op == Op::kSqrt && (k & 1)) a = fp::fabs<N>(a);
    if (fp::is_nan<N>(a) || fp::is_nan<N>(b) || fp::is_nan<N>(c)) continue;
    uint32_t hf;
    const T hr = host_op<T>(op, from_bits<T>(a), from_bits<T>(b), from_bits<T>(c), host_mode(fpcr), hf);
    Env env{fpcr};
    const uint64_t r = lib_op<N>(op, a, b, c, env);
    const uint64_t hb = to_bits(hr);
    bool ok;
    if (std::isnan(hr)) {
      ok = r == fp::default_nan<N>() && env.flags == fp::kIOC;
    } else {
      ok = r == hb;
      // The host detects tininess after rounding, Arm before: they differ exactly when
      // the rounded result is the smallest normal.
      uint32_t mask = ~0u;
      if (fp::fabs<N>(hb) == kMinNormal) mask &= ~fp::kUFC;
      ok = ok && (env.flags & mask) == (hf & mask);
    }
    if (!ok) {
      ++mismatches;
      BOOST_ERROR("op " << static_cast<int>(op) << " N=" << N << " fpcr=" << std::hex << fpcr << " a=" << a
                        << " b=" << b << " c=" << c << " lib=" << r << " flags " << env.flags << " host=" << hb
                        << " flags " << hf);
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fp_lib)

BOOST_AUTO_TEST_CASE(random_cross_check_against_host_ieee) {
  // Arm and IEEE 754 agree on the value and on IOC/DZC/OFC/IXC (and UFC but for the
  // tininess rule) when no operand is a NaN and FZ is off, in every rounding mode.
  uint64_t seed = 1;
  for (uint32_t mode : {kRN, kRP, kRM, kRZ}) {
    for (Op op : {Op::kAdd, Op::kSub, Op::kMul, Op::kDiv, Op::kSqrt, Op::kFma}) {
      cross_check<float>(op, mode, seed++);
      cross_check<double>(op, mode, seed++);
    }
  }
}

BOOST_AUTO_TEST_CASE(conversions_against_host) {
  Gen<64> g64(77);
  Gen<32> g32(78);
  const int n = iters();
  for (uint32_t mode : {kRN, kRP, kRM, kRZ}) {
    for (int k = 0; k < n; ++k) {
      // double -> single
      const uint64_t d = g64.any();
      if (!fp::is_nan<64>(d)) {
        std::fesetround(host_mode(mode));
        std::feclearexcept(FE_ALL_EXCEPT);
        volatile double vd = from_bits<double>(d);
        volatile float hf = static_cast<float>(vd);
        const uint32_t hfl = host_flags(std::fetestexcept(FE_ALL_EXCEPT));
        std::fesetround(FE_TONEAREST);
        Env env{mode};
        const uint64_t r = cvt_32_64(d, env.rounding(), env);
        uint32_t mask = ~0u;
        if (fp::fabs<32>(to_bits<float>(hf)) == (1u << 23)) mask &= ~fp::kUFC;
        BOOST_TEST_REQUIRE(r == to_bits<float>(hf), "fcvt s<-d " << std::hex << d);
        BOOST_TEST_REQUIRE((env.flags & mask) == (hfl & mask), "fcvt s<-d flags " << std::hex << d);
      }
      // single -> double is exact
      const uint64_t s = g32.any();
      if (!fp::is_nan<32>(s)) {
        Env env{mode};
        BOOST_TEST_REQUIRE(cvt_64_32(s, env.rounding(), env) ==
                           to_bits<double>(static_cast<double>(from_bits<float>(s))));
        BOOST_TEST_REQUIRE(env.flags == 0u);
      }
      // int64 -> double/single, in the rounding mode
      const int64_t i = static_cast<int64_t>(g64.rng() >> (g64.rng() % 64));
      const int64_t si = (k & 1) ? -i : i;
      {
        std::fesetround(host_mode(mode));
        std::feclearexcept(FE_ALL_EXCEPT);
        volatile int64_t vi = si;
        volatile double hd = static_cast<double>(vi);
        volatile float hs = static_cast<float>(vi);
        std::fesetround(FE_TONEAREST);
        Env env{mode};
        BOOST_TEST_REQUIRE(fp::from_fixed<64>(static_cast<uint64_t>(si), 0, false, env.rounding(), 64, env) ==
                           to_bits<double>(hd));
        BOOST_TEST_REQUIRE(fp::from_fixed<32>(static_cast<uint64_t>(si), 0, false, env.rounding(), 64, env) ==
                           to_bits<float>(hs));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(round_to_integral_against_host) {
  Gen<64> g(5);
  const int n = iters();
  for (int k = 0; k < n; ++k) {
    const uint64_t a = g.any();
    if (fp::is_nan<64>(a)) continue;
    const double x = from_bits<double>(a);
    struct Case { Rounding r; double want; };
    const Case cases[] = {{Rounding::kZero, std::trunc(x)}, {Rounding::kTieAway, std::round(x)},
                          {Rounding::kPosInf, std::ceil(x)}, {Rounding::kNegInf, std::floor(x)},
                          {Rounding::kTieEven, std::nearbyint(x)}};
    for (const Case& c : cases) {
      Env env{};
      BOOST_TEST_REQUIRE(fp::round_int<64>(a, c.r, true, env) == to_bits(c.want), std::hex << a);
      BOOST_TEST_REQUIRE(((env.flags & fp::kIXC) != 0) == (c.want != x));
    }
    // FCVTZS Xd, Dn: truncation, saturating, IXC when inexact, IOC when out of range.
    Env env{};
    const uint64_t r = fp::to_fixed<64>(a, 0, false, Rounding::kZero, 64, env);
    if (std::isinf(x) || std::fabs(x) >= 9223372036854775808.0) {
      if (x == -9223372036854775808.0) {
        BOOST_TEST_REQUIRE(r == 0x8000000000000000ull);
        BOOST_TEST_REQUIRE(env.flags == 0u);
      } else {
        BOOST_TEST_REQUIRE(r == (x < 0 ? 0x8000000000000000ull : 0x7fffffffffffffffull));
        BOOST_TEST_REQUIRE(env.flags == fp::kIOC);
      }
    } else {
      BOOST_TEST_REQUIRE(r == static_cast<uint64_t>(static_cast<int64_t>(x)));
      BOOST_TEST_REQUIRE(env.flags == (std::trunc(x) != x ? fp::kIXC : 0u));
    }
  }
}

BOOST_AUTO_TEST_CASE(half_precision_against_f16c) {
  // Host reference for half: the exact (or round-to-odd, which keeps enough bits) result
  // in double, rounded to odd single, then F16C's conversion in the target rounding mode.
  std::mt19937_64 rng(9);
  const int n = iters();
  auto h2d = [](uint16_t h) { return static_cast<double>(_mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(h)))); };
  auto odd_to_float = [](double d, bool inexact) {
    // d is the round-toward-zero result of the exact value; inexact marks lost bits.
    uint64_t u = to_bits(d);
    if (inexact) u |= 1;
    d = from_bits<double>(u);
    std::fesetround(FE_TOWARDZERO);
    std::feclearexcept(FE_ALL_EXCEPT);
    volatile double vd = d;
    volatile float f = static_cast<float>(vd);
    const bool lost = std::fetestexcept(FE_INEXACT);
    std::fesetround(FE_TONEAREST);
    uint32_t fu = to_bits<float>(f);
    if (lost) fu |= 1;
    return from_bits<float>(fu);
  };
  for (uint32_t mode : {kRN, kRP, kRM, kRZ}) {
    const int imm = mode == kRN ? _MM_FROUND_TO_NEAREST_INT : mode == kRP ? _MM_FROUND_TO_POS_INF
                  : mode == kRM ? _MM_FROUND_TO_NEG_INF : _MM_FROUND_TO_ZERO;
    for (int k = 0; k < n; ++k) {
      const uint16_t a = static_cast<uint16_t>(rng()), b = static_cast<uint16_t>(rng());
      if (fp::is_nan<16>(a) || fp::is_nan<16>(b) || fp::fabs<16>(a) == 0x7c00 || fp::fabs<16>(b) == 0x7c00) continue;
      for (Op op : {Op::kAdd, Op::kMul, Op::kDiv, Op::kSqrt}) {
        const double x = h2d(a), y = h2d(op == Op::kSqrt ? a : b);
        if (op == Op::kDiv && y == 0) continue;
        if (op == Op::kSqrt && x < 0) continue;
        std::fesetround(FE_TOWARDZERO);
        std::feclearexcept(FE_ALL_EXCEPT);
        volatile double vx = x, vy = y;
        volatile double r = op == Op::kAdd ? vx + vy : op == Op::kMul ? vx * vy : op == Op::kDiv ? vx / vy : std::sqrt(static_cast<double>(vx));
        const bool inexact = std::fetestexcept(FE_INEXACT);
        std::fesetround(FE_TONEAREST);
        const float f = odd_to_float(r, inexact);
        __m128i h;
        switch (imm) {
          case _MM_FROUND_TO_NEAREST_INT: h = _mm_cvtps_ph(_mm_set_ss(f), _MM_FROUND_TO_NEAREST_INT); break;
          case _MM_FROUND_TO_POS_INF: h = _mm_cvtps_ph(_mm_set_ss(f), _MM_FROUND_TO_POS_INF); break;
          case _MM_FROUND_TO_NEG_INF: h = _mm_cvtps_ph(_mm_set_ss(f), _MM_FROUND_TO_NEG_INF); break;
          default: h = _mm_cvtps_ph(_mm_set_ss(f), _MM_FROUND_TO_ZERO); break;
        }
        uint16_t want = static_cast<uint16_t>(_mm_extract_epi16(h, 0));
        // An exact zero sum of nonzero operands is -0 only when rounding toward minus
        // infinity (IEEE and Arm agree); the round-toward-zero reference gives +0.
        if (op == Op::kAdd && static_cast<double>(r) == 0 && (x != 0 || y != 0)) want = mode == kRM ? 0x8000 : 0;
        Env env{mode};
        const uint64_t got = op == Op::kAdd ? fp::add<16>(a, b, env) : op == Op::kMul ? fp::mul<16>(a, b, env)
                             : op == Op::kDiv ? fp::div<16>(a, b, env) : fp::sqrt<16>(a, env);
        BOOST_TEST_REQUIRE(got == want, "half op " << static_cast<int>(op) << std::hex << " a=" << a << " b=" << b
                                                   << " mode=" << mode << " got=" << got << " want=" << want);
        const bool lib_inexact = env.flags & fp::kIXC;
        BOOST_TEST_REQUIRE(lib_inexact == (inexact || h2d(static_cast<uint16_t>(got)) != static_cast<double>(r) ||
                                           (fp::fabs<16>(got) == 0x7c00 && !std::isinf(static_cast<double>(r)))));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(nan_propagation_and_default_nan) {
  const uint64_t qa = 0x7fc00001, qb = 0xffc00002, sa = 0x7f800003, sb = 0xff800004, one = 0x3f800000;
  Env env{};
  BOOST_TEST(fp::add<32>(qa, qb, env) == qa);  // first operand first
  BOOST_TEST(env.flags == 0u);
  BOOST_TEST(fp::add<32>(qa, sb, env) == 0xffc00004u);  // signalling before quiet, quietened
  BOOST_TEST(env.flags == fp::kIOC);
  env.flags = 0;
  BOOST_TEST(fp::mul<32>(sa, sb, env) == 0x7fc00003u);
  BOOST_TEST(fp::mul<32>(one, qb, env) == qb);
  // FPMulAdd(addend, a, b): the addend is the first operand.
  env.flags = 0;
  BOOST_TEST(fp::muladd<32>(qa, sb, one, env) == 0xffc00004u);
  BOOST_TEST(fp::muladd<32>(qa, qb, one, env) == qa);
  // 0 * Inf + qNaN is invalid: the default NaN, not the addend.
  env.flags = 0;
  BOOST_TEST(fp::muladd<32>(qa, 0, 0x7f800000, env) == 0x7fc00000u);
  BOOST_TEST(env.flags == fp::kIOC);
  // FPCR.DN: the default NaN whatever the operands.
  Env dn{fp::kFpcrDN};
  BOOST_TEST(fp::add<32>(qa, one, dn) == 0x7fc00000u);
  BOOST_TEST(fp::sub<64>(0xfff0000000000001ull, 0, dn) == 0x7ff8000000000000ull);
  BOOST_TEST(dn.flags == fp::kIOC);
  BOOST_TEST(fp::sqrt<16>(0xfc01, dn) == 0x7e00u);
  // Invalid operations give the positive default NaN (x86 would give the negative one).
  env.flags = 0;
  BOOST_TEST(fp::sub<64>(0x7ff0000000000000ull, 0x7ff0000000000000ull, env) == 0x7ff8000000000000ull);
  BOOST_TEST(fp::sqrt<32>(0xbf800000, env) == 0x7fc00000u);
  BOOST_TEST(fp::div<16>(0, 0x8000, env) == 0x7e00u);
  BOOST_TEST(env.flags == fp::kIOC);
  // Max/Min propagate NaNs; MaxNum/MinNum prefer the number over one quiet NaN but not
  // over a signalling one.
  env.flags = 0;
  BOOST_TEST(fp::max<32>(one, qa, env) == qa);
  BOOST_TEST(fp::maxnum<32>(qa, one, env) == one);
  BOOST_TEST(fp::minnum<32>(one, qb, env) == one);
  BOOST_TEST(env.flags == 0u);
  BOOST_TEST(fp::maxnum<32>(qa, sb, env) == 0xffc00004u);
  BOOST_TEST(env.flags == fp::kIOC);
  BOOST_TEST(fp::maxnum<32>(qa, qb, env) == qa);
  // Recip/rsqrt step negate the first operand before NaN processing.
  env.flags = 0;
  BOOST_TEST(fp::recip_step<32>(qa, one, env) == 0xffc00001u);
}

BOOST_AUTO_TEST_CASE(signed_zeros_infinities_and_max_min) {
  Env env{};
  BOOST_TEST(fp::add<64>(0x8000000000000000ull, 0x8000000000000000ull, env) == 0x8000000000000000ull);
  BOOST_TEST(fp::add<64>(0x8000000000000000ull, 0, env) == 0u);
  Env rm{kRM};
  BOOST_TEST(fp::add<64>(0x8000000000000000ull, 0, rm) == 0x8000000000000000ull);
  BOOST_TEST(fp::sub<32>(0x3f800000, 0x3f800000, rm) == 0x80000000u);  // x - x = -0 rounding down
  BOOST_TEST(fp::sub<32>(0x3f800000, 0x3f800000, env) == 0u);
  BOOST_TEST(fp::max<32>(0x80000000, 0, env) == 0u);
  BOOST_TEST(fp::min<32>(0x80000000, 0, env) == 0x80000000u);
  BOOST_TEST(fp::max<32>(0xff800000, 0x7f800000, env) == 0x7f800000u);
  BOOST_TEST(fp::mulx<32>(0x80000000, 0x7f800000, env) == 0xc0000000u);  // -2.0, no IOC
  BOOST_TEST(env.flags == 0u);
  BOOST_TEST(fp::div<32>(0x3f800000, 0x80000000, env) == 0xff800000u);
  BOOST_TEST(env.flags == fp::kDZC);
  BOOST_TEST(fp::compare<32>(0x80000000, 0, false, env) == 0b0110u);
  BOOST_TEST(fp::compare<32>(0xff800000, 0x80000001, false, env) == 0b1000u);
  BOOST_TEST(fp::compare<32>(0x7fc00000, 0, false, env) == 0b0011u);
  env.flags = 0;
  BOOST_TEST(fp::compare<32>(0x7fc00000, 0, false, env) == 0b0011u);
  BOOST_TEST(env.flags == 0u);
  BOOST_TEST(fp::compare<32>(0x7fc00000, 0, true, env) == 0b0011u);  // FCMPE
  BOOST_TEST(env.flags == fp::kIOC);
  env.flags = 0;
  BOOST_TEST(!fp::compare_eq<32>(0x7fc00000, 0x7fc00000, env));
  BOOST_TEST(env.flags == 0u);
  BOOST_TEST(!fp::compare_ge<32>(0x7fc00000, 0, env));
  BOOST_TEST(env.flags == fp::kIOC);
}

BOOST_AUTO_TEST_CASE(flush_to_zero_and_tininess_before_rounding) {
  // FZ: a denormal input counts as zero with IDC; a tiny result is zero with UFC, no IXC.
  Env fz{fp::kFpcrFZ};
  BOOST_TEST(fp::add<32>(0x00000001, 0x3f800000, fz) == 0x3f800000u);
  BOOST_TEST(fz.flags == fp::kIDC);
  fz.flags = 0;
  BOOST_TEST(fp::mul<32>(0x00800000, 0x3f000000, fz) == 0u);  // 2^-126 * 0.5 = 2^-127, flushed
  BOOST_TEST(fz.flags == fp::kUFC);
  fz.flags = 0;
  BOOST_TEST(fp::mul<32>(0x80800000, 0x3f000000, fz) == 0x80000000u);  // sign kept
  // FZ16 flushes half inputs without IDC and does not touch single precision.
  Env fz16{fp::kFpcrFZ16};
  BOOST_TEST(fp::add<16>(0x0001, 0x0001, fz16) == 0u);
  BOOST_TEST(fz16.flags == 0u);
  BOOST_TEST(fp::add<32>(0x00000001, 0x00000001, fz16) == 2u);
  // Without FZ: an exact denormal result raises nothing; an inexact one UFC|IXC.
  Env env{};
  BOOST_TEST(fp::mul<32>(0x00800000, 0x3f000000, env) == 0x00400000u);
  BOOST_TEST(env.flags == 0u);
  BOOST_TEST(fp::mul<32>(0x00800001, 0x3f000000, env) == 0x00400000u);  // ties to even
  BOOST_TEST(env.flags == (fp::kUFC | fp::kIXC));
  // Tininess before rounding: 2^-126 - 2^-150 rounds up to the smallest normal,
  // and Arm still signals underflow (x86 would not).
  env.flags = 0;
  const uint64_t just_below = 0x3f7fffff;  // 1 - 2^-24
  BOOST_TEST(fp::mul<32>(0x00ffffff, 0x3f000000, env) == 0x00800000u);  // 2^-126 - 2^-150: ties up to min normal
  BOOST_TEST(env.flags == (fp::kUFC | fp::kIXC));
  env.flags = 0;
  BOOST_TEST(fp::mul<32>(0x00800000, just_below, env) == 0x00800000u);
  BOOST_TEST(env.flags == (fp::kUFC | fp::kIXC));
  // Overflow in each rounding mode.
  for (auto [mode, pos, neg] : {std::tuple{kRN, 0x7f800000u, 0xff800000u}, std::tuple{kRP, 0x7f800000u, 0xff7fffffu},
                                 std::tuple{kRM, 0x7f7fffffu, 0xff800000u}, std::tuple{kRZ, 0x7f7fffffu, 0xff7fffffu}}) {
    Env e{mode};
    BOOST_TEST(fp::mul<32>(0x7f000000, 0x40000000, e) == pos);
    BOOST_TEST(fp::mul<32>(0xff000000, 0x40000000, e) == neg);
    BOOST_TEST(e.flags == (fp::kOFC | fp::kIXC));
  }
}

BOOST_AUTO_TEST_CASE(halfway_cases_in_every_mode) {
  // 1 + 2^-24 is halfway between 1 and 1 + 2^-23 in single precision; 1 + 3*2^-24
  // halfway between 1 + 2^-23 and 1 + 2^-22.
  const uint64_t one = 0x3f800000, half_ulp = 0x33800000;  // 2^-24
  struct Case { uint32_t mode; uint64_t a; uint64_t want_pos; uint64_t want_neg; };
  for (const Case& c : {Case{kRN, one, 0x3f800000, 0xbf800000}, Case{kRP, one, 0x3f800001, 0xbf800000},
                        Case{kRM, one, 0x3f800000, 0xbf800001}, Case{kRZ, one, 0x3f800000, 0xbf800000},
                        Case{kRN, 0x3f800001, 0x3f800002, 0xbf800002}}) {
    Env e{c.mode};
    BOOST_TEST(fp::add<32>(c.a, half_ulp, e) == c.want_pos);
    BOOST_TEST(fp::add<32>(fp::fneg<32>(c.a), fp::fneg<32>(half_ulp), e) == c.want_neg);
    BOOST_TEST(e.flags == fp::kIXC);
  }
  // Ties-away exists only for FRINTA/FCVTA*.
  Env e{};
  BOOST_TEST(fp::round_int<32>(0x3fc00000, Rounding::kTieAway, false, e) == 0x40000000u);   // 1.5 -> 2
  BOOST_TEST(fp::round_int<32>(0x40200000, Rounding::kTieAway, false, e) == 0x40400000u);   // 2.5 -> 3
  BOOST_TEST(fp::round_int<32>(0x40200000, Rounding::kTieEven, false, e) == 0x40000000u);   // 2.5 -> 2
  BOOST_TEST(fp::round_int<32>(0xbf000000, Rounding::kTieEven, true, e) == 0x80000000u);    // -0.5 -> -0
  BOOST_TEST(e.flags == fp::kIXC);
  BOOST_TEST(fp::to_fixed<32>(0xc0200000, 0, false, Rounding::kTieAway, 32, e) == 0xfffffffdu);  // -2.5 -> -3
  BOOST_TEST(fp::to_fixed<32>(0xbf000000, 0, true, Rounding::kNegInf, 32, e) == 0u);  // -0.5 -> -1 -> 0 sat
  // Round to odd (FCVTXN): inexact results get their last bit set.
  Env o{};
  BOOST_TEST(cvt_32_64(0x3ff0000000000001ull, Rounding::kOdd, o) == 0x3f800001u);
  BOOST_TEST(o.flags == fp::kIXC);
}

BOOST_AUTO_TEST_CASE(fused_multiply_add_single_rounding) {
  // (1 + 2^-23)^2 - (1 + 2^-22) = 2^-46 exactly: a separate multiply would round it away.
  Env e{};
  const uint64_t a = 0x3f800001;
  BOOST_TEST(fp::muladd<32>(0xbf800002, a, a, e) == 0x28800000u);
  BOOST_TEST(e.flags == 0u);
  // Exact zero results: +0, or -0 when rounding toward minus infinity.
  BOOST_TEST(fp::muladd<32>(0xbf800000, 0x3f800000, 0x3f800000, e) == 0u);
  Env rm{kRM};
  BOOST_TEST(fp::muladd<32>(0xbf800000, 0x3f800000, 0x3f800000, rm) == 0x80000000u);
  // -0 + (+0 * -x) is -0 (both zeros negative).
  BOOST_TEST(fp::muladd<32>(0x80000000, 0, 0xbf800000, e) == 0x80000000u);
  // A tiny product against a large addend still rounds correctly (sticky).
  Env rp{kRP};
  BOOST_TEST(fp::muladd<64>(0x3ff0000000000000ull, 0x0000000000000001ull, 0x0000000000000001ull, rp) ==
             0x3ff0000000000001ull);
  Env rz{kRZ};
  BOOST_TEST(fp::muladd<64>(0x3ff0000000000000ull, 0x8000000000000001ull, 0x0000000000000001ull, rz) ==
             0x3fefffffffffffffull);
}

BOOST_AUTO_TEST_CASE(estimates_use_the_architecture_tables) {
  // RecipEstimate(256) = 511 and RecipEstimate(511) = 256; RecipSqrtEstimate(128) = 511.
  BOOST_TEST(fp::recip_estimate_table(256) == 511u);
  BOOST_TEST(fp::recip_estimate_table(511) == 256u);
  BOOST_TEST(fp::rsqrt_estimate_table(128) == 511u);
  BOOST_TEST(fp::rsqrt_estimate_table(511) == 256u);
  for (unsigned a = 256; a < 512; ++a) {
    // The estimate is within the table's precision of 1/x: x in [a/512, (a+1)/512).
    const double est = fp::recip_estimate_table(a) / 256.0, x = (a + 0.5) / 512.0;
    BOOST_TEST_REQUIRE(std::fabs(est * x - 1.0) < 1.0 / 256);
  }
  for (unsigned a = 128; a < 512; ++a) {
    const double x = a < 256 ? (a + 0.5) / 512.0 : ((a & ~1u) + 1.0) / 512.0;
    const double est = fp::rsqrt_estimate_table(a) / 256.0;
    BOOST_TEST_REQUIRE(std::fabs(est * std::sqrt(x) - 1.0) < 1.0 / 256);
  }
  Env e{};
  BOOST_TEST(fp::recip_estimate<32>(0x3f800000, e) == 0x3f7f8000u);  // FRECPE 1.0 = 0.998046875
  BOOST_TEST(fp::recip_estimate<64>(0x4000000000000000ull, e) == 0x3fdff00000000000ull);
  BOOST_TEST(fp::rsqrt_estimate<32>(0x40800000, e) == 0x3eff8000u);  // FRSQRTE 4.0 = 0.4990234375
  BOOST_TEST(e.flags == 0u);
  BOOST_TEST(fp::recip_estimate<32>(0, e) == 0x7f800000u);
  BOOST_TEST(e.flags == fp::kDZC);
  e.flags = 0;
  BOOST_TEST(fp::recip_estimate<32>(0x00000001, e) == 0x7f800000u);  // too small: overflow
  BOOST_TEST(e.flags == (fp::kOFC | fp::kIXC));
  Env rz{kRZ};
  BOOST_TEST(fp::recip_estimate<32>(0x80000001, rz) == 0xff7fffffu);
  e.flags = 0;
  BOOST_TEST(fp::rsqrt_estimate<32>(0xbf800000, e) == 0x7fc00000u);
  BOOST_TEST(e.flags == fp::kIOC);
  BOOST_TEST(fp::recpx<32>(0x3f800000, e) == 0x40000000u);  // exponent inverted: 127 -> 128
  BOOST_TEST(fp::recpx<32>(0x00000005, e) == 0x7f000000u);  // denormal: max exponent
  BOOST_TEST(fp::urecpe(0x80000000u) == 0xff800000u);
  BOOST_TEST(fp::urecpe(0x7fffffffu) == 0xffffffffu);
  BOOST_TEST(fp::ursqrte(0x40000000u) == 0xff800000u);
  BOOST_TEST(fp::recip_step<32>(0x40000000, 0x3f000000, e) == 0x3f800000u);  // 2 - 2*0.5 = 1
  BOOST_TEST(fp::rsqrt_step<32>(0x3f800000, 0x3f800000, e) == 0x3f800000u);  // (3 - 1)/2 = 1
  BOOST_TEST(fp::recip_step<32>(0x7f800000, 0, e) == 0x40000000u);           // Inf*0: 2.0
  BOOST_TEST(fp::rsqrt_step<32>(0, 0xff800000, e) == 0x3fc00000u);           // 1.5
}

BOOST_AUTO_TEST_CASE(conversions_between_precisions_and_ahp) {
  Env e{};
  // NaN payloads move to the top of the destination fraction, quiet bit set.
  BOOST_TEST(cvt_32_64(0x7ff0000020000000ull, Rounding::kTieEven, e) == 0x7fc00001u);
  BOOST_TEST(e.flags == fp::kIOC);
  BOOST_TEST(cvt_64_32(0xffc00001u, Rounding::kTieEven, e) == 0xfff8000020000000ull);
  BOOST_TEST(cvt_64_16(0x7c01u, Rounding::kTieEven, e) == 0x7ff8040000000000ull);
  BOOST_TEST(cvt_16_32(0x477fe000u, Rounding::kTieEven, e) == 0x7bffu);  // 65504
  e.flags = 0;
  BOOST_TEST(cvt_16_32(0x477ff000u, Rounding::kTieEven, e) == 0x7c00u);  // halfway above max: Inf
  BOOST_TEST(e.flags == (fp::kOFC | fp::kIXC));
  BOOST_TEST(cvt_16_64(0x3e70000000000000ull, Rounding::kTieEven, e) == 0x0001u);  // 2^-24
  // AHP: no infinities or NaNs; the top exponent is a normal number, overflow is IOC.
  Env ahp{fp::kFpcrAHP};
  BOOST_TEST(cvt_32_16(0x7c00u, Rounding::kTieEven, ahp) == 0x47800000u);  // 65536
  BOOST_TEST(cvt_16_32(0x47800000u, Rounding::kTieEven, ahp) == 0x7c00u);
  BOOST_TEST(ahp.flags == 0u);
  BOOST_TEST(cvt_16_32(0x7f800000u, Rounding::kTieEven, ahp) == 0x7fffu);
  BOOST_TEST(ahp.flags == fp::kIOC);
  ahp.flags = 0;
  BOOST_TEST(cvt_16_32(0x7fc00000u, Rounding::kTieEven, ahp) == 0x0000u);
  BOOST_TEST(ahp.flags == fp::kIOC);
  ahp.flags = 0;
  BOOST_TEST(cvt_16_32(0x48000000u, Rounding::kTieEven, ahp) == 0x7fffu);  // 131072 > max
  BOOST_TEST(ahp.flags == fp::kIOC);
  // Conversions ignore FZ16 but honour FZ.
  Env fz16{fp::kFpcrFZ16};
  BOOST_TEST(cvt_32_16(0x0001u, Rounding::kTieEven, fz16) == 0x33800000u);
  Env fz{fp::kFpcrFZ};
  BOOST_TEST(cvt_16_32(0x00000001u, Rounding::kTieEven, fz) == 0u);
  BOOST_TEST(fz.flags == fp::kIDC);
}

BOOST_AUTO_TEST_CASE(integer_and_fixed_point_conversions) {
  Env e{};
  BOOST_TEST(fp::to_fixed<64>(0x4059000000000000ull, 4, false, Rounding::kZero, 32, e) == 1600u);  // 100.0 #4
  BOOST_TEST(fp::to_fixed<64>(0xbff0000000000000ull, 0, true, Rounding::kZero, 64, e) == 0u);
  BOOST_TEST(e.flags == fp::kIOC);
  e.flags = 0;
  BOOST_TEST(fp::to_fixed<32>(0x7fc00000u, 0, false, Rounding::kZero, 32, e) == 0u);
  BOOST_TEST(e.flags == fp::kIOC);
  e.flags = 0;
  BOOST_TEST(fp::to_fixed<32>(0x4f000000u, 0, false, Rounding::kZero, 32, e) == 0x7fffffffu);  // 2^31
  BOOST_TEST(fp::to_fixed<32>(0xcf000000u, 0, false, Rounding::kZero, 32, e) == 0x80000000u);
  BOOST_TEST(fp::to_fixed<16>(0x7c00u, 0, true, Rounding::kZero, 64, e) == ~0ull);
  BOOST_TEST(fp::from_fixed<32>(0x80000000u, 0, false, Rounding::kTieEven, 32, e) == 0xcf000000u);
  BOOST_TEST(fp::from_fixed<32>(0xffffffffu, 0, true, Rounding::kTieEven, 32, e) == 0x4f800000u);
  BOOST_TEST(fp::from_fixed<64>(1, 64, true, Rounding::kTieEven, 64, e) == 0x3bf0000000000000ull);  // 2^-64
  BOOST_TEST(fp::from_fixed<16>(0xffffffffffffffffull, 0, true, Rounding::kTieEven, 64, e) == 0x7c00u);
  // FRINT32Z/64X: out of range (and NaN/Inf) give the most negative integer with IOC.
  Env f{};
  BOOST_TEST(fp::round_int_n<32>(0x4f000000u, Rounding::kZero, 32, f) == 0xcf000000u);
  BOOST_TEST(f.flags == fp::kIOC);
  f.flags = 0;
  BOOST_TEST(fp::round_int_n<64>(0x7ff8000000000000ull, Rounding::kZero, 64, f) == 0xc3e0000000000000ull);
  BOOST_TEST(fp::round_int_n<32>(0xcf000000u, Rounding::kZero, 32, f) == 0xcf000000u);
  BOOST_TEST(fp::round_int_n<64>(0x3fe0000000000000ull, Rounding::kTieEven, 32, f) == 0u);
  BOOST_TEST(f.flags == (fp::kIOC | fp::kIXC));
  // FJCVTZS: modulo 2^32, Z only when exact and in range.
  Env j{};
  bool z;
  BOOST_TEST(fp::to_fixed_js(0x41f0000000000001ull, &z, j) == 0u);  // 2^32 + 2^-20: low 32 bits 0, IOC
  BOOST_TEST(!z);
  BOOST_TEST(j.flags == fp::kIOC);
  BOOST_TEST(fp::to_fixed_js(0xc1f0000000100000ull, &z, j) == 0xffffffffu);  // -(2^32 + 1) mod 2^32
  j.flags = 0;
  BOOST_TEST(fp::to_fixed_js(0x3ff8000000000000ull, &z, j) == 1u);  // 1.5: truncated, inexact
  BOOST_TEST(!z);
  BOOST_TEST(j.flags == fp::kIXC);
  j.flags = 0;
  BOOST_TEST(fp::to_fixed_js(0xc000000000000000ull, &z, j) == 0xfffffffeu);
  BOOST_TEST(z);
  BOOST_TEST(j.flags == 0u);
  BOOST_TEST(fp::to_fixed_js(0x8000000000000000ull, &z, j) == 0u);
  BOOST_TEST(!z);
  BOOST_TEST(fp::to_fixed_js(0x7ff0000000000000ull, &z, j) == 0u);
  BOOST_TEST(j.flags == fp::kIOC);
  BOOST_TEST(fp::expand_imm8<64>(0x70) == 0x3ff0000000000000ull);  // fmov d0, #1.0
  BOOST_TEST(fp::expand_imm8<32>(0x00) == 0x40000000u);             // #2.0
  BOOST_TEST(fp::expand_imm8<16>(0xf0) == 0xbc00u);                 // #-1.0
}

BOOST_AUTO_TEST_SUITE_END()
