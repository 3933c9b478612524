// Loads and stores (Arm ARM C4.1.88): single register in every addressing mode, pairs,
// literal, exclusives, load-acquire/store-release and the LSE atomics. Every access goes
// through the inline fast path of interp_common.h; each handler states its access as a
// constant mmu::DataAccess (size, alignment unit, permission view and the ESR ISV fields
// an MMIO exit reports).
#include <algorithm>
#include <array>
#include <cstring>
#include <mutex>
#include <type_traits>

#include "cpu/decoder/fields.h"
#include "cpu/interp/interp_common.h"
#include "cpu/interp/predecode.h"
#include "cpu/interp/visitor.h"

namespace cpu::interp {
namespace {

// What a single-register row does with its data, from (size, opc).
enum class Kind : uint8_t { kStore, kLoadZ, kLoadS64, kLoadS32, kPrefetch, kInvalid };
// kUnpriv: LDTR/STTR, offset addressing checked against EL0 permissions. The register
// offset forms are split by extend so the hot path has no extend switch: kReg is
// LSL/UXTX/SXTX (the whole X register), kRegUxtw and kRegSxtw the W forms.
enum class Mode : uint8_t { kOffset, kPre, kPost, kReg, kUnpriv, kRegUxtw, kRegSxtw };
inline constexpr unsigned kNumModes = 7;

using mmu::AccessType;
using mmu::DataAccess;

constexpr Kind kind_of(unsigned size_log2, unsigned opc) {
  switch (opc) {
    case 0: return Kind::kStore;
    case 1: return Kind::kLoadZ;
    case 2: return size_log2 == 3 ? Kind::kPrefetch : Kind::kLoadS64;
    default: return size_log2 < 2 ? Kind::kLoadS32 : Kind::kInvalid;
  }
}

template <unsigned kSizeLog2>
using Elem = std::conditional_t<kSizeLog2 == 0, uint8_t,
             std::conditional_t<kSizeLog2 == 1, uint16_t,
             std::conditional_t<kSizeLog2 == 2, uint32_t, uint64_t>>>;

template <unsigned kSizeLog2>
inline uint64_t sign_extend_elem(uint64_t v) {
  return static_cast<uint64_t>(arch::sign_extend(v, 8u << kSizeLog2));
}

// Effective address for each addressing mode; writeback happens after the access so a
// faulting access leaves the base register unchanged.
template <Mode kMode, unsigned kSizeLog2>
inline uint64_t address(Core& c, const DecodedInst& i) {
  const uint64_t base = R(c, i.n);
  if constexpr (kMode == Mode::kOffset || kMode == Mode::kPre || kMode == Mode::kUnpriv) return base + i.imm;
  else if constexpr (kMode == Mode::kPost) return base;
  else if constexpr (kMode == Mode::kReg) return base + (R(c, i.m) << i.f1);
  else if constexpr (kMode == Mode::kRegUxtw) return base + (uint64_t{static_cast<uint32_t>(R(c, i.m))} << i.f1);
  else return base + (static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(R(c, i.m)))) << i.f1);
}
template <Mode kMode>
inline void writeback(Core& c, const DecodedInst& i, uint64_t addr) {
  if constexpr (kMode == Mode::kPre) R(c, i.n) = addr;
  else if constexpr (kMode == Mode::kPost) R(c, i.n) = addr + i.imm;
}

// A store that wrote decoded code may have rewritten this very block: leave it.
inline Flow after_store(Core& c, const DecodedInst& i, Flow f) {
  if (f == Flow::kRestart) [[unlikely]] c.state().pc = i.pc + 4;
  return f;
}

// The final return of a store that completed: leave the block if it wrote decoded code,
// else carry on.
inline Flow store_done(Core& c, const DecodedInst& i, Flow f) {
  if (f == Flow::kRestart) [[unlikely]] return after_store(c, i, f);
  return next(c, i);
}

// The rare tail of a fast-path store to a page that may hold decoded code, out of line
// so the common store needs no stack frame.
template <Mode kMode, unsigned kLen>
[[gnu::noinline]] Flow store_to_code_page(Core& c, const DecodedInst& i, const uint8_t* h, uint64_t addr) {
  const Flow f = c.mem().note_write_host(h, kLen) ? Flow::kRestart : Flow::kNext;
  writeback<kMode>(c, i, addr);
  return store_done(c, i, f);
}

// The access of a single-register row. ESR ISV is 1 for it unless it writes back; SF
// says whether Rt is an X register, SSE whether the load sign-extends.
template <unsigned kSizeLog2, Kind kKind, Mode kMode>
constexpr DataAccess single_access() {
  constexpr uint16_t kBytes = uint16_t{1} << kSizeLog2;
  return DataAccess{.size = kBytes,
                    .align = kBytes,
                    .type = kKind == Kind::kStore ? AccessType::kWrite : AccessType::kRead,
                    .unpriv = kMode == Mode::kUnpriv,
                    .syndrome = kMode != Mode::kPre && kMode != Mode::kPost,
                    .sign_extend = kKind == Kind::kLoadS64 || kKind == Kind::kLoadS32,
                    .sixty_four = kKind == Kind::kLoadS64 || kSizeLog2 == 3};
}

