// Advanced SIMD integer (Arm ARM C4.1.95): three same, two-register misc, across lanes,
// copy, modified immediate, permute, EXT, TBL/TBX, their scalar forms, and the FEAT_RDM and
// FEAT_DotProd three-register forms. Predecode picks a handler specialised by operation,
// element size and register width from tables indexed by the encoding's U, size and
// opcode; a combination the architecture leaves unallocated has no entry and decodes as
// UNDEFINED.
// The lane loops have fixed trip counts; GCC's default -O2 cost model ("very cheap")
// leaves most of them scalar, so this file asks for the full model.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("vect-cost-model=dynamic")
#endif
#include <array>
#include <bit>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "cpu/decoder/fields.h"
#include "cpu/interp/predecode.h"
#include "cpu/interp/simd_ops.h"
#include "cpu/interp/visitor.h"

namespace cpu::interp {
namespace {

using namespace simd;

// ---------------- three same ----------------
struct Entry3 {
  std::array<std::array<Handler, 2>, 4> v{};  // [size][Q]
  std::array<Handler, 4> s{};                 // scalar [size]
  uint8_t vsizes = 0, ssizes = 0;             // allowed sizes (bit per size)
};
template <template <class> class Op>
constexpr Entry3 e3(uint8_t vsizes, uint8_t ssizes = 0) {
  Entry3 e{vec3_table<Op>(), {}, vsizes, ssizes};
  if (ssizes) e.s = scalar3_table<Op>();
  return e;
}
constexpr uint8_t kBHS = 0x7, kAll = 0xf, kHS = 0x6, kD = 0x8, kB = 0x1;

// [U][opcode]: Arm ARM C4.1.95 "Advanced SIMD three same" and "scalar three same".
const std::array<Entry3, 64> k3Same = [] {
  std::array<Entry3, 64> t{};
  auto u0 = [&](unsigned op, Entry3 e) { t[op] = e; };
  auto u1 = [&](unsigned op, Entry3 e) { t[32 + op] = e; };
  u0(0b00000, e3<Shadd>(kBHS));        u1(0b00000, e3<Uhadd>(kBHS));
  u0(0b00001, e3<Sqadd>(kAll, kAll));  u1(0b00001, e3<Uqadd>(kAll, kAll));
  u0(0b00010, e3<Srhadd>(kBHS));       u1(0b00010, e3<Urhadd>(kBHS));
  u0(0b00100, e3<Shsub>(kBHS));        u1(0b00100, e3<Uhsub>(kBHS));
  u0(0b00101, e3<Sqsub>(kAll, kAll));  u1(0b00101, e3<Uqsub>(kAll, kAll));
  u0(0b00110, e3<Cmgt>(kAll, kD));     u1(0b00110, e3<Cmhi>(kAll, kD));
  u0(0b00111, e3<Cmge>(kAll, kD));     u1(0b00111, e3<Cmhs>(kAll, kD));
  u0(0b01000, e3<Sshl>(kAll, kD));     u1(0b01000, e3<Ushl>(kAll, kD));
  u0(0b01001, e3<Sqshl>(kAll, kAll));  u1(0b01001, e3<Uqshl>(kAll, kAll));
  u0(0b01010, e3<Srshl>(kAll, kD));    u1(0b01010, e3<Urshl>(kAll, kD));
  u0(0b01011, e3<Sqrshl>(kAll, kAll)); u1(0b01011, e3<Uqrshl>(kAll, kAll));
  u0(0b01100, e3<Smax>(kBHS));         u1(0b01100, e3<Umax>(kBHS));
  u0(0b01101, e3<Smin>(kBHS));         u1(0b01101, e3<Umin>(kBHS));
  u0(0b01110, e3<Sabd>(kBHS));         u1(0b01110, e3<Uabd>(kBHS));
  u0(0b01111, e3<Saba>(kBHS));         u1(0b01111, e3<Uaba>(kBHS));
  u0(0b10000, e3<Add>(kAll, kD));      u1(0b10000, e3<Sub>(kAll, kD));
  u0(0b10001, e3<Cmtst>(kAll, kD));    u1(0b10001, e3<Cmeq>(kAll, kD));
  u0(0b10010, e3<Mla>(kBHS));          u1(0b10010, e3<Mls>(kBHS));
  u0(0b10011, e3<Mul>(kBHS));          u1(0b10011, e3<Pmul>(kB));
  u0(0b10100, e3<Smaxp>(kBHS));        u1(0b10100, e3<Umaxp>(kBHS));
  u0(0b10101, e3<Sminp>(kBHS));        u1(0b10101, e3<Uminp>(kBHS));
  u0(0b10110, e3<Sqdmulh>(kHS, kHS));  u1(0b10110, e3<Sqrdmulh>(kHS, kHS));
  u0(0b10111, e3<Addp>(kAll));
  return t;
}();

// Opcode 00011: AND BIC ORR ORN (U = 0) and EOR BSL BIT BIF (U = 1), selected by size.
constexpr std::array<std::array<Handler, 2>, 8> kLogic = {{
    {&op3<And<u64>, u64, 8>, &op3<And<u64>, u64, 16>}, {&op3<Bic<u64>, u64, 8>, &op3<Bic<u64>, u64, 16>},
    {&op3<Orr<u64>, u64, 8>, &op3<Orr<u64>, u64, 16>}, {&op3<Orn<u64>, u64, 8>, &op3<Orn<u64>, u64, 16>},
    {&op3<Eor<u64>, u64, 8>, &op3<Eor<u64>, u64, 16>}, {&op3<Bsl<u64>, u64, 8>, &op3<Bsl<u64>, u64, 16>},
    {&op3<Bit<u64>, u64, 8>, &op3<Bit<u64>, u64, 16>}, {&op3<Bif<u64>, u64, 8>, &op3<Bif<u64>, u64, 16>}}};

void regs3(DecodedInst& i, unsigned rd, unsigned rn, unsigned rm) {
  i.d = static_cast<uint8_t>(rd);
  i.n = static_cast<uint8_t>(rn);
  i.m = static_cast<uint8_t>(rm);
}

// q, u, size: the row's q, u and ss letters (or the bits it fixes); opcode: bits 15:11,
// the row's o letters under the bits it fixes.
bool pre_3same(DecodedInst& i, bool scalar, unsigned q, unsigned u, unsigned size, unsigned opcode, unsigned rm,
               unsigned rn, unsigned rd) {
  regs3(i, rd, rn, rm);
  if (opcode == 0b00011) {
    if (scalar) return false;
    i.fn = kLogic[u * 4 + size][q];
    return true;
  }
  const Entry3& e = k3Same[u * 32 + opcode];
  if (scalar) {
    if (!((e.ssizes >> size) & 1)) return false;
    i.fn = e.s[size];
  } else {
    if (!((e.vsizes >> size) & 1) || (size == 3 && !q)) return false;
    i.fn = e.v[size][q];
  }
  return true;
}

// ---------------- FEAT_RDM and FEAT_DotProd (three-register extension) ----------------
constexpr auto kRdmlahV = vec3_table<Sqrdmlah>();
constexpr auto kRdmlshV = vec3_table<Sqrdmlsh>();
constexpr auto kRdmlahS = scalar3_table<Sqrdmlah>();
constexpr auto kRdmlshS = scalar3_table<Sqrdmlsh>();

// SDOT/UDOT: each 32-bit lane of Vd accumulates the four byte products of the matching
// 32-bit groups of Vn and Vm (or of the group Vm.4B[f2], by element).
template <bool kS, unsigned kBytes, bool kIdx>
Flow op_dot(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  constexpr unsigned N = kBytes / 4;
  u8 a[kBytes], b[kBytes];
  u32 d[N];
  get<kBytes>(V(c, i.n), a);
  if constexpr (kIdx) {
    const u32 g = V(c, i.m).lane<u32>(i.f2);
    for (unsigned k = 0; k < N; ++k) std::memcpy(b + 4 * k, &g, 4);
  } else {
    get<kBytes>(V(c, i.m), b);
  }
  get<kBytes>(V(c, i.d), d);
  for (unsigned k = 0; k < N; ++k) {
    int64_t sum = 0;
    for (unsigned j = 0; j < 4; ++j) {
      if constexpr (kS) sum += int64_t{static_cast<int8_t>(a[4 * k + j])} * static_cast<int8_t>(b[4 * k + j]);
      else sum += int64_t{a[4 * k + j]} * b[4 * k + j];
    }
    d[k] = static_cast<u32>(d[k] + static_cast<u32>(sum));
  }
  put<kBytes>(V(c, i.d), d);
  return next(c, i);
}

// ---------------- two-register misc ----------------
#define PMUEMU_OP2(Name, Base, ...)                                                                  \
  template <class T>                                                                                 \
  struct Name : Base {                                                                               \
    [[gnu::always_inline]] static T f([[maybe_unused]] T a, [[maybe_unused]] T d, [[maybe_unused]] bool& q) { \
      __VA_ARGS__                                                                                    \
    }                                                                                                \
  };

PMUEMU_OP2(Cls, LaneOp, return static_cast<T>(std::countl_zero(static_cast<T>(a ^ static_cast<T>(static_cast<Si<T>>(a) >> (kEsize<T> - 1)))) - 1);)
PMUEMU_OP2(Clz, LaneOp, return static_cast<T>(std::countl_zero(a));)
PMUEMU_OP2(Cnt, LaneOp, return static_cast<T>(std::popcount(a));)
PMUEMU_OP2(Not, LaneOp, return static_cast<T>(~a);)
PMUEMU_OP2(Rbit, LaneOp, T r = 0; for (unsigned k = 0; k < kEsize<T>; ++k) r = static_cast<T>(r | (((a >> k) & 1) << (kEsize<T> - 1 - k))); return r;)
PMUEMU_OP2(Sqabs, LaneOp, const Wide<T> x = ext<T, true>(a); return sat_s<T>(x < 0 ? -x : x, q);)
PMUEMU_OP2(Sqneg, LaneOp, return sat_s<T>(-ext<T, true>(a), q);)
PMUEMU_OP2(Abs, LaneOp, return static_cast<Si<T>>(a) < 0 ? static_cast<T>(T{0} - a) : a;)
PMUEMU_OP2(Neg, LaneOp, return static_cast<T>(T{0} - a);)
PMUEMU_OP2(Cmgt0, LaneOp, return static_cast<Si<T>>(a) > 0 ? kOnes<T> : T{0};)
PMUEMU_OP2(Cmge0, LaneOp, return static_cast<Si<T>>(a) >= 0 ? kOnes<T> : T{0};)
PMUEMU_OP2(Cmeq0, LaneOp, return a == 0 ? kOnes<T> : T{0};)
PMUEMU_OP2(Cmle0, LaneOp, return static_cast<Si<T>>(a) <= 0 ? kOnes<T> : T{0};)
PMUEMU_OP2(Cmlt0, LaneOp, return static_cast<Si<T>>(a) < 0 ? kOnes<T> : T{0};)
// SUQADD: Vd (signed) + Vn (unsigned), signed saturation; USQADD the converse.
PMUEMU_OP2(Suqadd, AccOp, return sat_s<T>(ext<T, true>(d) + ext<T, false>(a), q);)
PMUEMU_OP2(Usqadd, AccOp, return sat_u<T>(ext<T, false>(d) + ext<T, true>(a), q);)

template <class Op, class T, unsigned kBytes>
Flow op2(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  constexpr unsigned N = kBytes / sizeof(T);
  T a[N], d[N], r[N];
  get<kBytes>(V(c, i.n), a);
  if constexpr (Op::kAcc) get<kBytes>(V(c, i.d), d);
  else for (unsigned k = 0; k < N; ++k) d[k] = 0;
  bool q = false;
  for (unsigned k = 0; k < N; ++k) r[k] = Op::f(a[k], d[k], q);
  put<kBytes>(V(c, i.d), r);
  if (q) set_qc(c);
  return next(c, i);
}

// REV16/REV32/REV64: reverse the elements of size `esize` inside each container; the
// byte permutation is worked out at predecode into imm (bytes 0-7) and imm2 (8-15).
template <unsigned kBytes>
Flow op_permute_bytes(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  u8 a[16], r[16], idx[16];
  get<16>(V(c, i.n), a);
  std::memcpy(idx, &i.imm, 8);
  std::memcpy(idx + 8, &i.imm2, 8);
  for (unsigned k = 0; k < kBytes; ++k) r[k] = a[idx[k]];
  put<kBytes>(V(c, i.d), r);
  return next(c, i);
}

// SADDLP UADDLP SADALP UADALP: adjacent pairs added into lanes of twice the width.
template <class T, bool kS, bool kAcc, unsigned kBytes>
Flow op_addlp(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  using W = W2<T>;
  constexpr unsigned N = kBytes / sizeof(W);
  T a[2 * N];
  W d[N];
  get<kBytes>(V(c, i.n), a);
  if constexpr (kAcc) get<kBytes>(V(c, i.d), d);
  else for (unsigned k = 0; k < N; ++k) d[k] = 0;
  for (unsigned k = 0; k < N; ++k)
    d[k] = static_cast<W>(d[k] + widen<T, kS>(a[2 * k]) + widen<T, kS>(a[2 * k + 1]));
  put<kBytes>(V(c, i.d), d);
  return next(c, i);
}

// Narrowing: T lanes from lanes of twice the width. kPart: 0 writes the low half (and
// clears the rest), 1 the high half keeping the low ("2" forms), 2 the scalar (one lane).
template <class T> struct Xtn { static T f(W2<T> x, bool&) { return static_cast<T>(x); } };
// The saturating forms clamp in the source width, where the value already fits.
template <class T> struct Sqxtn { static T f(W2<T> x, bool& q) { return sat_s<T>(static_cast<Si<W2<T>>>(x), q); } };
template <class T> struct Uqxtn { static T f(W2<T> x, bool& q) { return sat_u<T>(x, q); } };
template <class T> struct Sqxtun { static T f(W2<T> x, bool& q) { return sat_u<T>(static_cast<Si<W2<T>>>(x), q); } };

// The vector forms clamp a whole register of wide lanes (q: lanes that saturated); the
// narrowing itself is a conversion of the clamped vector.
template <class Op> struct NarrowVec { static constexpr bool kHas = false; };
#define PMUEMU_NARROW_VEC(Name, ...)                                                 \
  template <class T>                                                                 \
  struct NarrowVec<Name<T>> {                                                        \
    static constexpr bool kHas = true;                                               \
    using V = Vt<W2<T>>;                                                             \
    using S = Vs<W2<T>>;                                                             \
    [[gnu::always_inline]] static V v(V x, [[maybe_unused]] V& q) { __VA_ARGS__ }   \
  };
PMUEMU_NARROW_VEC(Xtn, return x;)
PMUEMU_NARROW_VEC(Uqxtn, const V m = (V)(x > static_cast<W2<T>>(kOnes<T>)); q |= m;
                  return (x & ~m) | (m & static_cast<W2<T>>(kOnes<T>));)
PMUEMU_NARROW_VEC(Sqxtn, const S s = (S)x; const V hi = (V)(s > std::numeric_limits<Si<T>>::max());
                  const V lo = (V)(s < std::numeric_limits<Si<T>>::min()); q |= hi | lo;
                  return (x & ~(hi | lo)) | (hi & static_cast<W2<T>>(std::numeric_limits<Si<T>>::max())) |
                         (lo & static_cast<W2<T>>(static_cast<Si<W2<T>>>(std::numeric_limits<Si<T>>::min())));)
PMUEMU_NARROW_VEC(Sqxtun, const S s = (S)x; const V hi = (V)(s > static_cast<Si<W2<T>>>(kOnes<T>));
                  const V lo = (V)(s < 0); q |= hi | lo;
                  return (x & ~(hi | lo)) | (hi & static_cast<W2<T>>(kOnes<T>));)
#undef PMUEMU_NARROW_VEC

template <class Op, class T, unsigned kPart>
Flow op_narrow(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  using W = W2<T>;
  if constexpr (kPart != 2 && NarrowVec<Op>::kHas) {
    Vt<W> x, q{};
    std::memcpy(&x, V(c, i.n).d.data(), 16);
    const auto r = __builtin_convertvector(NarrowVec<Op>::v(x, q), typename VecType<T>::half);
    VReg& d = V(c, i.d);
    if constexpr (kPart == 1) {
      std::memcpy(&d.d[1], &r, 8);
    } else {
      std::memcpy(&d.d[0], &r, 8);
      d.d[1] = 0;
    }
    if (any_lane<16>(q)) set_qc(c);
    return next(c, i);
  }
  constexpr unsigned N = kPart == 2 ? 1 : 8 / sizeof(T);
  W a[N];
  T r[N];
  get<N * sizeof(W)>(V(c, i.n), a);
  bool q = false;
  for (unsigned k = 0; k < N; ++k) r[k] = Op::f(a[k], q);
  VReg& d = V(c, i.d);
  if constexpr (kPart == 1) std::memcpy(&d.d[1], r, 8);
  else put<N * sizeof(T)>(d, r);
  if (q) set_qc(c);
  return next(c, i);
}

// SHLL/SHLL2: each lane of the selected half widened and shifted left by esize.
template <class T, bool kHi>
Flow op_shll(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  using W = W2<T>;
  constexpr unsigned N = 8 / sizeof(T);
  T a[N];
  W r[N];
  std::memcpy(a, &V(c, i.n).d[kHi ? 1 : 0], 8);
  for (unsigned k = 0; k < N; ++k) r[k] = static_cast<W>(static_cast<W>(a[k]) << kEsize<T>);
  put<16>(V(c, i.d), r);
  return next(c, i);
}

struct Entry2 {
  std::array<std::array<Handler, 2>, 4> v{};
  std::array<Handler, 4> s{};
  uint8_t vsizes = 0, ssizes = 0;
};
template <template <class> class Op>
constexpr Entry2 e2(uint8_t vsizes, uint8_t ssizes = 0) {
  Entry2 e;
  e.v = {{{&op2<Op<u8>, u8, 8>, &op2<Op<u8>, u8, 16>},
          {&op2<Op<u16>, u16, 8>, &op2<Op<u16>, u16, 16>},
          {&op2<Op<u32>, u32, 8>, &op2<Op<u32>, u32, 16>},
          {&op2<Op<u64>, u64, 8>, &op2<Op<u64>, u64, 16>}}};
  if (ssizes) e.s = {&op2<Op<u8>, u8, 1>, &op2<Op<u16>, u16, 2>, &op2<Op<u32>, u32, 4>, &op2<Op<u64>, u64, 8>};
  e.vsizes = vsizes;
  e.ssizes = ssizes;
  return e;
}
template <bool kS, bool kAcc>
constexpr Entry2 e_addlp() {
  Entry2 e;
  e.v = {{{&op_addlp<u8, kS, kAcc, 8>, &op_addlp<u8, kS, kAcc, 16>},
          {&op_addlp<u16, kS, kAcc, 8>, &op_addlp<u16, kS, kAcc, 16>},
          {&op_addlp<u32, kS, kAcc, 8>, &op_addlp<u32, kS, kAcc, 16>},
          {}}};
  e.vsizes = kBHS;
  return e;
}
template <template <class> class Op>
constexpr Entry2 e_narrow(bool scalar) {
  Entry2 e;
  e.v = {{{&op_narrow<Op<u8>, u8, 0>, &op_narrow<Op<u8>, u8, 1>},
          {&op_narrow<Op<u16>, u16, 0>, &op_narrow<Op<u16>, u16, 1>},
          {&op_narrow<Op<u32>, u32, 0>, &op_narrow<Op<u32>, u32, 1>},
          {}}};
  if (scalar) e.s = {&op_narrow<Op<u8>, u8, 2>, &op_narrow<Op<u16>, u16, 2>, &op_narrow<Op<u32>, u32, 2>, nullptr};
  e.vsizes = kBHS;
  e.ssizes = scalar ? kBHS : 0;
  return e;
}
constexpr Entry2 e_shll() {
  Entry2 e;
  e.v = {{{&op_shll<u8, false>, &op_shll<u8, true>},
          {&op_shll<u16, false>, &op_shll<u16, true>},
          {&op_shll<u32, false>, &op_shll<u32, true>},
          {}}};
  e.vsizes = kBHS;
  return e;
}

// [U][opcode]: "Advanced SIMD two-register miscellaneous" (integer) and its scalar form.
// REV* (U0 00000/00001, U1 00000) and NOT/RBIT (U1 00101) are handled in pre_2misc.
const std::array<Entry2, 64> k2Misc = [] {
  std::array<Entry2, 64> t{};
  auto u0 = [&](unsigned op, Entry2 e) { t[op] = e; };
  auto u1 = [&](unsigned op, Entry2 e) { t[32 + op] = e; };
  u0(0b00010, e_addlp<true, false>());  u1(0b00010, e_addlp<false, false>());
  u0(0b00011, e2<Suqadd>(kAll, kAll));  u1(0b00011, e2<Usqadd>(kAll, kAll));
  u0(0b00100, e2<Cls>(kBHS));           u1(0b00100, e2<Clz>(kBHS));
  u0(0b00101, e2<Cnt>(kB));
  u0(0b00110, e_addlp<true, true>());   u1(0b00110, e_addlp<false, true>());
  u0(0b00111, e2<Sqabs>(kAll, kAll));   u1(0b00111, e2<Sqneg>(kAll, kAll));
  u0(0b01000, e2<Cmgt0>(kAll, kD));     u1(0b01000, e2<Cmge0>(kAll, kD));
  u0(0b01001, e2<Cmeq0>(kAll, kD));     u1(0b01001, e2<Cmle0>(kAll, kD));
  u0(0b01010, e2<Cmlt0>(kAll, kD));
  u0(0b01011, e2<Abs>(kAll, kD));       u1(0b01011, e2<Neg>(kAll, kD));
  u0(0b10010, e_narrow<Xtn>(false));    u1(0b10010, e_narrow<Sqxtun>(true));
  u1(0b10011, e_shll());
  u0(0b10100, e_narrow<Sqxtn>(true));   u1(0b10100, e_narrow<Uqxtn>(true));
  return t;
}();

constexpr std::array<std::array<Handler, 2>, 2> kNotRbit = {{{&op2<Not<u8>, u8, 8>, &op2<Not<u8>, u8, 16>},
                                                             {&op2<Rbit<u8>, u8, 8>, &op2<Rbit<u8>, u8, 16>}}};

// opcode: bits 16:12, the row's o letters under the bits it fixes.
bool pre_2misc(DecodedInst& i, bool scalar, unsigned q, unsigned u, unsigned size, unsigned opcode, unsigned rn,
               unsigned rd) {
  i.d = static_cast<uint8_t>(rd);
  i.n = static_cast<uint8_t>(rn);
  if (!scalar && opcode <= 1) {
    // REV64 (U0 00000), REV16 (U0 00001), REV32 (U1 00000): container of 8 << (2 - ...) bytes.
    if (u && opcode == 1) return false;
    const unsigned container = u ? 4 : opcode == 1 ? 2 : 8;  // bytes
    const unsigned esize = 1u << size;
    if (esize >= container) return false;
    uint8_t idx[16];
    for (unsigned k = 0; k < 16; ++k) {
      const unsigned base = k / container * container, off = k % container;
      const unsigned elem = off / esize, byte = off % esize;
      idx[k] = static_cast<uint8_t>(base + (container / esize - 1 - elem) * esize + byte);
    }
    std::memcpy(&i.imm, idx, 8);
    std::memcpy(&i.imm2, idx + 8, 8);
    i.fn = q ? &op_permute_bytes<16> : &op_permute_bytes<8>;
    return true;
  }
  if (!scalar && u && opcode == 0b00101) {
    if (size > 1) return false;
    i.fn = kNotRbit[size][q];
    return true;
  }
  const Entry2& e = k2Misc[u * 32 + opcode];
  if (scalar) {
    if (!((e.ssizes >> size) & 1)) return false;
    i.fn = e.s[size];
  } else {
    if (!((e.vsizes >> size) & 1) || (size == 3 && !q)) return false;
    i.fn = e.v[size][q];
  }
  return true;
}

// ---------------- across lanes ----------------
// R is the result lane type (T, or twice its width for SADDLV/UADDLV).
template <class T, bool kS> struct AddvOp { using R = T; static R f(R acc, T x) { return static_cast<R>(acc + x); } };
template <class T, bool kS> struct AddlvOp {
  using R = W2<T>;
  static R f(R acc, T x) { return static_cast<R>(acc + widen<T, kS>(x)); }
};
template <class T, bool kS> struct MaxvOp {
  using R = T;
  static R f(R acc, T x) { return kS ? (static_cast<Si<T>>(x) > static_cast<Si<T>>(acc) ? x : acc) : (x > acc ? x : acc); }
};
template <class T, bool kS> struct MinvOp {
  using R = T;
  static R f(R acc, T x) { return kS ? (static_cast<Si<T>>(x) < static_cast<Si<T>>(acc) ? x : acc) : (x < acc ? x : acc); }
};

template <template <class, bool> class Op, class T, bool kS, unsigned kBytes>
Flow op_across(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  using O = Op<T, kS>;
  using R = typename O::R;
  constexpr unsigned N = kBytes / sizeof(T);
  T a[N];
  get<kBytes>(V(c, i.n), a);
  R acc;
  if constexpr (sizeof(R) == sizeof(T)) acc = a[0];
  else acc = widen<T, kS>(a[0]);
  for (unsigned k = 1; k < N; ++k) acc = O::f(acc, a[k]);
  put<sizeof(R)>(V(c, i.d), &acc);
  return next(c, i);
}

template <template <class, bool> class Op, bool kS>
constexpr std::array<std::array<Handler, 2>, 3> across_table() {
  return {{{&op_across<Op, u8, kS, 8>, &op_across<Op, u8, kS, 16>},
           {&op_across<Op, u16, kS, 8>, &op_across<Op, u16, kS, 16>},
           {nullptr, &op_across<Op, u32, kS, 16>}}};
}

// opcode: bits 16:12 (the rows fix all but the last bit of 1101o).
bool pre_across(DecodedInst& i, unsigned q, unsigned u, unsigned size, unsigned opcode, unsigned rn, unsigned rd) {
  i.d = static_cast<uint8_t>(rd);
  i.n = static_cast<uint8_t>(rn);
  if (size == 3 || (size == 2 && !q)) return false;
  static constexpr auto kSaddlv = across_table<AddlvOp, true>(), kUaddlv = across_table<AddlvOp, false>();
  static constexpr auto kSmaxv = across_table<MaxvOp, true>(), kUmaxv = across_table<MaxvOp, false>();
  static constexpr auto kSminv = across_table<MinvOp, true>(), kUminv = across_table<MinvOp, false>();
  static constexpr auto kAddv = across_table<AddvOp, false>();
  const std::array<std::array<Handler, 2>, 3>* t = nullptr;
  switch (opcode) {
    case 0b00011: t = u ? &kUaddlv : &kSaddlv; break;
    case 0b01010: t = u ? &kUmaxv : &kSmaxv; break;
    case 0b11010: t = u ? &kUminv : &kSminv; break;
    case 0b11011: if (!u) t = &kAddv; break;
    default: break;
  }
  if (!t) return false;
  i.fn = (*t)[size][q];
  return true;
}

// ---------------- copy ----------------
template <class T, unsigned kBytes>
Flow op_dup_elem(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  constexpr unsigned N = kBytes / sizeof(T);
  const T e = V(c, i.n).lane<T>(i.f2);
  T r[N];
  for (unsigned k = 0; k < N; ++k) r[k] = e;
  put<kBytes>(V(c, i.d), r);
  return next(c, i);
}
template <class T, unsigned kBytes>
Flow op_dup_gen(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  constexpr unsigned N = kBytes / sizeof(T);
  const T e = static_cast<T>(R(c, i.n));
  T r[N];
  for (unsigned k = 0; k < N; ++k) r[k] = e;
  put<kBytes>(V(c, i.d), r);
  return next(c, i);
}
// SMOV to W (k64 false) zero-extends the sign-extended 32-bit value into X.
template <class T, bool k64>
Flow op_smov(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  const int64_t v = static_cast<Si<T>>(V(c, i.n).lane<T>(i.f2));
  R(c, i.d) = k64 ? static_cast<uint64_t>(v) : static_cast<uint32_t>(v);
  return next(c, i);
}
template <class T>
Flow op_umov(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  R(c, i.d) = V(c, i.n).lane<T>(i.f2);
  return next(c, i);
}
template <class T>
Flow op_ins_gen(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  V(c, i.d).set_lane<T>(i.f2, static_cast<T>(R(c, i.n)));
  return next(c, i);
}
template <class T>
Flow op_ins_elem(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  V(c, i.d).set_lane<T>(i.f2, V(c, i.n).lane<T>(i.f3));
  return next(c, i);
}

// imm5 (the copy rows' i letters) gives the element size (its lowest set bit) and the
// index (the bits above it).
bool copy_size_index(unsigned imm5, unsigned& size, unsigned& index) {
  const int s = lowest_set(imm5, 4);
  if (s < 0) return false;
  size = static_cast<unsigned>(s);
  index = imm5 >> (size + 1);
  return true;
}

// ---------------- modified immediate ----------------
// AdvSIMDExpandImm (Arm ARM shared/functions/vector). Returns false for the unallocated
// FMOV double-precision form with Q = 0. imm8 and cmode are the row's fields; the shifts
// below take apart imm8 (its bits a, b) and cmode as the pseudocode does, not the word.
bool expand_imm(unsigned op, unsigned cmode, uint64_t imm8, bool q, uint64_t& out) {
  auto rep32 = [](uint64_t v) { return v | (v << 32); };
  auto rep16 = [](uint64_t v) { return v * 0x0001000100010001ull; };
  switch (cmode >> 1) {
    case 0: out = rep32(imm8); return true;
    case 1: out = rep32(imm8 << 8); return true;
    case 2: out = rep32(imm8 << 16); return true;
    case 3: out = rep32(imm8 << 24); return true;
    case 4: out = rep16(imm8); return true;
    case 5: out = rep16(imm8 << 8); return true;
    case 6: out = rep32((cmode & 1) ? (imm8 << 16) | 0xffff : (imm8 << 8) | 0xff); return true;
    default: break;
  }
  const uint64_t a = (imm8 >> 7) & 1, b = (imm8 >> 6) & 1;
  if (!(cmode & 1) && op == 0) {
    out = imm8 * 0x0101010101010101ull;
  } else if (!(cmode & 1)) {
    out = 0;
    for (unsigned k = 0; k < 8; ++k)
      if ((imm8 >> k) & 1) out |= uint64_t{0xff} << (8 * k);
  } else if (op == 0) {
    // FMOV single: a:NOT(b):Replicate(b, 5):imm8<5:0>:Zeros(19).
    const uint64_t s = (a << 31) | ((b ^ 1) << 30) | ((b ? 0x1fu : 0u) << 25) | ((imm8 & 0x3f) << 19);
    out = rep32(s);
  } else {
    if (!q) return false;
    // FMOV double: a:NOT(b):Replicate(b, 8):imm8<5:0>:Zeros(48).
    out = (a << 63) | ((b ^ 1) << 62) | ((b ? uint64_t{0xff} : 0) << 54) | ((imm8 & 0x3f) << 48);
  }
  return true;
}

template <bool kQ>
Flow op_movi(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  V(c, i.d).d = {i.imm, kQ ? i.imm : 0};
  return next(c, i);
}
template <bool kQ>
Flow op_orr_imm(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  VReg& d = V(c, i.d);
  d.d = {d.d[0] | i.imm, kQ ? d.d[1] | i.imm : 0};
  return next(c, i);
}
// BIC: i.imm holds NOT(imm).
template <bool kQ>
Flow op_and_imm(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  VReg& d = V(c, i.d);
  d.d = {d.d[0] & i.imm, kQ ? d.d[1] & i.imm : 0};
  return next(c, i);
}

// imm8 is the row's i letters (a:b:c at bits 18:16, d:e:f:g:h at 9:5, one field).
bool pre_modimm(DecodedInst& i, unsigned q, unsigned op, unsigned cmode, uint64_t imm8, unsigned rd) {
  i.d = static_cast<uint8_t>(rd);
  uint64_t imm;
  if (!expand_imm(op, cmode, imm8, q, imm)) return false;
  // ORR (op 0) and BIC (op 1) are cmode 0xx1 and 10x1; the other cmodes move.
  const bool is_orr_bic = (cmode & 1) && cmode < 0b1100;
  if (is_orr_bic) {
    i.imm = op ? ~imm : imm;
    i.fn = op ? (q ? &op_and_imm<true> : &op_and_imm<false>) : (q ? &op_orr_imm<true> : &op_orr_imm<false>);
    return true;
  }
  // MVNI: op 1 with cmode other than 1110 (MOVI 64-bit) and 1111 (FMOV double).
  i.imm = (op && cmode < 0b1110) ? ~imm : imm;
  i.fn = q ? &op_movi<true> : &op_movi<false>;
  return true;
}

// ---------------- permute ----------------
enum PermOp : uint8_t { kUzp, kTrn, kZip };
template <PermOp kOp, unsigned kPart, class T, unsigned kBytes>
Flow op_perm(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  constexpr unsigned N = kBytes / sizeof(T);
  T a[N], b[N], r[N];
  get<kBytes>(V(c, i.n), a);
  get<kBytes>(V(c, i.m), b);
  if constexpr (kOp == kUzp) {
    for (unsigned k = 0; k < N / 2; ++k) {
      r[k] = a[2 * k + kPart];
      r[N / 2 + k] = b[2 * k + kPart];
    }
  } else if constexpr (kOp == kTrn) {
    for (unsigned k = 0; k < N / 2; ++k) {
      r[2 * k] = a[2 * k + kPart];
      r[2 * k + 1] = b[2 * k + kPart];
    }
  } else {
    constexpr unsigned base = kPart * N / 2;
    for (unsigned k = 0; k < N / 2; ++k) {
      r[2 * k] = a[base + k];
      r[2 * k + 1] = b[base + k];
    }
  }
  put<kBytes>(V(c, i.d), r);
  return next(c, i);
}
template <PermOp kOp, unsigned kPart>
constexpr std::array<std::array<Handler, 2>, 4> perm_table() {
  return {{{&op_perm<kOp, kPart, u8, 8>, &op_perm<kOp, kPart, u8, 16>},
           {&op_perm<kOp, kPart, u16, 8>, &op_perm<kOp, kPart, u16, 16>},
           {&op_perm<kOp, kPart, u32, 8>, &op_perm<kOp, kPart, u32, 16>},
           {nullptr, &op_perm<kOp, kPart, u64, 16>}}};
}

// EXT: bytes f2.. of the concatenation Vm:Vn.
template <unsigned kBytes>
Flow op_ext(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  u8 cat[32], r[16];
  get<kBytes>(V(c, i.n), cat);
  get<kBytes>(V(c, i.m), cat + kBytes);
  std::memcpy(r, cat + i.f2, kBytes);
  put<kBytes>(V(c, i.d), r);
  return next(c, i);
}

#if defined(__x86_64__)
// TBL of one table register: PSHUFB, where an index with bit 7 set gives 0; a saturating
// add of 0x70 sets bit 7 exactly for the indices 16..255 and keeps the low four bits of the
// others. Chosen at predecode when the host has SSSE3.
template <unsigned kBytes>
[[gnu::target("ssse3")]] Flow op_tbl1_ssse3(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  const __m128i table = _mm_loadu_si128(reinterpret_cast<const __m128i*>(V(c, i.n).d.data()));
  const __m128i idx = _mm_loadu_si128(reinterpret_cast<const __m128i*>(V(c, i.m).d.data()));
  const __m128i r = _mm_shuffle_epi8(table, _mm_adds_epu8(idx, _mm_set1_epi8(0x70)));
  put<kBytes>(V(c, i.d), &r);
  return next(c, i);
}
bool host_has_ssse3() { return __builtin_cpu_supports("ssse3"); }
#endif

// TBL/TBX with kLen table registers Vn..Vn+kLen-1 (modulo 32); an out-of-range index
// gives 0 (TBL) or leaves the byte of Vd (TBX).
template <unsigned kBytes, unsigned kLen, bool kTbx>
Flow op_tbl(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  constexpr unsigned kSize = 16 * kLen;
  u8 table[kSize + 1], idx[16], r[16];  // table[kSize]: the 0 an out-of-range TBL index reads
  for (unsigned k = 0; k < kLen; ++k) get<16>(V(c, (i.n + k) & 31), table + 16 * k);
  table[kSize] = 0;
  get<kBytes>(V(c, i.m), idx);
  if constexpr (kTbx) get<kBytes>(V(c, i.d), r);
  for (unsigned k = 0; k < kBytes; ++k) {
    const bool in = idx[k] < kSize;
    const u8 e = table[in ? idx[k] : kSize];
    if constexpr (kTbx) r[k] = in ? e : r[k];
    else r[k] = e;
  }
  put<kBytes>(V(c, i.d), r);
  return next(c, i);
}

}  // namespace

// ---------------- predecode entry points (one per row) ----------------
// Each takes the fields of its row's pattern as parameters, in pattern order
// (cpu/decoder/fields.h): F<'n'> is the field marked n. The rows of a group pass their
// letters, and the bits their pattern fixes, to the group's helper above.

bool pre_SIMD_3SAME_a(DecodedInst& i, uint32_t insn) {  // opcode 0oooo
  return with_fields<pattern::SIMD_3SAME_a>(
      i, insn, [](DecodedInst& i, F<'q'> q, F<'u'> u, F<'s'> size, F<'m'> rm, F<'o'> op, F<'n'> rn, F<'d'> rd) {
        return pre_3same(i, false, q, u, size, op, rm, rn, rd);
      });
}
bool pre_SIMD_3SAME_b(DecodedInst& i, uint32_t insn) {  // opcode 10ooo
  return with_fields<pattern::SIMD_3SAME_b>(
      i, insn, [](DecodedInst& i, F<'q'> q, F<'u'> u, F<'s'> size, F<'m'> rm, F<'o'> op, F<'n'> rn, F<'d'> rd) {
        return pre_3same(i, false, q, u, size, 0b10000 | op, rm, rn, rd);
      });
}
bool pre_SIMD_3SAME_mla(DecodedInst& i, uint32_t insn) {  // opcode 10010
  return with_fields<pattern::SIMD_3SAME_mla>(
      i, insn, [](DecodedInst& i, F<'q'> q, F<'u'> u, F<'s'> size, F<'m'> rm, F<'n'> rn, F<'d'> rd) {
        return pre_3same(i, false, q, u, size, 0b10010, rm, rn, rd);
      });
}
bool pre_SIMD_3SAME_aba(DecodedInst& i, uint32_t insn) {  // opcode 01111
  return with_fields<pattern::SIMD_3SAME_aba>(
      i, insn, [](DecodedInst& i, F<'q'> q, F<'u'> u, F<'s'> size, F<'m'> rm, F<'n'> rn, F<'d'> rd) {
        return pre_3same(i, false, q, u, size, 0b01111, rm, rn, rd);
      });
}
bool pre_SIMD_3SAME_bsl(DecodedInst& i, uint32_t insn) {  // U = 1, opcode 00011
  return with_fields<pattern::SIMD_3SAME_bsl>(
      i, insn, [](DecodedInst& i, F<'q'> q, F<'s'> size, F<'m'> rm, F<'n'> rn, F<'d'> rd) {
        return pre_3same(i, false, q, 1, size, 0b00011, rm, rn, rd);
      });
}
bool pre_SIMD_S3SAME_a(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_S3SAME_a>(
      i, insn, [](DecodedInst& i, F<'u'> u, F<'s'> size, F<'m'> rm, F<'o'> op, F<'n'> rn, F<'d'> rd) {
        return pre_3same(i, true, 1, u, size, op, rm, rn, rd);
      });
}
bool pre_SIMD_S3SAME_b(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_S3SAME_b>(
      i, insn, [](DecodedInst& i, F<'u'> u, F<'s'> size, F<'m'> rm, F<'o'> op, F<'n'> rn, F<'d'> rd) {
        return pre_3same(i, true, 1, u, size, 0b10000 | op, rm, rn, rd);
      });
}

// SQRDMLAH (o = 0), SQRDMLSH: halfword and word lanes only.
bool pre_SIMD_RDM_vec(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_RDM_vec>(
      i, insn, [](DecodedInst& i, F<'q'> q, F<'s'> size, F<'m'> rm, F<'o'> sub, F<'n'> rn, F<'d'> rd) {
        if (size != 1 && size != 2) return false;
        regs3(i, rd, rn, rm);
        i.fn = sub ? kRdmlshV[size][q] : kRdmlahV[size][q];
        return true;
      });
}
bool pre_SIMD_SRDM(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_SRDM>(
      i, insn, [](DecodedInst& i, F<'s'> size, F<'m'> rm, F<'o'> sub, F<'n'> rn, F<'d'> rd) {
        if (size != 1 && size != 2) return false;
        regs3(i, rd, rn, rm);
        i.fn = sub ? kRdmlshS[size] : kRdmlahS[size];
        return true;
      });
}
// SDOT (U = 0), UDOT: size 10 only.
bool pre_SIMD_DOT_vec(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_DOT_vec>(
      i, insn, [](DecodedInst& i, F<'q'> q, F<'u'> u, F<'s'> size, F<'m'> rm, F<'n'> rn, F<'d'> rd) {
        if (size != 2) return false;
        regs3(i, rd, rn, rm);
        constexpr Handler t[2][2] = {{&op_dot<true, 8, false>, &op_dot<true, 16, false>},
                                     {&op_dot<false, 8, false>, &op_dot<false, 16, false>}};
        i.fn = t[u][q];
        return true;
      });
}
bool pre_SIMD_ELEM_dot(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_ELEM_dot>(
      i, insn,
      [](DecodedInst& i, F<'q'> q, F<'u'> u, F<'s'> size, F<'L'> l, F<'M'> m, F<'m'> rm4, F<'H'> h, F<'n'> rn,
         F<'d'> rd) {
        if (size != 2) return false;
        regs3(i, rd, rn, (m << 4) | rm4);  // M:Rm
        i.f2 = static_cast<uint8_t>((h << 1) | l);  // the group index H:L
        constexpr Handler t[2][2] = {{&op_dot<true, 8, true>, &op_dot<true, 16, true>},
                                     {&op_dot<false, 8, true>, &op_dot<false, 16, true>}};
        i.fn = t[u][q];
        return true;
      });
}

// Two-register misc: opcodes 00ooo, 010oo, 1001o and 10100 (vector and scalar).
bool pre_SIMD_2MISC_a(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_2MISC_a>(
      i, insn, [](DecodedInst& i, F<'q'> q, F<'u'> u, F<'s'> size, F<'o'> op, F<'n'> rn, F<'d'> rd) {
        return pre_2misc(i, false, q, u, size, op, rn, rd);
      });
}
bool pre_SIMD_2MISC_b(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_2MISC_b>(
      i, insn, [](DecodedInst& i, F<'q'> q, F<'u'> u, F<'s'> size, F<'o'> op, F<'n'> rn, F<'d'> rd) {
        return pre_2misc(i, false, q, u, size, 0b01000 | op, rn, rd);
      });
}
bool pre_SIMD_2MISC_c(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_2MISC_c>(
      i, insn, [](DecodedInst& i, F<'q'> q, F<'u'> u, F<'s'> size, F<'o'> op, F<'n'> rn, F<'d'> rd) {
        return pre_2misc(i, false, q, u, size, 0b10010 | op, rn, rd);
      });
}
bool pre_SIMD_2MISC_d(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_2MISC_d>(
      i, insn, [](DecodedInst& i, F<'q'> q, F<'u'> u, F<'s'> size, F<'n'> rn, F<'d'> rd) {
        return pre_2misc(i, false, q, u, size, 0b10100, rn, rd);
      });
}
bool pre_SIMD_S2MISC_a(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_S2MISC_a>(
      i, insn, [](DecodedInst& i, F<'u'> u, F<'s'> size, F<'o'> op, F<'n'> rn, F<'d'> rd) {
        return pre_2misc(i, true, 1, u, size, op, rn, rd);
      });
}
bool pre_SIMD_S2MISC_b(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_S2MISC_b>(
      i, insn, [](DecodedInst& i, F<'u'> u, F<'s'> size, F<'o'> op, F<'n'> rn, F<'d'> rd) {
        return pre_2misc(i, true, 1, u, size, 0b01000 | op, rn, rd);
      });
}
bool pre_SIMD_S2MISC_c(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_S2MISC_c>(
      i, insn, [](DecodedInst& i, F<'u'> u, F<'s'> size, F<'n'> rn, F<'d'> rd) {
        return pre_2misc(i, true, 1, u, size, 0b10010, rn, rd);
      });
}
bool pre_SIMD_S2MISC_d(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_S2MISC_d>(
      i, insn, [](DecodedInst& i, F<'u'> u, F<'s'> size, F<'n'> rn, F<'d'> rd) {
        return pre_2misc(i, true, 1, u, size, 0b10100, rn, rd);
      });
}

bool pre_SIMD_ACROSS_a(DecodedInst& i, uint32_t insn) {  // opcode 00011
  return with_fields<pattern::SIMD_ACROSS_a>(
      i, insn, [](DecodedInst& i, F<'q'> q, F<'u'> u, F<'s'> size, F<'n'> rn, F<'d'> rd) {
        return pre_across(i, q, u, size, 0b00011, rn, rd);
      });
}
bool pre_SIMD_ACROSS_b(DecodedInst& i, uint32_t insn) {  // opcode 01010
  return with_fields<pattern::SIMD_ACROSS_b>(
      i, insn, [](DecodedInst& i, F<'q'> q, F<'u'> u, F<'s'> size, F<'n'> rn, F<'d'> rd) {
        return pre_across(i, q, u, size, 0b01010, rn, rd);
      });
}
bool pre_SIMD_ACROSS_c(DecodedInst& i, uint32_t insn) {  // opcode 1101o
  return with_fields<pattern::SIMD_ACROSS_c>(
      i, insn, [](DecodedInst& i, F<'q'> q, F<'u'> u, F<'s'> size, F<'o'> op, F<'n'> rn, F<'d'> rd) {
        return pre_across(i, q, u, size, 0b11010 | op, rn, rd);
      });
}

// Scalar ADDP: the two D lanes of Vn.
namespace {
Flow op_saddp(Core& c, const DecodedInst& i) {
  PMUEMU_SIMD_PROLOGUE(c, i);
  const VReg& n = V(c, i.n);
  set_v64(c, i.d, n.d[0] + n.d[1]);
  return next(c, i);
}
}  // namespace
bool pre_SIMD_SADDP(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_SADDP>(i, insn, [](DecodedInst& i, F<'s'> size, F<'n'> rn, F<'d'> rd) {
    if (size != 3) return false;
    i.d = static_cast<uint8_t>(rd);
    i.n = static_cast<uint8_t>(rn);
    i.fn = &op_saddp;
    return true;
  });
}

bool pre_SIMD_DUP_elem(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_DUP_elem>(i, insn, [](DecodedInst& i, F<'q'> q, F<'i'> imm5, F<'n'> rn, F<'d'> rd) {
    unsigned size, index;
    if (!copy_size_index(imm5, size, index) || (size == 3 && !q)) return false;
    i.d = static_cast<uint8_t>(rd);
    i.n = static_cast<uint8_t>(rn);
    i.f2 = static_cast<uint8_t>(index);
    constexpr Handler t[4][2] = {{&op_dup_elem<u8, 8>, &op_dup_elem<u8, 16>},
                                 {&op_dup_elem<u16, 8>, &op_dup_elem<u16, 16>},
                                 {&op_dup_elem<u32, 8>, &op_dup_elem<u32, 16>},
                                 {nullptr, &op_dup_elem<u64, 16>}};
    i.fn = t[size][q];
    return true;
  });
}
bool pre_SIMD_DUP_scalar(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_DUP_scalar>(i, insn, [](DecodedInst& i, F<'i'> imm5, F<'n'> rn, F<'d'> rd) {
    unsigned size, index;
    if (!copy_size_index(imm5, size, index)) return false;
    i.d = static_cast<uint8_t>(rd);
    i.n = static_cast<uint8_t>(rn);
    i.f2 = static_cast<uint8_t>(index);
    constexpr Handler t[4] = {&op_dup_elem<u8, 1>, &op_dup_elem<u16, 2>, &op_dup_elem<u32, 4>, &op_dup_elem<u64, 8>};
    i.fn = t[size];
    return true;
  });
}
bool pre_SIMD_DUP_gen(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_DUP_gen>(i, insn, [](DecodedInst& i, F<'q'> q, F<'i'> imm5, F<'n'> rn, F<'d'> rd) {
    unsigned size, index;
    if (!copy_size_index(imm5, size, index) || (size == 3 && !q)) return false;
    i.d = static_cast<uint8_t>(rd);
    i.n = rzr(rn);
    constexpr Handler t[4][2] = {{&op_dup_gen<u8, 8>, &op_dup_gen<u8, 16>},
                                 {&op_dup_gen<u16, 8>, &op_dup_gen<u16, 16>},
                                 {&op_dup_gen<u32, 8>, &op_dup_gen<u32, 16>},
                                 {nullptr, &op_dup_gen<u64, 16>}};
    i.fn = t[size][q];
    return true;
  });
}
bool pre_SIMD_SMOV(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_SMOV>(i, insn, [](DecodedInst& i, F<'q'> q, F<'i'> imm5, F<'n'> rn, F<'d'> rd) {
    unsigned size, index;
    if (!copy_size_index(imm5, size, index) || size == 3 || (size == 2 && !q)) return false;
    i.d = wzr(rd);
    i.n = static_cast<uint8_t>(rn);
    i.f2 = static_cast<uint8_t>(index);
    constexpr Handler t[3][2] = {{&op_smov<u8, false>, &op_smov<u8, true>},
                                 {&op_smov<u16, false>, &op_smov<u16, true>},
                                 {nullptr, &op_smov<u32, true>}};
    i.fn = t[size][q];
    return true;
  });
}
bool pre_SIMD_UMOV(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_UMOV>(i, insn, [](DecodedInst& i, F<'q'> q, F<'i'> imm5, F<'n'> rn, F<'d'> rd) {
    unsigned size, index;
    if (!copy_size_index(imm5, size, index) || (q ? size != 3 : size == 3)) return false;
    i.d = wzr(rd);
    i.n = static_cast<uint8_t>(rn);
    i.f2 = static_cast<uint8_t>(index);
    constexpr Handler t[4] = {&op_umov<u8>, &op_umov<u16>, &op_umov<u32>, &op_umov<u64>};
    i.fn = t[size];
    return true;
  });
}
bool pre_SIMD_INS_gen(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_INS_gen>(i, insn, [](DecodedInst& i, F<'i'> imm5, F<'n'> rn, F<'d'> rd) {
    unsigned size, index;
    if (!copy_size_index(imm5, size, index)) return false;
    i.d = static_cast<uint8_t>(rd);
    i.n = rzr(rn);
    i.f2 = static_cast<uint8_t>(index);
    constexpr Handler t[4] = {&op_ins_gen<u8>, &op_ins_gen<u16>, &op_ins_gen<u32>, &op_ins_gen<u64>};
    i.fn = t[size];
    return true;
  });
}
// imm4 (the row's j letters) holds the source index above the element size's bits.
bool pre_SIMD_INS_elem(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_INS_elem>(
      i, insn, [](DecodedInst& i, F<'i'> imm5, F<'j'> imm4, F<'n'> rn, F<'d'> rd) {
        unsigned size, index;
        if (!copy_size_index(imm5, size, index)) return false;
        i.d = static_cast<uint8_t>(rd);
        i.n = static_cast<uint8_t>(rn);
        i.f2 = static_cast<uint8_t>(index);
        i.f3 = static_cast<uint8_t>(imm4 >> size);
        constexpr Handler t[4] = {&op_ins_elem<u8>, &op_ins_elem<u16>, &op_ins_elem<u32>, &op_ins_elem<u64>};
        i.fn = t[size];
        return true;
      });
}

// Modified immediate: op 0 and op 1 rows take cmode as a field; the ORR and BIC rows fix
// cmode to 0cc1 (32-bit) or 10c1 (16-bit).
bool pre_SIMD_MODIMM_op0(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_MODIMM_op0>(
      i, insn, [](DecodedInst& i, F<'q'> q, F<'i'> imm8, F<'c'> cmode, F<'d'> rd) {
        return pre_modimm(i, q, 0, cmode, imm8, rd);
      });
}
bool pre_SIMD_MODIMM_op1(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_MODIMM_op1>(
      i, insn, [](DecodedInst& i, F<'q'> q, F<'i'> imm8, F<'c'> cmode, F<'d'> rd) {
        return pre_modimm(i, q, 1, cmode, imm8, rd);
      });
}
bool pre_SIMD_ORR_imm32(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_ORR_imm32>(
      i, insn, [](DecodedInst& i, F<'q'> q, F<'i'> imm8, F<'c'> c, F<'d'> rd) {
        return pre_modimm(i, q, 0, 0b0001 | (c << 1), imm8, rd);
      });
}
bool pre_SIMD_ORR_imm16(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_ORR_imm16>(
      i, insn, [](DecodedInst& i, F<'q'> q, F<'i'> imm8, F<'c'> c, F<'d'> rd) {
        return pre_modimm(i, q, 0, 0b1001 | (c << 1), imm8, rd);
      });
}
bool pre_SIMD_BIC_imm32(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_BIC_imm32>(
      i, insn, [](DecodedInst& i, F<'q'> q, F<'i'> imm8, F<'c'> c, F<'d'> rd) {
        return pre_modimm(i, q, 1, 0b0001 | (c << 1), imm8, rd);
      });
}
bool pre_SIMD_BIC_imm16(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_BIC_imm16>(
      i, insn, [](DecodedInst& i, F<'q'> q, F<'i'> imm8, F<'c'> c, F<'d'> rd) {
        return pre_modimm(i, q, 1, 0b1001 | (c << 1), imm8, rd);
      });
}
// FEAT_FP16: imm16 = a:NOT(b):Replicate(b, 2):imm8<5:0>:Zeros(6) in every halfword (the
// shifts take apart the row's imm8 as the pseudocode does).
bool pre_SIMD_FMOV_h(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_FMOV_h>(i, insn, [](DecodedInst& i, F<'q'> q, F<'i'> imm8f, F<'d'> rd) {
    const uint64_t imm8 = imm8f;
    const uint64_t a = (imm8 >> 7) & 1, b = (imm8 >> 6) & 1;
    const uint64_t h = (a << 15) | ((b ^ 1) << 14) | ((b ? 3u : 0u) << 12) | ((imm8 & 0x3f) << 6);
    i.d = static_cast<uint8_t>(rd);
    i.imm = h * 0x0001000100010001ull;
    i.fn = q ? &op_movi<true> : &op_movi<false>;
    return true;
  });
}

bool pre_SIMD_PERM(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_PERM>(
      i, insn, [](DecodedInst& i, F<'q'> q, F<'s'> size, F<'m'> rm, F<'o'> opcode, F<'n'> rn, F<'d'> rd) {
        if ((opcode & 3) == 0 || (size == 3 && !q)) return false;
        regs3(i, rd, rn, rm);
        static constexpr std::array<std::array<std::array<Handler, 2>, 4>, 8> kPerm = {
            {{}, perm_table<kUzp, 0>(), perm_table<kTrn, 0>(), perm_table<kZip, 0>(), {}, perm_table<kUzp, 1>(),
             perm_table<kTrn, 1>(), perm_table<kZip, 1>()}};
        i.fn = kPerm[opcode][size][q];
        return true;
      });
}
bool pre_SIMD_EXT(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_EXT>(
      i, insn, [](DecodedInst& i, F<'q'> q, F<'m'> rm, F<'i'> imm4, F<'n'> rn, F<'d'> rd) {
        if (!q && imm4 >= 8) return false;
        regs3(i, rd, rn, rm);
        i.f2 = static_cast<uint8_t>(imm4);
        i.fn = q ? &op_ext<16> : &op_ext<8>;
        return true;
      });
}
bool pre_SIMD_TBL(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_TBL>(
      i, insn, [](DecodedInst& i, F<'q'> q, F<'m'> rm, F<'l'> len, F<'o'> tbx, F<'n'> rn, F<'d'> rd) {
        regs3(i, rd, rn, rm);
        constexpr Handler t[2][4][2] = {
            {{&op_tbl<8, 1, false>, &op_tbl<16, 1, false>}, {&op_tbl<8, 2, false>, &op_tbl<16, 2, false>},
             {&op_tbl<8, 3, false>, &op_tbl<16, 3, false>}, {&op_tbl<8, 4, false>, &op_tbl<16, 4, false>}},
            {{&op_tbl<8, 1, true>, &op_tbl<16, 1, true>}, {&op_tbl<8, 2, true>, &op_tbl<16, 2, true>},
             {&op_tbl<8, 3, true>, &op_tbl<16, 3, true>}, {&op_tbl<8, 4, true>, &op_tbl<16, 4, true>}}};
        i.fn = t[tbx][len][q];
#if defined(__x86_64__)
        if (len == 0 && !tbx && host_has_ssse3()) i.fn = q ? &op_tbl1_ssse3<16> : &op_tbl1_ssse3<8>;
#endif
        return true;
      });
}

}  // namespace cpu::interp
