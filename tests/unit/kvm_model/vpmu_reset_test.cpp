// Reset values per era (spec 1.2, 2.4, 2.5) and the reset trace.
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include "vpmu_fixture.h"

namespace bdata = boost::unit_test::data;
using namespace vpmu_test;

namespace {

// Host: one cluster, N=6, PMUv3p1, no AArch32 EL0 (LC RES1). The expected values follow the
// reset behaviour each era's row names.
uint64_t expected_pmcr_slot(const EraPolicy& p) {
  // N stored in the slot (physical N or pmcr_n, both 6 here) or merged on read only.
  return p.reset_pmcr == era_fn::reset_pmcr_6_7 ? 0x0040 : 0x3040;
}
uint64_t expected_bitmap(const EraPolicy& p) { return p.reset_bitmap == era_fn::reset_bitmap_v5 ? 0 : 0x8000001E; }

}  // namespace

BOOST_AUTO_TEST_SUITE(vpmu_reset)

BOOST_DATA_TEST_CASE(reset_values, bdata::make(kAllEras), era) {
  const EraPolicy& p = policy(era);
  VmFixture f(era);
  VcpuPmu& v = f.add_vcpu(true);
  uint64_t out = 0;
  BOOST_TEST(v.reg(Slot::PMCR_EL0) == expected_pmcr_slot(p));
  BOOST_TEST(get_one_reg(v, id_of(reg::PMCR_EL0), out) == 0);
  BOOST_TEST(out == 0x3040u);
  BOOST_TEST(v.reg(Slot::PMCNTENSET_EL0) == expected_bitmap(p));
  BOOST_TEST(v.reg(Slot::PMINTENSET_EL1) == expected_bitmap(p));
  BOOST_TEST(v.reg(Slot::PMOVSSET_EL0) == expected_bitmap(p));
  BOOST_TEST(v.reg(Slot::PMSELR_EL0) == 0x1eu);
  BOOST_TEST(v.reg(Slot::PMCCNTR_EL0) == kUnknownPattern);
  BOOST_TEST(v.reg(Slot::PMUSERENR_EL0) == 0u);
  BOOST_TEST(v.reg(Slot::PMCCFILTR_EL0) == 0u);
  for (unsigned n = 0; n < 31; ++n) {
    BOOST_TEST(v.reg(evcntr_slot(n)) == 0xdbadc0deu);
    BOOST_TEST(v.reg(evtyper_slot(n)) == 0xC800C0DEu);  // EL2 yes, EL3 no: same in every era
  }
  // Guest view of PMCR: N=6, LC, P/C read as 0.
  BOOST_TEST(*mrs(v, reg::PMCR_EL0) == 0x3040u);
}

// 6.7+: kvm_pmu_evtyper_mask() follows the VM's ID_AA64PFR0_EL1.EL2/EL3 (spec 1.6).
BOOST_DATA_TEST_CASE(pmevtyper_reset_follows_el2_el3,
                     bdata::make(eras_where([](const EraPolicy& p) {
                       return p.reset_pmevtyper == era_fn::reset_pmevtyper_6_7;
                     })),
                     era) {
  const struct {
    uint8_t el2, el3;
    uint64_t expect;
  } rows[] = {{1, 1, 0xD800C0DE}, {1, 0, 0xC800C0DE}, {0, 0, 0xC000C0DE}};
  for (const auto& r : rows) {
    VmFixture f(era);
    f.vm.set_pfr0_el2_el3(r.el2, r.el3);
    VcpuPmu& v = f.add_vcpu(true);
    BOOST_TEST(v.reg(evtyper_slot(5)) == r.expect);
  }
}

