// Scalar floating point (Arm ARM C4.1.96: FP data processing 1/2/3-source, compare,
// conditional compare and select, immediate, conversions to and from integers and fixed
// point): predecode and handlers. Arithmetic is cpu/fp (exact Arm semantics); handlers are
// specialised at predecode by precision and operation so the hot path does no decoding.
#include <array>

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

template <int N>
inline uint64_t rdf(Core& c, unsigned n) {
  const uint64_t v = V(c, n).d[0];
  if constexpr (N == 64) return v; else return v & ((uint64_t{1} << N) - 1);
}

// ptype -> precision: 00 single, 01 double, 11 half; 10 has no scalar FP arithmetic.
constexpr int kPtypeBits[4] = {32, 64, 0, 16};
// Index of a precision in the handler tables below.
constexpr int prec_index(unsigned ptype) { return ptype == 0 ? 0 : ptype == 1 ? 1 : ptype == 3 ? 2 : -1; }

using Fn1 = uint64_t (*)(uint64_t, fp::Env&);
using Fn2 = uint64_t (*)(uint64_t, uint64_t, fp::Env&);

Handler host_handler(Handler h);  // below, with the host shortcuts

// ---------------- 2-source ----------------
template <int N> uint64_t fnmul(uint64_t a, uint64_t b, fp::Env& e) { return fp::fneg<N>(fp::mul<N>(a, b, e)); }

template <int N, Fn2 kFn>
Flow op_fp2(Core& c, const DecodedInst& i) {
  if (!fp_enabled(c)) return fp_trap(c, i);
  fp::Env env = fp_env(c);
  set_v64(c, i.d, kFn(rdf<N>(c, i.n), rdf<N>(c, i.m), env));
  raise(c, env.flags);
  return next(c, i);
}

// opcode (bits 15:12) -> operation, per precision.
template <int N>
constexpr std::array<Handler, 9> fp2_ops() {
  return {&op_fp2<N, &fp::fast_mul<N>>,   &op_fp2<N, &fp::fast_div<N>>, &op_fp2<N, &fp::fast_add<N>>,
          &op_fp2<N, &fp::fast_sub<N>>,   &op_fp2<N, &fp::max<N>>,      &op_fp2<N, &fp::min<N>>,
          &op_fp2<N, &fp::maxnum<N>>,     &op_fp2<N, &fp::minnum<N>>,   &op_fp2<N, &fnmul<N>>};
}
constexpr std::array<std::array<Handler, 9>, 3> kFp2 = {fp2_ops<32>(), fp2_ops<64>(), fp2_ops<16>()};

// op is the opcode (bits 15:12).
bool pre_fp2(DecodedInst& i, unsigned ptype, unsigned op, unsigned rm, unsigned rn, unsigned rd) {
  const int p = prec_index(ptype);
  if (p < 0 || op > 8) return false;
  i.d = static_cast<uint8_t>(rd);
  i.n = static_cast<uint8_t>(rn);
  i.m = static_cast<uint8_t>(rm);
  i.fn = host_handler(kFp2[p][op]);
  return true;
}

// ---------------- 3-source ----------------
// FMADD: a + n*m; FMSUB: a + (-n)*m; FNMADD: (-a) + (-n)*m; FNMSUB: (-a) + n*m. The
// negations are FPNeg of the operands, so a NaN operand comes out with its sign flipped.
template <int N, bool kNegA, bool kNegN>
Flow op_fp3(Core& c, const DecodedInst& i) {
  if (!fp_enabled(c)) return fp_trap(c, i);
  fp::Env env = fp_env(c);
  uint64_t a = rdf<N>(c, i.a), n = rdf<N>(c, i.n);
  if (kNegA) a = fp::fneg<N>(a);
  if (kNegN) n = fp::fneg<N>(n);
  set_v64(c, i.d, fp::fast_muladd<N>(a, n, rdf<N>(c, i.m), env));
  raise(c, env.flags);
  return next(c, i);
}
template <int N>
constexpr std::array<Handler, 4> fp3_ops() {
  return {&op_fp3<N, false, false>, &op_fp3<N, false, true>, &op_fp3<N, true, true>, &op_fp3<N, true, false>};
}
constexpr std::array<std::array<Handler, 4>, 3> kFp3 = {fp3_ops<32>(), fp3_ops<64>(), fp3_ops<16>()};

