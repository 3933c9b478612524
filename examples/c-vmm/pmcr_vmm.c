/* A small arm64 VMM in C on libpmuemu-kvm: it limits the guest's PMCR_EL0.N, runs a guest
 * that reads PMCR_EL0 and reports N through an MMIO write, resets the vCPU, saves every
 * register of KVM_GET_REG_LIST and restores them, and runs the guest again.
 * Usage: pmcr_vmm HOST.yaml ERA N. Exit 0 when the guest saw N both times. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <pmuemu/kvm.h>

#define RAM 0x40000000ull
#define PMCR_EL0 (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM64_SYSREG | (3ull << 14) | (3ull << 11) | (9ull << 7) | (12ull << 3))
#define REG_PC (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | (offsetof(struct kvm_regs, regs.pc) / 4))
#define DIE(what) do { fprintf(stderr, "pmcr_vmm: %s: %s\n", what, strerror(errno)); exit(1); } while (0)

static const uint32_t guest[] = {
    0xD53B9C01, /* mrs  x1, pmcr_el0 */
    0xD34B3C21, /* ubfx x1, x1, #11, #5   (N) */
    0xD2A20000, /* movz x0, #0x1000, lsl #16 */
    0xF9000001, /* str  x1, [x0]          report N by MMIO */
    0x52800100, /* movz w0, #8 */
    0x72B08000, /* movk w0, #0x8400, lsl #16   PSCI SYSTEM_OFF */
    0xD4000002, /* hvc  #0 */
};

static uint64_t get(int vcpu, uint64_t id) {
  uint64_t v;
  struct kvm_one_reg r = {.id = id, .addr = (uintptr_t)&v};
  if (pmuemu_kvm_ioctl(vcpu, KVM_GET_ONE_REG, &r) < 0) DIE("KVM_GET_ONE_REG");
  return v;
}
static void set(int vcpu, uint64_t id, uint64_t v) {
  struct kvm_one_reg r = {.id = id, .addr = (uintptr_t)&v};
  if (pmuemu_kvm_ioctl(vcpu, KVM_SET_ONE_REG, &r) < 0) DIE("KVM_SET_ONE_REG");
}
static void init(int vm, int vcpu) {
  struct kvm_vcpu_init in;
  if (pmuemu_kvm_ioctl(vm, KVM_ARM_PREFERRED_TARGET, &in) < 0) DIE("KVM_ARM_PREFERRED_TARGET");
  in.features[0] = (1u << KVM_ARM_VCPU_PSCI_0_2) | (1u << KVM_ARM_VCPU_PMU_V3);
  if (pmuemu_kvm_ioctl(vcpu, KVM_ARM_VCPU_INIT, &in) < 0) DIE("KVM_ARM_VCPU_INIT");
}
/* Runs the guest from RAM to SYSTEM_OFF; returns the N it reported. */
static uint64_t run_guest(int vcpu, struct kvm_run* run) {
  uint64_t n = ~0ull;
  set(vcpu, REG_PC, RAM);
  for (;;) {
    if (pmuemu_kvm_ioctl(vcpu, KVM_RUN, 0) < 0) DIE("KVM_RUN");
    if (run->exit_reason == KVM_EXIT_MMIO && run->mmio.is_write) memcpy(&n, run->mmio.data, 8);
    else if (run->exit_reason == KVM_EXIT_SYSTEM_EVENT) return n;
    else { fprintf(stderr, "pmcr_vmm: unexpected exit %u\n", run->exit_reason); exit(1); }
  }
}

int main(int argc, char** argv) {
  if (argc != 4) { fprintf(stderr, "usage: pmcr_vmm HOST.yaml ERA N\n"); return 2; }
  const uint64_t want = strtoull(argv[3], NULL, 0);
  int kvm = pmuemu_kvm_open(argv[1], argv[2]);
  if (kvm < 0) { fprintf(stderr, "pmcr_vmm: %s: %s\n", argv[1], pmuemu_kvm_error()); return 1; }
  int vm = pmuemu_kvm_ioctl(kvm, KVM_CREATE_VM, 0);
  if (vm < 0) DIE("KVM_CREATE_VM");
  uint8_t* ram = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memcpy(ram, guest, sizeof guest);
  struct kvm_userspace_memory_region mem = {.guest_phys_addr = RAM, .memory_size = 1 << 20, .userspace_addr = (uintptr_t)ram};
  if (pmuemu_kvm_ioctl(vm, KVM_SET_USER_MEMORY_REGION, &mem) < 0) DIE("KVM_SET_USER_MEMORY_REGION");
  int vcpu = pmuemu_kvm_ioctl(vm, KVM_CREATE_VCPU, 0);
  if (vcpu < 0) DIE("KVM_CREATE_VCPU");
  struct kvm_run* run = pmuemu_kvm_mmap(NULL, pmuemu_kvm_ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
  if (run == MAP_FAILED) DIE("mmap(vcpu)");
  init(vm, vcpu);
  /* No in-kernel irqchip: the PMU needs only INIT. Limit N as a VMM migrating to a smaller host does. */
  struct kvm_device_attr pmu_init = {.group = KVM_ARM_VCPU_PMU_V3_CTRL, .attr = KVM_ARM_VCPU_PMU_V3_INIT};
  if (pmuemu_kvm_ioctl(vcpu, KVM_SET_DEVICE_ATTR, &pmu_init) < 0) DIE("PMU_V3_INIT");
  set(vcpu, PMCR_EL0, (get(vcpu, PMCR_EL0) & ~(0x1full << 11)) | (want << 11));
  const uint64_t n1 = run_guest(vcpu, run);
  /* Reset (KVM_ARM_VCPU_INIT again), then save and restore every register. */
  init(vm, vcpu);
  struct kvm_reg_list probe = {.n = 0};
  if (pmuemu_kvm_ioctl(vcpu, KVM_GET_REG_LIST, &probe) == 0 || errno != E2BIG) DIE("KVM_GET_REG_LIST probe");
  struct kvm_reg_list* list = malloc(sizeof *list + probe.n * 8);
  list->n = probe.n;
  if (pmuemu_kvm_ioctl(vcpu, KVM_GET_REG_LIST, list) < 0) DIE("KVM_GET_REG_LIST");
  uint64_t(*saved)[2] = calloc(list->n, 16); /* room for the 128-bit V registers */
  for (int dir = 0; dir < 2; dir++)
    for (uint64_t i = 0; i < list->n; i++) {
      struct kvm_one_reg r = {.id = list->reg[i], .addr = (uintptr_t)saved[i]};
      if (pmuemu_kvm_ioctl(vcpu, dir ? KVM_SET_ONE_REG : KVM_GET_ONE_REG, &r) < 0) DIE("save/restore");
    }
  const uint64_t n2 = run_guest(vcpu, run);
  printf("KVM %s: %llu registers saved and restored; guest read N = %llu, after the reset N = %llu\n", argv[2],
         (unsigned long long)list->n, (unsigned long long)n1, (unsigned long long)n2);
  free(saved);
  free(list);
  pmuemu_kvm_close(vcpu);
  pmuemu_kvm_close(vm);
  pmuemu_kvm_close(kvm);
  return n1 == want && n2 == want ? 0 : 3;
}
