#include <boost/test/unit_test.hpp>

#include <string_view>

#include "emu/common/text.h"

using namespace pmuemu::text;

BOOST_AUTO_TEST_SUITE(common_text)

BOOST_AUTO_TEST_CASE(edit_distance_counts_transpositions_once) {
  BOOST_TEST(edit_distance("", "") == 0u);
  BOOST_TEST(edit_distance("abc", "") == 3u);
  BOOST_TEST(edit_distance("counters", "counters") == 0u);
  BOOST_TEST(edit_distance("countres", "counters") == 1u);  // adjacent swap
  BOOST_TEST(edit_distance("countrs", "counters") == 1u);   // deletion
  BOOST_TEST(edit_distance("kitten", "sitting") == 3u);
}

BOOST_AUTO_TEST_CASE(closest_match_only_suggests_plausible_typos) {
  constexpr std::string_view keys[] = {"name", "clusters"};
  BOOST_TEST(closest_match("nmae", keys).value() == "name");
  BOOST_TEST(closest_match("cluster", keys).value() == "clusters");
  BOOST_TEST(!closest_match("frequency", keys).has_value());
  BOOST_TEST(did_you_mean("nam", keys) == "; did you mean 'name'?");
  BOOST_TEST(did_you_mean("zzzzzzzz", keys).empty());
}

BOOST_AUTO_TEST_CASE(formatting_helpers) {
  BOOST_TEST(hex(0x41, 8) == "0x00000041");
  BOOST_TEST(hex(0xdeadbeefcafef00dull, 16) == "0xdeadbeefcafef00d");
  constexpr std::string_view items[] = {"a", "b", "c"};
  BOOST_TEST(join(items) == "a, b, c");
  BOOST_TEST(quoted("x\ny") == "'x\\x0ay'");  // messages stay on one line
  BOOST_TEST(quoted(std::string(100, 'z')).size() < 80u);
}

BOOST_AUTO_TEST_SUITE_END()
