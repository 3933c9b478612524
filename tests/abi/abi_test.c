/* The /dev/kvm ABI driven as an unmodified arm64 VMM would drive it: plain open/ioctl/
 * mmap/close, compiled for x86 against the arm64 UAPI headers, run under
 * libpmuemu-kvm-preload.so (PMUEMU_HOST, PMUEMU_KVM set by ctest, one run per era).
 * Every ioctl is checked for its result and, on the error paths, Linux's errno and that
 * nothing changed. Exit status: 0 all passed, 1 a check failed (each failure printed). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pmuemu/kvm.h"

static int failures;
static int vcpu_masks_vm;
static const char* era;

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "[%s] %s:%d: check failed: %s\n", era, __FILE__, __LINE__, #cond); \
      failures++;                                                          \
    }                                                                      \
  } while (0)
/* An ioctl that must fail with errno e. */
#define FAILS(call, e)                                                                           \
  do {                                                                                           \
    errno = 0;                                                                                   \
    long r_ = (call);                                                                            \
    if (r_ != -1 || errno != (e)) {                                                              \
      fprintf(stderr, "[%s] %s:%d: %s = %ld errno %d (%s), want -1 errno %d (%s)\n", era, __FILE__, \
              __LINE__, #call, r_, errno, strerror(errno), (e), strerror(e));                    \
      failures++;                                                                                \
    }                                                                                            \
  } while (0)

#define ARM64_SYS_REG_ID(op0, op1, crn, crm, op2)                                                       \
  (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM64_SYSREG | ((uint64_t)(op0) << 14) |                  \
   ((uint64_t)(op1) << 11) | ((uint64_t)(crn) << 7) | ((uint64_t)(crm) << 3) | (uint64_t)(op2))
#define CORE_REG(field) \
  (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | (offsetof(struct kvm_regs, field) / sizeof(__u32)))
/* KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION value: count [63:52], base [51:16], flags [15:12], index [11:0]
 * (Documentation/virt/kvm/devices/arm-vgic-v3.rst; not in the UAPI headers). */
#define RDIST_COUNT_SHIFT 52
#define REG_PMCR_EL0 ARM64_SYS_REG_ID(3, 3, 9, 12, 0)
#define REG_PMCNTENSET_EL0 ARM64_SYS_REG_ID(3, 3, 9, 12, 1)

static int era_ge_6_7(void) { return strcmp(era, "6.7") == 0 || strcmp(era, "6.16") == 0; }
static int era_ge_6_8(void) { return strcmp(era, "6.16") == 0; }

static int get_reg(int vcpu, uint64_t id, uint64_t* v) {
  struct kvm_one_reg r = {.id = id, .addr = (uint64_t)(uintptr_t)v};
  return ioctl(vcpu, KVM_GET_ONE_REG, &r);
}
static int set_reg(int vcpu, uint64_t id, uint64_t v) {
  struct kvm_one_reg r = {.id = id, .addr = (uint64_t)(uintptr_t)&v};
  return ioctl(vcpu, KVM_SET_ONE_REG, &r);
}

/* Guest at 0x40000000: an MMIO read (x2 <- [0x10000000]), an MMIO write of x2 to
 * 0x10000008, then PSCI SYSTEM_OFF. */
static const uint32_t kGuest[] = {
    0xD2A20000, /* movz x0, #0x1000, lsl #16 */
    0xF9400002, /* ldr  x2, [x0] */
    0xF9000402, /* str  x2, [x0, #8] */
    0x52800100, /* movz w0, #8 */
    0x72B08000, /* movk w0, #0x8400, lsl #16  (0x84000008 SYSTEM_OFF) */
    0xD4000002, /* hvc  #0 */
};
#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x200000ull

static void test_system(int kvm) {
  CHECK(ioctl(kvm, KVM_GET_API_VERSION, 0) == KVM_API_VERSION);
  FAILS(ioctl(kvm, KVM_GET_API_VERSION, 1), EINVAL);
  CHECK(ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0) == 8192);
  CHECK(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_PMU_V3) == 1);
  CHECK(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_VM_IPA_SIZE) == 40);
  CHECK(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) == 1);
  CHECK(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ONE_REG) == 1);
  CHECK(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_PSCI_0_2) == 1);
  CHECK(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL) == 1);
  CHECK(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS) == 512);
  CHECK(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_SVE) == 0);
  CHECK(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_PTRAUTH_ADDRESS) == 0);
  CHECK(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY2) == era_ge_6_8());
  CHECK(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES) == era_ge_6_8());
  CHECK(ioctl(kvm, KVM_CHECK_EXTENSION, 100000) == 0);
  FAILS(ioctl(kvm, KVM_RUN, 0), EINVAL); /* a vCPU ioctl on the system fd */
  FAILS(ioctl(kvm, KVM_CREATE_VM, 1ul << 8), EINVAL);
  FAILS(ioctl(kvm, KVM_CREATE_VM, 31), EINVAL);
  FAILS(ioctl(kvm, KVM_CREATE_VM, 41), EINVAL);
  FAILS(close(-1), EBADF);
  void* p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, kvm, 0);
  CHECK(p == MAP_FAILED && errno == ENODEV);
}