// The fast path does the access in place; a miss re-runs the whole instruction with
// kSlow set, as a tail call, so the hot path needs no stack frame for the slow path's
// buffer.
template <unsigned kSizeLog2, Kind kKind, Mode kMode, bool kSlow = false>
[[gnu::noinline]] Flow op_ldst(Core& c, const DecodedInst& i) {
  using T = Elem<kSizeLog2>;
  constexpr DataAccess kAcc = single_access<kSizeLog2, kKind, kMode>();
  constexpr bool kStore = kKind == Kind::kStore;
  const uint64_t addr = address<kMode, kSizeLog2>(c, i);
  if constexpr (kKind == Kind::kPrefetch) {
    return Flow::kNext;  // PRFM: a hint, never faults
  } else {
    T v;
    Flow f = Flow::kNext;
    if constexpr (!kSlow) {
      uint8_t* h;
      if (!fast_hit<kAcc.type, sizeof(T), sizeof(T), kAcc.unpriv>(c, addr, h)) [[unlikely]] {
        return op_ldst<kSizeLog2, kKind, kMode, true>(c, i);
      }
      if constexpr (kStore) {
        v = static_cast<T>(R(c, i.d));
        guest_store<T>(h, v);
        if (c.store_may_hit_code<sizeof(T)>(h)) [[unlikely]] return store_to_code_page<kMode, sizeof(T)>(c, i, h, addr);
      } else {
        v = guest_load<T>(h);
      }
    } else {
      if constexpr (kStore) v = static_cast<T>(R(c, i.d));
      f = mmu::access_slow(c, i, addr, kAcc, reinterpret_cast<uint8_t*>(&v));
      if (!completed(f)) return f;
    }
    writeback<kMode>(c, i, addr);
    if constexpr (kStore) {
      return store_done(c, i, f);
    } else {
      uint64_t r = v;
      if constexpr (kKind == Kind::kLoadS64) r = sign_extend_elem<kSizeLog2>(r);
      if constexpr (kKind == Kind::kLoadS32) r = static_cast<uint32_t>(sign_extend_elem<kSizeLog2>(r));
      R(c, i.d) = r;
      return next(c, i);
    }
  }
}

// LDR Wt/Xt, [Xn, #imm] followed by the CBZ/CBNZ of Rt that ends its block
// (fuse_load_with_cbz): the load as op_ldst, then, while chaining, the branch too, on the
// value just loaded. A list walk is such a pair per node; the branch then needs neither a
// dispatch nor the reload of Rt through memory. A miss runs the load alone on its slow
// path, and the CBZ by its own handler after it; so does one instruction at a time
// (Block::steps), where the next slot is a stop slot.
template <unsigned kSizeLog2, bool k64Br, bool kNonZero>
[[gnu::noinline]] Flow op_ldr_cbz(Core& c, const DecodedInst& i) {
  using T = Elem<kSizeLog2>;
  const uint64_t addr = address<Mode::kOffset, kSizeLog2>(c, i);
  uint8_t* h;
  if (!fast_hit<AccessType::kRead, sizeof(T), sizeof(T)>(c, addr, h)) [[unlikely]] {
    return op_ldst<kSizeLog2, Kind::kLoadZ, Mode::kOffset, true>(c, i);
  }
  const uint64_t v = guest_load<T>(h);
  R(c, i.d) = v;
  if (!c.chaining()) [[unlikely]] return next(c, i);
  // As op_cbz, for the branch; it is current, so a return to the run loop counts it.
  const DecodedInst& br = (&i)[1];
  c.set_current(&br);
  const bool zero = (k64Br ? v : static_cast<uint32_t>(v)) == 0;
  c.state().pc = (zero != kNonZero) ? br.imm : br.pc + 4;
  return c.next_block(br);
}

// Handler table [size][kind][mode], built from the template once.
template <unsigned S, unsigned K, unsigned M>
constexpr Handler ldst_entry() {
  constexpr Kind kKind = static_cast<Kind>(K);
  if constexpr (kKind == Kind::kInvalid) return nullptr;
  else return &op_ldst<S, kKind, static_cast<Mode>(M)>;
}
template <unsigned S, unsigned K, size_t... M>
constexpr std::array<Handler, kNumModes> ldst_modes(std::index_sequence<M...>) { return {ldst_entry<S, K, M>()...}; }
template <unsigned S, size_t... K>
constexpr std::array<std::array<Handler, kNumModes>, 6> ldst_kinds(std::index_sequence<K...>) {
  return {ldst_modes<S, K>(std::make_index_sequence<kNumModes>{})...};
}
template <size_t... S>
constexpr std::array<std::array<std::array<Handler, kNumModes>, 6>, 4> ldst_table(std::index_sequence<S...>) {
  return {ldst_kinds<S>(std::make_index_sequence<6>{})...};
}
constexpr auto kLdstTable = ldst_table(std::make_index_sequence<4>{});

bool pre_ldst(DecodedInst& i, unsigned size, unsigned opc, unsigned rn, unsigned rt, Mode mode, uint64_t offset,
              bool allow_prefetch) {
  const Kind kind = kind_of(size, opc);
  if (kind == Kind::kInvalid || (kind == Kind::kPrefetch && !allow_prefetch)) return false;
  // A load that writes back into its own destination is CONSTRAINED UNPREDICTABLE; UNDEFINED here.
  if ((mode == Mode::kPre || mode == Mode::kPost) && kind != Kind::kStore && rn == rt && rn != 31) return false;
  // Unprivileged forms exist for B/H/W/X stores and loads, not for PRFM (rejected above).
  i.imm = offset;
  i.n = rsp(rn);
  i.d = kind == Kind::kStore ? rzr(rt) : wzr(rt);
  i.fn = kLdstTable[size][static_cast<unsigned>(kind)][static_cast<unsigned>(mode)];
  return i.fn != nullptr;
}

