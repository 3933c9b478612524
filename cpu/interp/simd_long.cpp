// Advanced SIMD integer (Arm ARM C4.1.95): shift by immediate, three different (long, wide
// and narrowing-high forms), vector x indexed element, and their scalar forms.
// The lane loops have fixed trip counts; GCC's default -O2 cost model ("very cheap")
// leaves most of them scalar, so this file asks for the full model.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("vect-cost-model=dynamic")
#endif
#include <array>

#include "cpu/decoder/fields.h"
#include "cpu/interp/predecode.h"
#include "cpu/interp/simd_ops.h"
#include "cpu/interp/visitor.h"

namespace cpu::interp {
namespace {

using namespace simd;

// ---------------- shift by immediate ----------------
// f(a = Vn lane, d = Vd lane, sh, q); sh is the decoded shift (1..esize for right shifts,
// 0..esize-1 for left shifts).
#define PMUEMU_OPSH(Name, Base, ...)                                                              \
  template <class T>                                                                              \
  struct Name : Base {                                                                            \
    [[gnu::always_inline]] static T f([[maybe_unused]] T a, [[maybe_unused]] T d, unsigned sh,    \
                                      [[maybe_unused]] bool& q) {                                 \
      __VA_ARGS__                                                                                 \
    }                                                                                             \
  };
template <class T> [[gnu::always_inline]] inline T sshr(T a, unsigned sh) {
  return static_cast<T>(static_cast<Si<T>>(a) >> (sh >= kEsize<T> ? kEsize<T> - 1 : sh));
}
template <class T> [[gnu::always_inline]] inline T ushr(T a, unsigned sh) {
  return sh >= kEsize<T> ? T{0} : static_cast<T>(a >> sh);
}
template <class T, bool kS> [[gnu::always_inline]] inline T rshr(T a, unsigned sh) {
  return static_cast<T>((ext<T, kS>(a) + (Wide<T>{1} << (sh - 1))) >> sh);
}
PMUEMU_OPSH(Sshr, LaneOp, return sshr(a, sh);)
PMUEMU_OPSH(Ushr, LaneOp, return ushr(a, sh);)
PMUEMU_OPSH(Ssra, AccOp, return static_cast<T>(d + sshr(a, sh));)
PMUEMU_OPSH(Usra, AccOp, return static_cast<T>(d + ushr(a, sh));)
PMUEMU_OPSH(Srshr, LaneOp, return rshr<T, true>(a, sh);)
PMUEMU_OPSH(Urshr, LaneOp, return rshr<T, false>(a, sh);)
PMUEMU_OPSH(Srsra, AccOp, return static_cast<T>(d + rshr<T, true>(a, sh));)
PMUEMU_OPSH(Ursra, AccOp, return static_cast<T>(d + rshr<T, false>(a, sh));)
// SRI keeps the top sh bits of Vd; SLI keeps the low sh bits.
PMUEMU_OPSH(Sri, AccOp, if (sh >= kEsize<T>) return d; const T mask = static_cast<T>(kOnes<T> >> sh);
            return static_cast<T>((d & ~mask) | (a >> sh));)
PMUEMU_OPSH(Shl, LaneOp, return static_cast<T>(static_cast<u64>(a) << sh);)
PMUEMU_OPSH(Sli, AccOp, const T mask = static_cast<T>(static_cast<u64>(kOnes<T>) << sh);
            return static_cast<T>((d & ~mask) | (static_cast<u64>(a) << sh));)
PMUEMU_OPSH(SqshlI, LaneOp, return sat_s<T>(ext<T, true>(a) * (Wide<T>{1} << sh), q);)
PMUEMU_OPSH(UqshlI, LaneOp, return sat_u<T>(ext<T, false>(a) * (Wide<T>{1} << sh), q);)
PMUEMU_OPSH(Sqshlu, LaneOp, return sat_u<T>(ext<T, true>(a) * (Wide<T>{1} << sh), q);)

// Whole-register forms of the common shifts (a shift count of esize handled first: the
// host's vector shift is only defined below it).
template <class Op> struct ShiftVec { static constexpr bool kHas = false; };
#define PMUEMU_SHIFT_VEC(Name, ...)                                                           \
  template <class T>                                                                          \
  struct ShiftVec<Name<T>> {                                                                  \
    static constexpr bool kHas = true;                                                        \
    using V = Vt<T>;                                                                          \
    using S = Vs<T>;                                                                          \
    [[gnu::always_inline]] static V v(V a, [[maybe_unused]] V d, unsigned sh) { __VA_ARGS__ } \
  };
PMUEMU_SHIFT_VEC(Ushr, return sh >= kEsize<T> ? V{} : a >> sh;)
PMUEMU_SHIFT_VEC(Sshr, return (V)((S)a >> (sh >= kEsize<T> ? kEsize<T> - 1 : sh));)
PMUEMU_SHIFT_VEC(Usra, return d + (sh >= kEsize<T> ? V{} : a >> sh);)
PMUEMU_SHIFT_VEC(Ssra, return d + (V)((S)a >> (sh >= kEsize<T> ? kEsize<T> - 1 : sh));)
PMUEMU_SHIFT_VEC(Shl, return a << sh;)
#undef PMUEMU_SHIFT_VEC

template <class Op, class T, unsigned kBytes>
Flow op_shift(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  if constexpr (ShiftVec<Op>::kHas && kBytes >= 8) {
    Vt<T> a, d{};
    std::memcpy(&a, V(c, i.n).d.data(), 16);
    if constexpr (Op::kAcc) std::memcpy(&d, V(c, i.d).d.data(), 16);
    const Vt<T> r = ShiftVec<Op>::v(a, d, i.f1);
    put<kBytes>(V(c, i.d), &r);
    return next(c, i);
  }
  constexpr unsigned N = kBytes / sizeof(T);
  T a[N], d[N], r[N];
  get<kBytes>(V(c, i.n), a);
  if constexpr (Op::kAcc) get<kBytes>(V(c, i.d), d);
  else for (unsigned k = 0; k < N; ++k) d[k] = 0;
  const unsigned sh = i.f1;
  bool q = false;
  for (unsigned k = 0; k < N; ++k) r[k] = Op::f(a[k], d[k], sh, q);
  put<kBytes>(V(c, i.d), r);
  if (q) set_qc(c);
  return next(c, i);
}

// Narrowing shifts: T from lanes of twice the width, f(x, sh, q).
#define PMUEMU_OPSHN(Name, ...)                                                           \
  template <class T>                                                                      \
  struct Name {                                                                           \
    using W = W2<T>;                                                                      \
    [[gnu::always_inline]] static T f(W x, unsigned sh, [[maybe_unused]] bool& q) {       \
      [[maybe_unused]] const Wide<W> rnd = Wide<W>{1} << (sh - 1);                        \
      __VA_ARGS__                                                                         \
    }                                                                                     \
  };
PMUEMU_OPSHN(Shrn, return static_cast<T>(x >> sh);)
PMUEMU_OPSHN(Rshrn, return static_cast<T>((ext<W, false>(x) + rnd) >> sh);)
PMUEMU_OPSHN(Sqshrn, return sat_s<T>(ext<W, true>(x) >> sh, q);)
PMUEMU_OPSHN(Sqrshrn, return sat_s<T>((ext<W, true>(x) + rnd) >> sh, q);)
PMUEMU_OPSHN(Uqshrn, return sat_u<T>(ext<W, false>(x) >> sh, q);)
PMUEMU_OPSHN(Uqrshrn, return sat_u<T>((ext<W, false>(x) + rnd) >> sh, q);)
PMUEMU_OPSHN(Sqshrun, return sat_u<T>(ext<W, true>(x) >> sh, q);)
PMUEMU_OPSHN(Sqrshrun, return sat_u<T>((ext<W, true>(x) + rnd) >> sh, q);)

// kPart: 0 low half (rest cleared), 1 high half ("2" forms), 2 scalar.
template <class Op, class T, unsigned kPart>
Flow op_shift_narrow(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  using W = W2<T>;
  constexpr unsigned N = kPart == 2 ? 1 : 8 / sizeof(T);
  W a[N];
  T r[N];
  get<N * sizeof(W)>(V(c, i.n), a);
  const unsigned sh = i.f1;
  bool q = false;
  for (unsigned k = 0; k < N; ++k) r[k] = Op::f(a[k], sh, q);
  VReg& d = V(c, i.d);
  if constexpr (kPart == 1) std::memcpy(&d.d[1], r, 8);
  else put<N * sizeof(T)>(d, r);
  if (q) set_qc(c);
  return next(c, i);
}

// SSHLL/USHLL (and SXTL/UXTL, shift 0).
template <class T, bool kS, bool kHi>
Flow op_shll_imm(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  using W = W2<T>;
  constexpr unsigned N = 8 / sizeof(T);
  const unsigned sh = i.f1;
  if constexpr (sizeof(T) < 8) {
    // One conversion of the half-register vector to lanes of twice the width.
    Vt<W> r;
    if constexpr (kS) {
      typename VecType<T>::shalf h;
      std::memcpy(&h, &V(c, i.n).d[kHi ? 1 : 0], 8);
      r = (Vt<W>)__builtin_convertvector(h, Vs<W>);
    } else {
      typename VecType<T>::half h;
      std::memcpy(&h, &V(c, i.n).d[kHi ? 1 : 0], 8);
      r = __builtin_convertvector(h, Vt<W>);
    }
    r <<= sh;
    put<16>(V(c, i.d), &r);
    return next(c, i);
  }
  T a[N];
  W r[N];
  std::memcpy(a, &V(c, i.n).d[kHi ? 1 : 0], 8);
  for (unsigned k = 0; k < N; ++k) r[k] = static_cast<W>(widen<T, kS>(a[k]) << sh);
  put<16>(V(c, i.d), r);
  return next(c, i);
}

template <template <class> class Op>
constexpr std::array<std::array<Handler, 2>, 4> shift_vec() {
  return {{{&op_shift<Op<u8>, u8, 8>, &op_shift<Op<u8>, u8, 16>},
           {&op_shift<Op<u16>, u16, 8>, &op_shift<Op<u16>, u16, 16>},
           {&op_shift<Op<u32>, u32, 8>, &op_shift<Op<u32>, u32, 16>},
           {nullptr, &op_shift<Op<u64>, u64, 16>}}};
}
template <template <class> class Op>
constexpr std::array<Handler, 4> shift_scalar() {
  return {&op_shift<Op<u8>, u8, 1>, &op_shift<Op<u16>, u16, 2>, &op_shift<Op<u32>, u32, 4>,
          &op_shift<Op<u64>, u64, 8>};
}
template <template <class> class Op>
constexpr std::array<std::array<Handler, 3>, 4> shift_narrow() {
  return {{{&op_shift_narrow<Op<u8>, u8, 0>, &op_shift_narrow<Op<u8>, u8, 1>, &op_shift_narrow<Op<u8>, u8, 2>},
           {&op_shift_narrow<Op<u16>, u16, 0>, &op_shift_narrow<Op<u16>, u16, 1>, &op_shift_narrow<Op<u16>, u16, 2>},
           {&op_shift_narrow<Op<u32>, u32, 0>, &op_shift_narrow<Op<u32>, u32, 1>, &op_shift_narrow<Op<u32>, u32, 2>},
           {}}};
}

enum ShiftDir : uint8_t { kNoShift, kRight, kLeft, kNarrow, kLong };
struct ShiftEntry {
  ShiftDir dir = kNoShift;
  std::array<std::array<Handler, 2>, 4> v{};
  std::array<Handler, 4> s{};
  uint8_t ssizes = 0;  // scalar sizes (bit per size); 0: no scalar form
  std::array<std::array<Handler, 3>, 4> n{};
};
template <template <class> class Op>
constexpr ShiftEntry se(ShiftDir dir, uint8_t ssizes) {
  ShiftEntry e;
  e.dir = dir;
  e.v = shift_vec<Op>();
  e.s = shift_scalar<Op>();
  e.ssizes = ssizes;
  return e;
}
template <template <class> class Op>
constexpr ShiftEntry sn(bool scalar) {
  ShiftEntry e;
  e.dir = kNarrow;
  e.n = shift_narrow<Op>();
  e.ssizes = scalar ? 0x7 : 0;
  return e;
}
template <bool kS>
constexpr ShiftEntry sl() {
  ShiftEntry e;
  e.dir = kLong;
  e.v = {{{&op_shll_imm<u8, kS, false>, &op_shll_imm<u8, kS, true>},
          {&op_shll_imm<u16, kS, false>, &op_shll_imm<u16, kS, true>},
          {&op_shll_imm<u32, kS, false>, &op_shll_imm<u32, kS, true>},
          {}}};
  return e;
}

// [U][opcode]: "Advanced SIMD (scalar) shift by immediate", integer opcodes.
const std::array<ShiftEntry, 64> kShift = [] {
  std::array<ShiftEntry, 64> t{};
  auto u0 = [&](unsigned op, ShiftEntry e) { t[op] = e; };
  auto u1 = [&](unsigned op, ShiftEntry e) { t[32 + op] = e; };
  u0(0b00000, se<Sshr>(kRight, 0x8));   u1(0b00000, se<Ushr>(kRight, 0x8));
  u0(0b00010, se<Ssra>(kRight, 0x8));   u1(0b00010, se<Usra>(kRight, 0x8));
  u0(0b00100, se<Srshr>(kRight, 0x8));  u1(0b00100, se<Urshr>(kRight, 0x8));
  u0(0b00110, se<Srsra>(kRight, 0x8));  u1(0b00110, se<Ursra>(kRight, 0x8));
  u1(0b01000, se<Sri>(kRight, 0x8));
  u0(0b01010, se<Shl>(kLeft, 0x8));     u1(0b01010, se<Sli>(kLeft, 0x8));
  u1(0b01100, se<Sqshlu>(kLeft, 0xf));
  u0(0b01110, se<SqshlI>(kLeft, 0xf));  u1(0b01110, se<UqshlI>(kLeft, 0xf));
  u0(0b10000, sn<Shrn>(false));         u1(0b10000, sn<Sqshrun>(true));
  u0(0b10001, sn<Rshrn>(false));        u1(0b10001, sn<Sqrshrun>(true));
  u0(0b10010, sn<Sqshrn>(true));        u1(0b10010, sn<Uqshrn>(true));
  u0(0b10011, sn<Sqrshrn>(true));       u1(0b10011, sn<Uqrshrn>(true));
  u0(0b10100, sl<true>());              u1(0b10100, sl<false>());
  return t;
}();

// immh, immb: the row's hhhh and bbb; opcode: bits 15:11, the row's o letters under the
// bits it fixes.
bool pre_shift(DecodedInst& i, bool scalar, unsigned q, unsigned u, unsigned immh, unsigned immb, unsigned opcode,
               unsigned rn, unsigned rd) {
  const unsigned ib = (immh << 3) | immb;
  if (immh == 0) return false;  // the modified-immediate rows own immh = 0
  const unsigned size = static_cast<unsigned>(highest_set(immh));
  const unsigned esize = 8u << size;
  const ShiftEntry& e = kShift[u * 32 + opcode];
  i.d = static_cast<uint8_t>(rd);
  i.n = static_cast<uint8_t>(rn);
  switch (e.dir) {
    case kRight:
    case kLeft:
      i.f1 = static_cast<uint8_t>(e.dir == kRight ? 2 * esize - ib : ib - esize);
      if (scalar) {
        if (!((e.ssizes >> size) & 1)) return false;
        i.fn = e.s[size];
      } else {
        if (size == 3 && !q) return false;
        i.fn = e.v[size][q];
      }
      return true;
    case kNarrow:
      // The narrowed element is esize; the source is twice that (immh 1xxx reserved).
      if (size == 3) return false;
      i.f1 = static_cast<uint8_t>(2 * esize - ib);
      if (scalar) {
        if (!e.ssizes) return false;
        i.fn = e.n[size][2];
      } else {
        i.fn = e.n[size][q];
      }
      return true;
    case kLong:
      if (scalar || size == 3) return false;
      i.f1 = static_cast<uint8_t>(ib - esize);
      i.fn = e.v[size][q];
      return true;
    default:
      return false;
  }
}

// ---------------- three different, and the long forms by element ----------------
// Long: f(a, b, d, q) -> W, a and b narrow lanes, d the wide accumulator.
#define PMUEMU_OPL(Name, Base, ...)                                                                   \
  template <class T>                                                                                  \
  struct Name : Base {                                                                                \
    using W = W2<T>;                                                                                  \
    [[gnu::always_inline]] static W f([[maybe_unused]] T a, [[maybe_unused]] T b, [[maybe_unused]] W d, \
                                      [[maybe_unused]] bool& q) {                                     \
      __VA_ARGS__                                                                                     \
    }                                                                                                 \
  };
template <class T, bool kS> [[gnu::always_inline]] inline W2<T> abdl(T a, T b) {
  const Wide<T> x = ext<T, kS>(a), y = ext<T, kS>(b);
  return static_cast<W2<T>>(x > y ? x - y : y - x);
}
template <class T, bool kS> [[gnu::always_inline]] inline W2<T> mull(T a, T b) {
  return mul_lo<W2<T>>(widen<T, kS>(a), widen<T, kS>(b));
}
PMUEMU_OPL(Saddl, LaneOp, return static_cast<W>(widen<T, true>(a) + widen<T, true>(b));)
PMUEMU_OPL(Uaddl, LaneOp, return static_cast<W>(widen<T, false>(a) + widen<T, false>(b));)
PMUEMU_OPL(Ssubl, LaneOp, return static_cast<W>(widen<T, true>(a) - widen<T, true>(b));)
PMUEMU_OPL(Usubl, LaneOp, return static_cast<W>(widen<T, false>(a) - widen<T, false>(b));)
PMUEMU_OPL(Sabal, AccOp, return static_cast<W>(d + abdl<T, true>(a, b));)
PMUEMU_OPL(Uabal, AccOp, return static_cast<W>(d + abdl<T, false>(a, b));)
PMUEMU_OPL(Sabdl, LaneOp, return abdl<T, true>(a, b);)
PMUEMU_OPL(Uabdl, LaneOp, return abdl<T, false>(a, b);)
PMUEMU_OPL(Smlal, AccOp, return static_cast<W>(d + mull<T, true>(a, b));)
PMUEMU_OPL(Umlal, AccOp, return static_cast<W>(d + mull<T, false>(a, b));)
PMUEMU_OPL(Smlsl, AccOp, return static_cast<W>(d - mull<T, true>(a, b));)
PMUEMU_OPL(Umlsl, AccOp, return static_cast<W>(d - mull<T, false>(a, b));)
PMUEMU_OPL(Smull, LaneOp, return mull<T, true>(a, b);)
PMUEMU_OPL(Umull, LaneOp, return mull<T, false>(a, b);)
// SQDMULL: SignedSatQ(2 * a * b, 2 * esize); SQDMLAL/SQDMLSL saturate the product, then
// the accumulation (both set QC).
PMUEMU_OPL(Sqdmull, LaneOp, return sat_s<W>(2 * extm<T, true>(a) * extm<T, true>(b), q);)
PMUEMU_OPL(Sqdmlal, AccOp, const W p = sat_s<W>(2 * extm<T, true>(a) * extm<T, true>(b), q);
           return sat_s<W>(ext<W, true>(d) + ext<W, true>(p), q);)
PMUEMU_OPL(Sqdmlsl, AccOp, const W p = sat_s<W>(2 * extm<T, true>(a) * extm<T, true>(b), q);
           return sat_s<W>(ext<W, true>(d) - ext<W, true>(p), q);)
PMUEMU_OPL(Pmull, LaneOp, W r = 0; for (unsigned k = 0; k < kEsize<T>; ++k) if ((b >> k) & 1) r = static_cast<W>(r ^ (static_cast<W>(a) << k)); return r;)

// Whole-register forms of the plain long operations (the lane operation above stays the
// definition): the narrow lanes widened with __builtin_convertvector (sign- or
// zero-extension, kS), then one host vector operation modulo 2^(2 esize), which is exact
// for sums, differences and products of widened lanes. Built in registers and stored once:
// the lane loop stored each wide lane to a local array and loaded it back as 128 bits, a
// failed store-to-load forward that was most of SMLAL's cost in the CoreMark-like guest.
template <class Op> struct LongVecOf { static constexpr bool kHas = false; };
#define PMUEMU_LVEC(Name, kSigned, ...)                                                         \
  template <class T>                                                                            \
  struct LongVecOf<Name<T>> {                                                                   \
    static constexpr bool kHas = true, kS = kSigned;                                            \
    template <class V>                                                                          \
    [[gnu::always_inline]] static V v([[maybe_unused]] V a, [[maybe_unused]] V b, [[maybe_unused]] V d) { \
      __VA_ARGS__                                                                               \
    }                                                                                           \
  };
PMUEMU_LVEC(Saddl, true, return a + b;)
PMUEMU_LVEC(Uaddl, false, return a + b;)
PMUEMU_LVEC(Ssubl, true, return a - b;)
PMUEMU_LVEC(Usubl, false, return a - b;)
PMUEMU_LVEC(Smlal, true, return d + a * b;)
PMUEMU_LVEC(Umlal, false, return d + a * b;)
PMUEMU_LVEC(Smlsl, true, return d - a * b;)
PMUEMU_LVEC(Umlsl, false, return d - a * b;)
PMUEMU_LVEC(Smull, true, return a * b;)
PMUEMU_LVEC(Umull, false, return a * b;)
#undef PMUEMU_LVEC
// The 64-bit half of narrow lanes h widened to a whole register of W2<T> lanes.
template <class T, bool kS>
[[gnu::always_inline]] inline Vt<W2<T>> widen_half(typename VecType<T>::half h) {
  if constexpr (kS)
    return (Vt<W2<T>>)__builtin_convertvector((typename VecType<T>::shalf)h, Vs<W2<T>>);
  else
    return __builtin_convertvector(h, Vt<W2<T>>);
}

// kPart: 0 low halves, 1 high halves ("2" forms), 2 scalar (one lane). kIdx: Vm is the
// element Vm[f2].
template <class Op, class T, unsigned kPart, bool kIdx>
Flow op_long(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  using W = W2<T>;
  if constexpr (LongVecOf<Op>::kHas && kPart != 2 && sizeof(T) <= 4) {
    using H = typename VecType<T>::half;
    constexpr bool kS = LongVecOf<Op>::kS;
    H a, b;
    std::memcpy(&a, &V(c, i.n).d[kPart], 8);
    if constexpr (kIdx) b = H{} + V(c, i.m).lane<T>(i.f2);
    else std::memcpy(&b, &V(c, i.m).d[kPart], 8);
    Vt<W> d{};
    if constexpr (Op::kAcc) std::memcpy(&d, V(c, i.d).d.data(), 16);
    const Vt<W> r = LongVecOf<Op>::v(widen_half<T, kS>(a), widen_half<T, kS>(b), d);
    std::memcpy(V(c, i.d).d.data(), &r, 16);
    return next(c, i);
  }
  constexpr unsigned N = kPart == 2 ? 1 : 8 / sizeof(T);
  constexpr unsigned kOff = kPart == 1 ? 8 : 0;
  T a[N], b[N];
  W d[N], r[N];
  const VReg& vn = V(c, i.n);
  std::memcpy(a, reinterpret_cast<const u8*>(vn.d.data()) + kOff, N * sizeof(T));
  if constexpr (kIdx) {
    const T e = V(c, i.m).lane<T>(i.f2);
    for (unsigned k = 0; k < N; ++k) b[k] = e;
  } else {
    std::memcpy(b, reinterpret_cast<const u8*>(V(c, i.m).d.data()) + kOff, N * sizeof(T));
  }
  if constexpr (Op::kAcc) get<N * sizeof(W)>(V(c, i.d), d);
  else for (unsigned k = 0; k < N; ++k) d[k] = 0;
  bool q = false;
  for (unsigned k = 0; k < N; ++k) r[k] = Op::f(a[k], b[k], d[k], q);
  put<N * sizeof(W)>(V(c, i.d), r);
  if (q) set_qc(c);
  return next(c, i);
}

// Wide: Vd.W = Vn.W op widen(Vm.T of the selected half).
template <class T, bool kS, bool kSub, bool kHi>
Flow op_wide(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  using W = W2<T>;
  constexpr unsigned N = 8 / sizeof(T);
  W a[N];
  T b[N];
  get<16>(V(c, i.n), a);
  std::memcpy(b, &V(c, i.m).d[kHi ? 1 : 0], 8);
  for (unsigned k = 0; k < N; ++k) a[k] = static_cast<W>(kSub ? a[k] - widen<T, kS>(b[k]) : a[k] + widen<T, kS>(b[k]));
  put<16>(V(c, i.d), a);
  return next(c, i);
}

// ADDHN RADDHN SUBHN RSUBHN: the high half of each wide sum or difference.
template <class T, bool kSub, bool kRound, bool kHi>
Flow op_hn(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  using W = W2<T>;
  constexpr unsigned N = 8 / sizeof(T);
  W a[N], b[N];
  T r[N];
  get<16>(V(c, i.n), a);
  get<16>(V(c, i.m), b);
  for (unsigned k = 0; k < N; ++k) {
    W s = static_cast<W>(kSub ? a[k] - b[k] : a[k] + b[k]);
    if constexpr (kRound) s = static_cast<W>(s + (W{1} << (kEsize<T> - 1)));
    r[k] = static_cast<T>(s >> kEsize<T>);
  }
  VReg& d = V(c, i.d);
  if constexpr (kHi) std::memcpy(&d.d[1], r, 8);
  else put<8>(d, r);
  return next(c, i);
}

// PMULL/PMULL2 of 64-bit lanes (FEAT_PMULL): the 128-bit carry-less product.
template <bool kHi>
Flow op_pmull64(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  const u64 a = V(c, i.n).d[kHi], b = V(c, i.m).d[kHi];
  u128 r = 0;
  for (unsigned k = 0; k < 64; ++k)
    if ((b >> k) & 1) r ^= static_cast<u128>(a) << k;
  set_v128(c, i.d, static_cast<u64>(r), static_cast<u64>(r >> 64));
  return next(c, i);
}

template <template <class> class Op, bool kIdx = false>
constexpr std::array<std::array<Handler, 3>, 3> long_table() {
  return {{{&op_long<Op<u8>, u8, 0, kIdx>, &op_long<Op<u8>, u8, 1, kIdx>, &op_long<Op<u8>, u8, 2, kIdx>},
           {&op_long<Op<u16>, u16, 0, kIdx>, &op_long<Op<u16>, u16, 1, kIdx>, &op_long<Op<u16>, u16, 2, kIdx>},
           {&op_long<Op<u32>, u32, 0, kIdx>, &op_long<Op<u32>, u32, 1, kIdx>, &op_long<Op<u32>, u32, 2, kIdx>}}};
}
template <bool kS, bool kSub>
constexpr std::array<std::array<Handler, 3>, 3> wide_table() {
  return {{{&op_wide<u8, kS, kSub, false>, &op_wide<u8, kS, kSub, true>, nullptr},
           {&op_wide<u16, kS, kSub, false>, &op_wide<u16, kS, kSub, true>, nullptr},
           {&op_wide<u32, kS, kSub, false>, &op_wide<u32, kS, kSub, true>, nullptr}}};
}
template <bool kSub, bool kRound>
constexpr std::array<std::array<Handler, 3>, 3> hn_table() {
  return {{{&op_hn<u8, kSub, kRound, false>, &op_hn<u8, kSub, kRound, true>, nullptr},
           {&op_hn<u16, kSub, kRound, false>, &op_hn<u16, kSub, kRound, true>, nullptr},
           {&op_hn<u32, kSub, kRound, false>, &op_hn<u32, kSub, kRound, true>, nullptr}}};
}

struct DiffEntry {
  std::array<std::array<Handler, 3>, 3> t{};  // [size 0..2][part]
  uint8_t sizes = 0;
};
// [U][opcode]: "Advanced SIMD three different" (opcode 1110 with size 3 is the 64-bit PMULL).
const std::array<DiffEntry, 32> k3Diff = [] {
  std::array<DiffEntry, 32> t{};
  auto u0 = [&](unsigned op, auto tab, uint8_t sizes) { t[op] = DiffEntry{tab, sizes}; };
  auto u1 = [&](unsigned op, auto tab, uint8_t sizes) { t[16 + op] = DiffEntry{tab, sizes}; };
  u0(0b0000, long_table<Saddl>(), 7);       u1(0b0000, long_table<Uaddl>(), 7);
  u0(0b0001, wide_table<true, false>(), 7); u1(0b0001, wide_table<false, false>(), 7);
  u0(0b0010, long_table<Ssubl>(), 7);       u1(0b0010, long_table<Usubl>(), 7);
  u0(0b0011, wide_table<true, true>(), 7);  u1(0b0011, wide_table<false, true>(), 7);
  u0(0b0100, hn_table<false, false>(), 7);  u1(0b0100, hn_table<false, true>(), 7);
  u0(0b0101, long_table<Sabal>(), 7);       u1(0b0101, long_table<Uabal>(), 7);
  u0(0b0110, hn_table<true, false>(), 7);   u1(0b0110, hn_table<true, true>(), 7);
  u0(0b0111, long_table<Sabdl>(), 7);       u1(0b0111, long_table<Uabdl>(), 7);
  u0(0b1000, long_table<Smlal>(), 7);       u1(0b1000, long_table<Umlal>(), 7);
  u0(0b1001, long_table<Sqdmlal>(), 6);
  u0(0b1010, long_table<Smlsl>(), 7);       u1(0b1010, long_table<Umlsl>(), 7);
  u0(0b1011, long_table<Sqdmlsl>(), 6);
  u0(0b1100, long_table<Smull>(), 7);       u1(0b1100, long_table<Umull>(), 7);
  u0(0b1101, long_table<Sqdmull>(), 6);
  u0(0b1110, long_table<Pmull>(), 1);
  return t;
}();

// ---------------- vector x indexed element ----------------
// Index and Vm from the row's H, L, M and mmmm (rm4): size 1 (H) index H:L:M with Vm
// 0..15; size 2 (S) index H:L with Vm M:Rm.
bool elem_regs(DecodedInst& i, unsigned size, unsigned l, unsigned m, unsigned rm4, unsigned h, unsigned rn,
               unsigned rd) {
  if (size != 1 && size != 2) return false;
  i.d = static_cast<uint8_t>(rd);
  i.n = static_cast<uint8_t>(rn);
  if (size == 1) {
    i.m = static_cast<uint8_t>(rm4);
    i.f2 = static_cast<uint8_t>((h << 2) | (l << 1) | m);
  } else {
    i.m = static_cast<uint8_t>((m << 4) | rm4);
    i.f2 = static_cast<uint8_t>((h << 1) | l);
  }
  return true;
}

struct ElemEntry {
  std::array<std::array<Handler, 2>, 4> v{};  // elementwise [size][Q]
  std::array<Handler, 4> s{};                 // elementwise scalar
  std::array<std::array<Handler, 3>, 3> l{};  // long [size][part]
  bool is_long = false;
};
template <template <class> class Op>
constexpr ElemEntry ee() {
  return ElemEntry{vec3_table<Op, true>(), scalar3_table<Op, true>(), {}, false};
}
template <template <class> class Op>
constexpr ElemEntry el() {
  return ElemEntry{{}, {}, long_table<Op, true>(), true};
}
// [U][opcode]
const std::array<ElemEntry, 32> kElem = [] {
  std::array<ElemEntry, 32> t{};
  auto u0 = [&](unsigned op, ElemEntry e) { t[op] = e; };
  auto u1 = [&](unsigned op, ElemEntry e) { t[16 + op] = e; };
  u1(0b0000, ee<Mla>());
  u0(0b0010, el<Smlal>());    u1(0b0010, el<Umlal>());
  u0(0b0011, el<Sqdmlal>());
  u1(0b0100, ee<Mls>());
  u0(0b0110, el<Smlsl>());    u1(0b0110, el<Umlsl>());
  u0(0b0111, el<Sqdmlsl>());
  u0(0b1000, ee<Mul>());
  u0(0b1010, el<Smull>());    u1(0b1010, el<Umull>());
  u0(0b1011, el<Sqdmull>());
  u0(0b1100, ee<Sqdmulh>());
  u0(0b1101, ee<Sqrdmulh>()); u1(0b1101, ee<Sqrdmlah>());
  u1(0b1111, ee<Sqrdmlsh>());
  return t;
}();

// Which elementwise by-element operations have a scalar form.
constexpr bool elem_has_scalar(unsigned u, unsigned opcode) {
  return (u == 0 && (opcode == 0b1100 || opcode == 0b1101)) || (u == 1 && (opcode == 0b1101 || opcode == 0b1111));
}
constexpr bool elem_long_has_scalar(unsigned u, unsigned opcode) {
  return u == 0 && (opcode == 0b0011 || opcode == 0b0111 || opcode == 0b1011);
}

// opcode: bits 15:12, from the row's o letters and the bits it fixes.
bool pre_elem(DecodedInst& i, bool scalar, unsigned q, unsigned u, unsigned size, unsigned l, unsigned m,
              unsigned rm4, unsigned opcode, unsigned h, unsigned rn, unsigned rd) {
  if (!elem_regs(i, size, l, m, rm4, h, rn, rd)) return false;
  const ElemEntry& e = kElem[u * 16 + opcode];
  if (e.is_long) {
    if (scalar && !elem_long_has_scalar(u, opcode)) return false;
    i.fn = e.l[size][scalar ? 2 : q];
  } else {
    if (scalar && !elem_has_scalar(u, opcode)) return false;
    i.fn = scalar ? e.s[size] : e.v[size][q];
  }
  return i.fn != nullptr;
}

// opcode: bits 15:12, the row's o letters under the bits it fixes.
bool pre_3diff(DecodedInst& i, unsigned q, unsigned u, unsigned size, unsigned rm, unsigned opcode, unsigned rn,
               unsigned rd) {
  i.d = static_cast<uint8_t>(rd);
  i.n = static_cast<uint8_t>(rn);
  i.m = static_cast<uint8_t>(rm);
  if (u == 0 && opcode == 0b1110 && size == 3) {
    i.fn = q ? &op_pmull64<true> : &op_pmull64<false>;
    return true;
  }
  const DiffEntry& e = k3Diff[u * 16 + opcode];
  if (size == 3 || !((e.sizes >> size) & 1)) return false;
  i.fn = e.t[size][q];
  return true;
}

}  // namespace

// ---------------- predecode entry points (one per row) ----------------
// Each takes the fields of its row's pattern as parameters, in pattern order
// (cpu/decoder/fields.h): F<'n'> is the field marked n. The rows of a group pass their
// letters, and the bits their pattern fixes, to the group's helper above.

// Shift by immediate: opcode 0oooo, 00o10 (accumulate), 010o0 (insert, U = 1), 100oo
// (narrow), 10100 (long); vector and scalar.
bool pre_SIMD_SHIFT_a(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_SHIFT_a>(
      i, insn,
      [](DecodedInst& i, F<'q'> q, F<'u'> u, F<'h'> immh, F<'b'> immb, F<'o'> op, F<'n'> rn, F<'d'> rd) {
        return pre_shift(i, false, q, u, immh, immb, op, rn, rd);
      });
}
bool pre_SIMD_SHIFT_acc(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_SHIFT_acc>(
      i, insn,
      [](DecodedInst& i, F<'q'> q, F<'u'> u, F<'h'> immh, F<'b'> immb, F<'o'> rnd, F<'n'> rn, F<'d'> rd) {
        return pre_shift(i, false, q, u, immh, immb, 0b00010 | (rnd << 2), rn, rd);
      });
}
bool pre_SIMD_SHIFT_ins(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_SHIFT_ins>(
      i, insn, [](DecodedInst& i, F<'q'> q, F<'h'> immh, F<'b'> immb, F<'o'> left, F<'n'> rn, F<'d'> rd) {
        return pre_shift(i, false, q, 1, immh, immb, 0b01000 | (left << 1), rn, rd);
      });
}
bool pre_SIMD_SHIFT_b(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_SHIFT_b>(
      i, insn,
      [](DecodedInst& i, F<'q'> q, F<'u'> u, F<'h'> immh, F<'b'> immb, F<'o'> op, F<'n'> rn, F<'d'> rd) {
        return pre_shift(i, false, q, u, immh, immb, 0b10000 | op, rn, rd);
      });
}
bool pre_SIMD_SHIFT_c(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_SHIFT_c>(
      i, insn, [](DecodedInst& i, F<'q'> q, F<'u'> u, F<'h'> immh, F<'b'> immb, F<'n'> rn, F<'d'> rd) {
        return pre_shift(i, false, q, u, immh, immb, 0b10100, rn, rd);
      });
}
bool pre_SIMD_SSHIFT_a(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_SSHIFT_a>(
      i, insn, [](DecodedInst& i, F<'u'> u, F<'h'> immh, F<'b'> immb, F<'o'> op, F<'n'> rn, F<'d'> rd) {
        return pre_shift(i, true, 1, u, immh, immb, op, rn, rd);
      });
}
bool pre_SIMD_SSHIFT_b(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_SSHIFT_b>(
      i, insn, [](DecodedInst& i, F<'u'> u, F<'h'> immh, F<'b'> immb, F<'o'> op, F<'n'> rn, F<'d'> rd) {
        return pre_shift(i, true, 1, u, immh, immb, 0b10000 | op, rn, rd);
      });
}

// Three different: opcode oooo, 0101 (SABAL/UABAL) or 10oo (the multiply-accumulates).
bool pre_SIMD_3DIFF(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_3DIFF>(
      i, insn, [](DecodedInst& i, F<'q'> q, F<'u'> u, F<'s'> size, F<'m'> rm, F<'o'> op, F<'n'> rn, F<'d'> rd) {
        return pre_3diff(i, q, u, size, rm, op, rn, rd);
      });
}
bool pre_SIMD_3DIFF_aba(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_3DIFF_aba>(
      i, insn, [](DecodedInst& i, F<'q'> q, F<'u'> u, F<'s'> size, F<'m'> rm, F<'n'> rn, F<'d'> rd) {
        return pre_3diff(i, q, u, size, rm, 0b0101, rn, rd);
      });
}
bool pre_SIMD_3DIFF_mla(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_3DIFF_mla>(
      i, insn, [](DecodedInst& i, F<'q'> q, F<'u'> u, F<'s'> size, F<'m'> rm, F<'o'> op, F<'n'> rn, F<'d'> rd) {
        return pre_3diff(i, q, u, size, rm, 0b1000 | op, rn, rd);
      });
}
// Scalar SQDMLAL (opcode 1001), SQDMLSL (1011), SQDMULL (1101): the row's oo is opcode
// bits 14:13.
bool pre_SIMD_S3DIFF(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_S3DIFF>(
      i, insn, [](DecodedInst& i, F<'s'> size, F<'m'> rm, F<'o'> op, F<'n'> rn, F<'d'> rd) {
        if (size != 1 && size != 2) return false;
        if (op == 0b11) return false;
        i.d = static_cast<uint8_t>(rd);
        i.n = static_cast<uint8_t>(rn);
        i.m = static_cast<uint8_t>(rm);
        i.fn = k3Diff[0b1001 | (op << 1)].t[size][2];
        return true;
      });
}

// Vector x indexed element (integer): each row passes U and the opcode (bits 15:12) its
// pattern fixes around its o letters.
bool pre_SIMD_ELEM_u0a(DecodedInst& i, uint32_t insn) {  // opcode 0o1o: o is bits 14 and 12
  return with_fields<pattern::SIMD_ELEM_u0a>(
      i, insn,
      [](DecodedInst& i, F<'q'> q, F<'s'> size, F<'L'> l, F<'M'> m, F<'m'> rm4, F<'o'> op, F<'H'> h, F<'n'> rn,
         F<'d'> rd) { return pre_elem(i, false, q, 0, size, l, m, rm4, 0b0010 | ((op & 0b10) << 1) | (op & 1), h, rn, rd); });
}
bool pre_SIMD_ELEM_u0b(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_ELEM_u0b>(
      i, insn,
      [](DecodedInst& i, F<'q'> q, F<'s'> size, F<'L'> l, F<'M'> m, F<'m'> rm4, F<'H'> h, F<'n'> rn,
         F<'d'> rd) { return pre_elem(i, false, q, 0, size, l, m, rm4, 0b1000, h, rn, rd); });
}
bool pre_SIMD_ELEM_u0c(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_ELEM_u0c>(
      i, insn,
      [](DecodedInst& i, F<'q'> q, F<'s'> size, F<'L'> l, F<'M'> m, F<'m'> rm4, F<'o'> op, F<'H'> h, F<'n'> rn,
         F<'d'> rd) { return pre_elem(i, false, q, 0, size, l, m, rm4, 0b1100 | op, h, rn, rd); });
}
bool pre_SIMD_ELEM_u0d(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_ELEM_u0d>(
      i, insn,
      [](DecodedInst& i, F<'q'> q, F<'s'> size, F<'L'> l, F<'M'> m, F<'m'> rm4, F<'o'> op, F<'H'> h, F<'n'> rn,
         F<'d'> rd) { return pre_elem(i, false, q, 0, size, l, m, rm4, 0b1010 | op, h, rn, rd); });
}
bool pre_SIMD_ELEM_u1a(DecodedInst& i, uint32_t insn) {  // opcode 0oo0
  return with_fields<pattern::SIMD_ELEM_u1a>(
      i, insn,
      [](DecodedInst& i, F<'q'> q, F<'s'> size, F<'L'> l, F<'M'> m, F<'m'> rm4, F<'o'> op, F<'H'> h, F<'n'> rn,
         F<'d'> rd) { return pre_elem(i, false, q, 1, size, l, m, rm4, op << 1, h, rn, rd); });
}
bool pre_SIMD_ELEM_u1b(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_ELEM_u1b>(
      i, insn,
      [](DecodedInst& i, F<'q'> q, F<'s'> size, F<'L'> l, F<'M'> m, F<'m'> rm4, F<'H'> h, F<'n'> rn,
         F<'d'> rd) { return pre_elem(i, false, q, 1, size, l, m, rm4, 0b1010, h, rn, rd); });
}
bool pre_SIMD_ELEM_rdm(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_ELEM_rdm>(
      i, insn,
      [](DecodedInst& i, F<'q'> q, F<'s'> size, F<'L'> l, F<'M'> m, F<'m'> rm4, F<'o'> op, F<'H'> h, F<'n'> rn,
         F<'d'> rd) { return pre_elem(i, false, q, 1, size, l, m, rm4, 0b1101 | (op << 1), h, rn, rd); });
}
bool pre_SIMD_SELEM_a(DecodedInst& i, uint32_t insn) {  // opcode oo11
  return with_fields<pattern::SIMD_SELEM_a>(
      i, insn,
      [](DecodedInst& i, F<'s'> size, F<'L'> l, F<'M'> m, F<'m'> rm4, F<'o'> op, F<'H'> h, F<'n'> rn,
         F<'d'> rd) { return pre_elem(i, true, 1, 0, size, l, m, rm4, (op << 2) | 0b0011, h, rn, rd); });
}
bool pre_SIMD_SELEM_b(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_SELEM_b>(
      i, insn,
      [](DecodedInst& i, F<'s'> size, F<'L'> l, F<'M'> m, F<'m'> rm4, F<'o'> op, F<'H'> h, F<'n'> rn,
         F<'d'> rd) { return pre_elem(i, true, 1, 0, size, l, m, rm4, 0b1100 | op, h, rn, rd); });
}
bool pre_SIMD_SELEM_rdm(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_SELEM_rdm>(
      i, insn,
      [](DecodedInst& i, F<'s'> size, F<'L'> l, F<'M'> m, F<'m'> rm4, F<'o'> op, F<'H'> h, F<'n'> rn,
         F<'d'> rd) { return pre_elem(i, true, 1, 1, size, l, m, rm4, 0b1101 | (op << 1), h, rn, rd); });
}

}  // namespace cpu::interp
