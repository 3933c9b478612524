// Loads and stores of SIMD&FP registers (Arm ARM C4.1.88 with V = 1, and the Advanced SIMD
// load/store structure groups): LDR/STR/LDUR/STUR of B/H/S/D/Q in every addressing mode,
// LDR literal, LDP/STP/LDNP/STNP of S/D/Q, LD1-LD4/ST1-ST4 (multiple and single
// structure) and LD1R-LD4R, with post-index by immediate or register.
//
// Every handler first applies the CPACR_EL1.FPEN check (EC 0x07), which the architecture
// makes before the address is even formed (CheckFPEnabled64 precedes the access). Memory
// goes through the same paths as the integer loads/stores: the inline fast path (RAM
// bounds check with the MMU off, the fast TLB with it on) and mmu::access_slow for the
// rest (SCTLR_EL1.A and Device alignment, translation and permission faults, MMIO exits).
// None of these accesses has a valid ESR syndrome (ISV is 1 only for single
// general-purpose register accesses), so an access outside RAM is a KVM_EXIT_ARM_NISV-style
// exit (ExitReason::kMmioNoSyndrome).
//
// Every instruction here transfers one contiguous block of memory (a structure access of
// n registers reads or writes n consecutive elements), so each is one access of its total
// size whose alignment unit is the element. A synchronous exception part-way through a
// multi-register access may leave the destination registers (for a store, the memory
// locations) UNKNOWN in the architecture, but never the base register, which keeps its
// value, with ELR at the instruction. The slow path checks every byte before it moves any,
// so here a faulting access changes no register and no memory at all, one of the allowed
// outcomes.
#include <cstring>
#include <type_traits>

#include "cpu/decoder/fields.h"
#include "cpu/interp/fpsimd_common.h"
#include "cpu/interp/interp_common.h"
#include "cpu/interp/predecode.h"
#include "cpu/interp/visitor.h"

namespace cpu::interp {
namespace {

using mmu::AccessType;
using mmu::DataAccess;

// kRegX: LSL/UXTX/SXTX (the whole X register); kRegUxtw/kRegSxtw: the W forms. The
// extend is split by form so the hot path has no switch.
enum class Mode : uint8_t { kOffset, kPre, kPost, kRegX, kRegUxtw, kRegSxtw };
inline constexpr unsigned kNumModes = 6;

struct U128 {
  uint64_t lo, hi;
};
template <unsigned kLog2>
using VElem = std::conditional_t<kLog2 == 0, uint8_t,
              std::conditional_t<kLog2 == 1, uint16_t,
              std::conditional_t<kLog2 == 2, uint32_t,
              std::conditional_t<kLog2 == 3, uint64_t, U128>>>>;

template <Mode kMode>
inline uint64_t address(Core& c, const DecodedInst& i) {
  const uint64_t base = R(c, i.n);
  if constexpr (kMode == Mode::kOffset || kMode == Mode::kPre) return base + i.imm;
  else if constexpr (kMode == Mode::kPost) return base;
  else if constexpr (kMode == Mode::kRegX) return base + (R(c, i.m) << i.f1);
  else if constexpr (kMode == Mode::kRegUxtw) return base + (uint64_t{static_cast<uint32_t>(R(c, i.m))} << i.f1);
  else return base + (static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(R(c, i.m)))) << i.f1);
}
// Writeback after the access: a faulting access leaves the base register as it was.
template <Mode kMode>
inline void writeback(Core& c, const DecodedInst& i, uint64_t addr) {
  if constexpr (kMode == Mode::kPre) R(c, i.n) = addr;
  else if constexpr (kMode == Mode::kPost) R(c, i.n) = addr + i.imm;
}

// A scalar or Q load writes the low kBytes of V[t] and clears the rest (Arm ARM V[] setter).
template <typename T>
inline void set_v_from(Core& c, unsigned t, const T& v) {
  VReg r{};
  std::memcpy(r.d.data(), &v, sizeof(T));
  V(c, t) = r;
}
template <typename T>
inline T v_as(Core& c, unsigned t) {
  T v;
  std::memcpy(&v, V(c, t).d.data(), sizeof(T));
  return v;
}

