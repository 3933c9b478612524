// Advanced SIMD integer: lane helpers, saturation, and the per-lane operations and drivers
// shared by simd_int.cpp, simd_long.cpp and their predecode tables.
//
// Lanes are held in unsigned storage types (u8..u64); an operation that is signed casts
// its lanes itself. A driver loads whole registers into arrays of lanes, applies the
// operation to every lane and writes the result back with the V[] setter's zeroing of the
// bits above a 64-bit or scalar result (Arm ARM V[]), so each handler is one template
// specialised by element size and register width and its loops are plain loops over a
// fixed number of lanes. Arithmetic that the pseudocode does on unbounded integers is done
// in Wide<T>, which holds any sum, difference or doubled product of two lanes exactly.
#pragma once

#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "cpu/interp/fpsimd_common.h"
#include "cpu/interp/interp_common.h"

namespace cpu::interp::simd {

using u8 = uint8_t;
using u16 = uint16_t;
using u32 = uint32_t;
using u64 = uint64_t;
using u128 = unsigned __int128;
using s128 = __int128;

template <class T> using Si = std::make_signed_t<T>;
// Wide<T> holds any sum or difference of two lanes and any lane shifted left by less than
// its size; WideMul<T> also holds twice the product of two lanes (and a lane scaled by
// 2^esize). The narrowest that fit, so that loops over byte and halfword lanes vectorise.
template <class T>
using Wide = std::conditional_t<(sizeof(T) <= 2), int32_t, std::conditional_t<(sizeof(T) == 4), int64_t, s128>>;
template <class T> using WideMul = std::conditional_t<(sizeof(T) <= 2), int64_t, s128>;
// The lane type of twice the width (long and narrowing operations).
template <class T> struct Twice;
template <> struct Twice<u8> { using type = u16; };
template <> struct Twice<u16> { using type = u32; };
template <> struct Twice<u32> { using type = u64; };
template <> struct Twice<u64> { using type = u128; };
template <class T> using W2 = typename Twice<T>::type;

template <class T> inline constexpr unsigned kEsize = sizeof(T) * 8;
template <class T> inline constexpr T kOnes = static_cast<T>(~T{0});

// FPSR.QC, the cumulative saturation bit (bit 27).
inline void set_qc(Core& c) { c.set_sysreg(SysSlot::FPSR, c.sysreg(SysSlot::FPSR) | (uint64_t{1} << 27)); }

// SignedSatQ / UnsignedSatQ (Arm ARM shared/functions/integer) of an exact value v.
// Written as a clamp and an OR into q (no branches) so that lane loops vectorise.
template <class T, class V>
[[gnu::always_inline]] inline T sat_s(V v, bool& q) {
  constexpr V hi = static_cast<V>(std::numeric_limits<Si<T>>::max());
  constexpr V lo = static_cast<V>(std::numeric_limits<Si<T>>::min());
  const V r = v > hi ? hi : v < lo ? lo : v;
  q |= r != v;
  return static_cast<T>(r);
}
template <class T, class V>
[[gnu::always_inline]] inline T sat_u(V v, bool& q) {
  constexpr V hi = static_cast<V>(kOnes<T>);
  V r = v > hi ? hi : v;
  if constexpr (static_cast<V>(-1) < V{0}) r = r < V{0} ? V{0} : r;
  q |= r != v;
  return static_cast<T>(r);
}
template <class T, bool kSigned, class V>
[[gnu::always_inline]] inline T sat(V v, bool& q) {
  if constexpr (kSigned) return sat_s<T>(v, q); else return sat_u<T>(v, q);
}
// Int(x, unsigned) of a lane, exact in Wide<T> (extm: in WideMul<T>).
template <class T, bool kSigned>
[[gnu::always_inline]] inline Wide<T> ext(T x) {
  if constexpr (kSigned) return static_cast<Wide<T>>(static_cast<Si<T>>(x));
  else return static_cast<Wide<T>>(x);
}
template <class T, bool kSigned>
[[gnu::always_inline]] inline WideMul<T> extm(T x) {
  return static_cast<WideMul<T>>(ext<T, kSigned>(x));
}
// A lane sign- or zero-extended to twice its width (modulo arithmetic there is exact).
template <class T, bool kSigned>
[[gnu::always_inline]] inline W2<T> widen(T x) {
  if constexpr (kSigned) return static_cast<W2<T>>(static_cast<Si<T>>(x));
  else return static_cast<W2<T>>(x);
}
// a * b modulo 2^esize without the promotion of small unsigned types to int.
template <class T>
[[gnu::always_inline]] inline T mul_lo(T a, T b) {
  using P = std::conditional_t<(sizeof(T) < 4), u32, T>;
  return static_cast<T>(static_cast<P>(a) * static_cast<P>(b));
}

// ---- register access ----
template <unsigned kBytes, class T>
[[gnu::always_inline]] inline void get(const VReg& r, T* out) { std::memcpy(out, r.d.data(), kBytes); }
// Writes kBytes of result and zeroes the rest of the register.
template <unsigned kBytes>
[[gnu::always_inline]] inline void put(VReg& r, const void* p) {
  if constexpr (kBytes == 16) {
    std::memcpy(r.d.data(), p, 16);
  } else {
    uint64_t lo = 0;
    std::memcpy(&lo, p, kBytes);
    r.d = {lo, 0};
  }
}

#define PMUEMU_SIMD_PROLOGUE(c, i) \
  if (!fp_enabled(c)) return fp_trap(c, i)

// ---- shifts by a register (SSHL USHL SRSHL URSHL SQSHL UQSHL SQRSHL UQRSHL) ----
// shift = SInt(b<7:0>); the pseudocode shifts the unbounded integer left (negative: right,
// with round_const = 1 << (-shift - 1) when rounding), then saturates or truncates.
template <class T, bool kS, bool kRound, bool kSat>
[[gnu::always_inline]] inline T shl_reg(T a, T b, bool& q) {
  constexpr int E = static_cast<int>(kEsize<T>);
  using W = Wide<T>;
  const int sh = static_cast<int8_t>(static_cast<uint8_t>(b));
  const W x = ext<T, kS>(a);
  W r;
  if (sh >= 0) {
    if constexpr (!kSat) {
      return sh >= E ? T{0} : static_cast<T>(static_cast<u64>(a) << sh);
    } else {
      if (x == 0) return 0;
      if (sh >= E) {
        q = true;
        if constexpr (kS) return x < 0 ? static_cast<T>(std::numeric_limits<Si<T>>::min())
                                       : static_cast<T>(std::numeric_limits<Si<T>>::max());
        else return kOnes<T>;
      }
      r = x * (W{1} << sh);  // exact: |x| < 2^esize and sh < esize
    }
  } else {
    const int n = -sh > E + 1 ? E + 1 : -sh;  // beyond esize + 1 the result no longer changes
    if constexpr (kRound) r = (x + (W{1} << (n - 1))) >> n;
    else r = x >> n;
  }
  if constexpr (kSat) return sat<T, kS>(r, q);
  else return static_cast<T>(r);
}

// ---- operations on lanes ----
// Three-operand lane operations: f(a = Vn lane, b = Vm lane, d = Vd lane, q = saturated).
// kAcc: reads Vd. kPair: applied to adjacent pairs of the concatenation Vm:Vn.
struct LaneOp {
  static constexpr bool kAcc = false;
  static constexpr bool kPair = false;
};
struct AccOp : LaneOp { static constexpr bool kAcc = true; };
struct PairOp : LaneOp { static constexpr bool kPair = true; };

#define PMUEMU_OP3(Name, Base, ...)                                                 \
  template <class T>                                                                \
  struct Name : Base {                                                              \
    [[gnu::always_inline]] static T f([[maybe_unused]] T a, [[maybe_unused]] T b,   \
                                      [[maybe_unused]] T d, [[maybe_unused]] bool& q) { \
      __VA_ARGS__                                                                   \
    }                                                                               \
  };

PMUEMU_OP3(Add, LaneOp, return static_cast<T>(a + b);)
PMUEMU_OP3(Sub, LaneOp, return static_cast<T>(a - b);)
PMUEMU_OP3(Shadd, LaneOp, return static_cast<T>((ext<T, true>(a) + ext<T, true>(b)) >> 1);)
PMUEMU_OP3(Uhadd, LaneOp, return static_cast<T>((ext<T, false>(a) + ext<T, false>(b)) >> 1);)
PMUEMU_OP3(Srhadd, LaneOp, return static_cast<T>((ext<T, true>(a) + ext<T, true>(b) + 1) >> 1);)
PMUEMU_OP3(Urhadd, LaneOp, return static_cast<T>((ext<T, false>(a) + ext<T, false>(b) + 1) >> 1);)
PMUEMU_OP3(Shsub, LaneOp, return static_cast<T>((ext<T, true>(a) - ext<T, true>(b)) >> 1);)
PMUEMU_OP3(Uhsub, LaneOp, return static_cast<T>((ext<T, false>(a) - ext<T, false>(b)) >> 1);)
// Saturating add/subtract in the lane's own width (overflow from the operands' and the
// result's sign or carry), which vectorises at full width; same results as SatQ of the
// exact sum.
template <class T> [[gnu::always_inline]] inline T sqadd(T a, T b, bool& q) {
  const T s = static_cast<T>(a + b);
  const bool ov = static_cast<Si<T>>((a ^ s) & (b ^ s)) < 0;
  q |= ov;
  return ov ? static_cast<T>((static_cast<Si<T>>(a) >> (kEsize<T> - 1)) ^ std::numeric_limits<Si<T>>::max()) : s;
}
template <class T> [[gnu::always_inline]] inline T sqsub(T a, T b, bool& q) {
  const T s = static_cast<T>(a - b);
  const bool ov = static_cast<Si<T>>((a ^ b) & (a ^ s)) < 0;
  q |= ov;
  return ov ? static_cast<T>((static_cast<Si<T>>(a) >> (kEsize<T> - 1)) ^ std::numeric_limits<Si<T>>::max()) : s;
}
PMUEMU_OP3(Sqadd, LaneOp, return sqadd(a, b, q);)
PMUEMU_OP3(Uqadd, LaneOp, const T s = static_cast<T>(a + b); const bool ov = s < a; q |= ov; return ov ? kOnes<T> : s;)
PMUEMU_OP3(Sqsub, LaneOp, return sqsub(a, b, q);)
PMUEMU_OP3(Uqsub, LaneOp, const bool ov = a < b; q |= ov; return ov ? T{0} : static_cast<T>(a - b);)
PMUEMU_OP3(Cmgt, LaneOp, return static_cast<Si<T>>(a) > static_cast<Si<T>>(b) ? kOnes<T> : T{0};)
PMUEMU_OP3(Cmge, LaneOp, return static_cast<Si<T>>(a) >= static_cast<Si<T>>(b) ? kOnes<T> : T{0};)
PMUEMU_OP3(Cmhi, LaneOp, return a > b ? kOnes<T> : T{0};)
PMUEMU_OP3(Cmhs, LaneOp, return a >= b ? kOnes<T> : T{0};)
PMUEMU_OP3(Cmeq, LaneOp, return a == b ? kOnes<T> : T{0};)
PMUEMU_OP3(Cmtst, LaneOp, return (a & b) != 0 ? kOnes<T> : T{0};)
PMUEMU_OP3(Sshl, LaneOp, return shl_reg<T, true, false, false>(a, b, q);)
PMUEMU_OP3(Ushl, LaneOp, return shl_reg<T, false, false, false>(a, b, q);)
PMUEMU_OP3(Srshl, LaneOp, return shl_reg<T, true, true, false>(a, b, q);)
PMUEMU_OP3(Urshl, LaneOp, return shl_reg<T, false, true, false>(a, b, q);)
PMUEMU_OP3(Sqshl, LaneOp, return shl_reg<T, true, false, true>(a, b, q);)
PMUEMU_OP3(Uqshl, LaneOp, return shl_reg<T, false, false, true>(a, b, q);)
PMUEMU_OP3(Sqrshl, LaneOp, return shl_reg<T, true, true, true>(a, b, q);)
PMUEMU_OP3(Uqrshl, LaneOp, return shl_reg<T, false, true, true>(a, b, q);)
PMUEMU_OP3(Smax, LaneOp, return static_cast<Si<T>>(a) > static_cast<Si<T>>(b) ? a : b;)
PMUEMU_OP3(Smin, LaneOp, return static_cast<Si<T>>(a) < static_cast<Si<T>>(b) ? a : b;)
PMUEMU_OP3(Umax, LaneOp, return a > b ? a : b;)
PMUEMU_OP3(Umin, LaneOp, return a < b ? a : b;)
PMUEMU_OP3(Sabd, LaneOp, return static_cast<Si<T>>(a) > static_cast<Si<T>>(b) ? static_cast<T>(a - b) : static_cast<T>(b - a);)
PMUEMU_OP3(Uabd, LaneOp, return a > b ? static_cast<T>(a - b) : static_cast<T>(b - a);)
PMUEMU_OP3(Saba, AccOp, return static_cast<T>(d + Sabd<T>::f(a, b, d, q));)
PMUEMU_OP3(Uaba, AccOp, return static_cast<T>(d + Uabd<T>::f(a, b, d, q));)
PMUEMU_OP3(Mul, LaneOp, return mul_lo(a, b);)
PMUEMU_OP3(Mla, AccOp, return static_cast<T>(d + mul_lo(a, b));)
PMUEMU_OP3(Mls, AccOp, return static_cast<T>(d - mul_lo(a, b));)
// PolynomialMult over GF(2), low esize bits of the product.
PMUEMU_OP3(Pmul, LaneOp, T r = 0; for (unsigned k = 0; k < kEsize<T>; ++k) if ((b >> k) & 1) r = static_cast<T>(r ^ (a << k)); return r;)
PMUEMU_OP3(Smaxp, PairOp, return Smax<T>::f(a, b, d, q);)
PMUEMU_OP3(Sminp, PairOp, return Smin<T>::f(a, b, d, q);)
PMUEMU_OP3(Umaxp, PairOp, return Umax<T>::f(a, b, d, q);)
PMUEMU_OP3(Uminp, PairOp, return Umin<T>::f(a, b, d, q);)
PMUEMU_OP3(Addp, PairOp, return static_cast<T>(a + b);)
// SQDMULH / SQRDMULH: SignedSatQ((2 * a * b + round) >> esize).
PMUEMU_OP3(Sqdmulh, LaneOp, return sat_s<T>((2 * extm<T, true>(a) * extm<T, true>(b)) >> kEsize<T>, q);)
PMUEMU_OP3(Sqrdmulh, LaneOp,
           return sat_s<T>((2 * extm<T, true>(a) * extm<T, true>(b) + (WideMul<T>{1} << (kEsize<T> - 1))) >> kEsize<T>, q);)
// SQRDMLAH / SQRDMLSH (FEAT_RDM): SignedSatQ(((d << esize) +/- 2 * a * b + round) >> esize).
PMUEMU_OP3(Sqrdmlah, AccOp,
           return sat_s<T>((extm<T, true>(d) * (WideMul<T>{1} << kEsize<T>) + 2 * extm<T, true>(a) * extm<T, true>(b) +
                            (WideMul<T>{1} << (kEsize<T> - 1))) >> kEsize<T>, q);)
PMUEMU_OP3(Sqrdmlsh, AccOp,
           return sat_s<T>((extm<T, true>(d) * (WideMul<T>{1} << kEsize<T>) - 2 * extm<T, true>(a) * extm<T, true>(b) +
                            (WideMul<T>{1} << (kEsize<T> - 1))) >> kEsize<T>, q);)
// Bitwise (T = u64); the three bit-select forms of the pseudocode's VBitOps.
PMUEMU_OP3(And, LaneOp, return a & b;)
PMUEMU_OP3(Bic, LaneOp, return a & ~b;)
PMUEMU_OP3(Orr, LaneOp, return a | b;)
PMUEMU_OP3(Orn, LaneOp, return a | ~b;)
PMUEMU_OP3(Eor, LaneOp, return a ^ b;)
PMUEMU_OP3(Bsl, AccOp, return b ^ ((b ^ a) & d);)
PMUEMU_OP3(Bit, AccOp, return d ^ ((d ^ a) & b);)
PMUEMU_OP3(Bif, AccOp, return d ^ ((d ^ a) & ~b);)

// ---- whole-register forms of the hot operations ----
// GCC/Clang vector extensions: one host SIMD operation on all lanes (the per-lane
// operation above stays the definition and serves the scalar forms). VecOf<Op>::v takes
// and returns whole 128-bit registers; q collects a nonzero lane where a lane saturated.
// (GCC drops vector_size on a dependent type, hence one typedef per lane type.)
template <class T> struct VecType;
#define PMUEMU_VEC_TYPE(U, S)                                   \
  template <>                                                   \
  struct VecType<U> {                                           \
    typedef U type __attribute__((vector_size(16)));            \
    typedef S stype __attribute__((vector_size(16)));           \
    typedef U half __attribute__((vector_size(8)));             \
    typedef S shalf __attribute__((vector_size(8)));            \
  };
PMUEMU_VEC_TYPE(u8, int8_t)
PMUEMU_VEC_TYPE(u16, int16_t)
PMUEMU_VEC_TYPE(u32, int32_t)
PMUEMU_VEC_TYPE(u64, int64_t)
#undef PMUEMU_VEC_TYPE
template <class T> using Vt = typename VecType<T>::type;
template <class T> using Vs = typename VecType<T>::stype;
static_assert(sizeof(Vt<u8>) == 16 && sizeof(Vs<u64>) == 16);
template <class Op> struct VecOf { static constexpr bool kHas = false; };
#define PMUEMU_VEC(Name, ...)                                                                        \
  template <class T>                                                                                 \
  struct VecOf<Name<T>> {                                                                            \
    static constexpr bool kHas = true;                                                               \
    using V = Vt<T>;                                                                                 \
    using S = Vs<T>;                                                                                 \
    [[gnu::always_inline]] static V v([[maybe_unused]] V a, [[maybe_unused]] V b, [[maybe_unused]] V d, \
                                      [[maybe_unused]] V& q) {                                       \
      __VA_ARGS__                                                                                    \
    }                                                                                                \
  };
PMUEMU_VEC(Add, return a + b;)
PMUEMU_VEC(Sub, return a - b;)
PMUEMU_VEC(Mul, return a * b;)
PMUEMU_VEC(Mla, return d + a * b;)
PMUEMU_VEC(Mls, return d - a * b;)
PMUEMU_VEC(Cmeq, return (V)(a == b);)
PMUEMU_VEC(Cmhi, return (V)(a > b);)
PMUEMU_VEC(Cmhs, return (V)(a >= b);)
PMUEMU_VEC(Cmgt, return (V)((S)a > (S)b);)
PMUEMU_VEC(Cmge, return (V)((S)a >= (S)b);)
PMUEMU_VEC(Cmtst, return (V)((a & b) != 0);)
PMUEMU_VEC(Umax, const V m = (V)(a > b); return (a & m) | (b & ~m);)
PMUEMU_VEC(Umin, const V m = (V)(a < b); return (a & m) | (b & ~m);)
PMUEMU_VEC(Smax, const V m = (V)((S)a > (S)b); return (a & m) | (b & ~m);)
PMUEMU_VEC(Smin, const V m = (V)((S)a < (S)b); return (a & m) | (b & ~m);)
PMUEMU_VEC(Uqadd, const V s = a + b; const V ov = (V)(s < a); q |= ov; return s | ov;)
PMUEMU_VEC(Uqsub, const V ov = (V)(a < b); q |= ov; return (a - b) & ~ov;)
PMUEMU_VEC(Sqadd, const V s = a + b; const V ov = (V)((S)((a ^ s) & (b ^ s)) < 0);
           const V lim = (V)(((S)a >> (kEsize<T> - 1)) ^ std::numeric_limits<Si<T>>::max()); q |= ov;
           return (s & ~ov) | (lim & ov);)
PMUEMU_VEC(Sqsub, const V s = a - b; const V ov = (V)((S)((a ^ b) & (a ^ s)) < 0);
           const V lim = (V)(((S)a >> (kEsize<T> - 1)) ^ std::numeric_limits<Si<T>>::max()); q |= ov;
           return (s & ~ov) | (lim & ov);)
PMUEMU_VEC(And, return a & b;)
PMUEMU_VEC(Bic, return a & ~b;)
PMUEMU_VEC(Orr, return a | b;)
PMUEMU_VEC(Orn, return a | ~b;)
PMUEMU_VEC(Eor, return a ^ b;)
PMUEMU_VEC(Bsl, return b ^ ((b ^ a) & d);)
PMUEMU_VEC(Bit, return d ^ ((d ^ a) & b);)
PMUEMU_VEC(Bif, return d ^ ((d ^ a) & ~b);)

// Whether any lane of the first kBytes of a q vector is nonzero.
template <unsigned kBytes, class Q>
[[gnu::always_inline]] inline bool any_lane(const Q& q) {
  uint64_t w[2];
  std::memcpy(w, &q, 16);
  return (w[0] | (kBytes == 16 ? w[1] : 0)) != 0;
}

// Elementwise or pairwise: Vd = op(Vn, Vm) on kBytes (16, 8, or one scalar lane). kIdx:
// Vm is the element Vm[f2] (vector x indexed element).
template <class Op, class T, unsigned kBytes, bool kIdx = false>
Flow op3(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  if constexpr (VecOf<Op>::kHas && kBytes >= 8) {
    using Vv = Vt<T>;
    Vv a, b, d{}, q{};
    std::memcpy(&a, V(c, i.n).d.data(), 16);
    if constexpr (kIdx) b = Vv{} + V(c, i.m).lane<T>(i.f2);
    else std::memcpy(&b, V(c, i.m).d.data(), 16);
    if constexpr (Op::kAcc) std::memcpy(&d, V(c, i.d).d.data(), 16);
    const Vv r = VecOf<Op>::v(a, b, d, q);
    put<kBytes>(V(c, i.d), &r);
    if (any_lane<kBytes>(q)) set_qc(c);
    return next(c, i);
  }
  constexpr unsigned N = kBytes / sizeof(T);
  T a[N], b[N], d[N], r[N];
  get<kBytes>(V(c, i.n), a);
  if constexpr (kIdx) {
    const T e = V(c, i.m).lane<T>(i.f2);
    for (unsigned k = 0; k < N; ++k) b[k] = e;
  } else {
    get<kBytes>(V(c, i.m), b);
  }
  if constexpr (Op::kAcc) get<kBytes>(V(c, i.d), d);
  else for (unsigned k = 0; k < N; ++k) d[k] = 0;
  bool q = false;
  if constexpr (Op::kPair && N < 2) {
    r[0] = 0;  // no such form (a pairwise 64-bit vector of one lane is reserved)
  } else if constexpr (Op::kPair) {
    for (unsigned k = 0; k < N / 2; ++k) {
      r[k] = Op::f(a[2 * k], a[2 * k + 1], 0, q);
      r[N / 2 + k] = Op::f(b[2 * k], b[2 * k + 1], 0, q);
    }
  } else {
    for (unsigned k = 0; k < N; ++k) r[k] = Op::f(a[k], b[k], d[k], q);
  }
  put<kBytes>(V(c, i.d), r);
  if (q) set_qc(c);
  return next(c, i);
}

// Handler tables of a lane operation: [size][Q] for vectors, [size] for the scalar form.
template <template <class> class Op, bool kIdx = false>
constexpr std::array<std::array<Handler, 2>, 4> vec3_table() {
  return {{{&op3<Op<u8>, u8, 8, kIdx>, &op3<Op<u8>, u8, 16, kIdx>},
           {&op3<Op<u16>, u16, 8, kIdx>, &op3<Op<u16>, u16, 16, kIdx>},
           {&op3<Op<u32>, u32, 8, kIdx>, &op3<Op<u32>, u32, 16, kIdx>},
           {&op3<Op<u64>, u64, 8, kIdx>, &op3<Op<u64>, u64, 16, kIdx>}}};
}
template <template <class> class Op, bool kIdx = false>
constexpr std::array<Handler, 4> scalar3_table() {
  return {&op3<Op<u8>, u8, 1, kIdx>, &op3<Op<u16>, u16, 2, kIdx>, &op3<Op<u32>, u32, 4, kIdx>,
          &op3<Op<u64>, u64, 8, kIdx>};
}

// The element size encoded by the lowest set bit of imm5 (copy) or highest of immh (shift):
// 0..3 for B/H/S/D, or -1 when none.
inline int lowest_set(unsigned v, unsigned limit) {
  for (unsigned k = 0; k < limit; ++k)
    if ((v >> k) & 1) return static_cast<int>(k);
  return -1;
}
inline int highest_set(unsigned v) { return v == 0 ? -1 : 31 - __builtin_clz(v); }

}  // namespace cpu::interp::simd
