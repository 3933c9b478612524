// pmu::Pmu: the PMUv3 of one physical core, as the hardware behaves (Arm ARM D13 "The
// Performance Monitors Extension", registers in D17.5). One instance per core; nothing global.
//
// Counting is in bulk: producers accumulate arch::EventCounts over a block or quantum and hand
// them to add_events(), which settles them into the enabled counters in O(enabled counters).
// The Pmu itself is always exact with respect to what it has been given, so whoever owns the
// producer must flush pending counts into the Pmu before any PMU register access, and should
// flush no later than events_until_overflow() allows so the overflow interrupt is at most one
// quantum late.
//
// Counters on the instruction clock are lazy. add_instructions() (a core without a timing
// model: each instruction one INST_RETIRED, INST_SPEC and CPU_CYCLES) only advances a per-EL
// instruction clock in O(1); a counter counting one of those events (and the cycle counter)
// holds the value it had when it was last brought up to date plus the clock ticks its filter
// admits since then, and is materialised only when its configuration changes. A read adds the
// ticks without storing them. This is exact because no lazy counter may cross its overflow
// boundary unseen: the Pmu keeps the smallest distance to an overflow among them (in
// instructions, lowered by every counter write) and settles every counter, overflows, PMOVSSET
// and CHAIN included, in the first add_instructions() batch that reaches it; with PMCR_EL0.FZO
// set (the freeze depends on PMOVSSET at every batch) every batch is settled.
//
// ---------------------------------------------------------------------------------------------
// Where the architecture leaves a choice, this model picks as follows (and why):
//
//  * Reset values. PMCR_EL0.E resets to 0; everything else that Arm ARM D17.5 lists as
//    "architecturally UNKNOWN on a Warm reset" (the other PMCR_EL0 control bits, PMCNTENSET,
//    PMINTENSET, PMOVSSET, PMSELR, PMUSERENR, PMEVCNTR<n>, PMEVTYPER<n>, PMCCFILTR, PMCCNTR)
//    resets to 0, so that runs are reproducible. A RES1 bit (PMCR_EL0.LC without AArch32) is 1.
//  * PMXEVTYPER_EL0/PMXEVCNTR_EL0 with N <= PMSELR_EL0.SEL < 31 are CONSTRAINED UNPREDICTABLE
//    (UNDEFINED, RAZ/WI, or access an UNKNOWN counter). We UNDEF: that is what the direct
//    PMEVTYPER<n>/PMEVCNTR<n> encodings do for n >= N, and what KVM does, so software sees one
//    rule for "counter not implemented".
//  * PMXEVCNTR_EL0 with SEL == 31 is CONSTRAINED UNPREDICTABLE (the cycle counter is not an
//    "event counter"). We UNDEF. PMXEVTYPER_EL0 with SEL == 31 is architected: it is
//    PMCCFILTR_EL0.
//  * PMEVCNTR<n>_EL0/PMEVTYPER<n>_EL0 with n >= N: UNDEFINED, which recent Arm ARM
//    accessibility pseudocode checks before anything else (earlier revisions left it CONSTRAINED
//    UNPREDICTABLE, with RAZ/WI allowed; we do not take that option).
//  * EL0 accesses refused by PMUSERENR_EL0: the architecture traps them to EL1 with EC 0x18
//    (AArch64.SystemAccessTrap), not EC 0x00. The port interface has only "done" and "undef",
//    so they are reported as kUndef; a glue layer that can raise an EC 0x18 trap should map
//    kUndef-at-EL0-by-gate to it (gate_allows() tells the two cases apart).
//  * PMCR_EL0.DP, PMCR_EL0.X: stored and read back, no effect. Counting is never "prohibited"
//    here (Non-secure state only, no MDCR_EL2.HPMD/SCCD/HCCD, no external debug), so DP has
//    nothing to disable; X exports to an event bus nobody listens to (Arm cores report
//    PMCFGR.EX = 1, so the bit is writable rather than RAZ/WI).
//  * PMCR_EL0.D and LC: implemented when the core supports AArch32 (PmuConfig::has_aarch32).
//    Otherwise the Arm ARM makes LC RES1 (KVM forces it for the same reason) and D RES0
//    (field descriptions "When AArch32 is supported at any Exception level ... Otherwise"). D divides by 64 only while LC == 0. The
//    divider phase is not architecturally visible; it restarts at 0 on PMCR_EL0.C = 1 and on
//    any write of PMCCNTR_EL0.
//  * MDCR_EL2 (set_mdcr_el2): HPMN, HPME and HLP, the fields that split the counters between
//    EL2 and the levels below it (Arm ARM D13.3 "Partitioning the event counters"); reset
//    leaves them alone (they are EL2's register, not the PMU's), and the default is HPMN = N,
//    HPME = HLP = 0, i.e. no split. Below EL2 (el 0 and 1): PMCR_EL0.N reads HPMN; event
//    counters n >= HPMN do not exist: their PMEVCNTR<n>/PMEVTYPER<n> and PMXEV* with
//    SEL = n are UNDEFINED here (the architecture traps them to EL2 when EL2 is enabled; the
//    hypervisor then decides, and KVM answers with an UNDEFINED exception, so the guest sees
//    the same thing) and their bits of PMCNTEN*/PMINTEN*/PMOVS*/PMSWINC are RAZ/WI; PMCR_EL0.P
//    resets only counters < HPMN. At EL2 every counter is visible. PMCR_EL0.E enables the
//    counters < HPMN and the cycle counter, MDCR_EL2.HPME the others; PMCR_EL0.LP gives the
//    overflow width of the counters < HPMN, MDCR_EL2.HLP that of the others; the overflow
//    interrupt is requested by either range under its own enable. PMCR_EL0.FZO freezes only
//    counters < HPMN, on an overflow of one of them (MDCR_EL2.HPMFZO is not modelled: the
//    counters >= HPMN never freeze). No EL2 or EL3 counting prohibition (HPMD, SCCD, HCCD).
//    HPMN = 0 is allowed only with PmuConfig::feat_hpmn0 (without FEAT_HPMN0 the architecture
//    makes it CONSTRAINED UNPREDICTABLE; set_mdcr_el2 refuses it).
//  * Filtering (AArch64.CountEvents) for a Non-secure-only PE: EL0 counted iff U == NSU, EL1
//    counted iff P == NSK, EL2 counted iff NSH. NSK/NSU/M exist only with EL3
//    (PmuConfig::has_el3), NSH only with EL2 (has_el2); otherwise they are RES0, which makes
//    the same formulas read "exclude EL0 iff U, exclude EL1 iff P, never count EL2". M is stored
//    (EL3 never runs). Other PMEVTYPER bits (MT, SH, T, RL*, threshold) are RES0.
//  * SW_INCR (PMSWINC_EL0 writes) is an event like any other in the Arm ARM pseudocode
//    (PMUEvent -> CountEvents), so it is subject to the counter's filter at the EL executing
//    the MSR. (KVM does not filter it; this is the hardware.)
//  * Unimplemented events (not in PmuConfig::events, including SW_INCR and CHAIN if absent)
//    count nothing; the counter holds its value. PMCEID0/1 advertise exactly PmuConfig::events.
//    With PMUv3.0, PMCEID bits [63:32] are RES0 (the 0x4000 range arrives with PMUv3.1).
//  * CHAIN (AArch64.IncrementEventCounter): an overflow of even counter n increments odd
//    counter n+1 when n+1 is programmed with CHAIN and counts at the EL of the overflow. No CHAIN
//    event is generated when the even counter overflows at 64 bits (PMUv3p5 with LP = 1), and
//    counter 30 has no partner (the cycle counter never chains). CHAIN on an even counter
//    counts nothing.
//  * Bulk granularity. add_events() cannot know how the events of a batch interleave across
//    ELs: it settles each counter's EL0 share, then EL1, then EL2. This matters only when a
//    CHAIN counter filters differently from its even partner, where the Arm ARM gives no useful
//    guarantee anyway. The PMCR_EL0.FZO freeze (PMUv3p7) is evaluated at the start of a batch:
//    a counter overflowing within a batch freezes the others from the next batch on, at most
//    one quantum late, like the interrupt.
//  * PMMIR_EL1 exists from PMUv3p4 (UNDEF before); it reads SLOTS = PmuConfig::pmmir_slots.
//  * The PMU interrupt follows AArch64.CheckForPMUOverflow: PMCR_EL0.E && (PMINTENSET &
//    PMOVSSET) != 0. PMCNTENSET plays no part (a disabled counter's pending overflow still
//    interrupts), unlike KVM's kvm_pmu_overflow_status().
// ---------------------------------------------------------------------------------------------
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "cpu/arch/pmu_events.h"
#include "cpu/arch/sysreg_key.h"
#include "pmu/pmuv3_fields.h"