// ---------------- host shortcuts ----------------
// FMADD/FMSUB/FNMADD/FNMSUB and FADD/FSUB/FMUL of single and double precision through
// fp_packed.h with one live lane: the host instruction inlined (this code is compiled for
// FMA), the operands checked only under FZ and the result once, and the exact handler
// above for everything the packed form refuses. host_handler() puts them in place of the
// exact handlers at predecode where the host has FMA.
using PackedOp = fp::packed::Op;
#if defined(__x86_64__)
template <int N, bool kNegA, bool kNegN>
[[gnu::target("fma")]] Flow op_fp3_packed(Core& c, const DecodedInst& i) {
  namespace pk = fp::packed;
  if (!fp_enabled(c)) return fp_trap(c, i);
  uint64_t a = rdf<N>(c, i.a), n = rdf<N>(c, i.n);
  if (kNegA) a = fp::fneg<N>(a);
  if (kNegN) n = fp::fneg<N>(n);
  pk::Reg r;
  uint32_t flags = 0;
  if (!pk::muladd<N>(r, flags, pk::Reg{a, 0}, pk::Reg{n, 0}, pk::Reg{rdf<N>(c, i.m), 0}, 1, fpcr(c),
                     static_cast<uint32_t>(c.sysreg(SysSlot::FPSR))))
    return op_fp3<N, kNegA, kNegN>(c, i);
  set_v64(c, i.d, r[0]);
  if (flags != 0) raise(c, flags);
  return next(c, i);
}
template <int N, PackedOp kOp, Fn2 kExact>
[[gnu::target("fma")]] Flow op_fp2_packed(Core& c, const DecodedInst& i) {
  namespace pk = fp::packed;
  if (!fp_enabled(c)) return fp_trap(c, i);
  pk::Reg r;
  uint32_t flags = 0;
  if (!pk::arith<N, kOp>(r, flags, pk::Reg{rdf<N>(c, i.n), 0}, pk::Reg{rdf<N>(c, i.m), 0}, pk::Reg{}, 1, fpcr(c),
                         static_cast<uint32_t>(c.sysreg(SysSlot::FPSR))))
    return op_fp2<N, kExact>(c, i);
  set_v64(c, i.d, r[0]);
  if (flags != 0) raise(c, flags);
  return next(c, i);
}
#endif

// The handler to run for h on this host: its packed form where the host has FMA, h itself
// otherwise.
Handler host_handler(Handler h) {
#if defined(__x86_64__)
#define PMUEMU_FP3_PAIRS(N)                                                                                   \
  {&op_fp3<N, false, false>, &op_fp3_packed<N, false, false>},                                                \
      {&op_fp3<N, false, true>, &op_fp3_packed<N, false, true>},                                              \
      {&op_fp3<N, true, true>, &op_fp3_packed<N, true, true>},                                                \
      {&op_fp3<N, true, false>, &op_fp3_packed<N, true, false>},                                              \
      {&op_fp2<N, &fp::fast_add<N>>, &op_fp2_packed<N, PackedOp::kAdd, &fp::fast_add<N>>},                    \
      {&op_fp2<N, &fp::fast_sub<N>>, &op_fp2_packed<N, PackedOp::kSub, &fp::fast_sub<N>>},                    \
      {&op_fp2<N, &fp::fast_mul<N>>, &op_fp2_packed<N, PackedOp::kMul, &fp::fast_mul<N>>}
  static constexpr PackedPair kPacked[] = {PMUEMU_FP3_PAIRS(32), PMUEMU_FP3_PAIRS(64)};
#undef PMUEMU_FP3_PAIRS
  return packed_if_fma(h, kPacked);
#else
  return h;
#endif
}

// ---------------- 1-source ----------------
template <int N> uint64_t f_mov(uint64_t a, fp::Env&) { return a; }
template <int N> uint64_t f_abs(uint64_t a, fp::Env&) { return fp::fabs<N>(a); }
template <int N> uint64_t f_neg(uint64_t a, fp::Env&) { return fp::fneg<N>(a); }
template <int N> uint64_t f_sqrt(uint64_t a, fp::Env& e) { return fp::fast_sqrt<N>(a, e); }
template <int To, int From> uint64_t f_cvt(uint64_t a, fp::Env& e) { return fp::convert<To, From>(a, e.rounding(), e); }
// FRINT<r>: a fixed rounding (N, P, M, Z, A), or FPCR's (I, and X which reports inexact).
template <int N, int kR, bool kExact> uint64_t f_rint(uint64_t a, fp::Env& e) {
  return fp::round_int<N>(a, kR < 0 ? e.rounding() : static_cast<Rounding>(kR), kExact, e);
}
template <int N, int kIntSize, bool kFpcrRounding> uint64_t f_rint_n(uint64_t a, fp::Env& e) {
  return fp::round_int_n<N>(a, kFpcrRounding ? e.rounding() : Rounding::kZero, kIntSize, e);
}

