// unit_user: emu/user (the `pmuemu user` address space, file table and process start-up).
#define BOOST_TEST_MODULE unit_user
#include <boost/test/unit_test.hpp>
