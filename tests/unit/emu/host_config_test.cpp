// Shipped host files and the override mechanism: pCPU numbering, per-cluster values, PMCEID.
#include "emu/config/host_config.h"

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "emu/common/errors.h"
#include "pmu/events.h"
#include "test_paths.h"

namespace cfg = pmuemu::config;
namespace ev = pmu::event;
using pmuemu::test::configs_dir;
using pmuemu::test::test_data_dir;

namespace {

bool has_bit(uint64_t reg, unsigned bit) { return ((reg >> bit) & 1) != 0; }

cfg::CoreType catalogue(const char* name) { return cfg::load_core(cfg::default_cores_dir(), name); }

}  // namespace

BOOST_AUTO_TEST_SUITE(config_host)

BOOST_AUTO_TEST_CASE(every_shipped_host_file_loads) {
  int hosts = 0;
  for (const auto& entry : std::filesystem::directory_iterator(configs_dir())) {
    if (entry.path().extension() != ".yaml") continue;
    BOOST_TEST_CONTEXT(entry.path().string()) {
      const auto host = cfg::load_host_file(entry.path());
      BOOST_TEST(!host.name.empty());
      BOOST_TEST(host.num_pcpus() >= 1u);
      BOOST_TEST(host.name == entry.path().stem().string());  // convention: name = file stem
      ++hosts;
    }
  }
  BOOST_TEST(hosts == 4);
}

// The optional host-side PMU keys of the KVM eras after 6.16: absent, they take their
// documented defaults; given, they land on their cluster (or the host) only.
BOOST_AUTO_TEST_CASE(next_era_keys_default_and_apply_per_cluster) {
  const auto plain = cfg::load_host_file(configs_dir() / "big-little.yaml");
  BOOST_TEST(plain.vhe);
  for (const auto& c : plain.clusters) {
    BOOST_TEST(c.reserved_host_counters == 0u);
    BOOST_TEST(!c.feat_hpmn0);
    BOOST_TEST(c.pmmir_slots == 0u);
  }
  const auto host = cfg::parse_host(
      "name: x\nvhe: false\nclusters:\n"
      "  - { core: cortex-a55, cpus: 2, pmmir_slots: 3 }\n"
      "  - { core: cortex-a76, cpus: 2, pmu: { counters: 6 }, reserved_host_counters: 6, feat_hpmn0: true }\n",
      "x.yaml", cfg::default_cores_dir());
  BOOST_TEST(!host.vhe);
  BOOST_TEST(host.clusters[0].pmmir_slots == 3u);
  BOOST_TEST(host.clusters[0].reserved_host_counters == 0u);
  BOOST_TEST(!host.clusters[0].feat_hpmn0);
  BOOST_TEST(host.clusters[1].pmmir_slots == 0u);
  BOOST_TEST(host.clusters[1].reserved_host_counters == 6u);
  BOOST_TEST(host.clusters[1].feat_hpmn0);
  BOOST_TEST(host.clusters[1].core.pmu_counters == 6u);  // the core keys still apply
}

BOOST_AUTO_TEST_CASE(big_little_numbers_pcpus_in_cluster_order_with_different_n) {
  const auto host = cfg::load_host_file(configs_dir() / "big-little.yaml");
  BOOST_TEST(host.name == "big-little");
  BOOST_TEST(host.file == (configs_dir() / "big-little.yaml").string());
  BOOST_TEST_REQUIRE(host.clusters.size() == 2u);
  BOOST_TEST(host.num_pcpus() == 8u);

  const auto& little = host.clusters[0];
  const auto& big = host.clusters[1];
  BOOST_TEST(little.core.name == "cortex-a55");
  BOOST_TEST(little.cpus == 4u);
  BOOST_TEST(little.first_pcpu == 0u);
  BOOST_TEST(little.core.pmu_counters == 4u);  // overridden from the catalogue's 6
  BOOST_TEST(big.core.name == "cortex-a76");
  BOOST_TEST(big.first_pcpu == 4u);
  BOOST_TEST(big.core.pmu_counters == 6u);
  BOOST_TEST(little.core.midr == 0x412fd050u);
  BOOST_TEST(big.core.midr == 0x414fd0b1u);
  BOOST_TEST(little.core.pmuver == 4);

  for (uint32_t p = 0; p < 8; ++p) {
    BOOST_TEST_CONTEXT("pCPU " << p) {
      BOOST_TEST(host.cluster_index_of(p) == (p < 4 ? 0u : 1u));
      BOOST_TEST(&host.cluster_of(p) == &host.clusters[p < 4 ? 0 : 1]);
    }
  }
  BOOST_CHECK_THROW(host.cluster_of(8), std::out_of_range);
  BOOST_CHECK_THROW(host.cluster_index_of(0xffffffffu), std::out_of_range);

  // The override touches PMCR_EL0.N only; everything else is the catalogue entry.
  auto expected_little = catalogue("cortex-a55");
  BOOST_TEST(expected_little.pmu_counters == 6u);
  expected_little.pmu_counters = 4;
  BOOST_TEST((little.core == expected_little));
  BOOST_TEST((big.core == catalogue("cortex-a76")));
}

