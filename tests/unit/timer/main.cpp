#define BOOST_TEST_MODULE unit_timer
#include <boost/test/unit_test.hpp>