template <int N, Fn1 kFn>
Flow op_fp1(Core& c, const DecodedInst& i) {
  if (!fp_enabled(c)) return fp_trap(c, i);
  fp::Env env = fp_env(c);
  set_v64(c, i.d, kFn(rdf<N>(c, i.n), env));
  raise(c, env.flags);
  return next(c, i);
}

// opcode (bits 20:15) -> handler for source precision N; nullptr is unallocated.
template <int N>
constexpr std::array<Handler, 20> fp1_ops() {
  constexpr int kZ = static_cast<int>(Rounding::kZero), kA = static_cast<int>(Rounding::kTieAway);
  constexpr int kN = static_cast<int>(Rounding::kTieEven), kP = static_cast<int>(Rounding::kPosInf);
  constexpr int kM = static_cast<int>(Rounding::kNegInf);
  std::array<Handler, 20> t{};
  t[0] = &op_fp1<N, &f_mov<N>>;
  t[1] = &op_fp1<N, &f_abs<N>>;
  t[2] = &op_fp1<N, &f_neg<N>>;
  t[3] = &op_fp1<N, &f_sqrt<N>>;
  if constexpr (N != 32) t[4] = &op_fp1<N, &f_cvt<32, N>>;
  if constexpr (N != 64) t[5] = &op_fp1<N, &f_cvt<64, N>>;
  if constexpr (N != 16) t[7] = &op_fp1<N, &f_cvt<16, N>>;
  t[8] = &op_fp1<N, &f_rint<N, kN, false>>;
  t[9] = &op_fp1<N, &f_rint<N, kP, false>>;
  t[10] = &op_fp1<N, &f_rint<N, kM, false>>;
  t[11] = &op_fp1<N, &f_rint<N, kZ, false>>;
  t[12] = &op_fp1<N, &f_rint<N, kA, false>>;
  t[14] = &op_fp1<N, &f_rint<N, -1, true>>;
  t[15] = &op_fp1<N, &f_rint<N, -1, false>>;
  if constexpr (N != 16) {  // FEAT_FRINTTS has no half-precision form
    t[16] = &op_fp1<N, &f_rint_n<N, 32, false>>;
    t[17] = &op_fp1<N, &f_rint_n<N, 32, true>>;
    t[18] = &op_fp1<N, &f_rint_n<N, 64, false>>;
    t[19] = &op_fp1<N, &f_rint_n<N, 64, true>>;
  }
  return t;
}
constexpr std::array<std::array<Handler, 20>, 3> kFp1 = {fp1_ops<32>(), fp1_ops<64>(), fp1_ops<16>()};

// op is the opcode (bits 20:15).
bool pre_fp1(DecodedInst& i, unsigned ptype, unsigned op, unsigned rn, unsigned rd) {
  const int p = prec_index(ptype);
  if (p < 0 || op >= 20 || kFp1[p][op] == nullptr) return false;
  i.d = static_cast<uint8_t>(rd);
  i.n = static_cast<uint8_t>(rn);
  i.fn = kFp1[p][op];
  return true;
}

// ---------------- compare, conditional compare, select, immediate ----------------
template <int N, bool kSignal, bool kZero>
Flow op_fcmp(Core& c, const DecodedInst& i) {
  if (!fp_enabled(c)) return fp_trap(c, i);
  fp::Env env = fp_env(c);
  c.state().nzcv = fp::compare<N>(rdf<N>(c, i.n), kZero ? 0 : rdf<N>(c, i.m), kSignal, env) << 28;
  raise(c, env.flags);
  return next(c, i);
}
template <int N>
constexpr std::array<Handler, 4> fcmp_ops() {  // [E][zero]
  return {&op_fcmp<N, false, false>, &op_fcmp<N, false, true>, &op_fcmp<N, true, false>, &op_fcmp<N, true, true>};
}
constexpr std::array<std::array<Handler, 4>, 3> kFcmp = {fcmp_ops<32>(), fcmp_ops<64>(), fcmp_ops<16>()};

