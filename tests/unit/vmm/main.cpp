#define BOOST_TEST_MODULE unit_vmm
#include <boost/test/unit_test.hpp>
