// unit_conformance: emu/conformance (the vpmu_counter_access engine behind `pmuemu conformance`).
#define BOOST_TEST_MODULE unit_conformance
#include <boost/test/unit_test.hpp>