// A store that wrote decoded code may have rewritten this very block: leave it.
inline Flow after_store(Core& c, const DecodedInst& i, Flow f) {
  if (f == Flow::kRestart) [[unlikely]] c.state().pc = i.pc + 4;
  return f;
}
template <Mode kMode>
[[gnu::noinline]] Flow store_to_code_page(Core& c, const DecodedInst& i, const uint8_t* h, unsigned len,
                                          uint64_t addr) {
  const Flow f = c.mem().note_write_host(h, len) ? Flow::kRestart : Flow::kNext;
  writeback<kMode>(c, i, addr);
  if (f == Flow::kRestart) return after_store(c, i, f);
  return next(c, i);
}

// ---------------- single register ----------------
// The fast path does the access in place; a miss re-runs the instruction with kSlow set,
// as a tail call, so the hot path needs no stack frame for the slow path's buffer.
template <unsigned kLog2, bool kStore, Mode kMode, bool kSlow = false>
[[gnu::noinline]] Flow op_vldst(Core& c, const DecodedInst& i) {
  if (!fp_enabled(c)) [[unlikely]] return fp_trap(c, i);
  using T = VElem<kLog2>;
  constexpr uint16_t kBytes = uint16_t{1} << kLog2;
  constexpr DataAccess kAcc{.size = kBytes, .align = kBytes, .type = kStore ? AccessType::kWrite : AccessType::kRead};
  const uint64_t addr = address<kMode>(c, i);
  if constexpr (!kSlow) {
    uint8_t* h;
    if (!fast_hit<kAcc.type, kBytes>(c, addr, h)) [[unlikely]] return op_vldst<kLog2, kStore, kMode, true>(c, i);
    if constexpr (kStore) {
      guest_store<T>(h, v_as<T>(c, i.d));
      if (c.store_may_hit_code<kBytes>(h)) [[unlikely]] return store_to_code_page<kMode>(c, i, h, kBytes, addr);
    } else {
      set_v_from(c, i.d, guest_load<T>(h));
    }
    writeback<kMode>(c, i, addr);
    return next(c, i);
  } else if constexpr (kStore) {
    const Flow f = store<T, kAcc>(c, i, addr, v_as<T>(c, i.d));
    if (!completed(f)) return f;
    writeback<kMode>(c, i, addr);
    return after_store(c, i, f);
  } else {
    T v;
    if (const Flow f = load<T, kAcc>(c, i, addr, v); f != Flow::kNext) return f;
    writeback<kMode>(c, i, addr);
    set_v_from(c, i.d, v);
    return Flow::kNext;
  }
}

template <unsigned kLog2, bool kStore, size_t... M>
constexpr std::array<Handler, kNumModes> vldst_modes(std::index_sequence<M...>) {
  return {&op_vldst<kLog2, kStore, static_cast<Mode>(M)>...};
}
template <unsigned kLog2>
constexpr std::array<std::array<Handler, kNumModes>, 2> vldst_dirs() {
  return {vldst_modes<kLog2, false>(std::make_index_sequence<kNumModes>{}),
          vldst_modes<kLog2, true>(std::make_index_sequence<kNumModes>{})};
}
// [log2 size: B H S D Q][load, store][mode]
constexpr std::array<std::array<std::array<Handler, kNumModes>, 2>, 5> kVldstTable{
    vldst_dirs<0>(), vldst_dirs<1>(), vldst_dirs<2>(), vldst_dirs<3>(), vldst_dirs<4>()};

// size:opc<1> gives the register size; opc<1> = 1 is Q only with size 00.
bool pre_vsingle(DecodedInst& i, bool store, unsigned size, unsigned opc1, unsigned rn, unsigned rt, Mode mode,
                 uint64_t offset_units, bool scaled) {
  if (opc1 && size != 0) return false;
  const unsigned log2 = opc1 ? 4 : size;
  i.imm = scaled ? offset_units << log2 : offset_units;
  i.n = rsp(rn);
  i.d = static_cast<uint8_t>(rt);
  i.fn = kVldstTable[log2][store ? 1 : 0][static_cast<unsigned>(mode)];
  return true;
}