// ---------------- pairs ----------------
enum class PairKind : uint8_t { kStore, kLoad, kLoadSW };
// Rt and Rt2 of a load pair from its two elements, for the fast and the slow path alike:
// LDPSW sign-extends each word to 64 bits, LDP zero-extends (a W pair clears the upper
// halves, Arm ARM C1.2.4).
template <unsigned kSizeLog2, PairKind kKind>
[[gnu::always_inline]] inline void set_pair_regs(Core& c, const DecodedInst& i,
                                                 const std::array<Elem<kSizeLog2>, 2>& v) {
  if constexpr (kKind == PairKind::kLoadSW) {
    R(c, i.d) = sign_extend_elem<2>(v[0]);
    R(c, i.a) = sign_extend_elem<2>(v[1]);
  } else {
    R(c, i.d) = v[0];
    R(c, i.a) = v[1];
  }
}
// Both registers are one access of twice the element size (no ISV: a pair has no valid
// syndrome); alignment is checked per element. Nothing is written unless both halves
// can be, so a fault leaves memory and registers as they were.
// As op_ldst: the fast path does the access in place with no local whose address escapes
// (so its final tail call into the next handler stays a jump); a miss re-runs the whole
// instruction with kSlow set, kept out of line so the slow path's buffer gives the fast
// path no stack frame.
template <unsigned kSizeLog2, PairKind kKind, Mode kMode, bool kSlow = false>
[[gnu::noinline]] Flow op_pair(Core& c, const DecodedInst& i) {
  using T = std::array<Elem<kSizeLog2>, 2>;
  constexpr uint16_t kElem = uint16_t{1} << kSizeLog2;
  constexpr DataAccess kAcc{.size = 2 * kElem,
                            .align = kElem,
                            .type = kKind == PairKind::kStore ? AccessType::kWrite : AccessType::kRead};
  const uint64_t addr = address<kMode, kSizeLog2>(c, i);
  if constexpr (!kSlow) {
    uint8_t* h;
    if (!fast_hit<kAcc.type, sizeof(T), kElem>(c, addr, h)) [[unlikely]] return op_pair<kSizeLog2, kKind, kMode, true>(c, i);
    if constexpr (kKind == PairKind::kStore) {
      guest_store<T>(h, T{static_cast<Elem<kSizeLog2>>(R(c, i.d)), static_cast<Elem<kSizeLog2>>(R(c, i.a))});
      if (c.store_may_hit_code<sizeof(T)>(h)) [[unlikely]] return store_to_code_page<kMode, sizeof(T)>(c, i, h, addr);
      writeback<kMode>(c, i, addr);
      return next(c, i);
    } else {
      const T v = guest_load<T>(h);
      writeback<kMode>(c, i, addr);
      set_pair_regs<kSizeLog2, kKind>(c, i, v);
      return next(c, i);
    }
  } else if constexpr (kKind == PairKind::kStore) {
    const T v{static_cast<Elem<kSizeLog2>>(R(c, i.d)), static_cast<Elem<kSizeLog2>>(R(c, i.a))};
    const Flow f = store<T, kAcc>(c, i, addr, v);
    if (!completed(f)) [[unlikely]] return f;
    writeback<kMode>(c, i, addr);
    return after_store(c, i, f);
  } else {
    T v;
    if (const Flow f = load<T, kAcc>(c, i, addr, v); f != Flow::kNext) [[unlikely]] return f;
    writeback<kMode>(c, i, addr);
    set_pair_regs<kSizeLog2, kKind>(c, i, v);
    return Flow::kNext;
  }
}

// opc1 is bit 31 of the encoding (X or W pair; LDPSW has none and passes 0), mode_bits
// bits [24:23]: 00 no-allocate, 01 post, 10 offset, 11 pre.
template <PairKind kKind>
bool pre_pair(DecodedInst& i, unsigned opc1, unsigned mode_bits, unsigned imm7, unsigned rt2, unsigned rn,
              unsigned rt) {
  const bool wback = mode_bits == 1 || mode_bits == 3;
  // CONSTRAINED UNPREDICTABLE cases (Arm ARM K1.2.x LDP/STP): a load pair writing one
  // register twice, or writeback into a register the pair transfers. This model chooses
  // UNDEFINED, as Capstone and LLVM refuse to decode them.
  if (kKind != PairKind::kStore && rt == rt2) return false;
  if (wback && rn != 31 && (rn == rt || rn == rt2)) return false;
  const bool is64 = kKind != PairKind::kLoadSW && opc1 != 0;
  const unsigned size_log2 = is64 ? 3 : 2;
  i.imm = static_cast<uint64_t>(arch::sign_extend(imm7, 7) << size_log2);
  i.n = rsp(rn);
  if (kKind == PairKind::kStore) {
    i.d = rzr(rt);
    i.a = rzr(rt2);
  } else {
    i.d = wzr(rt);
    i.a = wzr(rt2);
  }
  // Indexed by bits [24:23]: no-allocate (an offset form), post-index, offset, pre-index.
  static constexpr Handler kTable[2][4] = {
      {&op_pair<2, kKind, Mode::kOffset>, &op_pair<2, kKind, Mode::kPost>, &op_pair<2, kKind, Mode::kOffset>,
       &op_pair<2, kKind, Mode::kPre>},
      {&op_pair<3, kKind, Mode::kOffset>, &op_pair<3, kKind, Mode::kPost>, &op_pair<3, kKind, Mode::kOffset>,
       &op_pair<3, kKind, Mode::kPre>}};
  i.fn = kTable[is64][mode_bits];
  return true;
}

