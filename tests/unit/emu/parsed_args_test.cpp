// ParsedArgs, the result of parsing a command line (emu/cli/spec.h): its accessors only,
// which are header-only, so this needs none of the CLI's libraries.
#include <boost/test/unit_test.hpp>

#include "emu/cli/spec.h"

BOOST_AUTO_TEST_SUITE(parsed_args)

// A command that asks for every value of an option the user did not give (run --drive,
// --affinity) gets none, not a lookup past the end of the option map.
BOOST_AUTO_TEST_CASE(all_of_an_absent_option_is_empty) {
  pmuemu::cli::ParsedArgs p;
  p.options["affinity"] = {"0=1", "1=2"};
  BOOST_TEST(p.all("drive").empty());
  BOOST_TEST(p.count("drive") == 0u);
  BOOST_TEST(!p.has("drive"));
  BOOST_TEST(p.all("affinity") == (std::vector<std::string>{"0=1", "1=2"}), boost::test_tools::per_element());
  BOOST_TEST(p.get("affinity") == "1=2");
}

BOOST_AUTO_TEST_SUITE_END()
