#include "cpu/timing/timing_model.h"

#include "cpu/timing/events.h"

#include <algorithm>
#include <bit>

namespace cpu::timing {
namespace {

namespace ev {
// The common events (Arm ARM D17.11) the model emits, from the shared table.
using namespace ::arch::event;
constexpr uint16_t kL1iRefill = L1I_CACHE_REFILL, kL1dRefill = L1D_CACHE_REFILL, kL1d = L1D_CACHE,
                   kLdRetired = LD_RETIRED, kStRetired = ST_RETIRED, kInstRetired = INST_RETIRED,
                   kExcTaken = EXC_TAKEN, kExcReturn = EXC_RETURN, kBrMisPred = BR_MIS_PRED, kCpuCycles = CPU_CYCLES,
                   kBrPred = BR_PRED, kMemAccess = MEM_ACCESS, kL1i = L1I_CACHE, kL2d = L2D_CACHE,
                   kL2dRefill = L2D_CACHE_REFILL, kBusAccess = BUS_ACCESS, kInstSpec = INST_SPEC,
                   kBrRetired = BR_RETIRED, kBrMisPredRetired = BR_MIS_PRED_RETIRED, kStallFrontend = STALL_FRONTEND,
                   kStallBackend = STALL_BACKEND, kAseSpec = ASE_SPEC, kVfpSpec = VFP_SPEC, kCryptoSpec = CRYPTO_SPEC;
// Every event the model emits is declared (cpu/timing/events.h), which is what PMCEID
// advertises; unit_timing checks the converse, that every declared event is emitted.
static_assert(produces(kL1iRefill) && produces(kL1dRefill) && produces(kL1d) && produces(kLdRetired) &&
              produces(kStRetired) && produces(kInstRetired) && produces(kExcTaken) && produces(kExcReturn) &&
              produces(kBrMisPred) && produces(kCpuCycles) && produces(kBrPred) && produces(kMemAccess) &&
              produces(kL1i) && produces(kL2d) && produces(kL2dRefill) && produces(kBusAccess) &&
              produces(kInstSpec) && produces(kBrRetired) && produces(kBrMisPredRetired) &&
              produces(kStallFrontend) && produces(kStallBackend) && produces(kAseSpec) && produces(kVfpSpec) &&
              produces(kCryptoSpec));
}  // namespace ev

// The events every retire() emits; drain_events() always visits them (INST_SPEC is derived
// from INST_RETIRED there, so it is in the returned mask without being pending).
constexpr arch::EventMask kEveryRetire = [] {
  arch::EventMask m;
  m.set(ev::kInstRetired);
  m.set(ev::kCpuCycles);
  return m;
}();
constexpr arch::EventMask kDrained = [] {
  arch::EventMask m = kEveryRetire;
  m.set(ev::kInstSpec);
  return m;
}();

// Cycles an exception entry or return costs: the pipeline is flushed and refilled.
constexpr uint32_t kExceptionRefill = 1;

const CoreTimingParams& validated(const CoreTimingParams& p) {
  p.validate();
  return p;
}

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
  // The model's per-class table holds execution latencies in 16 bits (the catalogue allows
  // at most 256).
  for (uint32_t l : {alu_latency, mul_latency, div_latency, fp_latency, fp_mul_latency, fp_div_latency, simd_latency,
                     simd_mul_latency, crypto_latency})
    if (l > 65535) fail("execution latencies must be at most 65535");
}

TimingModel::TimingModel(const CoreTimingParams& p)
    : out_of_order_(validated(p).out_of_order),
      issue_width_(p.issue_width),
      load_to_use_(p.load_to_use),
      fetch_line_shift_(static_cast<unsigned>(std::countr_zero(p.l1i.line_bytes))),
      fetch_line_offset_mask_(uint64_t{p.l1i.line_bytes} - 1),
      p_(p), l1i_(p.l1i), l1d_(p.l1d), l2_(p.l2), bp_(p) {
  const size_t rob = std::max<uint32_t>(p.rob_entries, 1);
  rob_storage_ = std::make_unique<uint64_t[]>(rob);  // zeroed
  rob_retire_ = rob_pos_ = rob_storage_.get();
  rob_end_ = rob_retire_ + rob;

  // Every class executes at ALU latency but multiplies and divides; loads and stores take
  // the latency of the level that hits (data_latency()).
  auto lat = [](uint32_t l) { return static_cast<uint16_t>(l); };  // validate(): at most 65535
  for (ClassInfo& c : classes_) c.latency = lat(p.alu_latency);
  auto set = [&](OpClass cls, uint8_t flags, BranchKind b = BranchKind::kDirect) {
    classes_[static_cast<size_t>(cls)].flags = flags;
    classes_[static_cast<size_t>(cls)].branch = b;
  };
  classes_[static_cast<size_t>(OpClass::kMul)].latency = lat(p.mul_latency);
  classes_[static_cast<size_t>(OpClass::kDiv)].latency = lat(p.div_latency);
  classes_[static_cast<size_t>(OpClass::kFpAlu)].latency = lat(p.fp_latency);
  classes_[static_cast<size_t>(OpClass::kFpMul)].latency = lat(p.fp_mul_latency);
  classes_[static_cast<size_t>(OpClass::kFpDiv)].latency = lat(p.fp_div_latency);
  classes_[static_cast<size_t>(OpClass::kSimdAlu)].latency = lat(p.simd_latency);
  classes_[static_cast<size_t>(OpClass::kSimdMul)].latency = lat(p.simd_mul_latency);
  classes_[static_cast<size_t>(OpClass::kCrypto)].latency = lat(p.crypto_latency);
  set(OpClass::kLoad, kFlagMem | kFlagLoad);
  set(OpClass::kStore, kFlagMem | kFlagStore);
  set(OpClass::kAtomic, kFlagMem | kFlagLoad | kFlagStore);
  for (ClassInfo& c : classes_)
    if (c.flags & kFlagMem) {
      c.slot_mask = 0xffff;
      c.slot_inc = 1 + 256;
    }
  set(OpClass::kBranch, kFlagBranch, BranchKind::kDirect);
  set(OpClass::kCondBranch, kFlagBranch, BranchKind::kConditional);
  set(OpClass::kIndirectBranch, kFlagBranch, BranchKind::kIndirect);
  set(OpClass::kCall, kFlagBranch, BranchKind::kCall);
  set(OpClass::kIndirectCall, kFlagBranch, BranchKind::kIndirectCall);
  set(OpClass::kReturn, kFlagBranch, BranchKind::kReturn);
  classes_[static_cast<size_t>(OpClass::kSimdFpAlu)].latency = lat(p.fp_latency);
  classes_[static_cast<size_t>(OpClass::kSimdFpMul)].latency = lat(p.fp_mul_latency);
  classes_[static_cast<size_t>(OpClass::kSimdFpDiv)].latency = lat(p.fp_div_latency);
  classes_[static_cast<size_t>(OpClass::kFpMove)].latency = lat(p.fp_latency);
  classes_[static_cast<size_t>(OpClass::kSimdMove)].latency = lat(p.simd_latency);
  // The operation-mix event of each class (cpu/timing/timing_model.h, OpClass).
  auto spec = [&](OpClass cls, uint8_t kind) {
    classes_[static_cast<size_t>(cls)].flags |= static_cast<uint8_t>(kind << kSpecShift);
  };
  for (OpClass cls : {OpClass::kFpAlu, OpClass::kFpMul, OpClass::kFpDiv}) spec(cls, kSpecVfp);
  for (OpClass cls : {OpClass::kSimdAlu, OpClass::kSimdMul, OpClass::kSimdFpAlu, OpClass::kSimdFpMul,
                      OpClass::kSimdFpDiv})
    spec(cls, kSpecAse);
  spec(OpClass::kCrypto, kSpecCrypto);
}

// An L1D miss: L2, then memory.
uint32_t TimingModel::data_miss(uint64_t addr, bool is_store, arch::CountEl el) {
  add(el, ev::kL1dRefill);
  add(el, ev::kL2d);
  if (l2_.access(addr)) return is_store ? 1 : p_.l2.latency_cycles;
  add(el, ev::kL2dRefill);
  add(el, ev::kBusAccess);
  // Stores retire into the store buffer; the refill does not hold up later instructions.
  return is_store ? 1 : p_.l2.latency_cycles + p_.memory_latency_cycles;
}

// An L1I miss on a new fetch line: the front end waits for L2 (and memory).
void TimingModel::fetch_miss(uint64_t pc, arch::CountEl el) {
  add(el, ev::kL1iRefill);
  add(el, ev::kL2d);
  uint32_t lat = p_.l2.latency_cycles;
  if (!l2_.access(pc)) {
    add(el, ev::kL2dRefill);
    add(el, ev::kBusAccess);
    lat += p_.memory_latency_cycles;
  }
  const uint64_t now = out_of_order_ ? dispatch_cycle_ : cycle_;
  fetch_ready_ = std::max(fetch_ready_, now + lat);
}

void TimingModel::mispredict(uint64_t done, arch::CountEl el) {
  add(el, ev::kBrMisPred);
  add(el, ev::kBrMisPredRetired);
  add(el, ev::kStallFrontend, p_.mispredict_penalty);
  // Fetch restarts when the branch resolves, after the refill of the front end: the first
  // correct-path instruction executes mispredict_penalty cycles after `done`. The in-order
  // pipeline issues at fetch_ready_; the out-of-order one dispatches there and executes a
  // cycle later, which is part of the same refill.
  const uint64_t refill = out_of_order_ ? p_.mispredict_penalty - 1 : p_.mispredict_penalty;
  fetch_ready_ = std::max(fetch_ready_, done + refill);
}

// The segment's counts become pending events of its EL. An event is added (and marked in
// pending_mask_) only when its count is not zero, as if each instruction had added its own;
// INST_RETIRED and CPU_CYCLES are always drained (kEveryRetire) and need no mark.
void TimingModel::flush_segment() {
  const arch::CountEl el = seg_el_;
  pending_.add(el, ev::kInstRetired, instructions_ - seg_insts0_);
  const uint64_t cycles_now = cycles();
  pending_.add(el, ev::kCpuCycles, cycles_now - seg_cycles0_);
  seg_insts0_ = instructions_;
  seg_cycles0_ = cycles_now;
  if (seg_stall_backend_ != 0) add(el, ev::kStallBackend, seg_stall_backend_);
  if (const uint64_t mem = seg_loads_ + seg_stores_; mem != 0) {
    add(el, ev::kL1d, mem);
    add(el, ev::kMemAccess, mem);
    if (seg_loads_ != 0) add(el, ev::kLdRetired, seg_loads_);
    if (seg_stores_ != 0) add(el, ev::kStRetired, seg_stores_);
  }
  if (seg_branches_ != 0) {
    add(el, ev::kBrRetired, seg_branches_);
    add(el, ev::kBrPred, seg_branches_);
  }
  if (seg_l1i_ != 0) add(el, ev::kL1i, seg_l1i_);
  if (seg_spec_[kSpecAse] != 0) add(el, ev::kAseSpec, seg_spec_[kSpecAse]);
  if (seg_spec_[kSpecVfp] != 0) add(el, ev::kVfpSpec, seg_spec_[kSpecVfp]);
  if (seg_spec_[kSpecCrypto] != 0) add(el, ev::kCryptoSpec, seg_spec_[kSpecCrypto]);
  seg_stall_backend_ = seg_loads_ = seg_stores_ = seg_branches_ = seg_l1i_ = 0;
  seg_spec_ = {};
}

void TimingModel::switch_el(arch::CountEl el) {
  flush_segment();
  seg_el_ = el;
}

void TimingModel::exception(arch::CountEl el, bool is_return) {
  add(el, is_return ? ev::kExcReturn : ev::kExcTaken);
  const uint64_t now = out_of_order_ ? std::max(dispatch_cycle_, last_retire_) : cycle_;
  fetch_ready_ = std::max(fetch_ready_, now + p_.pipeline_depth / 2 + kExceptionRefill);
}

arch::EventMask TimingModel::drain_events(arch::EventCounts& into) {
  flush_segment();
  // Only the events emitted since the last drain (this runs on every trapped PMU access).
  arch::EventMask mask = pending_mask_;
  mask |= kEveryRetire;
  mask.for_each([&](unsigned e) {
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
  });
  pending_mask_ = {};
  mask |= kDrained;
  return mask;
}

}  // namespace cpu::timing