namespace pmu {

struct PmuConfig {
  uint32_t num_counters = 0;        // PMCR_EL0.N, 0..31
  uint8_t pmuver = pmuver::kV3p1;   // ID_AA64DFR0_EL1.PMUVer: 1, 4, 5, 6 or 7
  std::vector<uint16_t> events;     // implemented common events (0x00..0x7F, 0x4000..0x403F)
  uint32_t pmcr_idcode = 0;         // PMCR_EL0.IDCODE [23:16]
  uint32_t pmcr_imp = 0x41;         // PMCR_EL0.IMP [31:24], from MIDR_EL1.Implementer
  // Additions to the brief's design, each the source of a RES0/RES1 rule:
  bool has_el2 = true;       // PMEVTYPER/PMCCFILTR.NSH implemented (ID_AA64PFR0_EL1.EL2 != 0)
  bool has_el3 = true;       // NSK, NSU, M implemented (ID_AA64PFR0_EL1.EL3 != 0)
  bool has_aarch32 = true;   // PMCR_EL0.D implemented and LC writable; false: D RES0, LC RES1
  uint8_t pmmir_slots = 0;   // PMMIR_EL1.SLOTS (PMUv3p4+)
  bool feat_hpmn0 = false;   // FEAT_HPMN0: MDCR_EL2.HPMN may be 0
};

// The MDCR_EL2 fields the PMU obeys (choices above).
struct Mdcr {
  uint32_t hpmn = 0;  // counters 0..HPMN-1 belong to EL1/EL0
  bool hpme = false;  // enables counters HPMN..N-1
  bool hlp = false;   // counters HPMN..N-1 overflow at 64 bits (PMUv3p5)
};

// Which PMUSERENR_EL0 bits open an EL0 access (Arm ARM D17.5, PMUSERENR_EL0 field descriptions).
enum class El0Gate : uint8_t {
  kNever,     // UNDEFINED at EL0 (EL1 registers, PMUSERENR writes)
  kAlways,    // PMUSERENR_EL0 reads
  kEn,        // EN
  kEnOrEr,    // EN or ER
  kEnOrCr,    // EN or CR
  kEnOrSw,    // EN or SW
};

// One PMU system register, as a guest sees it (handlers are internal to pmu/).
struct RegInfo {
  std::string_view name;
  arch::SysRegKey key;
  bool readable;          // has an MRS encoding
  bool writable;          // has an MSR encoding
  El0Gate el0_read;
  El0Gate el0_write;
  uint8_t min_pmuver;     // register exists from this PMUVer on
};

// Every AArch64 PMU system register (17 named + PMEVCNTR0..30 + PMEVTYPER0..30), sorted by
// SysRegKey::index(). find_register() returns nullptr for encodings that are not PMU registers.
std::span<const RegInfo> register_table();
const RegInfo* find_register(arch::SysRegKey key);

class Pmu {
 public:
  enum class Access : uint8_t { kOk, kUndef };
  // Instructions per counting EL (EL0, EL1, EL2), as add_instructions() takes them.
  using Clock = std::array<uint64_t, arch::kNumCountEls>;
  static constexpr uint64_t total(const Clock& c) { return c[0] + c[1] + c[2]; }

