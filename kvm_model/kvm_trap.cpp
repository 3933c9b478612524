// Trapped system-register accesses of the guest: the PMU's hot path (routed and bound
// handlers), the vGIC CPU interface and timer registers, and the PMU event flushes.
#include <algorithm>
#include <array>
#include <bit>

#include "cpu/interp/port_access.h"
#include "cpu/sysreg/sysregs.h"
#include "kvm_model/kvm.h"

namespace kvm_model {
namespace {
bool is_gic_cpuif(arch::SysRegKey k) { return k.op0 == 3 && k.op1 == 0 && (k.crn == 12 || (k.crn == 4 && k.crm == 6)); }
bool is_timer(arch::SysRegKey k) { return k.op0 == 3 && k.op1 == 3 && k.crn == 14 && k.crm <= 3; }
}  // namespace

cpu::SysRegPort::Result Vcpu::handle(cpu::Core& core, uint32_t iss, uint64_t& value) {
  // The PMU first: it is the hot path (every trapped PMU access of a profiling guest).
  const vpmu::TrapRoute route = vpmu::route_trap(iss);
  if (route.row == vpmu::kForeign) [[unlikely]] return handle_non_pmu(core, iss, value);
  return handle_pmu(core, route, iss, value);
}

// Only the PMU's encodings are bound (vpmu::bind_trap): the vGIC and timer registers are
// rare and keep the full lookup.
uint32_t Vcpu::bind(uint32_t iss) { return vpmu::bind_trap(iss); }

template <vpmu::trap::Op kOp>
[[gnu::always_inline]] inline cpu::SysRegPort::Result Vcpu::hw_bound(cpu::Core& core, uint32_t route, uint32_t iss,
                                                                     uint64_t& value) {
  using Op = vpmu::trap::Op;
  const vpmu::BoundRoute b = vpmu::unpack_bound(route);
  // The cycle model's event flush stays on the general path.
  if (timing() != nullptr) [[unlikely]] return hw_access(core, b.route, iss, value);
  pmu::Pmu& hw = *vpmu_->hw();
  const uint8_t el = core.state().el;
  // What the guest ran since the last access reaches the physical counters first (O(1) on
  // the instruction clock), so a counter read in a block counts exactly the instructions
  // before it, and an overflow it reaches raises the guest's interrupt here.
  std::array<uint64_t, 2> now{};
  if constexpr (vpmu::op_counts(kOp)) {
    now = core.retired_by_el();
    if (vpmu_->hw_count_to(now)) vpmu_->update_state();
  }
  pmu::Pmu::Access a;
  if constexpr (kOp == Op::kCounterRead) a = hw.read_counter(b.idx, el, value);
  else if constexpr (kOp == Op::kCounterWrite) a = hw.write_counter(b.idx, el, value);
  else if constexpr (kOp == Op::kSelCounterRead) a = hw.read_selected_counter(el, value);
  else if constexpr (kOp == Op::kTyperRead) a = hw.read_type(b.idx, el, value);
  else if constexpr (kOp == Op::kTyperWrite) a = hw.write_type(b.idx, el, value);
  else if constexpr (kOp == Op::kPmcrRead) a = hw.read_control(el, value);
  else if constexpr (kOp == Op::kSelrWrite) a = hw.write_select(el, value);
  else if constexpr (kOp == Op::kCntenRead) a = hw.read_enables(el, value);
  else a = hw.write_enables(b.idx == 1, el, value);  // kCntenWrite: idx 1 = SET
  if constexpr (vpmu::op_writes(kOp)) {
    if (b.route.flags & (vpmu::trap::kCounts | vpmu::trap::kExitWork)) {
      // As hw_access(): the level follows the registers, and a write that brings an
      // overflow closer than the end of the slice stops it there. A counter or event type
      // write leaves the level alone: it changes neither PMCR_EL0.E, PMINTENSET nor
      // PMOVSSET (the counting before it stayed within the overflow budget, or was
      // settled and its level raised above).
      if constexpr (kOp != Op::kCounterWrite && kOp != Op::kTyperWrite) vpmu_->update_state();
      if constexpr (!vpmu::op_counts(kOp)) now = core.retired_by_el();
      const uint64_t ran = now[0] + now[1] - slice_start_;
      if (vpmu_->hw_insns_until_overflow(false) < slice_len_ - ran) core.request_stop();
    }
  }
  return a == pmu::Pmu::Access::kOk ? Result::kDone : Result::kUndef;
}

template <vpmu::trap::Op kOp>
[[gnu::always_inline]] inline cpu::SysRegPort::Result Vcpu::bound_access(Vcpu& v, cpu::Core& core, uint32_t route, uint32_t iss, uint64_t& value) {
  vpmu::VcpuPmu& pmu = *v.vpmu_;
  if (pmu.hw() != nullptr) return v.hw_bound<kOp>(core, route, iss, value);
  const uint8_t el = core.state().el;
  if constexpr (!vpmu::op_counts(kOp)) {
    // Neither reads a counter nor changes what counts: no clock, no overflow brought closer.
    return vpmu::handle_bound<kOp>(pmu, route, el, value) == vpmu::HandleResult::kHandled ? Result::kDone
                                                                                           : Result::kUndef;
  } else {
    // The cycle model's event flush stays on the full path.
    if (v.timing() != nullptr) return v.handle_pmu(core, vpmu::unpack_bound(route).route, iss, value);
    // handle_pmu()'s instruction-clock path for an encoding that does not settle every
    // counter first (bind_trap binds no other).
    const std::array<uint64_t, 2> now = core.retired_by_el();
    pmu.set_clock(now);
    const vpmu::HandleResult r = vpmu::handle_bound<kOp>(pmu, route, el, value);
    if (v.flush_skipped_ && pmu.may_count()) [[unlikely]] v.resync_counted();
    if constexpr (vpmu::op_writes(kOp)) {
      if (pmu.may_count()) {
        // Only counters the write moved (a value, a reconfiguration) need a look: the
        // others stay within the slice bound.
        if (const uint32_t moved = pmu.take_moved(); moved != 0) {
          const uint64_t ran = now[0] + now[1] - v.slice_start_;
          uint64_t bound;
          // Handled, a counter write went through set_counter_value() (an UNDEF touched nothing).
          if (kOp == vpmu::trap::Op::kCounterWrite && r == vpmu::HandleResult::kHandled)
            bound = pmu.insns_until_overflow_after_write(vpmu::unpack_bound(route).idx, moved);
          else
            bound = pmu.insns_until_overflow(false, moved);
          if (bound < v.slice_len_ - ran) core.request_stop();
        }
      }
    }
    return r == vpmu::HandleResult::kHandled ? Result::kDone : Result::kUndef;
  }
}

namespace {
using BoundFn = cpu::SysRegPort::Result (*)(Vcpu&, cpu::Core&, uint32_t route, uint32_t iss, uint64_t& value);
}  // namespace

// Indexed by vpmu::trap::Op; kRouted takes the full path.
const std::array<BoundFn, vpmu::trap::kNumOps> Vcpu::kBoundOps = {
    &Vcpu::routed_access,
    &Vcpu::bound_access<vpmu::trap::Op::kCounterRead>,
    &Vcpu::bound_access<vpmu::trap::Op::kCounterWrite>,
    &Vcpu::bound_access<vpmu::trap::Op::kSelCounterRead>,
    &Vcpu::bound_access<vpmu::trap::Op::kTyperRead>,
    &Vcpu::bound_access<vpmu::trap::Op::kPmcrRead>,
    &Vcpu::bound_access<vpmu::trap::Op::kSelrWrite>,
    &Vcpu::bound_access<vpmu::trap::Op::kCntenRead>,
    &Vcpu::bound_access<vpmu::trap::Op::kTyperWrite>,
    &Vcpu::bound_access<vpmu::trap::Op::kCntenWrite>,
};
static_assert(static_cast<size_t>(vpmu::trap::Op::kCntenWrite) == 9 && vpmu::trap::kNumOps == 10 &&
                  static_cast<size_t>(vpmu::trap::Op::kSelrWrite) == 6 &&
                  static_cast<size_t>(vpmu::trap::Op::kCounterRead) == 1,
              "kBoundOps is indexed by vpmu::trap::Op");

cpu::SysRegPort::Result Vcpu::routed_access(Vcpu& v, cpu::Core& core, uint32_t route, uint32_t iss, uint64_t& value) {
  // Route 0: an encoding bind() left unbound (not the PMU's).
  if (route == 0) return v.handle(core, iss, value);
  return v.handle_pmu(core, vpmu::unpack_bound(route).route, iss, value);
}

cpu::SysRegPort::Result Vcpu::handle_bound(cpu::Core& core, uint32_t route, uint32_t iss, uint64_t& value) {
  // The tracepoint stays on the full path.
  if (sysreg_trace_) [[unlikely]] return routed_access(*this, core, route, iss, value);
  return kBoundOps[static_cast<uint8_t>(vpmu::unpack_bound(route).op)](*this, core, route, iss, value);
}

template <vpmu::trap::Op kOp>
[[gnu::always_inline]] inline cpu::SysRegPort::Result Vcpu::installed_access(cpu::SysRegPort& port, cpu::Core& core, uint32_t route,
                                               uint32_t iss, uint64_t& value) {
  Vcpu& v = static_cast<Vcpu&>(port);
  if (v.sysreg_trace_) [[unlikely]] return routed_access(v, core, route, iss, value);
  return bound_access<kOp>(v, core, route, iss, value);
}

namespace {
template <vpmu::trap::Op kOp>
constexpr bool kReads = !vpmu::op_writes(kOp);
}  // namespace

template <vpmu::trap::Op kOp>
cpu::Flow Vcpu::partitioned_handler(cpu::Core& c, const cpu::DecodedInst& i) {
  using Op = vpmu::trap::Op;
  constexpr cpu::Handler kFull = &cpu::interp::bound_port_handler<kReads<kOp>, &Vcpu::installed_access<kOp>>;
  Vcpu& v = static_cast<Vcpu&>(*c.sysreg_port());
  vpmu::VcpuPmu& p = *v.vpmu_;
  pmu::Pmu* const hw = p.hw();
  // Not loaded on the physical PMU, traced, or counting through the cycle model's events:
  // the full path decides. (c is this vCPU's core: its timing model is v.timing().)
  if (hw == nullptr || v.sysreg_trace_ || c.timing_model() != nullptr) [[unlikely]] return kFull(c, i);
  const uint8_t el = c.state().el;
  const vpmu::BoundRoute b = vpmu::unpack_bound(cpu::interp::port_route(i));
  uint64_t value = 0;
  bool done = false;
  if constexpr (kOp == Op::kCounterWrite) {
    // The counter counts from here, ahead of the batch; a new value that overflows before
    // the end of the slice cuts it there (as hw_bound()).
    const std::array<uint64_t, 2> now = c.retired_before(&i);
    const pmu::Pmu::Clock ahead = p.hw_ahead(now);
    if (!hw->write_counter_ahead(b.idx, el, ahead, c.x(i.n))) [[unlikely]] return kFull(c, i);
    if ((b.route.flags & (vpmu::trap::kCounts | vpmu::trap::kExitWork)) &&
        p.hw_insns_until_overflow(false, ahead) < v.slice_len_ - (now[0] + now[1] - v.slice_start_)) {
      c.request_stop();
      c.state().pc = i.pc + 4;
      return cpu::Flow::kJump;
    }
    return cpu::interp::next(c, i);
  } else if constexpr (kOp == Op::kCounterRead) {
    done = hw->peek_counter(b.idx, el, p.hw_ahead(c.retired_before(&i)), value);
  } else if constexpr (kOp == Op::kSelCounterRead) {
    done = hw->peek_selected_counter(el, p.hw_ahead(c.retired_before(&i)), value);
  } else if constexpr (kOp == Op::kTyperRead) {
    done = hw->read_type(b.idx, el, value) == pmu::Pmu::Access::kOk;
  } else if constexpr (kOp == Op::kPmcrRead) {
    done = hw->read_control(el, value) == pmu::Pmu::Access::kOk;
  } else if constexpr (kOp == Op::kCntenRead) {
    done = hw->read_enables(el, value) == pmu::Pmu::Access::kOk;
  } else if constexpr (kOp == Op::kSelrWrite) {
    // PMSELR_EL0 neither counts nor has exit work unless its route says so.
    done = !(b.route.flags & (vpmu::trap::kCounts | vpmu::trap::kExitWork)) &&
           hw->write_select(el, c.x(i.n)) == pmu::Pmu::Access::kOk;
  } else if constexpr (kOp == Op::kTyperWrite) {
    done = hw->skip_unchanged_type(b.idx, el, p.hw_ahead(c.retired_before(&i)), c.x(i.n));
  } else if constexpr (kOp == Op::kCntenWrite) {
    done = hw->skip_unchanged_enables(b.idx == 1, el, p.hw_ahead(c.retired_before(&i)), c.x(i.n));
  }
  if (!done) [[unlikely]] return kFull(c, i);
  // None of these changes a counter's programming or the interrupt level: the block goes on.
  if constexpr (kReads<kOp>) c.set_x(i.d, value);
  return cpu::interp::next(c, i);
}

cpu::Handler Vcpu::bound_handler(uint32_t route, bool is_read) {
  // Per vpmu::trap::Op: the installed handler, null for kRouted (the generic path serves
  // it); for a partitioned vCPU with functional timing, its own. Built here, in a member,
  // because installed_access is private.
  using Table = std::array<cpu::Handler, vpmu::trap::kNumOps>;
  constexpr auto one = []<size_t kOp, bool kPartitioned>() -> cpu::Handler {
    constexpr auto op = static_cast<vpmu::trap::Op>(kOp);
    if constexpr (op == vpmu::trap::Op::kRouted) return nullptr;
    else if constexpr (kPartitioned) return &Vcpu::partitioned_handler<op>;
    else return &cpu::interp::bound_port_handler<kReads<op>, &Vcpu::installed_access<op>>;
  };
  constexpr auto table = [one]<bool kPartitioned, size_t... kOps>(std::index_sequence<kOps...>) {
    return Table{one.template operator()<kOps, kPartitioned>()...};
  };
  static constexpr std::array<Table, 2> kInstalled = {
      table.template operator()<false>(std::make_index_sequence<vpmu::trap::kNumOps>{}),
      table.template operator()<true>(std::make_index_sequence<vpmu::trap::kNumOps>{})};
  const vpmu::trap::Op op = vpmu::unpack_bound(route).op;
  // A bound op fixes the direction; an encoding bound the other way round keeps the generic path.
  if (route == 0 || is_read == vpmu::op_writes(op)) return nullptr;
  const bool partitioned = vpmu_->hw() != nullptr && timing() == nullptr;
  return kInstalled[partitioned ? 1 : 0][static_cast<uint8_t>(op)];
}

cpu::SysRegPort::Result Vcpu::hw_access(cpu::Core& core, vpmu::TrapRoute route, uint32_t iss, uint64_t& value) {
  const int idx = route.row < hw_index_.size() ? hw_index_[route.row] : -1;
  if (idx < 0) return trapped_pmu(core, route, iss, value);
  pmu::Pmu& hw = *vpmu_->hw();
  const bool is_read = iss & 1;
  const uint8_t el = core.state().el;
  // What the guest ran since the last access reaches the physical counters first (the
  // hardware counts as it goes; the model counts in bulk, and its instruction clock is O(1)).
  const bool functional = timing() == nullptr;
  std::array<uint64_t, 2> now{};
  const bool counts = route.flags & vpmu::trap::kCounts;
  if (counts) {
    if (functional) {
      now = core.retired_by_el();
      if (vpmu_->hw_count_to(now)) vpmu::sync_hwstate(*vpmu_);
    } else {
      flush_events(FlushAt::kTrap);
    }
  }
  const pmu::Pmu::Access a = is_read ? hw.read_at(static_cast<unsigned>(idx), el, value)
                                     : hw.write_at(static_cast<unsigned>(idx), el, value);
  if (!is_read && (route.flags & (vpmu::trap::kCounts | vpmu::trap::kExitWork))) {
    // The guest's overflow interrupt follows its registers; a write may also bring an
    // overflow closer than the end of the slice: stop there, so the interrupt is on time.
    vpmu::sync_hwstate(*vpmu_);
    if (!(counts && functional)) now = core.retired_by_el();  // else taken above, same access
    const uint64_t ran = now[0] + now[1] - slice_start_;
    if (vpmu_->hw_insns_until_overflow(timing() != nullptr) < slice_len_ - ran) core.request_stop();
  }
  return a == pmu::Pmu::Access::kOk ? Result::kDone : Result::kUndef;
}

cpu::SysRegPort::Result Vcpu::trapped_pmu(cpu::Core& core, vpmu::TrapRoute route, uint32_t iss, uint64_t& value) {
  const bool is_read = iss & 1;
  const uint8_t el = core.state().el;
  vpmu::HandleResult r;
  if (!(route.flags & vpmu::trap::kCounts)) {
    // Neither reads a counter or the overflow state nor changes what counts (PMSELR, PMCR
    // or PMEVTYPER reads, ...): no counts to gather, no clock, no overflow brought closer.
    r = vpmu::handle_sys_reg(*vpmu_, route, iss, el, value);
  } else {
    // The counters must include everything retired so far.
    cpu::timing::TimingModel* const tm = timing();
    const std::array<uint64_t, 2> now = core.retired_by_el();
    if (tm == nullptr) {
      // Functional timing: the clock is all the vPMU needs to bring any counter up to date;
      // all of them are settled first only where the overflow state could be observed.
      vpmu_->set_clock(now);
      if ((route.flags & vpmu::trap::kClockSettle) && vpmu_->settle()) vpmu::sync_hwstate(*vpmu_);
    } else {
      flush_events(FlushAt::kTrap);
    }
    r = vpmu::handle_sys_reg(*vpmu_, route, iss, el, value);
    if (flush_skipped_ && vpmu_->may_count()) [[unlikely]] resync_counted();
    if (!is_read && vpmu_->may_count()) {
      // A counter write may bring an overflow closer than the end of this slice: stop
      // there instead, so that its interrupt is not a slice late. On the instruction clock
      // only counters moved by the access need a look: the others have counted no faster
      // than the instructions the slice bound allowed for.
      const uint32_t moved = vpmu_->take_moved();
      const bool all = tm != nullptr || (route.flags & vpmu::trap::kClockSettle);
      if (all || moved != 0) {
        const uint64_t ran = now[0] + now[1] - slice_start_;
        const uint64_t until = all ? vpmu_->insns_until_overflow(tm != nullptr) : vpmu_->insns_until_overflow(false, moved);
        if (until < slice_len_ - ran) core.request_stop();  // ran < slice_len_: this access is in the slice
      }
    }
  }
  if (sysreg_trace_) [[unlikely]]
    sysreg_trace_(id_, pcpu_, el, arch::SysRegKey::from_esr_iss(iss), is_read, value, r == vpmu::HandleResult::kUndef);
  // The interrupt line changed only if the level did, and the sink has passed it on.
  return r == vpmu::HandleResult::kHandled ? Result::kDone : Result::kUndef;
}

// Kept out of handle() so the PMU path's prologue stays small.
cpu::SysRegPort::Result Vcpu::handle_non_pmu(cpu::Core& core, uint32_t iss, uint64_t& value) {
  const bool is_read = iss & 1;
  const uint8_t el = core.state().el;
  vgic::Vgic* gic = vm_.vgic();
  const auto key = arch::SysRegKey::from_esr_iss(iss);
  const auto lk = vm_.lock();  // the vGIC is shared (ICC_SGI1R_EL1 reaches other vCPUs)
  if (is_gic_cpuif(key)) {
    // The CPU interface exists only with an initialised in-kernel vGIC; EL0 never reaches it.
    if (gic == nullptr || el == 0) return Result::kUndef;
    const auto r = gic->sysreg(id_, key, is_read, value);
    core.set_irq_pending(gic->irq_pending(id_));
    vm_.kick_changed(id_);
    return r == vgic::Vgic::Access::kOk ? Result::kDone : Result::kUndef;
  }
  if (is_timer(key)) {
    timer::AccessContext ctx;
    ctx.el = el;
    ctx.cntkctl = core.sysreg(cpu::SysSlot::CNTKCTL_EL1);
    // The counter is one for the VM: a read never returns less than any vCPU has read
    // before (each vCPU's clock is its own and may trail another's: by up to a quantum, or
    // more when they run on cores of different clocks). A vCPU that reads a count from
    // ahead of its own clock is now at that count: its clock moves there and its timers
    // see it, so a deadline the guest has seen pass fires (a guest that arms its timer and
    // then polls the counter for longer than the period must get the interrupt).
    if (vm_.counter_floor_ > now_ticks()) {
      advance_to(vm_.counter_floor_);
      sync_interrupts();
    }
    ctx.now = now_ticks();
    vm_.counter_floor_ = ctx.now;
    ctx.gic = gic;
    ctx.vcpu = id_;
    // An EL0 access CNTKCTL_EL1 forbids traps to EL1; it is reported as UNDEFINED (EC 0x00)
    // here, which a guest's handler sees as the same refusal (docs/guest-abi.md).
    const auto r = timer_.sysreg(key, is_read, value, ctx);
    if (gic != nullptr) core.set_irq_pending(gic->irq_pending(id_));
    // A write may arm the timer: end the run at the next block so that it is bounded by
    // the new deadline (insns_until_timer) and the interrupt is taken on time.
    if (!is_read) core.request_stop();
    return r == timer::GenericTimer::Access::kOk ? Result::kDone : Result::kUndef;
  }
  return Result::kUndef;
}

void Vcpu::flush_events(FlushAt at) {
  cpu::timing::TimingModel* const tm = timing();
  if (tm == nullptr) {
    // Functional timing: every retired instruction is one cycle at the EL it ran at, which
    // the vPMU reads off the clock (a counter that cannot count ignores it).
    vpmu_->set_clock(core_->retired_by_el());
    if (vpmu_->settle()) vpmu::sync_hwstate(*vpmu_);
    return;
  }
  if (!vpmu_->may_count() && at == FlushAt::kTrap) {
    // No enabled backing event: perf would count nothing. What ran since the last flush is
    // left ungathered in the model's pending events and dropped by resync_counted() where
    // counting can start again: after a PMU trap, at guest entry.
    // A model is still drained at every exit: another vCPU may run on this pCPU next.
    flush_skipped_ = true;
    return;
  }
  flush_skipped_ = false;
  // Cycle-level timing: the events the pCPU's model emitted for what this vCPU ran since
  // the last flush (the model is drained at every exit and PMU access, so nothing of
  // another vCPU is in it). events_ is left all-zero again afterwards.
  const arch::EventMask touched = tm->drain_events(events_);
  if (!touched.any()) return;
  if (vpmu::count_events(*vpmu_, events_)) vpmu::sync_hwstate(*vpmu_);
  clear_events(touched);
}

void Vcpu::clear_events(const arch::EventMask& touched) { events_.clear(touched); }

void Vcpu::resync_counted() {
  // Counting has just become possible (a trap enabled a counter, a reload or a load ran):
  // what ran before this point ran uncounted, so it is dropped. (Cycle-level timing only:
  // on the instruction clock a backing event starts counting from the clock it joins at.)
  if (cpu::timing::TimingModel* tm = timing()) clear_events(tm->drain_events(events_));
  flush_skipped_ = false;
}
}  // namespace kvm_model
