// KVM_{SET,GET,HAS}_DEVICE_ATTR for group KVM_ARM_VCPU_PMU_V3_CTRL (kvm_arm_pmu_v3_*_attr in
// arch/arm64/kvm/pmu-emul.c). Error codes and their order follow spec 2.12 per era.
#include <cerrno>
#include <cstring>

#include "kvm_model/vpmu/vpmu.h"

namespace kvm_model::vpmu {
namespace {

template <typename T>
bool copy_from_user(T& out, const void* addr) {
  if (addr == nullptr) return false;
  std::memcpy(&out, addr, sizeof(T));
  return true;
}

// __kvm_pmu_event_mask(kvm_arm_pmu_get_pmuver_limit()) + 1: the filter covers the *host's*
// event space, not the VM's PMUVer ("for KVM backward compatibility").
uint32_t filter_nr_events(const HostPmus& host) {
  switch (host.pmuver_limit()) {
    case pmuver::kV3: return 1024;
    case pmuver::kV3p1:
    case pmuver::kV3p4:
    case pmuver::kV3p5:
    case pmuver::kV3p7: return 65536;
    default: return 1;  // WARN_ONCE path: mask 0
  }
}

// pmu_irq_is_valid(): a PPI must be the same on every vCPU that has one; an SPI must differ
// from every other vCPU's.
bool pmu_irq_is_valid(const VmPmu& vm, int irq) {
  for (const VcpuPmu* other : vm.vcpus()) {
    if (!other->irq_initialized()) continue;
    if (irq_is_ppi(irq)) {
      if (other->irq_num() != irq) return false;
    } else if (other->irq_num() == irq) {
      return false;
    }
  }
  return true;
}

int pmu_v3_init(VcpuPmu& v, const IrqChipState& irqchip) {
  if (irqchip.in_kernel) {
    if (!irqchip.initialized) return -ENODEV;  // the vGIC must be initialised first
    if (!v.irq_initialized()) return -ENXIO;
    if (irqchip.set_owner) {
      const int r = irqchip.set_owner(v.vcpu_id(), v.irq_num());
      if (r) return r;
    }
  }
  v.set_created(true);
  return 0;
}

// HPMN = N - reserved must be a valid MDCR_EL2.HPMN: at most N, and 0 only with FEAT_HPMN0.
bool partition_fits(const ArmPmu& p) {
  if (p.reserved_host_counters > p.max_counters()) return false;
  return VmPmu::hpmn_of(p) != 0 || p.feat_hpmn0;
}

int set_pmu(VcpuPmu& v, int pmu_id) {
  VmPmu& vm = v.vm();
  const ArmPmu* p = pmu_id < 0 ? nullptr : vm.host().find_by_type(static_cast<uint32_t>(pmu_id));
  if (p == nullptr) return -ENXIO;
  if (vm.has_ran_once() || (vm.has_filter() && vm.arm_pmu() != p)) return -EBUSY;
  // FIXED_COUNTERS_ONLY (proposal) runs on every CPU: pinning the VM to one PMU contradicts it.
  if (vm.fixed_counters_only()) return -EBUSY;
  // A partitioned VM keeps its HPMN rule on the new PMU.
  if (vm.partitioned() && !partition_fits(*p)) return -EINVAL;
  vm.set_pmu(p);  // resets N to this PMU's maximum (6.7+; HPMN when partitioned)
  vm.set_supported_cpus(p->supported_cpus);
  vm.set_pmu_explicit(true);
  return 0;
}

// Proposal, FIXED_COUNTERS_ONLY v11 (attribute 5): the cycle counter alone, on every CPU.
int set_fixed_counters_only(VmPmu& vm) {
  // The PMU must work wherever the vCPU runs: no vPMU when some CPU has no registered PMU.
  if (!vm.host().pmus_cover_every_cpu()) return -ENXIO;
  if (vm.has_ran_once()) return -EBUSY;
  // Exclusive with FILTER and SET_PMU, in either order: the VM's PMU configuration is already
  // taken (the -EBUSY SET_PMU gives after FILTER in mainline).
  if (vm.has_filter() || vm.pmu_explicit()) return -EBUSY;
  vm.set_fixed_counters_only();
  return 0;
}

// Proposal, partitioned PMU v9 (attribute 5 = ENABLE_PARTITION, no payload): the guest gets
// MDCR_EL2.HPMN = N - reserved_host_counters of its PMU.
int enable_partition(VmPmu& vm) {
  if (!vm.host().features().vhe) return -ENXIO;  // VHE hosts only
  if (vm.has_ran_once()) return -EBUSY;
  const ArmPmu* p = vm.arm_pmu();
  if (p == nullptr) return -ENODEV;
  if (!partition_fits(*p)) return -EINVAL;
  vm.set_partitioned();
  return 0;
}

}  // namespace

int set_device_attr(VcpuPmu& v, uint32_t group, uint64_t attr, const void* addr, const IrqChipState& irqchip,
                    uint32_t pcpu) {
  if (group != KVM_ARM_VCPU_PMU_V3_CTRL) return -ENXIO;
  VmPmu& vm = v.vm();
  const EraPolicy& pol = vm.policy();
  if (!v.has_pmu()) return -ENODEV;
  if (v.created()) return -EBUSY;
  if (pol.attr_probes_default_pmu && vm.arm_pmu() == nullptr) {
    // 6.6: the default PMU is the one of the CPU executing the first PMU attribute ioctl.
    const int r = vm.set_default_pmu(pcpu);
    if (r) return r;
  }
  switch (attr) {
    case KVM_ARM_VCPU_PMU_V3_IRQ: {
      if (!irqchip.in_kernel) return -EINVAL;
      int irq = 0;
      if (!copy_from_user(irq, addr)) return -EFAULT;
      if (!(irq_is_ppi(irq) || irq_is_spi(irq))) return -EINVAL;
      if (!pmu_irq_is_valid(vm, irq)) return -EINVAL;
      if (v.irq_initialized()) return -EBUSY;
      v.set_irq_num(irq);
      return 0;
    }
    case KVM_ARM_VCPU_PMU_V3_FILTER: {
      const uint32_t nr_events = filter_nr_events(vm.host());
      kvm_pmu_event_filter f;
      if (!copy_from_user(f, addr)) return -EFAULT;
      if (uint32_t{f.base_event} + f.nevents > nr_events ||
          (f.action != KVM_PMU_EVENT_ALLOW && f.action != KVM_PMU_EVENT_DENY))
        return -EINVAL;
      if (vm.has_ran_once() || vm.fixed_counters_only()) return -EBUSY;
      vm.apply_filter(f, nr_events);
      return 0;
    }
    case KVM_ARM_VCPU_PMU_V3_SET_PMU: {
      int pmu_id = 0;
      if (!copy_from_user(pmu_id, addr)) return -EFAULT;
      return set_pmu(v, pmu_id);
    }
    case KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS: {
      if (!pol.has_set_nr_counters) break;
      unsigned n = 0;
      if (!copy_from_user(n, addr)) return -EFAULT;
      // kvm_arm_pmu_v3_set_nr_counters() (b7628c79): needs a PMU, N within its range. The code
      // has no HAS_RAN_ONCE check although vcpu.rst lists -EBUSY for "a VCPU has already run".
      if (vm.arm_pmu() == nullptr) return -EINVAL;
      if (n > vm.max_counters()) return -EINVAL;
      vm.set_pmcr_n(static_cast<uint8_t>(n));
      vm.set_nr_counters_explicit(true);
      return 0;
    }
    case KVM_ARM_VCPU_PMU_V3_INIT: return pmu_v3_init(v, irqchip);
    case 5:  // claimed by two proposals; the era decides which, if any
      if (pol.attr5 == Attr5::kFixedCountersOnly) return set_fixed_counters_only(vm);
      if (pol.attr5 == Attr5::kEnablePartition) return enable_partition(vm);
      break;
    default: break;
  }
  return -ENXIO;
}

int get_device_attr(const VcpuPmu& v, uint32_t group, uint64_t attr, void* addr, const IrqChipState& irqchip) {
  if (group != KVM_ARM_VCPU_PMU_V3_CTRL) return -ENXIO;
  if (attr != KVM_ARM_VCPU_PMU_V3_IRQ) return -ENXIO;
  if (!irqchip.in_kernel) return -EINVAL;
  if (!v.has_pmu()) return -ENODEV;
  if (!v.irq_initialized()) return -ENXIO;
  if (addr == nullptr) return -EFAULT;
  const int irq = v.irq_num();
  std::memcpy(addr, &irq, sizeof(irq));
  return 0;
}

namespace {
bool attr5_available(const VcpuPmu& v) {
  switch (v.policy().attr5) {
    case Attr5::kFixedCountersOnly: return v.vm().host().pmus_cover_every_cpu();
    case Attr5::kEnablePartition: return v.vm().host().features().vhe;
    case Attr5::kNone: break;
  }
  return false;
}
}  // namespace

int has_device_attr(const VcpuPmu& v, uint32_t group, uint64_t attr) {
  if (group != KVM_ARM_VCPU_PMU_V3_CTRL) return -ENXIO;
  const bool known = attr == KVM_ARM_VCPU_PMU_V3_IRQ || attr == KVM_ARM_VCPU_PMU_V3_INIT ||
                     attr == KVM_ARM_VCPU_PMU_V3_FILTER || attr == KVM_ARM_VCPU_PMU_V3_SET_PMU ||
                     (attr == KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS && v.policy().has_set_nr_counters) ||
                     (attr == 5 && attr5_available(v));
  return known && v.has_pmu() ? 0 : -ENXIO;
}

}  // namespace kvm_model::vpmu