  // Validates the configuration: throws std::invalid_argument naming the field when N > 31,
  // PMUVer is not one of 1/4/5/6/7, IDCODE/IMP do not fit 8 bits, or an event number cannot be
  // stored (outside 0x00..0x7F and 0x4000..0x403F, or 0x4000+ on PMUv3.0). Events 0x40..0x7F
  // count but PMCEID cannot advertise them.
  explicit Pmu(const PmuConfig& config);

  // Architectural warm reset of every PMU register (values per the choices above).
  void reset();

  // MDCR_EL2's PMU fields, as EL2 software programs them. Throws std::invalid_argument for
  // HPMN > N, or HPMN = 0 without FEAT_HPMN0 (PmuConfig::feat_hpmn0).
  void set_mdcr_el2(const Mdcr& m);
  const Mdcr& mdcr_el2() const { return mdcr_; }
  // Event counters an access at `el` can see: HPMN below EL2, N at EL2.
  uint32_t counters_at(uint8_t el) const { return el < 2 ? mdcr_.hpmn : n_; }
  // Counter bitmap bits an access at `el` can see (the cycle counter's and 0..counters_at-1).
  uint64_t mask_at(uint8_t el) const { return el < 2 ? guest_mask_ : valid_mask_; }

  // ---- event input (bulk) ----

