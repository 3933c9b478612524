// KVM_IOEVENTFD, KVM_IRQFD and KVM_SET_GSI_ROUTING through the /dev/kvm ABI with this
// process's own eventfd(2)s, as Linux 6.12 has them on arm64 (virt/kvm/eventfd.c,
// virt/kvm/irqchip.c, arch/arm64/kvm/vgic/vgic-irqfd.c): which guest writes an ioeventfd
// takes instead of an MMIO exit, the collision and deassignment rules, irqfd injection
// through the default and a VMM's routing table, and every errno in Linux's order.
#include <boost/test/unit_test.hpp>

#include "kvm_model/abi/abi.h"
#include "pmuemu/kvm.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "tests/support/two_cluster_host.h"

namespace {

unsigned long ptr(const void* p) { return reinterpret_cast<unsigned long>(p); }

constexpr uint64_t kRamGpa = 0x40000000, kMmio = 0x9000000;
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
    kvm_vcpu_init init{};
    BOOST_REQUIRE_EQUAL(dev.ioctl(vm, KVM_ARM_PREFERRED_TARGET, ptr(&init)), 0);
    BOOST_REQUIRE_EQUAL(dev.ioctl(vcpu, KVM_ARM_VCPU_INIT, ptr(&init)), 0);
    int err = 0;
    void* p = dev.mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0, &err);
    BOOST_REQUIRE(p != MAP_FAILED);
    run = static_cast<kvm_run*>(p);
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
  long irqfd(int fd, uint32_t gsi, uint32_t flags = 0) {
    kvm_irqfd f{};
    f.fd = static_cast<uint32_t>(fd);
    f.gsi = gsi;
    f.flags = flags;
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

kvm_irq_routing_entry irqchip_route(uint32_t gsi, uint32_t pin, uint32_t chip = 0) {
  kvm_irq_routing_entry e{};
  e.gsi = gsi;
  e.type = KVM_IRQ_ROUTING_IRQCHIP;
  e.u.irqchip.irqchip = chip;
  e.u.irqchip.pin = pin;
  return e;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(eventfds)

BOOST_AUTO_TEST_CASE(capabilities) {
  Vm v;
  BOOST_CHECK_EQUAL(v.dev.ioctl(v.vm, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD), 1);
  BOOST_CHECK_EQUAL(v.dev.ioctl(v.vm, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD_ANY_LENGTH), 1);
  BOOST_CHECK_EQUAL(v.dev.ioctl(v.vm, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD), 1);
  BOOST_CHECK_EQUAL(v.dev.ioctl(v.vm, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING), 4096);
  BOOST_CHECK_EQUAL(v.dev.ioctl(v.vm, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD_RESAMPLE), 0);  // not modelled
}

// A matching write signals the eventfd and the guest runs on to the next write nobody takes.
BOOST_AUTO_TEST_CASE(ioeventfd_takes_matching_writes) {
  Vm v;
  v.init_vcpu();
  Efd one, any, pio;
  BOOST_REQUIRE_EQUAL(v.ioeventfd(kMmio, 4, one.fd, KVM_IOEVENTFD_FLAG_DATAMATCH, 1), 0);
  BOOST_REQUIRE_EQUAL(v.ioeventfd(kMmio + 8, 0, any.fd, 0), 0);
  // The same address on the PIO bus: accepted, never written by an arm64 guest.
  BOOST_REQUIRE_EQUAL(v.ioeventfd(kMmio + 16, 8, pio.fd, KVM_IOEVENTFD_FLAG_PIO), 0);
  v.expect_write(kMmio, 4, 2);  // the value 1 went to `one`; 2 does not match
  BOOST_CHECK_EQUAL(one.take(), 1u);
  BOOST_CHECK_EQUAL(any.take(), 0u);
  v.expect_write(kMmio + 16, 8, 2);  // the byte at +8 went to `any` (length 0: any write)
  BOOST_CHECK_EQUAL(any.take(), 1u);
  BOOST_CHECK_EQUAL(pio.take(), 0u);
}

// A wildcard registration of the right length takes every value; another length exits.
BOOST_AUTO_TEST_CASE(ioeventfd_length_must_match) {
  Vm v;
  v.init_vcpu();
  Efd four, two;
  BOOST_REQUIRE_EQUAL(v.ioeventfd(kMmio, 4, four.fd, 0), 0);
  BOOST_REQUIRE_EQUAL(v.ioeventfd(kMmio + 8, 2, two.fd, 0), 0);
  v.expect_write(kMmio + 8, 1, 2);  // both 4-byte writes taken; the 1-byte one exits
  BOOST_CHECK_EQUAL(four.take(), 2u);
  BOOST_CHECK_EQUAL(two.take(), 0u);
}

BOOST_AUTO_TEST_CASE(ioeventfd_errnos) {
  Vm v;
  Efd e, other;
  int pipefd[2];
  BOOST_REQUIRE_EQUAL(pipe(pipefd), 0);
  // kvm_assign_ioeventfd(): size, wrap-around, flags, DATAMATCH without size, then the fd.
  BOOST_CHECK_EQUAL(v.ioeventfd(kMmio, 3, e.fd, 0), -EINVAL);
  BOOST_CHECK_EQUAL(v.ioeventfd(~uint64_t{0} - 1, 4, e.fd, 0), -EINVAL);
  BOOST_CHECK_EQUAL(v.ioeventfd(kMmio, 4, e.fd, 1u << 5), -EINVAL);
  BOOST_CHECK_EQUAL(v.ioeventfd(kMmio, 0, e.fd, KVM_IOEVENTFD_FLAG_DATAMATCH, 1), -EINVAL);
  BOOST_CHECK_EQUAL(v.ioeventfd(kMmio, 3, -1, 0), -EINVAL);  // the size is checked first
  BOOST_CHECK_EQUAL(v.ioeventfd(kMmio, 4, -1, 0), -EBADF);
  BOOST_CHECK_EQUAL(v.ioeventfd(kMmio, 4, pipefd[0], 0), -EINVAL);  // not an eventfd
  // ioeventfd_check_collision().
  BOOST_REQUIRE_EQUAL(v.ioeventfd(kMmio, 4, e.fd, KVM_IOEVENTFD_FLAG_DATAMATCH, 1), 0);
  BOOST_CHECK_EQUAL(v.ioeventfd(kMmio, 4, other.fd, KVM_IOEVENTFD_FLAG_DATAMATCH, 1), -EEXIST);
  BOOST_CHECK_EQUAL(v.ioeventfd(kMmio, 4, other.fd, 0), -EEXIST);  // a wildcard covers 1
  BOOST_CHECK_EQUAL(v.ioeventfd(kMmio, 0, other.fd, 0), -EEXIST);  // any length covers 4
  BOOST_CHECK_EQUAL(v.ioeventfd(kMmio, 4, other.fd, KVM_IOEVENTFD_FLAG_DATAMATCH, 2), 0);
  BOOST_CHECK_EQUAL(v.ioeventfd(kMmio, 8, other.fd, 0), 0);  // another length
  BOOST_CHECK_EQUAL(v.ioeventfd(kMmio, 4, other.fd, KVM_IOEVENTFD_FLAG_PIO), 0);  // another bus
  // kvm_deassign_ioeventfd_idx(): the same eventfd (any fd naming it), bus, address,
  // length, kind of match and data.
  BOOST_CHECK_EQUAL(v.ioeventfd(kMmio, 4, e.fd, KVM_IOEVENTFD_FLAG_DEASSIGN | KVM_IOEVENTFD_FLAG_DATAMATCH, 2), -ENOENT);
  BOOST_CHECK_EQUAL(v.ioeventfd(kMmio, 4, e.fd, KVM_IOEVENTFD_FLAG_DEASSIGN), -ENOENT);
  BOOST_CHECK_EQUAL(v.ioeventfd(kMmio, 4, other.fd, KVM_IOEVENTFD_FLAG_DEASSIGN | KVM_IOEVENTFD_FLAG_DATAMATCH, 1), -ENOENT);
  const int dup_fd = dup(e.fd);
  BOOST_CHECK_EQUAL(v.ioeventfd(kMmio, 4, dup_fd, KVM_IOEVENTFD_FLAG_DEASSIGN | KVM_IOEVENTFD_FLAG_DATAMATCH, 1), 0);
  BOOST_CHECK_EQUAL(v.ioeventfd(kMmio, 4, e.fd, KVM_IOEVENTFD_FLAG_DEASSIGN | KVM_IOEVENTFD_FLAG_DATAMATCH, 1), -ENOENT);
  BOOST_CHECK_EQUAL(v.ioeventfd(kMmio, 4, -1, KVM_IOEVENTFD_FLAG_DEASSIGN), -EBADF);
  // The room is free again.
  BOOST_CHECK_EQUAL(v.ioeventfd(kMmio, 4, e.fd, KVM_IOEVENTFD_FLAG_DATAMATCH, 1), 0);
  close(dup_fd);
  close(pipefd[0]);
  close(pipefd[1]);
}

// The VMM may close its fd: the VM keeps the eventfd, as Linux keeps the eventfd_ctx.
BOOST_AUTO_TEST_CASE(ioeventfd_outlives_the_fd) {
  Vm v;
  v.init_vcpu();
  Efd e;
  const int dup_fd = dup(e.fd);
  BOOST_REQUIRE_EQUAL(v.ioeventfd(kMmio, 4, dup_fd, 0), 0);
  close(dup_fd);
  v.expect_write(kMmio + 8, 1, 2);
  BOOST_CHECK_EQUAL(e.take(), 2u);
}

BOOST_AUTO_TEST_CASE(irqfd_raises_its_spi) {
  Vm v;
  v.init_vcpu();
  Efd e, f;
  BOOST_CHECK_EQUAL(v.irqfd(e.fd, 5), -EAGAIN);  // kvm_arch_intc_initialized(): no vGIC
  v.make_gic();
  BOOST_CHECK_EQUAL(v.irqfd(e.fd, 5), -EAGAIN);  // not initialised
  v.init_gic();
  BOOST_CHECK_EQUAL(v.irqfd(e.fd, 5, KVM_IRQFD_FLAG_RESAMPLE), -EINVAL);
  BOOST_CHECK_EQUAL(v.irqfd(e.fd, 5, 1u << 2), -EINVAL);
  BOOST_CHECK_EQUAL(v.irqfd(-1, 5), -EBADF);
  BOOST_REQUIRE_EQUAL(v.irqfd(e.fd, 5), 0);
  BOOST_CHECK_EQUAL(v.irqfd(e.fd, 6), -EBUSY);  // one eventfd, one irqfd
  BOOST_CHECK(!v.spi_pending(32 + 5));
  e.write1();
  // The default routing: GSI 5 is SPI 37. The write was consumed (irqfd_wakeup reads it).
  BOOST_CHECK(v.spi_pending(32 + 5));
  BOOST_CHECK_EQUAL(e.take(), 0u);
  // A count written before the assignment fires at once.
  f.write1();
  BOOST_REQUIRE_EQUAL(v.irqfd(f.fd, 9), 0);
  BOOST_CHECK(v.spi_pending(32 + 9));
  // Deassigned: a write stays in the eventfd and raises nothing. Deassigning what is not
  // there is not an error.
  BOOST_CHECK_EQUAL(v.irqfd(e.fd, 5, KVM_IRQFD_FLAG_DEASSIGN), 0);
  BOOST_CHECK_EQUAL(v.irqfd(e.fd, 5, KVM_IRQFD_FLAG_DEASSIGN), 0);
  v.clear_pending();
  BOOST_REQUIRE(!v.spi_pending(32 + 5));
  e.write1();
  BOOST_CHECK(!v.spi_pending(32 + 5));
  BOOST_CHECK_EQUAL(e.take(), 1u);
  // A GSI beyond the vGIC's SPIs raises nothing and is no error.
  Efd g;
  BOOST_REQUIRE_EQUAL(v.irqfd(g.fd, 900), 0);
  g.write1();
  BOOST_CHECK(!v.spi_pending(32 + 5));
  BOOST_CHECK_EQUAL(g.take(), 0u);  // consumed, as irqfd_wakeup() does before routing
}

BOOST_AUTO_TEST_CASE(gsi_routing) {
  Vm v;
  v.init_vcpu();
  v.make_gic();
  v.init_gic();
  // kvm_vm_ioctl(KVM_SET_GSI_ROUTING) and kvm_set_irq_routing(): every error leaves the
  // table as it was.
  BOOST_CHECK_EQUAL(v.routing({}, 1), -EINVAL);
  BOOST_CHECK_EQUAL(v.routing({}, 0, 4097), -EINVAL);
  BOOST_CHECK_EQUAL(v.routing({irqchip_route(4096, 1)}), -EINVAL);
  BOOST_CHECK_EQUAL(v.routing({irqchip_route(1, 988)}), -EINVAL);  // KVM_IRQCHIP_NUM_PINS
  BOOST_CHECK_EQUAL(v.routing({irqchip_route(1, 2, 1)}), -EINVAL);  // KVM_NR_IRQCHIPS is 1
  BOOST_CHECK_EQUAL(v.routing({irqchip_route(1, 2), irqchip_route(1, 3)}), -EINVAL);
  auto flagged = irqchip_route(1, 2);
  flagged.flags = KVM_MSI_VALID_DEVID;
  BOOST_CHECK_EQUAL(v.routing({flagged}), -EINVAL);
  auto bad_type = irqchip_route(1, 2);
  bad_type.type = 3;  // an s390 adapter
  BOOST_CHECK_EQUAL(v.routing({bad_type}), -EINVAL);
  kvm_irq_routing_entry msi{};
  msi.gsi = 1;
  msi.type = KVM_IRQ_ROUTING_MSI;
  msi.flags = 2;
  BOOST_CHECK_EQUAL(v.routing({msi}), -EINVAL);
  msi.flags = KVM_MSI_VALID_DEVID;
  BOOST_CHECK_EQUAL(v.routing({irqchip_route(1, 2), msi}), -EINVAL);  // an MSI route is alone
  // The failed calls left the default: GSI 3 is SPI 35.
  Efd e;
  BOOST_REQUIRE_EQUAL(v.irqfd(e.fd, 3), 0);
  e.write1();
  BOOST_CHECK(v.spi_pending(32 + 3));
  // GSI 3 to pin 10: SPI 42.
  BOOST_REQUIRE_EQUAL(v.routing({irqchip_route(3, 10), irqchip_route(4, 11)}), 0);
  e.write1();
  BOOST_CHECK(v.spi_pending(32 + 10));
  BOOST_CHECK(!v.spi_pending(32 + 11));
  // An empty table: no GSI goes anywhere.
  BOOST_REQUIRE_EQUAL(v.routing({}), 0);
  v.clear_pending();
  e.write1();
  BOOST_CHECK(!v.spi_pending(32 + 3));
  BOOST_CHECK(!v.spi_pending(32 + 10));
  BOOST_CHECK_EQUAL(e.take(), 0u);  // consumed all the same
}

BOOST_AUTO_TEST_SUITE_END()