// ---------------- literal ----------------
template <unsigned kLog2>
Flow op_vldr_lit(Core& c, const DecodedInst& i) {
  if (!fp_enabled(c)) [[unlikely]] return fp_trap(c, i);
  using T = VElem<kLog2>;
  constexpr uint16_t kBytes = uint16_t{1} << kLog2;
  constexpr DataAccess kAcc{.size = kBytes, .align = kBytes, .type = AccessType::kRead};
  T v;
  if (const Flow f = load<T, kAcc>(c, i, i.imm, v); f != Flow::kNext) return f;
  set_v_from(c, i.d, v);
  return Flow::kNext;
}

// ---------------- pairs ----------------
// Both registers are one access of twice the element size, aligned per element (the pair
// rule of SCTLR_EL1.A); nothing is written unless both halves can be.
template <unsigned kLog2, bool kStore, Mode kMode, bool kSlow = false>
[[gnu::noinline]] Flow op_vpair(Core& c, const DecodedInst& i) {
  if (!fp_enabled(c)) [[unlikely]] return fp_trap(c, i);
  using E = VElem<kLog2>;
  using T = std::array<E, 2>;
  constexpr uint16_t kElem = uint16_t{1} << kLog2;
  constexpr DataAccess kAcc{.size = 2 * kElem, .align = kElem, .type = kStore ? AccessType::kWrite : AccessType::kRead};
  const uint64_t addr = address<kMode>(c, i);
  if constexpr (!kSlow) {
    uint8_t* h;
    if (!fast_hit<kAcc.type, sizeof(T), kElem>(c, addr, h)) [[unlikely]] return op_vpair<kLog2, kStore, kMode, true>(c, i);
    if constexpr (kStore) {
      guest_store<T>(h, T{v_as<E>(c, i.d), v_as<E>(c, i.a)});
      if (c.store_may_hit_code<sizeof(T)>(h)) [[unlikely]] return store_to_code_page<kMode>(c, i, h, sizeof(T), addr);
    } else {
      const T v = guest_load<T>(h);
      set_v_from(c, i.d, v[0]);
      set_v_from(c, i.a, v[1]);
    }
    writeback<kMode>(c, i, addr);
    return next(c, i);
  } else if constexpr (kStore) {
    const Flow f = store<T, kAcc>(c, i, addr, T{v_as<E>(c, i.d), v_as<E>(c, i.a)});
    if (!completed(f)) return f;
    writeback<kMode>(c, i, addr);
    return after_store(c, i, f);
  } else {
    T v;
    if (const Flow f = load<T, kAcc>(c, i, addr, v); f != Flow::kNext) return f;
    writeback<kMode>(c, i, addr);
    set_v_from(c, i.d, v[0]);
    set_v_from(c, i.a, v[1]);
    return Flow::kNext;
  }
}

// mode_bits are bits [24:23]: 00 non-temporal, 01 post, 10 offset, 11 pre.
template <bool kStore>
bool pre_vpair(DecodedInst& i, unsigned opc, unsigned mode_bits, unsigned imm7, unsigned rt2, unsigned rn, unsigned rt) {
  if (opc == 3) return false;
  const unsigned log2 = opc + 2;
  // A load pair naming one register twice is CONSTRAINED UNPREDICTABLE; UNDEFINED here, as
  // for the integer pairs (Capstone and LLVM refuse to decode it). Writeback cannot clash
  // with the transfer registers: they are in the other register file.
  if (!kStore && rt == rt2) return false;
  i.imm = static_cast<uint64_t>(arch::sign_extend(imm7, 7) << log2);
  i.n = rsp(rn);
  i.d = static_cast<uint8_t>(rt);
  i.a = static_cast<uint8_t>(rt2);
  // Indexed by bits [24:23]: non-temporal (an offset form), post-index, offset, pre-index.
  static constexpr Handler kTable[3][4] = {
      {&op_vpair<2, kStore, Mode::kOffset>, &op_vpair<2, kStore, Mode::kPost>, &op_vpair<2, kStore, Mode::kOffset>,
       &op_vpair<2, kStore, Mode::kPre>},
      {&op_vpair<3, kStore, Mode::kOffset>, &op_vpair<3, kStore, Mode::kPost>, &op_vpair<3, kStore, Mode::kOffset>,
       &op_vpair<3, kStore, Mode::kPre>},
      {&op_vpair<4, kStore, Mode::kOffset>, &op_vpair<4, kStore, Mode::kPost>, &op_vpair<4, kStore, Mode::kOffset>,
       &op_vpair<4, kStore, Mode::kPre>}};
  i.fn = kTable[opc][mode_bits];
  return true;
}

