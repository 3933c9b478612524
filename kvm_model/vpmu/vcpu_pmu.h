// Per-vCPU vPMU state and the emulation primitives of arch/arm64/kvm/pmu-emul.c (spec 2.1,
// 5): the PMU system-register slots, the kvm_pmu fields (irq_num, created, irq_level), the
// ON_UNSUPPORTED_CPU flag, and one "backing event" per guest counter standing in for the
// perf_event KVM creates. A counter's architectural value is slot + backing.count, exactly
// like KVM's "__vcpu_sys_reg + perf_event_read_value".
//
// Backing events count on the PHYSICAL PMU of the pCPU the vCPU is loaded on, as perf would:
// only while that pCPU belongs to the VM's arm_pmu (a default PMU chosen on another cluster
// stops counting), only events that physical PMU implements, and only as many event counters
// as it has (the excess is not schedulable and silently does not count).
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "cpu/arch/pmu_events.h"
#include "kvm_model/vpmu/era.h"
#include "kvm_model/vpmu/regs.h"
#include "kvm_model/vpmu/vm_pmu.h"

namespace kvm_model::vpmu {

// The perf event KVM would have created for one guest counter (kvm_pmu_create_perf_event).
struct Backing {
  bool exists = false;    // pmc->perf_event != NULL
  bool enabled = false;   // perf_event_enable()d
  bool excl_el0 = false;  // attr.exclude_user
  bool excl_el1 = false;  // attr.exclude_kernel
  uint16_t event = 0;     // attr.config
  uint64_t count = 0;     // events counted since creation
  // Instruction clock only (VcpuPmu::use_insn_clock): the vCPU's retired instructions per EL
  // (EL0, EL1) up to which `count` is brought; what ran since is added on demand.
  std::array<uint64_t, 2> since{};
  // What it was made from: its PMEVTYPER value and the VM's attr_epoch() (recreates_same).
  uint64_t evtyper = 0;
  uint64_t epoch = 0;

  // The perf event attributes packed (0: no event): events with equal keys count the same.
  static constexpr uint32_t key_of(bool enabled, bool excl_el0, bool excl_el1, uint16_t event) {
    return 1u | uint32_t{enabled} << 1 | uint32_t{excl_el0} << 2 | uint32_t{excl_el1} << 3 | uint32_t{event} << 16;
  }
  uint32_t key() const { return exists ? key_of(enabled, excl_el0, excl_el1, event) : 0; }
};

class VcpuPmu {
 public:
  VcpuPmu(VmPmu& vm, unsigned vcpu_id);
  ~VcpuPmu();
  VcpuPmu(const VcpuPmu&) = delete;
  VcpuPmu& operator=(const VcpuPmu&) = delete;

  VmPmu& vm() { return vm_; }
  const VmPmu& vm() const { return vm_; }
  const EraPolicy& policy() const { return vm_.policy(); }
  unsigned vcpu_id() const { return vcpu_id_; }

  // kvm_vcpu_has_pmu(): the vCPU was initialised with KVM_ARM_VCPU_PMU_V3.
  bool has_pmu() const { return has_pmu_; }
  void set_has_pmu(bool v);

  // __vcpu_sys_reg(): raw slot storage, no side effects.
  uint64_t reg(Slot s) const { return regs_[static_cast<unsigned>(s)]; }
  uint64_t& reg(Slot s) { return regs_[static_cast<unsigned>(s)]; }

