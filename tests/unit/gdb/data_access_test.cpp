// The data access of A64 loads and stores as read and access watchpoints see it, for
// instructions assembled by llvm-mc (the oracle for the encodings): address from the
// registers before the instruction, length, read or write.
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <cstdlib>
#include <unistd.h>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "emu/gdb/data_access.h"

using namespace pmuemu::gdb;

namespace {

// X[n] = 0x1000 * (n + 1); SP = 0x80000.
uint64_t xreg(unsigned n) { return n == 31 ? 0x80000 : 0x1000ull * (n + 1); }

struct Case {
  const char* text;
  bool access;
  uint64_t va, len;
  bool read, write;
};

constexpr uint64_t kPc = 0x40000000;

const Case kCases[] = {
    {"ldr x1, [x2, #16]", true, 0x3000 + 16, 8, true, false},
    {"str w1, [sp, #-8]!", true, 0x80000 - 8, 4, false, true},
    {"ldr q0, [x3], #32", true, 0x4000, 16, true, false},  // post-index: the base as it was
    {"ldp x4, x5, [x6, #-16]", true, 0x7000 - 16, 16, true, false},
    {"stp d0, d1, [x7, #8]!", true, 0x8000 + 8, 16, false, true},
    {"ldrb w1, [x2, x3, lsl #0]", true, 0x3000 + 0x4000, 1, true, false},
    {"ldr x1, [x2, w3, sxtw #3]", true, 0x3000 + (0x4000 << 3), 8, true, false},
    {"ldur h1, [x2, #-3]", true, 0x3000 - 3, 2, true, false},
    {"ldxr w1, [x2]", true, 0x3000, 4, true, false},
    {"stlxp w9, x1, x2, [x3]", true, 0x4000, 16, false, true},
    {"ldadd x1, x2, [x3]", true, 0x4000, 8, true, true},
    {"casp x0, x1, x2, x3, [x4]", true, 0x5000, 16, true, true},
    {"ldr x1, #-8", true, kPc - 8, 8, true, false},
    {"prfm pldl1keep, [x1]", false, 0, 0, false, false},
    {"add x1, x2, x3", false, 0, 0, false, false},
    {"ld1 {v0.16b}, [x1]", false, 0, 0, false, false},  // structure loads: not covered
};

// The instruction words llvm-mc assembles the cases' text to, in order.
std::vector<uint32_t> assemble() {
  char dir[] = "/tmp/pmuemu-da-XXXXXX";
  BOOST_TEST_REQUIRE(mkdtemp(dir) != nullptr);
  const std::string src = std::string(dir) + "/in.s", out = std::string(dir) + "/out.txt";
  {
    std::ofstream f(src);
    for (const Case& c : kCases) f << c.text << "\n";
  }
  const std::string cmd = "llvm-mc -triple=aarch64 -mattr=+lse -show-encoding " + src + " > " + out + " 2>&1";
  const int rc = std::system(cmd.c_str());
  BOOST_TEST_REQUIRE(rc == 0, "llvm-mc (Debian package llvm) failed or is missing: " << cmd);
  std::ifstream f(out);
  std::vector<uint32_t> words;
  const std::regex enc(R"(encoding: \[0x([0-9a-f]{2}),0x([0-9a-f]{2}),0x([0-9a-f]{2}),0x([0-9a-f]{2})\])");
  for (std::string line; std::getline(f, line);) {
    std::smatch m;
    if (!std::regex_search(line, m, enc)) continue;
    uint32_t w = 0;
    for (int i = 0; i < 4; ++i) w |= static_cast<uint32_t>(std::stoul(m[i + 1], nullptr, 16)) << (8 * i);
    words.push_back(w);
  }
  std::remove(src.c_str());
  std::remove(out.c_str());
  ::rmdir(dir);
  return words;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(gdb_data_access)

BOOST_AUTO_TEST_CASE(loads_and_stores_assembled_by_llvm_mc) {
  const std::vector<uint32_t> words = assemble();
  BOOST_TEST_REQUIRE(words.size() == std::size(kCases));
  for (size_t i = 0; i < words.size(); ++i) {
    const Case& c = kCases[i];
    const auto a = data_access(words[i], kPc, xreg);
    BOOST_TEST(a.has_value() == c.access, c.text);
    if (!a || !c.access) continue;
    BOOST_TEST(a->va == c.va, c.text << ": va " << std::hex << a->va);
    BOOST_TEST(a->len == c.len, c.text << ": len " << a->len);
    BOOST_TEST(a->read == c.read, c.text);
    BOOST_TEST(a->write == c.write, c.text);
  }
}

BOOST_AUTO_TEST_SUITE_END()
