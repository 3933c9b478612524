// The cycle-level timing model of one physical core. The functional core tells it, for each
// retired instruction, the instruction's static class and registers (computed once at
// decode) and its dynamic outcome (PC, data address, branch direction and target); the model
// answers with cycles and microarchitectural events. It never sees architectural state, and
// it reaches the PMU only through arch::EventCounts (the event interface between the two).
//
// Two pipeline shapes, chosen by CoreTimingParams::out_of_order:
//  - in-order, `issue_width`-wide (Cortex-A55 class): an instruction issues when its
//    operands are ready, at most issue_width per cycle and one load and one store per cycle;
//  - out-of-order (Cortex-A76/X1 class): dispatch `issue_width` per cycle, execute when
//    operands are ready, retire in order `issue_width` per cycle, with at most rob_entries
//    instructions in flight (an interval model of the ROB).
// Both share the cache hierarchy (L1I, L1D, unified L2, memory) and the branch predictor;
// a mispredicted branch redirects fetch after it executes plus mispredict_penalty cycles.
//
// retire() is inline (the run loop calls it for every instruction): its common path is table
// lookups and a few compares; cache misses, new fetch lines that miss the MRU way, unusual
// branches and mispredicts go out of line. The events every instruction, load, store or
// branch emits are counted in a per-EL segment (see flush_segment()) and turned into
// EventCounts at drain time or when the EL changes, with the same totals.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>

#include "cpu/arch/pmu_events.h"
#include "cpu/timing/bpred.h"
#include "cpu/timing/cache.h"
#include "cpu/timing/params.h"

namespace cpu::timing {

enum class OpClass : uint8_t {
  kAlu, kMul, kDiv, kLoad, kStore, kAtomic,  // atomic: a load and a store
  kBranch, kCondBranch, kIndirectBranch, kCall, kIndirectCall, kReturn,
  kSystem, kNop,
  // SIMD&FP. Scalar floating point (VFP_SPEC): add/compare/convert/move, multiply and fused
  // multiply-add, divide and square root. Advanced SIMD (ASE_SPEC): integer, integer
  // multiply, and floating point (vector and AdvSIMD scalar forms) with the scalar FP
  // classes' latencies. Crypto (CRYPTO_SPEC). Transfers between general and SIMD&FP
  // registers (FMOV general, UMOV, SMOV, DUP/INS general) count in none of the three: the
  // events exclude operations that only move data to or from the SIMD&FP registers.
  kFpAlu, kFpMul, kFpDiv, kSimdAlu, kSimdMul, kSimdFpAlu, kSimdFpMul, kSimdFpDiv, kCrypto, kFpMove, kSimdMove,
  kCount
};

// No register: a source kNoReg reads reg_ready_[0xff], which stays 0; an unused destination
// is kNoDst, whose entry no source reads, so the model writes both destinations unmasked.
inline constexpr uint8_t kNoReg = 0xff;
inline constexpr uint8_t kNoDst = 0xfe;

// What decode knows: class and up to two destinations and three sources (X0..X30; 31 = SP).
struct StaticInfo {
  OpClass cls = OpClass::kNop;
  uint8_t dst[2] = {kNoDst, kNoDst};
  uint8_t src[3] = {kNoReg, kNoReg, kNoReg};
};

// What execution knows.
struct DynInfo {
  uint64_t pc = 0;
  uint64_t addr = 0;     // data address of a load/store/atomic
  uint64_t next_pc = 0;  // for branches: the target when taken
  bool taken = false;
};

// What a run loop knows of an instruction at compile time, to narrow the model's work for
// it (TimingModel::retire_at_el).
enum class Mem : uint8_t { kMaybe, kYes, kNo };
struct RetireAs {
  Mem mem = Mem::kMaybe;  // a load/store/atomic or not (the loop forms its address already)
  // false: not a branch (one that completes within its block; a branch ends its block
  // and goes through retire()).
  bool may_branch = true;
  // false: the loop counts its instructions itself and hands the count over with
  // count_retired() before anything reads the model (instructions(), cycles(),
  // drain_events()).
  bool count = true;
  // true: the instruction at pc - 4 was the last one retired (the next instruction of a
  // straight-line block), so its fetch needs a new line exactly when pc starts one.
  bool follows = false;
};

class TimingModel {
 public:
  explicit TimingModel(const CoreTimingParams& p);
  TimingModel(const TimingModel&) = delete;
  TimingModel& operator=(const TimingModel&) = delete;

