// A VMM whose threads move between clusters (sched_setaffinity): the vCPU is loaded on the
// calling thread's pCPU at KVM_ARM_VCPU_INIT and KVM_RUN, as Linux's vcpu_load() puts it on
// the current CPU. Prints what it sees; the ctest compares it with the host file:
//   init on pCPU C: N n      the default PMU is C's cluster's (PMCR_EL0.N after VCPU_INIT)
//   run on pCPU 0: exit 6    KVM_EXIT_MMIO, on the cluster of the PMU SET_PMU chose
//   run on pCPU C: exit 9 cpu C   KVM_EXIT_FAIL_ENTRY: a pCPU that PMU does not cover
// (KVM restricts a VM to its PMU's CPUs only after SET_PMU; the default PMU leaves every CPU
// allowed, so the run needs the PMU type of pCPU 0's cluster: argument 2.)
#include "raw.h"
PROGRAM_MAIN

typedef unsigned int u32;
enum { SYS_ioctl = 29, SYS_sched_setaffinity = 122 };
enum {
  KVM_CREATE_VM = 0xae01, KVM_GET_VCPU_MMAP_SIZE = 0xae04, KVM_CREATE_VCPU = 0xae41, KVM_RUN = 0xae80,
  KVM_SET_USER_MEMORY_REGION = 0x4020ae46, KVM_GET_ONE_REG = 0x4010aeab, KVM_SET_ONE_REG = 0x4010aeac,
  KVM_ARM_VCPU_INIT = 0x4020aeae, KVM_ARM_PREFERRED_TARGET = 0x8020aeaf, KVM_SET_DEVICE_ATTR = 0x4018aee1,
};
struct vcpu_init { u32 target, features[7]; };
struct one_reg { u64 id, addr; };
struct mem_region { u32 slot, flags; u64 gpa, size, uaddr; };
struct dev_attr { u32 flags, group; u64 attr, addr; };
static const u64 kPmcr = 0x603000000013dce0ull;  // ARM64_SYS_REG(3, 3, 9, 12, 0)
static const u64 kPc = 0x6030000000100040ull;    // core register regs.pc
static const u64 kX1 = 0x6030000000100002ull;    // core register regs.regs[1]
static const u64 kGuest = 0x40000000;

static long kvm_ioctl(long fd, unsigned long req, void* arg) { return sys(SYS_ioctl, fd, req, arg); }

static void move_to(long pcpu) {
  u64 mask = 1ul << pcpu;
  check(sys(SYS_sched_setaffinity, 0, sizeof mask, &mask) == 0, "sched_setaffinity");
}

// A VM with one PMUv3 vCPU initialised by the calling thread; returns the vCPU fd.
static long pmu_vcpu(long kvm, long* vm_out) {
  long vm = kvm_ioctl(kvm, KVM_CREATE_VM, 0);
  check(vm >= 0, "KVM_CREATE_VM");
  struct vcpu_init init;
  check(kvm_ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init) == 0, "KVM_ARM_PREFERRED_TARGET");
  init.features[0] |= 1u << 3;  // KVM_ARM_VCPU_PMU_V3
  long vcpu = kvm_ioctl(vm, KVM_CREATE_VCPU, 0);
  check(vcpu >= 0, "KVM_CREATE_VCPU");
  check(kvm_ioctl(vcpu, KVM_ARM_VCPU_INIT, &init) == 0, "KVM_ARM_VCPU_INIT(PMU_V3)");
  *vm_out = vm;
  return vcpu;
}

static void report_n(long kvm, long pcpu) {
  move_to(pcpu);
  long vm;
  long vcpu = pmu_vcpu(kvm, &vm);
  u64 pmcr = 0;
  struct one_reg r = {kPmcr, (u64)&pmcr};
  check(kvm_ioctl(vcpu, KVM_GET_ONE_REG, &r) == 0, "KVM_GET_ONE_REG(PMCR_EL0)");
  puts_("init on pCPU "); putn(pcpu); puts_(": N "); putn((pmcr >> 11) & 0x1f); puts_("\n");
  sys(SYS_close, vcpu, 0, 0);
  sys(SYS_close, vm, 0, 0);
}

int main(long argc, char** argv, char** envp) {
  (void)envp;
  check(argc == 3, "usage: placement OTHER_PCPU PMU_TYPE_OF_PCPU0");
  long other = 0;
  int type = 0;
  for (const char* p = argv[1]; *p; ++p) other = other * 10 + (*p - '0');
  for (const char* p = argv[2]; *p; ++p) type = type * 10 + (*p - '0');
  long kvm = sys6(SYS_openat, -100, (long)"/dev/kvm", 2, 0, 0, 0);
  check(kvm >= 0, "open /dev/kvm");
  report_n(kvm, 0);
  report_n(kvm, other);

  // A vCPU that runs: initialised on pCPU 0, a store to unbacked memory (an MMIO exit).
  move_to(0);
  long vm;
  long vcpu = pmu_vcpu(kvm, &vm);
  u32* ram = (u32*)sys6(SYS_mmap, 0, 65536, 3, 0x22, -1, 0);
  check((long)ram > 0, "mmap guest RAM");
  ram[0] = 0xf9000020;  // str x0, [x1]
  ram[1] = 0x17ffffff;  // b .-4
  struct mem_region m = {0, 0, kGuest, 65536, (u64)ram};
  check(kvm_ioctl(vm, KVM_SET_USER_MEMORY_REGION, &m) == 0, "KVM_SET_USER_MEMORY_REGION");
  struct dev_attr set_pmu = {0, 0 /* PMU_V3_CTRL */, 3 /* PMU_V3_SET_PMU */, (u64)&type};
  check(kvm_ioctl(vcpu, KVM_SET_DEVICE_ATTR, &set_pmu) == 0, "PMU_V3_SET_PMU");
  struct dev_attr init_attr = {0, 0 /* PMU_V3_CTRL */, 1 /* PMU_V3_INIT */, 0};
  check(kvm_ioctl(vcpu, KVM_SET_DEVICE_ATTR, &init_attr) == 0, "PMU_V3_INIT");
  u64 pc = kGuest, x1 = 0x09000000;
  struct one_reg rpc = {kPc, (u64)&pc}, rx1 = {kX1, (u64)&x1};
  check(kvm_ioctl(vcpu, KVM_SET_ONE_REG, &rpc) == 0 && kvm_ioctl(vcpu, KVM_SET_ONE_REG, &rx1) == 0, "SET pc, x1");
  long size = kvm_ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
  unsigned char* run = (unsigned char*)sys6(SYS_mmap, 0, size, 3, 0x01 /* MAP_SHARED */, vcpu, 0);
  check((long)run > 0, "mmap kvm_run");
  for (int i = 0; i < 2; ++i) {
    long pcpu = i == 0 ? 0 : other;
    move_to(pcpu);
    long rc = kvm_ioctl(vcpu, KVM_RUN, 0);
    puts_("run on pCPU "); putn(pcpu); puts_(": rc "); putn(rc); puts_(", exit "); putn(*(u32*)(run + 8));
    if (*(u32*)(run + 8) == 9) { puts_(" cpu "); putn(*(u32*)(run + 40)); }
    puts_("\n");
  }
  return 0;
}