  // ---- PMCR and counter classification ----
  uint64_t read_pmcr() const {  // kvm_vcpu_read_pmcr
    const uint64_t slot = reg(Slot::PMCR_EL0);
    return policy().n_in_slot ? slot : pmcr::with_n(slot, vm_.pmcr_n());
  }
  uint8_t n() const {  // effective N: pmcr::N(read_pmcr())
    return policy().n_in_slot ? pmcr::N(reg(Slot::PMCR_EL0)) : static_cast<uint8_t>(vm_.pmcr_n() & pmcr::kNMask);
  }
  uint64_t valid_mask() const { return counter_mask_for_n(n()); }    // kvm_pmu_valid_counter_mask
  bool counter_idx_valid(unsigned idx) const { return idx < n() || idx == kCycleIdx; }
  bool is_64bit(unsigned idx) const {           // kvm_pmc_is_64bit
    return idx == kCycleIdx || vm_.pmuver() >= pmuver::kV3p5;
  }
  bool has_64bit_overflow(unsigned idx) const {  // kvm_pmc_has_64bit_overflow
    // LC and LP: every era's kvm_vcpu_read_pmcr() takes them from the slot as stored (only N
    // differs between eras), so the slot is read directly on this per-count path.
    const uint64_t v = reg(Slot::PMCR_EL0);
    return (idx < kCycleIdx && (v & pmcr::kLP)) || (idx == kCycleIdx && (v & pmcr::kLC));
  }
  bool can_chain(unsigned idx) const;           // kvm_pmu_counter_can_chain
  bool counter_is_enabled(unsigned idx) const {  // PMCR.E && PMCNTENSET[idx]
    // E, like LC and LP, is read from the slot as stored: eras differ in N only.
    return (reg(Slot::PMCR_EL0) & pmcr::kE) && ((reg(Slot::PMCNTENSET_EL0) >> idx) & 1);
  }

  // ---- kvm_pmu_* operations (pmu-emul.c) ----
  uint64_t get_counter_value(unsigned idx) const {       // slot + live count
    if (!has_pmu_) return 0;
    uint64_t counter = reg(evcntr_slot(idx));
    // "The real counter value is equal to the value of counter register plus the value perf
    // event counts."
    if (backing_[idx].exists) counter += backing_[idx].count + pending(idx);
    if (!is_64bit(idx)) counter &= 0xffffffffull;
    return counter;
  }
  void set_counter_value(unsigned idx, uint64_t val) {   // guest write: release, store, recreate
    // kvm_pmu_set_pmc_value(): release, store the 64-bit value verbatim, recreate so that the
    // sample period (distance to overflow) reflects the new value.
    moved_ |= uint32_t{1} << idx;
    // recreates_same(), keeping which way it decided: made from the same inputs, the
    // backing's record of them needs no update.
    Backing& b = backing_[idx];
    const bool same_inputs = made_from_current_inputs(idx);
    if (same_inputs ? b.enabled != counter_is_enabled(idx) : backing_key_for(idx) != b.key())
      return set_counter_value_recreate(idx, val);
    // Recreated as it was: a new event counting the same thing from zero, which is all the
    // guest can tell of the release and the creation. (Inline: a profiling guest writes a
    // counter on every sample.)
    reg(evcntr_slot(idx)) = val;
    b.count = 0;
    b.since = now_;
    if (!same_inputs) note_inputs(b, idx);
  }
  void set_counter_event_type(uint64_t data, unsigned idx) {  // guest PMEVTYPER write
    reg(evtyper_slot(idx)) = data & policy().evtyper_write_mask(vm_);
    // The same value again, counter enabled as before (a profiling guest re-arming its
    // events): create_backing()'s same-event case inline, its inputs recorded already.
    if (made_from_current_inputs(idx) && backing_[idx].enabled == counter_is_enabled(idx)) return recreate_same(idx);
    create_backing(idx);
  }
  void enable_counter_mask(uint64_t mask);                // <= 6.7
  void disable_counter_mask(uint64_t mask);               // <= 6.7
  void reprogram_counter_mask(uint64_t mask);             // 6.15+
  void software_increment(uint64_t mask);                 // PMSWINC
  void handle_pmcr(uint64_t val);                         // kvm_pmu_handle_pmcr
  uint64_t pmceid(unsigned which) const;                  // kvm_pmu_get_pmceid
  uint64_t overflow_status() const {                      // kvm_pmu_overflow_status
    if (!(reg(Slot::PMCR_EL0) & pmcr::kE)) return 0;  // read_pmcr()'s E: eras differ in N only
    uint64_t r = reg(Slot::PMOVSSET_EL0) & reg(Slot::PMINTENSET_EL1);
    if (policy().overflow_needs_cnten) r &= reg(Slot::PMCNTENSET_EL0);
    return r;
  }
  void stop_counter(unsigned idx);                        // fold the live count, release
  void release_backing(unsigned idx);                     // drop it (count lost)
  void create_backing(unsigned idx);                      // kvm_pmu_create_perf_event
  // Increment counters in `mask` programmed with `event` `times` times, overflowing and
  // chaining in software (kvm_pmu_counter_increment; times > 1 folds repeated CHAIN steps).
  void counter_increment(uint64_t mask, uint16_t event, uint64_t times = 1);
  const Backing& backing(unsigned idx) const { return backing_[idx]; }

