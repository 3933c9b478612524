// Helpers shared by the instruction handlers: register-slot resolution, flag arithmetic
// (Arm ARM AddWithCarry), the condition table, shifts and extends, DecodeBitMasks, and
// the inline fast path of guest memory accesses.
#pragma once

#include <array>
#include <cstring>
#include <type_traits>

#include "cpu/arch/bits.h"
#include "cpu/arch/esr.h"
#include "cpu/core.h"
#include "cpu/mmu/data_access.h"

namespace cpu::interp {

using arch::bits;
using arch::bit;

// ---- register-slot resolution for register 31 (Arm ARM C1.2.5) ----
constexpr uint8_t rzr(uint32_t r) { return static_cast<uint8_t>(r); }                  // read: XZR
constexpr uint8_t wzr(uint32_t r) { return r == 31 ? kRegSink : static_cast<uint8_t>(r); }  // write: XZR
constexpr uint8_t rsp(uint32_t r) { return r == 31 ? kRegSp : static_cast<uint8_t>(r); }    // SP

inline uint64_t& R(Core& c, uint8_t slot) { return c.state().r[slot]; }

template <bool k64>
inline uint64_t rd(Core& c, uint8_t slot) {
  const uint64_t v = c.state().r[slot];
  if constexpr (k64) return v; else return static_cast<uint32_t>(v);
}
// Writes of W registers zero the upper half (Arm ARM C1.2.4).
template <bool k64>
inline void wr(Core& c, uint8_t slot, uint64_t v) {
  if constexpr (k64) c.state().r[slot] = v; else c.state().r[slot] = static_cast<uint32_t>(v);
}

// ---- threaded dispatch ----
// The return of a handler that completed (retired, fall through): a tail call into the
// next instruction's handler, which saves the host a return and a dispatch in the loop
// and gives each handler its own indirect branch (whose history predicts the next
// handler far better than one shared call site). The block's end marker stops the chain,
// and so does the stop slot after each instruction of the step layout (Block::steps) the
// run loop uses where it runs instructions one at a time (timing, trace, the end of the
// budget), so there is no per-instruction test here. A handler that returns Flow::kNext itself is equally correct
// (the loop carries on after it), so only the hot handlers use this. Only for a handler's
// final return: the rest of the block runs inside it.
[[gnu::always_inline]] inline Flow next(Core& c, const DecodedInst& i) {
  const DecodedInst& n = (&i)[1];
  c.set_current(&n);
  return n.fn(c, n);
}

// ---- flags ----
inline constexpr uint32_t kN = 1u << 31, kZ = 1u << 30, kC = 1u << 29, kV = 1u << 28;

#if defined(__x86_64__)
// On x86-64 the host computes N, Z, C and V of the very same operation: LAHF copies
// SF:ZF:-:AF:-:PF:-:CF into AH, SETO gives OF, and this table turns AH into N, Z and C in
// the NZCV layout. x86 subtraction sets CF on borrow, where Arm's C means "no borrow",
// so the subtraction inverts C.
inline constexpr auto kAhToNzc = [] {
  std::array<uint32_t, 256> t{};
  for (unsigned ah = 0; ah < 256; ++ah)
    t[ah] = (((ah >> 7) & 1u) << 31) | (((ah >> 6) & 1u) << 30) | ((ah & 1u) << 29);
  return t;
}();
// x op y (op: add, or sub when kSub) with NZCV from the host's flags.
template <bool k64, bool kSub>
[[gnu::always_inline]] inline uint64_t host_flags_op(uint64_t x, uint64_t y, uint32_t& nzcv) {
  uint32_t ah_word;  // EAX after LAHF: the flags are in bits 15:8
  uint8_t of;
  uint64_t r;
  if constexpr (k64) {
    uint64_t acc = x;
    if constexpr (kSub) asm("subq %[b], %[a]\n\tlahf\n\tseto %[o]" : [a] "+r"(acc), "=a"(ah_word), [o] "=q"(of) : [b] "r"(y) : "cc");
    else asm("addq %[b], %[a]\n\tlahf\n\tseto %[o]" : [a] "+r"(acc), "=a"(ah_word), [o] "=q"(of) : [b] "r"(y) : "cc");
    r = acc;
  } else {
    uint32_t acc = static_cast<uint32_t>(x);
    const uint32_t b32 = static_cast<uint32_t>(y);
    if constexpr (kSub) asm("subl %[b], %[a]\n\tlahf\n\tseto %[o]" : [a] "+r"(acc), "=a"(ah_word), [o] "=q"(of) : [b] "r"(b32) : "cc");
    else asm("addl %[b], %[a]\n\tlahf\n\tseto %[o]" : [a] "+r"(acc), "=a"(ah_word), [o] "=q"(of) : [b] "r"(b32) : "cc");
    r = acc;
  }
  constexpr uint32_t kInvertC = kSub ? 1u << 29 : 0u;
  nzcv = (kAhToNzc[(ah_word >> 8) & 0xff] ^ kInvertC) | (uint32_t{of} << 28);
  return r;
}
#endif

// AddWithCarry (Arm ARM shared/functions/integer): result and NZCV. Written with the
// compiler's overflow builtins so the flags come from the host's own carry/overflow.
template <bool k64>
inline uint64_t add_with_carry(uint64_t x, uint64_t y, uint64_t carry, uint32_t& nzcv) {
  using U = std::conditional_t<k64, uint64_t, uint32_t>;
  using S = std::make_signed_t<U>;
  const U a = static_cast<U>(x), b = static_cast<U>(y), ci = static_cast<U>(carry);
  U r1, r;
  // Both sums are needed (r is the second's result), so no short-circuit between them.
  const bool c1 = __builtin_add_overflow(a, b, &r1);
  const bool c2 = __builtin_add_overflow(r1, ci, &r);
  const bool c = c1 || c2;
  S sr1, sr;
  const bool v = __builtin_add_overflow(static_cast<S>(a), static_cast<S>(b), &sr1) ^
                 __builtin_add_overflow(sr1, static_cast<S>(ci), &sr);
  constexpr unsigned kTop = sizeof(U) * 8 - 1;
  nzcv = (static_cast<uint32_t>(r >> kTop) << 31) | (static_cast<uint32_t>(r == 0) << 30) |
         (static_cast<uint32_t>(c) << 29) | (static_cast<uint32_t>(v) << 28);
  return r;
}

// x + y with flags: AddWithCarry(x, y, 0).
template <bool k64>
inline uint64_t add_with_flags(uint64_t x, uint64_t y, uint32_t& nzcv) {
#if defined(__x86_64__)
  return host_flags_op<k64, false>(x, y, nzcv);
#else
  return add_with_carry<k64>(x, y, 0, nzcv);
#endif
}

// x - y with flags, i.e. AddWithCarry(x, NOT(y), 1): C is "no borrow" (x >= y unsigned).
template <bool k64>
inline uint64_t sub_with_flags(uint64_t x, uint64_t y, uint32_t& nzcv) {
#if defined(__x86_64__)
  return host_flags_op<k64, true>(x, y, nzcv);
#else
  using U = std::conditional_t<k64, uint64_t, uint32_t>;
  using S = std::make_signed_t<U>;
  const U a = static_cast<U>(x), b = static_cast<U>(y);
  const U r = static_cast<U>(a - b);
  S sr;
  const bool v = __builtin_sub_overflow(static_cast<S>(a), static_cast<S>(b), &sr);
  constexpr unsigned kTop = sizeof(U) * 8 - 1;
  nzcv = (static_cast<uint32_t>(r >> kTop) << 31) | (static_cast<uint32_t>(r == 0) << 30) |
         (static_cast<uint32_t>(a >= b) << 29) | (static_cast<uint32_t>(v) << 28);
  return r;
#endif
}

template <bool k64>
inline uint32_t nz_flags(uint64_t r) {
  if constexpr (k64) {
    return (static_cast<uint32_t>(r >> 63) << 31) | (r == 0 ? kZ : 0);
  } else {
    const uint32_t w = static_cast<uint32_t>(r);
    return (w & 0x80000000u) | (w == 0 ? kZ : 0);
  }
}

// ConditionHolds() for every (cond, NZCV) pair, precomputed (Arm ARM C1.2.4 table).
constexpr bool cond_holds_slow(unsigned cond, unsigned f) {
  const bool n = f & 8, z = f & 4, c = f & 2, v = f & 1;
  bool r = false;
  switch (cond >> 1) {
    case 0: r = z; break;
    case 1: r = c; break;
    case 2: r = n; break;
    case 3: r = v; break;
    case 4: r = c && !z; break;
    case 5: r = n == v; break;
    case 6: r = n == v && !z; break;
    default: r = true; break;
  }
  if ((cond & 1) && cond != 15) r = !r;
  return r;
}
inline constexpr auto kCondTable = [] {
  std::array<uint16_t, 16> t{};  // bit f of t[cond] = holds for NZCV nibble f
  for (unsigned cond = 0; cond < 16; ++cond)
    for (unsigned f = 0; f < 16; ++f)
      if (cond_holds_slow(cond, f)) t[cond] |= static_cast<uint16_t>(1u << f);
  return t;
}();
inline bool cond_holds(unsigned cond, uint32_t nzcv) { return (kCondTable[cond] >> (nzcv >> 28)) & 1; }
// The same with the condition's row (kCondTable[cond]) looked up at predecode.
inline bool cond_row_holds(uint64_t row, uint32_t nzcv) { return (row >> (nzcv >> 28)) & 1; }

// ---- shifts and extends ----
enum ShiftType : uint8_t { kLsl = 0, kLsr = 1, kAsr = 2, kRor = 3 };

template <bool k64>
inline uint64_t shift_reg(uint64_t v, unsigned type, unsigned amount) {
  constexpr unsigned kW = k64 ? 64 : 32;
  if constexpr (!k64) v = static_cast<uint32_t>(v);
  if (amount == 0) return v;
  switch (type) {
    case kLsl: return k64 ? v << amount : static_cast<uint32_t>(v << amount);
    case kLsr: return v >> amount;
    case kAsr:
      return k64 ? static_cast<uint64_t>(static_cast<int64_t>(v) >> amount)
                 : static_cast<uint32_t>(static_cast<int32_t>(static_cast<uint32_t>(v)) >> amount);
    default: return arch::ror(v, amount, kW);
  }
}

// A shift of a nonzero amount fixed at predecode, or none (kShiftNone: amount 0, any
// type): the shifted-register handlers are instantiated per type so the hot path has
// neither the switch nor the zero test of shift_reg.
inline constexpr unsigned kShiftNone = 4;
template <bool k64, unsigned kType>
[[gnu::always_inline]] inline uint64_t shift_fixed(uint64_t v, unsigned amount) {
  constexpr unsigned kW = k64 ? 64 : 32;
  if constexpr (!k64) v = static_cast<uint32_t>(v);
  if constexpr (kType == kShiftNone) return v;
  else if constexpr (kType == kLsl) return k64 ? v << amount : static_cast<uint32_t>(v << amount);
  else if constexpr (kType == kLsr) return v >> amount;
  else if constexpr (kType == kAsr)
    return k64 ? static_cast<uint64_t>(static_cast<int64_t>(v) >> amount)
               : static_cast<uint32_t>(static_cast<int32_t>(static_cast<uint32_t>(v)) >> amount);
  else return k64 ? (v >> amount) | (v << (kW - amount))
                  : static_cast<uint32_t>((v >> amount) | (v << (kW - amount)));
}
// The handler-table column of a shifted-register operand: its type, or kShiftNone.
constexpr unsigned shift_column(unsigned type, unsigned amount) { return amount == 0 ? kShiftNone : type; }

// ExtendReg(): option<2> = signed, option<1:0> = source size (B/H/W/X), then shift left.
inline uint64_t extend_reg(uint64_t v, unsigned option, unsigned shift) {
  switch (option) {
    case 0: v = static_cast<uint8_t>(v); break;
    case 1: v = static_cast<uint16_t>(v); break;
    case 2: v = static_cast<uint32_t>(v); break;
    case 3: break;
    case 4: v = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int8_t>(v))); break;
    case 5: v = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int16_t>(v))); break;
    case 6: v = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(v))); break;
    default: break;
  }
  return v << shift;
}

