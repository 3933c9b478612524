#define BOOST_TEST_MODULE unit_cpu
#include <boost/test/unit_test.hpp>