  // Adds a batch: totals always; then, unless nothing can count (early out), each counting
  // counter's event at each EL its filter admits, with overflow into PMOVSSET and CHAIN.
  void add_events(const arch::EventCounts& c);
  // per_el[el] instructions retired at each EL by a core without a timing model, each one
  // INST_RETIRED, one INST_SPEC and one CPU_CYCLES (events.h, counted_events without a timing model): the same result as
  // add_events() of that EventCounts, in O(counters counting those events), without
  // building it (the partitioned PMU's trap-free path settles before most accesses).
  // Inline: the partitioned PMU's untrapped path counts before every counter access, and
  // the batch nearly always stays within the overflow budget (an O(1) update). Returns
  // whether the batch reached the budget and every counter was settled: only then can
  // PMOVSSET, and with it irq_level(), have changed.
  bool add_instructions(const Clock& per_el) {
    const uint64_t all = total(per_el);
    totals_[arch::event::INST_RETIRED] += all;
    totals_[arch::event::INST_SPEC] += all;
    totals_[arch::event::CPU_CYCLES] += all;
    for (unsigned el = 0; el < arch::kNumCountEls; ++el) clock_[el] += per_el[el];
    consumed_ = consumed_ + all < consumed_ ? kNoBudget : consumed_ + all;
    // Past the budget some lazy counter may have overflowed: everything is brought up to
    // date, so PMOVSSET and the interrupt are exact after every batch.
    if (consumed_ <= budget_) [[likely]] return false;
    settle_lazy();
    return true;
  }

  // The largest n such that, from the current state and until the next register write,
  // add_events() batches whose cumulative count of every single event number (summed over
  // ELs) stays <= n cannot overflow any counter: no PMOVSSET bit gets set and irq_level() does
  // not change because of counting. Tight: some batch of n+1 of one event does overflow.
  // UINT64_MAX when no counter can overflow (e.g. nothing enabled). The cycle counter is
  // measured in CPU_CYCLES events, i.e. before the PMCR_EL0.D divider. CHAIN counters are
  // covered by their even partner, which must overflow first; SW_INCR counters only move on
  // PMSWINC writes.
  uint64_t events_until_overflow() const;
  // The same bound for add_instructions() batches, in instructions summed over ELs (each one
  // event of each instruction-clock event), O(1): add_instructions() totalling at most this
  // many from now cannot overflow any counter. Never larger than the true distance; equal to
  // it when the nearest counter counts at every EL. UINT64_MAX when nothing on the
  // instruction clock can overflow.
  // With `ahead`: counted from the end of a batch still to come (accesses ahead of the
  // clock, below), which must stay within the budget.
  uint64_t instructions_until_overflow(const Clock& ahead = Clock{}) const {
    return budget_ == kNoBudget ? kNoBudget : budget_ - consumed_ - total(ahead);
  }

  // ---- architectural register interface (the hardware, bare metal) ----
  // el = current exception level; 0 is EL0, anything else is privileged. kUndef for encodings
  // that are not PMU registers, registers absent in this PMUVer, MRS of write-only / MSR of
  // read-only registers, counter indices >= N and EL0 accesses PMUSERENR_EL0 does not open.
  Access read(arch::SysRegKey key, uint8_t el, uint64_t& value);
  Access write(arch::SysRegKey key, uint8_t el, uint64_t value);
  // The same with the register given by its position in register_table() (register_index),
  // for callers that look an encoding up once and access it many times.
  Access read_at(unsigned index, uint8_t el, uint64_t& value);
  Access write_at(unsigned index, uint8_t el, uint64_t value);
  // Would an EL0 access pass the PMUSERENR_EL0 gate (ignoring everything else)?
  bool gate_allows(const RegInfo& reg, bool is_read) const;

