// Era names and the policy table; the host side (arm_pmus, probing, PMUVer sanitising).
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include "vpmu_fixture.h"

namespace bdata = boost::unit_test::data;
using namespace vpmu_test;

BOOST_AUTO_TEST_SUITE(vpmu_era)

// The enum order is the table order (era.cpp also checks this with a static_assert).
BOOST_AUTO_TEST_CASE(enum_order_matches_table) {
  for (size_t i = 0; i < kAllEras.size(); ++i) {
    BOOST_TEST(static_cast<size_t>(kAllEras[i]) == i);
    BOOST_TEST((policy(kAllEras[i]).era == kAllEras[i]));
  }
  std::string all;
  for (Era e : kAllEras) all += std::string(all.empty() ? "" : ", ") + std::string(era_name(e)) +
                               (policy(e).alias.empty() ? "" : ", " + std::string(policy(e).alias));
  BOOST_TEST(known_era_names() == all);
}

BOOST_AUTO_TEST_CASE(names_round_trip) {
  BOOST_TEST(era_name(Era::k6_6) == "6.6");
  BOOST_TEST(era_name(Era::kV5) == "v5");
  BOOST_TEST(era_name(Era::k6_7) == "6.7");
  BOOST_TEST(era_name(Era::kNewest) == "6.16");
  for (Era e : kAllEras) BOOST_TEST((parse_era(era_name(e)) == e));
  BOOST_TEST((parse_era("newest") == Era::kNewest));
  BOOST_TEST(!parse_era("6.8").has_value());
  BOOST_TEST(!parse_era("").has_value());
}

BOOST_DATA_TEST_CASE(policy_table_is_indexed_by_era, bdata::make(kAllEras), era) {
  const EraPolicy& p = policy(era);
  BOOST_TEST((p.era == era));
  BOOST_TEST(!p.name.empty());
  BOOST_TEST(!p.source.empty());
  BOOST_TEST(!p.summary.empty());
  // N lives either in each vCPU's PMCR slot (6.6) or VM-wide in kvm->arch.pmcr_n, not both.
  BOOST_TEST(p.n_in_slot != p.vm_wide_n);
  BOOST_TEST(p.reset_pmcr != nullptr);
  BOOST_TEST(p.reset_bitmap != nullptr);
  BOOST_TEST(p.reset_pmevtyper != nullptr);
  BOOST_TEST(p.get_pmcr_user != nullptr);
  BOOST_TEST(p.set_pmcr_user != nullptr);
  BOOST_TEST(p.get_bitmap_user != nullptr);
  BOOST_TEST(p.set_bitmap_user != nullptr);
  BOOST_TEST(p.set_counter_user != nullptr);
  BOOST_TEST(p.evtyper_write_mask != nullptr);
  BOOST_TEST(p.reload != nullptr);
}

// One row per behaviour difference (spec 4.1): the facts the rest of the suite relies on.
BOOST_AUTO_TEST_CASE(behaviour_matrix) {
  BOOST_TEST(!policy(Era::k6_6).vm_wide_n);
  BOOST_TEST(policy(Era::kV5).vm_wide_n);
  BOOST_TEST(policy(Era::k6_7).vm_wide_n);
  BOOST_TEST(policy(Era::kNewest).vm_wide_n);
  BOOST_TEST((policy(Era::k6_6).default_pmu == DefaultPmuPoint::kFirstPmuAttr));
  BOOST_TEST((policy(Era::kV5).default_pmu == DefaultPmuPoint::kVcpuReset));
  BOOST_TEST((policy(Era::k6_7).default_pmu == DefaultPmuPoint::kFirstVcpuInit));
  BOOST_TEST((policy(Era::kNewest).default_pmu == DefaultPmuPoint::kFirstVcpuInit));
  BOOST_TEST(policy(Era::kNewest).has_set_nr_counters);
  BOOST_TEST(!policy(Era::k6_7).has_set_nr_counters);
  BOOST_TEST(!policy(Era::kNewest).overflow_needs_cnten);
  BOOST_TEST(policy(Era::k6_7).overflow_needs_cnten);
}