// ---------------- structures ----------------
// Predecoded fields: d = first register, a = last register (timing only), f0 = selem
// (elements per structure), f1 = registers transferred (multiple) or lane index (single),
// f2 = log2 of the element size, f3 = Q (128-bit registers), imm = bytes transferred (also
// the post-index immediate), m = Xm slot of a register post-index.
enum class Struct : uint8_t { kMultiple, kSingle, kReplicate };
enum class Post : uint8_t { kNone, kImm, kReg };
inline constexpr unsigned kMaxStructBytes = 64;  // LD4/ST4 of four Q registers
static_assert(kMaxStructBytes <= Core::kDirectMaxAccess, "the inline MMU-off path must cover every structure size");

// The inline fast path for an access whose size is known only at run time (at most
// kMaxStructBytes): as fast_hit in interp_common.h.
template <AccessType kType>
[[gnu::always_inline]] inline bool fast_hit_n(Core& c, uint64_t va, unsigned size, uint64_t align_mask, uint8_t*& h) {
  const uint64_t off = va - c.direct_base();
  if (off < c.direct_limit()) [[likely]] {
    h = c.ram_host() + off;
    return true;
  }
  if (c.direct_data()) {
    if (!c.mem().contains(va, size)) return false;
    h = c.mem().ptr(va);
    return true;
  }
  const mmu::FastEntry& e = c.mmu().fast().entry(c.data_view(false), va);
  if (!mmu::FastTlb::hit<kType>(e, va, align_mask)) return false;
  if ((va & (kPageSize - 1)) > kPageSize - size) return false;
  h = mmu::FastTlb::host(e, va);
  return true;
}

// Memory image (buf) <-> registers. Multiple structures: element e of structure k is at
// (k * selem + e) * esize and belongs to lane k of register t + e (registers wrap at 31);
// LD1/ST1 of several registers are consecutive whole registers. A load writes whole
// registers of the datasize (64-bit forms clear the upper half).
inline void unpack_multiple(Core& c, const DecodedInst& i, const uint8_t* buf) {
  const unsigned selem = i.f0, nregs = i.f1, esize = 1u << i.f2, dbytes = i.f3 ? 16 : 8;
  VReg tmp[4]{};
  if (selem == 1) {
    for (unsigned r = 0; r < nregs; ++r) std::memcpy(tmp[r].d.data(), buf + r * dbytes, dbytes);
  } else {
    const unsigned lanes = dbytes / esize;
    unsigned off = 0;
    for (unsigned k = 0; k < lanes; ++k)
      for (unsigned e = 0; e < selem; ++e, off += esize)
        std::memcpy(reinterpret_cast<uint8_t*>(tmp[e].d.data()) + k * esize, buf + off, esize);
  }
  for (unsigned r = 0; r < nregs; ++r) V(c, i.d + r) = tmp[r];
}
inline void pack_multiple(Core& c, const DecodedInst& i, uint8_t* buf) {
  const unsigned selem = i.f0, nregs = i.f1, esize = 1u << i.f2, dbytes = i.f3 ? 16 : 8;
  if (selem == 1) {
    for (unsigned r = 0; r < nregs; ++r) std::memcpy(buf + r * dbytes, V(c, i.d + r).d.data(), dbytes);
  } else {
    const unsigned lanes = dbytes / esize;
    unsigned off = 0;
    for (unsigned k = 0; k < lanes; ++k)
      for (unsigned e = 0; e < selem; ++e, off += esize)
        std::memcpy(buf + off, reinterpret_cast<const uint8_t*>(V(c, i.d + e).d.data()) + k * esize, esize);
  }
}
// Single structure: element e goes to lane `index` of register t + e; the other lanes,
// including the upper half of a 64-bit form, keep their values.
inline void unpack_single(Core& c, const DecodedInst& i, const uint8_t* buf) {
  const unsigned esize = 1u << i.f2;
  for (unsigned e = 0; e < i.f0; ++e)
    std::memcpy(reinterpret_cast<uint8_t*>(V(c, i.d + e).d.data()) + i.f1 * esize, buf + e * esize, esize);
}
inline void pack_single(Core& c, const DecodedInst& i, uint8_t* buf) {
  const unsigned esize = 1u << i.f2;
  for (unsigned e = 0; e < i.f0; ++e)
    std::memcpy(buf + e * esize, reinterpret_cast<const uint8_t*>(V(c, i.d + e).d.data()) + i.f1 * esize, esize);
}
// Load and replicate: element e fills every lane of register t + e (64-bit forms clear the
// upper half).
inline void unpack_replicate(Core& c, const DecodedInst& i, const uint8_t* buf) {
  const unsigned esize = 1u << i.f2, dbytes = i.f3 ? 16 : 8;
  for (unsigned e = 0; e < i.f0; ++e) {
    VReg r{};
    auto* p = reinterpret_cast<uint8_t*>(r.d.data());
    for (unsigned k = 0; k < dbytes; k += esize) std::memcpy(p + k, buf + e * esize, esize);
    V(c, i.d + e) = r;
  }
}

