// kvm_model::timer::GenericTimer: the EL1 physical and virtual timers of one vCPU and the
// counters they compare against (Arm ARM "The Generic Timer in AArch64 state"; registers
// CNTFRQ_EL0, CNTPCT_EL0, CNTVCT_EL0, CNTP_{CTL,CVAL,TVAL}_EL0, CNTV_{CTL,CVAL,TVAL}_EL0), as a
// KVM guest sees them. Timer outputs drive PPI 30 (physical) and PPI 27 (virtual) of the vGIC,
// level-sensitive.
//
// The time base is the caller's: every call takes `now`, the physical count (CNTPCT_EL0) in
// ticks of CNTFRQ_EL0. The virtual count is now - CNTVOFF (CNTVOFF_EL2, set by the hypervisor:
// 0 unless set_cntvoff() is called, i.e. KVM without KVM_ARM_SET_COUNTER_OFFSET).
//
// ---------------------------------------------------------------------------------------------
// Where the architecture leaves a choice, this model picks as follows (and why):
//
//  * CNTFRQ_EL0 reads the configured frequency, default 62.5 MHz (kDefaultFrequency: QEMU
//    virt's historical counter frequency, a 16 ns tick). It is writable only at the highest
//    implemented Exception level; a KVM guest runs at EL0/EL1 under EL2, so MSR CNTFRQ_EL0 is
//    UNDEFINED (Arm ARM CNTFRQ_EL0 accessibility pseudocode). The host sets it with
//    set_frequency().
//  * ISTATUS reads 0 while ENABLE is 0 (the architecture makes it UNKNOWN; QEMU clears it,
//    KVM computes it regardless). TVAL reads (CVAL - count)[31:0] whatever ENABLE is (UNKNOWN
//    when disabled; this is the natural value).
//  * CTL, CVAL reset to 0 (ENABLE resets to 0; the rest is UNKNOWN on reset).
//  * EL0 accesses refused by CNTKCTL_EL1 (EL0PCTEN, EL0VCTEN, EL0PTEN, EL0VTEN) are
//    architecturally trapped to EL1 with EC 0x18 (AArch64.SystemAccessTrap), not UNDEFINED;
//    sysreg() reports them as Access::kTrapEl0 so a caller that can raise that trap does (Linux
//    emulates trapped CNTVCT_EL0/CNTFRQ_EL0 reads), and one that cannot treats it as kUndef.
//  * The event stream (CNTKCTL_EL1.EVNTEN/EVNTI/EVNTDIR) is not modelled: it only produces WFE
//    wake-up events, which belong to the run loop.
//  * Counter values are unsigned 64-bit; the timer condition is UInt(count) >= UInt(CVAL)
//    (Arm ARM "Operation of the CompareValue views of the timers").
// ---------------------------------------------------------------------------------------------
#pragma once

#include <array>
#include <cstdint>

#include "cpu/arch/bits.h"
#include "cpu/arch/sysreg_key.h"

namespace kvm_model::vgic {
class Vgic;
}

namespace kvm_model::timer {

inline constexpr uint64_t kDefaultFrequency = 62'500'000;

// CNTKCTL_EL1: EL0 access enables.
namespace cntkctl {
inline constexpr uint64_t kEL0PCTEN = 1u << 0;  // CNTPCT_EL0 (and CNTFRQ_EL0)
inline constexpr uint64_t kEL0VCTEN = 1u << 1;  // CNTVCT_EL0 (and CNTFRQ_EL0)
inline constexpr uint64_t kEL0VTEN = 1u << 8;   // CNTV_CTL/CVAL/TVAL_EL0
inline constexpr uint64_t kEL0PTEN = 1u << 9;   // CNTP_CTL/CVAL/TVAL_EL0
}  // namespace cntkctl

// CNTP_CTL_EL0 / CNTV_CTL_EL0.
namespace cnt_ctl {
inline constexpr uint64_t kENABLE = 1u << 0;
inline constexpr uint64_t kIMASK = 1u << 1;
inline constexpr uint64_t kISTATUS = 1u << 2;      // read-only
inline constexpr uint64_t kWritable = kENABLE | kIMASK;
constexpr bool ENABLE(uint64_t v) { return arch::bit<0>(v); }
constexpr bool IMASK(uint64_t v) { return arch::bit<1>(v); }
}  // namespace cnt_ctl

enum class TimerId : uint8_t { kPhys = 0, kVirt = 1 };
inline constexpr unsigned kNumTimers = 2;

// The PPI a timer drives: 30 for the EL1 physical timer, 27 for the virtual timer.
unsigned timer_ppi(TimerId t);

struct TimerRegs {
  uint64_t ctl = 0;    // ENABLE and IMASK only; ISTATUS is computed
  uint64_t cval = 0;
};

// Everything guest-visible plus the levels last driven into the GIC, as a plain value.
struct TimerState {
  uint64_t frequency = kDefaultFrequency;   // CNTFRQ_EL0
  uint64_t cntvoff = 0;                     // CNTVOFF_EL2
  // CNTPOFF_EL2 (FEAT_ECV), or KVM's trap-and-emulate equivalent: a VMM that writes
  // KVM_REG_ARM_PTIMER_CNT moves the guest's physical count by this offset.
  uint64_t cntpoff = 0;
  std::array<TimerRegs, kNumTimers> timers{};
  std::array<bool, kNumTimers> line{};      // indexed by TimerId
};

// What a system-register access needs to know about the accessing vCPU.
struct AccessContext {
  uint8_t el = 1;               // current Exception level: 0 or 1
  uint64_t cntkctl = 0;         // the vCPU's CNTKCTL_EL1 (kept in the core's register file)
  uint64_t now = 0;             // physical count at the access
  vgic::Vgic* gic = nullptr;    // if set, a successful write calls update(now, *gic, vcpu)
  unsigned vcpu = 0;
};

class GenericTimer {
 public:
  enum class Access : uint8_t {
    kOk,
    kUndef,     // no such register / direction, or CNTFRQ_EL0 write below the highest EL
    kTrapEl0,   // EL0 access disabled by CNTKCTL_EL1: EC 0x18 trap to EL1 (see above)
  };

