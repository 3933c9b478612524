#define BOOST_TEST_MODULE unit_kvm_model
#include <boost/test/unit_test.hpp>