// ---------------- literal ----------------
template <unsigned kSizeLog2, bool kSigned>
Flow op_ldr_lit(Core& c, const DecodedInst& i) {
  using T = Elem<kSizeLog2>;
  // LDR Wt is the only W form (LDR Xt and LDRSW Xt are the others).
  constexpr DataAccess kAcc{.size = sizeof(T),
                            .align = sizeof(T),
                            .type = AccessType::kRead,
                            .syndrome = true,
                            .sign_extend = kSigned,
                            .sixty_four = kSizeLog2 == 3 || kSigned};
  T v;
  if (const Flow f = load<T, kAcc>(c, i, i.imm, v); f != Flow::kNext) return f;
  R(c, i.d) = kSigned ? sign_extend_elem<kSizeLog2>(v) : v;
  return Flow::kNext;
}
Flow op_prfm(Core&, const DecodedInst&) { return Flow::kNext; }

// ---------------- exclusives and ordered ----------------
// Exclusive and acquire/release accesses must be naturally aligned whatever the memory
// type (Arm ARM B2.5.2), so a misaligned one takes an alignment fault.
inline bool aligned(uint64_t addr, uint64_t size) { return (addr & (size - 1)) == 0; }

// Read-modify-write and exclusive accesses work on the memory in place (no ISV: they
// never have a valid syndrome, so outside RAM they are NISV exits).
template <uint16_t kBytes, AccessType kType>
inline constexpr DataAccess kInPlace{.size = kBytes, .align = kBytes, .type = kType};

// The flow after an in-place write of n bytes at h: restart if it hit decoded code.
inline Flow note_in_place_write(Core& c, const DecodedInst& i, uint8_t* h, uint64_t n) {
  return after_store(c, i, c.mem().note_write_host(h, n) ? Flow::kRestart : Flow::kNext);
}

// Exclusives, CAS and the LSE atomics use the host's atomic instructions on the guest
// location, so they stay atomic when cores run on host threads (--threads). The location
// is naturally aligned (checked first) and guest RAM is page-aligned on the host, so the
// host address is aligned too. A store-exclusive succeeds if the monitor is armed for the
// address and the location still holds what the load-exclusive read (a compare-and-swap
// against that value): any other core's write in between makes it fail, as the global
// monitor would, except one that writes the same value back (the usual emulator ABA
// allowance; a guest cannot tell it from an earlier successful STXR of its own).
template <typename T>
T host_atomic_load(const uint8_t* h) {
  return __atomic_load_n(reinterpret_cast<const T*>(h), __ATOMIC_SEQ_CST);
}
template <typename T>
bool host_cas(uint8_t* h, T& expected, T desired) {
  return __atomic_compare_exchange_n(reinterpret_cast<T*>(h), &expected, desired, false, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST);
}
// A pair of two T as one host word when it fits (two W registers: one 64-bit CAS).
template <typename T>
constexpr bool kPairFitsWord = sizeof(T) <= 4;
template <typename T>
using PairWord = std::conditional_t<sizeof(T) == 1, uint16_t, std::conditional_t<sizeof(T) == 2, uint32_t, uint64_t>>;