static void test_memory(int vm, void* ram) {
  struct kvm_userspace_memory_region m = {.slot = 0, .guest_phys_addr = RAM_BASE, .memory_size = RAM_SIZE,
                                          .userspace_addr = (uint64_t)(uintptr_t)ram};
  struct kvm_userspace_memory_region bad = m;
  bad.guest_phys_addr = RAM_BASE + 1;
  FAILS(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &bad), EINVAL); /* misaligned */
  bad = m;
  bad.flags = 1u << 7;
  FAILS(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &bad), EINVAL); /* unknown flag */
  FAILS(ioctl(vm, KVM_SET_USER_MEMORY_REGION, (void*)8), EFAULT);
  CHECK(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &m) == 0);
  CHECK(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &m) == 0); /* unchanged: nothing to do */
  /* A second slot overlapping the first, then a read-only one that moves and goes. */
  void* rom = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  struct kvm_userspace_memory_region s1 = {.slot = 1, .flags = KVM_MEM_READONLY, .guest_phys_addr = RAM_BASE + 0x1000,
                                           .memory_size = 0x10000, .userspace_addr = (uint64_t)(uintptr_t)rom};
  FAILS(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &s1), EEXIST);
  s1.guest_phys_addr = 0x20000000;
  CHECK(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &s1) == 0);
  s1.guest_phys_addr = 0x20010000; /* move */
  CHECK(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &s1) == 0);
  s1.flags = 0; /* READONLY cannot change on an existing slot */
  FAILS(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &s1), EINVAL);
  s1.flags = KVM_MEM_READONLY;
  s1.memory_size = 0; /* delete */
  CHECK(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &s1) == 0);
  FAILS(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &s1), EINVAL); /* no such slot any more */
  struct kvm_userspace_memory_region2 m2 = {.slot = 3, .guest_phys_addr = 0x30000000, .memory_size = 0x10000,
                                            .userspace_addr = (uint64_t)(uintptr_t)rom};
  if (era_ge_6_8()) {
    CHECK(ioctl(vm, KVM_SET_USER_MEMORY_REGION2, &m2) == 0);
    m2.memory_size = 0;
    CHECK(ioctl(vm, KVM_SET_USER_MEMORY_REGION2, &m2) == 0);
  } else {
    FAILS(ioctl(vm, KVM_SET_USER_MEMORY_REGION2, &m2), ENOTTY);
  }
  CHECK(ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_PMU_V3) == 1);
  struct kvm_enable_cap cap = {.cap = KVM_CAP_ARM_SYSTEM_SUSPEND};
  CHECK(ioctl(vm, KVM_ENABLE_CAP, &cap) == 0);
  cap.flags = 1;
  FAILS(ioctl(vm, KVM_ENABLE_CAP, &cap), EINVAL);
  cap.flags = 0;
  cap.cap = KVM_CAP_ARM_SVE;
  FAILS(ioctl(vm, KVM_ENABLE_CAP, &cap), EINVAL);
}

