// First KVM_RUN (spec 2.13), the reload per era, scheduling onto pCPUs (FAIL_ENTRY, spec 3)
// and the interrupt plumbing (spec 5.5).
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include "vpmu_fixture.h"

namespace bdata = boost::unit_test::data;
using namespace vpmu_test;

BOOST_AUTO_TEST_SUITE(vpmu_run)

BOOST_DATA_TEST_CASE(first_run_checks, bdata::make(kAllEras), era) {
  VmFixture f(era);
  VcpuPmu& v = f.add_vcpu(true);
  BOOST_TEST(first_run(v, f.gic) == -EINVAL);  // PMU not INITed
  BOOST_TEST(!f.vm.has_ran_once());
  BOOST_TEST(!v.has_run());
  f.irq_and_init(v);
  IrqChipState user;  // an IRQ was set but the VM now claims a userspace irqchip
  BOOST_TEST(first_run(v, user) == -EINVAL);
  IrqChipState tiny = f.gic;
  tiny.nr_spis = 0;
  BOOST_TEST(first_run(v, tiny) == 0);  // 23 is a PPI: no SPI range needed
  BOOST_TEST(f.vm.has_ran_once());
  BOOST_TEST(v.has_run());
  // A vCPU without PMU runs without checks.
  VcpuPmu& w = f.add_vcpu(false);
  BOOST_TEST(first_run(w, f.gic) == 0);
}

BOOST_DATA_TEST_CASE(first_run_spi_must_fit_the_vgic, bdata::make(kAllEras), era) {
  VmFixture f(era);
  VcpuPmu& v = f.add_vcpu(true);
  const int spi = 100;  // a valid SPI number, beyond the 32 SPIs of the fixture's vGIC
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_IRQ, &spi) == 0);
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_INIT, nullptr) == 0);
  BOOST_TEST(first_run(v, f.gic) == -EINVAL);
  IrqChipState big = f.gic;
  big.nr_spis = 100;
  BOOST_TEST(first_run(v, big) == 0);
}

BOOST_DATA_TEST_CASE(userspace_irqchip_without_irq, bdata::make(kAllEras), era) {
  VmFixture f(era);
  VcpuPmu& v = f.add_vcpu(true);
  IrqChipState user;
  BOOST_TEST(set_device_attr(v, KVM_ARM_VCPU_PMU_V3_CTRL, KVM_ARM_VCPU_PMU_V3_INIT, nullptr, user, 0) == 0);
  BOOST_TEST(first_run(v, user) == 0);
}

// First-run sanitising: lower N from userspace after the reset left bits 1..4 set.
BOOST_DATA_TEST_CASE(first_run_reload_masks_bitmaps, bdata::make(kAllEras), era) {
  VmFixture f(era);
  VcpuPmu& v = f.add_vcpu(true);
  BOOST_TEST(set_one_reg(v, id_of(reg::PMCR_EL0), pmcr::with_n(v.reg(Slot::PMCR_EL0), 2)) == 0);
  f.irq_and_init(v);
  BOOST_TEST(f.run(v) == 0);
  const EraPolicy& p = policy(era);
  const bool reload_masks = p.reload == era_fn::reload_6_7 || p.reload == era_fn::reload_6_16;
  uint64_t expect = reload_masks ? 0x80000002 : 0x8000001E;   // 6.6: no masking at all
  if (p.reset_bitmap == era_fn::reset_bitmap_v5) expect = 0;  // reset to 0
  BOOST_TEST(v.reg(Slot::PMCNTENSET_EL0) == expect);
  BOOST_TEST(v.reg(Slot::PMINTENSET_EL1) == expect);
  BOOST_TEST(v.reg(Slot::PMOVSSET_EL0) == expect);
}

// 6.7's reload runs kvm_pmu_handle_pmcr() before masking: with PMCR.E stored by userspace,
// backing events for indices >= N get created (fixed in 6.15 by masking first).
BOOST_DATA_TEST_CASE(reload_order_quirk,
                     bdata::make(eras_where([](const EraPolicy& p) {
                       return p.reload == era_fn::reload_6_7 || p.reload == era_fn::reload_6_16;
                     })),
                     era) {
  VmFixture f(era);
  VcpuPmu& v = f.add_vcpu(true);
  BOOST_TEST(set_one_reg(v, id_of(reg::PMCR_EL0), pmcr::with_n(pmcr::kE, 2)) == 0);
  f.irq_and_init(v);
  BOOST_TEST(f.run(v) == 0);
  BOOST_TEST(v.reg(Slot::PMCNTENSET_EL0) == 0x80000002u);
  BOOST_TEST(v.backing(1).exists);
  BOOST_TEST(v.backing(3).exists == (policy(era).reload == era_fn::reload_6_7));
}

// 6.6/6.7 perform userspace-stored PMCR.P/C at the first run; 6.16's reload does not.
BOOST_DATA_TEST_CASE(first_run_pmcr_actions, bdata::make(kAllEras), era) {
  VmFixture f(era);
  VcpuPmu& v = f.add_vcpu(true);
  uint64_t pmcr_user = 0;
  BOOST_TEST(get_one_reg(v, id_of(reg::PMCR_EL0), pmcr_user) == 0);
  BOOST_TEST(set_one_reg(v, id_of(reg::PMCR_EL0), pmcr_user | pmcr::kP | pmcr::kC) == 0);
  f.irq_and_init(v);
  BOOST_TEST(f.run(v) == 0);
  const bool acted = policy(era).reload != era_fn::reload_6_16;  // handle_pmcr() in the reload
  BOOST_TEST(v.reg(evcntr_slot(0)) == (acted ? 0u : 0xdbadc0deu));
  BOOST_TEST(v.reg(Slot::PMCCNTR_EL0) == (acted ? 0u : kUnknownPattern));
  BOOST_TEST((v.reg(Slot::PMCR_EL0) & (pmcr::kP | pmcr::kC)) == (acted ? 0u : pmcr::kP | pmcr::kC));
}

