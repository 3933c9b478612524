// The era cases on every shipped host and on a host with the facts the eras after 6.16 read:
// each era has exactly the cases its policy fields define (never decided by the era's
// identity), and every case passes.
#include <boost/test/unit_test.hpp>

#include <set>
#include <string>
#include <vector>

#include "emu/config/host_config.h"
#include "emu/conformance/era_cases.h"
#include "kvm_model/vpmu/era.h"

using namespace pmuemu;
namespace vp = kvm_model::vpmu;

namespace {

const std::vector<std::string> kHosts{"configs/big-little.yaml", "configs/server-n1.yaml", "configs/small-4ctr.yaml",
                                      "configs/phone-3cluster.yaml", "tests/conformance/big-little-next.yaml"};

std::set<std::string> with_prefix(const std::vector<conformance::EraCase>& cs, const std::string& p) {
  std::set<std::string> out;
  for (const auto& c : cs)
    if (c.name.rfind(p, 0) == 0) out.insert(c.name);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(era_cases_follow_the_policy_and_pass) {
  for (const std::string& file : kHosts) {
    const config::Host host = config::load_host_file(std::string(PMUEMU_SOURCE_DIR) + "/" + file);
    for (const auto& cl : host.clusters) {
      for (vp::Era era : vp::kAllEras) {
        const vp::EraPolicy& pol = vp::policy(era);
        const auto cases = conformance::run_era_cases(host, era, cl.first_pcpu);
        const std::string where = file + " pCPU " + std::to_string(cl.first_pcpu) + " KVM " + std::string(vp::era_name(era));
        for (const auto& c : cases) BOOST_TEST(c.pass, where << " " << c.name << ": " << c.detail);
        const std::set<std::string> strict{"strict-n-writes", "strict-pmmir", "strict-set-pmu"};
        BOOST_TEST((with_prefix(cases, "strict-") == (pol.has_pmu_v3_strict ? strict : std::set<std::string>{})),
                   where);
        const std::set<std::string> fixed{"fixed-cycle-only", "fixed-exclusive"};
        BOOST_TEST((with_prefix(cases, "fixed-") ==
                    (pol.attr5 == vp::Attr5::kFixedCountersOnly ? fixed : std::set<std::string>{})),
                   where);
        const auto part = with_prefix(cases, "partition-");
        if (pol.attr5 == vp::Attr5::kEnablePartition) {
          BOOST_TEST(part.count("partition-hpmn"), where);
          BOOST_TEST(part.count("partition-hpmn0"), where);
          // The guest rows need VHE and at least one guest counter.
          const bool guest_rows = host.vhe && cl.core.pmu_counters > cl.reserved_host_counters;
          BOOST_TEST(part.count("partition-untrapped") == (guest_rows ? 1u : 0u), where);
        } else {
          BOOST_TEST(part.empty(), where);
        }
        BOOST_TEST(with_prefix(cases, "attr5-unknown").size() ==
                       (pol.attr5 == vp::Attr5::kNone && pol.has_set_nr_counters ? 1u : 0u),
                   where);
      }
    }
  }
}