template <Struct kKind, bool kStore, Post kPost>
[[gnu::noinline]] Flow op_struct(Core& c, const DecodedInst& i) {
  if (!fp_enabled(c)) [[unlikely]] return fp_trap(c, i);
  constexpr AccessType kType = kStore ? AccessType::kWrite : AccessType::kRead;
  const uint64_t addr = R(c, i.n);
  const unsigned size = static_cast<unsigned>(i.imm);
  const unsigned esize = 1u << i.f2;
  alignas(16) uint8_t buf[kMaxStructBytes];
  uint8_t* h;
  const bool fast = fast_hit_n<kType>(c, addr, size, esize - 1, h);
  Flow f = Flow::kNext;
  if constexpr (kStore) {
    if constexpr (kKind == Struct::kMultiple) pack_multiple(c, i, buf);
    else pack_single(c, i, buf);
    if (fast) [[likely]] {
      guest_copy(h, buf, size);
      if (c.store_may_hit_code<1>(h) || c.store_may_hit_code<1>(h + size - 1)) [[unlikely]]
        f = c.mem().note_write_host(h, size) ? Flow::kRestart : Flow::kNext;
    } else {
      const DataAccess a{.size = static_cast<uint16_t>(size), .align = static_cast<uint16_t>(esize), .type = kType};
      f = mmu::access_slow(c, i, addr, a, buf);
      if (!completed(f)) return f;
    }
  } else {
    if (fast) [[likely]] {
      guest_copy(buf, h, size);
    } else {
      const DataAccess a{.size = static_cast<uint16_t>(size), .align = static_cast<uint16_t>(esize), .type = kType};
      f = mmu::access_slow(c, i, addr, a, buf);
      if (f != Flow::kNext) return f;
    }
    if constexpr (kKind == Struct::kMultiple) unpack_multiple(c, i, buf);
    else if constexpr (kKind == Struct::kSingle) unpack_single(c, i, buf);
    else unpack_replicate(c, i, buf);
  }
  if constexpr (kPost == Post::kImm) R(c, i.n) = addr + i.imm;
  else if constexpr (kPost == Post::kReg) R(c, i.n) = addr + R(c, i.m);
  if constexpr (kStore) return after_store(c, i, f);
  return Flow::kNext;
}

// Post-index: Rm = 31 means "by the transfer size" (imm), any other Rm adds X[m]. The
// immediate form still names XZR in m so the timing roles see no register dependency.
// kNoPost: the form without writeback (no Rm field).
inline constexpr unsigned kNoPost = ~0u;
template <Struct kKind, bool kStore>
Handler struct_handler(unsigned rm, DecodedInst& i) {
  if (rm == kNoPost) return &op_struct<kKind, kStore, Post::kNone>;
  i.m = rzr(rm);
  return rm == 31 ? &op_struct<kKind, kStore, Post::kImm> : &op_struct<kKind, kStore, Post::kReg>;
}

