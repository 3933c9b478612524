#include "kvm_model/vpmu/vcpu_pmu.h"

#include <algorithm>
#include <bit>

namespace kvm_model::vpmu {

namespace {

constexpr uint64_t bit(unsigned i) { return uint64_t{1} << i; }
constexpr uint64_t lower_32_bits(uint64_t v) { return v & 0xffffffffull; }

// Does the physical PMU implement `ev`? Common events 0x00..0x3F are PMCEID0/1 bits [31:0],
// 0x4000..0x403F bits [63:32] (Arm ARM D17.5.x PMCEID<n>_EL0). The dedicated cycle counter
// counts CPU_CYCLES whatever PMCEID says.
bool physical_pmu_implements(const ArmPmu& pmu, uint16_t ev) {
  if (ev == event::CPU_CYCLES) return true;
  if (ev < 0x20) return (pmu.pmceid0 >> ev) & 1;
  if (ev < 0x40) return (pmu.pmceid1 >> (ev - 0x20)) & 1;
  // A raw event KVM's perf event asks for: the PMU driver takes any event number, and the
  // hardware counts it if it implements it (PMCEID only describes 0x00-0x3F).
  if (ev < 0x80) return (pmu.events_40_7f >> (ev - 0x40)) & 1;
  if (ev >= 0x4000 && ev < 0x4020) return (pmu.pmceid0 >> (32 + ev - 0x4000)) & 1;
  if (ev >= 0x4020 && ev < 0x4040) return (pmu.pmceid1 >> (32 + ev - 0x4020)) & 1;
  return false;
}

}  // namespace

VcpuPmu::VcpuPmu(VmPmu& vm, unsigned vcpu_id) : vm_(vm), vcpu_id_(vcpu_id) { vm_.add_vcpu(this); }
VcpuPmu::~VcpuPmu() { vm_.remove_vcpu(this); }

// ---- partitioned PMU ----

bool VcpuPmu::wants_hw() const {
  if (hw_ != nullptr || !has_pmu_ || !loaded_ || !has_run_ || !vm_.partitioned()) return false;
  // Only the PMU the VM was partitioned on gives it HPMN counters: on another cluster's
  // CPU the guest's counters do not count (as perf does not schedule a backing event there).
  const ArmPmu* p = vm_.arm_pmu();
  return p != nullptr && p->covers(pcpu_);
}

namespace {
using arch::SysRegKey;
constexpr SysRegKey kPmcr = arch::sysreg(3, 3, 9, 12, 0), kCntenSet = arch::sysreg(3, 3, 9, 12, 1),
                    kSelr = arch::sysreg(3, 3, 9, 12, 5), kCcntr = arch::sysreg(3, 3, 9, 13, 0),
                    kUserenr = arch::sysreg(3, 3, 9, 14, 0), kOvsSet = arch::sysreg(3, 3, 9, 14, 3),
                    kIntenSet = arch::sysreg(3, 0, 9, 14, 1), kCcfiltr = arch::sysreg(3, 3, 14, 15, 7);
constexpr SysRegKey evcntr_key(unsigned n) {
  return arch::sysreg(3, 3, 14, static_cast<uint8_t>(8 + (n >> 3)), static_cast<uint8_t>(n & 7));
}
constexpr SysRegKey evtyper_key(unsigned n) {
  return n == kCycleIdx ? kCcfiltr : arch::sysreg(3, 3, 14, static_cast<uint8_t>(12 + (n >> 3)), static_cast<uint8_t>(n & 7));
}
struct BitmapReg {
  SysRegKey key;
  Slot slot;
};
constexpr std::array<BitmapReg, 3> kBitmaps{{{kCntenSet, Slot::PMCNTENSET_EL0},
                                             {kIntenSet, Slot::PMINTENSET_EL1},
                                             {kOvsSet, Slot::PMOVSSET_EL0}}};
struct PlainReg {
  SysRegKey key;
  Slot slot;
};
constexpr std::array<PlainReg, 3> kPlain{{{kSelr, Slot::PMSELR_EL0}, {kUserenr, Slot::PMUSERENR_EL0},
                                          {kCcntr, Slot::PMCCNTR_EL0}}};
}  // namespace

void VcpuPmu::load_hw(const std::array<uint64_t, 2>& now) {
  if (!wants_hw()) return;
  pmu::Pmu* hw = vm_.physical_pmu(pcpu_);
  if (hw == nullptr) return;
  // Lazy switch: whoever's context the PMU still holds goes back to its slots first.
  if (VcpuPmu* prev = vm_.hw_owner(pcpu_); prev != nullptr && prev != this) prev->put_hw();
  // The emulated backing events end here: their counts become the registers' values.
  for (unsigned i = 0; i < kMaxCounters; ++i)
    if (backing_[i].exists) stop_counter(i);
  process_requests();
  const uint32_t hpmn = VmPmu::hpmn_of(*vm_.arm_pmu());
  // MDCR_EL2.HPMN: the guest's share. HPME and HLP stay as the host keeps them.
  pmu::Mdcr m = hw->mdcr_el2();
  m.hpmn = hpmn;
  hw->set_mdcr_el2(m);
  const uint64_t guest = counter_mask_for_n(hpmn);
  // Raw (EL2) accesses: no write-1 actions, every counter visible.
  hw->set_reg(kPmcr, reg(Slot::PMCR_EL0));
  for (const BitmapReg& b : kBitmaps) hw->set_reg(b.key, (hw->reg(b.key) & ~guest) | (reg(b.slot) & guest));
  for (const PlainReg& r : kPlain) hw->set_reg(r.key, reg(r.slot));
  hw_filtered_ = 0;
  for (uint64_t m2 = guest; m2 != 0; m2 &= m2 - 1) {
    const unsigned i = static_cast<unsigned>(std::countr_zero(m2));
    uint64_t typer = reg(evtyper_slot(i));
    const uint32_t ev = i == kCycleIdx ? event::CPU_CYCLES : static_cast<uint32_t>(typer & vm_.event_mask());
    // Lewis v9: the event filter is enforced when the context is loaded. A denied event
    // keeps its number but counts at no level: P and U set, NSK, NSU and NSH clear.
    if (vm_.has_filter() && !vm_.filter_allows(ev)) {
      typer = (typer & ~(evtyper::kNSU | evtyper::kNSK | evtyper::kNSH)) |
              evtyper::kU | evtyper::kP;
      hw->set_reg(evtyper_key(i), typer);
      hw_filtered_val_[i] = hw->reg(evtyper_key(i));
      hw_filtered_ |= uint32_t{1} << i;
    } else {
      hw->set_reg(evtyper_key(i), typer);
    }
    if (i != kCycleIdx) hw->set_reg(evcntr_key(i), reg(evcntr_slot(i)));
  }
  hw_ = hw;
  hw_since_ = now;
  vm_.hw_owner_[pcpu_] = this;
  update_state();
}

void VcpuPmu::sync_from_hw() {
  if (hw_ == nullptr) return;
  const uint64_t guest = counter_mask_for_n(hw_->mdcr_el2().hpmn);
  // N stays what the slot held: KVM keeps it VM-wide, not in the guest's register.
  reg(Slot::PMCR_EL0) = pmcr::with_n(hw_->reg(kPmcr), pmcr::N(reg(Slot::PMCR_EL0)));
  for (const BitmapReg& b : kBitmaps) reg(b.slot) = hw_->reg(b.key) & guest;
  for (const PlainReg& r : kPlain) reg(r.slot) = hw_->reg(r.key);
  for (uint64_t m = guest; m != 0; m &= m - 1) {
    const unsigned i = static_cast<unsigned>(std::countr_zero(m));
    const uint64_t typer = hw_->reg(evtyper_key(i));
    // A filtered type the guest has not rewritten since: the guest's own value stands.
    if (!(((hw_filtered_ >> i) & 1) && typer == hw_filtered_val_[i])) reg(evtyper_slot(i)) = typer;
    if (i != kCycleIdx) reg(evcntr_slot(i)) = hw_->reg(evcntr_key(i));
  }
}

void VcpuPmu::put_hw() {
  if (hw_ == nullptr) return;
  sync_from_hw();
  // The guest's counters stop and are cleared: the next context (or the host) finds them
  // empty rather than counting on with the guest's programming.
  const uint64_t guest = counter_mask_for_n(hw_->mdcr_el2().hpmn);
  for (const BitmapReg& b : kBitmaps) hw_->set_reg(b.key, hw_->reg(b.key) & ~guest);
  hw_->set_reg(kPmcr, 0);
  for (uint64_t m = guest; m != 0; m &= m - 1) {
    const unsigned i = static_cast<unsigned>(std::countr_zero(m));
    hw_->set_reg(evtyper_key(i), 0);
    if (i != kCycleIdx) hw_->set_reg(evcntr_key(i), 0);
  }
  hw_->set_reg(kCcntr, 0);
  hw_->set_reg(kSelr, 0);
  hw_->set_reg(kUserenr, 0);
  if (vm_.hw_owner(pcpu_) == this) vm_.hw_owner_[pcpu_] = nullptr;
  hw_ = nullptr;
  hw_filtered_ = 0;
}

// Brackets a change to what or whether the backing events count: the instruction clock's
// counts are settled with the configuration they ran under, and the set it drives is
// recomputed for the new one. Nesting is harmless (the inner settle finds nothing pending).
class VcpuPmu::Reconfig {
 public:
  explicit Reconfig(VcpuPmu& v) : v_(v) { v_.settle_for_change(); }
  ~Reconfig() { v_.refresh_lazy(); }
  Reconfig(const Reconfig&) = delete;
  Reconfig& operator=(const Reconfig&) = delete;