// DecodeBitMasks() (Arm ARM shared/functions/bitmasks). Returns false for reserved values.
struct BitMasks { uint64_t wmask, tmask; };
bool decode_bit_masks(unsigned n, unsigned imms, unsigned immr, bool immediate, unsigned datasize,
                      BitMasks& out);

// ---- guest memory ----
// The inline fast path of a data access of kSize bytes whose elements are kAlign bytes.
// With SCTLR_EL1.{M,A} = {0,0} it is a RAM bounds check (VA == PA, no alignment rule for
// ordinary accesses); otherwise one compare against the fast TLB, which hits only for
// aligned accesses the current view may make to Normal memory in RAM. Each returns the
// host address through h and whether it hit; a miss goes to the slow path in
// cpu/mmu/data_access.h. (The two tests are spelled out rather than folded into one
// nullable pointer so that the MMU-off path has no extra null check.)
template <unsigned kSize>
[[gnu::always_inline]] inline bool direct_hit(Core& c, uint64_t va, uint8_t*& h) {
  const PhysMem& m = c.mem();
  if (!m.contains(va, kSize)) [[unlikely]] return false;
  h = m.ptr(va);
  return true;
}
template <mmu::AccessType kType, unsigned kSize, unsigned kAlign, bool kUnpriv>
[[gnu::always_inline]] inline bool tlb_hit(Core& c, uint64_t va, uint8_t*& h) {
  const mmu::FastEntry& e = c.mmu().fast().entry(c.data_view(kUnpriv), va);
  if (!mmu::FastTlb::hit<kType>(e, va, kAlign - 1)) [[unlikely]] return false;
  if constexpr (kSize > kAlign) {
    // A pair may run into the next page even when each element is aligned.
    if ((va & (kPageSize - 1)) > kPageSize - kSize) return false;
  }
  h = mmu::FastTlb::host(e, va);
  return true;
}
template <mmu::AccessType kType, unsigned kSize, unsigned kAlign = kSize, bool kUnpriv = false>
[[gnu::always_inline]] inline bool fast_hit(Core& c, uint64_t va, uint8_t*& h) {
  static_assert(kSize <= Core::kDirectMaxAccess);
  const uint64_t off = va - c.direct_base();
  if (off < c.direct_limit()) [[likely]] {
    h = c.ram_host() + off;
    return true;
  }
  if (c.direct_data()) return direct_hit<kSize>(c, va, h);  // the last bytes of RAM, or outside it
  return tlb_hit<kType, kSize, kAlign, kUnpriv>(c, va, h);
}

