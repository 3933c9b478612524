#include "cpu/timing/timing_model.h"

#include <algorithm>
#include <bit>

namespace cpu::timing {
namespace {

namespace ev {
// Common event numbers (Arm ARM D17.11) the model emits.
constexpr uint16_t kL1iRefill = 0x01, kL1dRefill = 0x03, kL1d = 0x04, kLdRetired = 0x06, kStRetired = 0x07,
                   kInstRetired = 0x08, kExcTaken = 0x09, kExcReturn = 0x0A, kBrMisPred = 0x10,
                   kCpuCycles = 0x11, kBrPred = 0x12, kMemAccess = 0x13, kL1i = 0x14, kL2d = 0x16,
                   kL2dRefill = 0x17, kBusAccess = 0x19, kInstSpec = 0x1B, kBrRetired = 0x21,
                   kBrMisPredRetired = 0x22, kStallFrontend = 0x23, kStallBackend = 0x24;
}  // namespace ev

// The events every retire() emits; drain_events() always visits them (INST_SPEC is derived
// from INST_RETIRED there, so it is in the returned mask without being pending).
constexpr uint64_t kEveryRetire = (uint64_t{1} << ev::kInstRetired) | (uint64_t{1} << ev::kCpuCycles);
constexpr uint64_t kDrained = kEveryRetire | (uint64_t{1} << ev::kInstSpec);

struct ClassTraits {
  bool is_load, is_store, is_branch;
  BranchKind branch;
};
// Indexed by OpClass.
constexpr ClassTraits kTraits[] = {
    {false, false, false, BranchKind::kDirect},       // kAlu
    {false, false, false, BranchKind::kDirect},       // kMul
    {false, false, false, BranchKind::kDirect},       // kDiv
    {true, false, false, BranchKind::kDirect},        // kLoad
    {false, true, false, BranchKind::kDirect},        // kStore
    {true, true, false, BranchKind::kDirect},         // kAtomic
    {false, false, true, BranchKind::kDirect},        // kBranch
    {false, false, true, BranchKind::kConditional},   // kCondBranch
    {false, false, true, BranchKind::kIndirect},      // kIndirectBranch
    {false, false, true, BranchKind::kCall},          // kCall
    {false, false, true, BranchKind::kIndirectCall},  // kIndirectCall
    {false, false, true, BranchKind::kReturn},        // kReturn
    {false, false, false, BranchKind::kDirect},       // kSystem
    {false, false, false, BranchKind::kDirect},       // kNop
};
static_assert(std::size(kTraits) == static_cast<size_t>(OpClass::kCount));

// Cycles an exception entry or return costs: the pipeline is flushed and refilled.
constexpr uint32_t kExceptionRefill = 1;

}  // namespace

void CoreTimingParams::validate() const {
  auto fail = [](const std::string& what) { throw std::invalid_argument("timing parameter " + what); };
  if (issue_width < 1 || issue_width > 16) fail("issue_width must be 1..16");
  if (out_of_order && (rob_entries < issue_width || rob_entries > 4096)) fail("rob_entries must be issue_width..4096");
  for (const CacheGeometry* c : {&l1i, &l1d, &l2}) {
    if (c->line_bytes < 16 || (c->line_bytes & (c->line_bytes - 1))) fail("line_bytes must be a power of two >= 16");
    if (c->ways < 1 || c->size_bytes < c->ways * c->line_bytes || c->size_bytes % (c->ways * c->line_bytes))
      fail("cache size must be a multiple of ways * line_bytes");
  }
  if (history_bits < 1 || history_bits > 24) fail("history_bits must be 1..24");
}

TimingModel::TimingModel(const CoreTimingParams& p)
    : p_(p), l1i_(p.l1i), l1d_(p.l1d), l2_(p.l2), bp_(p),
      fetch_line_shift_(static_cast<unsigned>(std::countr_zero(p.l1i.line_bytes))),
      rob_retire_(std::max<uint32_t>(p.rob_entries, 1), 0) {
  p_.validate();
}

uint32_t TimingModel::data_latency(uint64_t addr, bool is_store, arch::CountEl el) {
  add(el, ev::kL1d);
  add(el, ev::kMemAccess);
  if (l1d_.access(addr)) return is_store ? 1 : p_.load_to_use;
  add(el, ev::kL1dRefill);
  add(el, ev::kL2d);
  if (l2_.access(addr)) return is_store ? 1 : p_.l2.latency_cycles;
  add(el, ev::kL2dRefill);
  add(el, ev::kBusAccess);
  // Stores retire into the store buffer; the refill does not hold up later instructions.
  return is_store ? 1 : p_.l2.latency_cycles + p_.memory_latency_cycles;
}

inline void TimingModel::fetch(uint64_t pc, arch::CountEl el) {
  // line_bytes is a power of two (validate()): a shift, not a 64-bit division per instruction.
  const uint64_t line = pc >> fetch_line_shift_;
  if (line == last_fetch_line_) return;
  last_fetch_line_ = line;
  add(el, ev::kL1i);
  if (l1i_.access(pc)) return;
  add(el, ev::kL1iRefill);
  add(el, ev::kL2d);
  uint32_t lat = p_.l2.latency_cycles;
  if (!l2_.access(pc)) {
    add(el, ev::kL2dRefill);
    add(el, ev::kBusAccess);
    lat += p_.memory_latency_cycles;
  }
  const uint64_t now = p_.out_of_order ? dispatch_cycle_ : cycle_;
  fetch_ready_ = std::max(fetch_ready_, now + lat);
}

// In-order: issue when operands are ready and an issue slot (and, for memory operations, a
// load/store pipe) is free in that cycle.
inline uint64_t TimingModel::issue_in_order(const StaticInfo& s, uint64_t ready, uint32_t latency, bool is_mem) {
  uint64_t issue = std::max({cycle_, ready, fetch_ready_});
  if (issue > cycle_) {
    cycle_ = issue;
    issued_this_cycle_ = 0;
    mem_this_cycle_ = 0;
  }
  if (issued_this_cycle_ >= p_.issue_width || (is_mem && mem_this_cycle_ >= 1)) {
    ++cycle_;
    issued_this_cycle_ = 0;
    mem_this_cycle_ = 0;
    issue = cycle_;
  }
  ++issued_this_cycle_;
  mem_this_cycle_ += is_mem ? 1 : 0;
  const uint64_t done = issue + latency;
  for (uint8_t d : s.dst)
    if (d != kNoReg) reg_ready_[d] = done;
  return done;
}

// Out-of-order: dispatch in order (width per cycle, bounded by the ROB), execute when the
// operands are ready, retire in order (width per cycle).
inline uint64_t TimingModel::issue_out_of_order(uint64_t ready, uint32_t latency) {
  uint64_t d = std::max({dispatch_cycle_, fetch_ready_, rob_retire_[rob_pos_]});
  if (d > dispatch_cycle_) {
    dispatch_cycle_ = d;
    dispatched_this_cycle_ = 0;
  }
  if (dispatched_this_cycle_ >= p_.issue_width) {
    ++dispatch_cycle_;
    dispatched_this_cycle_ = 0;
    d = dispatch_cycle_;
  }
  ++dispatched_this_cycle_;
  const uint64_t done = std::max(d + 1, ready) + latency;
  uint64_t retire = std::max(last_retire_, done);
  if (retire > last_retire_) {
    last_retire_ = retire;
    retired_this_cycle_ = 0;
  }
  if (retired_this_cycle_ >= p_.issue_width) {
    ++last_retire_;
    retired_this_cycle_ = 0;
    retire = last_retire_;
  }
  ++retired_this_cycle_;
  rob_retire_[rob_pos_] = retire;
  if (++rob_pos_ == rob_retire_.size()) rob_pos_ = 0;  // a ring: no division per instruction
  return done;
}

void TimingModel::retire(const StaticInfo& s, const DynInfo& d, arch::CountEl el) {
  const ClassTraits& t = kTraits[static_cast<size_t>(s.cls)];
  fetch(d.pc, el);
  uint64_t ready = 0;
  for (uint8_t r : s.src)
    if (r != kNoReg) ready = std::max(ready, reg_ready_[r]);

  uint32_t latency = p_.alu_latency;
  if (s.cls == OpClass::kMul) latency = p_.mul_latency;
  if (s.cls == OpClass::kDiv) latency = p_.div_latency;
  if (t.is_load || t.is_store) {
    latency = data_latency(d.addr, !t.is_load, el);
    add(el, t.is_load ? ev::kLdRetired : ev::kStRetired);
  }

  const uint64_t before = cycles_;
  const uint64_t stall_from = p_.out_of_order ? dispatch_cycle_ : cycle_;
  uint64_t done;
  if (p_.out_of_order) {
    done = issue_out_of_order(ready, latency);
    for (uint8_t r : s.dst)
      if (r != kNoReg) reg_ready_[r] = done;
    cycles_ = std::max(cycles_, last_retire_);
  } else {
    done = issue_in_order(s, ready, latency, t.is_load || t.is_store);
    cycles_ = std::max(cycles_, cycle_ + 1);
  }
  if (ready > stall_from) add(el, ev::kStallBackend, ready - stall_from);

  if (t.is_branch) {
    add(el, ev::kBrRetired);
    add(el, ev::kBrPred);
    if (bp_.predict_and_update(t.branch, d.pc, d.taken, d.next_pc)) {
      add(el, ev::kBrMisPred);
      add(el, ev::kBrMisPredRetired);
      add(el, ev::kStallFrontend, p_.mispredict_penalty);
      // Fetch restarts when the branch resolves, after the refill of the front end: the
      // first correct-path instruction executes mispredict_penalty cycles after `done`. The
      // in-order pipeline issues at fetch_ready_; the out-of-order one dispatches there and
      // executes a cycle later, which is part of the same refill.
      const uint64_t refill = p_.out_of_order ? p_.mispredict_penalty - 1 : p_.mispredict_penalty;
      fetch_ready_ = std::max(fetch_ready_, done + refill);
    }
  }
  ++instructions_;
  // Every retirement emits these three: they are always drained (kEveryRetire), so the
  // hot path does not mark them in pending_mask_.
  // INST_SPEC equals INST_RETIRED (no wrong-path work is modelled): drain_events() derives it.
  pending_.add(el, ev::kInstRetired, 1);
  pending_.add(el, ev::kCpuCycles, cycles_ - before);
}

void TimingModel::exception(arch::CountEl el, bool is_return) {
  add(el, is_return ? ev::kExcReturn : ev::kExcTaken);
  const uint64_t now = p_.out_of_order ? std::max(dispatch_cycle_, last_retire_) : cycle_;
  fetch_ready_ = std::max(fetch_ready_, now + p_.pipeline_depth / 2 + kExceptionRefill);
}

uint64_t TimingModel::drain_events(arch::EventCounts& into) {
  // Only the events emitted since the last drain (this runs on every trapped PMU access).
  const uint64_t mask = pending_mask_ | kEveryRetire;
  for (uint64_t m = mask; m != 0; m &= m - 1) {
    const unsigned e = static_cast<unsigned>(std::countr_zero(m));
    for (unsigned el = 0; el < arch::kNumCountEls; ++el) {
      const uint64_t n = pending_.counts[el][e];
      into.counts[el][e] += n;
      totals_[e] += n;
      if (e == ev::kInstRetired) {
        into.counts[el][ev::kInstSpec] += n;
        totals_[ev::kInstSpec] += n;
      }
      pending_.counts[el][e] = 0;
    }
  }
  pending_mask_ = 0;
  return mask | kDrained;
}

}  // namespace cpu::timing
