// The userspace ABI of the vPMU device attributes (arch/arm64/include/uapi/asm/kvm.h,
// Documentation/virt/kvm/devices/vcpu.rst section 1) and the interrupt-controller facts the
// attribute and first-run paths consult. The lead may move these into kvm_model/uapi.h.
#pragma once

#include <cstdint>
#include <functional>

namespace kvm_model::vpmu {

// Device-attribute group of the vCPU fd.
inline constexpr uint32_t KVM_ARM_VCPU_PMU_V3_CTRL = 0;
inline constexpr uint64_t KVM_ARM_VCPU_PMU_V3_IRQ = 0;
inline constexpr uint64_t KVM_ARM_VCPU_PMU_V3_INIT = 1;
inline constexpr uint64_t KVM_ARM_VCPU_PMU_V3_FILTER = 2;
inline constexpr uint64_t KVM_ARM_VCPU_PMU_V3_SET_PMU = 3;
inline constexpr uint64_t KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS = 4;  // Linux 6.16+
// Attribute 5 is claimed by two series that were never merged, with different meanings; each
// proposal era defines it its own way and the other eras reject it as unknown (-ENXIO).
inline constexpr uint64_t KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY = 5;  // proposal, Odaki v11
inline constexpr uint64_t KVM_ARM_VCPU_PMU_V3_ENABLE_PARTITION = 5;     // proposal, Lewis v9

inline constexpr uint8_t KVM_PMU_EVENT_ALLOW = 0;
inline constexpr uint8_t KVM_PMU_EVENT_DENY = 1;

struct kvm_pmu_event_filter {
  uint16_t base_event = 0;
  uint16_t nevents = 0;
  uint8_t action = KVM_PMU_EVENT_ALLOW;
  uint8_t pad[3] = {0, 0, 0};
};

// run->s.regs.device_irq_level bit for the PMU (userspace irqchip).
inline constexpr uint64_t KVM_ARM_DEV_PMU = 1u << 2;

// GIC interrupt-id classes (include/kvm/arm_vgic.h).
inline constexpr int kVgicNrSgis = 16;
inline constexpr int kVgicNrPrivateIrqs = 32;
inline constexpr int kVgicMaxSpi = 1019;  // VGIC_MAX_SPI (verified, include/kvm/arm_vgic.h)
constexpr bool irq_is_ppi(int irq) { return irq >= kVgicNrSgis && irq < kVgicNrPrivateIrqs; }
constexpr bool irq_is_spi(int irq) { return irq >= kVgicNrPrivateIrqs && irq <= kVgicMaxSpi; }

// What the PMU code asks of the VM's interrupt controller. Passed in by the caller (the vGIC
// model is not part of kvm_model/vpmu).
struct IrqChipState {
  bool in_kernel = false;     // irqchip_in_kernel(kvm)
  bool initialized = false;   // vgic_initialized(kvm)
  uint32_t nr_spis = 0;       // kvm->arch.vgic.nr_spis, for vgic_valid_spi()
  // kvm_vgic_set_owner(vcpu, intid, owner): 0, -EEXIST (owned by another device),
  // -EINVAL (invalid SPI), -EAGAIN (vgic not ready). Empty = always 0.
  std::function<int(unsigned vcpu_id, int intid)> set_owner;

  // vgic_valid_spi(): 32 <= intid < 32 + nr_spis.
  bool valid_spi(int irq) const {
    return irq >= kVgicNrPrivateIrqs && irq < kVgicNrPrivateIrqs + static_cast<int>(nr_spis);
  }
};

}  // namespace kvm_model::vpmu
