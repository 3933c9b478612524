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
template <class T> using Wide = std::conditional_t<(sizeof(T) >= 4), s128, int64_t>;
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
template <class T, class V>
[[gnu::always_inline]] inline T sat_s(V v, bool& q) {
  constexpr V hi = static_cast<V>(std::numeric_limits<Si<T>>::max());
  constexpr V lo = static_cast<V>(std::numeric_limits<Si<T>>::min());
  if (v > hi) { q = true; return static_cast<T>(hi); }
  if (v < lo) { q = true; return static_cast<T>(static_cast<Si<T>>(lo)); }
  return static_cast<T>(v);
}
template <class T, class V>
[[gnu::always_inline]] inline T sat_u(V v, bool& q) {
  if (v < 0) { q = true; return 0; }
  if (v > static_cast<V>(kOnes<T>)) { q = true; return kOnes<T>; }
  return static_cast<T>(v);
}
template <class T, bool kSigned, class V>
[[gnu::always_inline]] inline T sat(V v, bool& q) {
  if constexpr (kSigned) return sat_s<T>(v, q); else return sat_u<T>(v, q);
}
// Int(x, unsigned) of a lane, exact in Wide<T>.
template <class T, bool kSigned>
[[gnu::always_inline]] inline Wide<T> ext(T x) {
  if constexpr (kSigned) return static_cast<Wide<T>>(static_cast<Si<T>>(x));
  else return static_cast<Wide<T>>(x);
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
PMUEMU_OP3(Sqadd, LaneOp, return sat_s<T>(ext<T, true>(a) + ext<T, true>(b), q);)
PMUEMU_OP3(Uqadd, LaneOp, return sat_u<T>(ext<T, false>(a) + ext<T, false>(b), q);)
PMUEMU_OP3(Sqsub, LaneOp, return sat_s<T>(ext<T, true>(a) - ext<T, true>(b), q);)
PMUEMU_OP3(Uqsub, LaneOp, return sat_u<T>(ext<T, false>(a) - ext<T, false>(b), q);)
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
PMUEMU_OP3(Sqdmulh, LaneOp, return sat_s<T>((2 * ext<T, true>(a) * ext<T, true>(b)) >> kEsize<T>, q);)
PMUEMU_OP3(Sqrdmulh, LaneOp,
           return sat_s<T>((2 * ext<T, true>(a) * ext<T, true>(b) + (Wide<T>{1} << (kEsize<T> - 1))) >> kEsize<T>, q);)
// SQRDMLAH / SQRDMLSH (FEAT_RDM): SignedSatQ(((d << esize) +/- 2 * a * b + round) >> esize).
PMUEMU_OP3(Sqrdmlah, AccOp,
           return sat_s<T>((ext<T, true>(d) * (Wide<T>{1} << kEsize<T>) + 2 * ext<T, true>(a) * ext<T, true>(b) +
                            (Wide<T>{1} << (kEsize<T> - 1))) >> kEsize<T>, q);)
PMUEMU_OP3(Sqrdmlsh, AccOp,
           return sat_s<T>((ext<T, true>(d) * (Wide<T>{1} << kEsize<T>) - 2 * ext<T, true>(a) * ext<T, true>(b) +
                            (Wide<T>{1} << (kEsize<T> - 1))) >> kEsize<T>, q);)
// Bitwise (T = u64); the three bit-select forms of the pseudocode's VBitOps.
PMUEMU_OP3(And, LaneOp, return a & b;)
PMUEMU_OP3(Bic, LaneOp, return a & ~b;)
PMUEMU_OP3(Orr, LaneOp, return a | b;)
PMUEMU_OP3(Orn, LaneOp, return a | ~b;)
PMUEMU_OP3(Eor, LaneOp, return a ^ b;)
PMUEMU_OP3(Bsl, AccOp, return b ^ ((b ^ a) & d);)
PMUEMU_OP3(Bit, AccOp, return d ^ ((d ^ a) & b);)
PMUEMU_OP3(Bif, AccOp, return d ^ ((d ^ a) & ~b);)

// Elementwise or pairwise: Vd = op(Vn, Vm) on kBytes (16, 8, or one scalar lane). kIdx:
// Vm is the element Vm[f2] (vector x indexed element).
template <class Op, class T, unsigned kBytes, bool kIdx = false>
Flow op3(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
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