  // ---- the same accesses by register kind (callers that decode an encoding once) ----
  // Each gives exactly what read_at()/write_at() give for that register: the PMUSERENR_EL0
  // gate at EL0, UNDEFINED for a counter index >= counters_at(el), the same effects. Inline,
  // without the table's function pointer: a partitioned guest's accesses do not trap, so
  // each must cost about what an interpreted instruction costs. idx: 0..30 an event counter,
  // kCycleIdx the cycle counter (PMCCNTR_EL0; for the type, PMCCFILTR_EL0).
  Access read_counter(unsigned idx, uint8_t el, uint64_t& v) const {  // PMEVCNTR<n>, PMCCNTR
    return counter_at(idx, el, Clock{}, v);
  }
  Access write_counter(unsigned idx, uint8_t el, uint64_t v) { return counter_write_at(idx, el, Clock{}, v); }
  Access read_selected_counter(uint8_t el, uint64_t& v) const {  // PMXEVCNTR_EL0
    return selected_counter_at(el, Clock{}, v);
  }
  Access read_type(unsigned idx, uint8_t el, uint64_t& v) const {  // PMEVTYPER<n>, PMCCFILTR
    if (!el0_open(el, userenr::kEN)) return Access::kUndef;
    if (idx == kCycleIdx) {
      v = ccfiltr_;
      return Access::kOk;
    }
    if (idx >= counters_at(el)) return Access::kUndef;
    v = evtyper_[idx];
    return Access::kOk;
  }
  Access write_type(unsigned idx, uint8_t el, uint64_t v) {
    if (!el0_open(el, userenr::kEN)) return Access::kUndef;
    if (idx == kCycleIdx) {
      write_ccfiltr(v);
      return Access::kOk;
    }
    if (idx >= counters_at(el)) return Access::kUndef;
    write_evtyper(idx, v);
    return Access::kOk;
  }
  Access read_control(uint8_t el, uint64_t& v) const {  // PMCR_EL0
    if (!el0_open(el, userenr::kEN)) return Access::kUndef;
    v = pmcr_value_at(el);
    return Access::kOk;
  }
  Access write_select(uint8_t el, uint64_t v) {  // PMSELR_EL0
    if (!el0_open(el, userenr::kEN | userenr::kER)) return Access::kUndef;
    selr_ = v & selr::kSelMask;
    return Access::kOk;
  }
  Access read_enables(uint8_t el, uint64_t& v) const {  // PMCNTENSET_EL0, PMCNTENCLR_EL0
    if (!el0_open(el, userenr::kEN)) return Access::kUndef;
    v = cnten_ & mask_at(el);
    return Access::kOk;
  }
  Access write_enables(bool set, uint8_t el, uint64_t v) {  // set: PMCNTENSET_EL0, else CLR
    if (!el0_open(el, userenr::kEN)) return Access::kUndef;
    update_bitmap(cnten_, set ? cnten_ | (v & mask_at(el)) : cnten_ & ~(v & mask_at(el)));
    return Access::kOk;
  }

  // ---- accesses ahead of the instruction clock ----
  // A core that counts into this PMU in batches (add_instructions) and has run `ahead`
  // instructions per EL since its last batch. While that batch would stay within the
  // overflow budget it could settle nothing: no counter wraps in it, no PMOVSSET bit or
  // interrupt level changes. Then a counter read can add `ahead` to the lazy counters
  // without handing the batch over, and a write that leaves its register as it is can be
  // skipped with the batch still pending: both give what the access gives after
  // add_instructions(ahead). This is how a partitioned guest's accesses run at the speed of
  // the instructions around them. Each answers true when it did the access, false (nothing
  // done) when the access must take the full way: the batch first, then the access by kind.
  bool within_budget(const Clock& ahead) const { return total(ahead) <= budget_ - consumed_; }
  bool peek_counter(unsigned idx, uint8_t el, const Clock& ahead, uint64_t& v) const {
    return within_budget(ahead) && counter_at(idx, el, ahead, v) == Access::kOk;
  }
  bool peek_selected_counter(uint8_t el, const Clock& ahead, uint64_t& v) const {
    return within_budget(ahead) && selected_counter_at(el, ahead, v) == Access::kOk;
  }
  // PMEVCNTR<n>_EL0 / PMCCNTR_EL0 written: the counter counts from the end of the batch,
  // and its distance to the overflow starts there (the budget is lowered accordingly).
  bool write_counter_ahead(unsigned idx, uint8_t el, const Clock& ahead, uint64_t v) {
    return within_budget(ahead) && counter_write_at(idx, el, ahead, v) == Access::kOk;
  }
  // PMEVTYPER<n>_EL0 / PMCCFILTR_EL0, and PMCNTENSET_EL0 / PMCNTENCLR_EL0 (set), written
  // with what they hold (a profiler re-arming its counters): allowed at el, and nothing
  // changes, so the write is done by doing nothing.
  bool skip_unchanged_type(unsigned idx, uint8_t el, const Clock& ahead, uint64_t v) const {
    if (!within_budget(ahead) || !el0_open(el, userenr::kEN)) return false;
    if (idx == kCycleIdx) return (v & filter_mask()) == ccfiltr_;
    return idx < counters_at(el) && (v & evtyper_mask()) == evtyper_[idx];
  }
  bool skip_unchanged_enables(bool set, uint8_t el, const Clock& ahead, uint64_t v) const {
    if (!within_budget(ahead) || !el0_open(el, userenr::kEN)) return false;
    const uint64_t m = v & mask_at(el);
    return (set ? (cnten_ | m) : (cnten_ & ~m)) == cnten_;
  }

