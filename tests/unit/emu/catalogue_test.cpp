// The shipped core catalogue (configs/cores/*.yaml): each entry loads, has the identity its
// sources give, and survives a dump/reload unchanged.
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "emu/config/host_config.h"
#include "pmu/events.h"
#include "test_paths.h"

namespace cfg = pmuemu::config;
namespace ev = pmu::event;

namespace {

struct ExpectedCore {
  const char* name;
  uint32_t implementer;  // MIDR_EL1[31:24]
  uint32_t part;         // MIDR_EL1[15:4], as in ARM-software/data "cpuid"
  const char* pmu_version;
  uint8_t pmuver;
  uint32_t counters;
  cfg::CoreClass core_class;
  bool ld_st_retired;  // LD_RETIRED/ST_RETIRED: implemented by the Cortex-A53/A55 only
};

constexpr ExpectedCore kExpected[] = {
    {"a64fx", 0x46, 0x001, "3.1", 4, 8, cfg::CoreClass::kOutOfOrder, false},
    {"cortex-a53", 0x41, 0xd03, "3.0", 1, 6, cfg::CoreClass::kInOrder, true},
    {"cortex-a55", 0x41, 0xd05, "3.1", 4, 6, cfg::CoreClass::kInOrder, true},
    {"cortex-a76", 0x41, 0xd0b, "3.1", 4, 6, cfg::CoreClass::kOutOfOrder, false},
    {"cortex-a78", 0x41, 0xd41, "3.1", 4, 6, cfg::CoreClass::kOutOfOrder, false},
    {"cortex-x1", 0x41, 0xd44, "3.1", 4, 6, cfg::CoreClass::kOutOfOrder, false},
    {"neoverse-n1", 0x41, 0xd0c, "3.1", 4, 6, cfg::CoreClass::kOutOfOrder, false},
    {"neoverse-v1", 0x41, 0xd40, "3.4", 5, 6, cfg::CoreClass::kOutOfOrder, false},
};

bool has(const cfg::CoreType& c, uint16_t e) {
  return std::binary_search(c.pmu_events.begin(), c.pmu_events.end(), e);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(config_catalogue)

BOOST_AUTO_TEST_CASE(catalogue_lists_exactly_the_shipped_cores) {
  std::vector<std::string> expected;
  for (const auto& e : kExpected) expected.emplace_back(e.name);
  const auto known = cfg::known_cores(cfg::default_cores_dir());
  BOOST_TEST(known == expected, boost::test_tools::per_element());
  BOOST_TEST(cfg::default_cores_dir() == pmuemu::test::configs_dir() / "cores");
}

BOOST_AUTO_TEST_CASE(each_core_has_its_published_identity) {
  // What the emulator can count: the PMU's own events and the timing model's declared ones.
  const std::vector<uint16_t> countable = pmu::countable_events();
  for (const auto& e : kExpected) {
    BOOST_TEST_CONTEXT("core " << e.name) {
      const auto c = cfg::load_core(cfg::default_cores_dir(), e.name);
      BOOST_TEST(c.name == e.name);
      BOOST_TEST((c.midr >> 24) == e.implementer);
      BOOST_TEST(((c.midr >> 4) & 0xfff) == e.part);
      BOOST_TEST(c.pmu_version == e.pmu_version);
      BOOST_TEST(c.pmuver == e.pmuver);
      BOOST_TEST(c.pmu_counters == e.counters);
      BOOST_TEST((c.timing.core_class == e.core_class));
      BOOST_TEST(has(c, ev::LD_RETIRED) == e.ld_st_retired);
      BOOST_TEST(has(c, ev::ST_RETIRED) == e.ld_st_retired);
      // Architecturally required by PMUv3 (Arm ARM D17.11): every core must have them.
      for (uint16_t req : {ev::SW_INCR, ev::L1D_CACHE_REFILL, ev::L1D_CACHE, ev::INST_RETIRED,
                           ev::BR_MIS_PRED, ev::CPU_CYCLES, ev::BR_PRED}) {
        BOOST_TEST(has(c, req), "missing required event " << pmu::event_name(req));
      }
      // STALL_FRONTEND/STALL_BACKEND are required from PMUv3.1 on and absent before.
      BOOST_TEST(has(c, ev::STALL_FRONTEND) == (c.pmuver >= 4));
      BOOST_TEST(has(c, ev::STALL_BACKEND) == (c.pmuver >= 4));
      for (uint16_t x : c.pmu_events) {
        BOOST_TEST(std::count(countable.begin(), countable.end(), x) == 1,
                   "event " << pmu::event_name(x) << " is not counted by the emulator");
      }
      BOOST_TEST(std::is_sorted(c.pmu_events.begin(), c.pmu_events.end()));
      const auto ids = pmu::pmceid_of(c.pmu_events);
      BOOST_TEST(c.pmceid0 == ids.pmceid0);
      BOOST_TEST(c.pmceid1 == ids.pmceid1);
    }
  }
}

BOOST_AUTO_TEST_CASE(docs_list_the_countable_events) {
  // docs/configs.md lists the events a catalogue entry may advertise, as `NAME 0xNN` in one
  // backquoted paragraph after the sentence with their count: it must be the declaration, no
  // more, no less.
  std::ifstream in(pmuemu::test::source_dir() / "docs" / "configs.md");
  BOOST_REQUIRE_MESSAGE(in, "cannot open docs/configs.md");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::vector<uint16_t> countable = pmu::countable_events();
  const std::string intro = "The emulator counts these " + std::to_string(countable.size()) + " common events";
  const auto at = text.find(intro);
  BOOST_REQUIRE_MESSAGE(at != std::string::npos, "docs/configs.md lacks \"" << intro << "\"");
  // The list is the paragraph after the introduction's: a backquoted run of its own.
  const auto para = text.find("\n\n`", at);
  BOOST_REQUIRE(para != std::string::npos);
  const auto open = para + 2, close = text.find('`', open + 1);
  BOOST_REQUIRE(close != std::string::npos);
  std::string expected;
  for (uint16_t ev : countable) {
    char num[8];
    std::snprintf(num, sizeof num, "0x%02X", ev);
    expected += (expected.empty() ? "" : ", ") + std::string(pmu::event_name(ev)) + " " + num;
  }
  std::string listed = text.substr(open + 1, close - open - 1);
  std::replace(listed.begin(), listed.end(), '\n', ' ');
  BOOST_TEST(listed == expected);
}

BOOST_AUTO_TEST_CASE(each_core_survives_dump_and_reload) {
  for (const auto& e : kExpected) {
    BOOST_TEST_CONTEXT("core " << e.name) {
      const auto c = cfg::load_core(cfg::default_cores_dir(), e.name);
      const std::string yaml = cfg::core_to_yaml(c);
      const auto again = cfg::parse_core(yaml, e.name, "dump.yaml");
      BOOST_TEST((again == c), "reload differs; dump was:\n" << yaml);
    }
  }
}

BOOST_AUTO_TEST_CASE(timing_parameters_are_consistent_with_the_class) {
  for (const auto& e : kExpected) {
    BOOST_TEST_CONTEXT("core " << e.name) {
      const auto t = cfg::load_core(cfg::default_cores_dir(), e.name).timing;
      BOOST_TEST((t.rob_entries > 0) == (t.core_class == cfg::CoreClass::kOutOfOrder));
      BOOST_TEST(t.l1d.latency_cycles == t.load_to_use_cycles);
      BOOST_TEST(t.l2.size_kib > t.l1d.size_kib);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