// FCCMP/FCCMPE: the comparison when the condition holds, else NZCV = #nzcv (f1).
template <int N, bool kSignal>
Flow op_fccmp(Core& c, const DecodedInst& i) {
  if (!fp_enabled(c)) return fp_trap(c, i);
  if (cond_holds(i.f0, c.state().nzcv)) {
    fp::Env env = fp_env(c);
    c.state().nzcv = fp::compare<N>(rdf<N>(c, i.n), rdf<N>(c, i.m), kSignal, env) << 28;
    raise(c, env.flags);
  } else {
    c.state().nzcv = static_cast<uint32_t>(i.f1) << 28;
  }
  return next(c, i);
}
constexpr std::array<std::array<Handler, 2>, 3> kFccmp = {{{&op_fccmp<32, false>, &op_fccmp<32, true>},
                                                           {&op_fccmp<64, false>, &op_fccmp<64, true>},
                                                           {&op_fccmp<16, false>, &op_fccmp<16, true>}}};

template <int N>
Flow op_fcsel(Core& c, const DecodedInst& i) {
  if (!fp_enabled(c)) return fp_trap(c, i);
  set_v64(c, i.d, rdf<N>(c, cond_holds(i.f0, c.state().nzcv) ? i.n : i.m));
  return next(c, i);
}
constexpr std::array<Handler, 3> kFcsel = {&op_fcsel<32>, &op_fcsel<64>, &op_fcsel<16>};

Flow op_fmov_imm(Core& c, const DecodedInst& i) {
  if (!fp_enabled(c)) return fp_trap(c, i);
  set_v64(c, i.d, i.imm);
  return next(c, i);
}

// ---------------- conversions ----------------
// FP -> integer: Xd/Wd (slot d) = FPToFixed(Vn, fbits (f0), rounding).
template <int N, int M, bool kUnsigned, int kR>
Flow op_fcvt_int(Core& c, const DecodedInst& i) {
  if (!fp_enabled(c)) return fp_trap(c, i);
  fp::Env env = fp_env(c);
  const Rounding r = kR < 0 ? env.rounding() : static_cast<Rounding>(kR);
  R(c, i.d) = fp::to_fixed<N>(rdf<N>(c, i.n), i.f0, kUnsigned, r, M, env);
  raise(c, env.flags);
  return next(c, i);
}
// integer -> FP: Vd = FixedToFP(Xn/Wn, fbits (f0)) in FPCR's rounding.
template <int N, int M, bool kUnsigned>
Flow op_cvtf(Core& c, const DecodedInst& i) {
  if (!fp_enabled(c)) return fp_trap(c, i);
  fp::Env env = fp_env(c);
  set_v64(c, i.d, fp::from_fixed<N>(R(c, i.n), i.f0, kUnsigned, env.rounding(), M, env));
  raise(c, env.flags);
  return next(c, i);
}

// [precision][sf][unsigned] for a rounding.
template <int kR>
constexpr std::array<std::array<std::array<Handler, 2>, 2>, 3> fcvt_int_table() {
  return {{{{{&op_fcvt_int<32, 32, false, kR>, &op_fcvt_int<32, 32, true, kR>},
             {&op_fcvt_int<32, 64, false, kR>, &op_fcvt_int<32, 64, true, kR>}}},
           {{{&op_fcvt_int<64, 32, false, kR>, &op_fcvt_int<64, 32, true, kR>},
             {&op_fcvt_int<64, 64, false, kR>, &op_fcvt_int<64, 64, true, kR>}}},
           {{{&op_fcvt_int<16, 32, false, kR>, &op_fcvt_int<16, 32, true, kR>},
             {&op_fcvt_int<16, 64, false, kR>, &op_fcvt_int<16, 64, true, kR>}}}}};
}
// Rounding by rmode for opcode 00x (N, P, M, Z), then A for opcode 10x.
constexpr std::array<std::array<std::array<std::array<Handler, 2>, 2>, 3>, 5> kFcvtInt = {
    fcvt_int_table<static_cast<int>(Rounding::kTieEven)>(), fcvt_int_table<static_cast<int>(Rounding::kPosInf)>(),
    fcvt_int_table<static_cast<int>(Rounding::kNegInf)>(), fcvt_int_table<static_cast<int>(Rounding::kZero)>(),
    fcvt_int_table<static_cast<int>(Rounding::kTieAway)>()};
