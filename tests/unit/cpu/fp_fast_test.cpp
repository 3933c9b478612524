// The host shortcuts of cpu/fp/fp_fast.h against the exact path of cpu/fp/fp.cpp: the same
// bits and the same flags for random operands (weighted toward the cases the shortcuts must
// refuse: denormals, results near the smallest normal and near overflow, NaNs, infinities,
// zeros) under every FPCR mode, and the shortcut must really be taken for ordinary operands.
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <random>

#include "cpu/fp/fp.h"
#include "cpu/fp/fp_fast.h"
#include "tests/support/fp_operands.h"
#include "tests/support/sanitizer.h"

namespace fp = cpu::fp;

namespace {

int iters() { return test::fp_iters(40000, 5000); }

// One case in eight each for zeros and denormals, infinities and NaNs, and results near the
// smallest normal and near overflow: the cases each shortcut must hand to the exact path.
constexpr test::FpCaseWeight kOperandCases[] = {
    {test::FpCase::kZeroOrDenormal, 1}, {test::FpCase::kInfOrNaN, 1},     {test::FpCase::kNearMinNormal, 1},
    {test::FpCase::kNearOverflow, 1},   {test::FpCase::kMidRange, 4},
};
template <int N>
uint64_t operand(std::mt19937_64& rng) {
  return test::fp_operand<N>(rng, kOperandCases);
}

// initial: the cumulative flags the Env starts with (FPSR's, as the interpreter passes
// them); the fast paths may skip work for flags already set, never change the outcome.
template <int N>
void compare_paths(uint64_t seed, uint32_t initial = 0) {
  std::mt19937_64 rng(seed);
  const uint32_t fpcrs[] = {0, fp::kFpcrFZ, fp::kFpcrDN, 1u << 22, 3u << 22, fp::kFpcrFZ | fp::kFpcrDN};
  const int n = iters();
  for (int k = 0; k < n; ++k) {
    const uint64_t a = operand<N>(rng), b = operand<N>(rng), c = operand<N>(rng);
    for (uint32_t fpcr : fpcrs) {
      fp::Env e1{fpcr, initial}, e2{fpcr, initial};
      BOOST_TEST_REQUIRE(fp::fast_add<N>(a, b, e1) == fp::add<N>(a, b, e2), "add " << std::hex << a << " " << b);
      BOOST_TEST_REQUIRE(fp::fast_sub<N>(a, b, e1) == fp::sub<N>(a, b, e2), "sub " << std::hex << a << " " << b);
      BOOST_TEST_REQUIRE(fp::fast_mul<N>(a, b, e1) == fp::mul<N>(a, b, e2), "mul " << std::hex << a << " " << b);
      BOOST_TEST_REQUIRE(fp::fast_div<N>(a, b, e1) == fp::div<N>(a, b, e2), "div " << std::hex << a << " " << b);
      BOOST_TEST_REQUIRE(fp::fast_sqrt<N>(a, e1) == fp::sqrt<N>(a, e2), "sqrt " << std::hex << a);
      BOOST_TEST_REQUIRE(fp::fast_muladd<N>(c, a, b, e1) == fp::muladd<N>(c, a, b, e2),
                         "fma " << std::hex << c << " " << a << " " << b);
      BOOST_TEST_REQUIRE(e1.flags == e2.flags, std::hex << a << " " << b << " " << c << " fpcr " << fpcr);
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fp_fast)

BOOST_AUTO_TEST_CASE(fast_path_matches_exact_path_single) { compare_paths<32>(11); }
BOOST_AUTO_TEST_CASE(fast_path_matches_exact_path_double) { compare_paths<64>(12); }
BOOST_AUTO_TEST_CASE(fast_path_matches_exact_path_with_ixc_set) {
  compare_paths<32>(13, fp::kIXC);
  compare_paths<64>(14, fp::kIXC);
  compare_paths<64>(15, fp::kIXC | fp::kIOC);
}

BOOST_AUTO_TEST_CASE(fast_path_flags_of_exact_and_inexact_results) {
  fp::Env e{};
  BOOST_TEST(fp::fast_mul<64>(0x3ff8000000000000ull, 0x4000000000000000ull, e) == 0x4008000000000000ull);  // 1.5*2
  BOOST_TEST(e.flags == 0u);
  BOOST_TEST(fp::fast_div<64>(0x3ff0000000000000ull, 0x4008000000000000ull, e) == 0x3fd5555555555555ull);  // 1/3
  BOOST_TEST(e.flags == fp::kIXC);
  e.flags = 0;
  BOOST_TEST(fp::fast_sqrt<32>(0x41100000u, e) == 0x40400000u);  // sqrt 9 = 3
  BOOST_TEST(e.flags == 0u);
  BOOST_TEST(fp::fast_add<32>(0x3f800000u, 0x33000000u, e) == 0x3f800000u);  // 1 + 2^-25
  BOOST_TEST(e.flags == fp::kIXC);
  e.flags = 0;
  BOOST_TEST(fp::fast_muladd<64>(0x3ff0000000000000ull, 0x4000000000000000ull, 0x4000000000000000ull, e) ==
             0x4014000000000000ull);  // 1 + 2*2
  BOOST_TEST(e.flags == 0u);
  // With IXC already set the fused multiply-add takes the host path that reads no flags.
  e.flags = fp::kIXC;
  BOOST_TEST(fp::fast_muladd<64>(0x3ff0000000000000ull, 0x3fd5555555555555ull, 0x4008000000000000ull, e) ==
             0x4000000000000000ull);  // 1 + (1/3 rounded)*3
  BOOST_TEST(e.flags == fp::kIXC);
}

BOOST_AUTO_TEST_SUITE_END()