  [[gnu::always_inline]] inline void retire(const StaticInfo& s, const DynInfo& d, arch::CountEl el);

  // The same in two steps, for a run loop that retires a block's instructions at one EL:
  // enter_el(el) before the block (and again whenever the EL may have changed), then
  // retire_at_el<kOutOfOrder>(s, d) for each instruction, with kOutOfOrder == out_of_order()
  // fixed outside the loop. retire(s, d, el) is enter_el(el) followed by retire_at_el.
  bool out_of_order() const { return out_of_order_; }
  void enter_el(arch::CountEl el) {
    if (el != seg_el_) [[unlikely]] switch_el(el);
  }
  // What a run loop knows of the instruction at compile time narrows the work (RetireAs).
  template <bool kOutOfOrder, RetireAs kAs = RetireAs{}>
  [[gnu::always_inline]] inline void retire_at_el(const StaticInfo& s, const DynInfo& d);
  void count_retired(uint64_t n) { instructions_ += n; }
  // Cycles taken by an exception entry or return (pipeline flush), with its event.
  void exception(arch::CountEl el, bool is_return);

  // The cycle at which the last retired instruction completed (0 before the first): the
  // out-of-order pipeline's retire cycle, the cycle after the in-order pipeline's last issue.
  uint64_t cycles() const { return out_of_order_ ? last_retire_ : instructions_ != 0 ? cycle_ + 1 : 0; }
  // Every event this core has emitted and drained since construction, summed over ELs: what
  // the physical PMU of this pCPU would count with a counter on each event (for reports).
  const std::array<uint64_t, arch::kNumEvents>& totals() const { return totals_; }
  uint64_t instructions() const { return instructions_; }
  // Adds the events emitted since the last drain into `into`, then forgets them. Returns the
  // event numbers it added to (at some EL), so a caller that drains often (every trapped PMU
  // access) can reset just those entries of `into` afterwards (EventCounts::clear(mask)).
  arch::EventMask drain_events(arch::EventCounts& into);
  const CoreTimingParams& params() const { return p_; }

 private:
  enum : uint8_t { kFlagLoad = 1, kFlagStore = 2, kFlagMem = 4, kFlagBranch = 8 };
  // Bits 5:4 of ClassInfo::flags: which operation-mix event the class counts in.
  enum : uint8_t { kSpecNone = 0, kSpecAse = 1, kSpecVfp = 2, kSpecCrypto = 3 };
  static constexpr unsigned kSpecShift = 4;
  // Per OpClass, fixed at construction: the execution latency (loads and stores replace it
  // with the latency of the level that hits) and what the class is.
  // In-order issue slots: slots_ counts the instructions issued in the current cycle (bits
  // 0-7) and the memory operations among them (bits 8 and up); an instruction needs a new
  // cycle when (slots_ & slot_mask) >= issue_width: all slots taken, or for a memory
  // operation also the load/store pipe (any count at bit 8 exceeds the width).
  struct ClassInfo {
    uint16_t latency = 1;
    uint8_t flags = 0;
    BranchKind branch = BranchKind::kDirect;
    uint16_t slot_mask = 0xff;  // 0xffff for memory operations
    uint16_t slot_inc = 1;      // 1 + 256 for memory operations
  };
  static_assert(sizeof(ClassInfo) == 8);
  // reg_ready_ has 256 entries so that a source kNoReg (0xff) reads entry 255, which stays
  // 0, and a destination kNoDst (0xfe) lands on entry 254, which no source reads. No test
  // per register.

