// Data processing — immediate and register (Arm ARM C4.1.86, C4.1.89): predecode and
// handlers. Handlers are specialised by width and flag-setting at predecode time, so the
// hot path never re-decodes a field.
#include <bit>
#include <utility>

#include "cpu/decoder/fields.h"
#include "cpu/interp/interp_common.h"
#include "cpu/interp/predecode.h"
#include "cpu/interp/visitor.h"

namespace cpu::interp {

// The predecode functions below take the fields of their row's pattern as parameters, in
// pattern order (cpu/decoder/fields.h): F<'n'> is the field marked n in the pattern.

bool decode_bit_masks(unsigned n, unsigned imms, unsigned immr, bool immediate, unsigned datasize,
                      BitMasks& out) {
  // len = HighestSetBit(N:NOT(imms)); esize = 2^len.
  const unsigned combined = (n << 6) | (~imms & 0x3f);
  if (combined == 0) return false;
  const int len = 31 - std::countl_zero(combined);
  if (len < 1) return false;
  const unsigned esize = 1u << len;
  if (esize > datasize) return false;
  const unsigned levels = esize - 1;
  if (immediate && (imms & levels) == levels) return false;  // all-ones element is reserved
  const unsigned s = imms & levels;
  const unsigned r = immr & levels;
  const unsigned diff = (s - r) & levels;
  const uint64_t welem = arch::ones(s + 1);
  const uint64_t telem = arch::ones(diff + 1);
  const uint64_t wrot = arch::ror(welem, r, esize);
  uint64_t w = 0, t = 0;
  for (unsigned i = 0; i < datasize; i += esize) {
    w |= wrot << i;
    t |= telem << i;
  }
  out.wmask = w & arch::ones(datasize);
  out.tmask = t & arch::ones(datasize);
  return true;
}

namespace {

template <bool k64>
constexpr uint64_t width_mask() { return k64 ? ~uint64_t{0} : 0xffffffffull; }

// ---------------- add/subtract ----------------
// The common tail of ADD/SUB/ADDS/SUBS in every operand form: Rd = a +/- b, and NZCV for
// the flag-setting forms (AddWithCarry with carry 0, or x + NOT(y) + 1 for subtraction).
template <bool k64, bool kSub, bool kFlags>
inline Flow addsub_write(Core& c, const DecodedInst& i, uint8_t d, uint64_t a, uint64_t b) {
  if constexpr (kFlags) {
    uint32_t f;
    const uint64_t r = kSub ? sub_with_flags<k64>(a, b, f) : add_with_flags<k64>(a, b, f);
    c.state().nzcv = f;
    wr<k64>(c, d, r);
  } else {
    wr<k64>(c, d, kSub ? a - b : a + b);
  }
  return next(c, i);
}

template <bool k64, bool kSub, bool kFlags>
Flow op_addsub_imm(Core& c, const DecodedInst& i) {
  return addsub_write<k64, kSub, kFlags>(c, i, i.d, rd<k64>(c, i.n), i.imm);
}

template <bool k64, bool kSub, bool kFlags, unsigned kShift>
Flow op_addsub_sreg(Core& c, const DecodedInst& i) {
  const uint64_t a = rd<k64>(c, i.n);
  const uint64_t b = shift_fixed<k64, kShift>(R(c, i.m), i.f1);
  return addsub_write<k64, kSub, kFlags>(c, i, i.d, a, b);
}
// [sf][flags][shift column]; ROR is reserved for add/subtract (rejected at predecode).
template <bool kSub, bool k64, bool kFlags>
constexpr std::array<Handler, 5> addsub_sreg_row() {
  return {&op_addsub_sreg<k64, kSub, kFlags, kLsl>, &op_addsub_sreg<k64, kSub, kFlags, kLsr>,
          &op_addsub_sreg<k64, kSub, kFlags, kAsr>, nullptr, &op_addsub_sreg<k64, kSub, kFlags, kShiftNone>};
}
template <bool kSub>
constexpr Handler pick_op_addsub_sreg(bool sf, bool flags, unsigned column) {
  constexpr std::array<std::array<Handler, 5>, 2> t[2] = {
      {addsub_sreg_row<kSub, false, false>(), addsub_sreg_row<kSub, false, true>()},
      {addsub_sreg_row<kSub, true, false>(), addsub_sreg_row<kSub, true, true>()}};
  return t[sf][flags][column];
}

// The subtraction of a fused CMP/SUBS (immediate, or register with no shift), exactly as
// op_addsub_imm/sreg: writes Rd and NZCV, returns the flags.
template <bool k64, bool kImm>
[[gnu::always_inline]] inline uint32_t fused_subs(Core& c, const DecodedInst& i) {
  const uint64_t a = rd<k64>(c, i.n);
  const uint64_t b = kImm ? i.imm : rd<k64>(c, i.m);
  uint32_t f;
  const uint64_t r = sub_with_flags<k64>(a, b, f);
  c.state().nzcv = f;
  wr<k64>(c, i.d, r);
  return f;
}
// CMP/SUBS (immediate, or register with no shift) right before the B.cond that ends its
// block (fuse_with_b_cond): the subtraction exactly as op_addsub_imm/sreg, then, while
// chaining, the branch too, its condition tested on the flags just computed. That spares
// the branch a dispatch and the reload of NZCV through memory, which delays finding out
// a mispredicted guest branch. One instruction at a time (Block::steps) the next slot is
// a stop slot, not the branch: the SUBS alone then, as its plain handler.
template <bool k64, bool kImm>
Flow op_subs_b_cond(Core& c, const DecodedInst& i) {
  const uint32_t f = fused_subs<k64, kImm>(c, i);
  if (!c.chaining()) [[unlikely]] return next(c, i);
  // As op_b_cond, for the branch; it is current, so a return to the run loop counts it.
  const DecodedInst& br = (&i)[1];
  c.set_current(&br);
  c.state().pc = cond_row_holds(br.imm2, f) ? br.imm : br.pc + 4;
  return c.next_block(br);
}

template <bool k64, bool kSub, bool kFlags>
Flow op_addsub_ext(Core& c, const DecodedInst& i) {
  const uint64_t a = rd<k64>(c, i.n);
  const uint64_t b = extend_reg(R(c, i.m), i.f0, i.f1);
  return addsub_write<k64, kSub, kFlags>(c, i, i.d, a, b);
}

template <bool k64, bool kSub, bool kFlags>
Flow op_adc(Core& c, const DecodedInst& i) {
  const uint64_t a = rd<k64>(c, i.n);
  const uint64_t b = rd<k64>(c, i.m);
  const uint64_t carry = (c.state().nzcv >> 29) & 1;
  uint32_t f;
  const uint64_t r = add_with_carry<k64>(a, kSub ? ~b : b, carry, f);
  if constexpr (kFlags) c.state().nzcv = f;
  wr<k64>(c, i.d, r);
  return next(c, i);
}

// Handler tables indexed [sf][flags], picked once at predecode.
#define PMUEMU_ADDSUB_PICKER(fn)                                                   \
  template <bool kSub>                                                             \
  constexpr Handler pick_##fn(bool sf, bool flags) {                               \
    constexpr Handler t[2][2] = {{&fn<false, kSub, false>, &fn<false, kSub, true>}, \
                                 {&fn<true, kSub, false>, &fn<true, kSub, true>}};  \
    return t[sf][flags];                                                           \
  }
PMUEMU_ADDSUB_PICKER(op_addsub_imm)
PMUEMU_ADDSUB_PICKER(op_addsub_ext)
PMUEMU_ADDSUB_PICKER(op_adc)
#undef PMUEMU_ADDSUB_PICKER

template <bool kSub, bool kFlags>
bool pre_addsub_imm(DecodedInst& i, F<'f'> sf, F<'h'> sh, F<'i'> imm12, F<'n'> rn, F<'d'> rd) {
  i.imm = uint64_t{imm12} << (sh ? 12 : 0);
  i.n = rsp(rn);
  i.d = kFlags ? wzr(rd) : rsp(rd);
  i.fn = pick_op_addsub_imm<kSub>(sf, kFlags);
  return true;
}

template <bool kSub, bool kFlags>
bool pre_addsub_sreg(DecodedInst& i, F<'f'> sf, F<'h'> shift, F<'m'> rm, F<'i'> amount, F<'n'> rn, F<'d'> rd) {
  if (shift == kRor || (!sf && amount >= 32)) return false;
  i.f0 = static_cast<uint8_t>(shift);
  i.f1 = static_cast<uint8_t>(amount);
  i.m = rzr(rm);
  i.n = rzr(rn);
  i.d = wzr(rd);
  i.fn = pick_op_addsub_sreg<kSub>(sf, kFlags, shift_column(shift, amount));
  return true;
}

template <bool kSub, bool kFlags>
bool pre_addsub_ext(DecodedInst& i, F<'f'> sf, F<'m'> rm, F<'x'> option, F<'i'> amount, F<'n'> rn, F<'d'> rd) {
  if (amount > 4) return false;  // opt (bits 23:22) is 00 in the pattern
  i.f0 = static_cast<uint8_t>(option);
  i.f1 = static_cast<uint8_t>(amount);
  i.m = rzr(rm);
  i.n = rsp(rn);
  i.d = kFlags ? wzr(rd) : rsp(rd);
  i.fn = pick_op_addsub_ext<kSub>(sf, kFlags);
  return true;
}

template <bool kSub, bool kFlags>
bool pre_adc(DecodedInst& i, F<'f'> sf, F<'m'> rm, F<'n'> rn, F<'d'> rd) {
  i.m = rzr(rm);
  i.n = rzr(rn);
  i.d = wzr(rd);
  i.fn = pick_op_adc<kSub>(sf, kFlags);
  return true;
}

// ---------------- logical ----------------
enum LogicOp : uint8_t { kAnd, kOrr, kEor, kAnds };

template <bool k64, LogicOp kOp>
inline void logic_apply(Core& c, uint8_t d, uint64_t a, uint64_t b) {
  uint64_t r;
  if constexpr (kOp == kAnd || kOp == kAnds) r = a & b;
  else if constexpr (kOp == kOrr) r = a | b;
  else r = a ^ b;
  if constexpr (kOp == kAnds) c.state().nzcv = nz_flags<k64>(r);
  wr<k64>(c, d, r);
}

template <bool k64, LogicOp kOp>
Flow op_logic_imm(Core& c, const DecodedInst& i) {
  logic_apply<k64, kOp>(c, i.d, rd<k64>(c, i.n), i.imm);
  return next(c, i);
}

template <bool k64, LogicOp kOp, bool kInvert, unsigned kShift>
Flow op_logic_reg(Core& c, const DecodedInst& i) {
  uint64_t b = shift_fixed<k64, kShift>(R(c, i.m), i.f1);
  if constexpr (kInvert) b = ~b;
  logic_apply<k64, kOp>(c, i.d, rd<k64>(c, i.n), b);
  return next(c, i);
}

template <LogicOp kOp>
bool pre_logic_imm(DecodedInst& i, F<'f'> sf, F<'N'> n, F<'r'> immr, F<'s'> imms, F<'n'> rn, F<'d'> rd) {
  if (!sf && n) return false;
  BitMasks bm;
  if (!decode_bit_masks(n, imms, immr, true, sf ? 64 : 32, bm)) return false;
  i.imm = bm.wmask;
  i.n = rzr(rn);
  i.d = kOp == kAnds ? wzr(rd) : rsp(rd);
  i.fn = sf ? &op_logic_imm<true, kOp> : &op_logic_imm<false, kOp>;
  return true;
}

template <LogicOp kOp, bool kInvert>
bool pre_logic_reg(DecodedInst& i, F<'f'> sf, F<'h'> shift, F<'m'> rm, F<'i'> amount, F<'n'> rn, F<'d'> rd) {
  if (!sf && amount >= 32) return false;
  i.f0 = static_cast<uint8_t>(shift);
  i.f1 = static_cast<uint8_t>(amount);
  i.m = rzr(rm);
  i.n = rzr(rn);
  i.d = wzr(rd);
  constexpr auto kRow = []<bool k64>() {
    return std::array<Handler, 5>{&op_logic_reg<k64, kOp, kInvert, kLsl>, &op_logic_reg<k64, kOp, kInvert, kLsr>,
                                  &op_logic_reg<k64, kOp, kInvert, kAsr>, &op_logic_reg<k64, kOp, kInvert, kRor>,
                                  &op_logic_reg<k64, kOp, kInvert, kShiftNone>};
  };
  constexpr std::array<Handler, 5> kTable[2] = {kRow.template operator()<false>(), kRow.template operator()<true>()};
  i.fn = kTable[sf][shift_column(i.f0, amount)];
  return true;
}

// ---------------- move wide ----------------
template <bool k64>
Flow op_movz(Core& c, const DecodedInst& i) { wr<k64>(c, i.d, i.imm); return next(c, i); }
template <bool k64>
Flow op_movk(Core& c, const DecodedInst& i) {
  wr<k64>(c, i.d, (R(c, i.d) & ~(uint64_t{0xffff} << i.f0)) | i.imm);
  return next(c, i);
}

enum MoveWide : uint8_t { kMovN, kMovZ, kMovK };
template <MoveWide kOp>
bool pre_movewide(DecodedInst& i, F<'f'> sf, F<'h'> hw, F<'i'> imm16, F<'d'> rd) {
  if (!sf && hw >= 2) return false;
  i.f0 = static_cast<uint8_t>(hw * 16);
  i.imm = uint64_t{imm16} << i.f0;
  i.d = wzr(rd);
  if (kOp == kMovN) i.imm = ~i.imm & (sf ? ~uint64_t{0} : 0xffffffffull);
  if (kOp == kMovK) i.fn = sf ? &op_movk<true> : &op_movk<false>;
  else i.fn = sf ? &op_movz<true> : &op_movz<false>;
  return true;
}

// ---------------- bitfield and extract ----------------
// UBFM and SBFM in every shape (LSL, LSR, ASR, UBFX, SBFX, UBFIZ, SBFIZ, UXTB, SXTW, ...)
// are one left shift that puts the field's top bit (imms) at bit 63, then one right
// shift (logical or arithmetic) that drops the bits below the field (UBFX/SBFX shape,
// imms >= immr) or moves the field to bit W - immr (UBFIZ/SBFIZ shape, imms < immr).
// f0 and f1 are the two shift amounts, computed at predecode. A W-form result is cut
// to 32 bits by wr<false>; bits of Xn above imms never reach it.
template <bool k64>
Flow op_ubfm(Core& c, const DecodedInst& i) {
  wr<k64>(c, i.d, (R(c, i.n) << i.f0) >> i.f1);
  return next(c, i);
}
template <bool k64>
Flow op_sbfm(Core& c, const DecodedInst& i) {
  wr<k64>(c, i.d, static_cast<uint64_t>(static_cast<int64_t>(R(c, i.n) << i.f0) >> i.f1));
  return next(c, i);
}
// The Arm ARM BFM pseudocode with wmask in imm, tmask in imm2, R in f0.
template <bool k64>
Flow op_bfm(Core& c, const DecodedInst& i) {
  constexpr unsigned kW = k64 ? 64 : 32;
  const uint64_t dst = rd<k64>(c, i.d);
  const uint64_t bot = (dst & ~i.imm) | (arch::ror(rd<k64>(c, i.n), i.f0, kW) & i.imm);
  wr<k64>(c, i.d, (dst & ~i.imm2) | (bot & i.imm2));
  return next(c, i);
}

// kShifts: the handler takes the two shift amounts of op_ubfm/op_sbfm in f0/f1, else
// (BFM) immr and imms.
template <Handler k32, Handler k64, bool kShifts>
bool pre_bitfield(DecodedInst& i, F<'f'> sf, F<'N'> n, F<'r'> immr, F<'s'> imms, F<'n'> rn, F<'d'> rd) {
  if (n != sf) return false;
  if (!sf && (immr >= 32 || imms >= 32)) return false;
  BitMasks bm;
  if (!decode_bit_masks(n, imms, immr, false, sf ? 64 : 32, bm)) return false;
  i.imm = bm.wmask;
  i.imm2 = bm.tmask;
  if constexpr (kShifts) {
    const unsigned width = sf ? 64 : 32;
    i.f0 = static_cast<uint8_t>(63 - imms);
    i.f1 = static_cast<uint8_t>(imms >= immr ? 63 - imms + immr : 63 - imms - (width - immr));
  } else {
    i.f0 = static_cast<uint8_t>(immr);
    i.f1 = static_cast<uint8_t>(imms);
  }
  i.n = rzr(rn);
  // BFM also reads Rd; when Rd is XZR the result is discarded, so reading the sink is harmless.
  i.d = wzr(rd);
  i.fn = sf ? k64 : k32;
  return true;
}

template <bool k64>
Flow op_extr(Core& c, const DecodedInst& i) {
  constexpr unsigned kW = k64 ? 64 : 32;
  const uint64_t lo = rd<k64>(c, i.m), hi = rd<k64>(c, i.n);
  const unsigned lsb = i.f0;
  wr<k64>(c, i.d, lsb == 0 ? lo : ((lo >> lsb) | (hi << (kW - lsb))) & width_mask<k64>());
  return next(c, i);
}

// ---------------- conditional ----------------
enum CselOp : uint8_t { kCsel, kCsinc, kCsinv, kCsneg };
// CSEL/CSINC/CSINV/CSNEG of i under the flags nzcv.
template <bool k64, CselOp kOp>
[[gnu::always_inline]] inline void csel_apply(Core& c, const DecodedInst& i, uint32_t nzcv) {
  if (cond_row_holds(i.imm2, nzcv)) {
    wr<k64>(c, i.d, R(c, i.n));
  } else {
    uint64_t v = R(c, i.m);
    if constexpr (kOp == kCsinc) v = v + 1;
    if constexpr (kOp == kCsinv) v = ~v;
    if constexpr (kOp == kCsneg) v = 0 - v;
    wr<k64>(c, i.d, v);
  }
}
template <bool k64, CselOp kOp>
Flow op_csel(Core& c, const DecodedInst& i) {
  csel_apply<k64, kOp>(c, i, c.state().nzcv);
  return next(c, i);
}

// CMP/SUBS (immediate, or register with no shift) followed by a conditional select in the
// same block (fuse_with_csel): the subtraction exactly as op_addsub_imm/sreg, then, while
// chaining, the select too, under the flags just computed. A compare feeding a select
// sits on the data path of branch-free code (a CRC step, a min/max), where reloading NZCV
// through memory is a store-to-load round trip on every step. One instruction at a time
// (Block::steps) the next slot is a stop slot: the SUBS alone then.
template <bool k64, bool kImm, bool k64Sel, CselOp kOp>
Flow op_subs_csel(Core& c, const DecodedInst& i) {
  const uint32_t f = fused_subs<k64, kImm>(c, i);
  if (!c.chaining()) [[unlikely]] return next(c, i);
  const DecodedInst& sel = (&i)[1];
  csel_apply<k64Sel, kOp>(c, sel, f);
  return next(c, sel);
}
// [SUBS form: 32/64-bit x immediate/register][select: 32/64-bit x op]
template <bool k64, bool kImm>
constexpr std::array<Handler, 8> subs_csel_row() {
  return {&op_subs_csel<k64, kImm, false, kCsel>,  &op_subs_csel<k64, kImm, false, kCsinc>,
          &op_subs_csel<k64, kImm, false, kCsinv>, &op_subs_csel<k64, kImm, false, kCsneg>,
          &op_subs_csel<k64, kImm, true, kCsel>,   &op_subs_csel<k64, kImm, true, kCsinc>,
          &op_subs_csel<k64, kImm, true, kCsinv>,  &op_subs_csel<k64, kImm, true, kCsneg>};
}
inline constexpr std::array<std::array<Handler, 8>, 4> kSubsCsel = {
    subs_csel_row<false, true>(), subs_csel_row<true, true>(), subs_csel_row<false, false>(),
    subs_csel_row<true, false>()};
inline constexpr std::array<Handler, 8> kCselHandlers = {
    &op_csel<false, kCsel>, &op_csel<false, kCsinc>, &op_csel<false, kCsinv>, &op_csel<false, kCsneg>,
    &op_csel<true, kCsel>,  &op_csel<true, kCsinc>,  &op_csel<true, kCsinv>,  &op_csel<true, kCsneg>};
template <CselOp kOp>
bool pre_csel(DecodedInst& i, F<'f'> sf, F<'m'> rm, F<'c'> cond, F<'n'> rn, F<'d'> rd) {
  i.f0 = static_cast<uint8_t>(cond);
  i.imm2 = kCondTable[i.f0];  // the condition's row, looked up once here
  i.m = rzr(rm);
  i.n = rzr(rn);
  i.d = wzr(rd);
  i.fn = sf ? &op_csel<true, kOp> : &op_csel<false, kOp>;
  return true;
}

// CCMP/CCMN: compare when the condition holds, else set NZCV from the immediate (f1).
template <bool k64, bool kSub, bool kImm>
Flow op_ccmp(Core& c, const DecodedInst& i) {
  if (cond_row_holds(i.imm2, c.state().nzcv)) {
    const uint64_t a = rd<k64>(c, i.n);
    const uint64_t b = kImm ? i.imm : rd<k64>(c, i.m);
    uint32_t f;
    kSub ? sub_with_flags<k64>(a, b, f) : add_with_flags<k64>(a, b, f);
    c.state().nzcv = f;
  } else {
    c.state().nzcv = uint32_t{i.f1} << 28;
  }
  return next(c, i);
}
// `mi` is Rm (register form, letter m) or imm5 (immediate form, letter i); the handler
// reads the one it needs.
template <bool kSub, bool kImm, char kM>
bool pre_ccmp(DecodedInst& i, F<'f'> sf, F<kM> mi, F<'c'> cond, F<'n'> rn, F<'v'> nzcv) {
  i.f0 = static_cast<uint8_t>(cond);
  i.imm2 = kCondTable[i.f0];  // the condition's row, looked up once here
  i.f1 = static_cast<uint8_t>(nzcv);
  i.imm = mi;
  i.m = rzr(mi);
  i.n = rzr(rn);
  i.fn = sf ? &op_ccmp<true, kSub, kImm> : &op_ccmp<false, kSub, kImm>;
  return true;
}

// ---------------- multiply and divide ----------------
template <bool k64, bool kSub>
Flow op_madd(Core& c, const DecodedInst& i) {
  const uint64_t p = R(c, i.n) * R(c, i.m);
  wr<k64>(c, i.d, kSub ? R(c, i.a) - p : R(c, i.a) + p);
  return next(c, i);
}
template <bool kSigned, bool kSub>
Flow op_maddl(Core& c, const DecodedInst& i) {
  const uint64_t a = kSigned ? static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(R(c, i.n))))
                             : static_cast<uint32_t>(R(c, i.n));
  const uint64_t b = kSigned ? static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(R(c, i.m))))
                             : static_cast<uint32_t>(R(c, i.m));
  R(c, i.d) = kSub ? R(c, i.a) - a * b : R(c, i.a) + a * b;
  return next(c, i);
}
template <bool kSigned>
Flow op_mulh(Core& c, const DecodedInst& i) {
  if constexpr (kSigned) {
    const __int128 p = static_cast<__int128>(static_cast<int64_t>(R(c, i.n))) *
                       static_cast<int64_t>(R(c, i.m));
    R(c, i.d) = static_cast<uint64_t>(p >> 64);
  } else {
    const unsigned __int128 p = static_cast<unsigned __int128>(R(c, i.n)) * R(c, i.m);
    R(c, i.d) = static_cast<uint64_t>(p >> 64);
  }
  return next(c, i);
}
// Division by zero gives zero; INT_MIN / -1 gives INT_MIN (Arm ARM: no trap on A64).
template <bool k64, bool kSigned>
Flow op_div(Core& c, const DecodedInst& i) {
  using U = std::conditional_t<k64, uint64_t, uint32_t>;
  using S = std::make_signed_t<U>;
  const U a = static_cast<U>(R(c, i.n)), b = static_cast<U>(R(c, i.m));
  U r;
  if (b == 0) r = 0;
  else if constexpr (kSigned) {
    const S sa = static_cast<S>(a), sb = static_cast<S>(b);
    r = (sb == -1) ? static_cast<U>(U{0} - a) : static_cast<U>(sa / sb);
  } else {
    r = a / b;
  }
  wr<k64>(c, i.d, r);
  return next(c, i);
}
template <bool k64, unsigned kType>
Flow op_shiftv(Core& c, const DecodedInst& i) {
  constexpr unsigned kW = k64 ? 64 : 32;
  wr<k64>(c, i.d, shift_reg<k64>(rd<k64>(c, i.n), kType, R(c, i.m) % kW));
  return next(c, i);
}