// Loads a T from va: Flow::kNext with out set, or the flow the handler must return (an
// abort was taken, or the access left run() as an MMIO exit).
template <typename T, mmu::DataAccess kAcc>
[[gnu::always_inline]] inline Flow load(Core& c, const DecodedInst& i, uint64_t va, T& out) {
  static_assert(kAcc.type == mmu::AccessType::kRead && kAcc.size == sizeof(T));
  uint8_t* h;
  if (fast_hit<mmu::AccessType::kRead, sizeof(T), kAcc.align, kAcc.unpriv>(c, va, h)) [[likely]] {
    out = guest_load<T>(h);
    return Flow::kNext;
  }
  return mmu::access_slow(c, i, va, kAcc, reinterpret_cast<uint8_t*>(&out));
}
// Stores v at va: Flow::kNext, Flow::kRestart when the store hit decoded code, or the flow
// the handler must return.
template <typename T, mmu::DataAccess kAcc>
[[gnu::always_inline]] inline Flow store(Core& c, const DecodedInst& i, uint64_t va, T v) {
  static_assert(kAcc.type == mmu::AccessType::kWrite && kAcc.size == sizeof(T));
  uint8_t* h;
  if (fast_hit<mmu::AccessType::kWrite, sizeof(T), kAcc.align, kAcc.unpriv>(c, va, h)) [[likely]] {
    guest_store<T>(h, v);
    return c.store_hits_code<sizeof(T)>(h) ? Flow::kRestart : Flow::kNext;
  }
  return mmu::access_slow(c, i, va, kAcc, reinterpret_cast<uint8_t*>(&v));
}
// The host address of a naturally aligned location an exclusive, atomic or DC ZVA works
// on in place: Flow::kNext with h set, or the flow to return.
template <mmu::DataAccess kAcc>
[[gnu::always_inline]] inline Flow resolve(Core& c, const DecodedInst& i, uint64_t va, uint8_t*& h) {
  if (fast_hit<kAcc.type, kAcc.size>(c, va, h)) [[likely]] return Flow::kNext;
  return mmu::resolve_slow(c, i, va, kAcc, h);
}
// Whether a flow from load/store/resolve means "done, carry on".
inline bool completed(Flow f) { return f == Flow::kNext || f == Flow::kRestart; }

// A synchronous Data Abort taken to EL1 for va (FAR) with fault status fsc; extra_iss adds
// ISS bits such as CM.
Flow data_abort(Core& c, const DecodedInst& inst, uint64_t va, bool is_write, uint32_t fsc, uint32_t extra_iss = 0);
inline Flow alignment_fault(Core& c, const DecodedInst& inst, uint64_t va, bool is_write) {
  return data_abort(c, inst, va, is_write, arch::esr::kFscAlignment);
}

}  // namespace cpu::interp
