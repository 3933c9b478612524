// Reset values per era (spec 1.2, 2.4, 2.5) and the reset trace.
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include "vpmu_fixture.h"

namespace bdata = boost::unit_test::data;
using namespace vpmu_test;

namespace {

struct ResetCase {
  Era era;
  uint64_t pmcr_slot;   // raw slot after reset
  uint64_t pmcr_user;   // GET_ONE_REG(PMCR_EL0)
  uint64_t bitmap;      // PMCNTENSET / PMINTENSET / PMOVSSET slot
  uint64_t pmevtyper;   // PMEVTYPER<n> slot (host: EL2 yes, EL3 no)
};
std::ostream& operator<<(std::ostream& os, const ResetCase& c) { return os << c.era; }

// Host: one cluster, N=6, PMUv3p1, no AArch32 EL0 (LC RES1).
const ResetCase kResetCases[] = {
    {Era::k6_6, 0x3040, 0x3040, 0x8000001E, 0xC800C0DE},
    {Era::kV5, 0x3040, 0x3040, 0, 0xC800C0DE},
    {Era::k6_7, 0x0040, 0x3040, 0x8000001E, 0xC800C0DE},
    {Era::kNewest, 0x0040, 0x3040, 0x8000001E, 0xC800C0DE},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(vpmu_reset)

BOOST_DATA_TEST_CASE(reset_values, bdata::make(kResetCases), c) {
  VmFixture f(c.era);
  VcpuPmu& v = f.add_vcpu(true);
  uint64_t out = 0;
  BOOST_TEST(v.reg(Slot::PMCR_EL0) == c.pmcr_slot);
  BOOST_TEST(get_one_reg(v, id_of(reg::PMCR_EL0), out) == 0);
  BOOST_TEST(out == c.pmcr_user);
  BOOST_TEST(v.reg(Slot::PMCNTENSET_EL0) == c.bitmap);
  BOOST_TEST(v.reg(Slot::PMINTENSET_EL1) == c.bitmap);
  BOOST_TEST(v.reg(Slot::PMOVSSET_EL0) == c.bitmap);
  BOOST_TEST(v.reg(Slot::PMSELR_EL0) == 0x1eu);
  BOOST_TEST(v.reg(Slot::PMCCNTR_EL0) == kUnknownPattern);
  BOOST_TEST(v.reg(Slot::PMUSERENR_EL0) == 0u);
  BOOST_TEST(v.reg(Slot::PMCCFILTR_EL0) == 0u);
  for (unsigned n = 0; n < 31; ++n) {
    BOOST_TEST(v.reg(evcntr_slot(n)) == 0xdbadc0deu);
    BOOST_TEST(v.reg(evtyper_slot(n)) == c.pmevtyper);
  }
  // Guest view of PMCR: N=6, LC, P/C read as 0.
  BOOST_TEST(*mrs(v, reg::PMCR_EL0) == 0x3040u);
}

// 6.7+: kvm_pmu_evtyper_mask() follows the VM's ID_AA64PFR0_EL1.EL2/EL3 (spec 1.6).
BOOST_DATA_TEST_CASE(pmevtyper_reset_follows_el2_el3, bdata::make({Era::k6_7, Era::kNewest}), era) {
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
  const bool untouched = era == Era::k6_7 || era == Era::kNewest;
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
  const uint8_t expect_b = era == Era::k6_6 ? 4 : 6;
  BOOST_TEST(a.n() == 6);
  BOOST_TEST(b.n() == expect_b);
  if (era == Era::k6_6) BOOST_TEST(b.reg(Slot::PMCNTENSET_EL0) == 0x8000000Eu);
}

// The N a VMM wrote survives a vCPU reset only from 6.7 on (spec 4.2).
BOOST_DATA_TEST_CASE(pmcr_n_survives_reset, bdata::make(kAllEras), era) {
  VmFixture f(era);
  VcpuPmu& v = f.add_vcpu(true);
  BOOST_TEST(set_one_reg(v, id_of(reg::PMCR_EL0), pmcr::with_n(0, 3)) == 0);
  BOOST_TEST(v.n() == 3);
  BOOST_TEST(f.reinit(v) == 0);
  BOOST_TEST(v.n() == (era == Era::k6_6 ? 6 : 3));
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
  {  // v5: the default PMU is chosen in the reset
    VmFixture f(Era::kV5);
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
  {  // 6.7: a live backing event is folded into the slot before the reset
    VmFixture f(Era::k6_7);
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
  {  // 6.16: reset requests a reload instead of folding
    VmFixture f(Era::kNewest);
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
  BOOST_TEST(f.vm.set_user_pmuver(pmuver::kImp) == 0);
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
