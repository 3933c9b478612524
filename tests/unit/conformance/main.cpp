// unit_conformance: emu/conformance (what `pmuemu conformance` builds its table from).
#define BOOST_TEST_MODULE unit_conformance
#include <boost/test/unit_test.hpp>