// 6.7+: reset_pmevtyper leaves the slot alone on a vCPU without PMU; 6.6 always writes.
BOOST_DATA_TEST_CASE(pmevtyper_reset_without_pmu, bdata::make(kAllEras), era) {
  VmFixture f(era);
  VcpuPmu& v = f.add_vcpu(false);
  const bool untouched = policy(era).reset_pmevtyper == era_fn::reset_pmevtyper_6_7;
  BOOST_TEST(v.reg(evtyper_slot(0)) == (untouched ? 0u : 0xC800C0DEu));
}

BOOST_AUTO_TEST_CASE(pmcr_lc_only_without_aarch32) {
  for (Era era : kAllEras) {
    VmFixture f(era, homogeneous_host(6, pmuver::kV3p1, /*aarch32=*/true));
    VcpuPmu& v = f.add_vcpu(true);
    BOOST_TEST(*mrs(v, reg::PMCR_EL0) == 0x3000u, era);
  }
}

// 6.6 reads N from the *physical* CPU executing the reset: on big.LITTLE the same VM shows
// different N on vCPUs reset on different clusters; 6.7 keeps the VM-wide pmcr_n.
BOOST_DATA_TEST_CASE(reset_on_other_cluster, bdata::make(kAllEras), era) {
  VmFixture f(era, big_little_host(6, 4));
  VcpuPmu& a = f.add_vcpu(true, /*pcpu=*/0);
  VcpuPmu& b = f.add_vcpu(true, /*pcpu=*/5);
  const bool physical_n = policy(era).reset_pmcr == era_fn::reset_pmcr_6_6;
  const uint8_t expect_b = physical_n ? 4 : 6;
  BOOST_TEST(a.n() == 6);
  BOOST_TEST(b.n() == expect_b);
  if (physical_n) BOOST_TEST(b.reg(Slot::PMCNTENSET_EL0) == 0x8000000Eu);
}

// The N a VMM wrote survives a vCPU reset only from 6.7 on (spec 4.2).
BOOST_DATA_TEST_CASE(pmcr_n_survives_reset, bdata::make(kAllEras), era) {
  VmFixture f(era);
  VcpuPmu& v = f.add_vcpu(true);
  BOOST_TEST(set_one_reg(v, id_of(reg::PMCR_EL0), pmcr::with_n(0, 3)) == 0);
  BOOST_TEST(v.n() == 3);
  BOOST_TEST(f.reinit(v) == 0);
  BOOST_TEST(v.n() == (policy(era).reset_pmcr == era_fn::reset_pmcr_6_6 ? 6 : 3));
}

BOOST_AUTO_TEST_CASE(trace_lists_every_pmu_reset_step) {
  VmFixture f(Era::k6_7);
  VcpuPmu& v = f.add_vcpu(true);
  ResetTrace trace;
  BOOST_TEST(f.reinit(v, 0, &trace) == 0);
  // 2 (PMINTEN) + PMCR + 3 (PMCNTEN, PMOVSCLR) + PMSELR + PMCCNTR + PMUSERENR + PMOVSSET
  // + 31 + 31 + PMCCFILTR = 73 register steps; no ID-register step on a re-init.
  BOOST_TEST(trace.size() == 73u);
  bool saw = false;
  for (const auto& s : trace)
    if (s.reg == "PMCNTENSET_EL0") {
      BOOST_TEST(s.step == "reset_pmu_reg (pmcr_n)");
      BOOST_TEST(s.after == 0x8000001Eu);
      saw = true;
    }
  BOOST_TEST(saw);
  BOOST_TEST(trace.front().reg == "PMINTENSET_EL1");
  BOOST_TEST(trace.back().reg == "PMCCFILTR_EL0");
}