static int test_vgic(int vm) {
  struct kvm_create_device cd = {.type = KVM_DEV_TYPE_ARM_VGIC_V3, .flags = KVM_CREATE_DEVICE_TEST};
  CHECK(ioctl(vm, KVM_CREATE_DEVICE, &cd) == 0);
  cd.type = KVM_DEV_TYPE_ARM_VGIC_V2;
  FAILS(ioctl(vm, KVM_CREATE_DEVICE, &cd), ENODEV);
  cd.type = KVM_DEV_TYPE_ARM_VGIC_V3;
  cd.flags = 0;
  CHECK(ioctl(vm, KVM_CREATE_DEVICE, &cd) == 0);
  const int gic = (int)cd.fd;
  FAILS(ioctl(vm, KVM_CREATE_DEVICE, &cd), EEXIST);
  return gic;
}

/* The selftest library's order: NR_IRQS, CTRL_INIT, the addresses, CTRL_INIT again. */
static void config_vgic(int gic, int nr_vcpus) {
  uint32_t nr = 64;
  struct kvm_device_attr a = {.group = KVM_DEV_ARM_VGIC_GRP_NR_IRQS, .addr = (uint64_t)(uintptr_t)&nr};
  nr = 63;
  FAILS(ioctl(gic, KVM_SET_DEVICE_ATTR, &a), EINVAL);
  nr = 64;
  CHECK(ioctl(gic, KVM_SET_DEVICE_ATTR, &a) == 0);
  FAILS(ioctl(gic, KVM_SET_DEVICE_ATTR, &a), EBUSY); /* set once */
  struct kvm_device_attr init = {.group = KVM_DEV_ARM_VGIC_GRP_CTRL, .attr = KVM_DEV_ARM_VGIC_CTRL_INIT};
  CHECK(ioctl(gic, KVM_SET_DEVICE_ATTR, &init) == 0);
  uint64_t dist = 0x8000000 + 1;
  struct kvm_device_attr d = {.group = KVM_DEV_ARM_VGIC_GRP_ADDR, .attr = KVM_VGIC_V3_ADDR_TYPE_DIST,
                              .addr = (uint64_t)(uintptr_t)&dist};
  FAILS(ioctl(gic, KVM_SET_DEVICE_ATTR, &d), EINVAL); /* misaligned */
  dist = 1ull << 40;
  FAILS(ioctl(gic, KVM_SET_DEVICE_ATTR, &d), E2BIG); /* beyond the IPA space */
  dist = 0x8020000 & ~0xffffull;
  CHECK(ioctl(gic, KVM_SET_DEVICE_ATTR, &d) == 0); /* after CTRL_INIT, as Linux allows */
  FAILS(ioctl(gic, KVM_SET_DEVICE_ATTR, &d), EEXIST);
  uint64_t got = 0;
  d.addr = (uint64_t)(uintptr_t)&got;
  CHECK(ioctl(gic, KVM_GET_DEVICE_ATTR, &d) == 0 && got == 0x8020000);
  uint64_t region = 0x80a0000ull | ((uint64_t)nr_vcpus << RDIST_COUNT_SHIFT);
  struct kvm_device_attr r = {.group = KVM_DEV_ARM_VGIC_GRP_ADDR, .attr = KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
                              .addr = (uint64_t)(uintptr_t)&region};
  CHECK(ioctl(gic, KVM_SET_DEVICE_ATTR, &r) == 0);
  CHECK(ioctl(gic, KVM_SET_DEVICE_ATTR, &init) == 0); /* idempotent */
  CHECK(ioctl(gic, KVM_HAS_DEVICE_ATTR, &init) == 0);
  struct kvm_device_attr bad = {.group = 99};
  FAILS(ioctl(gic, KVM_HAS_DEVICE_ATTR, &bad), ENXIO);
  FAILS(ioctl(gic, KVM_RUN, 0), ENOTTY);
}

