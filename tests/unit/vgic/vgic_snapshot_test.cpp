// The VMM's snapshot of the vGIC through the device's save/restore groups
// (emu/vmm/vgic_snapshot.cpp) against the model's own state as the oracle: what the groups
// give back is the vGIC's state, and writing it into another VM reproduces that state.
#include <boost/test/unit_test.hpp>

#include "kvm_model/abi/abi.h"
#include "pmuemu/kvm.h"

#include <cerrno>
#include <cstdint>
#include <string>
#include <vector>

#include "emu/common/errors.h"
#include "emu/vmm/vgic_snapshot.h"
#include "tests/support/two_cluster_host.h"

namespace {

namespace vg = kvm_model::vgic;
unsigned long ptr(const void* p) { return reinterpret_cast<unsigned long>(p); }

struct Vm {
  kvm_model::abi::Dev dev;
  int vm = -1, gic = -1;
  std::vector<uint64_t> mpidrs;
  long calls = 0;
  explicit Vm(unsigned vcpus, uint32_t nr_irqs) : dev([] {
    kvm_model::abi::Options o;
    o.host = test_support::two_cluster_host(6, 6);
    return o;
  }()) {
    const int kvm = dev.open_dev();
    vm = static_cast<int>(dev.ioctl(kvm, KVM_CREATE_VM, 0));
    BOOST_REQUIRE_GE(vm, 0);
    for (unsigned i = 0; i < vcpus; ++i) {
      BOOST_REQUIRE_GE(dev.ioctl(vm, KVM_CREATE_VCPU, i), 0);
      mpidrs.push_back(dev.vm_of(vm)->vcpus()[i]->mpidr());
    }
    kvm_create_device cd{};
    cd.type = KVM_DEV_TYPE_ARM_VGIC_V3;
    BOOST_REQUIRE_EQUAL(dev.ioctl(vm, KVM_CREATE_DEVICE, ptr(&cd)), 0);
    gic = static_cast<int>(cd.fd);
    uint64_t dist = vg::kDistBase, redist = vg::kRedistBase;
    attr(true, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist);
    attr(true, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist);
    attr(true, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs);
    attr(true, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, nullptr);
  }
  void attr(bool set, uint32_t group, uint64_t a, void* value) {
    const kvm_device_attr at{0, group, a, ptr(value)};
    ++calls;
    BOOST_REQUIRE_EQUAL(dev.ioctl(gic, set ? KVM_SET_DEVICE_ATTR : KVM_GET_DEVICE_ATTR, ptr(&at)), 0);
  }
  pmuemu::vmm::VgicAttrFn fn() {
    return [this](bool set, uint32_t group, uint64_t a, void* value) { attr(set, group, a, value); };
  }
  vg::Vgic& gic_model() { return *dev.vm_of(vm)->vgic(); }
  vg::VgicState state() {
    vg::VgicState s;
    BOOST_REQUIRE_EQUAL(dev.vm_of(vm)->get_vgic_state(s), 0);
    return s;
  }
};

void mmio(vg::Vgic& g, uint64_t gpa, uint64_t v, unsigned size = 4) { BOOST_REQUIRE(g.mmio_write(gpa, size, v)); }
void icc(vg::Vgic& g, unsigned vcpu, arch::SysRegKey k, uint64_t v) {
  BOOST_REQUIRE(g.sysreg(vcpu, k, false, v) == vg::Vgic::Access::kOk);
}

// A vGIC in a state a running guest leaves: interrupts enabled, configured, routed, pending,
// active, lines high, CPU interfaces programmed and an interrupt in service.
void dirty(vg::Vgic& g) {
  const uint64_t d = vg::kDistBase, r1 = vg::kRedistBase + vg::kRedistStride;
  mmio(g, d + 0x0, 2);                                  // GICD_CTLR.EnableGrp1
  mmio(g, d + 0x104, 0x0000'0f0f);                      // SPIs 32..35, 40..43 enabled
  mmio(g, d + 0x108, 0x8000'0001);                      // 64 and 95
  mmio(g, d + 0x420, 0x10'20'30'40);                    // priorities of 32..35
  mmio(g, d + 0xC08, 0x0000'00a0);                      // 34, 35 edge-triggered
  mmio(g, d + 0x6000 + 8 * 40, 1, 8);                   // SPI 40 to vCPU 1
  mmio(g, d + 0x6000 + 8 * 95, 0x010203, 8);            // to an affinity with no vCPU
  mmio(g, d + 0x304, 1u << 3);                          // SPI 35 active
  mmio(g, d + 0x204, 1u << 1);                          // SPI 33 pending (latch)
  g.set_irq_level(0, 32, true);                         // level SPI line high
  g.set_irq_level(1, 27, true);                         // vCPU 1's timer PPI
  mmio(g, r1 + 0x14, 0);                                // vCPU 1 awake
  mmio(g, r1 + 0x10100, 0x0800'0006);                   // SGIs 1, 2 and PPI 27 enabled
  mmio(g, r1 + 0x10400 + 24, 0x00'a0'00'00);            // PPI 26..27 priorities
  mmio(g, r1 + 0x10200, 1u << 2);                       // SGI 2 pending
  const arch::SysRegKey pmr = arch::sysreg(3, 0, 4, 6, 0), bpr0 = arch::sysreg(3, 0, 12, 8, 3);
  const arch::SysRegKey bpr1 = arch::sysreg(3, 0, 12, 12, 3), ctlr = arch::sysreg(3, 0, 12, 12, 4);
  const arch::SysRegKey igrpen1 = arch::sysreg(3, 0, 12, 12, 7), ap1r0 = arch::sysreg(3, 0, 12, 9, 0);
  icc(g, 1, pmr, 0xF0);
  icc(g, 1, bpr0, 4);
  icc(g, 1, bpr1, 5);
  icc(g, 1, ctlr, 2);   // EOImode
  icc(g, 1, igrpen1, 1);
  icc(g, 1, ap1r0, 1u << 5);
  icc(g, 0, ctlr, 1);   // CBPR
  icc(g, 0, bpr0, 3);
}

void check_irq(const vg::IrqState& a, const vg::IrqState& b, const std::string& where, bool with_line) {
  BOOST_TEST(a.enabled == b.enabled, where);
  BOOST_TEST(a.latch == b.latch, where);
  BOOST_TEST(a.active == b.active, where);
  BOOST_TEST(a.edge == b.edge, where);
  BOOST_TEST(a.priority == b.priority, where);
  if (with_line) BOOST_TEST(a.line == b.line, where);
}

// Equal but for what the groups do not carry: the line of an edge-triggered interrupt and
// BPR1's own value while CBPR = 1.
void check_state(const vg::VgicState& a, const vg::VgicState& b) {
  BOOST_TEST(a.enable_grp1 == b.enable_grp1);
  BOOST_REQUIRE_EQUAL(a.spis.size(), b.spis.size());
  for (size_t i = 0; i < a.spis.size(); ++i) {
    check_irq(a.spis[i], b.spis[i], "SPI " + std::to_string(i + 32), !a.spis[i].edge);
    BOOST_TEST(a.irouter[i] == b.irouter[i], "IROUTER " << i + 32);
  }
  BOOST_REQUIRE_EQUAL(a.cpus.size(), b.cpus.size());
  for (size_t v = 0; v < a.cpus.size(); ++v) {
    for (unsigned i = 0; i < 32; ++i)
      check_irq(a.cpus[v].irqs[i], b.cpus[v].irqs[i], "vCPU " + std::to_string(v) + " INTID " + std::to_string(i),
                !a.cpus[v].irqs[i].edge);
    const vg::CpuIfState &x = a.cpus[v].cpuif, &y = b.cpus[v].cpuif;
    BOOST_TEST(a.cpus[v].processor_sleep == b.cpus[v].processor_sleep);
    BOOST_TEST(x.pmr == y.pmr);
    BOOST_TEST(x.bpr0 == y.bpr0);
    if (!x.cbpr) BOOST_TEST(x.bpr1 == y.bpr1);
    BOOST_TEST(x.cbpr == y.cbpr);
    BOOST_TEST(x.eoimode == y.eoimode);
    BOOST_TEST(x.igrpen1 == y.igrpen1);
    BOOST_TEST(x.ap1r0 == y.ap1r0);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(vgic_snapshot)

BOOST_AUTO_TEST_CASE(save_reads_the_state_through_the_groups) {
  Vm a(2, 96);
  dirty(a.gic_model());
  const vg::VgicState saved = pmuemu::vmm::save_vgic_state(a.fn(), a.mpidrs);
  BOOST_CHECK_GT(a.calls, 0);
  check_state(a.state(), saved);
  BOOST_CHECK(saved.spis[40 - 32].enabled);
  BOOST_CHECK_EQUAL(saved.irouter[95 - 32], 0x010203u);
  BOOST_CHECK(saved.cpus[1].irqs[27].line);
}

BOOST_AUTO_TEST_CASE(restore_reproduces_the_state_over_whatever_was_there) {
  Vm a(2, 96);
  dirty(a.gic_model());
  const vg::VgicState saved = pmuemu::vmm::save_vgic_state(a.fn(), a.mpidrs);
  Vm b(2, 96);
  // The destination already ran something: state the restore must clear.
  mmio(b.gic_model(), vg::kDistBase + 0x100 + 4, 0xffffffff);
  mmio(b.gic_model(), vg::kDistBase + 0x300 + 8, 0xffffffff);
  mmio(b.gic_model(), vg::kDistBase + 0x200 + 8, 0xffffffff);
  b.gic_model().set_irq_level(0, 90, true);
  pmuemu::vmm::restore_vgic_state(b.fn(), b.mpidrs, saved, "snap");
  check_state(a.state(), b.state());
  // The outputs follow: vCPU 1 has PPI 27 (priority 0xA0) pending but AP1R0 holds priority
  // 0x28 in service, so nothing is signalled on either side.
  for (unsigned v = 0; v < 2; ++v) BOOST_TEST(a.gic_model().irq_pending(v) == b.gic_model().irq_pending(v));
  // Save again: the same record (the format is a fixed point of save/restore).
  const vg::VgicState again = pmuemu::vmm::save_vgic_state(b.fn(), b.mpidrs);
  check_state(saved, again);
}

BOOST_AUTO_TEST_CASE(restore_refuses_a_record_of_another_shape) {
  Vm a(2, 96);
  const vg::VgicState saved = pmuemu::vmm::save_vgic_state(a.fn(), a.mpidrs);
  Vm b(2, 64);
  BOOST_CHECK_EXCEPTION(pmuemu::vmm::restore_vgic_state(b.fn(), b.mpidrs, saved, "snap.bin"), pmuemu::InputError,
                        [](const pmuemu::InputError& e) {
                          return std::string(e.what()).rfind("snap.bin: ", 0) == 0 &&
                                 std::string(e.what()).find("96 interrupts") != std::string::npos;
                        });
  Vm c(3, 96);
  BOOST_CHECK_THROW(pmuemu::vmm::restore_vgic_state(c.fn(), c.mpidrs, saved, "snap.bin"), pmuemu::InputError);
}

BOOST_AUTO_TEST_SUITE_END()
