#define BOOST_TEST_MODULE unit_boot
#include <boost/test/unit_test.hpp>