constexpr std::array<std::array<std::array<Handler, 2>, 2>, 3> kCvtf = {{
    {{{&op_cvtf<32, 32, false>, &op_cvtf<32, 32, true>}, {&op_cvtf<32, 64, false>, &op_cvtf<32, 64, true>}}},
    {{{&op_cvtf<64, 32, false>, &op_cvtf<64, 32, true>}, {&op_cvtf<64, 64, false>, &op_cvtf<64, 64, true>}}},
    {{{&op_cvtf<16, 32, false>, &op_cvtf<16, 32, true>}, {&op_cvtf<16, 64, false>, &op_cvtf<16, 64, true>}}},
}};

// FMOV between general and FP registers: a bit copy. f0 selects the form.
enum FmovForm : uint8_t { kFmov32, kFmov64, kFmov16, kFmovTop };
template <FmovForm kForm>
Flow op_fmov_to_gen(Core& c, const DecodedInst& i) {
  if (!fp_enabled(c)) return fp_trap(c, i);
  const VReg& v = V(c, i.n);
  uint64_t x;
  if constexpr (kForm == kFmov32) x = static_cast<uint32_t>(v.d[0]);
  else if constexpr (kForm == kFmov64) x = v.d[0];
  else if constexpr (kForm == kFmov16) x = static_cast<uint16_t>(v.d[0]);
  else x = v.d[1];
  R(c, i.d) = x;
  return next(c, i);
}
template <FmovForm kForm>
Flow op_fmov_from_gen(Core& c, const DecodedInst& i) {
  if (!fp_enabled(c)) return fp_trap(c, i);
  const uint64_t x = R(c, i.n);
  if constexpr (kForm == kFmov32) set_v64(c, i.d, static_cast<uint32_t>(x));
  else if constexpr (kForm == kFmov64) set_v64(c, i.d, x);
  else if constexpr (kForm == kFmov16) set_v64(c, i.d, static_cast<uint16_t>(x));
  else V(c, i.d).d[1] = x;  // writes the upper 64 bits only
  return next(c, i);
}

Flow op_fjcvtzs(Core& c, const DecodedInst& i) {
  if (!fp_enabled(c)) return fp_trap(c, i);
  fp::Env env = fp_env(c);
  bool z;
  R(c, i.d) = fp::to_fixed_js(V(c, i.n).d[0], &z, env);
  c.state().nzcv = z ? kZ : 0;  // 0:Z:0:0
  raise(c, env.flags);
  return next(c, i);
}

// The FMOV form of (sf, ptype, rmode), or -1 when unallocated.
int fmov_form(unsigned sf, unsigned ptype, unsigned rmode) {
  if (rmode == 0) {
    if (sf == 0 && ptype == 0) return kFmov32;
    if (sf == 1 && ptype == 1) return kFmov64;
    if (ptype == 3) return kFmov16;
  }
  if (rmode == 1 && sf == 1 && ptype == 2) return kFmovTop;
  return -1;
}

}  // namespace

// The predecode functions take the fields of their row's pattern as parameters, in pattern
// order (cpu/decoder/fields.h): F<'n'> is the field marked n in the pattern. "tt" is ptype.

bool pre_FP_1SRC(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::FP_1SRC>(i, insn, [](DecodedInst& i, F<'t'> ptype, F<'o'> op, F<'n'> rn, F<'d'> rd) {
    return pre_fp1(i, ptype, op, rn, rd);
  });
}
bool pre_FP_SQRT(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::FP_SQRT>(i, insn, [](DecodedInst& i, F<'t'> ptype, F<'n'> rn, F<'d'> rd) {
    return pre_fp1(i, ptype, 0b000011, rn, rd);  // the row fixes opcode 000011
  });
}
bool pre_FP_MUL(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::FP_MUL>(i, insn, [](DecodedInst& i, F<'t'> ptype, F<'m'> rm, F<'o'> neg, F<'n'> rn, F<'d'> rd) {
    return pre_fp2(i, ptype, neg << 3, rm, rn, rd);  // opcode 0000 FMUL, 1000 FNMUL
  });
}
bool pre_FP_DIV(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::FP_DIV>(i, insn, [](DecodedInst& i, F<'t'> ptype, F<'m'> rm, F<'n'> rn, F<'d'> rd) {
    return pre_fp2(i, ptype, 0b0001, rm, rn, rd);
  });
}
bool pre_FP_ADDSUB(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::FP_ADDSUB>(i, insn, [](DecodedInst& i, F<'t'> ptype, F<'m'> rm, F<'o'> sub, F<'n'> rn, F<'d'> rd) {
    return pre_fp2(i, ptype, 0b0010 | sub, rm, rn, rd);
  });
}
bool pre_FP_MAXMIN(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::FP_MAXMIN>(i, insn, [](DecodedInst& i, F<'t'> ptype, F<'m'> rm, F<'o'> op, F<'n'> rn, F<'d'> rd) {
    return pre_fp2(i, ptype, 0b0100 | op, rm, rn, rd);
  });
}

