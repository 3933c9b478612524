// KVM_ARM_SET_COUNTER_OFFSET through the /dev/kvm ABI, as Linux 6.4+ has it
// (kvm_vm_ioctl_set_counter_offset): the capability, the errnos (EINVAL reserved, EFAULT,
// EBUSY while a vCPU is inside KVM_RUN), one offset for the virtual and the physical
// counter of every vCPU (created before or after), the guest's own CNTVCT/CNTPCT reads, and
// TIMER_CNT/PTIMER_CNT writes ignored once the VMM owns the offsets.
#include <boost/test/unit_test.hpp>

#include "kvm_model/abi/abi.h"
#include "pmuemu/kvm.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>

#include "tests/support/two_cluster_host.h"

namespace {

unsigned long ptr(const void* p) { return reinterpret_cast<unsigned long>(p); }
constexpr uint64_t kBadAddr = 0x10;  // the checked copies refuse the first page
constexpr uint64_t kRamGpa = 0x40000000, kMmioGpa = 0x09000000;
constexpr uint64_t kRegPc = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | (2 * 32);
constexpr uint64_t kRegX0 = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | 0;
constexpr uint64_t kRegX1 = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | 2;

// The guest reads both counters, then an MMIO write ends KVM_RUN.
// Assembled with aarch64-linux-gnu-as.
constexpr uint32_t kGuest[] = {
    0xd53be040,  // mrs  x0, cntvct_el0
    0xd53be021,  // mrs  x1, cntpct_el0
    0xd5033fdf,  // isb
    0xd2a12002,  // mov  x2, #0x9000000
    0xf9000040,  // str  x0, [x2]              KVM_EXIT_MMIO
    0x14000000,  // b    .
};
// The same start, spinning: a vCPU that stays inside KVM_RUN until told to leave.
constexpr uint32_t kSpin = 0x14000000;  // b .

struct alignas(4096) Ram {
  uint32_t w[0x10000 / 4];
};

struct Vm {
  kvm_model::abi::Dev dev;
  std::unique_ptr<Ram> ram = std::make_unique<Ram>();
  int kvm = -1, vm = -1;
  explicit Vm(kvm_model::vpmu::Era era) : dev([era] {
    kvm_model::abi::Options o;
    o.host = test_support::two_cluster_host(6, 6);
    o.era = era;
    return o;
  }()) {
    kvm = dev.open_dev();
    BOOST_REQUIRE_GE(kvm, 0);
    vm = static_cast<int>(dev.ioctl(kvm, KVM_CREATE_VM, 0));
    BOOST_REQUIRE_GE(vm, 0);
    kvm_userspace_memory_region m{0, 0, kRamGpa, sizeof(Ram), ptr(ram->w)};
    BOOST_REQUIRE_EQUAL(dev.ioctl(vm, KVM_SET_USER_MEMORY_REGION, ptr(&m)), 0);
  }
  int vcpu(unsigned id) {
    const long fd = dev.ioctl(vm, KVM_CREATE_VCPU, id);
    BOOST_REQUIRE_GE(fd, 0);
    kvm_vcpu_init init{};
    BOOST_REQUIRE_EQUAL(dev.ioctl(vm, KVM_ARM_PREFERRED_TARGET, ptr(&init)), 0);
    BOOST_REQUIRE_EQUAL(dev.ioctl(static_cast<int>(fd), KVM_ARM_VCPU_INIT, ptr(&init)), 0);
    BOOST_REQUIRE_EQUAL(set(static_cast<int>(fd), kRegPc, kRamGpa), 0);
    return static_cast<int>(fd);
  }
  long get(int vcpu, uint64_t id, uint64_t& v) {
    const kvm_one_reg r{id, ptr(&v)};
    return dev.ioctl(vcpu, KVM_GET_ONE_REG, ptr(&r));
  }
  uint64_t get(int vcpu, uint64_t id) {
    uint64_t v = 0;
    BOOST_REQUIRE_EQUAL(get(vcpu, id, v), 0);
    return v;
  }
  long set(int vcpu, uint64_t id, uint64_t v) {
    const kvm_one_reg r{id, ptr(&v)};
    return dev.ioctl(vcpu, KVM_SET_ONE_REG, ptr(&r));
  }
  long offset(uint64_t off, uint64_t reserved = 0) {
    kvm_arm_counter_offset o{};
    o.counter_offset = off;
    o.reserved = reserved;
    return dev.ioctl(vm, KVM_ARM_SET_COUNTER_OFFSET, ptr(&o));
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(counter_offset)

BOOST_AUTO_TEST_CASE(capability_in_every_era) {
  // KVM_CAP_COUNTER_OFFSET is Linux 6.4's: every modelled era has it.
  for (const kvm_model::vpmu::Era era : kvm_model::vpmu::kAllEras) {
    Vm v(era);
    BOOST_CHECK_EQUAL(v.dev.ioctl(v.kvm, KVM_CHECK_EXTENSION, KVM_CAP_COUNTER_OFFSET), 1);
    BOOST_CHECK_EQUAL(v.dev.ioctl(v.vm, KVM_CHECK_EXTENSION, KVM_CAP_COUNTER_OFFSET), 1);
    BOOST_CHECK_EQUAL(v.offset(1000), 0);
  }
}

BOOST_AUTO_TEST_CASE(one_offset_for_both_counters_of_every_vcpu) {
  Vm v(kvm_model::vpmu::Era::kNewest);
  const int a = v.vcpu(0);
  // No vCPU has run: each one's clock stands still, so every count below is exact.
  constexpr uint64_t kOff = 0x123456789;
  BOOST_REQUIRE_EQUAL(v.offset(kOff), 0);
  const uint64_t virt = v.get(a, KVM_REG_ARM_TIMER_CNT);
  BOOST_CHECK_EQUAL(v.get(a, KVM_REG_ARM_PTIMER_CNT), virt);  // the physical view too
  // Moving the offset moves the counts by as much, modulo 2^64.
  BOOST_REQUIRE_EQUAL(v.offset(kOff + 1000), 0);
  BOOST_CHECK_EQUAL(v.get(a, KVM_REG_ARM_TIMER_CNT), virt - 1000);
  BOOST_CHECK_EQUAL(v.get(a, KVM_REG_ARM_PTIMER_CNT), virt - 1000);
  BOOST_REQUIRE_EQUAL(v.offset(kOff), 0);
  BOOST_CHECK_EQUAL(v.get(a, KVM_REG_ARM_TIMER_CNT), virt);
  // An offset of 0 shows the clock itself; the first offset moved the count by kOff.
  BOOST_REQUIRE_EQUAL(v.offset(0), 0);
  const uint64_t clock = v.get(a, KVM_REG_ARM_TIMER_CNT);
  BOOST_CHECK_EQUAL(clock - kOff, virt);
  // A vCPU created afterwards gets the VM's offsets.
  BOOST_REQUIRE_EQUAL(v.offset(kOff), 0);
  const int b = v.vcpu(1);
  BOOST_CHECK_EQUAL(v.get(b, KVM_REG_ARM_TIMER_CNT), virt);
  BOOST_CHECK_EQUAL(v.get(b, KVM_REG_ARM_PTIMER_CNT), virt);
}

BOOST_AUTO_TEST_CASE(counter_writes_ignored_once_the_vmm_owns_the_offsets) {
  Vm v(kvm_model::vpmu::Era::k6_7);
  const int a = v.vcpu(0);
  // Before: a TIMER_CNT write sets the count (the VM's virtual offset).
  BOOST_REQUIRE_EQUAL(v.set(a, KVM_REG_ARM_TIMER_CNT, 5000), 0);
  BOOST_CHECK_EQUAL(v.get(a, KVM_REG_ARM_TIMER_CNT), 5000u);
  BOOST_REQUIRE_EQUAL(v.offset(77), 0);
  const uint64_t virt = v.get(a, KVM_REG_ARM_TIMER_CNT);
  BOOST_CHECK_NE(virt, 5000u);
  // After: the writes succeed and change nothing (KVM_ARCH_FLAG_VM_COUNTER_OFFSET).
  BOOST_CHECK_EQUAL(v.set(a, KVM_REG_ARM_TIMER_CNT, 5000), 0);
  BOOST_CHECK_EQUAL(v.set(a, KVM_REG_ARM_PTIMER_CNT, 5000), 0);
  BOOST_CHECK_EQUAL(v.get(a, KVM_REG_ARM_TIMER_CNT), virt);
  BOOST_CHECK_EQUAL(v.get(a, KVM_REG_ARM_PTIMER_CNT), virt);
}

BOOST_AUTO_TEST_CASE(errnos_change_nothing) {
  Vm v(kvm_model::vpmu::Era::kNewest);
  const int a = v.vcpu(0);
  BOOST_REQUIRE_EQUAL(v.offset(500), 0);
  const uint64_t virt = v.get(a, KVM_REG_ARM_TIMER_CNT);
  BOOST_CHECK_EQUAL(v.offset(900, 1), -EINVAL);  // reserved must be 0
  BOOST_CHECK_EQUAL(v.offset(900, uint64_t{1} << 63), -EINVAL);
  BOOST_CHECK_EQUAL(v.dev.ioctl(v.vm, KVM_ARM_SET_COUNTER_OFFSET, kBadAddr), -EFAULT);
  BOOST_CHECK_EQUAL(v.get(a, KVM_REG_ARM_TIMER_CNT), virt);
  // A vCPU ioctl, not a VM one: the vCPU fd does not know it.
  kvm_arm_counter_offset o{};
  BOOST_CHECK_EQUAL(v.dev.ioctl(a, KVM_ARM_SET_COUNTER_OFFSET, ptr(&o)), -EINVAL);
  BOOST_CHECK_EQUAL(v.get(a, KVM_REG_ARM_TIMER_CNT), virt);
}

BOOST_AUTO_TEST_CASE(the_guest_counts_behind_by_the_offset) {
  // An offset near 2^63 (the selftest arch_timer's -o): the guest's counters are the clock
  // minus it, modulo 2^64, both the virtual and the physical one.
  Vm v(kvm_model::vpmu::Era::kNewest);
  std::copy(std::begin(kGuest), std::end(kGuest), v.ram->w);
  const int a = v.vcpu(0);
  constexpr uint64_t kOff = 0x7fffffffffffffff;
  BOOST_REQUIRE_EQUAL(v.offset(0), 0);
  const uint64_t before = v.get(a, KVM_REG_ARM_TIMER_CNT);
  BOOST_REQUIRE_EQUAL(v.offset(kOff), 0);
  BOOST_REQUIRE_EQUAL(v.dev.ioctl(a, KVM_RUN, 0), 0);
  const uint64_t cntvct = v.get(a, kRegX0), cntpct = v.get(a, kRegX1);
  // A few instructions ran between the reads: the counts moved forward by little.
  BOOST_CHECK_LT(cntvct + kOff - before, 1000u);
  BOOST_CHECK_LE(cntvct, cntpct);
  BOOST_CHECK_LT(cntpct - cntvct, 1000u);
  BOOST_CHECK_GE(cntvct, uint64_t{1} << 63);  // wrapped below zero
}

BOOST_AUTO_TEST_CASE(busy_while_a_vcpu_runs) {
  // lock_all_vcpus() only tries each vCPU's mutex: a vCPU inside KVM_RUN makes the call
  // -EBUSY and leaves the offset alone; once KVM_RUN returned it works again.
  Vm v(kvm_model::vpmu::Era::kNewest);
  v.ram->w[0] = kSpin;
  const int a = v.vcpu(0);
  BOOST_REQUIRE_EQUAL(v.offset(100), 0);
  std::atomic<long> run_rc{1};
  std::thread runner([&] { run_rc = v.dev.ioctl(a, KVM_RUN, 0); });
  // Until the runner is inside KVM_RUN the calls succeed (the offset is then 200).
  long rc = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while ((rc = v.offset(200)) == 0 && run_rc == 1 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  BOOST_CHECK_EQUAL(rc, -EBUSY);
  BOOST_CHECK_EQUAL(v.offset(999), -EBUSY);  // the guest spins until told to stop
  v.dev.vcpu_of(a)->request_immediate_exit();
  runner.join();
  // The refused calls applied nothing: the offset is 100 or 200, not 999. With the clock
  // standing still again, setting 999 moves the count back by 999 minus the old offset.
  const uint64_t before = v.get(a, KVM_REG_ARM_TIMER_CNT);
  BOOST_REQUIRE_EQUAL(v.offset(999), 0);
  const uint64_t moved = before - v.get(a, KVM_REG_ARM_TIMER_CNT);
  BOOST_CHECK_MESSAGE(moved == 999 - 100 || moved == 999 - 200, "the count moved by " << moved);
}

BOOST_AUTO_TEST_SUITE_END()