template <bool kSub>
bool pre_madd(DecodedInst& i, F<'f'> sf, F<'m'> rm, F<'a'> ra, F<'n'> rn, F<'d'> rd) {
  i.m = rzr(rm);
  i.a = rzr(ra);
  i.n = rzr(rn);
  i.d = wzr(rd);
  i.fn = sf ? &op_madd<true, kSub> : &op_madd<false, kSub>;
  return true;
}
template <Handler kFn>
bool pre_3src(DecodedInst& i, F<'m'> rm, F<'a'> ra, F<'n'> rn, F<'d'> rd) {
  i.m = rzr(rm);
  i.a = rzr(ra);
  i.n = rzr(rn);
  i.d = wzr(rd);
  i.fn = kFn;
  return true;
}
// SMULH/UMULH: Ra is 11111 in the pattern (XZR).
template <Handler kFn>
bool pre_mulh(DecodedInst& i, F<'m'> rm, F<'n'> rn, F<'d'> rd) {
  return pre_3src<kFn>(i, rm, F<'a'>{31}, rn, rd);
}
template <Handler k32, Handler k64>
bool pre_2src(DecodedInst& i, F<'f'> sf, F<'m'> rm, F<'n'> rn, F<'d'> rd) {
  i.m = rzr(rm);
  i.n = rzr(rn);
  i.d = wzr(rd);
  i.fn = sf ? k64 : k32;
  return true;
}