template <unsigned kSizeLog2>
Flow op_ldxr(Core& c, const DecodedInst& i) {
  using T = Elem<kSizeLog2>;
  const uint64_t addr = R(c, i.n);
  if (!aligned(addr, sizeof(T))) return alignment_fault(c, i, addr, false);
  uint8_t* h;
  if (const Flow f = resolve<kInPlace<sizeof(T), AccessType::kRead>>(c, i, addr, h); f != Flow::kNext) return f;
  const T v = host_atomic_load<T>(h);
  auto& s = c.state();
  s.excl_addr = addr;
  s.excl_size = sizeof(T);
  s.excl_valid = true;
  s.excl_value[0] = v;
  R(c, i.d) = v;
  return Flow::kNext;
}
template <unsigned kSizeLog2>
Flow op_stxr(Core& c, const DecodedInst& i) {
  using T = Elem<kSizeLog2>;
  const uint64_t addr = R(c, i.n);
  if (!aligned(addr, sizeof(T))) return alignment_fault(c, i, addr, true);
  auto& s = c.state();
  bool pass = s.excl_valid && s.excl_addr == addr && s.excl_size == sizeof(T);
  s.excl_valid = false;
  Flow f = Flow::kNext;
  if (pass) {
    uint8_t* h;
    if (f = resolve<kInPlace<sizeof(T), AccessType::kWrite>>(c, i, addr, h); f != Flow::kNext) return f;
    T expected = static_cast<T>(s.excl_value[0]);
    pass = host_cas<T>(h, expected, static_cast<T>(R(c, i.d)));
    if (pass) f = note_in_place_write(c, i, h, sizeof(T));
  }
  R(c, i.m) = pass ? 0 : 1;  // status register Ws
  return f;
}
template <unsigned kSizeLog2>
Flow op_ldxp(Core& c, const DecodedInst& i) {
  using T = Elem<kSizeLog2>;
  const uint64_t addr = R(c, i.n);
  if (!aligned(addr, 2 * sizeof(T))) return alignment_fault(c, i, addr, false);
  uint8_t* h;
  if (const Flow f = resolve<kInPlace<2 * sizeof(T), AccessType::kRead>>(c, i, addr, h); f != Flow::kNext) return f;
  T v1, v2;
  if constexpr (kPairFitsWord<T>) {
    const PairWord<T> w = host_atomic_load<PairWord<T>>(h);
    std::memcpy(&v1, &w, sizeof(T));
    std::memcpy(&v2, reinterpret_cast<const uint8_t*>(&w) + sizeof(T), sizeof(T));
  } else {
    std::lock_guard g(c.mem().pair_lock(addr));
    v1 = guest_load<T>(h);
    v2 = guest_load<T>(h + sizeof(T));
  }
  auto& s = c.state();
  s.excl_addr = addr;
  s.excl_size = 2 * sizeof(T);
  s.excl_valid = true;
  s.excl_value[0] = v1;
  s.excl_value[1] = v2;
  R(c, i.d) = v1;
  R(c, i.a) = v2;
  return Flow::kNext;
}
template <unsigned kSizeLog2>
Flow op_stxp(Core& c, const DecodedInst& i) {
  using T = Elem<kSizeLog2>;
  const uint64_t addr = R(c, i.n);
  if (!aligned(addr, 2 * sizeof(T))) return alignment_fault(c, i, addr, true);
  auto& s = c.state();
  bool pass = s.excl_valid && s.excl_addr == addr && s.excl_size == 2 * sizeof(T);
  s.excl_valid = false;
  Flow f = Flow::kNext;
  if (pass) {
    uint8_t* h;
    if (f = resolve<kInPlace<2 * sizeof(T), AccessType::kWrite>>(c, i, addr, h); f != Flow::kNext) return f;
    const T want[2] = {static_cast<T>(s.excl_value[0]), static_cast<T>(s.excl_value[1])};
    const T v[2] = {static_cast<T>(R(c, i.d)), static_cast<T>(R(c, i.a))};
    if constexpr (kPairFitsWord<T>) {
      PairWord<T> expected, desired;
      std::memcpy(&expected, want, sizeof want);
      std::memcpy(&desired, v, sizeof v);
      pass = host_cas<PairWord<T>>(h, expected, desired);
    } else {
      std::lock_guard g(c.mem().pair_lock(addr));
      T cur[2];
      cur[0] = guest_load<T>(h);
      cur[1] = guest_load<T>(h + sizeof(T));
      pass = cur[0] == want[0] && cur[1] == want[1];
      if (pass) {
        guest_store<T>(h, v[0]);
        guest_store<T>(h + sizeof(T), v[1]);
      }
    }
    if (pass) f = note_in_place_write(c, i, h, sizeof v);
  }
  R(c, i.m) = pass ? 0 : 1;
  return f;
}
// Load-acquire/store-release of one register: ISV = 1 (ordered accesses keep a valid
// syndrome; only exclusives lose it).
template <unsigned kSizeLog2, bool kLoad>
Flow op_ordered(Core& c, const DecodedInst& i) {
  using T = Elem<kSizeLog2>;
  constexpr DataAccess kAcc{.size = sizeof(T),
                            .align = sizeof(T),
                            .type = kLoad ? AccessType::kRead : AccessType::kWrite,
                            .syndrome = true,
                            .sixty_four = kSizeLog2 == 3};
  const uint64_t addr = R(c, i.n);
  if (!aligned(addr, sizeof(T))) return alignment_fault(c, i, addr, !kLoad);
  if constexpr (kLoad) {
    T v;
    if (const Flow f = load<T, kAcc>(c, i, addr, v); f != Flow::kNext) return f;
    R(c, i.d) = v;
    return Flow::kNext;
  } else {
    return after_store(c, i, store<T, kAcc>(c, i, addr, static_cast<T>(R(c, i.d))));
  }
}

