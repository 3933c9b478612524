// kvm_model::vpmu: Linux KVM/arm64's virtual PMUv3, in-process and KVM-shaped, in four kernel
// eras (era.h). Entry points mirror the kernel paths; results are negative errno values, never
// exceptions. State lives in a VmPmu per VM (vm_pmu.h) and a VcpuPmu per vCPU (vcpu_pmu.h).
//
// Which physical CPU "executes" a call matters on heterogeneous hosts (default PMU probing,
// 6.6's reset reading the physical PMCR_EL0, PMCEID reads): calls that take a `pcpu` argument
// want the pCPU of the thread that would issue the ioctl in a real VMM: vCPU ioctls
// (KVM_ARM_VCPU_INIT, ONE_REG, KVM_RUN) on the vCPU thread's pCPU; VM-scoped ioctls and, by
// this project's convention, the PMU device attributes on the VMM thread's pCPU (--vmm-cpu).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cpu/arch/pmu_events.h"
#include "kvm_model/vpmu/era.h"
#include "kvm_model/vpmu/host_pmu.h"
#include "kvm_model/vpmu/sys_regs.h"
#include "kvm_model/vpmu/uapi.h"
#include "kvm_model/vpmu/vcpu_pmu.h"
#include "kvm_model/vpmu/vm_pmu.h"