  // ---- KVM_REQ_RELOAD_PMU ----
  void request_reload() { reload_pending_ = true; }
  bool reload_pending() const { return reload_pending_; }
  // Processes pending requests as check_vcpu_requests() does before guest entry.
  void process_requests();

  // ---- the PMU interrupt (spec 5.5) ----
  int irq_num() const { return irq_num_; }
  void set_irq_num(int irq) { irq_num_ = irq; }
  bool irq_initialized() const { return irq_num_ >= kVgicNrSgis; }  // kvm_arm_pmu_irq_initialized
  bool created() const { return created_; }
  void set_created(bool v) { created_ = v; }
  bool irq_level() const { return irq_level_; }
  // Called with the new level each time kvm_pmu_update_state() changes it (the in-kernel vGIC
  // injection). Userspace irqchips use should_notify_user() instead.
  void set_irq_sink(std::function<void(bool level)> sink) { irq_sink_ = std::move(sink); }
  // kvm_pmu_update_state(): recompute the level; true if it changed.
  bool update_state() {
    // Inline: every trapped write that can change the level asks, and it rarely changes.
    if (!has_pmu_) return false;
    const bool level = hw_ != nullptr ? hw_->irq_level_below_el2() : overflow_status() != 0;
    if (level == irq_level_) return false;
    set_irq_level(level);
    return true;
  }

  // ---- scheduling (spec 3) ----
  void load(uint32_t pcpu);  // kvm_arch_vcpu_load
  void put();                // kvm_arch_vcpu_put
  bool loaded() const { return loaded_; }
  uint32_t pcpu() const { return pcpu_; }
  bool on_unsupported_cpu() const { return on_unsupported_cpu_; }

  // ---- first run ----
  bool has_run() const { return has_run_; }
  void mark_run() { has_run_ = true; }

  // ---- counting ----
  // The guest executed work producing `counts` (per EL; EL2 is never counted: exclude_hv)
  // while loaded on pcpu(). Returns true if any counter overflowed (perf's overflow handler
  // would kick the vCPU). O(enabled backing events).
  bool count_events(const arch::EventCounts& counts);
  // False when count_events() would certainly count nothing (no enabled backing event, or
  // not loaded): the caller may then skip gathering the counts at all.
  bool may_count() const { return (active_mask_ != 0 || hw_ != nullptr) && loaded_ && has_pmu_; }
  // Bit i: counter i's backing event exists and is enabled.
  uint32_t active_mask() const { return active_mask_; }
  // Guest instructions that can run before some enabled counter could overflow, for the
  // run loop to stop there and deliver the overflow interrupt on time (perf's sample
  // period). Exact when every counter at risk counts at most one event per instruction
  // (INST_RETIRED, INST_SPEC; CPU_CYCLES under functional timing); with the cycle model a
  // cycle or cache event may come several at a time, so the bound is a fraction of the
  // distance and is re-taken as it shrinks. UINT64_MAX: nothing can overflow.
  uint64_t insns_until_overflow(bool cycle_timing) const {
    if (hw_ != nullptr) return hw_insns_until_overflow(cycle_timing);
    return insns_until_overflow(cycle_timing, active_mask_);
  }
  // The same bound over the counters in `mask` only (inline: the trap path takes it after
  // every counter write, for the one counter written).
  uint64_t insns_until_overflow(bool cycle_timing, uint32_t mask) const {
    if (!may_count()) return UINT64_MAX;
    const uint32_t live = active_mask_ & mask;
    if (live == 0) return UINT64_MAX;
    // One counter (a counter write moves only the one written): inline, no loop.
    if ((live & (live - 1)) == 0) return insns_to_overflow(cycle_timing, static_cast<unsigned>(std::countr_zero(live)));
    return min_insns_to_overflow(cycle_timing, live);
  }
  // The minimum of insns_to_overflow() over the counters in `live` (out of line: rare).
  uint64_t min_insns_to_overflow(bool cycle_timing, uint32_t live) const;
  // insns_until_overflow() for one active counter (UINT64_MAX: 2^64 events away).
  uint64_t insns_to_overflow(bool cycle_timing, unsigned idx) const {
    const Backing& b = backing_[idx];
    return insns_to_overflow_from(cycle_timing, idx, reg(evcntr_slot(idx)) + b.count + pending(idx));
  }
  // insns_until_overflow(false, mask) on the instruction clock right after a guest write
  // of counter idx, with mask = take_moved(). The write restarted idx's backing (whichever
  // way: set_counter_value or its recreation) with nothing counted or pending since, so
  // when idx alone is at issue its value is the register's and pending() need not be asked.
  uint64_t insns_until_overflow_after_write(unsigned idx, uint32_t mask) const {
    if (may_count() && (active_mask_ & mask) == uint32_t{1} << idx) return insns_to_overflow_from(false, idx, reg(evcntr_slot(idx)));
    return insns_until_overflow(false, mask);
  }
  // insns_to_overflow() for a counter whose current value is `value`.
  uint64_t insns_to_overflow_from(bool cycle_timing, unsigned idx, uint64_t value) const {
    const Backing& b = backing_[idx];
    // Events to the overflow the counter's width and PMCR.LC/LP select.
    const uint64_t dist = (is_64bit(idx) && has_64bit_overflow(idx)) ? 0 - value : (uint64_t{1} << 32) - (value & 0xffffffffull);
    if (dist == 0) return UINT64_MAX;  // 2^64 away
    uint64_t insns;
    if (b.event == event::INST_RETIRED || b.event == event::INST_SPEC || (b.event == event::CPU_CYCLES && !cycle_timing))
      insns = dist;  // one per instruction at most: exact
    else if (b.event == event::CPU_CYCLES)
      insns = dist / 8;  // several cycles per instruction when it stalls
    else
      insns = dist / 4;  // a few cache or memory events per instruction at most
    return std::max<uint64_t>(insns, 1);
  }