// CRC32/CRC32C: reflected CRC update of the accumulator Wn with the low 8<<sz bits of Rm,
// no pre/post inversion (Arm ARM CRC32 pseudocode, BitReverse formulation).
template <bool kCastagnoli>
Flow op_crc32(Core& c, const DecodedInst& i) {
  constexpr uint32_t kPoly = kCastagnoli ? 0x82F63B78u : 0xEDB88320u;
  uint32_t crc = static_cast<uint32_t>(R(c, i.n));
  uint64_t data = R(c, i.m);
  for (unsigned byte = 0; byte < (1u << i.f0); ++byte) {
    crc ^= static_cast<uint8_t>(data >> (8 * byte));
    for (int b = 0; b < 8; ++b) crc = (crc >> 1) ^ ((crc & 1) ? kPoly : 0);
  }
  R(c, i.d) = crc;
  return next(c, i);
}

// ---------------- one-source ----------------
template <bool k64>
Flow op_rbit(Core& c, const DecodedInst& i) {
  uint64_t v = R(c, i.n), r = 0;
  for (unsigned b = 0; b < (k64 ? 64 : 32); ++b) r |= ((v >> b) & 1) << ((k64 ? 63 : 31) - b);
  wr<k64>(c, i.d, r);
  return next(c, i);
}
template <bool k64>
Flow op_rev16(Core& c, const DecodedInst& i) {
  const uint64_t v = R(c, i.n);
  wr<k64>(c, i.d, ((v & 0x00ff00ff00ff00ffull) << 8) | ((v >> 8) & 0x00ff00ff00ff00ffull));
  return next(c, i);
}
template <bool k64>
Flow op_rev32(Core& c, const DecodedInst& i) {  // REV32 Xd, or REV Wd
  const uint64_t v = R(c, i.n);
  const uint64_t lo = __builtin_bswap32(static_cast<uint32_t>(v));
  const uint64_t hi = __builtin_bswap32(static_cast<uint32_t>(v >> 32));
  wr<k64>(c, i.d, lo | (hi << 32));
  return next(c, i);
}
Flow op_rev64(Core& c, const DecodedInst& i) {
  R(c, i.d) = __builtin_bswap64(R(c, i.n));
  return next(c, i);
}
template <bool k64>
Flow op_clz(Core& c, const DecodedInst& i) {
  wr<k64>(c, i.d, k64 ? std::countl_zero(R(c, i.n)) : std::countl_zero(static_cast<uint32_t>(R(c, i.n))));
  return next(c, i);
}
// CLS: leading sign bits, not counting the sign bit itself.
template <bool k64>
Flow op_cls(Core& c, const DecodedInst& i) {
  if constexpr (k64) {
    const uint64_t v = R(c, i.n);
    R(c, i.d) = std::countl_zero((v ^ (v << 1)) | 1);
  } else {
    const uint32_t v = static_cast<uint32_t>(R(c, i.n));
    R(c, i.d) = std::countl_zero(static_cast<uint32_t>((v ^ (v << 1)) | 1));
  }
  return next(c, i);
}