static void test_vcpu_init(int vm, int vcpu, int vcpu1) {
  uint64_t v;
  FAILS(get_reg(vcpu, REG_PMCR_EL0, &v), ENOEXEC);
  struct kvm_vcpu_init init;
  CHECK(ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init) == 0);
  CHECK(init.target == KVM_ARM_TARGET_GENERIC_V8);
  struct kvm_vcpu_init bad = init;
  bad.features[0] = 1u << 20;
  FAILS(ioctl(vcpu, KVM_ARM_VCPU_INIT, &bad), ENOENT);
  bad = init;
  bad.target = 1000;
  FAILS(ioctl(vcpu, KVM_ARM_VCPU_INIT, &bad), EINVAL);
  FAILS(ioctl(vcpu, KVM_ARM_VCPU_INIT, (void*)16), EFAULT);
  init.features[0] = (1u << KVM_ARM_VCPU_PSCI_0_2) | (1u << KVM_ARM_VCPU_PMU_V3);
  CHECK(ioctl(vcpu, KVM_ARM_VCPU_INIT, &init) == 0);
  /* 6.7+: the features are the VM's; 6.6: each vCPU has its own. */
  struct kvm_vcpu_init other = init;
  other.features[0] = 1u << KVM_ARM_VCPU_PSCI_0_2;
  if (era_ge_6_7()) FAILS(ioctl(vcpu1, KVM_ARM_VCPU_INIT, &other), EINVAL);
  else CHECK(ioctl(vcpu1, KVM_ARM_VCPU_INIT, &other) == 0);
  struct kvm_vcpu_init same = init;
  same.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF; /* power-off is per call */
  if (era_ge_6_7()) CHECK(ioctl(vcpu1, KVM_ARM_VCPU_INIT, &same) == 0);
  struct kvm_mp_state mp;
  if (era_ge_6_7()) CHECK(ioctl(vcpu1, KVM_GET_MP_STATE, &mp) == 0 && mp.mp_state == KVM_MP_STATE_STOPPED);
  int what = KVM_ARM_VCPU_SVE;
  FAILS(ioctl(vcpu, KVM_ARM_VCPU_FINALIZE, &what), EINVAL);
}