  // ---- the instruction clock (functional timing) ----
  // With functional timing every retired instruction is one INST_RETIRED, one INST_SPEC and
  // one CPU_CYCLES at the EL it ran at, so a backing event counting one of those is a pure
  // function of the vCPU's retired-instruction counts: it is brought up to date when read
  // or changed, counter by counter, instead of all counters at every trapped access. The
  // values, overflows and interrupt levels are those of count_events() fed the same counts:
  // every change to what the backing events count first settles all of them, and the run
  // loop's stop at the next possible overflow (insns_until_overflow) means a counter never
  // crosses its overflow between two settles other than at a guest exit.
  void use_insn_clock() { insn_clock_ = true; }
  bool insn_clock() const { return insn_clock_; }
  // The vCPU's retired instructions per EL now: before a trapped access, at exit.
  void set_clock(const std::array<uint64_t, 2>& retired) { now_ = retired; }
  // count_events() for everything run up to the clock: true if a counter overflowed.
  bool settle();
  // Counters whose distance to overflow changed other than by counting since the last
  // call (a written value, a reconfiguration): the run loop re-bounds its slice on them.
  uint32_t take_moved() { return std::exchange(moved_, 0); }
  // At guest entry: the VM-wide inputs of counting (its PMU) may have changed meanwhile.
  void revalidate_clock();

