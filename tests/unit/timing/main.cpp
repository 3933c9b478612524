#define BOOST_TEST_MODULE unit_timing
#include <boost/test/unit_test.hpp>