template <Handler k32, Handler k64>
bool pre_1src(DecodedInst& i, F<'f'> sf, F<'n'> rn, F<'d'> rd) {
  i.n = rzr(rn);
  i.d = wzr(rd);
  i.fn = sf ? k64 : k32;
  return true;
}
// REV64: sf is 1 in the pattern.
template <Handler kFn>
bool pre_1src64(DecodedInst& i, F<'n'> rn, F<'d'> rd) {
  return pre_1src<kFn, kFn>(i, F<'f'>{1}, rn, rd);
}

// ---------------- PC-relative ----------------
Flow op_adr(Core& c, const DecodedInst& i) {
  R(c, i.d) = i.imm;
  return next(c, i);
}

}  // namespace

namespace {
// The SUBS handlers that have fused forms, in the row order of the fused tables, and the
// index of `fn` among them (or -1).
constexpr std::array<Handler, 4> kFusableSubs = {
    &op_addsub_imm<false, true, true>, &op_addsub_imm<true, true, true>,
    &op_addsub_sreg<false, true, true, kShiftNone>, &op_addsub_sreg<true, true, true, kShiftNone>};
constexpr std::array<Handler, 4> kSubsBCond = {&op_subs_b_cond<false, true>, &op_subs_b_cond<true, true>,
                                               &op_subs_b_cond<false, false>, &op_subs_b_cond<true, false>};
template <size_t N>
int index_of(const std::array<Handler, N>& t, Handler fn) {
  for (size_t k = 0; k < N; ++k)
    if (t[k] == fn) return static_cast<int>(k);
  return -1;
}
}  // namespace