  // ---- partitioned PMU (era proposal-partition, attribute 5 ENABLE_PARTITION) ----
  // With fine-grained traps off for the guest's counters, the guest's PMU registers are
  // the physical PMU's: while loaded, this vCPU's guest context (its counters below HPMN,
  // the cycle counter and the control registers) sits in the pCPU's pmu::Pmu, programmed
  // with MDCR_EL2.HPMN = HPMN, and guest MRS/MSR reach it without a trap. The slots hold
  // the context while it is not loaded. nullptr: not loaded (any other era, or not yet).
  pmu::Pmu* hw() const { return hw_; }
  // Whether load_hw() would load the context now: a partitioned VM, a PMU vCPU that has
  // run, loaded on a pCPU of the VM's PMU, and not loaded already.
  bool wants_hw() const;
  // Guest entry (lazy: a no-op while loaded): the context from the slots into the pCPU's
  // physical PMU, evicting another vCPU's context from it, with the event filter applied
  // (a PMEVTYPER or PMCCFILTR whose event the filter denies counts at no level); live
  // backing events are folded into the slots first. `now`: the vCPU's retired
  // instructions per EL (EL0, EL1), from which it counts on the instruction clock.
  void load_hw(const std::array<uint64_t, 2>& now);
  // The context back into the slots, the guest's counters on the physical PMU stopped and
  // cleared (vcpu_put, vCPU reset, a userspace write).
  void put_hw();
  // The live context copied into the slots, still loaded (userspace reads).
  void sync_from_hw();
  // The instructions run up to `now` counted into the physical PMU (instruction clock);
  // true if the guest's overflow interrupt level changed.
  bool hw_count_to(const std::array<uint64_t, 2>& now) {
    const uint64_t d0 = now[0] - hw_since_[0], d1 = now[1] - hw_since_[1];
    if ((d0 | d1) == 0) return false;
    hw_since_ = now;
    // Within the physical PMU's overflow budget no PMOVSSET bit can have been set.
    if (!hw_->add_instructions({d0, d1, 0})) return false;
    return hw_->irq_level_below_el2() != irq_level_;
  }
  // The instructions the core ran since the last batch hw_count_to() gave the physical
  // PMU (pmu::Pmu's accesses ahead of the clock take them).
  pmu::Pmu::Clock hw_ahead(const std::array<uint64_t, 2>& now) const {
    return {now[0] - hw_since_[0], now[1] - hw_since_[1], 0};
  }
  // `ahead` (functional timing): counted from the end of a batch not yet given (hw_ahead).
  uint64_t hw_insns_until_overflow(bool cycle_timing, const pmu::Pmu::Clock& ahead = {}) const {
    // Functional timing: the physical PMU's own O(1) bound on the instruction clock. It is
    // the most instructions that cannot overflow; the slice ends one later, at the
    // instruction that overflows, as insns_to_overflow_from() does (and never at 0).
    if (!cycle_timing) {
      const uint64_t e = hw_->instructions_until_overflow(ahead);
      return e == UINT64_MAX ? e : e + 1;
    }
    // The cycle model: several events per instruction.
    const uint64_t e = hw_->events_until_overflow();
    return e == UINT64_MAX ? e : std::max<uint64_t>(e / 8, 1);
  }