// The second KVM_RUN does not reload again (<= 6.7: one-shot request at the first run).
BOOST_AUTO_TEST_CASE(reload_is_one_shot) {
  VmFixture f(Era::k6_7);
  VcpuPmu& v = f.add_vcpu(true);
  f.irq_and_init(v);
  BOOST_TEST(f.run(v) == 0);
  BOOST_TEST(!v.reload_pending());
  BOOST_TEST(first_run(v, f.gic) == 0);
  BOOST_TEST(!v.reload_pending());
}

// SET_PMU narrows supported_cpus: entering on another cluster fails with the pCPU reported.
BOOST_DATA_TEST_CASE(fail_entry_on_unsupported_cpu, bdata::make(kAllEras), era) {
  VmFixture f(era, big_little_host(6, 4));
  VcpuPmu& v = f.add_vcpu(true, 4);
  const int big = 9;
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_SET_PMU, &big, 4) == 0);
  f.irq_and_init(v, 4);
  BOOST_TEST(first_run(v, f.gic) == 0);
  vcpu_load(v, 2);
  BOOST_TEST((fail_entry_cpu(v) == std::optional<uint32_t>(2)));
  vcpu_put(v);
  BOOST_TEST(!fail_entry_cpu(v).has_value());
  vcpu_load(v, 6);
  BOOST_TEST(!fail_entry_cpu(v).has_value());
  // The default PMU never narrows supported_cpus: any pCPU enters.
  VmFixture g(era, big_little_host(6, 4));
  VcpuPmu& w = g.add_vcpu(true, 0);
  g.irq_and_init(w, 0);
  BOOST_TEST(g.run(w, 7) == 0);
  BOOST_TEST(!fail_entry_cpu(w).has_value());
}

// A vCPU without PMU is flagged too (kvm_arch_vcpu_load() tests supported_cpus only).
BOOST_AUTO_TEST_CASE(fail_entry_without_pmu) {
  VmFixture f(Era::k6_7, big_little_host(6, 4));
  VcpuPmu& v = f.add_vcpu(true, 0);
  VcpuPmu& nopmu = f.add_vcpu(false, 0);
  const int little = 8;
  BOOST_TEST(f.set_attr(v, KVM_ARM_VCPU_PMU_V3_SET_PMU, &little) == 0);
  vcpu_load(nopmu, 5);
  BOOST_TEST((fail_entry_cpu(nopmu) == std::optional<uint32_t>(5)));
}

BOOST_AUTO_TEST_CASE(userspace_irqchip_notification) {
  VmFixture f(Era::k6_7);
  VcpuPmu& v = f.add_vcpu(true);
  IrqChipState user;
  BOOST_TEST(set_device_attr(v, KVM_ARM_VCPU_PMU_V3_CTRL, KVM_ARM_VCPU_PMU_V3_INIT, nullptr, user, 0) == 0);
  BOOST_TEST(first_run(v, user) == 0);
  vcpu_load(v, 0);
  flush_hwstate(v);
  uint64_t device_irq_level = 0;
  BOOST_TEST(!should_notify_user(v, device_irq_level));
  // Overflow on the cycle counter with the interrupt enabled.
  BOOST_TEST(msr(v, reg::PMINTENSET_EL1, 1u << 31));
  BOOST_TEST(msr(v, reg::PMCNTENSET_EL0, 1u << 31));
  BOOST_TEST(msr(v, reg::PMOVSSET_EL0, 1u << 31));
  BOOST_TEST(!v.irq_level());  // PMCR.E still 0
  BOOST_TEST(msr(v, reg::PMCR_EL0, pmcr::kE));
  BOOST_TEST(v.irq_level());   // recomputed at the trap's re-entry
  BOOST_TEST(should_notify_user(v, device_irq_level));
  update_run(v, device_irq_level);
  BOOST_TEST(device_irq_level == KVM_ARM_DEV_PMU);
  BOOST_TEST(!should_notify_user(v, device_irq_level));
}

BOOST_AUTO_TEST_CASE(irq_sink_sees_level_changes) {
  VmFixture f(Era::k6_7);
  VcpuPmu& v = f.add_vcpu(true);
  f.irq_and_init(v);
  std::vector<bool> levels;
  v.set_irq_sink([&](bool l) { levels.push_back(l); });
  BOOST_TEST(f.run(v) == 0);
  // The reset left 0x8000001E in all three bitmaps (an interrupt as soon as PMCR.E is set);
  // clear them as a guest driver does.
  for (auto k : {reg::PMINTENCLR_EL1, reg::PMCNTENCLR_EL0, reg::PMOVSCLR_EL0}) BOOST_TEST(msr(v, k, ~0ull));
  BOOST_TEST(msr(v, reg::PMINTENSET_EL1, 1));
  BOOST_TEST(msr(v, reg::PMCNTENSET_EL0, 1));
  BOOST_TEST(msr(v, reg::PMCR_EL0, pmcr::kE));
  BOOST_TEST(msr(v, reg::PMOVSSET_EL0, 1));
  BOOST_TEST(msr(v, reg::PMOVSSET_EL0, 1));  // no change, no call
  BOOST_TEST(msr(v, reg::PMOVSCLR_EL0, 1));
  BOOST_TEST((levels == std::vector<bool>{true, false}));
}

BOOST_AUTO_TEST_SUITE_END()
