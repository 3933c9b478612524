// KVM_IOEVENTFD, KVM_IRQFD and KVM_SET_GSI_ROUTING through the /dev/kvm ABI with this
// process's own eventfd(2)s, as Linux 6.12 has them on arm64 (virt/kvm/eventfd.c,
// virt/kvm/irqchip.c, arch/arm64/kvm/vgic/vgic-irqfd.c): which guest writes an ioeventfd
// takes instead of an MMIO exit, the collision and deassignment rules, irqfd injection
// through the default and a VMM's routing table, and every errno in Linux's order.
#include <boost/test/unit_test.hpp>

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <vector>

#include "tests/support/open_fds.h"
#include "tests/unit/kvm_abi/guest_vm.h"

namespace {

using namespace kvm_abi_test;

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
  BOOST_CHECK_EQUAL(v.dev.ioctl(v.vm, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD_RESAMPLE), 1);
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
  BOOST_CHECK_EQUAL(v.irqfd(e.fd, 5, 1u << 2), -EINVAL);
  BOOST_CHECK_EQUAL(v.irqfd(e.fd, 5, KVM_IRQFD_FLAG_RESAMPLE, -1), -EBADF);  // the resamplefd
  BOOST_CHECK_EQUAL(v.irqfd(e.fd, 5, KVM_IRQFD_FLAG_RESAMPLE, v.vm), -EINVAL);  // not an eventfd
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

// GICD_ISPENDR as the guest reads it: the latch, or a level interrupt's line (the
// userspace view, spi_pending(), holds the latch only). The model looks at its irqfds at
// the next call on a VM file, as the guest's next KVM_RUN would: one comes first.
bool pending(Vm& v, unsigned intid) {
  BOOST_REQUIRE_EQUAL(v.dev.ioctl(v.vm, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD), 1);
  uint64_t x = 0;
  BOOST_REQUIRE(v.dev.vm_of(v.vm)->vgic()->mmio_read(kGicd + 0x200 + intid / 32 * 4, 4, x));
  return (x >> (intid % 32)) & 1;
}

// KVM_IRQFD_FLAG_RESAMPLE on a level-triggered SPI: the write raises the line and leaves it
// high; the guest's EOI (ICC_IAR1_EL1 then ICC_EOIR1_EL1, through the vGIC's CPU interface
// as the guest's MSRs reach it) lowers it and signals the resamplefd (irqfd_resampler_ack());
// deassigning the last resampling irqfd of the GSI lowers a line still high.
BOOST_AUTO_TEST_CASE(irqfd_resample_on_eoi) {
  Vm v;
  v.init_vcpu();
  v.make_gic();
  v.init_gic();
  Efd e, r;
  constexpr uint32_t kGsi = 40;
  constexpr unsigned kSpi = kGsi + 32;  // SPIs 64 and up stay level-triggered
  BOOST_REQUIRE_EQUAL(v.irqfd(e.fd, kGsi, KVM_IRQFD_FLAG_RESAMPLE, r.fd), 0);
  kvm_model::vgic::Vgic& g = *v.dev.vm_of(v.vm)->vgic();
  // What a guest's GICv3 driver does: Group 1 on, the redistributor awake, PMR open, the SPI
  // enabled with a priority.
  namespace gf = kvm_model::vgic::gicd_ctlr;
  BOOST_REQUIRE(g.mmio_write(kGicd, 4, gf::kEnableGrp1));
  BOOST_REQUIRE(g.mmio_write(kGicr + 0x14, 4, 0));  // GICR_WAKER
  BOOST_REQUIRE(g.mmio_write(kGicd + 0x400 + kSpi, 1, 0xa0));  // GICD_IPRIORITYR
  BOOST_REQUIRE(g.mmio_write(kGicd + 0x100 + kSpi / 32 * 4, 4, 1u << (kSpi % 32)));  // GICD_ISENABLER
  uint64_t x = 0xf0;
  BOOST_REQUIRE(g.sysreg(0, arch::sysreg(3, 0, 4, 6, 0), false, x) == kvm_model::vgic::Vgic::Access::kOk);  // PMR
  x = 1;
  BOOST_REQUIRE(g.sysreg(0, arch::sysreg(3, 0, 12, 12, 7), false, x) == kvm_model::vgic::Vgic::Access::kOk);  // IGRPEN1
  e.write1();
  BOOST_REQUIRE(pending(v, kSpi));
  uint64_t intid = 0;
  BOOST_REQUIRE(g.sysreg(0, arch::sysreg(3, 0, 12, 12, 0), true, intid) == kvm_model::vgic::Vgic::Access::kOk);  // IAR1
  BOOST_CHECK_EQUAL(intid, kSpi);
  BOOST_CHECK_EQUAL(r.take(), 0u);  // acknowledged, not yet deactivated
  BOOST_REQUIRE(g.sysreg(0, arch::sysreg(3, 0, 12, 12, 1), false, intid) == kvm_model::vgic::Vgic::Access::kOk);  // EOIR1
  BOOST_CHECK_EQUAL(r.take(), 1u);
  BOOST_CHECK(!pending(v, kSpi));  // the line went low with the EOI
  // The VMM finds its device still asserting and writes the irqfd again.
  e.write1();
  BOOST_CHECK(pending(v, kSpi));
  // Deassigned while high: the line goes low; another EOI signals nothing.
  BOOST_CHECK_EQUAL(v.irqfd(e.fd, kGsi, KVM_IRQFD_FLAG_DEASSIGN), 0);
  BOOST_CHECK(!pending(v, kSpi));
  BOOST_CHECK_EQUAL(r.take(), 0u);
  // An edge-triggered SPI's EOI signals no resampler (KVM asks no EOI maintenance for it).
  Efd e2, r2;
  BOOST_REQUIRE_EQUAL(v.irqfd(e2.fd, 3, KVM_IRQFD_FLAG_RESAMPLE, r2.fd), 0);  // SPI 35, edge (init_gic)
  BOOST_REQUIRE(g.mmio_write(kGicd + 0x400 + 35, 1, 0xa0));
  BOOST_REQUIRE(g.mmio_write(kGicd + 0x104, 4, 1u << 3));
  e2.write1();
  BOOST_REQUIRE(pending(v, 35));
  BOOST_REQUIRE(g.sysreg(0, arch::sysreg(3, 0, 12, 12, 0), true, intid) == kvm_model::vgic::Vgic::Access::kOk);
  BOOST_CHECK_EQUAL(intid, 35u);
  BOOST_REQUIRE(g.sysreg(0, arch::sysreg(3, 0, 12, 12, 1), false, intid) == kvm_model::vgic::Vgic::Access::kOk);
  BOOST_CHECK_EQUAL(r2.take(), 0u);
}

using ::test::open_fds;

// Closing the VMM's last descriptor of an irqfd's eventfd releases its file, and Linux's
// EPOLLHUP takes the irqfd out of the VM (irqfd_wakeup(), irqfd_shutdown()): the resampled
// line of its GSI goes low and KVM lets go of the eventfd. A descriptor left (a dup) keeps
// it assigned, wherever its number is; a new eventfd that reuses the closed number is
// another file.
BOOST_AUTO_TEST_CASE(irqfd_leaves_when_its_eventfd_is_closed) {
  Vm v;
  v.init_vcpu();
  v.make_gic();
  v.init_gic();
  Efd r;
  constexpr uint32_t kGsi = 40;
  constexpr unsigned kSpi = kGsi + 32;  // level-triggered: the line stays high
  const size_t fds_before = open_fds();
  int e = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  BOOST_REQUIRE_GE(e, 0);
  BOOST_REQUIRE_EQUAL(v.irqfd(e, kGsi, KVM_IRQFD_FLAG_RESAMPLE, r.fd), 0);
  const uint64_t one = 1;
  BOOST_REQUIRE_EQUAL(write(e, &one, 8), 8);
  BOOST_REQUIRE(pending(v, kSpi));
  // A dup made, the registered number closed: still assigned.
  const int keep = dup(e);
  BOOST_REQUIRE_GE(keep, 0);
  close(e);
  BOOST_CHECK(pending(v, kSpi));
  BOOST_CHECK_EQUAL(v.irqfd(keep, kGsi + 1), -EBUSY);  // the eventfd still serves its irqfd
  // The last descriptor closed: gone at the next call on the VM; the line went low.
  close(keep);
  BOOST_CHECK(!pending(v, kSpi));
  BOOST_CHECK_EQUAL(open_fds(), fds_before);  // the model holds no duplicate any more
  // The number reused at once by another eventfd: the first one still hung up.
  e = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  BOOST_REQUIRE_GE(e, 0);
  BOOST_REQUIRE_EQUAL(v.irqfd(e, 5), 0);
  close(e);
  const int again = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  BOOST_REQUIRE_EQUAL(again, e);
  BOOST_REQUIRE_EQUAL(v.irqfd(again, 6), 0);  // not -EBUSY: another eventfd
  BOOST_CHECK_EQUAL(open_fds(), fds_before + 2);  // `again` and the model's duplicate of it
  BOOST_REQUIRE_EQUAL(write(again, &one, 8), 8);
  BOOST_CHECK(v.spi_pending(32 + 6));
  BOOST_CHECK(!v.spi_pending(32 + 5));
  close(again);
  BOOST_CHECK(!pending(v, kSpi));
  BOOST_CHECK_EQUAL(open_fds(), fds_before);
}

BOOST_AUTO_TEST_SUITE_END()