// o is o1:o0 (bits 21 and 15): FMADD, FMSUB, FNMADD, FNMSUB.
bool pre_FP_3SRC(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::FP_3SRC>(
      i, insn, [](DecodedInst& i, F<'t'> ptype, F<'o'> op, F<'m'> rm, F<'a'> ra, F<'n'> rn, F<'d'> rd) {
        const int p = prec_index(ptype);
        if (p < 0) return false;
        i.d = static_cast<uint8_t>(rd);
        i.n = static_cast<uint8_t>(rn);
        i.m = static_cast<uint8_t>(rm);
        i.a = static_cast<uint8_t>(ra);
        i.fn = host_handler(kFp3[p][op]);
        return true;
      });
}

// o is opc (bits 4:3): bit 4 signalling (FCMPE), bit 3 compare with #0.0.
bool pre_FP_CMP(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::FP_CMP>(i, insn, [](DecodedInst& i, F<'t'> ptype, F<'m'> rm, F<'n'> rn, F<'o'> opc) {
    const int p = prec_index(ptype);
    if (p < 0) return false;
    // The #0.0 forms have Rm (0)(0)(0)(0)(0): another value is CONSTRAINED UNPREDICTABLE,
    // UNDEFINED or executing as if zero. Single and double execute (as QEMU and Capstone
    // do); the half forms are UNDEFINED (as llvm-mc, their disassembly oracle, decides).
    if ((opc & 1) && rm != 0 && p == 2) return false;
    i.n = static_cast<uint8_t>(rn);
    i.m = static_cast<uint8_t>(rm);
    i.fn = kFcmp[p][opc];
    return true;
  });
}

bool pre_FP_CCMP(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::FP_CCMP>(
      i, insn, [](DecodedInst& i, F<'t'> ptype, F<'m'> rm, F<'c'> cond, F<'n'> rn, F<'o'> signal, F<'f'> nzcv) {
        const int p = prec_index(ptype);
        if (p < 0) return false;
        i.n = static_cast<uint8_t>(rn);
        i.m = static_cast<uint8_t>(rm);
        i.f0 = static_cast<uint8_t>(cond);
        i.f1 = static_cast<uint8_t>(nzcv);
        i.fn = kFccmp[p][signal];
        return true;
      });
}

bool pre_FP_CSEL(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::FP_CSEL>(i, insn, [](DecodedInst& i, F<'t'> ptype, F<'m'> rm, F<'c'> cond, F<'n'> rn, F<'d'> rd) {
    const int p = prec_index(ptype);
    if (p < 0) return false;
    i.d = static_cast<uint8_t>(rd);
    i.n = static_cast<uint8_t>(rn);
    i.m = static_cast<uint8_t>(rm);
    i.f0 = static_cast<uint8_t>(cond);
    i.fn = kFcsel[p];
    return true;
  });
}

bool pre_FP_IMM(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::FP_IMM>(i, insn, [](DecodedInst& i, F<'t'> ptype, F<'i'> imm8, F<'d'> rd) {
    const int n = kPtypeBits[ptype];
    if (n == 0) return false;
    i.d = static_cast<uint8_t>(rd);
    i.imm = n == 32 ? fp::expand_imm8<32>(imm8) : n == 64 ? fp::expand_imm8<64>(imm8) : fp::expand_imm8<16>(imm8);
    i.fn = &op_fmov_imm;
    return true;
  });
}