  // ---- programmatic interface (hypervisor backing guest counters, tests) ----
  // Counter value, idx 0..N-1 or 31 (PMCCNTR); std::out_of_range otherwise. Full 64-bit value
  // (event counters are 32-bit before PMUv3p5). set_counter never signals an overflow.
  uint64_t counter(unsigned idx) const;
  void set_counter(unsigned idx, uint64_t v);
  // Raw register access without EL or PMUSERENR checks; std::invalid_argument for a key that
  // is not a PMU register of this PMUVer. Raw means "the state behind the key": a SET or CLR key
  // reads the bitmap and set_reg() replaces it (masked to implemented counters); write-1
  // actions (PMCR_EL0.P/C, PMSWINC) are not performed; read-only registers ignore set_reg;
  // counter registers n >= N read 0 and ignore writes; PMX* go through PMSELR_EL0 the same way.
  // Masks and RES0/RES1 rules still apply.
  uint64_t reg(arch::SysRegKey key) const;
  void set_reg(arch::SysRegKey key, uint64_t v);
  // The PMSWINC_EL0 write effect at exception level el (what write(PMSWINC_EL0) does after its
  // EL0 gate): increments enabled counters programmed with SW_INCR whose filter admits el.
  void software_increment(uint32_t mask, uint8_t el);

  // PMU overflow interrupt request (AArch64.CheckForPMUOverflow); wired to PPI 23 by the glue.
  bool irq_level() const;
  // The part of it the counters below HPMN request (PMCR_EL0.E and their PMINTEN/PMOVS bits):
  // what a hypervisor that gave those counters to a guest injects into the guest.
  bool irq_level_below_el2() const { return (pmcr_ & pmcr::kE) && (inten_ & ovs_ & guest_mask_) != 0; }
  uint32_t num_counters() const { return n_; }
  uint8_t pmuver() const { return config_.pmuver; }
  const PmuConfig& config() const { return config_; }
  uint64_t pmceid(unsigned which) const;  // 0 or 1; std::out_of_range otherwise
  // Events counted per event number since construction, whatever the counter programming.
  const std::array<uint64_t, arch::kNumEvents>& totals() const { return totals_; }

 private:
  friend struct RegOps;

  // A counter that add_events() drives: enabled, implemented event, some EL admitted.
  struct Driven {
    uint8_t idx;
    uint8_t el_mask;   // bit e: counts at EL e
    uint16_t event;
    uint64_t ovf_limit;  // largest value before its overflow (2^32 - 1 or 2^64 - 1)
  };

  bool v3p5() const { return config_.pmuver >= pmuver::kV3p5; }
  // The PMUSERENR_EL0 gate of an access at el: open when privileged or any of `bits` is set.
  bool el0_open(uint8_t el, uint64_t bits) const { return el != 0 || (userenr_ & bits) != 0; }
  // A SET/CLR bitmap's new value; what counts is rebuilt only if it changed (a profiler
  // re-enabling the same counters changes nothing).
  void update_bitmap(uint64_t& map, uint64_t now) {
    if (now == map) return;
    settle_if_pending();
    map = now;
    recompute();
  }
  uint64_t valid_mask() const { return valid_mask_; }
  uint64_t pmcr_value() const;
  uint64_t pmcr_value_at(uint8_t el) const;
  uint64_t pmcr_writable_mask() const;
  uint64_t pmcr_res1() const;
  // The writable bits of PMEVTYPER<n>_EL0 and PMCCFILTR_EL0: the filter bits of the ELs and
  // states this core has, and the event number's width (16 bits from PMUv3p1).
  uint64_t filter_mask() const {
    uint64_t m = evtyper::kP | evtyper::kU;
    if (config_.has_el2) m |= evtyper::kNSH;
    if (config_.has_el3) m |= evtyper::kNSK | evtyper::kNSU | evtyper::kM;
    return m;
  }
  uint64_t evtyper_mask() const {
    return filter_mask() | (config_.pmuver >= pmuver::kV3p1 ? evtyper::kEvtCount16 : evtyper::kEvtCount10);
  }
  uint64_t evcntr_storage_mask() const { return v3p5() ? ~uint64_t{0} : uint64_t{0xffffffff}; }
  // PMCR_EL0.LP for the counters below HPMN, MDCR_EL2.HLP for the others.
  unsigned event_ovf_width(unsigned idx) const {
    const bool lp = idx < mdcr_.hpmn ? (pmcr_ & pmcr::kLP) != 0 : mdcr_.hlp;
    return v3p5() && lp ? 64 : 32;
  }
  uint32_t frozen_mask() const;  // event counters PMCR_EL0.FZO holds still
  unsigned cycle_ovf_width() const;
  bool cycle_divided() const { return (pmcr_ & (pmcr::kD | pmcr::kLC)) == pmcr::kD; }
  uint8_t el_mask_of(uint64_t filter) const;
  bool implemented(uint16_t event) const;