static void test_regs(int vcpu) {
  uint64_t v = 0;
  /* REG_LIST: the E2BIG protocol. */
  struct kvm_reg_list probe = {.n = 0};
  FAILS(ioctl(vcpu, KVM_GET_REG_LIST, &probe), E2BIG);
  CHECK(probe.n > 100);
  struct kvm_reg_list* list = calloc(1, sizeof(*list) + probe.n * sizeof(uint64_t));
  list->n = probe.n;
  CHECK(ioctl(vcpu, KVM_GET_REG_LIST, list) == 0);
  int has_pmcr = 0, has_psci = 0, has_x0 = 0, has_spsr_fiq = 0;
  for (uint64_t i = 0; i < list->n; i++) {
    has_pmcr |= list->reg[i] == REG_PMCR_EL0;
    has_psci |= list->reg[i] == KVM_REG_ARM_PSCI_VERSION;
    has_x0 |= list->reg[i] == CORE_REG(regs.regs[0]);
    has_spsr_fiq |= list->reg[i] == CORE_REG(spsr[KVM_SPSR_FIQ]);
  }
  CHECK(has_pmcr && has_psci && has_x0 && has_spsr_fiq);
  CHECK(list->reg[0] == CORE_REG(regs.regs[0])); /* core registers first, as Linux */
  /* Save and restore every listed register (what get-reg-list and a migration do). */
  int bad_get = 0, bad_set = 0;
  for (uint64_t i = 0; i < list->n; i++) {
    uint8_t buf[16] = {0};
    struct kvm_one_reg r = {.id = list->reg[i], .addr = (uint64_t)(uintptr_t)buf};
    if (ioctl(vcpu, KVM_GET_ONE_REG, &r) != 0) {
      fprintf(stderr, "[%s] GET_ONE_REG %#llx: %s\n", era, (unsigned long long)list->reg[i], strerror(errno));
      bad_get++;
      continue;
    }
    if (ioctl(vcpu, KVM_SET_ONE_REG, &r) != 0) {
      fprintf(stderr, "[%s] SET_ONE_REG %#llx: %s\n", era, (unsigned long long)list->reg[i], strerror(errno));
      bad_set++;
    }
  }
  CHECK(bad_get == 0 && bad_set == 0);
  free(list);
  /* Error cases change nothing. */
  CHECK(get_reg(vcpu, REG_PMCR_EL0, &v) == 0);
  const uint64_t pmcr = v;
  struct kvm_one_reg r = {.id = REG_PMCR_EL0, .addr = 8};
  FAILS(ioctl(vcpu, KVM_SET_ONE_REG, &r), EFAULT);
  FAILS(ioctl(vcpu, KVM_GET_ONE_REG, (void*)8), EFAULT);
  CHECK(get_reg(vcpu, REG_PMCR_EL0, &v) == 0 && v == pmcr);
  FAILS(get_reg(vcpu, ARM64_SYS_REG_ID(3, 7, 15, 15, 7), &v), ENOENT);
  FAILS(get_reg(vcpu, (CORE_REG(regs.regs[0]) & ~KVM_REG_SIZE_MASK) | KVM_REG_SIZE_U32, &v), EINVAL);
  FAILS(get_reg(vcpu, 0x1000000000000000ull, &v), EINVAL); /* not an arm64 id */
  FAILS(set_reg(vcpu, KVM_REG_ARM_PSCI_VERSION, 0x12345), EINVAL);
  CHECK(set_reg(vcpu, KVM_REG_ARM_PSCI_VERSION, 0x10000) == 0);
  CHECK(get_reg(vcpu, KVM_REG_ARM_PSCI_VERSION, &v) == 0 && v == 0x10000);
  FAILS(set_reg(vcpu, KVM_REG_ARM_STD_BMAP, 2), EINVAL);
  /* PMCR_EL0.N limited to 2 from 6.7 on (set_pmcr); 6.6 ignores the request. */
  CHECK(set_reg(vcpu, REG_PMCR_EL0, (pmcr & ~(0x1full << 11)) | (2ull << 11)) == 0);
  CHECK(get_reg(vcpu, REG_PMCR_EL0, &v) == 0);
  if (era_ge_6_7()) CHECK(((v >> 11) & 0x1f) == 2);
  uint64_t masks[KVM_ARM_FEATURE_ID_RANGE_SIZE];
  struct reg_mask_range range = {.addr = (uint64_t)(uintptr_t)masks, .range = KVM_ARM_FEATURE_ID_RANGE};
  if (era_ge_6_8()) {
    memset(masks, 0xa5, sizeof masks);
    CHECK(ioctl(vcpu_masks_vm, KVM_ARM_GET_REG_WRITABLE_MASKS, &range) == 0);
    CHECK(masks[5 * 8 + 0] == 0xf000f00f0full); /* ID_AA64DFR0_EL1: DoubleLock, WRPs, PMUVer, DebugVer */
    CHECK(masks[6 * 8 + 0] == 0xfffffffffffffff0ull); /* ID_AA64ISAR0_EL1: all but RES0 */
    CHECK(masks[2 * 64 + 1] == 0x300f000full);        /* CTR_EL0 (op1 3): DIC, IDC, DminLine, IminLine */
    CHECK(masks[0] == 0);
    range.range = 1;
    FAILS(ioctl(vcpu_masks_vm, KVM_ARM_GET_REG_WRITABLE_MASKS, &range), EINVAL);
  } else {
    FAILS(ioctl(vcpu_masks_vm, KVM_ARM_GET_REG_WRITABLE_MASKS, &range), EINVAL);
  }
}