bool fuse_with_b_cond(DecodedInst& subs) {
  const int row = index_of(kFusableSubs, subs.fn);
  if (row < 0) return false;
  subs.fn = kSubsBCond[row];
  return true;
}

bool fuse_with_csel(DecodedInst& subs, const DecodedInst& sel) {
  const int row = index_of(kFusableSubs, subs.fn), col = index_of(kCselHandlers, sel.fn);
  if (row < 0 || col < 0) return false;
  subs.fn = kSubsCsel[row][col];
  return true;
}

bool pre_ADR(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::ADR>(i, insn, [](DecodedInst& i, F<'L'> immlo, F<'H'> immhi, F<'d'> rd) {
    const uint64_t off = (uint64_t{immhi} << 2) | immlo;
    i.imm = i.pc + arch::sign_extend(off, 21);
    i.d = wzr(rd);
    i.fn = &op_adr;
    return true;
  });
}
bool pre_ADRP(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::ADRP>(i, insn, [](DecodedInst& i, F<'L'> immlo, F<'H'> immhi, F<'d'> rd) {
    const uint64_t off = (uint64_t{immhi} << 2) | immlo;
    i.imm = (i.pc & ~uint64_t{0xfff}) + (static_cast<uint64_t>(arch::sign_extend(off, 21)) << 12);
    i.d = wzr(rd);
    i.fn = &op_adr;
    return true;
  });
}

