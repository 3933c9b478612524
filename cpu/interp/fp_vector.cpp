// Advanced SIMD floating point (Arm ARM C4.1.95-96: three same (FP, FP16), two-register
// miscellaneous (FP, FP16), across lanes, pairwise, vector x indexed element, the
// fixed-point conversions of shift by immediate, and their scalar forms): predecode and
// handlers. Every lane goes through cpu/fp, so vector lanes have exactly the scalar
// semantics (rounding, flush to zero, NaNs, flags).
#include <array>
#include <cstring>

#include "cpu/decoder/fields.h"
#include "cpu/fp/fp.h"
#include "cpu/fp/fp_fast.h"
#include "cpu/fp/fp_packed.h"
#include "cpu/interp/fpsimd_common.h"
#include "cpu/interp/interp_common.h"
#include "cpu/interp/predecode.h"
#include "cpu/interp/visitor.h"

namespace cpu::interp {
namespace {

using fp::Rounding;


template <int N> constexpr uint64_t kMask = N == 64 ? ~uint64_t{0} : (uint64_t{1} << N) - 1;

// Lane l of N bits of a register image.
template <int N>
inline uint64_t get(const std::array<uint64_t, 2>& v, unsigned l) {
  return (v[(l * N) / 64] >> ((l * N) % 64)) & kMask<N>;
}
template <int N>
inline void put(std::array<uint64_t, 2>& v, unsigned l, uint64_t x) {
  v[(l * N) / 64] |= (x & kMask<N>) << ((l * N) % 64);
}

// Writes the lanes of a lane-wise operation into register d, with the bits above the lanes
// cleared; lane(l) gives lane l. Both 64-bit words are built in host registers and stored
// as one 128-bit value: the result used to be assembled in a local array with 64-bit
// read-modify-writes and then loaded back as 128 bits, and that failed store-to-load
// forward was the largest cost of an FMLA chain. Nothing is stored before every lane is
// computed, so reading the operands straight from the register file is right even when d
// is one of them.
template <int N, typename Lane>
inline void write_lanes(Core& c, const DecodedInst& i, Lane&& lane) {
  constexpr unsigned kPerWord = 64 / N;
  const unsigned lanes = i.f0;
  uint64_t word[2] = {0, 0};
  for (unsigned w = 0; w < 2; ++w) {
    for (unsigned k = 0; k < kPerWord; ++k) {
      const unsigned l = w * kPerWord + k;
      if (l < lanes) word[w] |= (lane(l) & kMask<N>) << (k * N);
    }
  }
  using Pair [[gnu::vector_size(16)]] = uint64_t;
  const Pair both = {word[0], word[1]};
  std::memcpy(V(c, i.d).d.data(), &both, sizeof both);
}

using Fn1 = uint64_t (*)(uint64_t, fp::Env&);
using Fn2 = uint64_t (*)(uint64_t, uint64_t, fp::Env&);
using Fn3 = uint64_t (*)(uint64_t, uint64_t, uint64_t, fp::Env&);

// ---------------- lane operations ----------------
template <int N> uint64_t o_cmeq(uint64_t a, uint64_t b, fp::Env& e) { return fp::compare_eq<N>(a, b, e) ? kMask<N> : 0; }
template <int N> uint64_t o_cmge(uint64_t a, uint64_t b, fp::Env& e) { return fp::compare_ge<N>(a, b, e) ? kMask<N> : 0; }
template <int N> uint64_t o_cmgt(uint64_t a, uint64_t b, fp::Env& e) { return fp::compare_gt<N>(a, b, e) ? kMask<N> : 0; }
template <int N> uint64_t o_acge(uint64_t a, uint64_t b, fp::Env& e) {
  return fp::compare_ge<N>(fp::fabs<N>(a), fp::fabs<N>(b), e) ? kMask<N> : 0;
}
template <int N> uint64_t o_acgt(uint64_t a, uint64_t b, fp::Env& e) {
  return fp::compare_gt<N>(fp::fabs<N>(a), fp::fabs<N>(b), e) ? kMask<N> : 0;
}
template <int N> uint64_t o_abd(uint64_t a, uint64_t b, fp::Env& e) { return fp::fabs<N>(fp::sub<N>(a, b, e)); }
// FMLA: d + n*m; FMLS: d + (-n)*m (FPNeg of the element, as the pseudocode does).
template <int N> uint64_t o_fmla(uint64_t d, uint64_t n, uint64_t m, fp::Env& e) { return fp::fast_muladd<N>(d, n, m, e); }
template <int N> uint64_t o_fmls(uint64_t d, uint64_t n, uint64_t m, fp::Env& e) {
  return fp::fast_muladd<N>(d, fp::fneg<N>(n), m, e);
}

// Compares with zero.
template <int N> uint64_t o_cmgt0(uint64_t a, fp::Env& e) { return fp::compare_gt<N>(a, 0, e) ? kMask<N> : 0; }
template <int N> uint64_t o_cmge0(uint64_t a, fp::Env& e) { return fp::compare_ge<N>(a, 0, e) ? kMask<N> : 0; }
template <int N> uint64_t o_cmeq0(uint64_t a, fp::Env& e) { return fp::compare_eq<N>(a, 0, e) ? kMask<N> : 0; }
template <int N> uint64_t o_cmle0(uint64_t a, fp::Env& e) { return fp::compare_ge<N>(0, a, e) ? kMask<N> : 0; }
template <int N> uint64_t o_cmlt0(uint64_t a, fp::Env& e) { return fp::compare_gt<N>(0, a, e) ? kMask<N> : 0; }
template <int N> uint64_t o_abs(uint64_t a, fp::Env&) { return fp::fabs<N>(a); }
template <int N> uint64_t o_neg(uint64_t a, fp::Env&) { return fp::fneg<N>(a); }
template <int N> uint64_t o_sqrt(uint64_t a, fp::Env& e) { return fp::fast_sqrt<N>(a, e); }
template <int N, int kR, bool kExact> uint64_t o_rint(uint64_t a, fp::Env& e) {
  return fp::round_int<N>(a, kR < 0 ? e.rounding() : static_cast<Rounding>(kR), kExact, e);
}
template <int N, int kIntSize, bool kFpcrRounding> uint64_t o_rint_n(uint64_t a, fp::Env& e) {
  return fp::round_int_n<N>(a, kFpcrRounding ? e.rounding() : Rounding::kZero, kIntSize, e);
}
// To and from integers of the lane's size (the fixed-point forms are op_vfixed).
template <int N, bool kU, int kR> uint64_t o_fcvt(uint64_t a, fp::Env& e) {
  return fp::to_fixed<N>(a, 0, kU, kR < 0 ? e.rounding() : static_cast<Rounding>(kR), N, e);
}
template <int N, bool kU> uint64_t o_cvtf(uint64_t a, fp::Env& e) { return fp::from_fixed<N>(a, 0, kU, e.rounding(), N, e); }
template <int N> uint64_t o_recpe(uint64_t a, fp::Env& e) { return fp::recip_estimate<N>(a, e); }
template <int N> uint64_t o_rsqrte(uint64_t a, fp::Env& e) { return fp::rsqrt_estimate<N>(a, e); }
template <int N> uint64_t o_recpx(uint64_t a, fp::Env& e) { return fp::recpx<N>(a, e); }
uint64_t o_urecpe(uint64_t a, fp::Env&) { return fp::urecpe(static_cast<uint32_t>(a)); }
uint64_t o_ursqrte(uint64_t a, fp::Env&) { return fp::ursqrte(static_cast<uint32_t>(a)); }

// ---------------- handlers ----------------
// f0: number of lanes (1 for the scalar forms); the result is written with the bits above
// the lanes cleared (64-bit vectors and scalars clear the upper part of the register).
template <int N, Fn2 kFn>
Flow op_v2(Core& c, const DecodedInst& i) {
  if (!fp_enabled(c)) return fp_trap(c, i);
  fp::Env env = fp_env(c);
  const auto& n = V(c, i.n).d;
  const auto& m = V(c, i.m).d;
  write_lanes<N>(c, i, [&](unsigned l) { return kFn(get<N>(n, l), get<N>(m, l), env); });
  raise(c, env.flags);
  return next(c, i);
}
template <int N, Fn3 kFn>
Flow op_v3(Core& c, const DecodedInst& i) {
  if (!fp_enabled(c)) return fp_trap(c, i);
  fp::Env env = fp_env(c);
  const auto& n = V(c, i.n).d;
  const auto& m = V(c, i.m).d;
  const auto& d = V(c, i.d).d;
  write_lanes<N>(c, i, [&](unsigned l) { return kFn(get<N>(d, l), get<N>(n, l), get<N>(m, l), env); });
  raise(c, env.flags);
  return next(c, i);
}
// Pairwise: the lanes of m:n taken two at a time (FADDP, FMAXP, ...).
template <int N, Fn2 kFn>
Flow op_vpair(Core& c, const DecodedInst& i) {
  if (!fp_enabled(c)) return fp_trap(c, i);
  fp::Env env = fp_env(c);
  const auto n = V(c, i.n).d, m = V(c, i.m).d;
  const unsigned lanes = i.f0, half = lanes / 2;
  std::array<uint64_t, 2> r{};
  for (unsigned l = 0; l < half; ++l) put<N>(r, l, kFn(get<N>(n, 2 * l), get<N>(n, 2 * l + 1), env));
  for (unsigned l = 0; l < half; ++l) put<N>(r, half + l, kFn(get<N>(m, 2 * l), get<N>(m, 2 * l + 1), env));
  V(c, i.d).d = r;
  raise(c, env.flags);
  return next(c, i);
}
template <int N, Fn1 kFn>
Flow op_v1(Core& c, const DecodedInst& i) {
  if (!fp_enabled(c)) return fp_trap(c, i);
  fp::Env env = fp_env(c);
  const auto& n = V(c, i.n).d;
  write_lanes<N>(c, i, [&](unsigned l) { return kFn(get<N>(n, l), env); });
  raise(c, env.flags);
  return next(c, i);
}
// Fixed-point conversions with f1 fraction bits.
template <int N, bool kU, bool kToFixed>
Flow op_vfixed(Core& c, const DecodedInst& i) {
  if (!fp_enabled(c)) return fp_trap(c, i);
  fp::Env env = fp_env(c);
  const auto n = V(c, i.n).d;
  std::array<uint64_t, 2> r{};
  for (unsigned l = 0; l < i.f0; ++l) {
    const uint64_t x = get<N>(n, l);
    put<N>(r, l, kToFixed ? fp::to_fixed<N>(x, i.f1, kU, Rounding::kZero, N, env)
                          : fp::from_fixed<N>(x, i.f1, kU, env.rounding(), N, env));
  }
  V(c, i.d).d = r;
  raise(c, env.flags);
  return next(c, i);
}
// By element: every lane of n against element f1 of m.
template <int N, Fn2 kFn>
Flow op_velem2(Core& c, const DecodedInst& i) {
  if (!fp_enabled(c)) return fp_trap(c, i);
  fp::Env env = fp_env(c);
  const auto n = V(c, i.n).d;
  const uint64_t e = get<N>(V(c, i.m).d, i.f1);
  std::array<uint64_t, 2> r{};
  for (unsigned l = 0; l < i.f0; ++l) put<N>(r, l, kFn(get<N>(n, l), e, env));
  V(c, i.d).d = r;
  raise(c, env.flags);
  return next(c, i);
}
template <int N, Fn3 kFn>
Flow op_velem3(Core& c, const DecodedInst& i) {
  if (!fp_enabled(c)) return fp_trap(c, i);
  fp::Env env = fp_env(c);
  const auto n = V(c, i.n).d, d = V(c, i.d).d;
  const uint64_t e = get<N>(V(c, i.m).d, i.f1);
  std::array<uint64_t, 2> r{};
  for (unsigned l = 0; l < i.f0; ++l) put<N>(r, l, kFn(get<N>(d, l), get<N>(n, l), e, env));
  V(c, i.d).d = r;
  raise(c, env.flags);
  return next(c, i);
}
// FMLA/FMLS (vector and by element), FADD, FSUB and FMUL (vector), FMUL (by element),
// single and double: the whole register in one host packed operation when fp_packed.h
// admits every lane (the usual case: round to nearest and finite numbers), decided once per
// instruction; otherwise the lane-wise handler does it exactly. The lane-wise forms call the
// fp_fast.h shortcut (its checks, and for FMLA an out-of-line host FMA) once per lane, which
// made FMLA dgemm's and saxpy's hottest path. host_handler() puts these handlers in place
// of the lane-wise ones at predecode when the host has FMA (and so AVX), so the hot path has
// no dispatch of its own.
using PackedOp = fp::packed::Op;
template <int N, PackedOp kOp, bool kNeg, bool kElem>
constexpr Handler lanewise() {
  if constexpr (kOp == PackedOp::kMulAdd)
    return kElem ? &op_velem3<N, kNeg ? &o_fmls<N> : &o_fmla<N>> : &op_v3<N, kNeg ? &o_fmls<N> : &o_fmla<N>>;
  else if constexpr (kOp == PackedOp::kAdd) return &op_v2<N, &fp::fast_add<N>>;
  else if constexpr (kOp == PackedOp::kSub) return &op_v2<N, &fp::fast_sub<N>>;
  else return kElem ? &op_velem2<N, &fp::fast_mul<N>> : &op_v2<N, &fp::fast_mul<N>>;
}
template <int N, PackedOp kOp, bool kNeg, bool kElem>
constexpr Handler kLanewise = lanewise<N, kOp, kNeg, kElem>();
template <int N, bool kNeg, bool kElem>
constexpr Handler kFmlaLanewise = kLanewise<N, PackedOp::kMulAdd, kNeg, kElem>;

#if defined(__x86_64__)
template <int N, PackedOp kOp, bool kNeg, bool kElem>
[[gnu::target("fma")]] Flow op_packed(Core& c, const DecodedInst& i) {
  namespace pk = fp::packed;
  if (!fp_enabled(c)) return fp_trap(c, i);
  pk::Reg n = pk::load(V(c, i.n).d);
  const pk::Reg m = kElem ? pk::broadcast<N>(V(c, i.m).d, i.f1) : pk::load(V(c, i.m).d);
  const pk::Reg d = kOp == PackedOp::kMulAdd ? pk::load(V(c, i.d).d) : pk::Reg{};
  if constexpr (kNeg) n ^= pk::sign_mask<N>();
  pk::Reg r;
  uint32_t flags = 0;
  if (!pk::arith<N, kOp>(r, flags, n, m, d, i.f0, fpcr(c), static_cast<uint32_t>(c.sysreg(SysSlot::FPSR))))
    return kLanewise<N, kOp, kNeg, kElem>(c, i);
  pk::store(V(c, i.d).d, r);
  if (flags != 0) raise(c, flags);
  return next(c, i);
}
#endif

// The handler to run for h on this host: the packed form of a lane-wise handler above where
// the host has FMA, h itself otherwise.
Handler host_handler(Handler h) {
#if defined(__x86_64__)
#define PMUEMU_PACKED_PAIR(N, kOp, kNeg, kElem) {kLanewise<N, kOp, kNeg, kElem>, &op_packed<N, kOp, kNeg, kElem>}
#define PMUEMU_PACKED_PAIRS(N)                                                                                 \
  PMUEMU_PACKED_PAIR(N, PackedOp::kMulAdd, false, false), PMUEMU_PACKED_PAIR(N, PackedOp::kMulAdd, true, false), \
      PMUEMU_PACKED_PAIR(N, PackedOp::kMulAdd, false, true), PMUEMU_PACKED_PAIR(N, PackedOp::kMulAdd, true, true), \
      PMUEMU_PACKED_PAIR(N, PackedOp::kAdd, false, false), PMUEMU_PACKED_PAIR(N, PackedOp::kSub, false, false),    \
      PMUEMU_PACKED_PAIR(N, PackedOp::kMul, false, false), PMUEMU_PACKED_PAIR(N, PackedOp::kMul, false, true)
  static constexpr PackedPair kPacked[] = {PMUEMU_PACKED_PAIRS(32), PMUEMU_PACKED_PAIRS(64)};
#undef PMUEMU_PACKED_PAIRS
#undef PMUEMU_PACKED_PAIR
  return packed_if_fma(h, kPacked);
#else
  return h;
#endif
}

// Across lanes (FMAXV, ...): the architecture's Reduce(), halving recursively, so lanes
// combine as ((0,1),(2,3)) and so on; f0 lanes.
template <int N, Fn2 kFn>
uint64_t reduce(const std::array<uint64_t, 2>& v, unsigned lo, unsigned count, fp::Env& env) {
  if (count == 1) return get<N>(v, lo);
  const unsigned half = count / 2;
  const uint64_t a = reduce<N, kFn>(v, lo, half, env);
  const uint64_t b = reduce<N, kFn>(v, lo + half, half, env);
  return kFn(a, b, env);
}
template <int N, Fn2 kFn>
Flow op_vreduce(Core& c, const DecodedInst& i) {
  if (!fp_enabled(c)) return fp_trap(c, i);
  fp::Env env = fp_env(c);
  const uint64_t r = reduce<N, kFn>(V(c, i.n).d, 0, i.f0, env);
  set_v64(c, i.d, r);
  raise(c, env.flags);
  return next(c, i);
}

// FCVTN/FCVTN2 (and FCVTXN, round to odd): narrow each lane of n (From bits) to To bits,
// into the low half (f1 = 0) or the high half (f1 = 1, the "2" forms, keeping the low
// half). FCVTL/FCVTL2: widen the low or high half of n.
template <int To, int From, bool kOdd>
Flow op_fcvtn(Core& c, const DecodedInst& i) {
  if (!fp_enabled(c)) return fp_trap(c, i);
  fp::Env env = fp_env(c);
  const auto n = V(c, i.n).d;
  const unsigned lanes = 64 / To;  // narrow lanes produced
  std::array<uint64_t, 2> r{};
  if (i.f1) r[0] = V(c, i.d).d[0];
  const Rounding rm = kOdd ? Rounding::kOdd : env.rounding();
  uint64_t half = 0;
  for (unsigned l = 0; l < lanes && l < i.f0; ++l)
    half |= (fp::convert<To, From>(get<From>(n, l), rm, env) & kMask<To>) << (l * To);
  r[i.f1] = half;
  V(c, i.d).d = r;
  raise(c, env.flags);
  return next(c, i);
}
template <int To, int From>
Flow op_fcvtl(Core& c, const DecodedInst& i) {
  if (!fp_enabled(c)) return fp_trap(c, i);
  fp::Env env = fp_env(c);
  const std::array<uint64_t, 2> src{V(c, i.n).d[i.f1], 0};
  std::array<uint64_t, 2> r{};
  for (unsigned l = 0; l < 128 / To; ++l) put<To>(r, l, fp::convert<To, From>(get<From>(src, l), env.rounding(), env));
  V(c, i.d).d = r;
  raise(c, env.flags);
  return next(c, i);
}

// ---------------- three same: opcode tables ----------------
// Index: U:a:opcode (bits 29, 23, 13:11); nullptr is unallocated (or not implemented:
// FMLAL/FMLSL of FEAT_FHM sit in this space).
template <int N>
constexpr std::array<Handler, 32> three_same_ops() {
  std::array<Handler, 32> t{};
  auto at = [](unsigned u, unsigned a, unsigned op) { return (u << 4) | (a << 3) | op; };
  t[at(0, 0, 0)] = &op_v2<N, &fp::maxnum<N>>;
  t[at(0, 0, 1)] = kFmlaLanewise<N, false, false>;
  t[at(0, 0, 2)] = kLanewise<N, PackedOp::kAdd, false, false>;
  t[at(0, 0, 3)] = &op_v2<N, &fp::mulx<N>>;
  t[at(0, 0, 4)] = &op_v2<N, &o_cmeq<N>>;
  t[at(0, 0, 6)] = &op_v2<N, &fp::max<N>>;
  t[at(0, 0, 7)] = &op_v2<N, &fp::recip_step<N>>;
  t[at(0, 1, 0)] = &op_v2<N, &fp::minnum<N>>;
  t[at(0, 1, 1)] = kFmlaLanewise<N, true, false>;
  t[at(0, 1, 2)] = kLanewise<N, PackedOp::kSub, false, false>;
  t[at(0, 1, 6)] = &op_v2<N, &fp::min<N>>;
  t[at(0, 1, 7)] = &op_v2<N, &fp::rsqrt_step<N>>;
  t[at(1, 0, 0)] = &op_vpair<N, &fp::maxnum<N>>;
  t[at(1, 0, 2)] = &op_vpair<N, &fp::add<N>>;
  t[at(1, 0, 3)] = kLanewise<N, PackedOp::kMul, false, false>;
  t[at(1, 0, 4)] = &op_v2<N, &o_cmge<N>>;
  t[at(1, 0, 5)] = &op_v2<N, &o_acge<N>>;
  t[at(1, 0, 6)] = &op_vpair<N, &fp::max<N>>;
  t[at(1, 0, 7)] = &op_v2<N, &fp::fast_div<N>>;
  t[at(1, 1, 0)] = &op_vpair<N, &fp::minnum<N>>;
  t[at(1, 1, 2)] = &op_v2<N, &o_abd<N>>;
  t[at(1, 1, 4)] = &op_v2<N, &o_cmgt<N>>;
  t[at(1, 1, 5)] = &op_v2<N, &o_acgt<N>>;
  t[at(1, 1, 6)] = &op_vpair<N, &fp::min<N>>;
  return t;
}
constexpr std::array<std::array<Handler, 32>, 3> kThreeSame = {three_same_ops<32>(), three_same_ops<64>(),
                                                               three_same_ops<16>()};
// The scalar three-same FP forms: FMULX, FCMEQ, FRECPS, FRSQRTS, FCMGE, FACGE, FABD,
// FCMGT, FACGT.
constexpr bool scalar_three_same_allocated(unsigned idx) {
  switch (idx) {
    case 3: case 4: case 7: case 15: case 20: case 21: case 26: case 28: case 29: return true;
    default: return false;
  }
}

// Precision index 0 single, 1 double, 2 half; lanes from Q.
constexpr unsigned prec_bits(int p) { return p == 0 ? 32 : p == 1 ? 64 : 16; }

void set_vregs(DecodedInst& i, unsigned rd, unsigned rn, unsigned rm) {
  i.d = static_cast<uint8_t>(rd);
  i.n = static_cast<uint8_t>(rn);
  i.m = static_cast<uint8_t>(rm);
}

// p: precision index; scalar: the scalar form (one lane). q, u, a and op (bits 30, 29, 23
// and 13:11) are the row's Q, U, a and ooo letters, or the bits the row fixes.
bool pre_three_same(DecodedInst& i, int p, bool scalar, unsigned q, unsigned u, unsigned a, unsigned op,
                    unsigned rm, unsigned rn, unsigned rd) {
  const unsigned idx = (u << 4) | (a << 3) | op;
  const Handler h = kThreeSame[p][idx];
  if (h == nullptr) return false;
  if (scalar) {
    if (!scalar_three_same_allocated(idx)) return false;
    i.f0 = 1;
  } else {
    if (p == 1 && !q) return false;  // 1D is reserved
    i.f0 = static_cast<uint8_t>((q ? 128 : 64) / prec_bits(p));
  }
  set_vregs(i, rd, rn, rm);
  i.fn = host_handler(h);
  return true;
}

// ---------------- two-register misc: opcode tables ----------------
// Index: U:a:opcode (bits 29, 23, 16:12) -> handler per precision.
template <int N>
constexpr std::array<Handler, 128> two_misc_ops() {
  constexpr int kZ = static_cast<int>(Rounding::kZero), kA = static_cast<int>(Rounding::kTieAway);
  constexpr int kRN = static_cast<int>(Rounding::kTieEven), kP = static_cast<int>(Rounding::kPosInf);
  constexpr int kM = static_cast<int>(Rounding::kNegInf);
  std::array<Handler, 128> t{};
  auto at = [](unsigned u, unsigned a, unsigned op) { return (u << 6) | (a << 5) | op; };
  t[at(0, 1, 0x0c)] = &op_v1<N, &o_cmgt0<N>>;
  t[at(0, 1, 0x0d)] = &op_v1<N, &o_cmeq0<N>>;
  t[at(0, 1, 0x0e)] = &op_v1<N, &o_cmlt0<N>>;
  t[at(0, 1, 0x0f)] = &op_v1<N, &o_abs<N>>;
  t[at(1, 1, 0x0c)] = &op_v1<N, &o_cmge0<N>>;
  t[at(1, 1, 0x0d)] = &op_v1<N, &o_cmle0<N>>;
  t[at(1, 1, 0x0f)] = &op_v1<N, &o_neg<N>>;
  t[at(0, 0, 0x18)] = &op_v1<N, &o_rint<N, kRN, false>>;
  t[at(0, 0, 0x19)] = &op_v1<N, &o_rint<N, kM, false>>;
  t[at(0, 0, 0x1a)] = &op_v1<N, &o_fcvt<N, false, kRN>>;
  t[at(0, 0, 0x1b)] = &op_v1<N, &o_fcvt<N, false, kM>>;
  t[at(0, 0, 0x1c)] = &op_v1<N, &o_fcvt<N, false, kA>>;
  t[at(0, 0, 0x1d)] = &op_v1<N, &o_cvtf<N, false>>;
  t[at(0, 1, 0x18)] = &op_v1<N, &o_rint<N, kP, false>>;
  t[at(0, 1, 0x19)] = &op_v1<N, &o_rint<N, kZ, false>>;
  t[at(0, 1, 0x1a)] = &op_v1<N, &o_fcvt<N, false, kP>>;
  t[at(0, 1, 0x1b)] = &op_v1<N, &o_fcvt<N, false, kZ>>;
  t[at(0, 1, 0x1d)] = &op_v1<N, &o_recpe<N>>;
  t[at(0, 1, 0x1f)] = &op_v1<N, &o_recpx<N>>;  // scalar only (checked at predecode)
  t[at(1, 0, 0x18)] = &op_v1<N, &o_rint<N, kA, false>>;
  t[at(1, 0, 0x19)] = &op_v1<N, &o_rint<N, -1, true>>;
  t[at(1, 0, 0x1a)] = &op_v1<N, &o_fcvt<N, true, kRN>>;
  t[at(1, 0, 0x1b)] = &op_v1<N, &o_fcvt<N, true, kM>>;
  t[at(1, 0, 0x1c)] = &op_v1<N, &o_fcvt<N, true, kA>>;
  t[at(1, 0, 0x1d)] = &op_v1<N, &o_cvtf<N, true>>;
  t[at(1, 1, 0x19)] = &op_v1<N, &o_rint<N, -1, false>>;
  t[at(1, 1, 0x1a)] = &op_v1<N, &o_fcvt<N, true, kP>>;
  t[at(1, 1, 0x1b)] = &op_v1<N, &o_fcvt<N, true, kZ>>;
  t[at(1, 1, 0x1d)] = &op_v1<N, &o_rsqrte<N>>;
  t[at(1, 1, 0x1f)] = &op_v1<N, &o_sqrt<N>>;
  if constexpr (N != 16) {  // FEAT_FRINTTS: single and double only
    t[at(0, 0, 0x1e)] = &op_v1<N, &o_rint_n<N, 32, false>>;
    t[at(0, 0, 0x1f)] = &op_v1<N, &o_rint_n<N, 64, false>>;
    t[at(1, 0, 0x1e)] = &op_v1<N, &o_rint_n<N, 32, true>>;
    t[at(1, 0, 0x1f)] = &op_v1<N, &o_rint_n<N, 64, true>>;
  }
  if constexpr (N == 32) {  // the unsigned integer estimates use 32-bit lanes
    t[at(0, 1, 0x1c)] = &op_v1<32, &o_urecpe>;
    t[at(1, 1, 0x1c)] = &op_v1<32, &o_ursqrte>;
  }
  return t;
}
constexpr std::array<std::array<Handler, 128>, 3> kTwoMisc = {two_misc_ops<32>(), two_misc_ops<64>(),
                                                              two_misc_ops<16>()};

// op is the 5-bit opcode (bits 16:12), the row's o letters under the bits it fixes.
bool pre_two_misc(DecodedInst& i, int p, bool scalar, unsigned q, unsigned u, unsigned a, unsigned op,
                  unsigned rn, unsigned rd) {
  const unsigned idx = (u << 6) | (a << 5) | op;
  const Handler h = kTwoMisc[p][idx];
  if (h == nullptr) return false;
  const bool frecpx = u == 0 && a == 1 && op == 0x1f;
  const bool uest = a == 1 && op == 0x1c;  // URECPE/URSQRTE
  const bool rint = op >= 0x18 && op <= 0x19, rint_n = op >= 0x1e && a == 0;
  if (scalar) {
    // No scalar FRINT*, URECPE/URSQRTE, FABS/FNEG or FSQRT: those words belong to other
    // encodings or are unallocated.
    if (rint || rint_n || uest || (op == 0x0f) || (u == 1 && a == 1 && op == 0x1f)) return false;
    i.f0 = 1;
  } else {
    if (frecpx) return false;
    if (p == 1 && !q) return false;
    i.f0 = static_cast<uint8_t>((q ? 128 : 64) / prec_bits(p));
  }
  i.d = static_cast<uint8_t>(rd);
  i.n = static_cast<uint8_t>(rn);
  i.fn = h;
  return true;
}

// ---------------- by element ----------------
template <int N>
constexpr std::array<Handler, 4> elem_ops() {  // FMLA, FMLS, FMUL, FMULX
  return {kFmlaLanewise<N, false, true>, kFmlaLanewise<N, true, true>, kLanewise<N, PackedOp::kMul, false, true>,
          &op_velem2<N, &fp::mulx<N>>};
}
constexpr std::array<std::array<Handler, 4>, 3> kElem = {elem_ops<32>(), elem_ops<64>(), elem_ops<16>()};

// which: 0 FMLA, 1 FMLS, 2 FMUL, 3 FMULX. size, l, m, h: the row's ss, L, M, H letters;
// rm4 its mmmm (bits 19:16), which M extends to a register number except for half.
bool pre_elem(DecodedInst& i, unsigned which, bool scalar, unsigned q, unsigned size, unsigned l, unsigned m,
              unsigned rm4, unsigned h, unsigned rn, unsigned rd) {
  int p;
  unsigned index, rm = rm4;
  if (size == 0) {  // half: index H:L:M, Rm 0..15
    p = 2;
    index = (h << 2) | (l << 1) | m;
  } else if (size == 2) {
    p = 0;
    index = (h << 1) | l;
    rm |= m << 4;
  } else if (size == 3) {
    if (l) return false;
    if (!scalar && !q) return false;
    p = 1;
    index = h;
    rm |= m << 4;
  } else {
    return false;
  }
  i.f0 = static_cast<uint8_t>(scalar ? 1 : (q ? 128 : 64) / prec_bits(p));
  i.f1 = static_cast<uint8_t>(index);
  set_vregs(i, rd, rn, rm);
  i.fn = host_handler(kElem[p][which]);
  return true;
}

// ---------------- fixed point (shift by immediate) ----------------
template <int N>
constexpr std::array<Handler, 4> fixed_ops() {  // SCVTF, UCVTF, FCVTZS, FCVTZU
  return {&op_vfixed<N, false, false>, &op_vfixed<N, true, false>, &op_vfixed<N, false, true>,
          &op_vfixed<N, true, true>};
}
constexpr std::array<std::array<Handler, 4>, 3> kFixed = {fixed_ops<32>(), fixed_ops<64>(), fixed_ops<16>()};

// immh, immb: the row's hhhh and bbb; op: its oo (opcode 111oo: 00 SCVTF/UCVTF, 11
// FCVTZS/FCVTZU, the others unallocated).
bool pre_fixed(DecodedInst& i, bool scalar, unsigned q, unsigned u, unsigned immh, unsigned immb, unsigned op,
               unsigned rn, unsigned rd) {
  if (op != 0 && op != 3) return false;
  const unsigned immhb = (immh << 3) | immb;
  int p;
  unsigned esize;
  if (immh >= 8) { p = 1; esize = 64; }
  else if (immh >= 4) { p = 0; esize = 32; }
  else if (immh >= 2) { p = 2; esize = 16; }
  else return false;  // immh 0000 is another group; 0001 (bytes) is reserved
  if (!scalar && p == 1 && !q) return false;
  i.f0 = static_cast<uint8_t>(scalar ? 1 : (q ? 128 : 64) / esize);
  i.f1 = static_cast<uint8_t>(2 * esize - immhb);  // fbits
  i.d = static_cast<uint8_t>(rd);
  i.n = static_cast<uint8_t>(rn);
  i.fn = kFixed[p][(op == 3 ? 2 : 0) + u];
  return true;
}

// ---------------- across lanes and scalar pairwise ----------------
template <int N>
constexpr std::array<Handler, 4> reduce_ops() {  // [a][opcode bit 0]: maxnm, max, minnm, min
  return {&op_vreduce<N, &fp::maxnum<N>>, &op_vreduce<N, &fp::max<N>>, &op_vreduce<N, &fp::minnum<N>>,
          &op_vreduce<N, &fp::min<N>>};
}
constexpr std::array<std::array<Handler, 4>, 3> kReduce = {reduce_ops<32>(), reduce_ops<64>(), reduce_ops<16>()};

// ---------------- FEAT_FHM: FMLAL, FMLAL2, FMLSL, FMLSL2 ----------------
// Single-precision lanes of d accumulate products of half-precision lanes taken from the
// lower (FMLAL) or upper (FMLAL2, f2 = 1) half of the used part of n and m (or element f1
// of m for the by-element form, f3 = 1). f0: single lanes (2 or 4).
template <bool kSub, bool kElem>
Flow op_fmlal(Core& c, const DecodedInst& i) {
  if (!fp_enabled(c)) return fp_trap(c, i);
  fp::Env env = fp_env(c);
  const auto n = V(c, i.n).d, m = V(c, i.m).d, d = V(c, i.d).d;
  const unsigned lanes = i.f0, base = i.f2 ? lanes : 0;  // half lanes start at the upper part
  const uint64_t e = get<16>(m, i.f1);
  std::array<uint64_t, 2> r{};
  for (unsigned l = 0; l < lanes; ++l) {
    uint64_t a = get<16>(n, base + l);
    if (kSub) a = fp::fneg<16>(a);
    put<32>(r, l, fp::muladd_h(get<32>(d, l), a, kElem ? e : get<16>(m, base + l), env));
  }
  V(c, i.d).d = r;
  raise(c, env.flags);
  return next(c, i);
}

// ---------------- FEAT_FCMA: FCADD, FCMLA ----------------
// Complex numbers are (real, imaginary) lane pairs. FCADD adds m rotated by 90 (f1 = 0) or
// 270 degrees (f1 = 1) to n.
template <int N>
Flow op_fcadd(Core& c, const DecodedInst& i) {
  if (!fp_enabled(c)) return fp_trap(c, i);
  fp::Env env = fp_env(c);
  const auto n = V(c, i.n).d, m = V(c, i.m).d;
  std::array<uint64_t, 2> r{};
  for (unsigned p = 0; p < i.f0 / 2u; ++p) {
    uint64_t e1 = get<N>(m, 2 * p + 1), e3 = get<N>(m, 2 * p);
    if (i.f1) e3 = fp::fneg<N>(e3);
    else e1 = fp::fneg<N>(e1);
    put<N>(r, 2 * p, fp::add<N>(get<N>(n, 2 * p), e1, env));
    put<N>(r, 2 * p + 1, fp::add<N>(get<N>(n, 2 * p + 1), e3, env));
  }
  V(c, i.d).d = r;
  raise(c, env.flags);
  return next(c, i);
}
// FCMLA: d += one half of the complex product n x m rotated by f1 * 90 degrees; m's pair
// is pair p of m, or pair f2 of m for the by-element form (f3 = 1).
template <int N, bool kElem>
Flow op_fcmla(Core& c, const DecodedInst& i) {
  if (!fp_enabled(c)) return fp_trap(c, i);
  fp::Env env = fp_env(c);
  const auto n = V(c, i.n).d, m = V(c, i.m).d, d = V(c, i.d).d;
  std::array<uint64_t, 2> r{};
  const unsigned rot = i.f1;
  for (unsigned p = 0; p < i.f0 / 2u; ++p) {
    const unsigned q = kElem ? i.f2 : p;
    const uint64_t mr = get<N>(m, 2 * q), mi = get<N>(m, 2 * q + 1);
    const uint64_t nr = get<N>(n, 2 * p), ni = get<N>(n, 2 * p + 1);
    uint64_t e1, e2, e3, e4;
    switch (rot) {
      case 0: e1 = mr; e2 = nr; e3 = mi; e4 = nr; break;
      case 1: e1 = fp::fneg<N>(mi); e2 = ni; e3 = mr; e4 = ni; break;
      case 2: e1 = fp::fneg<N>(mr); e2 = nr; e3 = fp::fneg<N>(mi); e4 = nr; break;
      default: e1 = mi; e2 = ni; e3 = fp::fneg<N>(mr); e4 = ni; break;
    }
    put<N>(r, 2 * p, fp::muladd<N>(get<N>(d, 2 * p), e2, e1, env));
    put<N>(r, 2 * p + 1, fp::muladd<N>(get<N>(d, 2 * p + 1), e4, e3, env));
  }
  V(c, i.d).d = r;
  raise(c, env.flags);
  return next(c, i);
}

}  // namespace

// The predecode functions take the fields of their row's pattern as parameters, in pattern
// order (cpu/decoder/fields.h): F<'n'> is the field marked n in the pattern. Rows of one
// group share a helper that takes the extracted fields; each row passes its letters and
// the bits its pattern fixes.

// Three same, vector and scalar, single/double (s) and half. The rows that fix U, a or
// the opcode pass those bits.
bool pre_SIMD_3SAME_FP(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_3SAME_FP>(
      i, insn, [](DecodedInst& i, F<'Q'> q, F<'U'> u, F<'a'> a, F<'s'> sz, F<'m'> rm, F<'o'> op, F<'n'> rn, F<'d'> rd) {
        return pre_three_same(i, sz, false, q, u, a, op, rm, rn, rd);
      });
}
bool pre_SIMD_3SAME_FP_MLA(DecodedInst& i, uint32_t insn) {  // opcode 11001: FMLA (o = 0), FMLS
  return with_fields<pattern::SIMD_3SAME_FP_MLA>(
      i, insn, [](DecodedInst& i, F<'Q'> q, F<'o'> a, F<'s'> sz, F<'m'> rm, F<'n'> rn, F<'d'> rd) {
        return pre_three_same(i, sz, false, q, 0, a, 0b001, rm, rn, rd);
      });
}
bool pre_SIMD_3SAME_FP_MUL(DecodedInst& i, uint32_t insn) {  // opcode 11011, a = 0: FMULX (U = 0), FMUL
  return with_fields<pattern::SIMD_3SAME_FP_MUL>(
      i, insn, [](DecodedInst& i, F<'Q'> q, F<'U'> u, F<'s'> sz, F<'m'> rm, F<'n'> rn, F<'d'> rd) {
        return pre_three_same(i, sz, false, q, u, 0, 0b011, rm, rn, rd);
      });
}
bool pre_SIMD_3SAME_FP_DIV(DecodedInst& i, uint32_t insn) {  // U = 1, a = 0, opcode 11111
  return with_fields<pattern::SIMD_3SAME_FP_DIV>(
      i, insn, [](DecodedInst& i, F<'Q'> q, F<'s'> sz, F<'m'> rm, F<'n'> rn, F<'d'> rd) {
        return pre_three_same(i, sz, false, q, 1, 0, 0b111, rm, rn, rd);
      });
}
bool pre_SIMD_3SAME_FP16(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_3SAME_FP16>(
      i, insn, [](DecodedInst& i, F<'Q'> q, F<'U'> u, F<'a'> a, F<'m'> rm, F<'o'> op, F<'n'> rn, F<'d'> rd) {
        return pre_three_same(i, 2, false, q, u, a, op, rm, rn, rd);
      });
}
bool pre_SIMD_3SAME_FP16_MLA(DecodedInst& i, uint32_t insn) {  // opcode 001: FMLA (o = 0), FMLS
  return with_fields<pattern::SIMD_3SAME_FP16_MLA>(
      i, insn, [](DecodedInst& i, F<'Q'> q, F<'o'> a, F<'m'> rm, F<'n'> rn, F<'d'> rd) {
        return pre_three_same(i, 2, false, q, 0, a, 0b001, rm, rn, rd);
      });
}
bool pre_SIMD_SCALAR_3SAME_FP(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_SCALAR_3SAME_FP>(
      i, insn, [](DecodedInst& i, F<'U'> u, F<'a'> a, F<'s'> sz, F<'m'> rm, F<'o'> op, F<'n'> rn, F<'d'> rd) {
        return pre_three_same(i, sz, true, 1, u, a, op, rm, rn, rd);
      });
}
bool pre_SIMD_SCALAR_3SAME_FP16(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_SCALAR_3SAME_FP16>(
      i, insn, [](DecodedInst& i, F<'U'> u, F<'a'> a, F<'m'> rm, F<'o'> op, F<'n'> rn, F<'d'> rd) {
        return pre_three_same(i, 2, true, 1, u, a, op, rm, rn, rd);
      });
}

// Two-register misc. The single/double rows fix the top opcode bits: 11ooo, or 011oo with
// a = 1 for the compares with zero, FABS and FNEG.
bool pre_SIMD_2MISC_FP(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_2MISC_FP>(
      i, insn, [](DecodedInst& i, F<'Q'> q, F<'U'> u, F<'a'> a, F<'s'> sz, F<'o'> op, F<'n'> rn, F<'d'> rd) {
        return pre_two_misc(i, sz, false, q, u, a, 0b11000 | op, rn, rd);
      });
}
bool pre_SIMD_2MISC_FP_CMP(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_2MISC_FP_CMP>(
      i, insn, [](DecodedInst& i, F<'Q'> q, F<'U'> u, F<'s'> sz, F<'o'> op, F<'n'> rn, F<'d'> rd) {
        return pre_two_misc(i, sz, false, q, u, 1, 0b01100 | op, rn, rd);
      });
}
bool pre_SIMD_2MISC_FP16(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_2MISC_FP16>(
      i, insn, [](DecodedInst& i, F<'Q'> q, F<'U'> u, F<'a'> a, F<'o'> op, F<'n'> rn, F<'d'> rd) {
        return pre_two_misc(i, 2, false, q, u, a, op, rn, rd);
      });
}
bool pre_SIMD_SCALAR_2MISC_FP(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_SCALAR_2MISC_FP>(
      i, insn, [](DecodedInst& i, F<'U'> u, F<'a'> a, F<'s'> sz, F<'o'> op, F<'n'> rn, F<'d'> rd) {
        return pre_two_misc(i, sz, true, 1, u, a, 0b11000 | op, rn, rd);
      });
}
bool pre_SIMD_SCALAR_2MISC_FP_CMP(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_SCALAR_2MISC_FP_CMP>(
      i, insn, [](DecodedInst& i, F<'U'> u, F<'s'> sz, F<'o'> op, F<'n'> rn, F<'d'> rd) {
        return pre_two_misc(i, sz, true, 1, u, 1, 0b01100 | op, rn, rd);
      });
}
bool pre_SIMD_SCALAR_2MISC_FP16(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_SCALAR_2MISC_FP16>(
      i, insn, [](DecodedInst& i, F<'U'> u, F<'a'> a, F<'o'> op, F<'n'> rn, F<'d'> rd) {
        return pre_two_misc(i, 2, true, 1, u, a, op, rn, rd);
      });
}

// FCVTN/FCVTN2 (U=0), FCVTXN/FCVTXN2 (U=1, sz=1), FCVTL/FCVTL2 (U=0, opcode 10111: the
// row's o, bit 12, is 1).
bool pre_SIMD_FCVT_NL(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_FCVT_NL>(
      i, insn, [](DecodedInst& i, F<'Q'> q, F<'U'> u, F<'s'> sz, F<'o'> widen, F<'n'> rn, F<'d'> rd) {
        i.d = static_cast<uint8_t>(rd);
        i.n = static_cast<uint8_t>(rn);
        i.f1 = static_cast<uint8_t>(q);
        if (widen) {
          if (u) return false;
          i.fn = sz ? &op_fcvtl<64, 32> : &op_fcvtl<32, 16>;
          return true;
        }
        if (u) {
          if (!sz) return false;
          i.f0 = 2;
          i.fn = &op_fcvtn<32, 64, true>;
          return true;
        }
        i.f0 = sz ? 2 : 4;
        i.fn = sz ? &op_fcvtn<32, 64, false> : &op_fcvtn<16, 32, false>;
        return true;
      });
}
// FCVTXN (scalar): Sd = double Dn rounded to odd.
bool pre_SIMD_SCALAR_FCVTXN(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_SCALAR_FCVTXN>(i, insn, [](DecodedInst& i, F<'n'> rn, F<'d'> rd) {
    i.d = static_cast<uint8_t>(rd);
    i.n = static_cast<uint8_t>(rn);
    i.f0 = 1;
    i.f1 = 0;
    i.fn = &op_fcvtn<32, 64, true>;
    return true;
  });
}

// By element: FMLA (o = 0) and FMLS; FMUL (U = 0) and FMULX.
bool pre_SIMD_ELEM_FMLA(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_ELEM_FMLA>(
      i, insn,
      [](DecodedInst& i, F<'Q'> q, F<'s'> size, F<'L'> l, F<'M'> m, F<'m'> rm, F<'o'> sub, F<'H'> h, F<'n'> rn,
         F<'d'> rd) { return pre_elem(i, sub, false, q, size, l, m, rm, h, rn, rd); });
}
bool pre_SIMD_ELEM_FMUL(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_ELEM_FMUL>(
      i, insn,
      [](DecodedInst& i, F<'Q'> q, F<'U'> u, F<'s'> size, F<'L'> l, F<'M'> m, F<'m'> rm, F<'H'> h, F<'n'> rn,
         F<'d'> rd) { return pre_elem(i, 2 + u, false, q, size, l, m, rm, h, rn, rd); });
}
bool pre_SIMD_SCALAR_ELEM_FMLA(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_SCALAR_ELEM_FMLA>(
      i, insn,
      [](DecodedInst& i, F<'s'> size, F<'L'> l, F<'M'> m, F<'m'> rm, F<'o'> sub, F<'H'> h, F<'n'> rn, F<'d'> rd) {
        return pre_elem(i, sub, true, 1, size, l, m, rm, h, rn, rd);
      });
}
bool pre_SIMD_SCALAR_ELEM_FMUL(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_SCALAR_ELEM_FMUL>(
      i, insn,
      [](DecodedInst& i, F<'U'> u, F<'s'> size, F<'L'> l, F<'M'> m, F<'m'> rm, F<'H'> h, F<'n'> rn, F<'d'> rd) {
        return pre_elem(i, 2 + u, true, 1, size, l, m, rm, h, rn, rd);
      });
}

bool pre_SIMD_SHIFT_FIXED_FP(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_SHIFT_FIXED_FP>(
      i, insn, [](DecodedInst& i, F<'Q'> q, F<'U'> u, F<'h'> immh, F<'b'> immb, F<'o'> op, F<'n'> rn, F<'d'> rd) {
        return pre_fixed(i, false, q, u, immh, immb, op, rn, rd);
      });
}
bool pre_SIMD_SCALAR_SHIFT_FIXED_FP(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_SCALAR_SHIFT_FIXED_FP>(
      i, insn, [](DecodedInst& i, F<'U'> u, F<'h'> immh, F<'b'> immb, F<'o'> op, F<'n'> rn, F<'d'> rd) {
        return pre_fixed(i, true, 1, u, immh, immb, op, rn, rd);
      });
}

// FMAXNMV/FMAXV/FMINNMV/FMINV (opcode 011oo: oo 00 max/min NM, 11 max/min): single needs
// 4S; half (U=0) 4H or 8H.
bool pre_SIMD_ACROSS_FP(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_ACROSS_FP>(
      i, insn, [](DecodedInst& i, F<'Q'> q, F<'U'> u, F<'a'> a, F<'s'> sz, F<'o'> op, F<'n'> rn, F<'d'> rd) {
        if (op != 0b00 && op != 0b11) return false;
        int p;
        if (u) {
          if (sz || !q) return false;
          p = 0;
          i.f0 = 4;
        } else {
          if (sz) return false;
          p = 2;
          i.f0 = q ? 8 : 4;
        }
        i.d = static_cast<uint8_t>(rd);
        i.n = static_cast<uint8_t>(rn);
        i.fn = kReduce[p][(a << 1) | (op & 1)];
        return true;
      });
}

// Scalar pairwise FADDP/FMAXP/FMINP/FMAXNMP/FMINNMP of the two lanes of Vn: U=1 single
// or double (sz), U=0 half (sz must be 0). The row's oo is the low opcode bits of 011oo.
bool pre_SIMD_SCALAR_PAIRWISE_FP(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_SCALAR_PAIRWISE_FP>(
      i, insn, [](DecodedInst& i, F<'U'> u, F<'a'> a, F<'s'> sz, F<'o'> op, F<'n'> rn, F<'d'> rd) {
        int p;
        if (u) p = sz ? 1 : 0;
        else if (!sz) p = 2;
        else return false;
        static constexpr std::array<std::array<Handler, 3>, 4> kPair = {{
            {&op_vreduce<32, &fp::maxnum<32>>, &op_vreduce<64, &fp::maxnum<64>>, &op_vreduce<16, &fp::maxnum<16>>},
            {&op_vreduce<32, &fp::add<32>>, &op_vreduce<64, &fp::add<64>>, &op_vreduce<16, &fp::add<16>>},
            {&op_vreduce<32, &fp::max<32>>, &op_vreduce<64, &fp::max<64>>, &op_vreduce<16, &fp::max<16>>},
            {&op_vreduce<32, &fp::minnum<32>>, &op_vreduce<64, &fp::minnum<64>>, &op_vreduce<16, &fp::minnum<16>>},
        }};
        static constexpr std::array<std::array<Handler, 3>, 1> kMinP = {{
            {&op_vreduce<32, &fp::min<32>>, &op_vreduce<64, &fp::min<64>>, &op_vreduce<16, &fp::min<16>>}}};
        Handler h;
        if (op == 0b00) h = a ? kPair[3][p] : kPair[0][p];
        else if (op == 0b01) { if (a) return false; h = kPair[1][p]; }
        else if (op == 0b11) h = a ? kMinP[0][p] : kPair[2][p];
        else return false;
        i.f0 = 2;
        i.d = static_cast<uint8_t>(rd);
        i.n = static_cast<uint8_t>(rn);
        i.fn = h;
        return true;
      });
}

// FMLAL/FMLSL (U=0, opcode 11101) and FMLAL2/FMLSL2 (U=1, opcode 11001); bit 23 (the
// row's s) selects the subtracting form; sz is 0 (the rows fix the opcode, which with U
// and sz = 1 is FACGE/FACGT or FMLA/FMLS).
namespace {
bool pre_fhm(DecodedInst& i, unsigned q, unsigned upper, unsigned sub, unsigned rm, unsigned rn, unsigned rd) {
  set_vregs(i, rd, rn, rm);
  i.f0 = static_cast<uint8_t>(q ? 4 : 2);
  i.f1 = 0;
  i.f2 = static_cast<uint8_t>(upper);
  i.fn = sub ? &op_fmlal<true, false> : &op_fmlal<false, false>;
  return true;
}
// By element: size 10, index H:L:M, Rm 0..15; opcode 0000/0100 (U=0), 1000/1100 (U=1);
// the row's o (bit 14) selects the subtracting form.
bool pre_elem_fhm(DecodedInst& i, unsigned q, unsigned upper, unsigned l, unsigned m, unsigned rm, unsigned sub,
                  unsigned h, unsigned rn, unsigned rd) {
  set_vregs(i, rd, rn, rm);
  i.f0 = static_cast<uint8_t>(q ? 4 : 2);
  i.f1 = static_cast<uint8_t>((h << 2) | (l << 1) | m);  // the lane index H:L:M
  i.f2 = static_cast<uint8_t>(upper);
  i.fn = sub ? &op_fmlal<true, true> : &op_fmlal<false, true>;
  return true;
}
}  // namespace
bool pre_SIMD_FHM(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_FHM>(i, insn, [](DecodedInst& i, F<'Q'> q, F<'s'> sub, F<'m'> rm, F<'n'> rn, F<'d'> rd) {
    return pre_fhm(i, q, 0, sub, rm, rn, rd);
  });
}
bool pre_SIMD_FHM2(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_FHM2>(i, insn, [](DecodedInst& i, F<'Q'> q, F<'s'> sub, F<'m'> rm, F<'n'> rn, F<'d'> rd) {
    return pre_fhm(i, q, 1, sub, rm, rn, rd);
  });
}
bool pre_SIMD_ELEM_FHM(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_ELEM_FHM>(
      i, insn,
      [](DecodedInst& i, F<'Q'> q, F<'L'> l, F<'M'> m, F<'m'> rm, F<'o'> sub, F<'H'> h, F<'n'> rn, F<'d'> rd) {
        return pre_elem_fhm(i, q, 0, l, m, rm, sub, h, rn, rd);
      });
}
bool pre_SIMD_ELEM_FHM2(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_ELEM_FHM2>(
      i, insn,
      [](DecodedInst& i, F<'Q'> q, F<'L'> l, F<'M'> m, F<'m'> rm, F<'o'> sub, F<'H'> h, F<'n'> rn, F<'d'> rd) {
        return pre_elem_fhm(i, q, 1, l, m, rm, sub, h, rn, rd);
      });
}

// FCADD, FCMLA (vector): size 01 half, 10 single, 11 double (Q=1 only); rot in f1.
// `fns` are the handlers for half, single and double.
namespace {
bool pre_complex(DecodedInst& i, unsigned q, unsigned size, unsigned rm, unsigned rot, unsigned rn, unsigned rd,
                 const std::array<Handler, 3>& fns) {
  if (size == 0 || (size == 3 && !q)) return false;
  set_vregs(i, rd, rn, rm);
  const unsigned esize = 8u << size;
  i.f0 = static_cast<uint8_t>((q ? 128 : 64) / esize);
  i.f1 = static_cast<uint8_t>(rot);
  i.fn = fns[size - 1];
  return true;
}
}  // namespace
bool pre_SIMD_FCADD(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_FCADD>(
      i, insn, [](DecodedInst& i, F<'Q'> q, F<'s'> size, F<'m'> rm, F<'r'> rot, F<'n'> rn, F<'d'> rd) {
        return pre_complex(i, q, size, rm, rot, rn, rd, {&op_fcadd<16>, &op_fcadd<32>, &op_fcadd<64>});
      });
}
bool pre_SIMD_FCMLA(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_FCMLA>(
      i, insn, [](DecodedInst& i, F<'Q'> q, F<'s'> size, F<'m'> rm, F<'r'> rot, F<'n'> rn, F<'d'> rd) {
        return pre_complex(i, q, size, rm, rot, rn, rd,
                           {&op_fcmla<16, false>, &op_fcmla<32, false>, &op_fcmla<64, false>});
      });
}
// By element: size 01 half (index H:L), 10 single (index H, L = 0, Q = 1); Rm is M:Rm.
bool pre_SIMD_ELEM_FCMLA(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::SIMD_ELEM_FCMLA>(
      i, insn,
      [](DecodedInst& i, F<'Q'> q, F<'s'> size, F<'L'> l, F<'M'> m, F<'m'> rm4, F<'r'> rot, F<'H'> h, F<'n'> rn,
         F<'d'> rd) {
        unsigned index;
        if (size == 1) {
          index = (h << 1) | l;
          if (!q && index > 1) return false;  // the pair must lie in the vector
        } else if (size == 2) {
          if (l || !q) return false;
          index = h;
        } else {
          return false;
        }
        set_vregs(i, rd, rn, (m << 4) | rm4);
        i.f0 = static_cast<uint8_t>((q ? 128 : 64) / (8u << size));
        i.f1 = static_cast<uint8_t>(rot);
        i.f2 = static_cast<uint8_t>(index);
        i.fn = size == 1 ? &op_fcmla<16, true> : &op_fcmla<32, true>;
        return true;
      });
}

}  // namespace cpu::interp
