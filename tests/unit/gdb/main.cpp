// unit_gdb: emu/gdb (the gdb stub's protocol layer).
#define BOOST_TEST_MODULE unit_gdb
#include <boost/test/unit_test.hpp>