// ---------------- LSE ----------------
template <unsigned kSizeLog2>
Flow op_cas(Core& c, const DecodedInst& i) {
  using T = Elem<kSizeLog2>;
  const uint64_t addr = R(c, i.n);
  if (!aligned(addr, sizeof(T))) return alignment_fault(c, i, addr, true);
  // CAS needs write permission even when the comparison fails (a failed CAS may write
  // back the old value: Arm ARM C6.2 CAS), hence a write access.
  uint8_t* h;
  if (const Flow f = resolve<kInPlace<sizeof(T), AccessType::kWrite>>(c, i, addr, h); f != Flow::kNext) return f;
  T old = static_cast<T>(R(c, i.m));
  Flow f = Flow::kNext;
  if (host_cas<T>(h, old, static_cast<T>(R(c, i.d)))) f = note_in_place_write(c, i, h, sizeof(T));
  R(c, i.a) = old;  // Rs (write slot) receives the old value
  return f;
}
template <unsigned kSizeLog2>
Flow op_casp(Core& c, const DecodedInst& i) {
  using T = Elem<kSizeLog2>;
  const uint64_t addr = R(c, i.n);
  if (!aligned(addr, 2 * sizeof(T))) return alignment_fault(c, i, addr, true);
  uint8_t* h;
  if (const Flow f = resolve<kInPlace<2 * sizeof(T), AccessType::kWrite>>(c, i, addr, h); f != Flow::kNext) return f;
  const unsigned s = i.f0, t = i.f1;  // even register numbers; 31 never valid here
  const T cmp[2] = {static_cast<T>(c.x(s)), static_cast<T>(c.x(s + 1))};
  const T v[2] = {static_cast<T>(c.x(t)), static_cast<T>(c.x(t + 1))};
  T old[2];
  bool swapped;
  if constexpr (kPairFitsWord<T>) {
    PairWord<T> expected, desired;
    std::memcpy(&expected, cmp, sizeof cmp);
    std::memcpy(&desired, v, sizeof v);
    swapped = host_cas<PairWord<T>>(h, expected, desired);
    std::memcpy(old, &expected, sizeof old);
  } else {
    std::lock_guard g(c.mem().pair_lock(addr));
    old[0] = guest_load<T>(h);
    old[1] = guest_load<T>(h + sizeof(T));
    swapped = old[0] == cmp[0] && old[1] == cmp[1];
    if (swapped) {
      guest_store<T>(h, v[0]);
      guest_store<T>(h + sizeof(T), v[1]);
    }
  }
  const Flow f = swapped ? note_in_place_write(c, i, h, sizeof v) : Flow::kNext;
  c.set_x(s, old[0]);
  c.set_x(s + 1, old[1]);
  return f;
}

enum class AtomicOp : uint8_t { kAdd, kClr, kEor, kSet, kSmax, kSmin, kUmax, kUmin, kSwp };
template <AtomicOp kOp, typename T>
constexpr T atomic_combine(T old, T v) {
  using S = std::make_signed_t<T>;
  switch (kOp) {
    case AtomicOp::kAdd: return static_cast<T>(old + v);
    case AtomicOp::kClr: return old & static_cast<T>(~v);
    case AtomicOp::kEor: return old ^ v;
    case AtomicOp::kSet: return old | v;
    case AtomicOp::kSmax: return static_cast<S>(old) > static_cast<S>(v) ? old : v;
    case AtomicOp::kSmin: return static_cast<S>(old) < static_cast<S>(v) ? old : v;
    case AtomicOp::kUmax: return old > v ? old : v;
    case AtomicOp::kUmin: return old < v ? old : v;
    case AtomicOp::kSwp: break;
  }
  return v;
}
template <unsigned kSizeLog2, AtomicOp kOp>
Flow op_atomic(Core& c, const DecodedInst& i) {
  using T = Elem<kSizeLog2>;
  const uint64_t addr = R(c, i.n);
  if (!aligned(addr, sizeof(T))) return alignment_fault(c, i, addr, true);
  uint8_t* h;
  if (const Flow f = resolve<kInPlace<sizeof(T), AccessType::kWrite>>(c, i, addr, h); f != Flow::kNext) return f;
  const T v = static_cast<T>(R(c, i.m));
  // One host read-modify-write: a compare-and-swap loop covers every operation.
  T old = host_atomic_load<T>(h);
  while (!host_cas<T>(h, old, atomic_combine<kOp>(old, v))) {
  }
  R(c, i.d) = old;
  return note_in_place_write(c, i, h, sizeof(T));
}

#define PMUEMU_BY_SIZE(fn) {&fn<0>, &fn<1>, &fn<2>, &fn<3>}

}  // namespace

// The predecode functions take the fields of their row's pattern as parameters, in pattern
// order (cpu/decoder/fields.h): F<'n'> is the field marked n in the pattern.
namespace {

// The single-register immediate forms: imm9 signed (unscaled, pre, post, unprivileged).
template <Mode kMode, bool kAllowPrefetch>
bool pre_ldst_imm9(DecodedInst& i, F<'z'> size, F<'o'> opc, F<'i'> imm9, F<'n'> rn, F<'t'> rt) {
  return pre_ldst(i, size, opc, rn, rt, kMode, static_cast<uint64_t>(arch::sign_extend(imm9, 9)), kAllowPrefetch);
}
// The pairs with a mode field (STP, LDP) and the non-temporal ones (mode 00, no field).
template <PairKind kKind>
bool pre_pair_indexed(DecodedInst& i, F<'o'> opc1, F<'m'> mode, F<'i'> imm7, F<'u'> rt2, F<'n'> rn, F<'t'> rt) {
  return pre_pair<kKind>(i, opc1, mode, imm7, rt2, rn, rt);
}
template <PairKind kKind>
bool pre_pair_nt(DecodedInst& i, F<'o'> opc1, F<'i'> imm7, F<'u'> rt2, F<'n'> rn, F<'t'> rt) {
  return pre_pair<kKind>(i, opc1, 0, imm7, rt2, rn, rt);
}
// Load-acquire/store-release and load-exclusive: one size-indexed handler, Rt and Rn. The
// acquire/release bit (a) needs nothing more: every access is single-copy atomic and in
// program order here.
template <const Handler (&kTable)[4], bool kStore>
bool pre_ordered(DecodedInst& i, F<'z'> size, F<'a'> /*o0*/, F<'n'> rn, F<'t'> rt) {
  i.n = rsp(rn);
  i.d = kStore ? rzr(rt) : wzr(rt);
  i.fn = kTable[size];
  return true;
}
constexpr Handler kLdxr[4] = PMUEMU_BY_SIZE(op_ldxr);
constexpr Handler kStxr[4] = PMUEMU_BY_SIZE(op_stxr);
constexpr Handler kCas[4] = PMUEMU_BY_SIZE(op_cas);
constexpr Handler kLdar[4] = {&op_ordered<0, true>, &op_ordered<1, true>, &op_ordered<2, true>, &op_ordered<3, true>};
constexpr Handler kStlr[4] = {&op_ordered<0, false>, &op_ordered<1, false>, &op_ordered<2, false>,
                              &op_ordered<3, false>};
}  // namespace