  [[gnu::always_inline]] inline uint32_t data_latency(uint64_t addr, uint8_t flags);
  uint32_t data_miss(uint64_t addr, bool is_store, arch::CountEl el);
  void fetch_miss(uint64_t pc, arch::CountEl el);
  void mispredict(uint64_t done, arch::CountEl el);
  void switch_el(arch::CountEl el);
  void flush_segment();
  [[gnu::always_inline]] inline uint64_t issue_in_order(uint64_t ready, const ClassInfo& c, uint32_t latency);
  [[gnu::always_inline]] inline uint64_t issue_out_of_order(uint64_t ready, uint32_t latency);
  void add(arch::CountEl el, uint16_t event, uint64_t n = 1) {
    pending_.add(el, event, n);
    pending_mask_.set(event);
  }

  // Hot state first.
  bool out_of_order_;
  uint32_t issue_width_;
  uint32_t load_to_use_;
  unsigned fetch_line_shift_;             // log2(L1I line bytes)
  uint64_t fetch_line_offset_mask_;       // L1I line bytes - 1
  uint64_t last_fetch_line_ = ~uint64_t{0};
  uint64_t fetch_ready_ = 0;              // earliest cycle the front end can deliver
  // in-order issue state
  uint64_t cycle_ = 0;
  uint32_t slots_ = 0;
  // out-of-order state
  uint64_t dispatch_cycle_ = 0;
  uint32_t dispatched_this_cycle_ = 0;
  uint32_t retired_this_cycle_ = 0;
  uint64_t last_retire_ = 0;
  uint64_t* rob_retire_;  // retire cycle of the instruction rob_entries ago (a ring)
  uint64_t* rob_end_;
  uint64_t* rob_pos_;

  uint64_t instructions_ = 0;

  // The current EL segment: what it emitted of the per-instruction events, counted in bulk.
  // INST_RETIRED and CPU_CYCLES are the growth of instructions_ and cycles() since the
  // segment began; L1D_CACHE = MEM_ACCESS = loads + stores (atomics count as loads, like
  // LD_RETIRED); BR_RETIRED = BR_PRED = branches.
  arch::CountEl seg_el_ = arch::CountEl::kEl0;
  uint64_t seg_insts0_ = 0, seg_cycles0_ = 0;
  uint64_t seg_stall_backend_ = 0;
  uint64_t seg_loads_ = 0, seg_stores_ = 0, seg_branches_ = 0, seg_l1i_ = 0;
  // Instructions per operation-mix kind (kSpec*; entry kSpecNone is never read): one
  // indexed add per instruction, no test.
  std::array<uint64_t, 4> seg_spec_{};

  std::array<ClassInfo, static_cast<size_t>(OpClass::kCount)> classes_;
  alignas(64) std::array<uint64_t, 256> reg_ready_{};  // cycle at which each register's value is available

  CoreTimingParams p_;
  Cache l1i_, l1d_, l2_;
  BranchPredictor bp_;
  std::unique_ptr<uint64_t[]> rob_storage_;

