// The generic timer registers of a vCPU as a constexpr table of {name, key, EL0 gate, read,
// write} rows (Arm ARM "The AArch64 view of the Generic Timer"), plus the timer condition
// and the outputs into the vGIC.
#include "kvm_model/timer/generic_timer.h"

#include <algorithm>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "kvm_model/vgic/vgic.h"

namespace kvm_model::timer {

unsigned timer_ppi(TimerId t) { return t == TimerId::kPhys ? vgic::kPhysTimerPpi : vgic::kVirtTimerPpi; }

namespace {

// Which CNTKCTL_EL1 bits open a register to EL0 (Arm ARM CNTKCTL_EL1 field descriptions): any
// one of a row's bits suffices. CNTFRQ_EL0 is readable at EL0 if either counter is.
constexpr uint64_t kGateFrq = cntkctl::kEL0PCTEN | cntkctl::kEL0VCTEN;
constexpr uint64_t kGatePct = cntkctl::kEL0PCTEN;
constexpr uint64_t kGateVct = cntkctl::kEL0VCTEN;
constexpr uint64_t kGatePt = cntkctl::kEL0PTEN;
constexpr uint64_t kGateVt = cntkctl::kEL0VTEN;

void check_frequency(uint64_t hz) {
  if (hz == 0 || hz > std::numeric_limits<uint32_t>::max())
    throw std::invalid_argument("kvm_model/timer: CNTFRQ_EL0 frequency must be 1..2^32-1 Hz, got " +
                                std::to_string(hz));
}

}  // namespace

struct TimerOps {
  using ReadFn = uint64_t (*)(const GenericTimer&, uint64_t now);
  using WriteFn = void (*)(GenericTimer&, uint64_t now, uint64_t value);

  static uint64_t read_frq(const GenericTimer& t, uint64_t) { return t.s_.frequency; }
  static uint64_t read_pct(const GenericTimer& t, uint64_t now) { return t.count(TimerId::kPhys, now); }
  static uint64_t read_vct(const GenericTimer& t, uint64_t now) { return t.count(TimerId::kVirt, now); }

  template <TimerId T>
  static uint64_t read_ctl(const GenericTimer& t, uint64_t now) {
    return t.regs(T).ctl | (t.istatus(T, now) ? cnt_ctl::kISTATUS : 0);
  }
  template <TimerId T>
  static void write_ctl(GenericTimer& t, uint64_t, uint64_t v) { t.regs(T).ctl = v & cnt_ctl::kWritable; }

  template <TimerId T>
  static uint64_t read_cval(const GenericTimer& t, uint64_t) { return t.regs(T).cval; }
  template <TimerId T>
  static void write_cval(GenericTimer& t, uint64_t, uint64_t v) { t.regs(T).cval = v; }

