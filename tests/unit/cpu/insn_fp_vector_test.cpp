// Advanced SIMD floating point (Arm ARM C7.2): lane results, the bits a 64-bit or scalar
// form clears, pairwise and across-lanes order, by-element indexing, narrowing and
// widening halves, and FPSR, worked out by hand from the pseudocode. Capstone 4 cannot
// decode the FP16 words; their text is empty and given in a comment as llvm-mc prints it.
#include <boost/test/unit_test.hpp>

#include <bit>
#include <cmath>
#include <random>
#include <set>
#include <sstream>

#include "cpu/decoder/decoder.h"
#include "cpu/fp/fp.h"
#include "cpu_fixture.h"

using test::CpuFixture;

namespace {

constexpr uint64_t kJunk = 0x0123456789abcdefull;

struct FpVecFixture : CpuFixture {
  FpVecFixture() { core.set_sysreg(cpu::SysSlot::CPACR_EL1, 3u << 20); }
  void setv(unsigned n, uint64_t lo, uint64_t hi) { core.state().v[n].d = {lo, hi}; }
  uint64_t lo(unsigned n) const { return core.state().v[n].d[0]; }
  uint64_t hi(unsigned n) const { return core.state().v[n].d[1]; }
  uint32_t fpsr() const { return static_cast<uint32_t>(core.sysreg(cpu::SysSlot::FPSR)); }
};

constexpr uint64_t s2(float a, float b) {  // two single lanes, a in the low lane
  return std::bit_cast<uint32_t>(a) | (static_cast<uint64_t>(std::bit_cast<uint32_t>(b)) << 32);
}
constexpr uint64_t d(double x) { return std::bit_cast<uint64_t>(x); }
constexpr uint64_t h4(uint16_t a, uint16_t b, uint16_t c, uint16_t e) {
  return a | (uint64_t{b} << 16) | (uint64_t{c} << 32) | (uint64_t{e} << 48);
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(insn_fp_vector, FpVecFixture)

BOOST_AUTO_TEST_CASE(three_same_lanes_and_widths) {
  setv(1, s2(1.0f, 2.0f), s2(3.0f, 4.0f));
  setv(2, s2(0.5f, 0.25f), s2(-3.0f, 1e30f));
  exec({{0x4e22d420, "fadd v0.4s, v1.4s, v2.4s"}});
  BOOST_TEST(lo(0) == s2(1.5f, 2.25f));
  BOOST_TEST(hi(0) == s2(0.0f, 1e30f + 4.0f));
  BOOST_TEST(fpsr() == cpu::fp::kIXC);  // 1e30 + 4 is inexact
  setv(0, kJunk, kJunk);
  exec({{0x0e22d420, "fadd v0.2s, v1.2s, v2.2s"}});
  BOOST_TEST(lo(0) == s2(1.5f, 2.25f));
  BOOST_TEST(hi(0) == 0u);  // the 64-bit form clears the upper half
  setv(0, d(1.0), d(-1.0));
  setv(1, d(2.0), d(3.0));
  setv(2, d(4.0), d(5.0));
  exec({{0x4e62cc20, "fmla v0.2d, v1.2d, v2.2d"}});
  BOOST_TEST(lo(0) == d(9.0));
  BOOST_TEST(hi(0) == d(14.0));
  // FADDP: pairs of the concatenation m:n, n's pairs in the low half.
  setv(1, s2(1.0f, 2.0f), s2(3.0f, 4.0f));
  setv(2, s2(10.0f, 20.0f), s2(30.0f, 40.0f));
  exec({{0x6e22d420, "faddp v0.4s, v1.4s, v2.4s"}});
  BOOST_TEST(lo(0) == s2(3.0f, 7.0f));
  BOOST_TEST(hi(0) == s2(30.0f, 70.0f));
  // Compares give all-ones lanes; a NaN compares false and FCMGE raises IOC for it.
  setv(1, s2(1.0f, 2.0f), s2(std::bit_cast<float>(0x7fc00000u), -0.0f));
  setv(2, s2(1.0f, 3.0f), s2(1.0f, 0.0f));
  exec({{0x6e22e420, "fcmge v0.4s, v1.4s, v2.4s"}});
  BOOST_TEST(lo(0) == 0x00000000ffffffffull);
  BOOST_TEST(hi(0) == 0xffffffff00000000ull);
  BOOST_TEST((fpsr() & cpu::fp::kIOC) != 0u);
  // FP16: eight lanes.
  setv(1, h4(0x3c00, 0x4000, 0x4200, 0x4400), h4(0x7bff, 0x0001, 0x8000, 0xfc00));
  setv(2, h4(0x3c00, 0x3c00, 0x3c00, 0x3c00), h4(0x7bff, 0x0001, 0x0000, 0x7c00));
  exec({{0x4e421420, ""}});  // fadd v0.8h, v1.8h, v2.8h
  BOOST_TEST(lo(0) == h4(0x4000, 0x4200, 0x4400, 0x4500));
  BOOST_TEST(hi(0) == h4(0x7c00, 0x0002, 0x0000, 0x7e00));  // overflow, denormal sum, +0, Inf-Inf
  setv(1, s2(1.0f, 2.0f), 0);
  setv(2, s2(3.0f, 2.0f), 0);
  exec({{0x7ea2d420, "fabd s0, s1, s2"}});
  BOOST_TEST(lo(0) == s2(2.0f, 0.0f));  // scalar: one lane, the rest cleared
  BOOST_TEST(hi(0) == 0u);
}

BOOST_AUTO_TEST_CASE(across_lanes_pairwise_and_by_element) {
  // FMAXV combines (0,1) and (2,3) first: a quiet NaN in lane 1 propagates.
  setv(1, s2(1.0f, std::bit_cast<float>(0x7fc00001u)), s2(5.0f, 2.0f));
  exec({{0x6e30f820, "fmaxv s0, v1.4s"}});
  BOOST_TEST(lo(0) == 0x7fc00001u);
  BOOST_TEST(hi(0) == 0u);
  setv(1, h4(0x4400, 0x7e00, 0x3c00, 0x4000), h4(0xc000, 0x7e00, 0x7e00, 0x7e00));
  exec({{0x4eb0c820, ""}});  // fminnmv h0, v1.8h: quiet NaNs lose against numbers
  BOOST_TEST(lo(0) == 0xc000u);
  setv(1, d(1.5), d(2.25));
  exec({{0x7e70d820, "faddp d0, v1.2d"}});
  BOOST_TEST(lo(0) == d(3.75));
  setv(0, s2(1.0f, 1.0f), s2(1.0f, 1.0f));
  setv(1, s2(1.0f, 2.0f), s2(3.0f, 4.0f));
  setv(2, s2(0.0f, 0.0f), s2(0.0f, 10.0f));
  exec({{0x4fa21820, "fmla v0.4s, v1.4s, v2.s[3]"}});
  BOOST_TEST(lo(0) == s2(11.0f, 21.0f));
  BOOST_TEST(hi(0) == s2(31.0f, 41.0f));
  setv(1, d(3.0), kJunk);
  setv(2, d(100.0), d(0.5));
  exec({{0x5fc29820, "fmul d0, d1, v2.d[1]"}});
  BOOST_TEST(lo(0) == d(1.5));
  BOOST_TEST(hi(0) == 0u);
}

BOOST_AUTO_TEST_CASE(conversions_narrowing_and_widening) {
  setv(1, s2(-1.5f, 3e9f), s2(std::bit_cast<float>(0x7fc00000u), -3e9f));
  exec({{0x4ea1b820, "fcvtzs v0.4s, v1.4s"}});
  BOOST_TEST(lo(0) == 0x7fffffffffffffffull);  // -1, then 3e9 saturated to INT32_MAX
  BOOST_TEST(hi(0) == 0x8000000000000000ull);  // NaN -> 0, -3e9 -> INT32_MIN
  BOOST_TEST(fpsr() == (cpu::fp::kIOC | cpu::fp::kIXC));
  setv(1, 3, static_cast<uint64_t>(-5));
  exec({{0x4f7fe420, "scvtf v0.2d, v1.2d, #1"}});
  BOOST_TEST(lo(0) == d(1.5));
  BOOST_TEST(hi(0) == d(-2.5));
  setv(0, kJunk, kJunk);
  setv(1, s2(1.0f, 65504.0f), s2(1e-6f, -2.0f));
  exec({{0x0e216820, "fcvtn v0.4h, v1.4s"}});
  BOOST_TEST(lo(0) == h4(0x3c00, 0x7bff, 0x0011, 0xc000));  // 1e-6 is a half denormal (17 * 2^-24)
  BOOST_TEST(hi(0) == 0u);
  setv(0, kJunk, kJunk);
  setv(1, d(0.5), d(-4.0));
  exec({{0x4e616820, "fcvtn2 v0.4s, v1.2d"}});
  BOOST_TEST(lo(0) == kJunk);  // the "2" form keeps the low half
  BOOST_TEST(hi(0) == s2(0.5f, -4.0f));
  setv(1, kJunk, s2(0.25f, -8.0f));
  exec({{0x4e617820, "fcvtl2 v0.2d, v1.4s"}});
  BOOST_TEST(lo(0) == d(0.25));
  BOOST_TEST(hi(0) == d(-8.0));
  setv(1, d(1.0) + 1, 0);  // 1 + 2^-52: inexact in single, rounded to odd
  exec({{0x7e616820, "fcvtxn s0, d1"}});
  BOOST_TEST(lo(0) == 0x3f800001u);
}

BOOST_AUTO_TEST_CASE(estimates_compares_with_zero_and_sqrt) {
  setv(1, s2(1.0f, 2.0f), s2(0.0f, -0.5f));
  exec({{0x4ea1d820, "frecpe v0.4s, v1.4s"}});
  BOOST_TEST(lo(0) == (0x3f7f8000ull | (0x3eff8000ull << 32)));
  BOOST_TEST(hi(0) == (0x7f800000ull | (0xbfff8000ull << 32)));
  BOOST_TEST((fpsr() & cpu::fp::kDZC) != 0u);
  setv(1, d(1.0), kJunk);
  exec({{0x5ee1f820, "frecpx d0, d1"}});
  BOOST_TEST(lo(0) == 0x4000000000000000ull);
  setv(1, d(-0.0), d(-1e-300));
  exec({{0x4ee0e820, "fcmlt v0.2d, v1.2d, #0.0"}});
  BOOST_TEST(lo(0) == 0u);
  BOOST_TEST(hi(0) == ~0ull);
  setv(1, 0x80000000ull | (0x7fffffffull << 32), 0);
  exec({{0x0ea1c820, "urecpe v0.2s, v1.2s"}});
  BOOST_TEST(lo(0) == (0xff800000ull | (0xffffffffull << 32)));
  setv(1, s2(4.0f, 2.0f), s2(-1.0f, 0.0f));
  exec({{0x6ea1f820, "fsqrt v0.4s, v1.4s"}});
  BOOST_TEST(lo(0) == s2(2.0f, std::sqrt(2.0f)));
  BOOST_TEST(hi(0) == (0x7fc00000ull | 0));
}

BOOST_AUTO_TEST_CASE(fhm_and_complex_arithmetic) {
  // FMLAL: single accumulators plus products of the low half-precision lanes.
  setv(0, s2(1.0f, 1.0f), s2(1.0f, -1.0f));
  setv(1, h4(0x3c00, 0x4000, 0x4200, 0x7bff), h4(0x4400, 0x4400, 0x4400, 0x4400));
  setv(2, h4(0x3800, 0x3800, 0xc000, 0x7bff), h4(0, 0, 0, 0));
  exec({{0x4e22ec20, ""}});  // fmlal v0.4s, v1.4h, v2.4h
  BOOST_TEST(lo(0) == s2(1.5f, 2.0f));
  BOOST_TEST(hi(0) == s2(-5.0f, 65504.0f * 65504.0f - 1.0f));  // no overflow in single
  // By element: every lane times h[7] of v2.
  setv(0, 0, 0);
  setv(2, 0, h4(0, 0, 0, 0x4000));  // h[7] = 2.0
  exec({{0x4fb20820, ""}});  // fmlal v0.4s, v1.4h, v2.h[7]
  BOOST_TEST(lo(0) == s2(2.0f, 4.0f));
  BOOST_TEST(hi(0) == s2(6.0f, 131008.0f));
  // FCADD #90: (a + bi) + i(c + di) = (a - d) + (b + c)i.
  setv(1, s2(1.0f, 2.0f), s2(10.0f, 20.0f));
  setv(2, s2(3.0f, 4.0f), s2(30.0f, 40.0f));
  exec({{0x6e82e420, ""}});  // fcadd v0.4s, v1.4s, v2.4s, #90
  BOOST_TEST(lo(0) == s2(-3.0f, 5.0f));
  BOOST_TEST(hi(0) == s2(-30.0f, 50.0f));
  // FCMLA #0 then #90: a full complex multiply-accumulate, (1 + 2i)(3 + 4i) = -5 + 10i.
  setv(0, 0, 0);
  exec({{0x6e82c420, ""}});  // fcmla v0.4s, v1.4s, v2.4s, #0
  BOOST_TEST(lo(0) == s2(3.0f, 4.0f));  // n.re * (m.re, m.im)
  exec({{0x6e82cc20, ""}});  // fcmla v0.4s, v1.4s, v2.4s, #90
  BOOST_TEST(lo(0) == s2(-5.0f, 10.0f));
  BOOST_TEST(hi(0) == s2(300.0f - 800.0f, 400.0f + 600.0f));
}

// Whatever Capstone decodes in the AdvSIMD space to one of these rows' mnemonics, the
// decoder implements.
BOOST_AUTO_TEST_CASE(no_capstone_decodable_simd_fp_word_is_undefined) {
  using cpu::decoder::InsnId;
  std::set<std::string> mnems;
  for (const auto& row : cpu::decoder::rows()) {
    const std::string name(row.name);
    if (name.rfind("SIMD_", 0) != 0 || name.find("FP") == std::string::npos) continue;
    std::istringstream ss{std::string(row.mnemonics)};
    std::string m;
    while (ss >> m) mnems.insert(m);
  }
  BOOST_TEST_REQUIRE(mnems.count("fmla") == 1u);
  std::mt19937 rng(15);
  unsigned checked = 0, failures = 0;
  for (int k = 0; k < 600000 && failures < 10; ++k) {
    // bit 31 = 0, bits 28:24 = 01110, 01111, 11110 or 11111.
    const uint32_t w = (static_cast<uint32_t>(rng()) & ~0x9f000000u) | 0x0e000000u | ((rng() & 1u) << 24) |
                       ((rng() & 1u) << 28);
    const std::string cs = dis.mnemonic(w, kCode);
    if (cs.empty() || !mnems.count(cs)) continue;
    ++checked;
    cpu::DecodedInst di;
    if (cpu::decoder::decode(w, kCode, di) == InsnId::kUndefined) {
      ++failures;
      BOOST_ERROR("Capstone decodes 0x" << std::hex << w << " as " << cs << " but the decoder does not");
    }
  }
  BOOST_TEST(checked > 10000u);
}

BOOST_AUTO_TEST_SUITE_END()