  void write_pmcr(uint64_t v, bool actions, uint8_t el);
  void write_evtyper(unsigned n, uint64_t v);
  void write_ccfiltr(uint64_t v);
  // Inline: a partitioned guest's counter writes run it without a trap.
  void write_evcntr(unsigned n, uint64_t v, const Clock& ahead = Clock{}) {
    evcntr_[n] = v & evcntr_storage_mask();
    rebase(n, ahead);
  }
  void write_ccntr(uint64_t v, const Clock& ahead = Clock{});
  // PMEVCNTR<n>_EL0 / PMCCNTR_EL0 writes, the counter rebased `ahead` of the clock.
  Access counter_write_at(unsigned idx, uint8_t el, const Clock& ahead, uint64_t v) {
    if (!el0_open(el, userenr::kEN)) return Access::kUndef;
    if (idx == kCycleIdx) {
      write_ccntr(v, ahead);
      return Access::kOk;
    }
    if (idx >= counters_at(el)) return Access::kUndef;
    write_evcntr(idx, v, ahead);
    return Access::kOk;
  }
  void recompute();  // rebuild the counting caches after any programming change
  // Lazy counters (class comment): what the instruction clock added to counter idx since it
  // was last brought up to date, at the ELs its filter admits.
  // With `ahead`: as if the clock had moved on by it (within the budget; see peek_counter).
  uint64_t pending(unsigned idx, uint8_t el_mask, const Clock& ahead = Clock{}) const {
    // Masked rather than branched on: a counter read costs the same whatever its filter.
    uint64_t d = 0;
#pragma GCC unroll 3
    for (unsigned el = 0; el < arch::kNumCountEls; ++el)
      d += (clock_[el] + ahead[el] - since_[idx][el]) & (uint64_t{0} - ((el_mask >> el) & 1u));
    return d;
  }
  // Current values (stored value plus pending ticks; no overflow can be pending, see above).
  // Inline: the untrapped accesses read them.
  uint64_t live_evcntr(unsigned idx, const Clock& ahead = Clock{}) const {
    if (!((lazy_mask_ >> idx) & 1)) return evcntr_[idx];
    // Within the budget no overflow is pending, so the ticks are a plain add in storage width.
    return (evcntr_[idx] + pending(idx, lazy_els_[idx], ahead)) & evcntr_storage_mask();
  }
  uint64_t live_ccntr(const Clock& ahead = Clock{}) const {
    if (!((lazy_mask_ >> kCycleIdx) & 1)) return ccntr_;
    const uint64_t cycles = pending(kCycleIdx, cycle_el_mask_, ahead);
    return ccntr_ + (cycle_divided() ? divided_ticks(cycles) : cycles);
  }
  // PMEVCNTR<n>_EL0 / PMCCNTR_EL0 and PMXEVCNTR_EL0 reads, `ahead` of the clock.
  Access counter_at(unsigned idx, uint8_t el, const Clock& ahead, uint64_t& v) const {
    if (idx == kCycleIdx) {
      if (!el0_open(el, userenr::kEN | userenr::kCR)) return Access::kUndef;
      v = live_ccntr(ahead);
      return Access::kOk;
    }
    if (!el0_open(el, userenr::kEN | userenr::kER) || idx >= counters_at(el)) return Access::kUndef;
    v = live_evcntr(idx, ahead);
    return Access::kOk;
  }
  Access selected_counter_at(uint8_t el, const Clock& ahead, uint64_t& v) const {
    const unsigned sel = selr::SEL(selr_);
    // SEL == 31 is >= counters_at(): UNDEFINED (choices above).
    if (!el0_open(el, userenr::kEN | userenr::kER) || sel >= counters_at(el)) return Access::kUndef;
    v = live_evcntr(sel, ahead);
    return Access::kOk;
  }
  uint64_t divided_ticks(uint64_t cycles) const;
  uint64_t live_cycle_phase() const;
  // Every lazy counter brought up to date, overflows processed per EL; call before any change
  // of what counts or of a value a lazy counter's overflow would change (PMOVSSET with FZO).
  void settle_lazy();
  void settle_if_pending() {
    if (consumed_ != 0) settle_lazy();
  }
  // A counter's value was replaced: it counts from here (`ahead` of the clock); the overflow
  // budget may shrink.
  // Inline: a partitioned guest's counter writes run it without a trap.
  void rebase(unsigned idx, const Clock& ahead = Clock{}) {
    if (!((lazy_mask_ >> idx) & 1)) return;
#pragma GCC unroll 3
    for (unsigned el = 0; el < arch::kNumCountEls; ++el) since_[idx][el] = clock_[el] + ahead[el];
    // Its distance to the overflow now starts from here: consumed_ instructions into the
    // budget, and the batch still to come.
    const uint64_t h = (pmcr_ & pmcr::kFZO) ? 0 : headroom_of(idx);
    const uint64_t at = consumed_ + total(ahead);
    budget_ = std::min(budget_, h > kNoBudget - at ? kNoBudget : at + h);
  }
  void compute_budget();  // budget_ from the current lazy counters (consumed_ = 0)
  // Instructions (CPU_CYCLES events for the cycle counter) before counter idx overflows.
  uint64_t headroom_of(unsigned idx) const {
    if (idx == kCycleIdx) return cycle_headroom();
    const uint64_t m = event_ovf_width(idx) == 64 ? ~uint64_t{0} : uint64_t{0xffffffff};
    return m - (evcntr_[idx] & m);
  }
  uint64_t cycle_headroom() const;
  void increment_event_counter(unsigned idx, uint64_t delta, unsigned el);
  void increment_cycle_counter(uint64_t cycles);