  // TimerValue view: a signed 32-bit down-counter. Reads (CVAL - count)[31:0]; writes set
  // CVAL = count + SignExtend(TVAL[31:0]) (Arm ARM "Operation of the TimerValue views").
  template <TimerId T>
  static uint64_t read_tval(const GenericTimer& t, uint64_t now) {
    return arch::bits<31, 0>(t.regs(T).cval - t.count(T, now));
  }
  template <TimerId T>
  static void write_tval(GenericTimer& t, uint64_t now, uint64_t v) {
    t.regs(T).cval = t.count(T, now) + static_cast<uint64_t>(arch::sign_extend(arch::bits<31, 0>(v), 32));
  }
};

namespace {

struct TimerReg {
  std::string_view name;
  arch::SysRegKey key;
  uint64_t el0_gate;         // CNTKCTL_EL1 bits, any of which opens the register to EL0
  TimerOps::ReadFn read;    // null: no MRS encoding
  TimerOps::WriteFn write;  // null: no MSR encoding, or not writable at EL0/EL1
};

using arch::sysreg;
using O = TimerOps;
constexpr TimerId kP = TimerId::kPhys, kV = TimerId::kVirt;

// Sorted by SysRegKey::index().
constexpr TimerReg kTimerRegs[] = {
    {"CNTFRQ_EL0", sysreg(3, 3, 14, 0, 0), kGateFrq, O::read_frq, nullptr},
    {"CNTPCT_EL0", sysreg(3, 3, 14, 0, 1), kGatePct, O::read_pct, nullptr},
    {"CNTVCT_EL0", sysreg(3, 3, 14, 0, 2), kGateVct, O::read_vct, nullptr},
    {"CNTP_TVAL_EL0", sysreg(3, 3, 14, 2, 0), kGatePt, O::read_tval<kP>, O::write_tval<kP>},
    {"CNTP_CTL_EL0", sysreg(3, 3, 14, 2, 1), kGatePt, O::read_ctl<kP>, O::write_ctl<kP>},
    {"CNTP_CVAL_EL0", sysreg(3, 3, 14, 2, 2), kGatePt, O::read_cval<kP>, O::write_cval<kP>},
    {"CNTV_TVAL_EL0", sysreg(3, 3, 14, 3, 0), kGateVt, O::read_tval<kV>, O::write_tval<kV>},
    {"CNTV_CTL_EL0", sysreg(3, 3, 14, 3, 1), kGateVt, O::read_ctl<kV>, O::write_ctl<kV>},
    {"CNTV_CVAL_EL0", sysreg(3, 3, 14, 3, 2), kGateVt, O::read_cval<kV>, O::write_cval<kV>},
};

// Validator: keys strictly increasing (binary search) and every row EL0-gated by some
// CNTKCTL_EL1 bit (every CNT*_EL0 register is).
constexpr bool sorted_unique(std::span<const TimerReg> t) {
  for (size_t i = 1; i < t.size(); ++i)
    if (!(t[i - 1].key.index() < t[i].key.index())) return false;
  for (const TimerReg& r : t)
    if (r.el0_gate == 0) return false;
  return true;
}
static_assert(sorted_unique(kTimerRegs), "kTimerRegs: keys must be strictly increasing, each row EL0-gated");

const TimerReg* find_reg(arch::SysRegKey key) {
  const auto it = std::lower_bound(std::begin(kTimerRegs), std::end(kTimerRegs), key.index(),
                                   [](const TimerReg& r, uint16_t i) { return r.key.index() < i; });
  return (it != std::end(kTimerRegs) && it->key == key) ? &*it : nullptr;
}

}  // namespace

GenericTimer::GenericTimer(uint64_t frequency) {
  check_frequency(frequency);
  s_.frequency = frequency;
}

void GenericTimer::reset() {
  s_.timers = {};
  s_.line = {};
}

void GenericTimer::set_frequency(uint64_t hz) {
  check_frequency(hz);
  s_.frequency = hz;
}

GenericTimer::Access GenericTimer::sysreg(arch::SysRegKey key, bool is_read, uint64_t& value,
                                          const AccessContext& ctx) {
  const TimerReg* r = find_reg(key);
  if (r == nullptr) return Access::kUndef;
  // A missing direction is UNDEFINED at every EL, before any CNTKCTL_EL1 trap.
  if (!is_read && r->write == nullptr) return Access::kUndef;
  if (ctx.el == 0 && (ctx.cntkctl & r->el0_gate) == 0) return Access::kTrapEl0;
  if (is_read) {
    value = r->read(*this, ctx.now);
  } else {
    r->write(*this, ctx.now, value);
    if (ctx.gic != nullptr) update(ctx.now, *ctx.gic, ctx.vcpu);
  }
  return Access::kOk;
}

uint64_t GenericTimer::count(TimerId t, uint64_t now) const {
  return t == TimerId::kPhys ? now - s_.cntpoff : now - s_.cntvoff;
}

bool GenericTimer::istatus(TimerId t, uint64_t now) const {
  const TimerRegs& r = regs(t);
  return cnt_ctl::ENABLE(r.ctl) && count(t, now) >= r.cval;
}

bool GenericTimer::output(TimerId t, uint64_t now) const {
  return istatus(t, now) && !cnt_ctl::IMASK(regs(t).ctl);
}

uint64_t GenericTimer::next_deadline(uint64_t now) const {
  uint64_t best = UINT64_MAX;
  for (const TimerId t : {TimerId::kPhys, TimerId::kVirt}) {
    const bool out = output(t, now);
    if (out != s_.line[static_cast<unsigned>(t)]) return now;
    const TimerRegs& r = regs(t);
    if (out || !cnt_ctl::ENABLE(r.ctl) || cnt_ctl::IMASK(r.ctl)) continue;
    // Enabled, unmasked and not yet fired: count < CVAL. Fires cval - count ticks from now.
    const uint64_t delta = r.cval - count(t, now);
    best = std::min(best, delta > UINT64_MAX - now ? UINT64_MAX : now + delta);
  }
  return best;
}

void GenericTimer::update(uint64_t now, vgic::Vgic& gic, unsigned vcpu) {
  for (const TimerId t : {TimerId::kPhys, TimerId::kVirt}) {
    const bool level = output(t, now);
    s_.line[static_cast<unsigned>(t)] = level;
    gic.set_irq_level(vcpu, ppi_[static_cast<unsigned>(t)], level);  // idempotent when unchanged
  }
}

}  // namespace kvm_model::timer