// o is opcode<2> and opcode<0> (bits 18 and 16; opcode<1> is 0 in this row): FCVTA* when
// opcode<2> is set, unsigned when opcode<0> is.
bool pre_FP_TO_INT(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::FP_TO_INT>(
      i, insn, [](DecodedInst& i, F<'f'> sf, F<'t'> ptype, F<'r'> rmode, F<'o'> op, F<'n'> rn, F<'d'> rd) {
        const int p = prec_index(ptype);
        if (p < 0) return false;
        unsigned r;
        if (op >> 1) {
          if (rmode != 0) return false;  // FCVTA* only with rmode 00
          r = 4;
        } else {
          r = rmode;
        }
        i.d = wzr(rd);
        i.n = static_cast<uint8_t>(rn);
        i.f0 = 0;
        i.fn = kFcvtInt[r][p][sf][op & 1];
        return true;
      });
}

bool pre_INT_TO_FP(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::INT_TO_FP>(
      i, insn, [](DecodedInst& i, F<'f'> sf, F<'t'> ptype, F<'r'> rmode, F<'o'> is_unsigned, F<'n'> rn, F<'d'> rd) {
        const int p = prec_index(ptype);
        if (p < 0 || rmode != 0) return false;
        i.d = static_cast<uint8_t>(rd);
        i.n = rzr(rn);
        i.f0 = 0;
        i.fn = kCvtf[p][sf][is_unsigned];
        return true;
      });
}

bool pre_FMOV_TO_GEN(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::FMOV_TO_GEN>(
      i, insn, [](DecodedInst& i, F<'f'> sf, F<'t'> ptype, F<'r'> rmode, F<'n'> rn, F<'d'> rd) {
        const int form = fmov_form(sf, ptype, rmode);
        if (form < 0) return false;
        constexpr Handler kT[] = {&op_fmov_to_gen<kFmov32>, &op_fmov_to_gen<kFmov64>, &op_fmov_to_gen<kFmov16>,
                                  &op_fmov_to_gen<kFmovTop>};
        i.d = wzr(rd);
        i.n = static_cast<uint8_t>(rn);
        i.fn = kT[form];
        return true;
      });
}

bool pre_FMOV_FROM_GEN(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::FMOV_FROM_GEN>(
      i, insn, [](DecodedInst& i, F<'f'> sf, F<'t'> ptype, F<'r'> rmode, F<'n'> rn, F<'d'> rd) {
        const int form = fmov_form(sf, ptype, rmode);
        if (form < 0) return false;
        constexpr Handler kT[] = {&op_fmov_from_gen<kFmov32>, &op_fmov_from_gen<kFmov64>,
                                  &op_fmov_from_gen<kFmov16>, &op_fmov_from_gen<kFmovTop>};
        i.d = static_cast<uint8_t>(rd);
        i.n = rzr(rn);
        i.fn = kT[form];
        return true;
      });
}

bool pre_FJCVTZS(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::FJCVTZS>(i, insn, [](DecodedInst& i, F<'n'> rn, F<'d'> rd) {
    i.d = wzr(rd);
    i.n = static_cast<uint8_t>(rn);
    i.fn = &op_fjcvtzs;
    return true;
  });
}

// Fixed point: fbits = 64 - scale; the 32-bit forms need scale<5> = 1 (fbits <= 32).
bool pre_FP_TO_FIXED(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::FP_TO_FIXED>(
      i, insn, [](DecodedInst& i, F<'f'> sf, F<'t'> ptype, F<'o'> is_unsigned, F<'i'> scale, F<'n'> rn, F<'d'> rd) {
        const int p = prec_index(ptype);
        if (p < 0 || (!sf && !(scale >> 5))) return false;
        i.d = wzr(rd);
        i.n = static_cast<uint8_t>(rn);
        i.f0 = static_cast<uint8_t>(64 - scale);
        i.fn = kFcvtInt[static_cast<int>(Rounding::kZero)][p][sf][is_unsigned];
        return true;
      });
}

bool pre_FIXED_TO_FP(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::FIXED_TO_FP>(
      i, insn, [](DecodedInst& i, F<'f'> sf, F<'t'> ptype, F<'o'> is_unsigned, F<'i'> scale, F<'n'> rn, F<'d'> rd) {
        const int p = prec_index(ptype);
        if (p < 0 || (!sf && !(scale >> 5))) return false;
        i.d = static_cast<uint8_t>(rd);
        i.n = rzr(rn);
        i.f0 = static_cast<uint8_t>(64 - scale);
        i.fn = kCvtf[p][sf][is_unsigned];
        return true;
      });
}

}  // namespace cpu::interp