// LD1-LD4/ST1-ST4 (multiple structures): opcode -> (registers, elements per structure).
struct MultiShape {
  uint8_t rpt, selem;
};
constexpr std::array<MultiShape, 16> kMultiShapes = [] {
  std::array<MultiShape, 16> t{};  // {0, 0}: unallocated
  t[0b0000] = {1, 4};
  t[0b0010] = {4, 1};
  t[0b0100] = {1, 3};
  t[0b0110] = {3, 1};
  t[0b0111] = {1, 1};
  t[0b1000] = {1, 2};
  t[0b1010] = {2, 1};
  return t;
}();

template <bool kStore>
bool pre_multi(DecodedInst& i, unsigned q, unsigned rm, unsigned opcode, unsigned size, unsigned rn, unsigned rt) {
  const MultiShape s = kMultiShapes[opcode];
  if (s.rpt == 0) return false;
  if (size == 3 && q == 0 && s.selem != 1) return false;  // .1d only for LD1/ST1
  const unsigned nregs = s.rpt * s.selem;
  i.d = static_cast<uint8_t>(rt);
  i.a = static_cast<uint8_t>((i.d + nregs - 1) & 31);
  i.n = rsp(rn);
  i.f0 = s.selem;
  i.f1 = static_cast<uint8_t>(nregs);
  i.f2 = static_cast<uint8_t>(size);
  i.f3 = static_cast<uint8_t>(q);
  i.imm = (q ? 16u : 8u) * nregs;
  i.fn = struct_handler<Struct::kMultiple, kStore>(rm, i);
  return true;
}

// LD1-LD4/ST1-ST4 (single structure): the lane from Q:S:size by element size (Arm ARM
// C7.2 LD1 (single structure) decode).
template <bool kStore>
bool pre_single(DecodedInst& i, unsigned q, unsigned r, unsigned rm, unsigned opcode, unsigned s, unsigned size,
                unsigned rn, unsigned rt) {
  const unsigned selem = ((opcode & 1) << 1 | r) + 1;
  unsigned scale = opcode >> 1, index = 0;
  switch (scale) {
    case 0: index = q << 3 | s << 2 | size; break;
    case 1:
      if (size & 1) return false;
      index = q << 2 | s << 1 | size >> 1;
      break;
    case 2:
      if (size & 2) return false;
      if ((size & 1) == 0) {
        index = q << 1 | s;
      } else {
        if (s) return false;
        index = q;
        scale = 3;
      }
      break;
    default: return false;  // load and replicate: its own rows (L = 1, S = 0)
  }
  i.d = static_cast<uint8_t>(rt);
  i.a = static_cast<uint8_t>((i.d + selem - 1) & 31);
  i.n = rsp(rn);
  i.f0 = static_cast<uint8_t>(selem);
  i.f1 = static_cast<uint8_t>(index);
  i.f2 = static_cast<uint8_t>(scale);
  i.f3 = static_cast<uint8_t>(q);
  i.imm = selem << scale;
  i.fn = struct_handler<Struct::kSingle, kStore>(rm, i);
  return true;
}

// o is opcode<0> (bit 13), r is R (bit 21): selem = o:R + 1.
bool pre_replicate(DecodedInst& i, unsigned q, unsigned r, unsigned rm, unsigned o, unsigned size, unsigned rn,
                   unsigned rt) {
  const unsigned selem = ((o << 1) | r) + 1;
  i.d = static_cast<uint8_t>(rt);
  i.a = static_cast<uint8_t>((i.d + selem - 1) & 31);
  i.n = rsp(rn);
  i.f0 = static_cast<uint8_t>(selem);
  i.f2 = static_cast<uint8_t>(size);
  i.f3 = static_cast<uint8_t>(q);
  i.imm = selem << size;
  i.fn = struct_handler<Struct::kReplicate, false>(rm, i);
  return true;
}

}  // namespace

