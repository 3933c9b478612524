// The schema registry is the single declaration of every core parameter; these tests keep
// its rows honest and the generated reference in step with the checked-in docs.
#include "emu/config/schema.h"

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "emu/config/host_config.h"
#include "test_paths.h"

namespace cfg = pmuemu::config;
namespace schema = pmuemu::config::schema;

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Units are part of the name: a key's suffix fixes its unit.
struct UnitSuffix {
  std::string_view suffix;
  std::string_view unit;
};
constexpr UnitSuffix kUnitSuffixes[] = {
    {"_cycles", "cycles"},   {"_ns", "ns"},       {"_kib", "KiB"},  {"_mhz", "MHz"},
    {"_entries", "entries"}, {"_bytes", "bytes"}, {"_bits", "bits"}};

}  // namespace

BOOST_AUTO_TEST_SUITE(config_schema)

BOOST_AUTO_TEST_CASE(every_row_is_documented_and_its_unit_matches_its_name) {
  for (const auto& p : schema::core_params()) {
    BOOST_TEST_CONTEXT("row " << p.key) {
      BOOST_TEST(!p.description.empty());
      BOOST_TEST(schema::find_core_param(p.key) == &p);
      for (const auto& u : kUnitSuffixes) {
        if (p.key.ends_with(u.suffix)) BOOST_TEST(p.unit == u.unit);
      }
    }
  }
  BOOST_TEST(schema::find_core_param("no.such.key") == nullptr);
  BOOST_TEST(schema::find_core_param("pmu") == nullptr);  // a group, not a value
}

BOOST_AUTO_TEST_CASE(registry_covers_the_public_structs) {
  // Each required row must be written by a catalogue file; a row whose accessor pointed at the
  // wrong member would show up as a round-trip mismatch in catalogue_test. Here: key coverage.
  for (std::string_view key : {"midr",
                               "pmu.version",
                               "pmu.counters",
                               "pmu.events",
                               "class",
                               "frequency_mhz",
                               "issue_width",
                               "pipeline_depth",
                               "rob_entries",
                               "alu_latency_cycles",
                               "mul_latency_cycles",
                               "div_latency_cycles",
                               "load_to_use_cycles",
                               "l1i.size_kib",
                               "l1d.ways",
                               "l2.line_bytes",
                               "l2.latency_cycles",
                               "memory_latency_ns",
                               "branch_predictor.kind",
                               "branch_predictor.history_bits",
                               "branch_predictor.btb_entries",
                               "branch_predictor.ras_entries",
                               "mispredict_penalty_cycles"}) {
    BOOST_TEST_CONTEXT(key) { BOOST_TEST(schema::find_core_param(key) != nullptr); }
  }
}

BOOST_AUTO_TEST_CASE(describe_type_reads_like_an_expectation) {
  BOOST_TEST(schema::describe_type(*schema::find_core_param("pmu.counters")) == "integer 0..31");
  BOOST_TEST(schema::describe_type(*schema::find_core_param("class")) ==
             "one of in-order, out-of-order");
  BOOST_TEST(schema::describe_type(*schema::find_core_param("midr")) == "integer (hex)");
}

BOOST_AUTO_TEST_CASE(checked_in_docs_embed_the_generated_reference) {
  // configs/README.md and docs/configs.md carry the output of `pmuemu host schema`; when a row
  // changes, paste the new output (the message below shows it).
  const std::string reference = cfg::schema_reference_markdown();
  for (const auto& doc : {pmuemu::test::configs_dir() / "README.md",
                          pmuemu::test::source_dir() / "docs" / "configs.md"}) {
    BOOST_TEST_CONTEXT(doc.string()) {
      const bool embedded = slurp(doc).find(reference) != std::string::npos;
      BOOST_TEST(embedded, "stale schema reference in " << doc.string() << "; regenerate with "
                                                        << "`pmuemu host schema`:\n"
                                                        << reference);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