BOOST_AUTO_TEST_CASE(pmceid_reflects_each_cores_event_list) {
  const auto host = cfg::load_host_file(configs_dir() / "big-little.yaml");
  const auto& a55 = host.clusters[0].core;
  const auto& a76 = host.clusters[1].core;
  // Computed by hand from the two event lists (PMCEID0 bit n = event n, PMCEID1 bit n = 0x20+n).
  BOOST_TEST(a55.pmceid0 == 0x4adf07dbu);
  BOOST_TEST(a55.pmceid1 == 0x1eu);
  BOOST_TEST(a76.pmceid0 == 0x4adf071bu);
  BOOST_TEST(a76.pmceid1 == 0x1eu);
  BOOST_TEST(has_bit(a55.pmceid0, ev::LD_RETIRED));
  BOOST_TEST(!has_bit(a76.pmceid0, ev::LD_RETIRED));
  BOOST_TEST(has_bit(a76.pmceid0, ev::CPU_CYCLES));
  BOOST_TEST(has_bit(a76.pmceid0, ev::CHAIN));
  BOOST_TEST(has_bit(a76.pmceid1, ev::STALL_BACKEND - 0x20));
  BOOST_TEST(!has_bit(a76.pmceid0, ev::L1D_TLB_REFILL));  // implemented by the core, not counted
}

BOOST_AUTO_TEST_CASE(server_n1_is_homogeneous) {
  const auto host = cfg::load_host_file(configs_dir() / "server-n1.yaml");
  BOOST_TEST_REQUIRE(host.clusters.size() == 1u);
  BOOST_TEST(host.num_pcpus() == 8u);
  BOOST_TEST(host.clusters[0].core.name == "neoverse-n1");
  BOOST_TEST(host.clusters[0].core.pmu_counters == 6u);
  BOOST_TEST(host.cluster_index_of(7) == 0u);
}

BOOST_AUTO_TEST_CASE(phone_has_three_clusters_1_3_4) {
  const auto host = cfg::load_host_file(configs_dir() / "phone-3cluster.yaml");
  BOOST_TEST_REQUIRE(host.clusters.size() == 3u);
  BOOST_TEST(host.clusters[0].core.name == "cortex-x1");
  BOOST_TEST(host.clusters[1].core.name == "cortex-a78");
  BOOST_TEST(host.clusters[2].core.name == "cortex-a55");
  BOOST_TEST(host.clusters[0].first_pcpu == 0u);
  BOOST_TEST(host.clusters[1].first_pcpu == 1u);
  BOOST_TEST(host.clusters[2].first_pcpu == 4u);
  BOOST_TEST(host.num_pcpus() == 8u);
  const uint32_t expected_cluster[] = {0, 1, 1, 1, 2, 2, 2, 2};
  for (uint32_t p = 0; p < 8; ++p) BOOST_TEST(host.cluster_index_of(p) == expected_cluster[p]);
}

BOOST_AUTO_TEST_CASE(small_4ctr_has_four_counters) {
  const auto host = cfg::load_host_file(configs_dir() / "small-4ctr.yaml");
  BOOST_TEST_REQUIRE(host.clusters.size() == 1u);
  BOOST_TEST(host.num_pcpus() == 4u);
  BOOST_TEST(host.clusters[0].core.pmu_counters == 4u);
}