  // Throws std::invalid_argument if frequency is 0 or does not fit CNTFRQ_EL0's 32 bits.
  explicit GenericTimer(uint64_t frequency = kDefaultFrequency);

  // Warm reset: CTL and CVAL to 0, lines low (frequency and CNTVOFF are kept: they belong to
  // the platform and the hypervisor).
  void reset();

  // MRS (is_read; value receives the result) or MSR (value holds X[Rt]) of a CNT* register
  // that lives in the timer (not CNTKCTL_EL1, which the core keeps). kUndef for other keys.
  Access sysreg(arch::SysRegKey key, bool is_read, uint64_t& value, const AccessContext& ctx);

  // The count a timer compares against: CNTPCT_EL0 = now - CNTPOFF, CNTVCT_EL0 = now - CNTVOFF.
  uint64_t count(TimerId t, uint64_t now) const;
  // CNTx_CTL_EL0.ISTATUS: ENABLE and count >= CVAL.
  bool istatus(TimerId t, uint64_t now) const;
  // The interrupt output: ENABLE && !IMASK && ISTATUS.
  bool output(TimerId t, uint64_t now) const;

  // The earliest physical count >= now at which update() would change a PPI level: `now` if
  // a change is already due (the output differs from the level last driven), otherwise the
  // count at which an enabled, unmasked timer fires, or UINT64_MAX if none will. Lets the run
  // loop bound the guest's instruction budget.
  uint64_t next_deadline(uint64_t now) const;
  // Drives PPI 30 / PPI 27 of `vcpu` in `gic` with the outputs at `now`.
  void update(uint64_t now, vgic::Vgic& gic, unsigned vcpu);

  uint64_t frequency() const { return s_.frequency; }
  void set_frequency(uint64_t hz);   // same checks as the constructor
  // The physical count after `cycles` cycles of a core clocked at `core_mhz`: the count
  // runs at CNTFRQ whatever the core's clock.
  uint64_t ticks_after(uint64_t cycles, uint32_t core_mhz) const {
    return static_cast<uint64_t>(static_cast<unsigned __int128>(cycles) * s_.frequency /
                                 (uint64_t{core_mhz} * 1000000));
  }
  // Cycles of that core from count `now` until next_deadline(now), at least 1 (UINT64_MAX:
  // never), rounded up so that a run of that many cycles reaches the deadline.
  uint64_t cycles_until_deadline(uint64_t now, uint32_t core_mhz) const {
    const uint64_t deadline = next_deadline(now);
    if (deadline == UINT64_MAX) return UINT64_MAX;
    if (deadline <= now) return 1;
    const unsigned __int128 c =
        static_cast<unsigned __int128>(deadline - now) * core_mhz * 1000000 / s_.frequency + 1;
    return c > UINT64_MAX ? UINT64_MAX : static_cast<uint64_t>(c);
  }
  uint64_t cntvoff() const { return s_.cntvoff; }
  void set_cntvoff(uint64_t off) { s_.cntvoff = off; }
  uint64_t cntpoff() const { return s_.cntpoff; }
  void set_cntpoff(uint64_t off) { s_.cntpoff = off; }

  const TimerState& state() const { return s_; }
  void set_state(const TimerState& s) { s_ = s; }

  // The PPIs the timers drive (KVM_ARM_VCPU_TIMER_CTRL; default 27 and 30).
  void set_ppis(unsigned virt, unsigned phys) { ppi_ = {phys, virt}; }

 private:
  friend struct TimerOps;
  TimerRegs& regs(TimerId t) { return s_.timers[static_cast<unsigned>(t)]; }
  const TimerRegs& regs(TimerId t) const { return s_.timers[static_cast<unsigned>(t)]; }

  TimerState s_;
  std::array<unsigned, 2> ppi_{30, 27};  // by TimerId: KVM's default PPIs
};

}  // namespace kvm_model::timer
