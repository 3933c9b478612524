// PMUv3 state, counting and overflow (Arm ARM D13, pseudocode AArch64.CountEvents,
// AArch64.IncrementEventCounter, AArch64.CheckForPMUOverflow). Register dispatch is in
// pmu_regs.cpp.
#include "pmu/pmu.h"

#include <algorithm>
#include <bit>
#include <limits>
#include <stdexcept>
#include <string>

#include "pmu/events.h"

namespace pmu {

namespace {

constexpr uint64_t kLow32 = 0xffffffffu;
constexpr uint64_t kCycleDivider = 64;  // PMCR_EL0.D: one PMCCNTR tick per 64 cycles
constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
constexpr std::array<uint8_t, 5> kPmuVers{pmuver::kV3, pmuver::kV3p1, pmuver::kV3p4, pmuver::kV3p5,
                                          pmuver::kV3p7};
constexpr uint16_t kExtendedEventBase = 0x4000;  // PMUv3.1 extended common-event range

struct Sum {
  uint64_t value;
  uint64_t wraps;  // times the overflow boundary was crossed
};

// value + delta on a counter that overflows every 2^ovf_width (32 or 64) and keeps the low
// storage_mask bits. The 32-bit case counts carries out of bit 31 exactly, even for deltas
// above 2^32, because CHAIN needs the number of overflows, not just whether one happened.
constexpr Sum add_to_counter(uint64_t value, uint64_t delta, unsigned ovf_width, uint64_t storage_mask) {
  uint64_t wraps;
  if (ovf_width == 64) {
    wraps = value + delta < value ? 1 : 0;
  } else {
    const uint64_t low = value & kLow32;
    wraps = (delta >> 32) + ((low + (delta & kLow32)) >> 32);
  }
  return {(value + delta) & storage_mask, wraps};
}

// Largest delta that does not cross the next overflow boundary.
constexpr uint64_t headroom(uint64_t value, unsigned ovf_width) {
  const uint64_t m = arch::ones(ovf_width);
  return m - (value & m);
}

constexpr uint64_t sat_add(uint64_t a, uint64_t b) { return a > kMax - b ? kMax : a + b; }
constexpr uint64_t sat_mul(uint64_t a, uint64_t b) { return (b != 0 && a > kMax / b) ? kMax : a * b; }

void fail(const std::string& what) { throw std::invalid_argument("pmu: PmuConfig." + what); }

}  // namespace

Pmu::Pmu(const PmuConfig& config) : config_(config) {
  if (config.num_counters > kMaxEventCounters)
    fail("num_counters (PMCR_EL0.N) = " + std::to_string(config.num_counters) + " exceeds 31");
  if (std::find(kPmuVers.begin(), kPmuVers.end(), config.pmuver) == kPmuVers.end())
    fail("pmuver = " + std::to_string(config.pmuver) + " is not one of 1 (v3.0), 4 (v3.1), "
         "5 (v3.4), 6 (v3.5), 7 (v3.7)");
  if (config.pmcr_idcode > 0xff) fail("pmcr_idcode does not fit PMCR_EL0.IDCODE [23:16]");
  if (config.pmcr_imp > 0xff) fail("pmcr_imp does not fit PMCR_EL0.IMP [31:24]");
  for (uint16_t ev : config.events) {
    const bool common = ev < arch::kNumEvents;
    const bool extended = ev >= kExtendedEventBase && ev < kExtendedEventBase + arch::kNumCommonEvents;
    if (!common && !extended)
      fail("events: event " + std::to_string(ev) + " is outside 0x00..0x7F and 0x4000..0x403F");
    if (extended && config.pmuver < pmuver::kV3p1)
      fail("events: event " + std::to_string(ev) + " needs PMUv3.1 (PMCEID[63:32] is RES0 in v3.0)");
    if (common) implemented_[ev] = true;
  }
  n_ = config.num_counters;
  valid_mask_ = (uint64_t{1} << kCycleIdx) | arch::ones(n_);
  mdcr_.hpmn = n_;
  guest_mask_ = valid_mask_;
  const Pmceid ids = pmceid_of(config.events);
  pmceid_[0] = ids.pmceid0;
  pmceid_[1] = ids.pmceid1;
  reset();
}

void Pmu::reset() {
  consumed_ = 0;  // every value is replaced: nothing pending is kept
  pmcr_ = pmcr_res1();
  cnten_ = inten_ = ovs_ = 0;
  selr_ = userenr_ = 0;
  evtyper_.fill(0);
  evcntr_.fill(0);
  ccfiltr_ = ccntr_ = 0;
  cycle_phase_ = 0;
  recompute();
}

void Pmu::set_mdcr_el2(const Mdcr& m) {
  if (m.hpmn > n_)
    throw std::invalid_argument("pmu: MDCR_EL2.HPMN = " + std::to_string(m.hpmn) + " exceeds PMCR_EL0.N = " +
                                std::to_string(n_));
  if (m.hpmn == 0 && !config_.feat_hpmn0)
    throw std::invalid_argument("pmu: MDCR_EL2.HPMN = 0 needs FEAT_HPMN0 (PmuConfig::feat_hpmn0)");
  settle_if_pending();
  mdcr_ = m;
  guest_mask_ = (uint64_t{1} << kCycleIdx) | arch::ones(m.hpmn);
  recompute();
}

// ---- masks and derived properties ----

uint64_t Pmu::pmcr_writable_mask() const {
  uint64_t m = pmcr::kE | pmcr::kX | pmcr::kDP;
  if (config_.has_aarch32) m |= pmcr::kD | pmcr::kLC;
  if (v3p5()) m |= pmcr::kLP;
  if (config_.pmuver >= pmuver::kV3p7) m |= pmcr::kFZO;
  return m;
}

uint64_t Pmu::pmcr_res1() const { return config_.has_aarch32 ? 0 : pmcr::kLC; }

uint64_t Pmu::pmcr_value() const {
  return pmcr_ | (uint64_t{n_} << pmcr::kNShift) | (uint64_t{config_.pmcr_idcode} << pmcr::kIdcodeShift) |
         (uint64_t{config_.pmcr_imp} << pmcr::kImpShift);
}

uint64_t Pmu::pmcr_value_at(uint8_t el) const {
  const uint64_t v = pmcr_value();
  return el < 2 ? (v & ~(uint64_t{0x1f} << pmcr::kNShift)) | (uint64_t{mdcr_.hpmn} << pmcr::kNShift) : v;
}

unsigned Pmu::cycle_ovf_width() const { return (pmcr_ & pmcr::kLC) ? 64 : 32; }

uint32_t Pmu::frozen_mask() const {
  const uint64_t low = arch::ones(mdcr_.hpmn);
  return (pmcr_ & pmcr::kFZO) && (ovs_ & low) != 0 ? static_cast<uint32_t>(low) : 0;
}

// AArch64.CountEvents filtering for Non-secure state. RES0 bits are already clear in storage.
uint8_t Pmu::el_mask_of(uint64_t filter) const {
  uint8_t m = 0;
  if (evtyper::U(filter) == evtyper::NSU(filter)) m |= 1u << static_cast<unsigned>(arch::CountEl::kEl0);
  if (evtyper::P(filter) == evtyper::NSK(filter)) m |= 1u << static_cast<unsigned>(arch::CountEl::kEl1);
  if (evtyper::NSH(filter)) m |= 1u << static_cast<unsigned>(arch::CountEl::kEl2);
  return m;
}

bool Pmu::implemented(uint16_t event) const { return event < implemented_.size() && implemented_[event]; }

bool Pmu::irq_level() const {
  const uint64_t pending = inten_ & ovs_;
  return ((pmcr_ & pmcr::kE) && (pending & guest_mask_) != 0) || (mdcr_.hpme && (pending & ~guest_mask_) != 0);
}

uint64_t Pmu::pmceid(unsigned which) const {
  if (which > 1) throw std::out_of_range("pmu: PMCEID" + std::to_string(which) + " does not exist");
  return pmceid_[which];
}

// ---- programming ----

void Pmu::write_pmcr(uint64_t v, bool actions, uint8_t el) {
  settle_if_pending();
  pmcr_ = (v & pmcr_writable_mask()) | pmcr_res1();
  if (actions && (v & pmcr::kP)) std::fill_n(evcntr_.begin(), counters_at(el), 0);
  if (actions && (v & pmcr::kC)) {
    ccntr_ = 0;
    cycle_phase_ = 0;
  }
  recompute();
}

void Pmu::write_evtyper(unsigned n, uint64_t v) {
  const uint64_t masked = v & evtyper_mask();
  if (masked == evtyper_[n]) return;  // a profiler re-arming the same event changes nothing
  settle_if_pending();
  evtyper_[n] = masked;
  recompute();
}

void Pmu::write_ccfiltr(uint64_t v) {
  if ((v & filter_mask()) == ccfiltr_) return;  // as write_evtyper(): nothing changes
  settle_if_pending();
  ccfiltr_ = v & filter_mask();
  recompute();
}

void Pmu::write_ccntr(uint64_t v, const Clock& ahead) {
  ccntr_ = v;
  cycle_phase_ = 0;
  rebase(kCycleIdx, ahead);
}

void Pmu::recompute() {
  num_driven_ = 0;
  num_insn_driven_ = 0;
  cycle_el_mask_ = 0;
  counting_.fill(0);
  swinc_mask_ = chain_mask_ = 0;
  lazy_mask_ = 0;
  // PMCR_EL0.E enables the counters below HPMN and the cycle counter, MDCR_EL2.HPME the rest.
  uint64_t enabled = 0;
  if (pmcr_ & pmcr::kE) enabled |= guest_mask_;
  if (mdcr_.hpme) enabled |= valid_mask_ & ~guest_mask_;
  for (uint64_t en = cnten_ & enabled; en != 0; en &= en - 1) {
    const unsigned i = static_cast<unsigned>(std::countr_zero(en));
    const uint32_t bit = uint32_t{1} << i;
    const uint8_t els = el_mask_of(i == kCycleIdx ? ccfiltr_ : evtyper_[i]);
    for (unsigned el = 0; el < arch::kNumCountEls; ++el)
      if (els & (1u << el)) counting_[el] |= bit;
    if (i == kCycleIdx) {
      cycle_el_mask_ = els;
      if (els != 0) lazy_mask_ |= bit;
      continue;
    }
    const auto ev = static_cast<uint16_t>(evtyper_[i] & evtyper::kEvtCount16);
    if (!implemented(ev) || els == 0) continue;
    if (ev == event::SW_INCR) {
      swinc_mask_ |= bit;
    } else if (ev == event::CHAIN) {
      if (i % 2 == 1) chain_mask_ |= bit;  // CHAIN on an even counter counts nothing
    } else {
      if (ev == event::INST_RETIRED || ev == event::INST_SPEC || ev == event::CPU_CYCLES) {
        insn_driven_[num_insn_driven_++] = static_cast<uint8_t>(num_driven_);
        lazy_mask_ |= bit;
        lazy_els_[i] = els;
      }
      driven_[num_driven_++] = {static_cast<uint8_t>(i), els, ev, event_ovf_width(i) == 64 ? kMax : kLow32};
    }
  }
  // Every caller settled the lazy counters first: all of them count from here.
  since_.fill(clock_);
  compute_budget();
}

// ---- the lazy counters (instruction clock) ----

uint64_t Pmu::divided_ticks(uint64_t cycles) const { return (cycle_phase_ + cycles) / kCycleDivider; }

uint64_t Pmu::live_cycle_phase() const {
  if (!((lazy_mask_ >> kCycleIdx) & 1) || !cycle_divided()) return cycle_phase_;
  return (cycle_phase_ + pending(kCycleIdx, cycle_el_mask_)) % kCycleDivider;
}

void Pmu::settle_lazy() {
  consumed_ = 0;
  const uint32_t frozen = frozen_mask();
  // Ascending counter order, per EL, as add_instructions() always did: an even counter's
  // overflow reaches its odd CHAIN partner at the EL it happened at.
  for (unsigned k = 0; k < num_insn_driven_; ++k) {
    const Driven& d = driven_[insn_driven_[k]];
    std::array<uint64_t, arch::kNumCountEls>& since = since_[d.idx];
    std::array<uint64_t, arch::kNumCountEls> per_el{};
    for (unsigned el = 0; el < arch::kNumCountEls; ++el)
      if (d.el_mask & (1u << el)) per_el[el] = clock_[el] - since[el];
    since = clock_;
    if ((frozen >> d.idx) & 1) continue;
    const uint64_t n = per_el[0] + per_el[1] + per_el[2];
    if (n == 0) continue;
    // Far from the overflow (nearly always): a plain add, in the counter's storage width.
    uint64_t& c = evcntr_[d.idx];
    if (n <= d.ovf_limit - (c & d.ovf_limit)) {
      c = (c + n) & evcntr_storage_mask();
      continue;
    }
    for (unsigned el = 0; el < arch::kNumCountEls; ++el)
      if (per_el[el] != 0) increment_event_counter(d.idx, per_el[el], el);
  }
  if (cycle_el_mask_ != 0) {
    const uint64_t cycles = pending(kCycleIdx, cycle_el_mask_);
    since_[kCycleIdx] = clock_;
    if (cycles) increment_cycle_counter(cycles);
  }
  compute_budget();
}

uint64_t Pmu::cycle_headroom() const {
  const uint64_t ticks = headroom(ccntr_, cycle_ovf_width());
  return cycle_divided() ? sat_add(sat_mul(ticks, kCycleDivider), kCycleDivider - 1 - cycle_phase_) : ticks;
}

void Pmu::compute_budget() {
  consumed_ = 0;
  // FZO: whether a counter counts depends on PMOVSSET at the start of every batch.
  if (pmcr_ & pmcr::kFZO) {
    budget_ = lazy_mask_ != 0 ? 0 : kNoBudget;
    return;
  }
  uint64_t b = kNoBudget;
  for (uint32_t m = lazy_mask_; m != 0; m &= m - 1) b = std::min(b, headroom_of(static_cast<unsigned>(std::countr_zero(m))));
  budget_ = b;
}

// ---- counting ----

void Pmu::increment_event_counter(unsigned idx, uint64_t delta, unsigned el) {
  const unsigned width = event_ovf_width(idx);
  const Sum s = add_to_counter(evcntr_[idx], delta, width, evcntr_storage_mask());
  evcntr_[idx] = s.value;
  if (s.wraps == 0) return;
  ovs_ |= uint64_t{1} << idx;
  // AArch64.IncrementEventCounter: an even counter overflowing at 32 bits raises CHAIN on n+1.
  const unsigned next = idx + 1;
  if (idx % 2 == 0 && next < n_ && width == 32 && (chain_mask_ & counting_[el] & (uint32_t{1} << next)))
    increment_event_counter(next, s.wraps, el);
}

void Pmu::increment_cycle_counter(uint64_t cycles) {
  uint64_t ticks = cycles;
  if (cycle_divided()) {
    const uint64_t phase = cycle_phase_ + cycles % kCycleDivider;
    ticks = cycles / kCycleDivider + phase / kCycleDivider;
    cycle_phase_ = phase % kCycleDivider;
  }
  if (ticks == 0) return;
  const Sum s = add_to_counter(ccntr_, ticks, cycle_ovf_width(), kMax);
  ccntr_ = s.value;
  if (s.wraps) ovs_ |= uint64_t{1} << kCycleIdx;
}

void Pmu::add_events(const arch::EventCounts& c) {
  for (unsigned e = 0; e < arch::kNumEvents; ++e)
    totals_[e] += c.counts[0][e] + c.counts[1][e] + c.counts[2][e];
  if (num_driven_ == 0 && cycle_el_mask_ == 0) return;
  settle_if_pending();

  {
    const uint32_t frozen = frozen_mask();
    for (unsigned k = 0; k < num_driven_; ++k) {
      const Driven& d = driven_[k];
      if ((frozen >> d.idx) & 1) continue;
      for (unsigned el = 0; el < arch::kNumCountEls; ++el) {
        if (!(d.el_mask & (1u << el))) continue;
        if (const uint64_t n = c.counts[el][d.event]) increment_event_counter(d.idx, n, el);
      }
    }
  }
  if (cycle_el_mask_ != 0) {
    uint64_t cycles = 0;
    for (unsigned el = 0; el < arch::kNumCountEls; ++el)
      if (cycle_el_mask_ & (1u << el)) cycles += c.counts[el][event::CPU_CYCLES];
    if (cycles) increment_cycle_counter(cycles);
  }
  if (lazy_mask_ != 0) compute_budget();  // the lazy counters' values moved
}

void Pmu::software_increment(uint32_t mask, uint8_t el) {
  const unsigned e = std::min<unsigned>(el, arch::kNumCountEls - 1);
  mask &= ~frozen_mask();
  // Counters incremented in ascending order, so an even SW_INCR counter's overflow reaches its
  // odd CHAIN partner (which is never itself a SW_INCR counter).
  for (uint32_t m = mask & swinc_mask_ & counting_[e]; m != 0; m &= m - 1)
    increment_event_counter(static_cast<unsigned>(std::countr_zero(m)), 1, e);
}

uint64_t Pmu::events_until_overflow() const {
  uint64_t best = kMax;
  const uint32_t frozen = frozen_mask();
  for (unsigned k = 0; k < num_driven_; ++k) {
    const unsigned idx = driven_[k].idx;
    if (!((frozen >> idx) & 1)) best = std::min(best, headroom(live_evcntr(idx), event_ovf_width(idx)));
  }
  if (cycle_el_mask_ != 0) {
    const uint64_t ticks = headroom(live_ccntr(), cycle_ovf_width());
    const uint64_t cycles =
        cycle_divided() ? sat_add(sat_mul(ticks, kCycleDivider), kCycleDivider - 1 - live_cycle_phase()) : ticks;
    best = std::min(best, cycles);
  }
  return best;
}

// ---- programmatic counter access ----

uint64_t Pmu::counter(unsigned idx) const {
  if (idx == kCycleIdx) return live_ccntr();
  if (idx >= n_) throw std::out_of_range("pmu: counter " + std::to_string(idx) + " not implemented");
  return live_evcntr(idx);
}

void Pmu::set_counter(unsigned idx, uint64_t v) {
  if (idx == kCycleIdx) return write_ccntr(v);
  if (idx >= n_) throw std::out_of_range("pmu: counter " + std::to_string(idx) + " not implemented");
  write_evcntr(idx, v);
}

}  // namespace pmu