bool pre_ADD_imm(DecodedInst& i, uint32_t insn) { return with_fields<pattern::ADD_imm>(i, insn, pre_addsub_imm<false, false>); }
bool pre_ADDS_imm(DecodedInst& i, uint32_t insn) { return with_fields<pattern::ADDS_imm>(i, insn, pre_addsub_imm<false, true>); }
bool pre_SUB_imm(DecodedInst& i, uint32_t insn) { return with_fields<pattern::SUB_imm>(i, insn, pre_addsub_imm<true, false>); }
bool pre_SUBS_imm(DecodedInst& i, uint32_t insn) { return with_fields<pattern::SUBS_imm>(i, insn, pre_addsub_imm<true, true>); }
bool pre_AND_imm(DecodedInst& i, uint32_t insn) { return with_fields<pattern::AND_imm>(i, insn, pre_logic_imm<kAnd>); }
bool pre_ORR_imm(DecodedInst& i, uint32_t insn) { return with_fields<pattern::ORR_imm>(i, insn, pre_logic_imm<kOrr>); }
bool pre_EOR_imm(DecodedInst& i, uint32_t insn) { return with_fields<pattern::EOR_imm>(i, insn, pre_logic_imm<kEor>); }
bool pre_ANDS_imm(DecodedInst& i, uint32_t insn) { return with_fields<pattern::ANDS_imm>(i, insn, pre_logic_imm<kAnds>); }
bool pre_MOVN(DecodedInst& i, uint32_t insn) { return with_fields<pattern::MOVN>(i, insn, pre_movewide<kMovN>); }
bool pre_MOVZ(DecodedInst& i, uint32_t insn) { return with_fields<pattern::MOVZ>(i, insn, pre_movewide<kMovZ>); }
bool pre_MOVK(DecodedInst& i, uint32_t insn) { return with_fields<pattern::MOVK>(i, insn, pre_movewide<kMovK>); }
bool pre_SBFM(DecodedInst& i, uint32_t insn) { return with_fields<pattern::SBFM>(i, insn, pre_bitfield<&op_sbfm<false>, &op_sbfm<true>, true>); }
bool pre_UBFM(DecodedInst& i, uint32_t insn) { return with_fields<pattern::UBFM>(i, insn, pre_bitfield<&op_ubfm<false>, &op_ubfm<true>, true>); }
bool pre_BFM(DecodedInst& i, uint32_t insn) { return with_fields<pattern::BFM>(i, insn, pre_bitfield<&op_bfm<false>, &op_bfm<true>, false>); }
bool pre_EXTR(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::EXTR>(
      i, insn, [](DecodedInst& i, F<'f'> sf, F<'N'> n, F<'m'> rm, F<'s'> imms, F<'n'> rn, F<'d'> rd) {
        if (n != sf || (!sf && imms >= 32)) return false;
        i.f0 = static_cast<uint8_t>(imms);
        i.m = rzr(rm);
        i.n = rzr(rn);
        i.d = wzr(rd);
        i.fn = sf ? &op_extr<true> : &op_extr<false>;
        return true;
      });
}