// The predecode functions take the fields of their row's pattern as parameters, in pattern
// order (cpu/decoder/fields.h): F<'n'> is the field marked n in the pattern. Loads and
// stores are separate rows (the row fixes L), so the store flag is a template argument.
namespace {

template <bool kStore, Mode kMode>
bool pre_vsingle_imm9(DecodedInst& i, F<'z'> size, F<'o'> opc1, F<'i'> imm9, F<'n'> rn, F<'t'> rt) {
  return pre_vsingle(i, kStore, size, opc1, rn, rt, kMode, static_cast<uint64_t>(arch::sign_extend(imm9, 9)), false);
}
template <bool kStore>
bool pre_vsingle_uimm(DecodedInst& i, F<'z'> size, F<'o'> opc1, F<'i'> imm12, F<'n'> rn, F<'t'> rt) {
  return pre_vsingle(i, kStore, size, opc1, rn, rt, Mode::kOffset, imm12, true);
}
// Register offset: option<1> must be 1 (UXTW, LSL/UXTX, SXTW, SXTX); S scales by the size.
// f0 keeps the option and f1 the shift, the form AddrMode::kBaseReg evaluates.
template <bool kStore>
bool pre_vreg(DecodedInst& i, F<'z'> size, F<'o'> opc1, F<'m'> rm, F<'x'> option, F<'S'> shift, F<'n'> rn,
              F<'t'> rt) {
  if ((option & 2) == 0) return false;
  const Mode mode = option == 2 ? Mode::kRegUxtw : option == 6 ? Mode::kRegSxtw : Mode::kRegX;
  if (!pre_vsingle(i, kStore, size, opc1, rn, rt, mode, 0, false)) return false;
  const unsigned log2 = opc1 ? 4 : static_cast<unsigned>(size);
  i.m = rzr(rm);
  i.f0 = static_cast<uint8_t>(option);
  i.f1 = static_cast<uint8_t>(shift ? log2 : 0);
  return true;
}
template <bool kStore>
bool pre_vpair_nt(DecodedInst& i, F<'o'> opc, F<'i'> imm7, F<'u'> rt2, F<'n'> rn, F<'t'> rt) {
  return pre_vpair<kStore>(i, opc, 0, imm7, rt2, rn, rt);
}
template <bool kStore>
bool pre_vpair_indexed(DecodedInst& i, F<'o'> opc, F<'m'> mode, F<'i'> imm7, F<'u'> rt2, F<'n'> rn, F<'t'> rt) {
  return pre_vpair<kStore>(i, opc, mode, imm7, rt2, rn, rt);
}
template <bool kStore>
bool pre_multi_noidx(DecodedInst& i, F<'q'> q, F<'o'> opcode, F<'z'> size, F<'n'> rn, F<'t'> rt) {
  return pre_multi<kStore>(i, q, kNoPost, opcode, size, rn, rt);
}
template <bool kStore>
bool pre_multi_post(DecodedInst& i, F<'q'> q, F<'m'> rm, F<'o'> opcode, F<'z'> size, F<'n'> rn, F<'t'> rt) {
  return pre_multi<kStore>(i, q, rm, opcode, size, rn, rt);
}
template <bool kStore>
bool pre_single_noidx(DecodedInst& i, F<'q'> q, F<'r'> r, F<'o'> opcode, F<'s'> s, F<'Z'> size, F<'n'> rn,
                      F<'t'> rt) {
  return pre_single<kStore>(i, q, r, kNoPost, opcode, s, size, rn, rt);
}
template <bool kStore>
bool pre_single_post(DecodedInst& i, F<'q'> q, F<'r'> r, F<'m'> rm, F<'o'> opcode, F<'s'> s, F<'Z'> size,
                     F<'n'> rn, F<'t'> rt) {
  return pre_single<kStore>(i, q, r, rm, opcode, s, size, rn, rt);
}
}  // namespace

