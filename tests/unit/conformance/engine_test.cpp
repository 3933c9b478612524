// The vpmu_counter_access engine against what Linux's own selftest sees on a real kernel of
// each era, derived here from the kernel's documented behaviour rather than from the engine:
//
//   6.7: PMCR_EL0.N is writable by userspace up to the host's counters and ignored above
//        them; the PM{CNTEN,INTEN,OVS}{SET,CLR} bitmaps are masked to the implemented
//        counters; so every row passes.
//   6.6: the ONE_REG write of PMCR_EL0 stores the value as given (N included, above the
//        maximum too), the bitmaps reset to the UNKNOWN pattern 0x1de7ec7edbadc0de masked
//        with the host's counters (cycle counter, bits 0..N_host-1) and are stored unmasked
//        by SET_ONE_REG, and a vCPU re-init resets PMCR_EL0.N to the host's.
#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "emu/config/host_config.h"
#include "emu/conformance/vpmu_counter_access.h"

using namespace pmuemu;
using namespace pmuemu::conformance;

namespace {

constexpr unsigned kMaxCounters = 32;  // PMCR_EL0.N is 5 bits; counter 31 is the cycle counter
constexpr uint64_t kResetUnknown = 0x1de7ec7edbadc0deull;  // Linux's reset_unknown() pattern

const config::Host& host_file(const std::string& name) {
  static std::map<std::string, config::Host> hosts;
  auto it = hosts.find(name);
  if (it == hosts.end())
    it = hosts.emplace(name, config::load_host_file(std::string(PMUEMU_SOURCE_DIR) + "/configs/" + name + ".yaml")).first;
  return it->second;
}

std::string guest_elf() {
  const std::string g = PMUEMU_VPMU_GUEST;
  BOOST_REQUIRE_MESSAGE(!g.empty(), "the guest vpmu_counter_access.elf is not built (configure with PMUEMU_BUILD_GUESTS=ON)");
  BOOST_REQUIRE_MESSAGE(std::filesystem::exists(g), g << ": the guest ELF is missing; build target guest_vpmu_counter_access");
  return g;
}

std::vector<Case> run(const std::string& host, const std::string& era, uint32_t pcpu) {
  const auto e = kvm_model::vpmu::parse_era(era);
  BOOST_REQUIRE_MESSAGE(e.has_value(), "era " << era);
  Target t{&host_file(host), *e, era, guest_elf(), pcpu};
  std::vector<Case> rows;
  run_vpmu_counter_access(t, [&](const Case& c) { rows.push_back(c); });
  return rows;
}

uint64_t counters_mask(unsigned n) { return (uint64_t{1} << 31) | ((uint64_t{1} << n) - 1); }

// The table's order (the header's contract): max-n; per N <= max set-pmcr-n, access-run1,
// access-run2, pmregs-validity; error for every N above max up to 31.
void check_layout(const std::vector<Case>& rows, unsigned max) {
  std::vector<std::pair<unsigned, std::string>> want{{max, "max-n"}};
  for (unsigned n = 0; n <= max; ++n)
    for (const char* name : {"set-pmcr-n", "access-run1", "access-run2", "pmregs-validity"}) want.emplace_back(n, name);
  for (unsigned n = max + 1; n < kMaxCounters; ++n) want.emplace_back(n, "error");
  BOOST_REQUIRE_EQUAL(rows.size(), want.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    BOOST_TEST(rows[i].n == want[i].first, "row " << i);
    BOOST_TEST(rows[i].name == want[i].second, "row " << i);
    BOOST_TEST(!rows[i].expected.empty(), "row " << i);
  }
}

bool starts_with(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

}  // namespace

BOOST_AUTO_TEST_SUITE(cluster)

BOOST_AUTO_TEST_CASE(cluster_of_big_little) {
  const config::Host& h = host_file("big-little");  // 4 x Cortex-A55 (4 counters), 4 x Cortex-A76 (6)
  for (uint32_t pcpu = 0; pcpu < 8; ++pcpu) {
    const ClusterInfo c = cluster_of(h, pcpu);
    BOOST_TEST(c.index == (pcpu < 4 ? 0u : 1u), "pCPU " << pcpu);
    BOOST_TEST(c.core == (pcpu < 4 ? "cortex-a55" : "cortex-a76"), "pCPU " << pcpu);
    BOOST_TEST(c.max_n == (pcpu < 4 ? 4u : 6u), "pCPU " << pcpu);
  }
}

BOOST_AUTO_TEST_CASE(cluster_of_three_clusters) {
  const config::Host& h = host_file("phone-3cluster");  // 1 x X1, 3 x A78, 4 x A55
  const std::vector<uint32_t> index{0, 1, 1, 1, 2, 2, 2, 2};
  for (uint32_t pcpu = 0; pcpu < 8; ++pcpu) {
    const ClusterInfo c = cluster_of(h, pcpu);
    BOOST_TEST(c.index == index[pcpu], "pCPU " << pcpu);
    BOOST_TEST(c.core == h.clusters[index[pcpu]].core.name);
    BOOST_TEST(c.max_n == h.clusters[index[pcpu]].core.pmu_counters);
  }
  BOOST_TEST(cluster_of(h, 0).core == "cortex-x1");
  BOOST_TEST(cluster_of(h, 1).core == "cortex-a78");
  BOOST_TEST(cluster_of(h, 7).core == "cortex-a55");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(engine)

// 6.7 on the LITTLE cluster of big-little (N = 4): every row passes.
BOOST_AUTO_TEST_CASE(era_6_7_big_little_little_cluster_passes_everything) {
  const auto rows = run("big-little", "6.7", 0);
  check_layout(rows, 4);
  for (const Case& c : rows) {
    BOOST_TEST(c.pass, c.name << " N=" << c.n << ": " << c.detail);
    // KVM serves ID_AA64DFR0_EL1 through GET_ONE_REG (the ID registers are userspace-visible
    // since Linux 4.x), so the PMUVer check never has to read the VM's value instead.
    BOOST_TEST(!c.dfr0_fallback, c.name << " N=" << c.n);
  }
  // The access rows come from one guest run that reported both.
  BOOST_TEST(rows[2].name == "access-run1");
  BOOST_TEST(rows[2].guest_output.find("vpmu_counter_access: run 1: pass") != std::string::npos);
  BOOST_TEST(rows[2].guest_output.find("vpmu_counter_access: run 2: pass") != std::string::npos);
}

// 6.7 from a big core: the maximum follows the VMM's pCPU (6 counters), not the host's first cluster.
BOOST_AUTO_TEST_CASE(era_6_7_big_cluster_maximum_is_six) {
  const auto rows = run("big-little", "6.7", 4);
  check_layout(rows, 6);
  for (const Case& c : rows) BOOST_TEST(c.pass, c.name << " N=" << c.n << ": " << c.detail);
}

// 6.6 on the LITTLE cluster (N_host = 4): the failures Linux 6.6 really shows.
BOOST_AUTO_TEST_CASE(era_6_6_big_little_fails_as_linux_6_6) {
  const unsigned host_n = 4;
  const auto rows = run("big-little", "6.6", 0);
  check_layout(rows, host_n);
  const uint64_t reset_bitmap = kResetUnknown & counters_mask(host_n);  // 0x8000000e
  for (const Case& c : rows) {
    const std::string what = c.name + " N=" + std::to_string(c.n) + ": " + c.detail;
    if (c.name == "max-n" || c.name == "set-pmcr-n") {
      BOOST_TEST(c.pass, what);  // a fresh VM shows the host's N; an N up to it reads back
    } else if (c.name == "access-run1") {
      // The guest checks the reset bitmaps against its N: they fit only if the reset pattern
      // has no bit between N and the host's maximum.
      const bool fits = (reset_bitmap & ~counters_mask(c.n)) == 0;
      BOOST_TEST(c.pass == fits, what);
      if (!fits) BOOST_TEST(starts_with(c.detail, "G3"), what);
    } else if (c.name == "access-run2") {
      // The re-init put N back to the host's: only N = N_host still matches.
      BOOST_TEST(c.pass == (c.n == host_n), what);
      if (c.n != host_n) BOOST_TEST(starts_with(c.detail, "G2"), what);
    } else if (c.name == "pmregs-validity") {
      // Step 1 (bitmaps at creation) fails where the reset pattern exceeds N; otherwise step 4
      // (SET 0xffffffff is stored unmasked) fails for every N < 31.
      const bool step1 = (reset_bitmap & ~counters_mask(c.n)) != 0;
      BOOST_TEST(!c.pass, what);
      BOOST_TEST(starts_with(c.detail, step1 ? "step1" : "step4"), what);
    } else if (c.name == "error") {
      // SET succeeds and, unlike 6.7, the N above the maximum is stored: the readback changed.
      BOOST_TEST(!c.pass, what);
      BOOST_TEST(starts_with(c.detail, "readback"), what);
    } else {
      BOOST_FAIL("unexpected row " << what);
    }
  }
}

// The error rows in 6.7: SET_ONE_REG of an N above the maximum succeeds and PMCR_EL0 keeps its
// value, N included (the detail records the GET/SET/GET values, whose N fields are checked here).
BOOST_AUTO_TEST_CASE(era_6_7_error_rows_keep_pmcr) {
  const auto rows = run("big-little", "6.7", 0);
  std::set<unsigned> seen;
  for (const Case& c : rows) {
    if (c.name != "error") continue;
    seen.insert(c.n);
    BOOST_TEST(c.pass, c.n << ": " << c.detail);
    unsigned long long orig = 0, set = 0, reads = 0;
    BOOST_REQUIRE_MESSAGE(std::sscanf(c.detail.c_str(), "PMCR_EL0 %llx, SET %llx, reads %llx", &orig, &set, &reads) == 3,
                          c.detail);
    BOOST_TEST(((set >> 11) & 0x1f) == c.n);
    BOOST_TEST(reads == orig);
    BOOST_TEST(((reads >> 11) & 0x1f) == 4u);
  }
  BOOST_TEST(seen.size() == kMaxCounters - 5);  // N = 5 .. 31
}

BOOST_AUTO_TEST_CASE(missing_guest_is_a_host_error) {
  Target t{&host_file("big-little"), kvm_model::vpmu::Era::k6_7, "6.7", "/nonexistent/vpmu_counter_access.elf", 0};
  std::vector<Case> rows;
  BOOST_CHECK_EXCEPTION(run_vpmu_counter_access(t, [&](const Case& c) { rows.push_back(c); }), std::exception,
                        [](const std::exception& e) {
                          return std::string(e.what()).find("/nonexistent/vpmu_counter_access.elf") != std::string::npos;
                        });
}

BOOST_AUTO_TEST_SUITE_END()
