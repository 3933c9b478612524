// unit_emu: tests for emu/config (host files, core catalogue, schema registry), emu/loader
// (ELF) and emu/common helpers. Suites mirror the source directories.
#define BOOST_TEST_MODULE unit_emu
#include <boost/test/unit_test.hpp>
