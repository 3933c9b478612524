#include "cpu/decoder/classify.h"

#include <cassert>

#include "cpu/arch/bits.h"
#include "cpu/decoder/roles.h"

namespace cpu::decoder {
namespace {

using timing::OpClass;

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
};

// Timing register numbers: X0..X30 and SP are 0..31 (model_reg), V0..V31 are 32..63.
constexpr uint8_t kVRegBase = 32;

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
  if (id == InsnId::kUndefined) {
    InstTiming t;  // UNDEFINED: never retires
    t.s.cls = OpClass::kSystem;
    return t;
  }
  return from_table(rows()[static_cast<size_t>(id)], i);
}

}  // namespace cpu::decoder