namespace kvm_model::vpmu {

// ---------------- guest traps (spec 2.8-2.10) ----------------
enum class HandleResult : uint8_t {
  kHandled,  // PC += 4; for MRS, rt_value holds the result
  kUndef,    // inject UNDEF (EC 0x00, IL=1), PC unchanged, Rt untouched
};
// ---- access bodies shared by the table's handlers and the bound trap routes ----
// check_pmu_access_disabled() negated: privileged, or PMUSERENR has one of `flags`.
inline bool el0_allows(const VcpuPmu& v, uint8_t el, uint64_t flags) {
  return el >= 1 || (v.reg(Slot::PMUSERENR_EL0) & flags) != 0;
}
// PMEVCNTR<n>/PMCCNTR/PMXEVCNTR after their EL0 gate. The index is checked after the gate;
// SEL == 31 is not rejected (it aliases the cycle counter).
inline bool read_counter_checked(const VcpuPmu& v, unsigned idx, uint64_t& out) {
  if (!v.counter_idx_valid(idx)) return false;
  out = v.get_counter_value(idx);
  return true;
}
inline bool write_counter_checked(VcpuPmu& v, unsigned idx, uint8_t el, uint64_t val) {
  if (!v.counter_idx_valid(idx)) return false;
  if (!el0_allows(v, el, userenr::kEN)) return false;  // writes need EN
  v.set_counter_value(idx, val);
  return true;
}
// PMEVTYPER<n>/PMCCFILTR/PMXEVTYPER reads after their EL0 gate.
inline bool read_evtyper_checked(const VcpuPmu& v, unsigned idx, uint64_t& out) {
  if (!v.counter_idx_valid(idx)) return false;
  out = v.reg(evtyper_slot(idx)) & v.policy().evtyper_read_mask;
  return true;
}
inline bool write_evtyper_checked(VcpuPmu& v, unsigned idx, uint64_t val) {
  if (!v.counter_idx_valid(idx)) return false;
  v.set_counter_event_type(val, idx);
  return true;
}
inline bool read_pmcr_el0(const VcpuPmu& v, uint8_t el, uint64_t& out) {
  if (!el0_allows(v, el, userenr::kEN)) return false;
  out = v.read_pmcr() & ~(pmcr::kP | pmcr::kC);  // write-only action bits read as 0
  return true;
}
inline bool write_pmselr_el0(VcpuPmu& v, uint8_t el, uint64_t val) {
  if (!el0_allows(v, el, userenr::kER | userenr::kEN)) return false;
  v.reg(Slot::PMSELR_EL0) = val;  // stored unmasked
  return true;
}
inline uint64_t read_pmcnten_el0(const VcpuPmu& v) { return v.reg(Slot::PMCNTENSET_EL0); }  // raw slot, no masking

// PMCNTENSET (set) / PMCNTENCLR write after the EL0 gate (inline: the trap path's body).
inline void write_pmcnten(VcpuPmu& v, bool set, uint64_t regval) {
  const uint64_t val = regval & v.valid_mask();
  if (set)
    v.reg(Slot::PMCNTENSET_EL0) |= val;
  else
    v.reg(Slot::PMCNTENSET_EL0) &= ~val;
  // Setting only counters whose backing exists and is enabled, with PMCR.E set: every era's
  // enable / reprogram finds each of them enabled as it should be and changes nothing (a
  // guest re-writing the PMCNTENSET value it read back).
  if (set && (v.reg(Slot::PMCR_EL0) & pmcr::kE) && (val & ~uint64_t{v.active_mask()}) == 0) return;
  if (v.policy().pmcr_e_via_reload)
    v.reprogram_counter_mask(val);
  else if (set)
    v.enable_counter_mask(val);
  else
    v.disable_counter_mask(val);
}

// Whether a bound op reads a counter or changes what counts (its route has trap::kCounts:
// bind_trap binds no other), and whether it is an MSR.
constexpr bool op_counts(trap::Op op) {
  return op == trap::Op::kCounterRead || op == trap::Op::kCounterWrite || op == trap::Op::kSelCounterRead ||
         op == trap::Op::kTyperWrite || op == trap::Op::kCntenWrite;
}
constexpr bool op_writes(trap::Op op) {
  return op == trap::Op::kCounterWrite || op == trap::Op::kSelrWrite || op == trap::Op::kTyperWrite ||
         op == trap::Op::kCntenWrite;
}
// A bound route's access (trap::Op other than kRouted): handle_sys_reg() for that encoding,
// instantiated per op so that the trap path runs it without a table lookup or a call
// through the row. idx: the counter a fixed-index op names (for kCntenWrite: 1 = SET).
// value: X[Rt] for MSR, the result for MRS (left untouched on UNDEF).
template <trap::Op kOp>
[[gnu::always_inline]] [[gnu::always_inline]] inline HandleResult handle_bound(VcpuPmu& v, uint32_t route, uint8_t el, uint64_t& value) {
  using trap::Op;
  // Every row is PMU_SYS_REG(): hidden, hence UNDEF, without the PMU feature.
  if (!v.has_pmu()) return HandleResult::kUndef;
  const unsigned idx = unpack_bound(route).idx;
  bool ok;
  if constexpr (kOp == Op::kCounterRead || kOp == Op::kCounterWrite) {
    const uint64_t gate = idx == kCycleIdx ? userenr::kCR | userenr::kEN : userenr::kER | userenr::kEN;
    if constexpr (kOp == Op::kCounterRead)
      ok = el0_allows(v, el, gate) && read_counter_checked(v, idx, value);
    else
      ok = el0_allows(v, el, gate) && write_counter_checked(v, idx, el, value);
  } else if constexpr (kOp == Op::kSelCounterRead) {
    ok = el0_allows(v, el, userenr::kER | userenr::kEN) &&
         read_counter_checked(v, static_cast<unsigned>(v.reg(Slot::PMSELR_EL0) & selr::kSelMask), value);
  } else if constexpr (kOp == Op::kTyperRead) {
    ok = el0_allows(v, el, userenr::kEN) && read_evtyper_checked(v, idx, value);
  } else if constexpr (kOp == Op::kTyperWrite) {
    ok = el0_allows(v, el, userenr::kEN) && write_evtyper_checked(v, idx, value);
  } else if constexpr (kOp == Op::kPmcrRead) {
    ok = read_pmcr_el0(v, el, value);
  } else if constexpr (kOp == Op::kSelrWrite) {
    ok = write_pmselr_el0(v, el, value);
  } else if constexpr (kOp == Op::kCntenRead) {
    ok = el0_allows(v, el, userenr::kEN);
    if (ok) value = read_pmcnten_el0(v);
  } else {
    static_assert(kOp == Op::kCntenWrite, "every bound op has a body");
    ok = el0_allows(v, el, userenr::kEN);
    if (ok) write_pmcnten(v, idx != 0, value);
  }
  // The exit and re-entry's work, as in handle_sys_reg(): writes only.
  if constexpr (op_writes(kOp)) {
    if (unpack_bound(route).route.flags & trap::kExitWork) {
      v.process_requests();
      v.update_state();
    }
  }
  return ok ? HandleResult::kHandled : HandleResult::kUndef;
}

// kvm_handle_sys_reg() for the vPMU encodings: esr_iss is the ISS of an EC 0x18 exit, el the
// guest's exception level, rt_value X[Rt] for MSR (in) or the MRS result (out). Encodings
// outside the table UNDEF ("unsupported sys_reg"). After the handler the model performs what
// the trap's exit and re-entry do: pending KVM_REQ_RELOAD_PMU, then the interrupt level.
HandleResult handle_sys_reg(VcpuPmu& v, uint32_t esr_iss, uint8_t el, uint64_t& rt_value);
// The same with the route already looked up (route_trap(esr_iss)); inline, as the guest
// trap path's body.
inline HandleResult handle_sys_reg(VcpuPmu& v, TrapRoute route, uint32_t esr_iss, uint8_t el, uint64_t& rt_value) {
  const bool is_read = esr_iss & 1;  // ISS.Direction: 1 = MRS
  // Not in the table ("unsupported sys_reg"), or hidden without the PMU feature (every row
  // but PMMIR_EL1 is PMU_SYS_REG()): UNDEF.
  if (route.row >= kPmuSysRegs.size() || (!v.has_pmu() && route.row != kPmmirRow)) return HandleResult::kUndef;
  const SysRegDesc& r = kPmuSysRegs[route.row];
  SysRegParams p{is_read ? 0 : rt_value, !is_read, el};
  const AccessResult res = r.access(v, p, r);
  if (res == AccessResult::kHandled && is_read) rt_value = p.regval;
  // The trap was an exit: KVM re-enters after servicing requests and flushing PMU state.
  // Only writes that can request a reload or change what the level derives from pay for
  // it (no read handler does either).
  if (route.flags & trap::kExitWork) {
    v.process_requests();
    v.update_state();
  }
  return res == AccessResult::kHandled ? HandleResult::kHandled : HandleResult::kUndef;
}
bool is_pmu_sys_reg(arch::SysRegKey key);
// Whether the trapped access (EC 0x18 ISS) needs the counters settled first: it reads a
// counter or the overflow state, or changes what or whether they count. Accesses that do
// neither (PMCR/PMCEID/PMEVTYPER/PMCNTEN/PMINTEN/PMUSERENR/PMSELR reads, PMSELR and
// PMUSERENR writes) leave the guest's pending events for the next access that does; the
// run loop's stop at the next possible overflow makes that exact.
bool access_needs_counts(uint32_t esr_iss);
// The same on the instruction clock (VcpuPmu::use_insn_clock): whether the access needs
// every counter settled first. Single-counter reads and writes and the reconfiguring
// writes settle what they touch themselves.
bool access_settles_clock(uint32_t esr_iss);

// ---------------- ONE_REG / REG_LIST (spec 2.11) ----------------
// True if the id is a sysreg id naming a row of the vPMU table (route it here).
bool owns_one_reg_id(uint64_t id);
// -ENOENT for ids that are not vPMU registers, hidden (no PMU feature) or not user-visible.
int get_one_reg(const VcpuPmu& v, uint64_t id, uint64_t& out);
int set_one_reg(VcpuPmu& v, uint64_t id, uint64_t val);
// Appends the vPMU ids the kernel emits, in its order (ascending encoding): 74 with a PMU
// (75 for a STRICT vCPU: PMMIR_EL1 too), none without. Merge with the other sysreg ids by sorting on the id.
void append_reg_list(const VcpuPmu& v, std::vector<uint64_t>& ids);

// ---------------- KVM_ARM_VCPU_INIT and vCPU reset (spec 2.2, 2.4, 2.5) ----------------
// Call from KVM_ARM_VCPU_INIT after the generic feature checks and before the reset.
// first_init: the vCPU was not initialised before. -EINVAL: PMU requested but no usable host
// PMUv3. 6.7+: on the first init of a PMU vCPU without a chosen PMU, selects the default PMU
// of `pcpu` (-ENODEV if none). strict: the vCPU asked for KVM_ARM_VCPU_PMU_V3_STRICT (feature
// bit 9; the caller accepts the bit only in eras with has_pmu_v3_strict): -EINVAL without
// the PMU feature; makes the VM strict at the first init, so no default PMU is chosen.
int vcpu_init(VcpuPmu& v, bool has_pmu_feature, bool first_init, uint32_t pcpu, ResetTrace* trace = nullptr,
              bool strict = false);
// The PMU part of kvm_reset_vcpu(): (v5) default PMU; kvm_pmu_vcpu_reset(); the VM's ID
// registers (once); every PMU sys_reg reset in table order; (6.16) reload request.
// pcpu: the CPU executing the reset. Returns 0, -EINVAL or -ENODEV.
int vcpu_reset(VcpuPmu& v, uint32_t pcpu, ResetTrace* trace = nullptr);

// ---------------- device attributes, group KVM_ARM_VCPU_PMU_V3_CTRL (spec 2.12) ----------------
// addr points to the attribute's payload (int, unsigned or kvm_pmu_event_filter); nullptr
// models an unreadable user pointer (-EFAULT). Other groups: -ENXIO.
int set_device_attr(VcpuPmu& v, uint32_t group, uint64_t attr, const void* addr, const IrqChipState& irqchip,
                    uint32_t pcpu);
int get_device_attr(const VcpuPmu& v, uint32_t group, uint64_t attr, void* addr, const IrqChipState& irqchip);
int has_device_attr(const VcpuPmu& v, uint32_t group, uint64_t attr);

// ---------------- KVM_RUN (spec 2.13, 3, 5.5) ----------------
// kvm_arm_vcpu_is_finalized() for the PMU: false only for a PMU vCPU of a STRICT VM that has
// no PMU selected yet. KVM_RUN checks it (-EPERM) before any other first-run work.
bool finalized(const VcpuPmu& v);
// kvm_arch_vcpu_run_pid_change(), PMU part: kvm_arm_pmu_v3_enable() then HAS_RAN_ONCE.
// Call on the vCPU's first KVM_RUN; a failure fails KVM_RUN and leaves the vCPU "not run".
int first_run(VcpuPmu& v, const IrqChipState& irqchip);
void vcpu_load(VcpuPmu& v, uint32_t pcpu);  // kvm_arch_vcpu_load
void vcpu_put(VcpuPmu& v);                  // kvm_arch_vcpu_put
// Before each guest entry: pending requests (reload), then kvm_pmu_flush_hwstate().
void flush_hwstate(VcpuPmu& v);
// After each guest exit: kvm_pmu_sync_hwstate().
void sync_hwstate(VcpuPmu& v);
// Userspace irqchip: KVM_RUN returns -EINTR/KVM_EXIT_INTR before entry if the PMU level
// differs from what run->s.regs.device_irq_level shows (checked before FAIL_ENTRY).
bool should_notify_user(const VcpuPmu& v, uint64_t device_irq_level);
void update_run(const VcpuPmu& v, uint64_t& device_irq_level);  // kvm_pmu_update_run
// KVM_EXIT_FAIL_ENTRY decision right before entry: the pCPU to report in run->fail_entry.cpu
// (reason KVM_EXIT_FAIL_ENTRY_CPU_UNSUPPORTED) when the vCPU sits on a CPU outside the VM's
// supported_cpus; nullopt to enter the guest.
std::optional<uint32_t> fail_entry_cpu(const VcpuPmu& v);
// The guest's execution produced these events (flush them before any PMU trap and at exit).
// Returns true if a counter overflowed (call sync_hwstate()).
bool count_events(VcpuPmu& v, const arch::EventCounts& counts);

}  // namespace kvm_model::vpmu