 private:
  VcpuPmu& v_;
};

void VcpuPmu::set_has_pmu(bool v) {
  Reconfig rc(*this);
  has_pmu_ = v;
}

bool VcpuPmu::can_chain(unsigned idx) const {
  return !(idx & 1) && idx + 1 < kCycleIdx && !has_64bit_overflow(idx);
}


void VcpuPmu::drop_backing(unsigned idx) {
  backing_[idx] = Backing{};
  note_backing(idx);
}

void VcpuPmu::release_backing(unsigned idx) {
  Reconfig rc(*this);
  drop_backing(idx);
}

void VcpuPmu::stop_counter(unsigned idx) {
  if (!backing_[idx].exists) return;
  Reconfig rc(*this);
  reg(evcntr_slot(idx)) = get_counter_value(idx);
  drop_backing(idx);
}

void VcpuPmu::set_counter_value_recreate(unsigned idx, uint64_t val) {
  Reconfig rc(*this);
  drop_backing(idx);
  reg(evcntr_slot(idx)) = val;
  create_backing(idx);
}

uint32_t VcpuPmu::backing_key_for(unsigned idx) const {
  const uint64_t evtreg = reg(evtyper_slot(idx));
  const uint16_t ev = idx == kCycleIdx ? event::CPU_CYCLES
                                       : static_cast<uint16_t>(evtreg & vm_.event_mask());
  // Neither SW increment nor chained events are backed: they are counted in software.
  if (ev == event::SW_INCR || ev == event::CHAIN) return 0;
  // A filtered-out event gets no backing: the counter holds its value and never counts.
  if (vm_.has_filter() && !vm_.filter_allows(ev)) return 0;
  // perf_event_create_kernel_counter() needs a PMU type; without one, creation fails and the
  // counter silently does not count ("pmu event creation failed", logged once).
  if (vm_.arm_pmu() == nullptr) return 0;
  bool excl_el0, excl_el1;
  if (policy().ns_filter_bits) {
    // 6.7+ (ae8d3522): counts at EL0 iff U == NSU, at EL1 iff P == NSK.
    excl_el0 = bool(evtreg & evtyper::kU) != bool(evtreg & evtyper::kNSU);
    excl_el1 = bool(evtreg & evtyper::kP) != bool(evtreg & evtyper::kNSK);
  } else {
    excl_el0 = evtreg & evtyper::kU;
    excl_el1 = evtreg & evtyper::kP;
  }
  return Backing::key_of(counter_is_enabled(idx), excl_el0, excl_el1, ev);
}

void VcpuPmu::install_backing(unsigned idx, uint32_t key) {
  Backing& b = backing_[idx];
  b = Backing{};
  if (key != 0) {
    b.exists = true;
    b.enabled = (key >> 1) & 1;
    b.excl_el0 = (key >> 2) & 1;
    b.excl_el1 = (key >> 3) & 1;
    b.event = static_cast<uint16_t>(key >> 16);
    b.since = now_;
    note_inputs(b, idx);
  }
  note_backing(idx);
}

void VcpuPmu::create_backing(unsigned idx) {
  // kvm_pmu_create_perf_event(): the old event's count is folded into the register, then a
  // new event counts from zero.
  Backing& b = backing_[idx];
  const bool same_inputs = made_from_current_inputs(idx);
  if (same_inputs ? b.enabled == counter_is_enabled(idx) : backing_key_for(idx) == b.key()) {
    if (!b.exists) return;
    recreate_same(idx);
    if (!same_inputs) note_inputs(b, idx);  // else recorded already
    return;
  }
  const uint32_t key = backing_key_for(idx);
  Reconfig rc(*this);
  stop_counter(idx);
  install_backing(idx, key);
}

void VcpuPmu::reconfigure_enabled(unsigned idx, bool on) {
  Reconfig rc(*this);
  backing_[idx].enabled = on;
  note_backing(idx);
}

void VcpuPmu::enable_counter_mask(uint64_t mask) {
  if (!has_pmu_) return;
  if (!(read_pmcr() & pmcr::kE) || !mask) return;
  for (uint64_t m = mask & 0xffffffffull; m != 0; m &= m - 1) {  // ascending, as the kernel's for_each_set_bit
    const unsigned i = static_cast<unsigned>(std::countr_zero(m));
    if (!backing_[i].exists)
      create_backing(i);
    else
      set_enabled(i, true);
  }
}

void VcpuPmu::disable_counter_mask(uint64_t mask) {
  if (!has_pmu_ || !mask) return;
  for (uint64_t m = mask & 0xffffffffull; m != 0; m &= m - 1) {
    const unsigned i = static_cast<unsigned>(std::countr_zero(m));
    if (backing_[i].exists) set_enabled(i, false);
  }
}

void VcpuPmu::reprogram_counter_mask(uint64_t mask) {
  if (!mask) return;
  for (unsigned i = 0; i < kMaxCounters; ++i) {
    if (!(mask & bit(i))) continue;
    if (counter_is_enabled(i)) {
      if (!backing_[i].exists)
        create_backing(i);
      else
        set_enabled(i, true);
    } else if (backing_[i].exists) {
      set_enabled(i, false);
    }
  }
}

void VcpuPmu::counter_increment(uint64_t mask, uint16_t ev, uint64_t times) {
  if (!(read_pmcr() & pmcr::kE)) return;
  mask &= reg(Slot::PMCNTENSET_EL0);  // weed out disabled counters
  for (unsigned i = 0; i < kCycleIdx; ++i) {
    if (!(mask & bit(i))) continue;
    if ((reg(evtyper_slot(i)) & vm_.event_mask()) != ev) continue;
    const uint64_t old = reg(evcntr_slot(i));
    uint64_t wraps;
    if (has_64bit_overflow(i)) {
      wraps = old + times < old ? 1 : 0;
    } else {
      const unsigned __int128 sum = static_cast<unsigned __int128>(lower_32_bits(old)) + times;
      wraps = static_cast<uint64_t>(sum >> 32);
    }
    uint64_t v = old + times;
    if (!is_64bit(i)) v = lower_32_bits(v);
    reg(evcntr_slot(i)) = v;
    if (wraps == 0) continue;
    reg(Slot::PMOVSSET_EL0) |= bit(i);
    if (can_chain(i)) counter_increment(bit(i + 1), event::CHAIN, wraps);
  }
}

void VcpuPmu::software_increment(uint64_t mask) { counter_increment(mask, event::SW_INCR); }

void VcpuPmu::handle_pmcr(uint64_t val) {
  if (!has_pmu_) return;
  // Reconcile the PMU version and the LP bit.
  if (vm_.pmuver() < pmuver::kV3p5) val &= ~pmcr::kLP;
  moved_ = ~uint32_t{0};  // LC and LP set how far every counter is from its overflow
  if (policy().pmcr_e_via_reload) {
    // 6.15+: an E change requests a reload, which reprograms every counter before re-entry.
    if ((reg(Slot::PMCR_EL0) ^ val) & pmcr::kE) request_reload();
    reg(Slot::PMCR_EL0) = val & ~(pmcr::kC | pmcr::kP);
  } else {
    // The reset bits don't indicate any state and are not saved.
    reg(Slot::PMCR_EL0) = val & ~(pmcr::kC | pmcr::kP);
    if (val & pmcr::kE)
      enable_counter_mask(reg(Slot::PMCNTENSET_EL0));
    else
      disable_counter_mask(reg(Slot::PMCNTENSET_EL0));
  }
  if (val & pmcr::kC) set_counter_value(kCycleIdx, 0);
  if (val & pmcr::kP) {
    const uint64_t mask = valid_mask() & ~bit(kCycleIdx);  // event counters below N only
    for (unsigned i = 0; i < kCycleIdx; ++i)
      if (mask & bit(i)) set_counter_value(i, 0);
  }
}

uint64_t VcpuPmu::pmceid(unsigned which) const {
  uint64_t val = 0;
  if (policy().pmceid_source == PmceidSource::kCurrentPcpu) {
    // read_sysreg(pmceid*_el0) on whatever physical CPU runs the vCPU right now.
    if (const ClusterPmuDesc* phys = vm_.host().physical(pcpu_)) val = which ? phys->pmceid1 : phys->pmceid0;
  } else if (vm_.fixed_counters_only()) {
    // Proposal (FIXED_COUNTERS_ONLY): no event counter, so the only event is the cycle
    // counter's, if every PMU of the host implements it.
    bool cycles = true;
    for (const ArmPmu& p : vm_.host().arm_pmus()) cycles &= ((p.pmceid0 >> event::CPU_CYCLES) & 1) != 0;
    val = which == 0 && cycles ? bit(event::CPU_CYCLES) : 0;
  } else {
    const ArmPmu* p = vm_.arm_pmu();
    if (p == nullptr) return 0;
    val = which ? p->pmceid1 : p->pmceid0;
  }
  if (which == 0) {
    val |= bit(event::CHAIN);  // always support CHAIN
    if (policy().pmceid_forces_sw_incr) val |= bit(event::SW_INCR);
  } else if (!(vm_.strict() && vm_.pmmir_slots() != 0)) {
    // Don't advertise STALL_SLOT*: PMMIR_EL1 is RAZ. (STRICT, 7.3: PMMIR_EL1.SLOTS is the
    // real value, and with a non-zero SLOTS the PMU's STALL_SLOT* bits stay.)
    val &= ~(bit(event::STALL_SLOT - 32) | bit(event::STALL_SLOT_FRONTEND - 32) |
             bit(event::STALL_SLOT_BACKEND - 32));
  }
  if (!vm_.has_filter()) return val;
  const uint32_t base = which ? 32 : 0;
  const uint32_t nr_events = vm_.event_mask() + 1;
  uint64_t mask = 0;
  for (unsigned i = 0; i < 32; ++i) {
    if (vm_.filter_allows(base + i)) mask |= bit(i);
    if (nr_events >= 0x4000 + base + 32 && vm_.filter_allows(0x4000 + base + i)) mask |= bit(32 + i);
  }
  return val & mask;
}

void VcpuPmu::set_irq_level(bool level) {
  irq_level_ = level;
  if (irq_sink_) irq_sink_(level);
}

void VcpuPmu::process_requests() {
  if (!reload_pending_) return;
  // The partitioned context is the hardware's while loaded: there is nothing to reload.
  if (hw_ != nullptr) {
    reload_pending_ = false;
    return;
  }
  reload_pending_ = false;
  if (has_pmu_) policy().reload(*this);
}

void VcpuPmu::load(uint32_t pcpu) {
  if (pcpu != pcpu_) put_hw();  // the context does not follow the vCPU to another pCPU by itself
  Reconfig rc(*this);
  pcpu_ = pcpu;
  loaded_ = true;
  // kvm_arch_vcpu_load(): flag the vCPU if this CPU is outside the VM's supported_cpus; the
  // run loop turns the flag into KVM_EXIT_FAIL_ENTRY.
  on_unsupported_cpu_ = !vm_.cpu_supported(pcpu);
}

void VcpuPmu::put() {
  put_hw();
  Reconfig rc(*this);
  loaded_ = false;
  on_unsupported_cpu_ = false;
}

bool VcpuPmu::advance_wraps(unsigned idx, uint64_t before, uint64_t delta) {
  uint64_t wraps;
  if (is_64bit(idx) && has_64bit_overflow(idx)) {
    wraps = before + delta < before ? 1 : 0;
  } else {
    const unsigned __int128 sum = static_cast<unsigned __int128>(lower_32_bits(before)) + delta;
    wraps = static_cast<uint64_t>(sum >> 32);
  }
  if (wraps == 0) return false;
  // kvm_pmu_perf_overflow(): overflow status regardless of PMINTENSET, then CHAIN.
  reg(Slot::PMOVSSET_EL0) |= bit(idx);
  if (can_chain(idx)) counter_increment(bit(idx + 1), event::CHAIN, wraps);
  return true;
}

const ArmPmu* VcpuPmu::counting_pmu() const {
  // FIXED_COUNTERS_ONLY (proposal): the cycle counter is backed by the PMU of whichever pCPU
  // the vCPU is loaded on, so it counts on every cluster.
  if (vm_.fixed_counters_only()) return vm_.host().arm_pmu_of(pcpu_);
  return vm_.arm_pmu();
}

uint32_t VcpuPmu::scheduled_mask() {
  // Its other inputs (the backings, loaded_, has_pmu_) change only under a Reconfig.
  const ArmPmu* pmu = counting_pmu();
  if (sched_valid_ && pmu == sched_pmu_ && pcpu_ == sched_cpu_) return sched_mask_;
  sched_mask_ = compute_scheduled_mask();
  sched_valid_ = true;
  sched_pmu_ = pmu;
  sched_cpu_ = pcpu_;
  return sched_mask_;
}

uint32_t VcpuPmu::compute_scheduled_mask() {
  if (!may_count()) return 0;
  const ArmPmu* pmu = counting_pmu();
  // The backing events are of the VM's PMU type: on a CPU outside that PMU's cluster perf
  // cannot schedule them at all.
  if (pmu == nullptr) return 0;
  if (pmu != cover_pmu_ || pcpu_ != cover_cpu_) {
    cover_pmu_ = pmu;
    cover_cpu_ = pcpu_;
    covered_ = pmu->covers(pcpu_);
    // The events below 0x80 (the ones the event source produces) this PMU implements, one
    // bit each: what perf can count.
    implemented_ = {};
    for (uint16_t ev = 0; ev < arch::kNumEvents; ++ev)
      if (physical_pmu_implements(*pmu, ev)) implemented_.set(ev);
  }
  if (!covered_) return 0;
  // Pinned events compete for the physical counters: the dedicated cycle counter (preferred
  // by CPU_CYCLES events) and N general-purpose counters; the excess does not count. The
  // cycle counter's event is scheduled first, then the others by index.
  // A partitioned PMU (proposal): the host keeps its reserved counters, the guest's events
  // get the HPMN counters below them.
  unsigned general = vm_.partitioned() ? VmPmu::hpmn_of(*pmu) : pmu->max_counters();
  bool cycle_counter_free = true;
  uint32_t scheduled = 0;
  const auto schedule_one = [&](unsigned idx) {
    const Backing& b = backing_[idx];
    if (b.event == event::CPU_CYCLES && cycle_counter_free) {
      cycle_counter_free = false;
    } else if (general > 0) {
      --general;
    } else {
      return;
    }
    if (b.event < arch::kNumEvents && implemented_.test(b.event)) scheduled |= uint32_t{1} << idx;
  };
  constexpr uint32_t kCycleBit = uint32_t{1} << kCycleIdx;
  if (active_mask_ & kCycleBit) schedule_one(kCycleIdx);
  for (uint32_t m = active_mask_ & ~kCycleBit; m != 0; m &= m - 1) schedule_one(static_cast<unsigned>(std::countr_zero(m)));
  return scheduled;
}

bool VcpuPmu::count_events(const arch::EventCounts& counts) {
  if (!may_count()) return false;
  if (hw_ != nullptr) {
    hw_->add_events(counts);
    return hw_->irq_level_below_el2() != irq_level_;
  }
  const uint32_t scheduled = scheduled_mask();
  bool overflow = false;
  const auto count_one = [&](unsigned idx) {
    const Backing& b = backing_[idx];
    uint64_t delta = 0;
    if (!b.excl_el0) delta += counts.get(arch::CountEl::kEl0, b.event);
    if (!b.excl_el1) delta += counts.get(arch::CountEl::kEl1, b.event);
    // exclude_hv: EL2 is never counted for the guest.
    if (delta != 0 && advance(idx, delta)) overflow = true;
  };
  constexpr uint32_t kCycleBit = uint32_t{1} << kCycleIdx;
  if (scheduled & kCycleBit) count_one(kCycleIdx);
  for (uint32_t m = scheduled & ~kCycleBit; m != 0; m &= m - 1) count_one(static_cast<unsigned>(std::countr_zero(m)));
  return overflow;
}

uint64_t VcpuPmu::min_insns_to_overflow(bool cycle_timing, uint32_t live) const {
  uint64_t best = UINT64_MAX;
  for (uint32_t m = live; m != 0; m &= m - 1)
    best = std::min(best, insns_to_overflow(cycle_timing, static_cast<unsigned>(std::countr_zero(m))));
  return best;
}

bool VcpuPmu::settle() {
  if (hw_ != nullptr) return hw_count_to(now_);
  // In count_events()' order: the cycle counter first, then by index.
  bool overflow = false;
  constexpr uint32_t kCycleBit = uint32_t{1} << kCycleIdx;
  if ((lazy_mask_ & kCycleBit) && settle_one(kCycleIdx)) overflow = true;
  for (uint32_t m = lazy_mask_ & ~kCycleBit; m != 0; m &= m - 1)
    if (settle_one(static_cast<unsigned>(std::countr_zero(m)))) overflow = true;
  return overflow;
}

void VcpuPmu::settle_for_change() {
  // The trap path settles before any access that could observe an overflow, so this finds
  // one only if an access changes the configuration first; the level is then raised as
  // the settle before the access would have (kvm_pmu_sync_hwstate).
  if (lazy_mask_ != 0 && settle()) update_state();
}

void VcpuPmu::refresh_lazy() {
  moved_ = ~uint32_t{0};
  sched_valid_ = false;
  uint32_t mask = 0;
  if (insn_clock_) {
    for (uint32_t m = scheduled_mask(); m != 0; m &= m - 1) {
      const unsigned idx = static_cast<unsigned>(std::countr_zero(m));
      const uint16_t ev = backing_[idx].event;
      if (ev == event::INST_RETIRED || ev == event::INST_SPEC || ev == event::CPU_CYCLES) mask |= uint32_t{1} << idx;
    }
  }
  // A backing joining the set counts from now on: what ran before ran uncounted.
  for (uint32_t m = mask & ~lazy_mask_; m != 0; m &= m - 1) backing_[std::countr_zero(m)].since = now_;
  lazy_mask_ = mask;
}

void VcpuPmu::revalidate_clock() {
  if (!insn_clock_) return;
  Reconfig rc(*this);
}

}  // namespace kvm_model::vpmu
