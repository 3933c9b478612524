// The cycle-level timing model of one physical core. The functional core tells it, for each
// retired instruction, the instruction's static class and registers (computed once at
// decode) and its dynamic outcome (PC, data address, branch direction and target); the model
// answers with cycles and microarchitectural events. It never sees architectural state, and
// it reaches the PMU only through arch::EventCounts (ARCHITECTURE.md B0.5).
//
// Two pipeline shapes, chosen by CoreTimingParams::out_of_order:
//  - in-order, `issue_width`-wide (Cortex-A55 class): an instruction issues when its
//    operands are ready, at most issue_width per cycle and one load and one store per cycle;
//  - out-of-order (Cortex-A76/X1 class): dispatch `issue_width` per cycle, execute when
//    operands are ready, retire in order `issue_width` per cycle, with at most rob_entries
//    instructions in flight (an interval model of the ROB).
// Both share the cache hierarchy (L1I, L1D, unified L2, memory) and the branch predictor;
// a mispredicted branch redirects fetch after it executes plus mispredict_penalty cycles.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "cpu/arch/pmu_events.h"
#include "cpu/timing/bpred.h"
#include "cpu/timing/cache.h"
#include "cpu/timing/params.h"

namespace cpu::timing {

enum class OpClass : uint8_t {
  kAlu, kMul, kDiv, kLoad, kStore, kAtomic,  // atomic: a load and a store
  kBranch, kCondBranch, kIndirectBranch, kCall, kIndirectCall, kReturn,
  kSystem, kNop,
  kCount
};

inline constexpr uint8_t kNoReg = 0xff;

// What decode knows: class and up to two destinations and three sources (X0..X30; 31 = SP).
struct StaticInfo {
  OpClass cls = OpClass::kNop;
  uint8_t dst[2] = {kNoReg, kNoReg};
  uint8_t src[3] = {kNoReg, kNoReg, kNoReg};
};

// What execution knows.
struct DynInfo {
  uint64_t pc = 0;
  uint64_t addr = 0;     // data address of a load/store/atomic
  uint64_t next_pc = 0;  // for branches: the target when taken
  bool taken = false;
};

class TimingModel {
 public:
  explicit TimingModel(const CoreTimingParams& p);

  void retire(const StaticInfo& s, const DynInfo& d, arch::CountEl el);
  // Cycles taken by an exception entry or return (pipeline flush), with its event.
  void exception(arch::CountEl el, bool is_return);

  uint64_t cycles() const { return cycles_; }
  // Every event this core has emitted and drained since construction, summed over ELs: what
  // the physical PMU of this pCPU would count with a counter on each event (for reports).
  const std::array<uint64_t, arch::kNumCommonEvents>& totals() const { return totals_; }
  uint64_t instructions() const { return instructions_; }
  // Adds the events emitted since the last drain into `into`, then forgets them. Returns the
  // event numbers it added to (bit e: event e, at some EL), so a caller that drains often
  // (every trapped PMU access) can reset just those entries of `into` afterwards.
  uint64_t drain_events(arch::EventCounts& into);
  const CoreTimingParams& params() const { return p_; }

 private:
  uint32_t data_latency(uint64_t addr, bool is_store, arch::CountEl el);
  void fetch(uint64_t pc, arch::CountEl el);
  uint64_t issue_in_order(const StaticInfo& s, uint64_t ready, uint32_t latency, bool is_mem);
  uint64_t issue_out_of_order(uint64_t ready, uint32_t latency);
  void add(arch::CountEl el, uint16_t event, uint64_t n = 1) {
    pending_.add(el, event, n);
    pending_mask_ |= uint64_t{1} << event;
  }

  CoreTimingParams p_;
  Cache l1i_, l1d_, l2_;
  BranchPredictor bp_;
  std::array<uint64_t, 32> reg_ready_{};  // cycle at which each register's value is available
  uint64_t fetch_ready_ = 0;              // earliest cycle the front end can deliver
  uint64_t last_fetch_line_ = ~uint64_t{0};
  unsigned fetch_line_shift_;             // log2(L1I line bytes)
  // in-order issue state
  uint64_t cycle_ = 0;
  uint32_t issued_this_cycle_ = 0;
  uint32_t mem_this_cycle_ = 0;
  // out-of-order state
  uint64_t dispatch_cycle_ = 0;
  uint32_t dispatched_this_cycle_ = 0;
  uint64_t last_retire_ = 0;
  uint32_t retired_this_cycle_ = 0;
  std::vector<uint64_t> rob_retire_;  // retire cycle of the instruction rob_entries ago
  size_t rob_pos_ = 0;

  uint64_t cycles_ = 0;
  uint64_t instructions_ = 0;
  arch::EventCounts pending_;
  std::array<uint64_t, arch::kNumCommonEvents> totals_{};
  uint64_t pending_mask_ = 0;  // events with a count in pending_ (at some EL)
};

}  // namespace cpu::timing