BOOST_AUTO_TEST_CASE(every_kind_of_override_applies_to_its_cluster_only) {
  const auto host = cfg::load_host_file(test_data_dir() / "configs" / "overrides.yaml");
  BOOST_TEST_REQUIRE(host.clusters.size() == 2u);
  const auto& c0 = host.clusters[0].core;
  BOOST_TEST(c0.midr == 0x410fd055u);
  BOOST_TEST(c0.pmu_version == "3.4");
  BOOST_TEST(c0.pmuver == 5);
  BOOST_TEST(c0.pmu_counters == 31u);
  const std::vector<uint16_t> events{ev::SW_INCR, ev::INST_RETIRED, ev::CPU_CYCLES, ev::INST_SPEC};
  BOOST_TEST(c0.pmu_events == events, boost::test_tools::per_element());
  BOOST_TEST(c0.pmceid0 == ((1u << 0x00) | (1u << 0x08) | (1u << 0x11) | (1u << 0x1b)));
  BOOST_TEST(c0.pmceid1 == 0u);
  BOOST_TEST(c0.timing.l1d.size_kib == 64u);
  BOOST_TEST(c0.timing.l1d.ways == catalogue("cortex-a55").timing.l1d.ways);  // sibling keys kept
  BOOST_TEST(c0.timing.branch_predictor.kind == "tage");

  const auto& c1 = host.clusters[1].core;
  BOOST_TEST(c1.timing.rob_entries == 10u);  // "010" is decimal
  BOOST_TEST(c1.timing.frequency_mhz == 2000u);
  BOOST_TEST(c1.pmu_counters == 6u);
  BOOST_TEST(host.clusters[1].first_pcpu == 2u);
}

BOOST_AUTO_TEST_CASE(a_host_directory_with_cores_uses_its_own_catalogue) {
  const auto host = cfg::load_host_file(test_data_dir() / "configs" / "local-cores" / "host.yaml");
  BOOST_TEST_REQUIRE(host.clusters.size() == 1u);
  BOOST_TEST(host.clusters[0].core.name == "tiny-core");
  BOOST_TEST(host.clusters[0].core.pmu_version == "3.7");
  BOOST_TEST(host.clusters[0].core.pmuver == 7);
  // ...and that catalogue replaces the default one rather than adding to it.
  BOOST_CHECK_THROW(cfg::parse_host("name: x\nclusters: [{core: cortex-a55, cpus: 1}]\n", "x.yaml",
                                    test_data_dir() / "configs" / "local-cores" / "cores"),
                    pmuemu::InputError);
}

BOOST_AUTO_TEST_CASE(parse_host_and_load_host_file_agree) {
  const auto file = configs_dir() / "phone-3cluster.yaml";
  const auto a = cfg::load_host_file(file);
  const auto b = cfg::parse_host(
      "name: phone-3cluster\n"
      "clusters:\n"
      "  - { core: cortex-x1, cpus: 1 }\n"
      "  - { core: cortex-a78, cpus: 3 }\n"
      "  - { core: cortex-a55, cpus: 4 }\n",
      "inline", cfg::default_cores_dir());
  BOOST_TEST(a.name == b.name);
  BOOST_TEST((a.clusters == b.clusters));
  BOOST_TEST(b.file == "inline");
}

BOOST_AUTO_TEST_CASE(pcpu_limit_is_inclusive) {
  const auto host = cfg::parse_host(
      "name: big\nclusters:\n  - { core: cortex-a55, cpus: 200 }\n  - { core: cortex-a76, cpus: 56 "
      "}\n",
      "big.yaml", cfg::default_cores_dir());
  BOOST_TEST(host.num_pcpus() == cfg::kMaxPcpus);
  BOOST_TEST(host.cluster_index_of(255) == 1u);
}

BOOST_AUTO_TEST_CASE(describe_host_lists_every_pcpu_deterministically) {
  const auto host = cfg::load_host_file(configs_dir() / "big-little.yaml");
  const std::string text = cfg::describe_host(host);
  BOOST_TEST(text == cfg::describe_host(host));
  BOOST_TEST(text.find("host big-little") == 0u);
  BOOST_TEST(text.find("8 pCPUs in 2 clusters") != std::string::npos);
  BOOST_TEST(text.find("0x412fd050") != std::string::npos);
  BOOST_TEST(text.find("0x000000004adf07db") != std::string::npos);  // PMCEID0 of the A55
  BOOST_TEST(text.find("0: 4 x cortex-a55, pCPUs 0-3, PMUv3.1 N=4") != std::string::npos);
  BOOST_TEST(text.find("1: 4 x cortex-a76, pCPUs 4-7, PMUv3.1 N=6") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
