// Bad host and core files: each must produce exactly one InputError line that names the
// file, the line, the key path and the problem, and nothing else (no crash, no partial Host).
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <functional>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "emu/common/errors.h"
#include "emu/config/host_config.h"
#include "test_paths.h"

namespace cfg = pmuemu::config;
namespace bdata = boost::unit_test::data;
using pmuemu::test::test_data_dir;

namespace {

struct BadCase {
  const char* name;
  const char* yaml;
  std::vector<std::string> fragments;  // all must appear in the message
};

std::ostream& operator<<(std::ostream& os, const BadCase& c) { return os << c.name; }

// One line per problem class from the loader contract. The file name is always "bad.yaml".
const std::vector<BadCase> kBadHosts = {
    {"malformed_yaml_reports_its_line",
     "name: x\nclusters:\n  - { core: cortex-a55, cpus: 4 }\n  - { core: cortex-a76, cpus: 4\n",
     {"bad.yaml:5:", "malformed YAML"}},
    {"bad_indentation",
     "name: x\nclusters:\n  - core: cortex-a55\n     cpus: 4\n",
     {"bad.yaml:4:", "malformed YAML"}},
    {"two_documents", "name: a\n---\nname: b\n", {"bad.yaml:2:", "more than one YAML document"}},
    // Found by fuzz_host_yaml: yaml-cpp's LoadAll() never returns on this input.
    {"stray_flow_indicators", "#l\n,,,,,,,,n\n", {"bad.yaml", "malformed YAML"}},
    {"empty_file", "", {"top level must be a map", "got nothing"}},
    {"top_level_list", "- a\n- b\n", {"bad.yaml:1:", "top level must be a map"}},
    {"top_level_scalar", "hello\n", {"top level must be a map", "got 'hello'"}},
    {"missing_name", "clusters: [{ core: cortex-a55, cpus: 1 }]\n", {"missing required key 'name'"}},
    {"missing_clusters", "name: x\n", {"missing required key 'clusters'"}},
    {"empty_name", "name: ''\nclusters: [{ core: cortex-a55, cpus: 1 }]\n",
     {"bad.yaml:1:", "name:", "non-empty host name"}},
    {"name_is_a_map", "name: { a: 1 }\nclusters: [{ core: cortex-a55, cpus: 1 }]\n",
     {"name:", "got a map"}},
    {"empty_clusters", "name: x\nclusters: []\n", {"bad.yaml:2:", "clusters:", "at least one cluster"}},
    {"clusters_not_a_list", "name: x\nclusters: { core: cortex-a55 }\n",
     {"clusters:", "expected a list of clusters, got a map"}},
    {"cluster_not_a_map", "name: x\nclusters: [cortex-a55]\n",
     {"clusters[0]:", "expected a map with keys 'core' and 'cpus', got 'cortex-a55'"}},
    {"duplicate_top_key", "name: a\nname: b\nclusters: [{ core: cortex-a55, cpus: 1 }]\n",
     {"bad.yaml:2:", "name: key appears twice"}},
    {"unknown_top_key_did_you_mean", "nmae: x\nclusters: [{ core: cortex-a55, cpus: 1 }]\n",
     {"bad.yaml:1:", "unknown key 'nmae'", "did you mean 'name'?"}},
    {"core_parameter_at_top_level",
     "name: x\nfrequency_mhz: 100\nclusters: [{ core: cortex-a55, cpus: 1 }]\n",
     {"bad.yaml:2:", "unknown key 'frequency_mhz'", "overridden per cluster"}},
    {"unknown_core_lists_known_ones", "name: x\nclusters:\n  - { core: cortx-a55, cpus: 1 }\n",
     {"bad.yaml:3:", "clusters[0].core:", "unknown core 'cortx-a55'",
      "known cores: a64fx, cortex-a53, cortex-a55", "did you mean 'cortex-a55'?"}},
    {"core_name_is_not_a_path", "name: x\nclusters: [{ core: ../cores/cortex-a55, cpus: 1 }]\n",
     {"unknown core '../cores/cortex-a55'"}},
    {"core_is_a_list", "name: x\nclusters: [{ core: [a], cpus: 1 }]\n",
     {"clusters[0].core:", "expected a core name, got a list"}},
    {"missing_core", "name: x\nclusters:\n  - { cpus: 1 }\n",
     {"bad.yaml:3:", "clusters[0]: missing required key 'core'"}},
    {"missing_cpus", "name: x\nclusters:\n  - { core: cortex-a55 }\n",
     {"clusters[0]: missing required key 'cpus'"}},
    {"misspelt_cpus", "name: x\nclusters:\n  - { core: cortex-a55, cpu: 4 }\n",
     {"bad.yaml:3:", "clusters[0]: unknown key 'cpu'", "did you mean 'cpus'?"}},
    {"cpus_zero", "name: x\nclusters: [{ core: cortex-a55, cpus: 0 }]\n",
     {"clusters[0].cpus:", "0 is out of range 1..256"}},
    {"cpus_absurd", "name: x\nclusters: [{ core: cortex-a55, cpus: 100000 }]\n",
     {"clusters[0].cpus:", "100000 is out of range 1..256"}},
    {"cpus_beyond_uint64", "name: x\nclusters: [{ core: cortex-a55, cpus: 99999999999999999999999 }]\n",
     {"clusters[0].cpus:", "is out of range 1..256"}},
    {"cpus_word", "name: x\nclusters: [{ core: cortex-a55, cpus: four }]\n",
     {"clusters[0].cpus:", "expected an integer 1..256, got 'four'"}},
    {"cpus_float", "name: x\nclusters: [{ core: cortex-a55, cpus: 2.5 }]\n",
     {"clusters[0].cpus:", "got '2.5'"}},
    {"cpus_empty", "name: x\nclusters: [{ core: cortex-a55, cpus: }]\n",
     {"clusters[0].cpus:", "got nothing"}},
    {"too_many_pcpus_in_total",
     "name: x\nclusters:\n  - { core: cortex-a55, cpus: 200 }\n  - { core: cortex-a76, cpus: 57 }\n",
     {"bad.yaml:4:", "clusters[1].cpus:", "257 pCPUs", "at most 256"}},
    {"counters_above_31",
     "name: x\nclusters:\n  - core: cortex-a55\n    cpus: 4\n    pmu:\n      counters: 32\n",
     {"bad.yaml:6:", "clusters[0].pmu.counters:", "32 is out of range 0..31"}},
    {"counters_negative", "name: x\nclusters: [{ core: cortex-a55, cpus: 4, pmu: { counters: -1 } }]\n",
     {"clusters[0].pmu.counters:", "-1 is out of range 0..31"}},
    {"counters_string", "name: x\nclusters: [{ core: cortex-a55, cpus: 4, pmu: { counters: six } }]\n",
     {"clusters[0].pmu.counters:", "expected an integer 0..31, got 'six'"}},
    {"counters_list", "name: x\nclusters: [{ core: cortex-a55, cpus: 4, pmu: { counters: [1] } }]\n",
     {"clusters[0].pmu.counters:", "got a list"}},
    {"counters_at_the_wrong_level", "name: x\nclusters: [{ core: cortex-a55, cpus: 4, counters: 4 }]\n",
     {"clusters[0]: unknown key 'counters'", "did you mean 'pmu.counters'"}},
    {"nested_unknown_key",
     "name: x\nclusters:\n  - core: cortex-a55\n    cpus: 4\n    pmu: { countrs: 4 }\n",
     {"bad.yaml:5:", "clusters[0].pmu: unknown key 'countrs'", "did you mean 'counters'?"}},
    {"group_given_a_scalar", "name: x\nclusters: [{ core: cortex-a55, cpus: 4, l1d: 64 }]\n",
     {"clusters[0].l1d:", "expected a map of l1d.* keys, got '64'"}},
    {"duplicate_override_key",
     "name: x\nclusters:\n  - core: cortex-a55\n    cpus: 4\n    pmu: { counters: 4, counters: 5 }\n",
     {"bad.yaml:5:", "clusters[0].pmu.counters: key appears twice"}},
    {"pmu_version_not_one_of_five",
     "name: x\nclusters: [{ core: cortex-a55, cpus: 4, pmu: { version: \"3.2\" } }]\n",
     {"clusters[0].pmu.version:", "'3.2' is not valid", "expected one of 3.0, 3.1, 3.4, 3.5, 3.7"}},
    {"pmu_version_number", "name: x\nclusters: [{ core: cortex-a55, cpus: 4, pmu: { version: 3 } }]\n",
     {"clusters[0].pmu.version:", "'3' is not valid"}},
    {"unknown_event_name",
     "name: x\nclusters: [{ core: cortex-a55, cpus: 4, pmu: { events: [SW_INCR, INST_RETIRD] } }]\n",
     {"clusters[0].pmu.events[1]:", "unknown PMU event 'INST_RETIRD'", "did you mean 'INST_RETIRED'?"}},
    {"lower_case_event_name",
     "name: x\nclusters: [{ core: cortex-a55, cpus: 4, pmu: { events: [cpu_cycles] } }]\n",
     {"unknown PMU event 'cpu_cycles'", "did you mean 'CPU_CYCLES'?"}},
    {"event_number_outside_pmceid",
     "name: x\nclusters: [{ core: cortex-a55, cpus: 4, pmu: { events: [0x100] } }]\n",
     {"clusters[0].pmu.events[0]:", "event 0x100 is outside the common-event ranges"}},
    {"duplicate_event",
     "name: x\nclusters: [{ core: cortex-a55, cpus: 4, pmu: { events: [CPU_CYCLES, 0x11] } }]\n",
     {"clusters[0].pmu.events[1]:", "event CPU_CYCLES is listed twice"}},
    {"events_not_a_list", "name: x\nclusters: [{ core: cortex-a55, cpus: 4, pmu: { events: SW_INCR } }]\n",
     {"clusters[0].pmu.events:", "expected a list of event names or numbers"}},
    {"midr_too_wide", "name: x\nclusters: [{ core: cortex-a55, cpus: 4, midr: 0x1ffffffff }]\n",
     {"clusters[0].midr:", "0x1ffffffff is out of range 0x0..0xffffffff"}},
    {"class_misspelt", "name: x\nclusters: [{ core: cortex-a55, cpus: 4, class: in-ordr }]\n",
     {"clusters[0].class:", "'in-ordr' is not valid", "did you mean 'in-order'?"}},
    {"ooo_override_without_rob",
     "name: x\nclusters:\n  - { core: cortex-a55, cpus: 4, class: out-of-order }\n",
     {"bad.yaml:3:", "clusters[0].rob_entries:", "needs rob_entries >= 1",
      "core 'cortex-a55' with this cluster's overrides"}},
    {"in_order_override_with_rob",
     "name: x\nclusters:\n  - { core: cortex-a76, cpus: 4, class: in-order }\n",
     {"clusters[0].rob_entries:", "in-order core has no reorder buffer"}},
    {"cache_line_not_power_of_two",
     "name: x\nclusters:\n  - core: cortex-a55\n    cpus: 4\n    l1d: { line_bytes: 48 }\n",
     {"bad.yaml:5:", "clusters[0].l1d.line_bytes:", "48 is not a power of two"}},
    {"cache_geometry_not_whole_sets",
     "name: x\nclusters:\n  - core: cortex-a55\n    cpus: 4\n    l1d: { ways: 3 }\n",
     {"clusters[0].l1d.size_kib:", "32 KiB is not a whole number of 3-way sets of 64-byte lines"}},
    {"l2_faster_than_l1",
     "name: x\nclusters: [{ core: cortex-a76, cpus: 4, l2: { latency_cycles: 2 } }]\n",
     {"clusters[0].l2.latency_cycles:", "is below the L1 latency"}},
    {"bool_for_integer", "name: x\nclusters: [{ core: cortex-a55, cpus: true }]\n",
     {"clusters[0].cpus:", "got 'true'"}},
    {"control_characters_stay_escaped",
     "name: x\nclusters:\n  - { core: cortex-a55, cpus: 1, \"pm\\nu\": 1, \"pm\\nu\": 2 }\n",
     {"bad.yaml:3:", "clusters[0]: unknown key 'pm\\x0au'"}},
    {"non_scalar_key", "name: x\nclusters: [{ core: cortex-a55, cpus: 1, [a]: 1 }]\n",
     {"clusters[0]:", "keys must be plain names"}},
    // The optional keys of the KVM eras after 6.16.
    {"reserved_more_than_counters",
     "name: x\nclusters: [{ core: cortex-a55, cpus: 1, pmu: { counters: 4 }, reserved_host_counters: 5 }]\n",
     {"bad.yaml:2:", "clusters[0].reserved_host_counters:", "5 is more than the 4 PMU counters of this cluster"}},
    {"pmmir_slots_out_of_range", "name: x\nclusters: [{ core: cortex-a55, cpus: 1, pmmir_slots: 256 }]\n",
     {"clusters[0].pmmir_slots:", "256 is out of range 0..255"}},
    {"feat_hpmn0_not_a_bool", "name: x\nclusters: [{ core: cortex-a55, cpus: 1, feat_hpmn0: 1 }]\n",
     {"clusters[0].feat_hpmn0:", "expected true or false, got '1'"}},
    {"vhe_not_a_bool", "name: x\nvhe: yes\nclusters: [{ core: cortex-a55, cpus: 1 }]\n",
     {"bad.yaml:2:", "vhe:", "expected true or false, got 'yes'"}},
};

void expect_single_line_error(const std::function<void()>& load, const std::string& file,
                              const std::vector<std::string>& fragments) {
  try {
    load();
    BOOST_ERROR("loaded without an error");
  } catch (const pmuemu::InputError& e) {
    const std::string msg = e.what();
    BOOST_TEST_MESSAGE("message: " << msg);
    BOOST_TEST(msg.rfind(file, 0) == 0u, "message does not start with the file name: " << msg);
    BOOST_TEST(msg.find('\n') == std::string::npos, "message spans lines: " << msg);
    for (const auto& f : fragments) {
      BOOST_TEST(msg.find(f) != std::string::npos, "'" << f << "' not in: " << msg);
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(config_bad_input)

BOOST_DATA_TEST_CASE(bad_host_yaml_is_one_clear_error, bdata::make(kBadHosts), c) {
  expect_single_line_error([&] { cfg::parse_host(c.yaml, "bad.yaml", cfg::default_cores_dir()); },
                           "bad.yaml", c.fragments);
}

BOOST_AUTO_TEST_CASE(missing_file) {
  const std::string file = (test_data_dir() / "configs" / "no-such-host.yaml").string();
  expect_single_line_error([&] { cfg::load_host_file(file); }, file,
                           {"cannot read", "No such file or directory"});
}

BOOST_AUTO_TEST_CASE(directory_instead_of_file) {
  const std::string dir = (test_data_dir() / "configs").string();
  expect_single_line_error([&] { cfg::load_host_file(dir); }, dir, {"is a directory"});
}

BOOST_AUTO_TEST_CASE(malformed_file_names_file_and_line) {
  const std::string file = (test_data_dir() / "configs" / "malformed.yaml").string();
  expect_single_line_error([&] { cfg::load_host_file(file); }, file,
                           {file + ":5:", "malformed YAML"});
}

BOOST_AUTO_TEST_CASE(bad_catalogue_entry_names_the_core_file) {
  const auto cores = test_data_dir() / "configs" / "bad-cores";
  const std::string core_file = (cores / "broken.yaml").string();
  expect_single_line_error(
      [&] { cfg::parse_host("name: x\nclusters:\n  - { core: broken, cpus: 1 }\n", "host.yaml", cores); },
      core_file,
      {core_file + ":16:", "l1d.line_bytes: 60 is not a power of two", "core 'broken' named at host.yaml:3"});
  const std::string no_l2 = (cores / "no-l2.yaml").string();
  expect_single_line_error(
      [&] { cfg::parse_host("name: x\nclusters: [{ core: no-l2, cpus: 1 }]\n", "host.yaml", cores); },
      no_l2, {no_l2 + ":1:", "missing required key 'l2'"});
}

BOOST_AUTO_TEST_CASE(missing_catalogue_directory) {
  expect_single_line_error(
      [&] {
        cfg::parse_host("name: x\nclusters: [{ core: cortex-a55, cpus: 1 }]\n", "host.yaml",
                        test_data_dir() / "no-such-dir");
      },
      "host.yaml", {"unknown core 'cortex-a55'", "no-such-dir does not exist"});
}

// Core files directly: the catalogue format has its own required keys and checks.
const std::vector<BadCase> kBadCores = {
    {"core_not_a_map", "[1, 2]\n", {"bad.yaml:1:", "top level must be a map of core parameters"}},
    {"core_malformed", "midr: [\n", {"bad.yaml:", "malformed YAML"}},
    {"core_missing_everything", "midr: 0x41000000\n", {"missing required key 'pmu'"}},
    {"core_unknown_key", "midr: 0x41000000\nfrequncy_mhz: 5\n",
     {"bad.yaml:2:", "(top level): unknown key 'frequncy_mhz'", "did you mean 'frequency_mhz'?"}},
    {"core_unknown_group_key", "midr: 0x41000000\nl1d: { size: 4 }\n",
     {"bad.yaml:2:", "l1d: unknown key 'size'", "valid keys here: size_kib, ways, line_bytes, latency_cycles"}},
    {"core_cluster_key", "cpus: 4\n", {"unknown key 'cpus'"}},
    {"core_id_too_wide", "midr: 0x41000000\nid: { aa64pfr0: 0x10000000000000000 }\n",
     {"bad.yaml:2:", "id.aa64pfr0", "does not fit in 64 bits"}},
    {"core_id_not_a_number", "midr: 0x41000000\nid: { ctr: fast }\n",
     {"bad.yaml:2:", "id.ctr", "expected a 64-bit integer"}},
    {"core_id_unknown_register", "midr: 0x41000000\nid: { aa64pfr2: 0 }\n",
     {"bad.yaml:2:", "id: unknown key 'aa64pfr2'"}},
};

BOOST_DATA_TEST_CASE(bad_core_yaml_is_one_clear_error, bdata::make(kBadCores), c) {
  expect_single_line_error([&] { cfg::parse_core(c.yaml, "x", "bad.yaml"); }, "bad.yaml", c.fragments);
}

BOOST_AUTO_TEST_CASE(core_without_rob_when_out_of_order) {
  auto yaml = cfg::core_to_yaml(cfg::load_core(cfg::default_cores_dir(), "cortex-a76"));
  const auto pos = yaml.find("rob_entries: 128\n");
  BOOST_TEST_REQUIRE(pos != std::string::npos);
  yaml.erase(pos, std::string("rob_entries: 128\n").size());
  expect_single_line_error([&] { cfg::parse_core(yaml, "x", "bad.yaml"); }, "bad.yaml",
                           {"rob_entries: an out-of-order core needs rob_entries >= 1"});
}

BOOST_AUTO_TEST_CASE(deep_nesting_is_an_input_error) {
  const std::string yaml = "name: x\nclusters: " + std::string(5000, '[') + std::string(5000, ']') + "\n";
  expect_single_line_error([&] { cfg::parse_host(yaml, "deep.yaml", cfg::default_cores_dir()); },
                           "deep.yaml", {"deep.yaml:"});
}

// Random damage to a good host file: the loader either accepts it or throws InputError.
BOOST_AUTO_TEST_CASE(random_corruption_of_a_host_file_is_always_an_input_error_or_a_host) {
  const std::string good =
      "name: big-little\n"
      "clusters:\n"
      "  - { core: cortex-a55, cpus: 4, pmu: { counters: 4, events: [SW_INCR, 0x11] } }\n"
      "  - core: cortex-a76\n"
      "    cpus: 4\n"
      "    l1d: { size_kib: 32 }\n";
  const std::string alphabet = "{}[]:,-#&*!|>'\"%@` \n\t0123456789abcxyz._";
  std::mt19937_64 rng(0xc0ff1e);
  int accepted = 0, rejected = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string text = good;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      const std::size_t pos = rng() % text.size();
      if (rng() % 3 == 0) text.erase(pos, 1 + rng() % 4);
      else text[pos] = alphabet[rng() % alphabet.size()];
    }
    try {
      const auto host = cfg::parse_host(text, "fuzz.yaml", cfg::default_cores_dir());
      BOOST_TEST_REQUIRE(host.num_pcpus() >= 1u);
      ++accepted;
    } catch (const pmuemu::InputError& e) {
      BOOST_TEST_REQUIRE(std::string(e.what()).find('\n') == std::string::npos);
      ++rejected;
    } catch (const std::exception& e) {
      BOOST_FAIL("iteration " << iter << ": unexpected exception " << e.what() << " for:\n" << text);
    }
  }
  BOOST_TEST(accepted > 0);
  BOOST_TEST(rejected > 0);
}

BOOST_AUTO_TEST_SUITE_END()
