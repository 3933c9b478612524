// A VM for the /dev/kvm ABI tests: RAM in slot 0 holding a guest that makes four MMIO
// writes, one vCPU, optionally a vGICv3, and this process's eventfds. Shared by the
// eventfd, statistics and coalesced MMIO tests; the dirty-log tests use its vCPU set-up.
#pragma once

#include <boost/test/unit_test.hpp>

#include "kvm_model/abi/abi.h"
#include "pmuemu/kvm.h"

#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "cpu/arch/sysreg_key.h"
#include "kvm_model/vgic/gicv3_fields.h"
#include "kvm_model/vgic/vgic.h"
#include "tests/support/two_cluster_host.h"

namespace kvm_abi_test {

inline unsigned long ptr(const void* p) { return reinterpret_cast<unsigned long>(p); }

constexpr uint64_t kRamGpa = 0x40000000, kMmio = 0x9000000;

// KVM_ARM_VCPU_INIT with the preferred target, then the vCPU's kvm_run and ring pages mapped.
inline kvm_run* init_and_map_vcpu(kvm_model::abi::Dev& dev, int vm, int vcpu) {
  kvm_vcpu_init init{};
  BOOST_REQUIRE_EQUAL(dev.ioctl(vm, KVM_ARM_PREFERRED_TARGET, ptr(&init)), 0);
  BOOST_REQUIRE_EQUAL(dev.ioctl(vcpu, KVM_ARM_VCPU_INIT, ptr(&init)), 0);
  int err = 0;
  void* p = dev.mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0, &err);
  BOOST_REQUIRE(p != MAP_FAILED);
  return static_cast<kvm_run*>(p);
}
constexpr uint64_t kGicd = 0x8000000, kGicr = 0x80a0000;

// The guest (MMU off): four MMIO writes, then a loop. Assembled with aarch64-linux-gnu-as.
constexpr uint32_t kGuest[] = {
    0xd2a12002,  // mov  x2, #0x9000000
    0x52800020,  // mov  w0, #1
    0xb9000040,  // str  w0, [x2]         4 bytes of 1 at kMmio
    0x52800040,  // mov  w0, #2
    0xb9000040,  // str  w0, [x2]         4 bytes of 2 at kMmio
    0x39002040,  // strb w0, [x2, #8]     1 byte at kMmio + 8
    0xf9000840,  // str  x0, [x2, #16]    8 bytes at kMmio + 16
    0x14000000,  // b    .
};

struct alignas(4096) Ram {
  uint8_t b[16 * 4096];
};

// An eventfd of this process, closed at the end of the test.
struct Efd {
  int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  Efd() { BOOST_REQUIRE_GE(fd, 0); }
  ~Efd() { close(fd); }
  // The count, emptied (0 when nothing was written).
  uint64_t take() const {
    uint64_t v = 0;
    return read(fd, &v, sizeof v) == sizeof v ? v : 0;
  }
  void write1() const {
    const uint64_t one = 1;
    BOOST_REQUIRE_EQUAL(write(fd, &one, sizeof one), 8);
  }
};

