// The userspace ABI of the KVM model: the same constants as Linux's
// include/uapi/linux/kvm.h and arch/arm64/include/uapi/asm/kvm.h, so a VMM written
// against this API reads like one written against /dev/kvm.
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>

namespace kvm_model {

// ---- KVM_RUN exit reasons (include/uapi/linux/kvm.h) ----
enum ExitReasonCode : uint32_t {
  KVM_EXIT_UNKNOWN = 0,
  KVM_EXIT_HYPERCALL = 3,
  KVM_EXIT_DEBUG = 4,
  KVM_EXIT_MMIO = 6,
  KVM_EXIT_FAIL_ENTRY = 9,
  KVM_EXIT_INTR = 10,
  KVM_EXIT_INTERNAL_ERROR = 17,
  KVM_EXIT_SYSTEM_EVENT = 24,
  KVM_EXIT_ARM_NISV = 28,
};

inline constexpr uint32_t KVM_SYSTEM_EVENT_SHUTDOWN = 1;
inline constexpr uint32_t KVM_SYSTEM_EVENT_RESET = 2;
// KVM_ARM_VM_SMCCC_FILTER actions (enum kvm_smccc_filter_action).
inline constexpr uint8_t KVM_SMCCC_FILTER_HANDLE = 0;
inline constexpr uint8_t KVM_SMCCC_FILTER_DENY = 1;
inline constexpr uint8_t KVM_SMCCC_FILTER_FWD_TO_USER = 2;
inline constexpr uint64_t KVM_EXIT_FAIL_ENTRY_CPU_UNSUPPORTED = 1ull << 0;
inline constexpr uint32_t KVM_INTERNAL_ERROR_EMULATION = 1;
// pmuemu extension: the guest takes exceptions in a loop without retiring an instruction
// (a fault whose vector faults again); real KVM would spin forever.
inline constexpr uint32_t PMUEMU_INTERNAL_ERROR_EXCEPTION_LOOP = 0x100;
// pmuemu extension: KVM_EXIT_DEBUG with this hsr is an A64 semihosting call (HLT #0xF000).
inline constexpr uint32_t PMUEMU_DEBUG_SEMIHOSTING = 0xF000;

// ---- vCPU init ----
inline constexpr uint32_t KVM_ARM_TARGET_GENERIC_V8 = 5;
inline constexpr unsigned KVM_ARM_VCPU_POWER_OFF = 0;
inline constexpr unsigned KVM_ARM_VCPU_EL1_32BIT = 1;
inline constexpr unsigned KVM_ARM_VCPU_PSCI_0_2 = 2;
inline constexpr unsigned KVM_ARM_VCPU_PMU_V3 = 3;
// Queued for 7.3 (era 7.3-strict): no default PMU, SET_PMU before the first KVM_RUN.
inline constexpr unsigned KVM_ARM_VCPU_PMU_V3_STRICT = 9;

struct kvm_vcpu_init {
  uint32_t target = KVM_ARM_TARGET_GENERIC_V8;
  uint32_t features[7] = {};
};

// ---- in-kernel GICv3 (KVM_CREATE_DEVICE, arch/arm64/include/uapi/asm/kvm.h) ----
inline constexpr uint32_t KVM_DEV_TYPE_ARM_VGIC_V3 = 7;
inline constexpr uint32_t KVM_DEV_ARM_VGIC_GRP_ADDR = 0;
inline constexpr uint32_t KVM_DEV_ARM_VGIC_GRP_NR_IRQS = 3;
inline constexpr uint32_t KVM_DEV_ARM_VGIC_GRP_CTRL = 4;
inline constexpr uint32_t KVM_DEV_ARM_VGIC_GRP_DIST_REGS = 1;
inline constexpr uint32_t KVM_DEV_ARM_VGIC_GRP_REDIST_REGS = 5;
inline constexpr uint32_t KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS = 6;
inline constexpr uint32_t KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO = 7;
// attr of the register groups: MPIDR (Aff3 in [63:56], Aff2..Aff0 in [55:32]) and offset.
inline constexpr unsigned KVM_DEV_ARM_VGIC_V3_MPIDR_SHIFT = 32;
inline constexpr uint64_t KVM_DEV_ARM_VGIC_OFFSET_MASK = 0xffffffffull;
inline constexpr uint64_t KVM_DEV_ARM_VGIC_SYSREG_INSTR_MASK = 0xffff;
inline constexpr unsigned KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT = 10;
inline constexpr uint64_t KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_MASK = 0x3fffffull << 10;
inline constexpr uint64_t KVM_DEV_ARM_VGIC_LINE_LEVEL_INTID_MASK = 0x3ff;
inline constexpr uint64_t VGIC_LEVEL_INFO_LINE_LEVEL = 0;
// The ITS (a device of its own): its one address and its controls.
inline constexpr uint32_t KVM_DEV_TYPE_ARM_VGIC_ITS = 8;
inline constexpr uint32_t KVM_DEV_ARM_VGIC_GRP_ITS_REGS = 8;
inline constexpr uint64_t KVM_VGIC_ITS_ADDR_TYPE = 4;
inline constexpr uint64_t kVgicItsFrameSize = 0x20000;  // KVM_VGIC_V3_ITS_SIZE
inline constexpr uint64_t KVM_DEV_ARM_ITS_SAVE_TABLES = 1;
inline constexpr uint64_t KVM_DEV_ARM_ITS_RESTORE_TABLES = 2;
inline constexpr uint64_t KVM_DEV_ARM_ITS_CTRL_RESET = 4;
inline constexpr uint64_t KVM_VGIC_V3_ADDR_TYPE_DIST = 2;
inline constexpr uint64_t KVM_VGIC_V3_ADDR_TYPE_REDIST = 3;
inline constexpr uint64_t KVM_DEV_ARM_VGIC_CTRL_INIT = 0;

// ---- mp_state ----
inline constexpr uint32_t KVM_MP_STATE_RUNNABLE = 0;
inline constexpr uint32_t KVM_MP_STATE_HALTED = 3;
inline constexpr uint32_t KVM_MP_STATE_STOPPED = 5;

// ---- ONE_REG ids (arch/arm64/include/uapi/asm/kvm.h) ----
inline constexpr uint64_t KVM_REG_ARM64 = 0x6000000000000000ull;
inline constexpr uint64_t KVM_REG_SIZE_U32 = 0x0020000000000000ull;
inline constexpr uint64_t KVM_REG_SIZE_U64 = 0x0030000000000000ull;
inline constexpr uint64_t KVM_REG_SIZE_U128 = 0x0040000000000000ull;
inline constexpr uint64_t KVM_REG_SIZE_MASK = 0x00f0000000000000ull;
// KVM_REG_SIZE(): the bytes a ONE_REG id transfers.
constexpr size_t one_reg_size(uint64_t id) { return size_t{1} << ((id & KVM_REG_SIZE_MASK) >> 52); }
inline constexpr uint64_t KVM_REG_ARM_CORE = 0x0010ull << 16;
inline constexpr uint64_t KVM_REG_ARM64_SYSREG = 0x0013ull << 16;

// Core registers are addressed by their offset in struct kvm_regs, in 32-bit units:
// user_pt_regs {regs[31], sp, pc, pstate} then sp_el1, elr_el1, spsr[5], ...
constexpr uint64_t core_reg_id(unsigned u32_offset) {
  return KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | u32_offset;
}
constexpr uint64_t kRegX(unsigned n) { return core_reg_id(2 * n); }
inline constexpr uint64_t kRegSp = core_reg_id(2 * 31);
inline constexpr uint64_t kRegPc = core_reg_id(2 * 32);
inline constexpr uint64_t kRegPstate = core_reg_id(2 * 33);
inline constexpr uint64_t kRegSpEl1 = core_reg_id(2 * 34);
inline constexpr uint64_t kRegElrEl1 = core_reg_id(2 * 35);
inline constexpr uint64_t kRegSpsrEl1 = core_reg_id(2 * 36);
// spsr[1..4]: the AArch32 banked SPSRs (abt, und, irq, fiq); storage only here.
constexpr uint64_t kRegSpsr(unsigned n) { return core_reg_id(2 * (36 + n)); }
// struct user_fpsimd_state fp_regs follows spsr[5] at byte 336 (16-byte aligned):
// vregs[32] (__uint128_t), then fpsr and fpcr (__u32).
inline constexpr unsigned kFpRegsU32 = 336 / 4;
constexpr uint64_t kRegV(unsigned n) {
  return KVM_REG_ARM64 | KVM_REG_SIZE_U128 | KVM_REG_ARM_CORE | (kFpRegsU32 + 4 * n);
}
inline constexpr uint64_t kRegFpsr = KVM_REG_ARM64 | KVM_REG_SIZE_U32 | KVM_REG_ARM_CORE | (kFpRegsU32 + 128);
inline constexpr uint64_t kRegFpcr = KVM_REG_ARM64 | KVM_REG_SIZE_U32 | KVM_REG_ARM_CORE | (kFpRegsU32 + 129);

}  // namespace kvm_model