bool pre_AND_reg(DecodedInst& i, uint32_t insn) { return with_fields<pattern::AND_reg>(i, insn, pre_logic_reg<kAnd, false>); }
bool pre_BIC_reg(DecodedInst& i, uint32_t insn) { return with_fields<pattern::BIC_reg>(i, insn, pre_logic_reg<kAnd, true>); }
bool pre_ORR_reg(DecodedInst& i, uint32_t insn) { return with_fields<pattern::ORR_reg>(i, insn, pre_logic_reg<kOrr, false>); }
bool pre_ORN_reg(DecodedInst& i, uint32_t insn) { return with_fields<pattern::ORN_reg>(i, insn, pre_logic_reg<kOrr, true>); }
bool pre_EOR_reg(DecodedInst& i, uint32_t insn) { return with_fields<pattern::EOR_reg>(i, insn, pre_logic_reg<kEor, false>); }
bool pre_EON_reg(DecodedInst& i, uint32_t insn) { return with_fields<pattern::EON_reg>(i, insn, pre_logic_reg<kEor, true>); }
bool pre_ANDS_reg(DecodedInst& i, uint32_t insn) { return with_fields<pattern::ANDS_reg>(i, insn, pre_logic_reg<kAnds, false>); }
bool pre_BICS_reg(DecodedInst& i, uint32_t insn) { return with_fields<pattern::BICS_reg>(i, insn, pre_logic_reg<kAnds, true>); }
bool pre_ADD_sreg(DecodedInst& i, uint32_t insn) { return with_fields<pattern::ADD_sreg>(i, insn, pre_addsub_sreg<false, false>); }
bool pre_ADDS_sreg(DecodedInst& i, uint32_t insn) { return with_fields<pattern::ADDS_sreg>(i, insn, pre_addsub_sreg<false, true>); }
bool pre_SUB_sreg(DecodedInst& i, uint32_t insn) { return with_fields<pattern::SUB_sreg>(i, insn, pre_addsub_sreg<true, false>); }
bool pre_SUBS_sreg(DecodedInst& i, uint32_t insn) { return with_fields<pattern::SUBS_sreg>(i, insn, pre_addsub_sreg<true, true>); }
bool pre_ADD_ext(DecodedInst& i, uint32_t insn) { return with_fields<pattern::ADD_ext>(i, insn, pre_addsub_ext<false, false>); }
bool pre_ADDS_ext(DecodedInst& i, uint32_t insn) { return with_fields<pattern::ADDS_ext>(i, insn, pre_addsub_ext<false, true>); }
bool pre_SUB_ext(DecodedInst& i, uint32_t insn) { return with_fields<pattern::SUB_ext>(i, insn, pre_addsub_ext<true, false>); }
bool pre_SUBS_ext(DecodedInst& i, uint32_t insn) { return with_fields<pattern::SUBS_ext>(i, insn, pre_addsub_ext<true, true>); }
bool pre_ADC(DecodedInst& i, uint32_t insn) { return with_fields<pattern::ADC>(i, insn, pre_adc<false, false>); }
bool pre_ADCS(DecodedInst& i, uint32_t insn) { return with_fields<pattern::ADCS>(i, insn, pre_adc<false, true>); }
bool pre_SBC(DecodedInst& i, uint32_t insn) { return with_fields<pattern::SBC>(i, insn, pre_adc<true, false>); }
bool pre_SBCS(DecodedInst& i, uint32_t insn) { return with_fields<pattern::SBCS>(i, insn, pre_adc<true, true>); }
bool pre_CCMN_reg(DecodedInst& i, uint32_t insn) { return with_fields<pattern::CCMN_reg>(i, insn, pre_ccmp<false, false, 'm'>); }
bool pre_CCMP_reg(DecodedInst& i, uint32_t insn) { return with_fields<pattern::CCMP_reg>(i, insn, pre_ccmp<true, false, 'm'>); }
bool pre_CCMN_imm(DecodedInst& i, uint32_t insn) { return with_fields<pattern::CCMN_imm>(i, insn, pre_ccmp<false, true, 'i'>); }
bool pre_CCMP_imm(DecodedInst& i, uint32_t insn) { return with_fields<pattern::CCMP_imm>(i, insn, pre_ccmp<true, true, 'i'>); }
bool pre_CSEL(DecodedInst& i, uint32_t insn) { return with_fields<pattern::CSEL>(i, insn, pre_csel<kCsel>); }
bool pre_CSINC(DecodedInst& i, uint32_t insn) { return with_fields<pattern::CSINC>(i, insn, pre_csel<kCsinc>); }
bool pre_CSINV(DecodedInst& i, uint32_t insn) { return with_fields<pattern::CSINV>(i, insn, pre_csel<kCsinv>); }
bool pre_CSNEG(DecodedInst& i, uint32_t insn) { return with_fields<pattern::CSNEG>(i, insn, pre_csel<kCsneg>); }
bool pre_MADD(DecodedInst& i, uint32_t insn) { return with_fields<pattern::MADD>(i, insn, pre_madd<false>); }
bool pre_MSUB(DecodedInst& i, uint32_t insn) { return with_fields<pattern::MSUB>(i, insn, pre_madd<true>); }
bool pre_SMADDL(DecodedInst& i, uint32_t insn) { return with_fields<pattern::SMADDL>(i, insn, pre_3src<&op_maddl<true, false>>); }
bool pre_SMSUBL(DecodedInst& i, uint32_t insn) { return with_fields<pattern::SMSUBL>(i, insn, pre_3src<&op_maddl<true, true>>); }
bool pre_UMADDL(DecodedInst& i, uint32_t insn) { return with_fields<pattern::UMADDL>(i, insn, pre_3src<&op_maddl<false, false>>); }
bool pre_UMSUBL(DecodedInst& i, uint32_t insn) { return with_fields<pattern::UMSUBL>(i, insn, pre_3src<&op_maddl<false, true>>); }
bool pre_SMULH(DecodedInst& i, uint32_t insn) { return with_fields<pattern::SMULH>(i, insn, pre_mulh<&op_mulh<true>>); }
bool pre_UMULH(DecodedInst& i, uint32_t insn) { return with_fields<pattern::UMULH>(i, insn, pre_mulh<&op_mulh<false>>); }
bool pre_UDIV(DecodedInst& i, uint32_t insn) { return with_fields<pattern::UDIV>(i, insn, pre_2src<&op_div<false, false>, &op_div<true, false>>); }
bool pre_SDIV(DecodedInst& i, uint32_t insn) { return with_fields<pattern::SDIV>(i, insn, pre_2src<&op_div<false, true>, &op_div<true, true>>); }
bool pre_LSLV(DecodedInst& i, uint32_t insn) { return with_fields<pattern::LSLV>(i, insn, pre_2src<&op_shiftv<false, kLsl>, &op_shiftv<true, kLsl>>); }
bool pre_LSRV(DecodedInst& i, uint32_t insn) { return with_fields<pattern::LSRV>(i, insn, pre_2src<&op_shiftv<false, kLsr>, &op_shiftv<true, kLsr>>); }
bool pre_ASRV(DecodedInst& i, uint32_t insn) { return with_fields<pattern::ASRV>(i, insn, pre_2src<&op_shiftv<false, kAsr>, &op_shiftv<true, kAsr>>); }
bool pre_RORV(DecodedInst& i, uint32_t insn) { return with_fields<pattern::RORV>(i, insn, pre_2src<&op_shiftv<false, kRor>, &op_shiftv<true, kRor>>); }
bool pre_CRC32(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::CRC32>(
      i, insn, [](DecodedInst& i, F<'f'> sf, F<'m'> rm, F<'c'> castagnoli, F<'s'> sz, F<'n'> rn, F<'d'> rd) {
        if (sf != (sz == 3)) return false;  // X form only with sz = 0b11
        i.f0 = static_cast<uint8_t>(sz);
        i.m = rzr(rm);
        i.n = rzr(rn);
        i.d = wzr(rd);
        i.fn = castagnoli ? &op_crc32<true> : &op_crc32<false>;
        return true;
      });
}
bool pre_RBIT(DecodedInst& i, uint32_t insn) { return with_fields<pattern::RBIT>(i, insn, pre_1src<&op_rbit<false>, &op_rbit<true>>); }
bool pre_REV16(DecodedInst& i, uint32_t insn) { return with_fields<pattern::REV16>(i, insn, pre_1src<&op_rev16<false>, &op_rev16<true>>); }
bool pre_REV32(DecodedInst& i, uint32_t insn) { return with_fields<pattern::REV32>(i, insn, pre_1src<&op_rev32<false>, &op_rev32<true>>); }
bool pre_REV64(DecodedInst& i, uint32_t insn) { return with_fields<pattern::REV64>(i, insn, pre_1src64<&op_rev64>); }
bool pre_CLZ(DecodedInst& i, uint32_t insn) { return with_fields<pattern::CLZ>(i, insn, pre_1src<&op_clz<false>, &op_clz<true>>); }
bool pre_CLS(DecodedInst& i, uint32_t insn) { return with_fields<pattern::CLS>(i, insn, pre_1src<&op_cls<false>, &op_cls<true>>); }

}  // namespace cpu::interp