bool pre_LDST_unscaled(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::LDST_unscaled>(i, insn, pre_ldst_imm9<Mode::kOffset, true>);
}
bool pre_LDST_post(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::LDST_post>(i, insn, pre_ldst_imm9<Mode::kPost, false>);
}
// LDTR/STTR: unprivileged accesses, checked against EL0 permissions even at EL1 (PAN is
// not implemented, so nothing else changes; Arm ARM C6.2 LDTR).
bool pre_LDST_unpriv(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::LDST_unpriv>(i, insn, pre_ldst_imm9<Mode::kUnpriv, false>);
}
bool pre_LDST_pre(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::LDST_pre>(i, insn, pre_ldst_imm9<Mode::kPre, false>);
}
bool pre_LDST_uimm(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::LDST_uimm>(
      i, insn, [](DecodedInst& i, F<'z'> size, F<'o'> opc, F<'i'> imm12, F<'n'> rn, F<'t'> rt) {
        return pre_ldst(i, size, opc, rn, rt, Mode::kOffset, uint64_t{imm12} << size, true);
      });
}
bool pre_LDST_reg(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::LDST_reg>(
      i, insn,
      [](DecodedInst& i, F<'z'> size, F<'o'> opc, F<'m'> rm, F<'x'> option, F<'S'> shift, F<'n'> rn, F<'t'> rt) {
        if ((option & 2) == 0) return false;  // only UXTW, LSL/UXTX, SXTW, SXTX
        const Mode mode = option == 2 ? Mode::kRegUxtw : option == 6 ? Mode::kRegSxtw : Mode::kReg;
        if (!pre_ldst(i, size, opc, rn, rt, mode, 0, true)) return false;
        i.m = rzr(rm);
        i.f0 = static_cast<uint8_t>(option);
        i.f1 = static_cast<uint8_t>(shift ? size : 0);
        return true;
      });
}

bool pre_STP(DecodedInst& i, uint32_t insn) { return with_fields<pattern::STP>(i, insn, pre_pair_indexed<PairKind::kStore>); }
bool pre_LDP(DecodedInst& i, uint32_t insn) { return with_fields<pattern::LDP>(i, insn, pre_pair_indexed<PairKind::kLoad>); }
bool pre_STNP(DecodedInst& i, uint32_t insn) { return with_fields<pattern::STNP>(i, insn, pre_pair_nt<PairKind::kStore>); }
bool pre_LDNP(DecodedInst& i, uint32_t insn) { return with_fields<pattern::LDNP>(i, insn, pre_pair_nt<PairKind::kLoad>); }
bool pre_LDPSW(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::LDPSW>(i, insn, [](DecodedInst& i, F<'m'> mode, F<'i'> imm7, F<'u'> rt2, F<'n'> rn, F<'t'> rt) {
    if (mode == 0) return false;  // no non-temporal LDPSW
    return pre_pair<PairKind::kLoadSW>(i, 0, mode, imm7, rt2, rn, rt);
  });
}

bool pre_LDR_lit(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::LDR_lit>(i, insn, [](DecodedInst& i, F<'o'> opc, F<'i'> imm19, F<'t'> rt) {
    static constexpr Handler kTable[4] = {&op_ldr_lit<2, false>, &op_ldr_lit<3, false>, &op_ldr_lit<2, true>, &op_prfm};
    i.imm = i.pc + (arch::sign_extend(imm19, 19) << 2);
    i.d = wzr(rt);
    i.fn = kTable[opc];
    return true;
  });
}