BOOST_AUTO_TEST_CASE(trace_shows_default_pmu_and_fold_and_reload) {
  for (Era era : eras_where([](const EraPolicy& p) { return p.default_pmu == DefaultPmuPoint::kVcpuReset; })) {
    // the default PMU is chosen in the reset (v5)
    VmFixture f(era);
    f.vcpus.push_back(std::make_unique<VcpuPmu>(f.vm, 0));
    VcpuPmu& v = *f.vcpus.back();
    BOOST_TEST(vcpu_init(v, true, true, 0) == 0);
    BOOST_TEST(f.vm.arm_pmu() == nullptr);
    ResetTrace trace;
    BOOST_TEST(vcpu_reset(v, 0, &trace) == 0);
    BOOST_TEST(trace.front().reg == "kvm->arch.arm_pmu");
    BOOST_TEST(trace.front().after == 8u);
    BOOST_TEST(f.vm.pmcr_n() == 6);
    BOOST_TEST(f.vm.pmcr_n_limit() == 6);
  }
  for (Era era : eras_where([](const EraPolicy& p) { return p.reset_folds_backing; })) {
    // a live backing event is folded into the slot before the reset (<= 6.7)
    VmFixture f(era);
    VcpuPmu& v = f.add_vcpu(true);
    f.irq_and_init(v);
    BOOST_TEST(f.run(v) == 0);
    BOOST_TEST(msr(v, reg::PMCCNTR_EL0, 100));
    BOOST_TEST(v.backing(kCycleIdx).exists);
    ResetTrace trace;
    BOOST_TEST(f.reinit(v, 0, &trace) == 0);
    BOOST_TEST(trace.front().step == "kvm_pmu_vcpu_reset (fold live count, release)");
    BOOST_TEST(trace.front().reg == "PMCCNTR_EL0");
    BOOST_TEST(!v.backing(kCycleIdx).exists);
  }
  for (Era era : eras_where([](const EraPolicy& p) { return p.reset_requests_reload; })) {
    // reset requests a reload instead of folding (6.15+)
    VmFixture f(era);
    VcpuPmu& v = f.add_vcpu(true);
    ResetTrace trace;
    BOOST_TEST(f.reinit(v, 0, &trace) == 0);
    BOOST_TEST(trace.back().step == "kvm_make_request(KVM_REQ_RELOAD_PMU)");
    BOOST_TEST(v.reload_pending());
  }
}

BOOST_AUTO_TEST_CASE(no_host_pmu_means_einval) {
  for (Era era : kAllEras) {
    VmFixture f(era, HostPmus({cluster("a", {0}, 6, pmuver::kV3p1), cluster("b", {1}, 6, pmuver::kV3p4)}, {}));
    f.vcpus.push_back(std::make_unique<VcpuPmu>(f.vm, 0));
    BOOST_TEST(vcpu_init(*f.vcpus.back(), true, true, 0) == -EINVAL, era);
    BOOST_TEST(vcpu_init(*f.vcpus.back(), false, true, 0) == 0, era);
  }
}

// The VM's PMUVer: host limit if the first reset vCPU has a PMU, else 0; userspace may lower it.
BOOST_AUTO_TEST_CASE(vm_pmuver) {
  VmFixture f(Era::k6_7, homogeneous_host(6, pmuver::kV3p5));
  f.add_vcpu(true);
  BOOST_TEST(f.vm.pmuver() == pmuver::kV3p5);
  BOOST_TEST(f.vm.set_user_pmuver(pmuver::kV3p7) == -EINVAL);
  BOOST_TEST(f.vm.set_user_pmuver(pmuver::kV3p1) == 0);
  BOOST_TEST(f.vm.event_mask() == 0xffffu);
  BOOST_TEST(f.vm.set_user_pmuver(pmuver::kV3) == 0);
  BOOST_TEST(f.vm.event_mask() == 0x3ffu);
  BOOST_TEST(f.vm.set_user_pmuver(pmuver::kImpDef) == 0);
  BOOST_TEST(f.vm.pmuver() == 0);
  f.vm.mark_ran_once();
  BOOST_TEST(f.vm.set_user_pmuver(pmuver::kV3p1) == -EBUSY);
  VmFixture g(Era::k6_7);
  g.add_vcpu(false);
  BOOST_TEST(g.vm.pmuver() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
