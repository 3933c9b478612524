#define BOOST_TEST_MODULE unit_vgic
#include <boost/test/unit_test.hpp>