struct Vm {
  kvm_model::abi::Dev dev;
  std::unique_ptr<Ram> ram = std::make_unique<Ram>();
  int kvm = -1, vm = -1, vcpu = -1, gic = -1;
  kvm_run* run = nullptr;
  Vm() : dev([] {
           kvm_model::abi::Options o;
           o.host = test_support::two_cluster_host(6, 6);
           return o;
         }()) {
    std::memset(ram->b, 0, sizeof ram->b);
    std::memcpy(ram->b, kGuest, sizeof kGuest);
    kvm = dev.open_dev();
    BOOST_REQUIRE_GE(kvm, 0);
    vm = static_cast<int>(dev.ioctl(kvm, KVM_CREATE_VM, 0));
    BOOST_REQUIRE_GE(vm, 0);
    kvm_userspace_memory_region m{};
    m.guest_phys_addr = kRamGpa;
    m.memory_size = sizeof ram->b;
    m.userspace_addr = ptr(ram->b);
    BOOST_REQUIRE_EQUAL(dev.ioctl(vm, KVM_SET_USER_MEMORY_REGION, ptr(&m)), 0);
    vcpu = static_cast<int>(dev.ioctl(vm, KVM_CREATE_VCPU, 0));
    BOOST_REQUIRE_GE(vcpu, 0);
  }
  ~Vm() {
    if (run != nullptr) munmap(run, 8192);
  }
  void init_vcpu() {
    run = init_and_map_vcpu(dev, vm, vcpu);
    uint64_t pc = kRamGpa;  // regs.pc: core register 32, in 32-bit words
    const kvm_one_reg r{KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | (2 * 32), ptr(&pc)};
    BOOST_REQUIRE_EQUAL(dev.ioctl(vcpu, KVM_SET_ONE_REG, ptr(&r)), 0);
  }
  long gic_attr(unsigned long req, uint32_t group, uint64_t attr, void* v) {
    kvm_device_attr a{};
    a.group = group;
    a.attr = attr;
    a.addr = ptr(v);
    return dev.ioctl(gic, req, ptr(&a));
  }
  // A vGICv3 with its addresses set, not initialised.
  void make_gic() {
    kvm_create_device cd{};
    cd.type = KVM_DEV_TYPE_ARM_VGIC_V3;
    BOOST_REQUIRE_EQUAL(dev.ioctl(vm, KVM_CREATE_DEVICE, ptr(&cd)), 0);
    gic = static_cast<int>(cd.fd);
    uint64_t d = kGicd, r = kGicr;
    BOOST_REQUIRE_EQUAL(gic_attr(KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &d), 0);
    BOOST_REQUIRE_EQUAL(gic_attr(KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &r), 0);
  }
  // Initialised, with SPIs 32-63 edge-triggered (GICD_ICFGR2-3), so that a raised line
  // leaves them pending.
  void init_gic() {
    BOOST_REQUIRE_EQUAL(gic_attr(KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, nullptr), 0);
    for (uint64_t icfgr : {0xc08, 0xc0c}) {
      uint32_t edge = 0xaaaaaaaa;
      BOOST_REQUIRE_EQUAL(gic_attr(KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, icfgr, &edge), 0);
    }
  }
  // GICD_ISPENDR's bit for `intid`, through the distributor's save/restore group.
  bool spi_pending(unsigned intid) {
    uint32_t v = 0;
    BOOST_REQUIRE_EQUAL(gic_attr(KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x200 + 4 * (intid / 32), &v), 0);
    return (v >> (intid % 32)) & 1;
  }
  // SPIs 32-63 not pending: a user write of GICD_ISPENDR1 is the pending state itself.
  void clear_pending() {
    uint32_t none = 0;
    BOOST_REQUIRE_EQUAL(gic_attr(KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x204, &none), 0);
  }
  long ioeventfd(uint64_t addr, uint32_t len, int fd, uint32_t flags, uint64_t datamatch = 0) {
    kvm_ioeventfd e{};
    e.addr = addr;
    e.len = len;
    e.fd = fd;
    e.flags = flags;
    e.datamatch = datamatch;
    return dev.ioctl(vm, KVM_IOEVENTFD, ptr(&e));
  }
  long irqfd(int fd, uint32_t gsi, uint32_t flags = 0, int resamplefd = 0) {
    kvm_irqfd f{};
    f.fd = static_cast<uint32_t>(fd);
    f.gsi = gsi;
    f.flags = flags;
    f.resamplefd = static_cast<uint32_t>(resamplefd);
    return dev.ioctl(vm, KVM_IRQFD, ptr(&f));
  }
  long routing(const std::vector<kvm_irq_routing_entry>& entries, uint32_t flags = 0, uint32_t nr = ~0u) {
    std::vector<uint8_t> buf(sizeof(kvm_irq_routing) + entries.size() * sizeof(kvm_irq_routing_entry));
    auto* r = reinterpret_cast<kvm_irq_routing*>(buf.data());
    r->nr = nr != ~0u ? nr : static_cast<uint32_t>(entries.size());
    r->flags = flags;
    if (!entries.empty()) std::memcpy(r->entries, entries.data(), entries.size() * sizeof(kvm_irq_routing_entry));
    return dev.ioctl(vm, KVM_SET_GSI_ROUTING, ptr(buf.data()));
  }
  // KVM_RUN to the next exit, which must be an MMIO write: its address, length and value.
  void expect_write(uint64_t addr, uint32_t len, uint64_t value) {
    BOOST_REQUIRE_EQUAL(dev.ioctl(vcpu, KVM_RUN, 0), 0);
    BOOST_REQUIRE_EQUAL(run->exit_reason, KVM_EXIT_MMIO);
    BOOST_CHECK(run->mmio.is_write);
    BOOST_CHECK_EQUAL(run->mmio.phys_addr, addr);
    BOOST_CHECK_EQUAL(run->mmio.len, len);
    uint64_t v = 0;
    std::memcpy(&v, run->mmio.data, len);
    BOOST_CHECK_EQUAL(v, value);
  }
};


}  // namespace kvm_abi_test