 private:
  class Reconfig;
  uint64_t pending(unsigned idx) const {
    if (!((lazy_mask_ >> idx) & 1)) return 0;
    const Backing& b = backing_[idx];
    return (b.excl_el0 ? 0 : now_[0] - b.since[0]) + (b.excl_el1 ? 0 : now_[1] - b.since[1]);
  }
  bool settle_one(unsigned idx) {
    const uint64_t d = pending(idx);
    backing_[idx].since = now_;
    return d != 0 && advance(idx, d);
  }
  // Before / after a change of what the backing events count (Reconfig brackets it).
  void settle_for_change();
  void refresh_lazy();
  // Active backings perf would schedule on the current pCPU's PMU, of events it implements:
  // cached until a Reconfig or another PMU or pCPU.
  uint32_t scheduled_mask();
  const ArmPmu* counting_pmu() const;
  uint32_t compute_scheduled_mask();
  // The key (Backing::key) of the event kvm_pmu_create_perf_event would make now.
  uint32_t backing_key_for(unsigned idx) const;
  // Would kvm_pmu_create_perf_event() make an event with backing idx's attributes now?
  bool recreates_same(unsigned idx) const {
    // Made from the same register value in the same VM epoch: only the enable can differ.
    if (made_from_current_inputs(idx)) return backing_[idx].enabled == counter_is_enabled(idx);
    return backing_key_for(idx) == backing_[idx].key();
  }
  bool made_from_current_inputs(unsigned idx) const {
    const Backing& b = backing_[idx];
    return b.exists && b.evtyper == reg(evtyper_slot(idx)) && b.epoch == vm_.attr_epoch();
  }
  // Records what backing b was just made (or found to be made) from, for recreates_same.
  void note_inputs(Backing& b, unsigned idx) {
    b.evtyper = reg(evtyper_slot(idx));
    b.epoch = vm_.attr_epoch();
  }
  // kvm_pmu_create_perf_event() making an existing backing anew as it was: nothing else
  // counts differently, so only this counter is settled and its count folded into the
  // register (get_counter_value(), nothing pending once settled); the new event counts from 0.
  void recreate_same(unsigned idx) {
    Backing& b = backing_[idx];
    if (settle_one(idx)) update_state();
    uint64_t folded = has_pmu_ ? reg(evcntr_slot(idx)) + b.count : 0;
    if (!is_64bit(idx)) folded &= 0xffffffffull;
    reg(evcntr_slot(idx)) = folded;
    b.count = 0;
  }
  void set_irq_level(bool level);  // update_state()'s change: record it, tell the sink
  void set_counter_value_recreate(unsigned idx, uint64_t val);
  void install_backing(unsigned idx, uint32_t key);
  void drop_backing(unsigned idx);
  void set_enabled(unsigned idx, bool on) {
    if (backing_[idx].enabled != on) reconfigure_enabled(idx, on);
  }
  void reconfigure_enabled(unsigned idx, bool on);
  void note_backing(unsigned idx) {
    const uint32_t b = uint32_t{1} << idx;
    active_mask_ = (backing_[idx].exists && backing_[idx].enabled) ? (active_mask_ | b) : (active_mask_ & ~b);
  }
  // Counts delta more events on backing idx; true if the counter overflowed.
  bool advance(unsigned idx, uint64_t delta) {
    Backing& b = backing_[idx];
    const uint64_t before = reg(evcntr_slot(idx)) + b.count;
    b.count += delta;
    // Almost always far from the overflow: that is settled here without the wrap arithmetic.
    if (delta < (uint64_t{1} << 32) - (before & 0xffffffffull)) return false;
    return advance_wraps(idx, before, delta);
  }
  bool advance_wraps(unsigned idx, uint64_t before, uint64_t delta);

  VmPmu& vm_;
  unsigned vcpu_id_;
  bool has_pmu_ = false;
  std::array<uint64_t, kNumSlots> regs_{};
  std::array<Backing, kMaxCounters> backing_{};
  // Bit i: backing_[i] exists and is enabled. Kept exact by every change to a backing
  // event (a profiling guest reprograms a counter on every trap), so counting walks only
  // the set bits and a vCPU with nothing enabled pays one test.
  uint32_t active_mask_ = 0;
  // pmu->covers(pcpu_), remembered for the (PMU, pCPU) pair it was computed for.
  const ArmPmu* cover_pmu_ = nullptr;
  uint32_t cover_cpu_ = 0;
  bool covered_ = false;
  arch::EventMask implemented_;  // and the events below 0x80 it implements
  bool reload_pending_ = false;
  int irq_num_ = 0;
  bool created_ = false;
  bool irq_level_ = false;
  std::function<void(bool)> irq_sink_;
  bool loaded_ = false;
  uint32_t pcpu_ = 0;
  bool on_unsupported_cpu_ = false;
  bool has_run_ = false;
  bool insn_clock_ = false;
  std::array<uint64_t, 2> now_{};  // the instruction clock (set_clock)
  pmu::Pmu* hw_ = nullptr;          // the physical PMU holding the guest context (load_hw)
  std::array<uint64_t, 2> hw_since_{};  // instructions counted into it so far
  // What load_hw() wrote instead of a PMEVTYPER/PMCCFILTR the event filter denies (bit i of
  // hw_filtered_), so that put_hw() keeps the guest's own value if the guest left it.
  std::array<uint64_t, kMaxCounters> hw_filtered_val_{};
  uint32_t hw_filtered_ = 0;
  // Backings counted on the instruction clock: scheduled, of INST_RETIRED, INST_SPEC or
  // CPU_CYCLES. Recomputed after every change of its inputs (Reconfig, revalidate_clock).
  uint32_t lazy_mask_ = 0;
  uint32_t moved_ = 0;
  uint32_t sched_mask_ = 0;  // scheduled_mask() as of the key below
  bool sched_valid_ = false;
  const ArmPmu* sched_pmu_ = nullptr;
  uint32_t sched_cpu_ = 0;
};

}  // namespace kvm_model::vpmu
