/* libpmuemu-kvm: Linux's arm64 /dev/kvm, modelled in-process, for x86 programs written
 * against the arm64 KVM UAPI (<linux/kvm.h> and <asm/kvm.h> of an arm64 kernel).
 *
 *   int kvm = pmuemu_kvm_open("host.yaml", "6.7");     // instead of open("/dev/kvm")
 *   int vm  = pmuemu_kvm_ioctl(kvm, KVM_CREATE_VM, 0);  // instead of ioctl(2)
 *
 * Results are those of the system calls they stand for: >= 0 on success, -1 with errno set
 * on failure (Linux's errno for the same call, per kernel era). docs/kvm-api.md has the
 * errno table. Include this header after the arm64 UAPI headers' directory is on the
 * include path (pkg-config --cflags pmuemu-kvm).
 */
#ifndef PMUEMU_KVM_H
#define PMUEMU_KVM_H

#include <stddef.h>
#include <sys/types.h>
#include <linux/kvm.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Opens an emulated /dev/kvm: the host described by host_file (a pmuemu host YAML file)
 * running KVM of the given era ("6.6", "v5", "6.7", "6.16" or "newest", "7.3-strict",
 * "proposal-fixed-counters", "proposal-partition"). The calling
 * thread runs on pCPU 0 unless pmuemu_kvm_set_vmm_cpu() says otherwise. Returns a file
 * descriptor, or -1 with errno EINVAL (bad era), ENOENT (no such file) or EIO (a host file
 * that does not parse; pmuemu_kvm_error() says why). Every open shares one emulated host
 * per (host_file, era) pair. */
int pmuemu_kvm_open(const char* host_file, const char* era);
/* ioctl(2) on a descriptor from pmuemu_kvm_open or one it created (VM, vCPU, device).
 * EBADF for any other descriptor. */
long pmuemu_kvm_ioctl(int fd, unsigned long request, ...);
/* mmap(2) of a vCPU descriptor (the struct kvm_run page); ENODEV for other KVM fds. */
void* pmuemu_kvm_mmap(void* addr, size_t length, int prot, int flags, int fd, off_t offset);
/* close(2). A vCPU or device descriptor keeps its VM alive, as in Linux. */
int pmuemu_kvm_close(int fd);
/* Whether fd is a descriptor of the emulated /dev/kvm. */
int pmuemu_kvm_owns(int fd);
/* The pCPU the calling VMM thread runs on (KVM's choice of default PMU and 6.6's PMCR reset
 * depend on it on heterogeneous hosts). 0 or -1 with errno EINVAL (no such pCPU). */
int pmuemu_kvm_set_vmm_cpu(int kvm_fd, unsigned pcpu);
/* Why the last pmuemu_kvm_open failed (a static string). */
const char* pmuemu_kvm_error(void);

#ifdef __cplusplus
}
#endif

/* ---- UAPI additions after Linux 6.1 (the arm64 headers Debian 12 ships are 6.1): the same
 * numbers and layouts as Linux 6.8+'s headers, defined only where the headers lack them. */
#ifndef KVM_CAP_COUNTER_OFFSET
#define KVM_CAP_COUNTER_OFFSET 227
#endif
#ifndef KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE
#define KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE 228
#endif
#ifndef KVM_CAP_ARM_SUPPORTED_BLOCK_SIZES
#define KVM_CAP_ARM_SUPPORTED_BLOCK_SIZES 229
#endif
#ifndef KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES
#define KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES 230
#endif
#ifndef KVM_CAP_USER_MEMORY2
#define KVM_CAP_USER_MEMORY2 231
struct kvm_userspace_memory_region2 {
  __u32 slot;
  __u32 flags;
  __u64 guest_phys_addr;
  __u64 memory_size;
  __u64 userspace_addr;
  __u64 guest_memfd_offset;
  __u32 guest_memfd;
  __u32 pad1;
  __u64 pad2[14];
};
#define KVM_SET_USER_MEMORY_REGION2 _IOW(KVMIO, 0x49, struct kvm_userspace_memory_region2)
#endif
#ifndef KVM_ARM_GET_REG_WRITABLE_MASKS
#define KVM_ARM_FEATURE_ID_RANGE 0
#define KVM_ARM_FEATURE_ID_RANGE_SIZE (3 * 8 * 8)
struct reg_mask_range {
  __u64 addr;  /* pointer to the KVM_ARM_FEATURE_ID_RANGE_SIZE u64 masks */
  __u32 range; /* KVM_ARM_FEATURE_ID_RANGE */
  __u32 reserved[13];
};
#define KVM_ARM_GET_REG_WRITABLE_MASKS _IOR(KVMIO, 0xb6, struct reg_mask_range)
#endif
#ifndef KVM_ARM_SET_COUNTER_OFFSET
struct kvm_arm_counter_offset {
  __u64 counter_offset;
  __u64 reserved;
};
#define KVM_ARM_SET_COUNTER_OFFSET _IOW(KVMIO, 0xb5, struct kvm_arm_counter_offset)
#endif
#ifndef KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS
#define KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS 4
#endif
#ifndef KVM_ARM_VCPU_PMU_V3_STRICT /* queued for 7.3; era "7.3-strict" */
#define KVM_ARM_VCPU_PMU_V3_STRICT 9
#endif
/* PMU_V3_CTRL attribute 5 is claimed by two unmerged series with different meanings:
 * FIXED_COUNTERS_ONLY (era "proposal-fixed-counters") and ENABLE_PARTITION (era
 * "proposal-partition"); other eras answer -ENXIO. */
#ifndef KVM_ARM_VCPU_TIMER_IRQ_HVTIMER
#define KVM_ARM_VCPU_TIMER_IRQ_HVTIMER 2
#define KVM_ARM_VCPU_TIMER_IRQ_HPTIMER 3
#endif
#ifndef KVM_ARM_VM_SMCCC_CTRL
/* The VM attribute group of the SMCCC filter (6.4+) and its argument. */
#define KVM_ARM_VM_SMCCC_CTRL 0
#define KVM_ARM_VM_SMCCC_FILTER 0
struct kvm_smccc_filter {
  __u32 base;
  __u32 nr_functions;
  __u8 action; /* 0 handle, 1 deny, 2 forward to userspace (KVM_EXIT_HYPERCALL) */
  __u8 pad[15];
};
#endif
#ifndef KVM_HYPERCALL_EXIT_SMC
/* run->hypercall.flags of a KVM_EXIT_HYPERCALL (the 6.1 headers name that word longmode). */
#define KVM_HYPERCALL_EXIT_SMC (1U << 0)
#define KVM_HYPERCALL_EXIT_16BIT (1U << 1)
#endif

/* ---- pmuemu's own extension ----
 * A guest's A64 semihosting call (HLT #0xF000 at EL1) ends KVM_RUN with KVM_EXIT_DEBUG and
 * run->debug.arch.hsr 0xF000 (the call's operation in X0, its parameter in X1, the result
 * put back in X0 with KVM_SET_ONE_REG), once the VMM enables this capability on the VM fd
 * with KVM_ENABLE_CAP (args[0] 1 on, 0 off; KVM_CHECK_EXTENSION answers 1). Off (the
 * default, as Linux), the HLT is UNDEFINED in the guest. */
#define KVM_CAP_PMUEMU_SEMIHOSTING 0x504d0001

#endif /* PMUEMU_KVM_H */