static void test_pmu_attrs(int vcpu) {
  int irq = 23;
  struct kvm_device_attr a = {.group = KVM_ARM_VCPU_PMU_V3_CTRL, .attr = KVM_ARM_VCPU_PMU_V3_IRQ,
                              .addr = (uint64_t)(uintptr_t)&irq};
  CHECK(ioctl(vcpu, KVM_HAS_DEVICE_ATTR, &a) == 0);
  CHECK(ioctl(vcpu, KVM_SET_DEVICE_ATTR, &a) == 0);
  int got = 0;
  a.addr = (uint64_t)(uintptr_t)&got;
  CHECK(ioctl(vcpu, KVM_GET_DEVICE_ATTR, &a) == 0 && got == 23);
  a.addr = 8;
  FAILS(ioctl(vcpu, KVM_SET_DEVICE_ATTR, &a), EFAULT);
  struct kvm_device_attr init = {.group = KVM_ARM_VCPU_PMU_V3_CTRL, .attr = KVM_ARM_VCPU_PMU_V3_INIT};
  CHECK(ioctl(vcpu, KVM_SET_DEVICE_ATTR, &init) == 0);
  /* TIMER_CTRL and PVTIME_CTRL exist. */
  int vt = 0;
  struct kvm_device_attr t = {.group = KVM_ARM_VCPU_TIMER_CTRL, .attr = KVM_ARM_VCPU_TIMER_IRQ_VTIMER,
                              .addr = (uint64_t)(uintptr_t)&vt};
  CHECK(ioctl(vcpu, KVM_GET_DEVICE_ATTR, &t) == 0 && vt == 27);
  vt = 40;
  FAILS(ioctl(vcpu, KVM_SET_DEVICE_ATTR, &t), EINVAL); /* not a PPI */
  uint64_t ipa = RAM_BASE + 0x100000 + 3;
  struct kvm_device_attr pv = {.group = KVM_ARM_VCPU_PVTIME_CTRL, .attr = KVM_ARM_VCPU_PVTIME_IPA,
                               .addr = (uint64_t)(uintptr_t)&ipa};
  FAILS(ioctl(vcpu, KVM_SET_DEVICE_ATTR, &pv), EINVAL); /* not 64-byte aligned */
  ipa -= 3;
  CHECK(ioctl(vcpu, KVM_SET_DEVICE_ATTR, &pv) == 0);
  FAILS(ioctl(vcpu, KVM_SET_DEVICE_ATTR, &pv), EEXIST);
  struct kvm_device_attr none = {.group = 77};
  FAILS(ioctl(vcpu, KVM_HAS_DEVICE_ATTR, &none), ENXIO);
}

static void test_run(int vcpu, struct kvm_run* run, uint8_t* ram) {
  memcpy(ram, kGuest, sizeof kGuest);
  CHECK(set_reg(vcpu, CORE_REG(regs.pc), RAM_BASE) == 0);
  FAILS(ioctl(vcpu, KVM_RUN, 1), EINVAL);
  CHECK(ioctl(vcpu, KVM_RUN, 0) == 0);
  CHECK(run->exit_reason == KVM_EXIT_MMIO && !run->mmio.is_write && run->mmio.phys_addr == 0x10000000 &&
        run->mmio.len == 8);
  const uint64_t value = 0x1122334455667788ull;
  memcpy(run->mmio.data, &value, 8);
  /* immediate_exit: the read completes, then -EINTR without running. */
  run->immediate_exit = 1;
  FAILS(ioctl(vcpu, KVM_RUN, 0), EINTR);
  run->immediate_exit = 0;
  uint64_t x2 = 0, pc = 0;
  CHECK(get_reg(vcpu, CORE_REG(regs.regs[2]), &x2) == 0 && x2 == value);
  CHECK(get_reg(vcpu, CORE_REG(regs.pc), &pc) == 0 && pc == RAM_BASE + 8);
  CHECK(ioctl(vcpu, KVM_RUN, 0) == 0);
  CHECK(run->exit_reason == KVM_EXIT_MMIO && run->mmio.is_write && run->mmio.phys_addr == 0x10000008);
  uint64_t written = 0;
  memcpy(&written, run->mmio.data, 8);
  CHECK(written == value);
  CHECK(ioctl(vcpu, KVM_RUN, 0) == 0);
  CHECK(run->exit_reason == KVM_EXIT_SYSTEM_EVENT && run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN);
}

