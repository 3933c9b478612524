// vCPU init/reset, first run, load/put and the entry/exit hooks of the vPMU (arch/arm64/kvm/
// arm.c, reset.c, pmu-emul.c). Spec 2.2, 2.4, 2.13, 3, 5.5.
#include <cerrno>
#include <string>
#include <string_view>

#include "kvm_model/vpmu/vpmu.h"

namespace kvm_model::vpmu {
namespace {

// Views, not strings: with no one tracing (trace null) a reset builds no string at all.
void trace_step(ResetTrace* trace, std::string_view step, std::string_view reg, uint64_t before, uint64_t after) {
  if (trace) trace->push_back({std::string(step), std::string(reg), before, after});
}

uint64_t pmu_type_or_0(const ArmPmu* p) { return p ? p->type : 0; }

std::string_view counter_reg_name(unsigned idx) {
  const SysRegDesc* r = find_pmu_sys_reg(idx == kCycleIdx ? arch::sysreg(3, 3, 9, 13, 0)
                                                           : arch::sysreg(3, 3, 14, static_cast<uint8_t>(8 + (idx >> 3)),
                                                                          static_cast<uint8_t>(idx & 7)));
  return r ? std::string_view(r->name) : std::string_view();
}

}  // namespace

int vcpu_init(VcpuPmu& v, bool has_pmu_feature, bool first_init, uint32_t pcpu, ResetTrace* trace, bool strict) {
  VmPmu& vm = v.vm();
  // 6.7: kvm_vcpu_init_check_features() rejects PMU_V3 without kvm_arm_support_pmu_v3();
  // 6.6/v5 return the same -EINVAL from kvm_reset_vcpu().
  if (has_pmu_feature && !vm.host().supports_pmu_v3()) return -EINVAL;
  // STRICT qualifies the PMU feature; alone it means nothing (modelled as -EINVAL, like the
  // other feature-combination checks of kvm_vcpu_init_check_features()).
  if (strict && (!has_pmu_feature || !vm.policy().has_pmu_v3_strict)) return -EINVAL;
  if (!first_init) return 0;  // re-init: no PMU selection (the features must match; the caller checks)
  v.set_has_pmu(has_pmu_feature);
  // The features are VM-wide in the eras that have STRICT (KVM_ARM_VCPU_INIT rejects a vCPU
  // whose features differ from the first one's), so any strict vCPU makes the VM strict.
  if (strict) vm.set_strict(true);
  // STRICT: no default PMU; userspace must pick one with SET_PMU.
  if (!vm.strict() && vm.policy().default_pmu == DefaultPmuPoint::kFirstVcpuInit && v.has_pmu() && vm.arm_pmu() == nullptr) {
    // kvm_setup_vcpu() (427733579744), under config_lock, before kvm_reset_vcpu().
    const int r = vm.set_default_pmu(pcpu);
    trace_step(trace, "kvm_arm_set_default_pmu (KVM_ARM_VCPU_INIT)", "kvm->arch.arm_pmu", 0,
               pmu_type_or_0(vm.arm_pmu()));
    if (r) {
      v.set_has_pmu(false);
      return r;
    }
  }
  return 0;
}

int vcpu_reset(VcpuPmu& v, uint32_t pcpu, ResetTrace* trace) {
  VmPmu& vm = v.vm();
  v.put_hw();  // a partitioned context is reset in the slots; the next entry loads it again
  const EraPolicy& pol = vm.policy();
  if (pol.default_pmu == DefaultPmuPoint::kVcpuReset && v.has_pmu()) {
    // v5 patch 2: default PMU in kvm_reset_vcpu(), before kvm_pmu_vcpu_reset().
    if (!vm.host().supports_pmu_v3()) return -EINVAL;
    if (vm.arm_pmu() == nullptr) {
      const int r = vm.set_default_pmu(pcpu);
      trace_step(trace, "kvm_arm_set_vm_pmu(NULL) (reset)", "kvm->arch.arm_pmu", 0, pmu_type_or_0(vm.arm_pmu()));
      if (r) return r;
    }
  }
  if (pol.reset_folds_backing) {
    // kvm_pmu_vcpu_reset(): indices in the valid mask by the *current* N only.
    const uint64_t mask = v.valid_mask();
    for (unsigned i = 0; i < kMaxCounters; ++i) {
      if (!((mask >> i) & 1) || !v.backing(i).exists) continue;
      const uint64_t before = v.reg(evcntr_slot(i));
      v.stop_counter(i);
      // The register's name is a table lookup: only a traced reset pays for it.
      if (trace)
        trace_step(trace, "kvm_pmu_vcpu_reset (fold live count, release)", counter_reg_name(i), before,
                   v.reg(evcntr_slot(i)));
    }
  }
  if (v.has_pmu() && !vm.host().supports_pmu_v3()) return -EINVAL;
  // kvm_reset_sys_regs(): ID registers (which sort before the PMU rows) once per VM.
  if (!vm.id_regs_initialized()) {
    vm.init_id_regs(v.has_pmu());
    trace_step(trace, "ID registers (once per VM)", "ID_AA64DFR0_EL1.PMUVer", 0, vm.pmuver());
  }
  reset_pmu_sys_regs(v, pcpu, trace);
  if (pol.reset_requests_reload && v.has_pmu()) {
    // fe535380 (6.15): kvm_pmu_vcpu_reset() replaced by a reload request; live backing events
    // are not folded, so their counts survive on top of the reset counter values.
    v.request_reload();
    trace_step(trace, "kvm_make_request(KVM_REQ_RELOAD_PMU)", "", 0, 1);
  }
  return 0;
}

bool finalized(const VcpuPmu& v) { return !(v.has_pmu() && v.vm().strict() && v.vm().arm_pmu() == nullptr); }

int first_run(VcpuPmu& v, const IrqChipState& irqchip) {
  if (v.has_run()) return 0;
  if (v.has_pmu()) {
    // STRICT: a PMU vCPU of a VM without SET_PMU is not runnable (-EPERM, as for any
    // unfinalised vCPU). KVM_RUN checks finalized() before the vGIC and timer work; this
    // repeats it for callers that enter here directly.
    if (!finalized(v)) return -EPERM;
    // kvm_arm_pmu_v3_enable()
    if (!v.created()) return -EINVAL;
    if (irqchip.in_kernel) {
      const int irq = v.irq_num();
      if (!irq_is_ppi(irq) && !irqchip.valid_spi(irq)) return -EINVAL;
    } else if (v.irq_initialized()) {
      return -EINVAL;  // an IRQ number makes no sense without an in-kernel irqchip
    }
    if (v.policy().first_run_requests_reload) v.request_reload();  // d0c94c49: one-off reload
  }
  v.mark_run();
  v.vm().mark_ran_once();  // KVM_ARCH_FLAG_HAS_RAN_ONCE, under config_lock
  return 0;
}

void vcpu_load(VcpuPmu& v, uint32_t pcpu) { v.load(pcpu); }
void vcpu_put(VcpuPmu& v) { v.put(); }

void flush_hwstate(VcpuPmu& v) {
  v.process_requests();  // check_vcpu_requests(): KVM_REQ_RELOAD_PMU
  v.update_state();      // kvm_pmu_flush_hwstate()
}

void sync_hwstate(VcpuPmu& v) { v.update_state(); }

bool should_notify_user(const VcpuPmu& v, uint64_t device_irq_level) {
  return v.irq_level() != ((device_irq_level & KVM_ARM_DEV_PMU) != 0);
}

void update_run(const VcpuPmu& v, uint64_t& device_irq_level) {
  device_irq_level &= ~KVM_ARM_DEV_PMU;
  if (v.irq_level()) device_irq_level |= KVM_ARM_DEV_PMU;
}

std::optional<uint32_t> fail_entry_cpu(const VcpuPmu& v) {
  if (v.on_unsupported_cpu()) return v.pcpu();
  return std::nullopt;
}

bool count_events(VcpuPmu& v, const arch::EventCounts& counts) { return v.count_events(counts); }

}  // namespace kvm_model::vpmu