// What the 6.12.118 sources show (docs/kvm-model.md, "Which releases have a row"): 6.7's
// vPMU plus the backported overflow fix, the 6.8 ABI and 6.12's ID-register rules; 6.15 then
// carries every 6.15 fix and lacks only SET_NR_COUNTERS of 6.16.
BOOST_AUTO_TEST_CASE(lts_6_12_and_6_15_rows) {
  const EraPolicy &e67 = policy(Era::k6_7), &e612 = policy(Era::k6_12), &e615 = policy(Era::k6_15),
                  &e616 = policy(Era::kNewest);
  BOOST_TEST(!e612.overflow_needs_cnten);
  BOOST_TEST(e612.uapi_6_8);
  BOOST_TEST((e612.id_reg_writes == IdRegWrites::kFeatures6_12));
  BOOST_TEST((e67.id_reg_writes == IdRegWrites::kFeatures6_7));
  BOOST_TEST(e612.reset_folds_backing == e67.reset_folds_backing);
  BOOST_TEST(e612.first_run_requests_reload == e67.first_run_requests_reload);
  BOOST_TEST(e612.reload == e67.reload);
  BOOST_TEST(e612.set_bitmap_user == e67.set_bitmap_user);
  BOOST_TEST(e612.set_counter_user == e67.set_counter_user);
  BOOST_TEST(e612.set_pmcr_user == e67.set_pmcr_user);
  BOOST_TEST((e612.pmceid_source == e67.pmceid_source));
  BOOST_TEST(!e612.pmcr_e_via_reload);
  for (const auto& row : behaviour_rows())
    if (row.field != "has_set_nr_counters" && row.field != "reset_bitmap")
      BOOST_TEST(row.value(e615) == row.value(e616), row.field);
  BOOST_TEST(!e615.has_set_nr_counters);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(vpmu_host)

BOOST_AUTO_TEST_CASE(one_arm_pmu_per_cluster_in_cluster_order) {
  const HostPmus h = big_little_host(6, 4);
  BOOST_REQUIRE_EQUAL(h.arm_pmus().size(), 2u);
  BOOST_TEST(h.supports_pmu_v3());
  const ArmPmu& little = h.arm_pmus()[0];
  const ArmPmu& big = h.arm_pmus()[1];
  BOOST_TEST(little.type == kArmPmuTypeBase + 0);
  BOOST_TEST(big.type == kArmPmuTypeBase + 1);
  BOOST_TEST(little.name == "armv8_little");
  BOOST_TEST(little.num_events == 7u);  // N + 1: includes the cycle counter
  BOOST_TEST(big.num_events == 5u);
  BOOST_TEST(little.max_counters() == 6);
  BOOST_TEST((big.supported_cpus == std::vector<uint32_t>{4, 5, 6, 7}));
  BOOST_TEST(h.pmuver_limit() == pmuver::kV3p1);
}

BOOST_AUTO_TEST_CASE(probe_returns_the_pmu_covering_the_calling_cpu) {
  const HostPmus h = big_little_host();
  for (uint32_t cpu = 0; cpu < 8; ++cpu) {
    const ArmPmu* p = h.probe(cpu);
    BOOST_REQUIRE(p != nullptr);
    BOOST_TEST(p->type == (cpu < 4 ? 8u : 9u));
  }
  BOOST_TEST(h.probe(8) == nullptr);
  BOOST_TEST(h.find_by_type(9) == &h.arm_pmus()[1]);
  BOOST_TEST(h.find_by_type(10) == nullptr);
  BOOST_TEST(h.physical(5)->num_counters == 4u);
  BOOST_TEST(h.arm_pmu_of(2) == &h.arm_pmus()[0]);
}

// ID_AA64DFR0_EL1.PMUVer is FTR_EXACT (safe value 0): clusters that disagree on PMUVer
// sanitise to 0 and kvm_host_pmu_init() registers no PMU at all.
BOOST_AUTO_TEST_CASE(mismatched_pmuver_registers_nothing) {
  const HostPmus h({cluster("a", {0, 1}, 6, pmuver::kV3p1), cluster("b", {2, 3}, 6, pmuver::kV3p4)}, {});
  BOOST_TEST(h.pmuver_limit() == 0);
  BOOST_TEST(!h.supports_pmu_v3());
  BOOST_TEST(h.arm_pmus().empty());
  BOOST_TEST(h.probe(0) == nullptr);
  BOOST_TEST(h.physical(2)->num_counters == 6u);  // the physical PMU is still there
}

BOOST_AUTO_TEST_CASE(pmuver_limit_is_capped_and_imp_def_is_none) {
  BOOST_TEST(HostPmus({cluster("a", {0}, 6, pmuver::kV3p7)}, {}).pmuver_limit() == pmuver::kV3p5);
  BOOST_TEST(HostPmus({cluster("a", {0}, 6, pmuver::kImpDef)}, {}).pmuver_limit() == 0);
  BOOST_TEST(!HostPmus({cluster("a", {0}, 6, 0)}, {}).supports_pmu_v3());
}

BOOST_AUTO_TEST_CASE(bad_host_descriptions_throw) {
  BOOST_CHECK_THROW(HostPmus({cluster("a", {0, 1}, 6), cluster("b", {1}, 6)}, {}), std::invalid_argument);
  BOOST_CHECK_THROW(HostPmus({cluster("a", {0}, 32)}, {}), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