int main(void) {
  /* The shim checks its settings at this open (and exits 78 on a bad one). */
  const int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (kvm < 0) {
    perror("open /dev/kvm");
    return 1;
  }
  era = getenv("PMUEMU_KVM");
  test_system(kvm);
  const int vm = ioctl(kvm, KVM_CREATE_VM, 0);
  CHECK(vm >= 0);
  uint8_t* ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  vcpu_masks_vm = vm;
  test_memory(vm, ram);
  const int gic = test_vgic(vm);
  const int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
  const int vcpu1 = ioctl(vm, KVM_CREATE_VCPU, 1);
  CHECK(vcpu >= 0 && vcpu1 >= 0);
  FAILS(ioctl(vm, KVM_CREATE_VCPU, 0), EEXIST);
  FAILS(ioctl(vm, KVM_CREATE_VCPU, 512), EINVAL);
  const long sz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
  struct kvm_run* run = mmap(NULL, (size_t)sz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
  CHECK(run != MAP_FAILED);
  void* vm_map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, vm, 0);
  CHECK(vm_map == MAP_FAILED && errno == ENODEV);
  test_vcpu_init(vm, vcpu, vcpu1);
  config_vgic(gic, 2);
  FAILS(ioctl(vm, KVM_CREATE_VCPU, 2), EBUSY); /* the vGIC is initialised */
  test_regs(vcpu);
  test_pmu_attrs(vcpu);
  if (!era_ge_6_7()) {
    /* vCPU 1 has no PMU in 6.6 here (its own features): nothing to set up. */
  } else {
    int irq = 23;
    struct kvm_device_attr a = {.group = KVM_ARM_VCPU_PMU_V3_CTRL, .attr = KVM_ARM_VCPU_PMU_V3_IRQ,
                                .addr = (uint64_t)(uintptr_t)&irq};
    struct kvm_device_attr init = {.group = KVM_ARM_VCPU_PMU_V3_CTRL, .attr = KVM_ARM_VCPU_PMU_V3_INIT};
    CHECK(ioctl(vcpu1, KVM_SET_DEVICE_ATTR, &a) == 0 && ioctl(vcpu1, KVM_SET_DEVICE_ATTR, &init) == 0);
  }
  test_run(vcpu, run, ram);
  /* The VM fd closed: its vCPU fds keep it alive. */
  CHECK(close(vm) == 0);
  FAILS(close(vm), EBADF);
  struct kvm_mp_state mp;
  CHECK(ioctl(vcpu, KVM_GET_MP_STATE, &mp) == 0);
  uint64_t pmcr;
  CHECK(get_reg(vcpu, REG_PMCR_EL0, &pmcr) == 0);
  CHECK(close(gic) == 0 && close(vcpu1) == 0 && munmap(run, (size_t)sz) == 0 && close(vcpu) == 0);
  FAILS(ioctl(vcpu, KVM_RUN, 0), EBADF);
  CHECK(close(kvm) == 0);
  if (failures != 0) {
    fprintf(stderr, "[%s] abi_test: %d check(s) failed\n", era, failures);
    return 1;
  }
  printf("[%s] abi_test: all checks passed\n", era);
  return 0;
}