  PmuConfig config_;
  uint32_t n_ = 0;
  uint64_t valid_mask_ = 0;           // bit 31 | bits [N-1:0]
  Mdcr mdcr_;                         // MDCR_EL2 (hpmn = N until set)
  uint64_t guest_mask_ = 0;           // bit 31 | bits [HPMN-1:0]
  uint64_t pmceid_[2] = {0, 0};
  std::array<bool, arch::kNumEvents> implemented_{};

  // Architectural state.
  uint64_t pmcr_ = 0;                 // stored control bits only (no N/IDCODE/IMP, no P/C)
  uint64_t cnten_ = 0, inten_ = 0, ovs_ = 0;
  uint64_t selr_ = 0, userenr_ = 0;
  std::array<uint64_t, kMaxEventCounters> evtyper_{}, evcntr_{};
  uint64_t ccfiltr_ = 0, ccntr_ = 0;
  uint64_t cycle_phase_ = 0;          // PMCR_EL0.D divider phase, 0..63

  // Counting caches (derived; recompute()).
  std::array<Driven, kMaxEventCounters> driven_{};
  unsigned num_driven_ = 0;
  std::array<uint8_t, kMaxEventCounters> insn_driven_{};  // driven_ entries counting instructions
  unsigned num_insn_driven_ = 0;
  uint8_t cycle_el_mask_ = 0;         // 0: cycle counter not counting
  std::array<uint32_t, arch::kNumCountEls> counting_{};  // per EL: enabled and admitted counters
  uint32_t swinc_mask_ = 0;           // counters programmed with an implemented SW_INCR
  uint32_t chain_mask_ = 0;           // odd counters programmed with an implemented CHAIN

  std::array<uint64_t, arch::kNumEvents> totals_{};

  // The instruction clock and the lazy counters (class comment).
  static constexpr uint64_t kNoBudget = ~uint64_t{0};
  std::array<uint64_t, arch::kNumCountEls> clock_{};  // instructions given per EL, ever
  std::array<std::array<uint64_t, arch::kNumCountEls>, kCycleIdx + 1> since_{};  // clock_ at last update
  uint32_t lazy_mask_ = 0;      // counters on the instruction clock (bit 31: the cycle counter)
  std::array<uint8_t, kMaxEventCounters> lazy_els_{};  // per lazy event counter: the ELs it counts at
  uint64_t consumed_ = 0;       // instructions added since the last settle_lazy()
  uint64_t budget_ = kNoBudget; // consumed_ may reach this without any lazy counter overflowing
};

// The position of a PMU register in register_table() (for Pmu::read_at/write_at), or -1.
int register_index(arch::SysRegKey key);

// Decodes an EC 0x18 ISS (ESR_ELx: Op0, Op2, Op1, CRn, Rt, CRm, Direction) and performs the
// MRS (Direction = 1; value receives the result) or MSR (value holds X[Rt]) on the Pmu.
Pmu::Access handle_iss(Pmu& pmu, uint32_t iss, uint8_t el, uint64_t& value);

}  // namespace pmu