bool pre_LDXR(DecodedInst& i, uint32_t insn) { return with_fields<pattern::LDXR>(i, insn, pre_ordered<kLdxr, false>); }
bool pre_STXR(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::STXR>(i, insn, [](DecodedInst& i, F<'z'> size, F<'s'> rs, F<'a'> o0, F<'n'> rn, F<'t'> rt) {
    i.m = wzr(rs);
    return pre_ordered<kStxr, true>(i, size, o0, rn, rt);
  });
}
bool pre_LDXP(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::LDXP>(i, insn, [](DecodedInst& i, F<'z'> sz, F<'a'> /*o0*/, F<'u'> rt2, F<'n'> rn, F<'t'> rt) {
    if (rt == rt2) return false;  // Rt == Rt2: CONSTRAINED UNPREDICTABLE, UNDEFINED here
    i.n = rsp(rn);
    i.d = wzr(rt);
    i.a = wzr(rt2);
    i.fn = sz ? &op_ldxp<3> : &op_ldxp<2>;
    return true;
  });
}
bool pre_STXP(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::STXP>(
      i, insn, [](DecodedInst& i, F<'z'> sz, F<'s'> rs, F<'a'> /*o0*/, F<'u'> rt2, F<'n'> rn, F<'t'> rt) {
        i.n = rsp(rn);
        i.d = rzr(rt);
        i.a = rzr(rt2);
        i.m = wzr(rs);
        i.fn = sz ? &op_stxp<3> : &op_stxp<2>;
        return true;
      });
}
bool pre_LDAR(DecodedInst& i, uint32_t insn) { return with_fields<pattern::LDAR>(i, insn, pre_ordered<kLdar, false>); }
bool pre_STLR(DecodedInst& i, uint32_t insn) { return with_fields<pattern::STLR>(i, insn, pre_ordered<kStlr, true>); }
bool pre_CAS(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::CAS>(
      i, insn, [](DecodedInst& i, F<'z'> size, F<'L'> /*acquire*/, F<'s'> rs, F<'a'> /*release*/, F<'n'> rn, F<'t'> rt) {
        i.n = rsp(rn);
        i.d = rzr(rt);  // Rt: new value
        i.m = rzr(rs);  // Rs: compare value (read)
        i.a = wzr(rs);  // Rs: old value (write)
        i.fn = kCas[size];
        return true;
      });
}
bool pre_CASP(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::CASP>(
      i, insn, [](DecodedInst& i, F<'z'> sz, F<'L'> /*acquire*/, F<'s'> rs, F<'a'> /*release*/, F<'n'> rn, F<'t'> rt) {
        if ((rs & 1) || (rt & 1)) return false;  // register pairs must start at an even register
        i.n = rsp(rn);
        i.f0 = static_cast<uint8_t>(rs);
        i.f1 = static_cast<uint8_t>(rt);
        i.fn = sz ? &op_casp<3> : &op_casp<2>;
        return true;
      });
}
bool pre_LSE_atomic(DecodedInst& i, uint32_t insn) {
  return with_fields<pattern::LSE_atomic>(
      i, insn,
      [](DecodedInst& i, F<'z'> size, F<'A'> /*acquire*/, F<'R'> /*release*/, F<'s'> rs, F<'o'> o3_opc, F<'n'> rn,
         F<'t'> rt) {
        const unsigned o3 = o3_opc >> 3, opc = o3_opc & 7;
        if (o3 && opc != 0) return false;  // only SWP in the o3 = 1 space (LDAPR etc. not implemented)
        const AtomicOp op = o3 ? AtomicOp::kSwp : static_cast<AtomicOp>(opc);
#define PMUEMU_ATOMIC_ROW(op) {&op_atomic<0, op>, &op_atomic<1, op>, &op_atomic<2, op>, &op_atomic<3, op>}
        static constexpr Handler kTable[9][4] = {
            PMUEMU_ATOMIC_ROW(AtomicOp::kAdd),  PMUEMU_ATOMIC_ROW(AtomicOp::kClr),  PMUEMU_ATOMIC_ROW(AtomicOp::kEor),
            PMUEMU_ATOMIC_ROW(AtomicOp::kSet),  PMUEMU_ATOMIC_ROW(AtomicOp::kSmax), PMUEMU_ATOMIC_ROW(AtomicOp::kSmin),
            PMUEMU_ATOMIC_ROW(AtomicOp::kUmax), PMUEMU_ATOMIC_ROW(AtomicOp::kUmin), PMUEMU_ATOMIC_ROW(AtomicOp::kSwp)};
#undef PMUEMU_ATOMIC_ROW
        i.n = rsp(rn);
        i.m = rzr(rs);
        i.d = wzr(rt);
        i.fn = kTable[static_cast<unsigned>(op)][size];
        return true;
      });
}

namespace {
// The plain handlers of LDR Wt and LDR Xt with an immediate offset, and their fused forms
// [size: W, X][branch tests W, X][CBZ, CBNZ].
constexpr std::array<Handler, 2> kFusableLoads = {&op_ldst<2, Kind::kLoadZ, Mode::kOffset>,
                                                  &op_ldst<3, Kind::kLoadZ, Mode::kOffset>};
template <unsigned kSizeLog2>
constexpr std::array<std::array<Handler, 2>, 2> ldr_cbz_row() {
  return {{{&op_ldr_cbz<kSizeLog2, false, false>, &op_ldr_cbz<kSizeLog2, false, true>},
           {&op_ldr_cbz<kSizeLog2, true, false>, &op_ldr_cbz<kSizeLog2, true, true>}}};
}
constexpr std::array<std::array<std::array<Handler, 2>, 2>, 2> kLdrCbz = {ldr_cbz_row<2>(), ldr_cbz_row<3>()};
}  // namespace

bool fuse_load_with_cbz(DecodedInst& load, const DecodedInst& cbz, bool nonzero) {
  // The branch must test the register the load wrote (not XZR: a load to XZR writes the
  // sink slot, never register 31).
  if (cbz.n != load.d) return false;
  const auto row = std::find(kFusableLoads.begin(), kFusableLoads.end(), load.fn);
  if (row == kFusableLoads.end()) return false;
  const bool x_br = cbz.f0 != 0;  // sf, from the CBZ row's pattern
  load.fn = kLdrCbz[static_cast<size_t>(row - kFusableLoads.begin())][x_br][nonzero];
  return true;
}

}  // namespace cpu::interp
