#include "cpu/decoder/classify.h"

#include <cassert>

#include "cpu/arch/bits.h"
#include "cpu/decoder/roles.h"

namespace cpu::decoder {
namespace {

using timing::OpClass;

// Which predecoded register fields an instruction reads or writes.
enum Field : uint8_t { kD = 1, kN = 2, kM = 4, kA = 8 };

// A register slot of CpuState::r as the timing model numbers registers: X0..X30, 31 = SP;
// XZR (reads) and the write sink are no register at all.
constexpr uint8_t model_reg(uint8_t slot) {
  if (slot <= 30) return slot;
  if (slot == kRegSp) return 31;
  return timing::kNoReg;
}

struct Builder {
  InstTiming t;
  unsigned nsrc = 0, ndst = 0;
  void src(uint8_t slot) {
    const uint8_t r = model_reg(slot);
    if (r == timing::kNoReg || nsrc >= 3) return;
    for (unsigned k = 0; k < nsrc; ++k)
      if (t.s.src[k] == r) return;
    t.s.src[nsrc++] = r;
  }
  void dst(uint8_t slot) {
    const uint8_t r = model_reg(slot);
    if (r == timing::kNoReg || ndst >= 2) return;
    for (unsigned k = 0; k < ndst; ++k)
      if (t.s.dst[k] == r) return;
    t.s.dst[ndst++] = r;
  }
  void fields(const DecodedInst& i, uint8_t mask, bool is_dst) {
    const uint8_t slots[4] = {i.d, i.n, i.m, i.a};
    for (unsigned k = 0; k < 4; ++k)
      if (mask & (1u << k)) is_dst ? dst(slots[k]) : src(slots[k]);
  }
};

InstTiming make(const DecodedInst& i, OpClass cls, uint8_t dsts, uint8_t srcs, AddrMode am = AddrMode::kNone) {
  Builder b;
  b.t.s.cls = cls;
  b.t.amode = am;
  // Sources first: an instruction that reads and writes a register (MOVK) lists it in both.
  b.fields(i, srcs, false);
  b.fields(i, dsts, true);
  // The run loop tells loads, stores and atomics from the rest by their address mode
  // (TimingModel::Mem at compile time): exactly they have one.
  assert((am != AddrMode::kNone) == (cls == OpClass::kLoad || cls == OpClass::kStore || cls == OpClass::kAtomic));
  return b.t;
}

// Pairs (LDP/STP/LDNP/STNP/LDPSW): bits [24:23] 01 post-index, 11 pre-index, 10 offset,
// 00 non-temporal offset.
InstTiming pair(const DecodedInst& i, bool is_load) {
  const unsigned mode = arch::bits<24, 23>(i.raw);
  const AddrMode am = mode == 1 ? AddrMode::kBase : AddrMode::kBaseImm;
  if (is_load) return make(i, OpClass::kLoad, kD | kA, kN, am);  // base writeback: AGU, not load latency
  return make(i, OpClass::kStore, (mode & 1) ? kN : 0, kD | kA | kN, am);
}

// Single-register loads and stores; size [31:30], opc [23:22].
InstTiming single(const DecodedInst& i, InsnId id) {
  const unsigned size = arch::bits<31, 30>(i.raw), opc = arch::bits<23, 22>(i.raw);
  const bool is_reg = id == InsnId::LDST_reg;
  const bool wback = id == InsnId::LDST_pre || id == InsnId::LDST_post;
  const AddrMode am = id == InsnId::LDST_post ? AddrMode::kBase : is_reg ? AddrMode::kBaseReg : AddrMode::kBaseImm;
  const uint8_t addr_srcs = static_cast<uint8_t>(kN | (is_reg ? kM : 0));
  if (opc == 2 && size == 3) return make(i, OpClass::kNop, 0, 0);  // PRFM: a hint
  if (opc == 0) return make(i, OpClass::kStore, wback ? kN : 0, static_cast<uint8_t>(kD | addr_srcs), am);
  return make(i, OpClass::kLoad, kD, addr_srcs, am);
}

// The SIMD&FP rows state their class and operand roles in the table (A64X rows).
struct XRow {
  bool present = false;
  OpClass cls = OpClass::kSystem;
  roles::Roles roles = roles::kNone;
};
constexpr auto kXRows = [] {
  using namespace roles;
  using enum OpClass;
  std::array<XRow, static_cast<size_t>(InsnId::kCount) + 1> t{};
#define A64(...)
#define A64X(name, mnem, pattern, cls, rl, ...) t[static_cast<size_t>(InsnId::name)] = XRow{true, cls, rl};
#include "cpu/decoder/a64.inc"
#undef A64X
#undef A64
  return t;
}();

// Timing register numbers: X0..X30 and SP are 0..31 (model_reg), V0..V31 are 32..63.
constexpr uint8_t kVRegBase = 32;

InstTiming legacy_from_roles(const DecodedInst& i, const XRow& row) {
  using namespace roles;
  const Roles r = row.roles;
  AddrMode am = AddrMode::kNone;
  bool wback = false;
  switch (r & kAmMask) {
    case kAmBaseImm: am = AddrMode::kBaseImm; break;
    case kAmBase: am = AddrMode::kBase; break;
    case kAmBaseReg: am = AddrMode::kBaseReg; break;
    case kAmLiteral: am = AddrMode::kLiteral; break;
    case kAmSingleIdx: {
      const unsigned idx = arch::bits<11, 10>(i.raw);
      am = idx == 1 ? AddrMode::kBase : AddrMode::kBaseImm;
      wback = idx == 1 || idx == 3;
      break;
    }
    case kAmPairIdx: {
      const unsigned idx = arch::bits<24, 23>(i.raw);
      am = idx == 1 ? AddrMode::kBase : AddrMode::kBaseImm;
      wback = idx == 1 || idx == 3;
      break;
    }
    case kAmStruct:
      am = AddrMode::kBase;
      wback = arch::bit<23>(i.raw);
      break;
    default: break;
  }
  Builder b;
  b.t.s.cls = row.cls;
  b.t.amode = am;
  auto vsrc = [&](uint8_t v) {
    if (b.nsrc < 3) b.t.s.src[b.nsrc++] = static_cast<uint8_t>(kVRegBase + (v & 31));
  };
  auto vdst = [&](uint8_t v) {
    if (b.ndst < 2) b.t.s.dst[b.ndst++] = static_cast<uint8_t>(kVRegBase + (v & 31));
  };
  if (r & kXnR) b.src(i.n);
  if (r & kXmR) b.src(i.m);
  if (r & kVdR) vsrc(i.d);
  if (r & kVnR) vsrc(i.n);
  if (r & kVmR) vsrc(i.m);
  if (r & kVaR) vsrc(i.a);
  if (r & kVdW) vdst(i.d);
  if (r & kVaW) vdst(i.a);
  if (r & kXdW) b.dst(i.d);
  if ((r & kXnWb) && wback) b.dst(i.n);
  assert((am != AddrMode::kNone) == (row.cls == OpClass::kLoad || row.cls == OpClass::kStore));
  return b.t;
}

// The row's class and roles after the rules that look inside the encoding.
struct Resolved {
  OpClass cls;
  roles::Roles roles;
};
Resolved resolve(const Row& row, uint32_t raw) {
  using namespace roles;
  Roles r = row.roles;
  if (r & kLitPrfm) {
    if (arch::bits<31, 30>(raw) == 3) return {OpClass::kNop, kNone};  // PRFM (literal): a hint
  }
  if (r & kLdStByOpc) {
    const unsigned size = arch::bits<31, 30>(raw), opc = arch::bits<23, 22>(raw);
    if (opc == 2 && size == 3) return {OpClass::kNop, kNone};  // PRFM: a hint
    if (opc == 0) return {OpClass::kStore, r | kXdR};
    return {OpClass::kLoad, (r & ~kXnWb) | kXdW};
  }
  return {row.cls, r};
}

// Address mode and whether the base is written back, from the roles' address-mode nibble.
struct Addressing {
  AddrMode am = AddrMode::kNone;
  bool wback = false;
};
Addressing addressing(roles::Roles r, uint32_t raw) {
  using namespace roles;
  switch (r & kAmMask) {
    case kAmBaseImm: return {AddrMode::kBaseImm, false};
    case kAmBase: return {AddrMode::kBase, false};
    case kAmBaseReg: return {AddrMode::kBaseReg, false};
    case kAmLiteral: return {AddrMode::kLiteral, false};
    case kAmSingleIdx: {
      const unsigned idx = arch::bits<11, 10>(raw);  // 01 post-index, 11 pre-index
      return {idx == 1 ? AddrMode::kBase : AddrMode::kBaseImm, idx == 1 || idx == 3};
    }
    case kAmPairIdx: {
      const unsigned idx = arch::bits<24, 23>(raw);  // 01 post-index, 11 pre-index
      return {idx == 1 ? AddrMode::kBase : AddrMode::kBaseImm, idx == 1 || idx == 3};
    }
    case kAmStruct: return {AddrMode::kBase, arch::bit<23>(raw) != 0};
    default: return {};
  }
}

InstTiming from_table(const Row& row, const DecodedInst& i) {
  using namespace roles;
  const auto [cls, r] = resolve(row, i.raw);
  const Addressing ad = addressing(r, i.raw);
  Builder b;
  b.t.s.cls = cls;
  b.t.amode = ad.am;
  if (r & kExcEntry) b.t.flags |= kTimingExcEntry;
  if (r & kExcReturn) b.t.flags |= kTimingExcReturn;
  auto vsrc = [&](uint8_t v) {
    if (b.nsrc < 3) b.t.s.src[b.nsrc++] = static_cast<uint8_t>(kVRegBase + (v & 31));
  };
  auto vdst = [&](uint8_t v) {
    if (b.ndst < 2) b.t.s.dst[b.ndst++] = static_cast<uint8_t>(kVRegBase + (v & 31));
  };
  // Sources first, X before V, each in field order d, n, m, a: an instruction that reads and
  // writes a register (MOVK) lists it in both.
  if (r & kXdR) b.src(i.d);
  if (r & kXnR) b.src(i.n);
  if (r & kXmR) b.src(i.m);
  if (r & kXaR) b.src(i.a);
  if (r & kCasPair) {
    b.src(i.f0);
    b.src(i.f1);
  }
  if (r & kVdR) vsrc(i.d);
  if (r & kVnR) vsrc(i.n);
  if (r & kVmR) vsrc(i.m);
  if (r & kVaR) vsrc(i.a);
  if (r & kVdW) vdst(i.d);
  if (r & kVaW) vdst(i.a);
  if (r & kXdW) b.dst(i.d);
  if ((r & kXnWb) && ad.wback) b.dst(i.n);
  if (r & kXmW) b.dst(i.m);
  if (r & kXaW) b.dst(i.a);
  if (r & kCasPair) {
    b.dst(i.f0);
    b.dst(static_cast<uint8_t>(i.f0 + 1));
  }
  if (r & kLinkW) b.dst(30);
  // The run loop tells loads, stores and atomics from the rest by their address mode
  // (TimingModel::Mem at compile time): exactly they have one.
  assert((ad.am != AddrMode::kNone) == (cls == OpClass::kLoad || cls == OpClass::kStore || cls == OpClass::kAtomic));
  return b.t;
}

}  // namespace

InstTiming classify(InsnId id, const DecodedInst& i) {
  if (id == InsnId::kUndefined) return make(i, OpClass::kSystem, 0, 0);  // UNDEFINED: never retires
  return from_table(rows()[static_cast<size_t>(id)], i);
}

InstTiming classify_legacy(InsnId id, const DecodedInst& i) {
  switch (id) {
    // ---- data processing: immediate ----
    case InsnId::ADR: case InsnId::ADRP: case InsnId::MOVN: case InsnId::MOVZ:
      return make(i, OpClass::kAlu, kD, 0);
    case InsnId::MOVK:
      return make(i, OpClass::kAlu, kD, kD);
    case InsnId::ADD_imm: case InsnId::ADDS_imm: case InsnId::SUB_imm: case InsnId::SUBS_imm:
    case InsnId::AND_imm: case InsnId::ORR_imm: case InsnId::EOR_imm: case InsnId::ANDS_imm:
    case InsnId::SBFM: case InsnId::UBFM:
      return make(i, OpClass::kAlu, kD, kN);
    case InsnId::BFM:
      return make(i, OpClass::kAlu, kD, kD | kN);
    case InsnId::EXTR:
      return make(i, OpClass::kAlu, kD, kN | kM);

    // ---- branches, exception generation, system ----
    case InsnId::B_cond:
      return make(i, OpClass::kCondBranch, 0, 0);
    case InsnId::CBZ: case InsnId::CBNZ: case InsnId::TBZ: case InsnId::TBNZ:
      return make(i, OpClass::kCondBranch, 0, kN);
    case InsnId::B:
      return make(i, OpClass::kBranch, 0, 0);
    case InsnId::BL: {
      InstTiming t = make(i, OpClass::kCall, 0, 0);
      t.s.dst[0] = 30;
      return t;
    }
    case InsnId::BR:
      return make(i, OpClass::kIndirectBranch, 0, kN);
    case InsnId::BLR: {
      InstTiming t = make(i, OpClass::kIndirectCall, 0, kN);
      t.s.dst[0] = 30;
      return t;
    }
    case InsnId::RET:
      return make(i, OpClass::kReturn, 0, kN);
    case InsnId::SVC: {
      InstTiming t = make(i, OpClass::kSystem, 0, 0);
      t.flags = kTimingExcEntry;  // retires, then takes the exception
      return t;
    }
    case InsnId::ERET: {
      InstTiming t = make(i, OpClass::kSystem, 0, 0);
      t.flags = kTimingExcReturn;
      return t;
    }
    case InsnId::HVC: case InsnId::SMC: case InsnId::BRK: case InsnId::HLT: case InsnId::DSB:
    case InsnId::DMB: case InsnId::ISB: case InsnId::MSR_imm:
      return make(i, OpClass::kSystem, 0, 0);
    case InsnId::HINT: case InsnId::CLREX:
      return make(i, OpClass::kNop, 0, 0);
    case InsnId::SYS: case InsnId::MSR_reg:
      return make(i, OpClass::kSystem, 0, kN);  // Rt is in the n field
    case InsnId::MRS:
      return make(i, OpClass::kSystem, kD, 0);

    // ---- loads and stores ----
    case InsnId::STXR:
      return make(i, OpClass::kStore, kM, kD | kN, AddrMode::kBase);
    case InsnId::STXP:
      return make(i, OpClass::kStore, kM, kD | kA | kN, AddrMode::kBase);
    case InsnId::LDXR: case InsnId::LDAR:
      return make(i, OpClass::kLoad, kD, kN, AddrMode::kBase);
    case InsnId::LDXP:
      return make(i, OpClass::kLoad, kD | kA, kN, AddrMode::kBase);
    case InsnId::STLR:
      return make(i, OpClass::kStore, 0, kD | kN, AddrMode::kBase);
    case InsnId::CAS:
      return make(i, OpClass::kAtomic, kA, kD | kM | kN, AddrMode::kBase);
    case InsnId::CASP: {
      // Register pairs Rs (f0) and Rt (f1), even-numbered; Rs receives the old pair.
      InstTiming t = make(i, OpClass::kAtomic, 0, kN, AddrMode::kBase);
      Builder b{t, 1, 0};
      b.src(i.f0);
      b.src(i.f1);
      b.dst(i.f0);
      b.dst(static_cast<uint8_t>(i.f0 + 1));
      return b.t;
    }
    case InsnId::LSE_atomic:
      return make(i, OpClass::kAtomic, kD, kM | kN, AddrMode::kBase);
    case InsnId::LDR_lit:
      if (arch::bits<31, 30>(i.raw) == 3) return make(i, OpClass::kNop, 0, 0);  // PRFM (literal)
      return make(i, OpClass::kLoad, kD, 0, AddrMode::kLiteral);
    case InsnId::STNP: case InsnId::STP:
      return pair(i, false);
    case InsnId::LDNP: case InsnId::LDP: case InsnId::LDPSW:
      return pair(i, true);
    case InsnId::LDST_unscaled: case InsnId::LDST_post: case InsnId::LDST_unpriv: case InsnId::LDST_pre:
    case InsnId::LDST_uimm: case InsnId::LDST_reg:
      return single(i, id);

    // ---- data processing: register ----
    case InsnId::AND_reg: case InsnId::BIC_reg: case InsnId::ORR_reg: case InsnId::ORN_reg:
    case InsnId::EOR_reg: case InsnId::EON_reg: case InsnId::ANDS_reg: case InsnId::BICS_reg:
    case InsnId::ADD_sreg: case InsnId::ADDS_sreg: case InsnId::SUB_sreg: case InsnId::SUBS_sreg:
    case InsnId::ADD_ext: case InsnId::ADDS_ext: case InsnId::SUB_ext: case InsnId::SUBS_ext:
    case InsnId::ADC: case InsnId::ADCS: case InsnId::SBC: case InsnId::SBCS:
    case InsnId::CSEL: case InsnId::CSINC: case InsnId::CSINV: case InsnId::CSNEG:
    case InsnId::LSLV: case InsnId::LSRV: case InsnId::ASRV: case InsnId::RORV: case InsnId::CRC32:
      return make(i, OpClass::kAlu, kD, kN | kM);
    case InsnId::CCMN_reg: case InsnId::CCMP_reg:
      return make(i, OpClass::kAlu, 0, kN | kM);
    case InsnId::CCMN_imm: case InsnId::CCMP_imm:
      return make(i, OpClass::kAlu, 0, kN);
    case InsnId::MADD: case InsnId::MSUB: case InsnId::SMADDL: case InsnId::SMSUBL: case InsnId::UMADDL:
    case InsnId::UMSUBL: case InsnId::SMULH: case InsnId::UMULH:
      return make(i, OpClass::kMul, kD, kN | kM | kA);
    case InsnId::UDIV: case InsnId::SDIV:
      return make(i, OpClass::kDiv, kD, kN | kM);
    case InsnId::RBIT: case InsnId::REV16: case InsnId::REV32: case InsnId::REV64: case InsnId::CLZ:
    case InsnId::CLS:
      return make(i, OpClass::kAlu, kD, kN);

    case InsnId::kUndefined:
      break;
    default: {
      const auto k = static_cast<size_t>(id);
      if (k < kXRows.size() && kXRows[k].present) return legacy_from_roles(i, kXRows[k]);
      break;
    }
  }
  return make(i, OpClass::kSystem, 0, 0);  // UNDEFINED: never retires
}

}  // namespace cpu::decoder