  arch::EventCounts pending_;
  std::array<uint64_t, arch::kNumEvents> totals_{};
  arch::EventMask pending_mask_;  // events with a count in pending_ (at some EL)
};

// In-order: issue when operands are ready and an issue slot (and, for memory operations, a
// load/store pipe) is free in that cycle.
inline uint64_t TimingModel::issue_in_order(uint64_t ready, const ClassInfo& c, uint32_t latency) {
  // The cycles spent waiting for operands past the current cycle are the back-end stall.
  const uint64_t operands = std::max(cycle_, ready);
  seg_stall_backend_ += operands - cycle_;
  uint64_t issue = std::max(operands, fetch_ready_);
  uint32_t slots = issue > cycle_ ? 0 : slots_;  // a later cycle starts with every slot free
  if ((slots & c.slot_mask) >= issue_width_) {
    ++issue;
    slots = 0;
  }
  cycle_ = issue;
  slots_ = slots + c.slot_inc;
  return issue + latency;
}

// Out-of-order: dispatch in order (width per cycle, bounded by the ROB), execute when the
// operands are ready, retire in order (width per cycle).
inline uint64_t TimingModel::issue_out_of_order(uint64_t ready, uint32_t latency) {
  uint64_t d = std::max({dispatch_cycle_, fetch_ready_, *rob_pos_});
  uint32_t dispatched = d > dispatch_cycle_ ? 0 : dispatched_this_cycle_;
  if (dispatched >= issue_width_) {
    ++d;
    dispatched = 0;
  }
  dispatch_cycle_ = d;
  dispatched_this_cycle_ = dispatched + 1;
  const uint64_t done = std::max(d + 1, ready) + latency;
  uint64_t retire = std::max(last_retire_, done);
  uint32_t retired = retire > last_retire_ ? 0 : retired_this_cycle_;
  if (retired >= issue_width_) {
    ++retire;
    retired = 0;
  }
  last_retire_ = retire;
  retired_this_cycle_ = retired + 1;
  *rob_pos_ = retire;
  if (++rob_pos_ == rob_end_) rob_pos_ = rob_retire_;  // a ring: no division per instruction
  return done;
}

// Loads and stores: L1D on the fast path (the cache's own one-line filter and MRU way).
inline uint32_t TimingModel::data_latency(uint64_t addr, uint8_t flags) {
  const bool is_load = (flags & kFlagLoad) != 0;  // an atomic is a load here (LD_RETIRED)
  if (is_load) ++seg_loads_;
  else ++seg_stores_;
  if (l1d_.access(addr)) [[likely]] return is_load ? load_to_use_ : 1;
  return data_miss(addr, !is_load, seg_el_);
}

template <bool kOutOfOrder, RetireAs kAs>
inline void TimingModel::retire_at_el(const StaticInfo& s, const DynInfo& d) {
  const ClassInfo& c = classes_[static_cast<size_t>(s.cls)];
  // Fetch: L1I is looked up once per new line (line_bytes is a power of two: a shift).
  const bool new_line = kAs.follows ? (d.pc & fetch_line_offset_mask_) == 0 : (d.pc >> fetch_line_shift_) != last_fetch_line_;
  if (new_line) {
    const uint64_t line = d.pc >> fetch_line_shift_;
    last_fetch_line_ = line;
    ++seg_l1i_;
    if (!l1i_.access_line(line)) [[unlikely]] fetch_miss(d.pc, seg_el_);
  }
  const uint64_t ready = std::max({reg_ready_[s.src[0]], reg_ready_[s.src[1]], reg_ready_[s.src[2]]});
  uint32_t latency = c.latency;
  if constexpr (kAs.mem == Mem::kYes) latency = data_latency(d.addr, c.flags);
  else if constexpr (kAs.mem == Mem::kMaybe)
    if (c.flags & kFlagMem) latency = data_latency(d.addr, c.flags);

  uint64_t done;
  if constexpr (kOutOfOrder) {
    const uint64_t stall_from = dispatch_cycle_;
    done = issue_out_of_order(ready, latency);
    seg_stall_backend_ += ready > stall_from ? ready - stall_from : 0;
  } else {
    done = issue_in_order(ready, c, latency);  // counts the back-end stall itself
  }
  reg_ready_[s.dst[0]] = done;
  reg_ready_[s.dst[1]] = done;
  ++seg_spec_[c.flags >> kSpecShift];

  if (kAs.may_branch && (c.flags & kFlagBranch)) {
    ++seg_branches_;
    if (bp_.predict_and_update(c.branch, d.pc, d.taken, d.next_pc)) [[unlikely]] mispredict(done, seg_el_);
  }
  if constexpr (kAs.count) ++instructions_;
}

inline void TimingModel::retire(const StaticInfo& s, const DynInfo& d, arch::CountEl el) {
  enter_el(el);
  if (out_of_order_) retire_at_el<true>(s, d);
  else retire_at_el<false>(s, d);
}

}  // namespace cpu::timing
