// The host's vPMU check (no_vpmu_reason): the answer of the KVM model's own host PMU set-up,
// put in words. A host whose clusters all have one PMU version gets a vPMU; mixed versions
// sanitise ID_AA64DFR0_EL1.PMUVer to 0 and KVM registers no host PMU.
#include <boost/test/unit_test.hpp>

#include <string>

#include "emu/config/host_config.h"
#include "emu/vmm/host_check.h"

namespace cfg = pmuemu::config;
namespace vm = pmuemu::vmm;

namespace {

const std::string kSource = PMUEMU_SOURCE_DIR;

cfg::Host host_of(const std::string& clusters) {
  return cfg::parse_host("name: h\nclusters:\n" + clusters, "h.yaml", kSource + "/configs/cores");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(host_check)

BOOST_AUTO_TEST_CASE(every_shipped_host_offers_a_vpmu) {
  for (const char* f : {"big-little.yaml", "phone-3cluster.yaml", "server-n1.yaml", "small-4ctr.yaml"}) {
    const cfg::Host h = cfg::load_host_file(kSource + "/configs/" + f);
    BOOST_TEST(vm::no_vpmu_reason(h).empty(), f << ": " << vm::no_vpmu_reason(h));
  }
}

BOOST_AUTO_TEST_CASE(one_pmu_version_on_two_core_types_offers_a_vpmu) {
  // Cortex-A55 and Cortex-A76 both implement PMUv3.1.
  const cfg::Host h = host_of("  - { core: cortex-a55, cpus: 2 }\n  - { core: cortex-a76, cpus: 2 }\n");
  BOOST_TEST(vm::no_vpmu_reason(h) == "");
}

BOOST_AUTO_TEST_CASE(mixed_pmu_versions_name_every_cluster_and_the_reason) {
  const cfg::Host h = host_of("  - { core: cortex-a53, cpus: 2 }\n  - { core: cortex-a76, cpus: 2 }\n");
  const std::string why = vm::no_vpmu_reason(h);
  BOOST_TEST(why.find("host 'h' has clusters with different PMU versions") == 0u, why);
  BOOST_TEST(why.find("cluster 0 cortex-a53 PMUv3.0") != std::string::npos, why);
  BOOST_TEST(why.find("cluster 1 cortex-a76 PMUv3.1") != std::string::npos, why);
  BOOST_TEST(why.find("KVM_CAP_ARM_PMU_V3 absent") != std::string::npos, why);
}

BOOST_AUTO_TEST_CASE(the_order_of_the_clusters_does_not_change_the_answer) {
  const cfg::Host a = host_of("  - { core: cortex-a53, cpus: 1 }\n  - { core: cortex-a76, cpus: 1 }\n");
  const cfg::Host b = host_of("  - { core: cortex-a76, cpus: 1 }\n  - { core: cortex-a53, cpus: 1 }\n");
  BOOST_TEST(!vm::no_vpmu_reason(a).empty());
  BOOST_TEST(!vm::no_vpmu_reason(b).empty());
}

BOOST_AUTO_TEST_SUITE_END()