bool pre_STR_V_unscaled(DecodedInst& i, uint32_t insn) { return with_fields<pattern::STR_V_unscaled>(i, insn, pre_vsingle_imm9<true, Mode::kOffset>); }
bool pre_LDR_V_unscaled(DecodedInst& i, uint32_t insn) { return with_fields<pattern::LDR_V_unscaled>(i, insn, pre_vsingle_imm9<false, Mode::kOffset>); }
bool pre_STR_V_post(DecodedInst& i, uint32_t insn) { return with_fields<pattern::STR_V_post>(i, insn, pre_vsingle_imm9<true, Mode::kPost>); }
bool pre_LDR_V_post(DecodedInst& i, uint32_t insn) { return with_fields<pattern::LDR_V_post>(i, insn, pre_vsingle_imm9<false, Mode::kPost>); }
bool pre_STR_V_pre(DecodedInst& i, uint32_t insn) { return with_fields<pattern::STR_V_pre>(i, insn, pre_vsingle_imm9<true, Mode::kPre>); }
bool pre_LDR_V_pre(DecodedInst& i, uint32_t insn) { return with_fields<pattern::LDR_V_pre>(i, insn, pre_vsingle_imm9<false, Mode::kPre>); }
bool pre_STR_V_uimm(DecodedInst& i, uint32_t insn) { return with_fields<pattern::STR_V_uimm>(i, insn, pre_vsingle_uimm<true>); }
bool pre_LDR_V_uimm(DecodedInst& i, uint32_t insn) { return with_fields<pattern::LDR_V_uimm>(i, insn, pre_vsingle_uimm<false>); }
bool pre_STR_V_reg(DecodedInst& i, uint32_t insn) { return with_fields<pattern::STR_V_reg>(i, insn, pre_vreg<true>); }
bool pre_LDR_V_reg(DecodedInst& i, uint32_t insn) { return with_fields<pattern::LDR_V_reg>(i, insn, pre_vreg<false>); }

bool pre_LDR_V_lit(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::LDR_V_lit>(i, insn, [](DecodedInst& i, F<'o'> opc, F<'i'> imm19, F<'t'> rt) {
    static constexpr Handler kTable[3] = {&op_vldr_lit<2>, &op_vldr_lit<3>, &op_vldr_lit<4>};
    if (opc == 3) return false;
    i.imm = i.pc + (arch::sign_extend(imm19, 19) << 2);
    i.d = static_cast<uint8_t>(rt);
    i.fn = kTable[opc];
    return true;
  });
}

bool pre_STNP_V(DecodedInst& i, uint32_t insn) { return with_fields<pattern::STNP_V>(i, insn, pre_vpair_nt<true>); }
bool pre_LDNP_V(DecodedInst& i, uint32_t insn) { return with_fields<pattern::LDNP_V>(i, insn, pre_vpair_nt<false>); }
bool pre_STP_V(DecodedInst& i, uint32_t insn) { return with_fields<pattern::STP_V>(i, insn, pre_vpair_indexed<true>); }
bool pre_LDP_V(DecodedInst& i, uint32_t insn) { return with_fields<pattern::LDP_V>(i, insn, pre_vpair_indexed<false>); }

bool pre_ST_multi(DecodedInst& i, uint32_t insn) { return with_fields<pattern::ST_multi>(i, insn, pre_multi_noidx<true>); }
bool pre_LD_multi(DecodedInst& i, uint32_t insn) { return with_fields<pattern::LD_multi>(i, insn, pre_multi_noidx<false>); }
bool pre_ST_multi_post(DecodedInst& i, uint32_t insn) { return with_fields<pattern::ST_multi_post>(i, insn, pre_multi_post<true>); }
bool pre_LD_multi_post(DecodedInst& i, uint32_t insn) { return with_fields<pattern::LD_multi_post>(i, insn, pre_multi_post<false>); }
bool pre_ST_single(DecodedInst& i, uint32_t insn) { return with_fields<pattern::ST_single>(i, insn, pre_single_noidx<true>); }
bool pre_LD_single(DecodedInst& i, uint32_t insn) { return with_fields<pattern::LD_single>(i, insn, pre_single_noidx<false>); }
bool pre_ST_single_post(DecodedInst& i, uint32_t insn) { return with_fields<pattern::ST_single_post>(i, insn, pre_single_post<true>); }
bool pre_LD_single_post(DecodedInst& i, uint32_t insn) { return with_fields<pattern::LD_single_post>(i, insn, pre_single_post<false>); }
bool pre_LD_rep(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::LD_rep>(i, insn, [](DecodedInst& i, F<'q'> q, F<'r'> r, F<'o'> o, F<'z'> size, F<'n'> rn, F<'t'> rt) {
    return pre_replicate(i, q, r, kNoPost, o, size, rn, rt);
  });
}
bool pre_LD_rep_post(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::LD_rep_post>(
      i, insn, [](DecodedInst& i, F<'q'> q, F<'r'> r, F<'m'> rm, F<'o'> o, F<'z'> size, F<'n'> rn, F<'t'> rt) {
        return pre_replicate(i, q, r, rm, o, size, rn, rt);
      });
}

}  // namespace cpu::interp
