#define BOOST_TEST_MODULE unit_pmu
#include <boost/test/unit_test.hpp>
