// The vGICv3 save/restore groups and the ITS device through the /dev/kvm file-descriptor ABI
// (kvm_model/abi): the attribute encoding (MPIDR in attr[63:32]), payload sizes and Linux
// 6.12's errnos in its order (vgic_v3_attr_regs_access, vgic_its_set_attr).
#include <boost/test/unit_test.hpp>

#include "kvm_model/abi/abi.h"
#include "pmuemu/kvm.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "tests/support/two_cluster_host.h"

namespace {

unsigned long ptr(const void* p) { return reinterpret_cast<unsigned long>(p); }
// A pointer the ABI's checked copies refuse (the first page).
constexpr uint64_t kBadAddr = 0x10;

constexpr uint64_t icc(unsigned op0, unsigned op1, unsigned crn, unsigned crm, unsigned op2) {
  return (uint64_t{op0} << 14) | (uint64_t{op1} << 11) | (uint64_t{crn} << 7) | (uint64_t{crm} << 3) | op2;
}
constexpr uint64_t kIccPmr = icc(3, 0, 4, 6, 0), kIccIar1 = icc(3, 0, 12, 12, 0), kIccCtlr = icc(3, 0, 12, 12, 4);
constexpr uint64_t reg_attr(uint64_t mpidr, uint64_t off) { return (mpidr << 32) | off; }

struct Abi {
  kvm_model::abi::Dev dev;
  int kvm = -1, vm = -1, gic = -1;
  Abi() : dev([] {
            kvm_model::abi::Options o;
            o.host = test_support::two_cluster_host(6, 6);
            return o;
          }()) {
    kvm = static_cast<int>(dev.open_dev());
    BOOST_REQUIRE_GE(kvm, 0);
    vm = static_cast<int>(dev.ioctl(kvm, KVM_CREATE_VM, 0));
    BOOST_REQUIRE_GE(vm, 0);
  }
  int vcpu(unsigned id) {
    const long fd = dev.ioctl(vm, KVM_CREATE_VCPU, id);
    BOOST_REQUIRE_GE(fd, 0);
    return static_cast<int>(fd);
  }
  int device(uint32_t type) {
    kvm_create_device cd{};
    cd.type = type;
    BOOST_REQUIRE_EQUAL(dev.ioctl(vm, KVM_CREATE_DEVICE, ptr(&cd)), 0);
    return static_cast<int>(cd.fd);
  }
  long attr(int fd, unsigned long req, uint32_t group, uint64_t a, uint64_t addr) {
    kvm_device_attr at{};
    at.group = group;
    at.attr = a;
    at.addr = addr;
    return dev.ioctl(fd, req, ptr(&at));
  }
  long get32(uint32_t group, uint64_t a, uint32_t& v) { return attr(gic, KVM_GET_DEVICE_ATTR, group, a, ptr(&v)); }
  long set32(uint32_t group, uint64_t a, uint32_t v) { return attr(gic, KVM_SET_DEVICE_ATTR, group, a, ptr(&v)); }
  long get64(uint32_t group, uint64_t a, uint64_t& v) { return attr(gic, KVM_GET_DEVICE_ATTR, group, a, ptr(&v)); }
  long set64(uint32_t group, uint64_t a, uint64_t v) { return attr(gic, KVM_SET_DEVICE_ATTR, group, a, ptr(&v)); }
  long has(uint32_t group, uint64_t a) { return attr(gic, KVM_HAS_DEVICE_ATTR, group, a, 0); }
  void init() {
    BOOST_REQUIRE_EQUAL(attr(gic, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, 0), 0);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(vgic_attr_abi)

BOOST_AUTO_TEST_CASE(errnos_in_linux_order) {
  Abi a;
  a.vcpu(0);
  a.gic = a.device(KVM_DEV_TYPE_ARM_VGIC_V3);
  a.vcpu(3);
  uint32_t v = 0;
  // No vCPU with that MPIDR: -EINVAL, before anything else (even a bad address).
  BOOST_CHECK_EQUAL(a.get32(KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, reg_attr(1, 0x8), v), -EINVAL);
  BOOST_CHECK_EQUAL(a.attr(a.gic, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, reg_attr(1, 0x8), kBadAddr),
                    -EINVAL);
  BOOST_CHECK_EQUAL(a.has(KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, reg_attr(1, kIccPmr)), -EINVAL);
  // Then the value to write, then the vGIC initialised.
  BOOST_CHECK_EQUAL(a.attr(a.gic, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, reg_attr(3, 0x14), kBadAddr),
                    -EFAULT);
  BOOST_CHECK_EQUAL(a.get32(KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, reg_attr(3, 0x8), v), -EBUSY);
  BOOST_CHECK_EQUAL(a.get32(KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x0, v), -EBUSY);
  // CPU_SYSREGS reads its value after the initialisation check.
  BOOST_CHECK_EQUAL(a.attr(a.gic, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, reg_attr(3, kIccPmr), kBadAddr),
                    -EBUSY);
  // KVM_HAS_DEVICE_ATTR answers before CTRL_INIT from the tables.
  BOOST_CHECK_EQUAL(a.has(KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, reg_attr(3, 0x8)), 0);
  BOOST_CHECK_EQUAL(a.has(KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, reg_attr(3, 0x9)), -ENXIO);
  BOOST_CHECK_EQUAL(a.has(KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x104), -ENXIO);  // no SPIs configured yet
  BOOST_CHECK_EQUAL(a.has(KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, reg_attr(3, kIccPmr)), 0);
  BOOST_CHECK_EQUAL(a.has(KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, reg_attr(3, kIccIar1)), -ENXIO);
  BOOST_CHECK_EQUAL(a.has(KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, 0), 0);
  BOOST_CHECK_EQUAL(a.has(KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, 1ull << 10), -ENXIO);
  a.init();
  BOOST_CHECK_EQUAL(a.has(KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x104), 0);
  BOOST_CHECK_EQUAL(a.get32(KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, reg_attr(3, 0x8), v), 0);
  BOOST_CHECK_EQUAL(v, 0x300u);  // no redistributor region yet: no Last
  BOOST_CHECK_EQUAL(a.get32(KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, reg_attr(3, 0xC), v), 0);
  BOOST_CHECK_EQUAL(v, 3u);      // Affinity_Value: Aff0 = 3
  BOOST_CHECK_EQUAL(a.attr(a.gic, KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, reg_attr(3, 0x8), kBadAddr),
                    -EFAULT);
  BOOST_CHECK_EQUAL(a.attr(a.gic, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, reg_attr(3, kIccPmr), kBadAddr),
                    -EFAULT);
  uint64_t x = 0;
  BOOST_CHECK_EQUAL(a.get64(KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, reg_attr(3, kIccIar1), x), -ENOENT);
  BOOST_CHECK_EQUAL(a.set64(KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, reg_attr(3, kIccCtlr), uint64_t{7} << 8), -EINVAL);
  BOOST_CHECK_EQUAL(a.get32(KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, reg_attr(3, 16), v), -EINVAL);
  BOOST_CHECK_EQUAL(a.get32(KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, reg_attr(3, (1ull << 10) | 0), v), -EINVAL);
  BOOST_CHECK_EQUAL(a.set32(KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x8, 0), -EINVAL);  // GICD_IIDR of another GIC
}

BOOST_AUTO_TEST_CASE(values_travel_with_their_sizes) {
  Abi a;
  a.vcpu(0);
  a.vcpu(1);
  a.gic = a.device(KVM_DEV_TYPE_ARM_VGIC_V3);
  a.init();
  // CPU_SYSREGS moves a u64: the word after a u32 is written too.
  uint64_t pmr[2] = {0, 0x1122334455667788ull};
  BOOST_CHECK_EQUAL(a.set64(KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, reg_attr(1, kIccPmr), 0xA8), 0);
  pmr[0] = ~0ull;
  BOOST_CHECK_EQUAL(a.attr(a.gic, KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, reg_attr(1, kIccPmr), ptr(pmr)),
                    0);
  BOOST_CHECK_EQUAL(pmr[0], 0xA8u);
  BOOST_CHECK_EQUAL(pmr[1], 0x1122334455667788ull);
  uint64_t other = 1;
  BOOST_CHECK_EQUAL(a.get64(KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, reg_attr(0, kIccPmr), other), 0);
  BOOST_CHECK_EQUAL(other, 0u);
  // The register groups move a u32: the next u32 is untouched.
  uint32_t w[2] = {0, 0xcafef00d};
  BOOST_CHECK_EQUAL(a.set32(KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x0, 2), 0);  // GICD_CTLR.EnableGrp1
  BOOST_CHECK_EQUAL(a.attr(a.gic, KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x0, ptr(w)), 0);
  BOOST_CHECK_EQUAL(w[0], 0x52u);  // EnableGrp1 | ARE | DS
  BOOST_CHECK_EQUAL(w[1], 0xcafef00du);
  // LEVEL_INFO: a PPI line of vCPU 1 through KVM_IRQ_LINE, read back by MPIDR.
  kvm_irq_level il{};
  il.irq = (KVM_ARM_IRQ_TYPE_PPI << KVM_ARM_IRQ_TYPE_SHIFT) | (1u << KVM_ARM_IRQ_VCPU_SHIFT) | 20;
  il.level = 1;
  BOOST_REQUIRE_EQUAL(a.dev.ioctl(a.vm, KVM_IRQ_LINE, ptr(&il)), 0);
  uint32_t lv = 0;
  BOOST_CHECK_EQUAL(a.get32(KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, reg_attr(1, 0), lv), 0);
  BOOST_CHECK_EQUAL(lv, 1u << 20);
  BOOST_CHECK_EQUAL(a.get32(KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, reg_attr(0, 0), lv), 0);
  BOOST_CHECK_EQUAL(lv, 0u);
  // A register KVM's tables do not have reads 0 and succeeds.
  uint32_t r = 7;
  BOOST_CHECK_EQUAL(a.get32(KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x0E00, r), 0);
  BOOST_CHECK_EQUAL(r, 0u);
  BOOST_CHECK_EQUAL(a.has(KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x0E00), -ENXIO);
}

BOOST_AUTO_TEST_CASE(busy_while_a_vcpu_runs) {
  // lock_all_vcpus(): while a vCPU is inside KVM_RUN the register groups answer -EBUSY, after
  // it returns they work again.
  Abi a;
  struct alignas(4096) Ram {
    uint32_t w[0x10000 / 4];
  };
  const auto ram = std::make_unique<Ram>();
  ram->w[0] = 0x14000000;  // b .
  kvm_userspace_memory_region m{0, 0, 0x40000000, sizeof(Ram), ptr(ram->w)};
  BOOST_REQUIRE_EQUAL(a.dev.ioctl(a.vm, KVM_SET_USER_MEMORY_REGION, ptr(&m)), 0);
  const int vcpu = a.vcpu(0);
  kvm_vcpu_init init{};
  BOOST_REQUIRE_EQUAL(a.dev.ioctl(a.vm, KVM_ARM_PREFERRED_TARGET, ptr(&init)), 0);
  BOOST_REQUIRE_EQUAL(a.dev.ioctl(vcpu, KVM_ARM_VCPU_INIT, ptr(&init)), 0);
  uint64_t pc = 0x40000000;
  const kvm_one_reg r{KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | (2 * 32), ptr(&pc)};
  BOOST_REQUIRE_EQUAL(a.dev.ioctl(vcpu, KVM_SET_ONE_REG, ptr(&r)), 0);
  a.gic = a.device(KVM_DEV_TYPE_ARM_VGIC_V3);
  uint64_t dist = 0x08000000, redist = 0x080A0000;
  BOOST_REQUIRE_EQUAL(a.attr(a.gic, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, ptr(&dist)), 0);
  BOOST_REQUIRE_EQUAL(a.attr(a.gic, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, ptr(&redist)), 0);
  a.init();
  std::atomic<long> run_rc{1};
  std::thread runner([&] { run_rc = a.dev.ioctl(vcpu, KVM_RUN, 0); });
  uint32_t v = 0;
  long rc = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while ((rc = a.get32(KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x0, v)) == 0 && run_rc == 1 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  BOOST_CHECK_EQUAL(rc, -EBUSY);
  BOOST_CHECK_EQUAL(a.set32(KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x0, 2), -EBUSY);
  BOOST_CHECK_EQUAL(a.get32(KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, reg_attr(0, 0x8), v), -EBUSY);
  // A signal to the vCPU thread ends KVM_RUN; then the groups work again.
  a.dev.vcpu_of(vcpu)->request_immediate_exit();
  runner.join();
  BOOST_CHECK_EQUAL(a.get32(KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x0, v), 0);
  BOOST_CHECK_EQUAL(v, 0x50u);  // ARE | DS
}

BOOST_AUTO_TEST_CASE(its_device_address_and_controls) {
  Abi a;
  a.vcpu(0);
  a.gic = a.device(KVM_DEV_TYPE_ARM_VGIC_V3);
  kvm_create_device test{};
  test.type = KVM_DEV_TYPE_ARM_VGIC_ITS;
  test.flags = KVM_CREATE_DEVICE_TEST;
  BOOST_CHECK_EQUAL(a.dev.ioctl(a.vm, KVM_CREATE_DEVICE, ptr(&test)), 0);
  const int its = a.device(KVM_DEV_TYPE_ARM_VGIC_ITS);
  BOOST_CHECK(its != a.gic);
  uint64_t addr = 0x401000;
  BOOST_CHECK_EQUAL(a.attr(its, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, ptr(&addr)), -EINVAL);
  addr = uint64_t{1} << 40;  // the default 40-bit IPA space
  BOOST_CHECK_EQUAL(a.attr(its, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, ptr(&addr)), -E2BIG);
  addr -= 0x10000;  // half the frame beyond the end
  BOOST_CHECK_EQUAL(a.attr(its, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, ptr(&addr)), -E2BIG);
  BOOST_CHECK_EQUAL(a.attr(its, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR, 3, ptr(&addr)), -ENODEV);
  BOOST_CHECK_EQUAL(a.attr(its, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, kBadAddr), -EFAULT);
  uint64_t got = 0;
  BOOST_CHECK_EQUAL(a.attr(its, KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, ptr(&got)), 0);
  BOOST_CHECK_EQUAL(got, ~uint64_t{0});  // not set yet
  addr = 0x400000;
  BOOST_CHECK_EQUAL(a.attr(its, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, ptr(&addr)), 0);
  addr = 0x300000;
  BOOST_CHECK_EQUAL(a.attr(its, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, ptr(&addr)), -EEXIST);
  BOOST_CHECK_EQUAL(a.attr(its, KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, ptr(&got)), 0);
  BOOST_CHECK_EQUAL(got, 0x400000u);
  BOOST_CHECK_EQUAL(a.attr(its, KVM_HAS_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, 0), 0);
  BOOST_CHECK_EQUAL(a.attr(its, KVM_HAS_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_SAVE_TABLES, 0), 0);
  // GRP_ITS_REGS: a register at an offset aligned for its width (vgic_its_has_attr_regs).
  BOOST_CHECK_EQUAL(a.attr(its, KVM_HAS_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0x0, 0), 0);
  BOOST_CHECK_EQUAL(a.attr(its, KVM_HAS_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0x88, 0), 0);
  BOOST_CHECK_EQUAL(a.attr(its, KVM_HAS_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0x8c, 0), -EINVAL);
  BOOST_CHECK_EQUAL(a.attr(its, KVM_HAS_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0x40, 0), -ENXIO);
  BOOST_CHECK_EQUAL(a.attr(its, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, 0), 0);
  BOOST_CHECK_EQUAL(a.attr(its, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_CTRL_RESET, 0), 0);
  // vgic_its_ctrl() has no default case: an unknown control does nothing and succeeds.
  BOOST_CHECK_EQUAL(a.attr(its, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_CTRL, 9, 0), 0);
  BOOST_CHECK_EQUAL(a.dev.ioctl(its, KVM_RUN, 0), -ENOTTY);
  // The vGICv3 fd is not the ITS's: its GRP_ADDR has no ITS address type.
  BOOST_CHECK_EQUAL(a.has(KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE), -ENXIO);
}

BOOST_AUTO_TEST_CASE(its_registers_through_the_device_fd) {
  Abi a;
  a.vcpu(0);
  a.gic = a.device(KVM_DEV_TYPE_ARM_VGIC_V3);
  const int its = a.device(KVM_DEV_TYPE_ARM_VGIC_ITS);
  uint64_t v = 0;
  // Before the frame has an address: -ENXIO.
  BOOST_CHECK_EQUAL(a.attr(its, KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0x8, ptr(&v)), -ENXIO);
  uint64_t addr = 0x8080000;
  BOOST_REQUIRE_EQUAL(a.attr(its, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, ptr(&addr)), 0);
  BOOST_CHECK_EQUAL(a.attr(its, KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0x8, ptr(&v)), 0);
  BOOST_CHECK_EQUAL(v, 0x1ull | (7u << 4) | (15u << 8) | (15u << 13));  // GITS_TYPER, a u64
  BOOST_CHECK_EQUAL(a.attr(its, KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0xc, ptr(&v)), -EINVAL);
  // The value is read before anything else is checked.
  BOOST_CHECK_EQUAL(a.attr(its, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0xc, kBadAddr), -EFAULT);
  v = uint64_t{1} << 12;  // GITS_IIDR revision 1: no such table ABI
  BOOST_CHECK_EQUAL(a.attr(its, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0x4, ptr(&v)), -EINVAL);
  v = 0x10000;  // GITS_CREADR beyond the (4 KiB) queue
  BOOST_CHECK_EQUAL(a.attr(its, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0x90, ptr(&v)), -EINVAL);
  v = 0x0000000040000000ull | (uint64_t{1} << 63) | 1;  // GITS_CBASER: 8 KiB queue
  BOOST_CHECK_EQUAL(a.attr(its, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0x80, ptr(&v)), 0);
  v = 0x1020;
  BOOST_CHECK_EQUAL(a.attr(its, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0x90, ptr(&v)), 0);
  BOOST_CHECK_EQUAL(a.attr(its, KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0x90, ptr(&v)), 0);
  BOOST_CHECK_EQUAL(v, 0x1020u);
  // An ITS makes the vGIC report LPIs to the VMM too.
  a.init();
  uint32_t typer = 0;
  BOOST_CHECK_EQUAL(a.get32(KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x4, typer), 0);
  BOOST_CHECK_EQUAL(typer & (1u << 17), 1u << 17);
}

BOOST_AUTO_TEST_CASE(signal_msi_errnos_in_linux_order) {
  Abi a;
  BOOST_CHECK_EQUAL(a.dev.ioctl(a.vm, KVM_CHECK_EXTENSION, KVM_CAP_SIGNAL_MSI), 1);
  BOOST_CHECK_EQUAL(a.dev.ioctl(a.kvm, KVM_CHECK_EXTENSION, KVM_CAP_MSI_DEVID), -EINVAL);
  BOOST_CHECK_EQUAL(a.dev.ioctl(a.vm, KVM_CHECK_EXTENSION, KVM_CAP_MSI_DEVID), 0);
  kvm_msi msi{};
  msi.address_lo = 0x8080000 + 0x10040;  // GITS_TRANSLATER
  msi.flags = KVM_MSI_VALID_DEVID;
  msi.devid = 1;
  BOOST_CHECK_EQUAL(a.dev.ioctl(a.vm, KVM_SIGNAL_MSI, kBadAddr), -EFAULT);
  BOOST_CHECK_EQUAL(a.dev.ioctl(a.vm, KVM_SIGNAL_MSI, ptr(&msi)), -EINVAL);  // no in-kernel irqchip
  a.vcpu(0);
  a.gic = a.device(KVM_DEV_TYPE_ARM_VGIC_V3);
  BOOST_CHECK_EQUAL(a.dev.ioctl(a.vm, KVM_SIGNAL_MSI, ptr(&msi)), -ENODEV);  // no ITS
  const int its = a.device(KVM_DEV_TYPE_ARM_VGIC_ITS);
  BOOST_CHECK_EQUAL(a.dev.ioctl(a.vm, KVM_CHECK_EXTENSION, KVM_CAP_MSI_DEVID), 1);
  BOOST_CHECK_EQUAL(a.dev.ioctl(a.vm, KVM_SIGNAL_MSI, ptr(&msi)), -EINVAL);  // no ITS at the doorbell
  uint64_t addr = 0x8080000;
  BOOST_REQUIRE_EQUAL(a.attr(its, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, ptr(&addr)), 0);
  a.init();
  BOOST_CHECK_EQUAL(a.dev.ioctl(a.vm, KVM_SIGNAL_MSI, ptr(&msi)), -EBUSY);  // the ITS is disabled
  msi.flags = 2;
  BOOST_CHECK_EQUAL(a.dev.ioctl(a.vm, KVM_SIGNAL_MSI, ptr(&msi)), -EINVAL);  // unknown flag
  msi.flags = 0;
  BOOST_CHECK_EQUAL(a.dev.ioctl(a.vm, KVM_SIGNAL_MSI, ptr(&msi)), -EINVAL);  // no DeviceID
  msi.flags = KVM_MSI_VALID_DEVID;
  msi.address_lo = 0x8000000;
  BOOST_CHECK_EQUAL(a.dev.ioctl(a.vm, KVM_SIGNAL_MSI, ptr(&msi)), -EINVAL);  // not the ITS's region
}

BOOST_AUTO_TEST_SUITE_END()
