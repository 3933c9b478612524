// The operand generator of the FP sweeps (tests/support/fp_operands.h): the sweeps of
// fp_fast_test and fp_packed_test find a wrong shortcut only if the generator really gives
// each boundary case, so its draws are checked here against the IEEE fields of the bits it
// returns: every case of the table comes up in its share, within its exponent range (end
// to end), with both signs, and the infinities, quiet and signalling NaNs, denormals and
// zeros all occur.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <array>
#include <random>
#include <stdexcept>

#include "cpu/fp/fp.h"
#include "tests/support/fp_operands.h"

namespace fp = cpu::fp;
using test::FpCase;

namespace {

constexpr unsigned kCases = 6;

// Every case, each with its own weight, so a draw credited to the wrong row shows in the shares.
constexpr test::FpCaseWeight kAllCases[] = {
    {FpCase::kZeroOrDenormal, 2}, {FpCase::kInfOrNaN, 3}, {FpCase::kNearMinNormal, 1},
    {FpCase::kNearOverflow, 2},   {FpCase::kZero, 1},     {FpCase::kMidRange, 7},
};

struct Seen {
  unsigned count = 0;
  uint64_t min_exp = ~uint64_t{0}, max_exp = 0;
  bool positive = false, negative = false;
};

template <int N>
void check_draws(uint64_t seed) {
  constexpr int E = fp::Fmt<N>::E, F = fp::Fmt<N>::F;
  constexpr uint64_t emax = (uint64_t{1} << E) - 1, bias = emax >> 1;
  constexpr uint64_t frac_mask = (uint64_t{1} << F) - 1, quiet = uint64_t{1} << (F - 1);
  // The exponent range each case must cover, end to end.
  constexpr std::array<std::array<uint64_t, 2>, kCases> kRange = {{
      {0, 0}, {emax, emax}, {1, 30}, {emax - 30, emax - 1}, {0, 0}, {bias - 20, bias + 19}}};
  std::mt19937_64 rng(seed);
  std::array<Seen, kCases> seen{};
  unsigned infinities = 0, quiet_nans = 0, signalling_nans = 0, denormals = 0, zeros_of_denormal_case = 0;
  constexpr unsigned kDraws = 64000;
  for (unsigned k = 0; k < kDraws; ++k) {
    FpCase c{};
    const uint64_t x = test::fp_operand<N>(rng, kAllCases, &c);
    if constexpr (N < 64) BOOST_TEST_REQUIRE((x >> N) == 0u, "bits above the format: " << std::hex << x);
    const uint64_t exp = (x >> F) & emax, frac = x & frac_mask;
    const auto i = static_cast<unsigned>(c);
    BOOST_TEST_REQUIRE(i < kCases);
    BOOST_TEST_REQUIRE((exp >= kRange[i][0] && exp <= kRange[i][1]),
                       "case " << i << " gave exponent " << exp << std::hex << " in " << x);
    if (c == FpCase::kZero) BOOST_TEST_REQUIRE(frac == 0u, "case kZero gave " << std::hex << x);
    Seen& s = seen[i];
    ++s.count;
    s.min_exp = std::min(s.min_exp, exp);
    s.max_exp = std::max(s.max_exp, exp);
    (x & fp::sign_bit<N>() ? s.negative : s.positive) = true;
    if (c == FpCase::kInfOrNaN) {
      infinities += frac == 0;
      quiet_nans += (frac & quiet) != 0;
      signalling_nans += frac != 0 && (frac & quiet) == 0;
    }
    if (c == FpCase::kZeroOrDenormal) (frac ? denormals : zeros_of_denormal_case) += 1;
  }
  unsigned total_weight = 0;
  for (const auto& w : kAllCases) total_weight += w.weight;
  for (const auto& w : kAllCases) {
    const Seen& s = seen[static_cast<unsigned>(w.c)];
    const unsigned i = static_cast<unsigned>(w.c);
    // The expected count is at least 4000 draws: 10% is over six standard deviations.
    const double want = double{kDraws} * w.weight / total_weight;
    BOOST_TEST(s.count >= want * 0.9, "case " << i << ": " << s.count << " draws, " << want << " expected");
    BOOST_TEST(s.count <= want * 1.1, "case " << i << ": " << s.count << " draws, " << want << " expected");
    BOOST_TEST(s.min_exp == kRange[i][0], "case " << i);
    BOOST_TEST(s.max_exp == kRange[i][1], "case " << i);
    BOOST_TEST(s.positive, "case " << i << " never positive");
    BOOST_TEST(s.negative, "case " << i << " never negative");
  }
  BOOST_TEST(infinities > 0u);
  BOOST_TEST(quiet_nans > 0u);
  BOOST_TEST(signalling_nans > 0u);
  BOOST_TEST(denormals > 0u);
  BOOST_TEST(zeros_of_denormal_case > 0u);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fp_operands)

BOOST_AUTO_TEST_CASE(every_case_in_its_share_and_range_single) { check_draws<32>(41); }
BOOST_AUTO_TEST_CASE(every_case_in_its_share_and_range_double) { check_draws<64>(42); }

BOOST_AUTO_TEST_CASE(a_table_of_one_case_gives_only_that_case) {
  std::mt19937_64 rng(43);
  const test::FpCaseWeight only_zero[] = {{FpCase::kZero, 5}};
  for (int k = 0; k < 1000; ++k) {
    FpCase c = FpCase::kMidRange;
    const uint64_t x = test::fp_operand<64>(rng, only_zero, &c);
    BOOST_TEST_REQUIRE((c == FpCase::kZero && (x == 0 || x == fp::sign_bit<64>())), std::hex << x);
  }
}

BOOST_AUTO_TEST_CASE(a_table_without_weight_is_refused) {
  std::mt19937_64 rng(44);
  const test::FpCaseWeight none[] = {{FpCase::kZero, 0}, {FpCase::kMidRange, 0}};
  BOOST_CHECK_THROW(test::fp_operand<32>(rng, none), std::invalid_argument);
  BOOST_CHECK_THROW(test::fp_operand<32>(rng, std::span<const test::FpCaseWeight>{}), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
