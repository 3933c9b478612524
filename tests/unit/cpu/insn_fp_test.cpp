// Scalar floating-point instructions (Arm ARM C7.2): results, the zeroed upper bits of the
// destination, NZCV, FPSR and FPCR modes, worked out by hand from the pseudocode. The
// comment on each word is Capstone's text; Capstone 4 cannot decode the FEAT_FP16,
// FEAT_JSCVT and FEAT_FRINTTS words, whose text is left empty (the fixture still checks
// that Capstone rejects them) and given beside them in a comment, as llvm-mc prints it.
#include <boost/test/unit_test.hpp>

#include <random>
#include <set>
#include <sstream>

#include "cpu/decoder/decoder.h"
#include "cpu/fp/fp.h"
#include "cpu_fixture.h"

using test::CpuFixture;

namespace {

constexpr uint64_t kJunk = 0x0123456789abcdefull;
constexpr uint32_t kRP = 1u << 22, kRM = 2u << 22, kRZ = 3u << 22;

struct FpFixture : CpuFixture {
  FpFixture() { core.set_sysreg(cpu::SysSlot::CPACR_EL1, 3u << 20); }  // FPEN = 0b11
  void setv(unsigned n, uint64_t lo, uint64_t hi = kJunk) { core.state().v[n].d = {lo, hi}; }
  uint64_t lo(unsigned n) const { return core.state().v[n].d[0]; }
  uint64_t hi(unsigned n) const { return core.state().v[n].d[1]; }
  void fpcr(uint32_t v) { core.set_sysreg(cpu::SysSlot::FPCR, v); }
  uint32_t fpsr() const { return static_cast<uint32_t>(core.sysreg(cpu::SysSlot::FPSR)); }
  void clear_fpsr() { core.set_sysreg(cpu::SysSlot::FPSR, 0); }
};

constexpr uint64_t d(double x) { return std::bit_cast<uint64_t>(x); }
constexpr uint64_t s(float x) { return std::bit_cast<uint32_t>(x); }

}  // namespace

BOOST_FIXTURE_TEST_SUITE(insn_fp, FpFixture)

BOOST_AUTO_TEST_CASE(fpen_traps_with_ec_7) {
  core.set_sysreg(cpu::SysSlot::CPACR_EL1, 0);
  setv(1, d(1.0));
  exec({{0x1e622820, "fadd d0, d1, d2"}});
  BOOST_TEST((esr() >> 26) == 0x07u);
  BOOST_TEST(vector_taken() == kVbar + 0x200);  // current EL with SP_ELx, synchronous
  BOOST_TEST(core.sysreg(cpu::SysSlot::ELR_EL1) == kCode);
  // FPEN = 0b01 traps EL0 only: EL1 runs on.
  core.set_sysreg(cpu::SysSlot::CPACR_EL1, 1u << 20);
  setv(1, d(1.5));
  setv(2, d(2.25));
  exec({{0x1e622820, "fadd d0, d1, d2"}});
  BOOST_TEST(lo(0) == d(3.75));
}

BOOST_AUTO_TEST_CASE(two_source_arithmetic_zeroes_the_upper_bits) {
  setv(0, kJunk, kJunk);
  setv(1, d(1.5));
  setv(2, d(2.25));
  exec({{0x1e622820, "fadd d0, d1, d2"}});
  BOOST_TEST(lo(0) == d(3.75));
  BOOST_TEST(hi(0) == 0u);
  setv(4, d(1.0));
  setv(5, d(0.25));
  exec({{0x1e653883, "fsub d3, d4, d5"}});
  BOOST_TEST(lo(3) == d(0.75));
  setv(7, 0xffffffff00000000ull | s(3.0f));  // the upper half of D7 is not part of S7
  setv(8, s(-0.5f));
  exec({{0x1e2808e6, "fmul s6, s7, s8"}});
  BOOST_TEST(lo(6) == s(-1.5f));
  BOOST_TEST(hi(6) == 0u);
  setv(1, d(1.0));
  setv(2, d(3.0));
  exec({{0x1e621820, "fdiv d0, d1, d2"}});
  BOOST_TEST(lo(0) == d(1.0 / 3.0));
  BOOST_TEST(fpsr() == cpu::fp::kIXC);
  exec({{0x1e628820, "fnmul d0, d1, d2"}});
  BOOST_TEST(lo(0) == d(-3.0));
  exec({{0x1e624820, "fmax d0, d1, d2"}});
  BOOST_TEST(lo(0) == d(3.0));
  exec({{0x1e625820, "fmin d0, d1, d2"}});
  BOOST_TEST(lo(0) == d(1.0));
  // FMAXNM prefers a number to a quiet NaN; FMAX propagates it.
  setv(2, 0x7ff8000000000123ull);
  exec({{0x1e626820, "fmaxnm d0, d1, d2"}});
  BOOST_TEST(lo(0) == d(1.0));
  exec({{0x1e624820, "fmax d0, d1, d2"}});
  BOOST_TEST(lo(0) == 0x7ff8000000000123ull);
  setv(1, s(-0.0f));
  setv(2, s(0.0f));
  exec({{0x1e227820, "fminnm s0, s1, s2"}});
  BOOST_TEST(lo(0) == s(-0.0f));
  // Half precision: 1.5 + 2.25 = 3.75 (0x3e00 + 0x4080 = 0x4380).
  setv(1, 0x3e00);
  setv(2, 0x4080);
  exec({{0x1ee22820, ""}});  // fadd h0, h1, h2
  BOOST_TEST(lo(0) == 0x4380u);
  BOOST_TEST(hi(0) == 0u);
}

BOOST_AUTO_TEST_CASE(fpsr_flags_accumulate_and_fpcr_modes_apply) {
  setv(1, d(1.0));
  setv(2, d(0.0));
  exec({{0x1e621820, "fdiv d0, d1, d2"}});
  BOOST_TEST(lo(0) == 0x7ff0000000000000ull);
  BOOST_TEST(fpsr() == cpu::fp::kDZC);
  setv(2, d(3.0));
  exec({{0x1e621820, "fdiv d0, d1, d2"}});
  BOOST_TEST(fpsr() == (cpu::fp::kDZC | cpu::fp::kIXC));  // cumulative
  // Rounding modes: 1/3 rounded up and down differ in the last bit.
  clear_fpsr();
  fpcr(kRP);
  exec({{0x1e621820, "fdiv d0, d1, d2"}});
  const uint64_t up = lo(0);
  fpcr(kRM);
  exec({{0x1e621820, "fdiv d0, d1, d2"}});
  BOOST_TEST(up == lo(0) + 1);
  fpcr(kRZ);
  exec({{0x1e621820, "fdiv d0, d1, d2"}});
  BOOST_TEST(up == lo(0) + 1);
  // FZ: a denormal operand is zero (IDC); DN: NaN results are the default NaN.
  clear_fpsr();
  fpcr(cpu::fp::kFpcrFZ);
  setv(1, 1);  // the smallest denormal
  setv(2, d(-0.0));
  exec({{0x1e622820, "fadd d0, d1, d2"}});
  BOOST_TEST(lo(0) == 0u);  // +0 + -0 = +0
  BOOST_TEST(fpsr() == cpu::fp::kIDC);
  fpcr(cpu::fp::kFpcrDN);
  setv(1, 0xfff0000000000001ull);  // signalling NaN
  exec({{0x1e622820, "fadd d0, d1, d2"}});
  BOOST_TEST(lo(0) == 0x7ff8000000000000ull);
  BOOST_TEST((fpsr() & cpu::fp::kIOC) != 0u);
  fpcr(0);
  exec({{0x1e622820, "fadd d0, d1, d2"}});
  BOOST_TEST(lo(0) == 0xfff8000000000001ull);  // quietened, sign and payload kept
}

BOOST_AUTO_TEST_CASE(fused_multiply_add_family) {
  // (1 + 2^-52)^2 - (1 + 2^-51) = 2^-104: only a fused operation sees it.
  setv(1, d(1.0) + 1);
  setv(2, d(1.0) + 1);
  setv(3, d(1.0) + 2);
  exec({{0x1f628c20, "fnmsub d0, d1, d2, d3"}});  // -a + n*m
  BOOST_TEST(lo(0) == d(0x1p-104));
  BOOST_TEST(fpsr() == 0u);
  setv(1, d(2.0));
  setv(2, d(3.0));
  setv(3, d(10.0));
  exec({{0x1f420c20, "fmadd d0, d1, d2, d3"}});
  BOOST_TEST(lo(0) == d(16.0));
  exec({{0x1f428c20, "fmsub d0, d1, d2, d3"}});
  BOOST_TEST(lo(0) == d(4.0));
  exec({{0x1f620c20, "fnmadd d0, d1, d2, d3"}});
  BOOST_TEST(lo(0) == d(-16.0));
  exec({{0x1f628c20, "fnmsub d0, d1, d2, d3"}});
  BOOST_TEST(lo(0) == d(-4.0));
  // FMSUB negates Rn before NaN propagation: a NaN there comes out with its sign flipped.
  setv(1, 0x7ff8000000000005ull);
  exec({{0x1f428c20, "fmsub d0, d1, d2, d3"}});
  BOOST_TEST(lo(0) == 0xfff8000000000005ull);
  setv(1, s(1.5f));
  setv(2, s(2.0f));
  setv(3, s(0.25f));
  exec({{0x1f020c20, "fmadd s0, s1, s2, s3"}});
  BOOST_TEST(lo(0) == s(3.25f));
  setv(1, 0x3e00);  // 1.5
  setv(2, 0x4000);  // 2.0
  setv(3, 0x3400);  // 0.25
  exec({{0x1fc20c20, ""}});  // fmadd h0, h1, h2, h3
  BOOST_TEST(lo(0) == 0x4280u);  // 3.25
}

BOOST_AUTO_TEST_CASE(compares_set_nzcv_and_ioc) {
  setv(1, d(1.0));
  setv(2, d(2.0));
  exec({{0x1e622020, "fcmp d1, d2"}});
  BOOST_TEST(nzcv() == 0b1000u);
  setv(2, d(-0.0));
  exec({{0x1e202028, "fcmp s1, #0.0"}});  // S1 = low half of 1.0 as double = +0.0
  BOOST_TEST(nzcv() == 0b0110u);
  exec({{0x1e622020, "fcmp d1, d2"}});
  BOOST_TEST(nzcv() == 0b0010u);
  setv(2, 0x7ff8000000000000ull);
  exec({{0x1e622020, "fcmp d1, d2"}});
  BOOST_TEST(nzcv() == 0b0011u);
  BOOST_TEST(fpsr() == 0u);  // FCMP: a quiet NaN is not invalid
  exec({{0x1e622030, "fcmpe d1, d2"}});
  BOOST_TEST(nzcv() == 0b0011u);
  BOOST_TEST(fpsr() == cpu::fp::kIOC);  // FCMPE: it is
  setv(1, 0x8000);  // -0.0 half
  exec({{0x1ee02038, ""}});  // fcmpe h1, #0.0
  BOOST_TEST(nzcv() == 0b0110u);
  // FCCMP: the comparison when the condition holds, else the immediate flags.
  setv(1, d(5.0));
  setv(2, d(5.0));
  set_nzcv(0b0100);  // EQ holds
  exec({{0x1e620424, "fccmp d1, d2, #4, eq"}});
  BOOST_TEST(nzcv() == 0b0110u);
  set_nzcv(0b0000);  // EQ fails
  exec({{0x1e620424, "fccmp d1, d2, #4, eq"}});
  BOOST_TEST(nzcv() == 0b0100u);
  clear_fpsr();
  setv(1, 0x7fc00000);
  setv(2, s(1.0f));
  set_nzcv(0b0000);  // NE holds
  exec({{0x1e22143f, "fccmpe s1, s2, #0xf, ne"}});
  BOOST_TEST(nzcv() == 0b0011u);
  BOOST_TEST(fpsr() == cpu::fp::kIOC);
  // FCSEL
  setv(1, d(1.0));
  setv(2, d(2.0));
  set_nzcv(0b0100);
  exec({{0x1e620c20, "fcsel d0, d1, d2, eq"}});
  BOOST_TEST(lo(0) == d(1.0));
  set_nzcv(0b0000);
  exec({{0x1e620c20, "fcsel d0, d1, d2, eq"}});
  BOOST_TEST(lo(0) == d(2.0));
  setv(1, 0x1111);
  setv(2, 0x2222);
  set_nzcv(0b1000);  // N != V: LT holds
  exec({{0x1ee2bc20, ""}});  // fcsel h0, h1, h2, lt
  BOOST_TEST(lo(0) == 0x1111u);
  BOOST_TEST(hi(0) == 0u);
}

BOOST_AUTO_TEST_CASE(one_source_and_immediates) {
  exec({{0x1e6e1000, "fmov d0, #1.00000000"}});
  BOOST_TEST(lo(0) == d(1.0));
  BOOST_TEST(hi(0) == 0u);
  exec({{0x1e309000, "fmov s0, #-2.50000000"}});
  BOOST_TEST(lo(0) == s(-2.5f));
  exec({{0x1eec1000, ""}});  // fmov h0, #0.5
  BOOST_TEST(lo(0) == 0x3800u);
  setv(1, 0xfff0000000000001ull);  // signalling NaN: FMOV/FABS/FNEG do not touch it
  exec({{0x1e604020, "fmov d0, d1"}});
  BOOST_TEST(lo(0) == 0xfff0000000000001ull);
  exec({{0x1e614020, "fneg d0, d1"}});
  BOOST_TEST(lo(0) == 0x7ff0000000000001ull);
  exec({{0x1e20c020, "fabs s0, s1"}});
  BOOST_TEST(lo(0) == 1u);
  BOOST_TEST(fpsr() == 0u);
  setv(1, d(2.0));
  exec({{0x1e61c020, "fsqrt d0, d1"}});
  BOOST_TEST(lo(0) == d(1.4142135623730951));
  BOOST_TEST(fpsr() == cpu::fp::kIXC);
  clear_fpsr();
  setv(1, s(-4.0f));
  exec({{0x1e21c020, "fsqrt s0, s1"}});
  BOOST_TEST(lo(0) == 0x7fc00000u);
  BOOST_TEST(fpsr() == cpu::fp::kIOC);
  setv(1, 0x4400);  // 4.0
  exec({{0x1ee1c020, ""}});  // fsqrt h0, h1
  BOOST_TEST(lo(0) == 0x4000u);
}

BOOST_AUTO_TEST_CASE(precision_conversions) {
  setv(1, d(1.0 / 3.0));
  exec({{0x1e624020, "fcvt s0, d1"}});
  BOOST_TEST(lo(0) == s(1.0f / 3.0f));
  BOOST_TEST(hi(0) == 0u);
  setv(1, s(0.1f));
  exec({{0x1e22c020, "fcvt d0, s1"}});
  BOOST_TEST(lo(0) == d(static_cast<double>(0.1f)));
  setv(1, d(65520.0));  // halfway between the largest half and 2^16: rounds to infinity
  clear_fpsr();
  exec({{0x1e63c020, "fcvt h0, d1"}});
  BOOST_TEST(lo(0) == 0x7c00u);
  BOOST_TEST(fpsr() == (cpu::fp::kOFC | cpu::fp::kIXC));
  // With FPCR.AHP the top exponent is a normal one (65536 = 0x7c00).
  fpcr(cpu::fp::kFpcrAHP);
  clear_fpsr();
  exec({{0x1e63c020, "fcvt h0, d1"}});
  BOOST_TEST(lo(0) == 0x7c00u);  // halfway between 0x7bff and 0x7c00 (65536 here): to even
  BOOST_TEST(fpsr() == cpu::fp::kIXC);  // not an overflow in the alternative format
  fpcr(0);
  setv(1, 0x3555);  // 0.333251953125
  exec({{0x1ee2c020, "fcvt d0, h1"}});
  BOOST_TEST(lo(0) == d(0.333251953125));
  exec({{0x1ee24020, "fcvt s0, h1"}});
  BOOST_TEST(lo(0) == s(0.333251953125f));
  setv(1, s(0.333251953125f));
  exec({{0x1e23c020, "fcvt h0, s1"}});
  BOOST_TEST(lo(0) == 0x3555u);
}

BOOST_AUTO_TEST_CASE(round_to_integral) {
  setv(1, d(-2.5));
  exec({{0x1e644020, "frintn d0, d1"}});
  BOOST_TEST(lo(0) == d(-2.0));
  exec({{0x1e64c020, "frintp d0, d1"}});
  BOOST_TEST(lo(0) == d(-2.0));
  exec({{0x1e654020, "frintm d0, d1"}});
  BOOST_TEST(lo(0) == d(-3.0));
  exec({{0x1e65c020, "frintz d0, d1"}});
  BOOST_TEST(lo(0) == d(-2.0));
  exec({{0x1e664020, "frinta d0, d1"}});
  BOOST_TEST(lo(0) == d(-3.0));
  BOOST_TEST(fpsr() == 0u);  // only FRINTX reports inexact
  fpcr(kRM);
  exec({{0x1e67c020, "frinti d0, d1"}});
  BOOST_TEST(lo(0) == d(-3.0));
  exec({{0x1e674020, "frintx d0, d1"}});
  BOOST_TEST(lo(0) == d(-3.0));
  BOOST_TEST(fpsr() == cpu::fp::kIXC);
  fpcr(0);
  clear_fpsr();
  setv(1, d(-0.25));
  exec({{0x1e644020, "frintn d0, d1"}});
  BOOST_TEST(lo(0) == d(-0.0));
  // FRINT32Z/64X (FEAT_FRINTTS): out of range gives the most negative integer, IOC.
  setv(1, d(3e9));
  exec({{0x1e684020, ""}});  // frint32z d0, d1
  BOOST_TEST(lo(0) == d(-2147483648.0));
  BOOST_TEST(fpsr() == cpu::fp::kIOC);
  exec({{0x1e694020, ""}});  // frint64z d0, d1
  BOOST_TEST(lo(0) == d(3e9));
  setv(1, s(2.5f));
  clear_fpsr();
  exec({{0x1e28c020, ""}});  // frint32x s0, s1
  BOOST_TEST(lo(0) == s(2.0f));
  BOOST_TEST(fpsr() == cpu::fp::kIXC);
  setv(1, d(-0.5));
  fpcr(kRM);
  exec({{0x1e69c020, ""}});  // frint64x d0, d1
  BOOST_TEST(lo(0) == d(-1.0));
}

BOOST_AUTO_TEST_CASE(conversions_to_and_from_integers) {
  setv(1, d(-2.5));
  exec({{0x1e780020, "fcvtzs w0, d1"}});
  BOOST_TEST(x(0) == 0xfffffffeu);  // -2, upper half of X0 zero
  exec({{0x9e780020, "fcvtzs x0, d1"}});
  BOOST_TEST(x(0) == static_cast<uint64_t>(-2));
  exec({{0x9e600020, "fcvtns x0, d1"}});
  BOOST_TEST(x(0) == static_cast<uint64_t>(-2));
  exec({{0x9e640020, "fcvtas x0, d1"}});
  BOOST_TEST(x(0) == static_cast<uint64_t>(-3));
  exec({{0x9e680020, "fcvtps x0, d1"}});
  BOOST_TEST(x(0) == static_cast<uint64_t>(-2));
  exec({{0x9e700020, "fcvtms x0, d1"}});
  BOOST_TEST(x(0) == static_cast<uint64_t>(-3));
  BOOST_TEST(fpsr() == cpu::fp::kIXC);
  clear_fpsr();
  exec({{0x9e710020, "fcvtmu x0, d1"}});
  BOOST_TEST(x(0) == 0u);
  BOOST_TEST(fpsr() == cpu::fp::kIOC);  // negative to unsigned saturates
  setv(1, d(1e30));
  exec({{0x9e610020, "fcvtnu x0, d1"}});
  BOOST_TEST(x(0) == ~0ull);
  exec({{0x9e650020, "fcvtau x0, d1"}});
  BOOST_TEST(x(0) == ~0ull);
  setv(1, s(4294967040.0f));
  exec({{0x1e390020, "fcvtzu w0, s1"}});
  BOOST_TEST(x(0) == 4294967040u);
  setv(1, s(0.5f));
  exec({{0x1e290020, "fcvtpu w0, s1"}});
  BOOST_TEST(x(0) == 1u);
  setv(1, 0xd140);  // -42.0 half
  exec({{0x9ef80020, ""}});  // fcvtzs x0, h1
  BOOST_TEST(x(0) == static_cast<uint64_t>(-42));
  // Integer to FP, in FPCR's rounding mode.
  x(1) = (1ull << 53) + 1;
  exec({{0x9e620020, "scvtf d0, x1"}});
  BOOST_TEST(lo(0) == d(0x1p53));
  fpcr(kRP);
  exec({{0x9e620020, "scvtf d0, x1"}});
  BOOST_TEST(lo(0) == d(0x1p53 + 2));
  fpcr(0);
  x(1) = 0xffffffff80000000ull;  // W1 = INT32_MIN
  exec({{0x1e220020, "scvtf s0, w1"}});
  BOOST_TEST(lo(0) == s(-2147483648.0f));
  exec({{0x1e620020, "scvtf d0, w1"}});
  BOOST_TEST(lo(0) == d(-2147483648.0));
  x(1) = ~0ull;
  exec({{0x9e630020, "ucvtf d0, x1"}});
  BOOST_TEST(lo(0) == d(0x1p64));
  x(1) = 65504;
  exec({{0x1ee30020, ""}});  // ucvtf h0, w1
  BOOST_TEST(lo(0) == 0x7bffu);
  // Fixed point.
  setv(1, d(2.75));
  exec({{0x1e58f020, "fcvtzs w0, d1, #4"}});
  BOOST_TEST(x(0) == 44u);
  setv(1, s(1.5f));
  exec({{0x9e19d820, "fcvtzu x0, s1, #0xa"}});
  BOOST_TEST(x(0) == 1536u);
  x(1) = 1ull << 63;
  exec({{0x9e420020, "scvtf d0, x1, #0x40"}});
  BOOST_TEST(lo(0) == d(-0.5));
  x(1) = 3;
  exec({{0x1e03fc20, "ucvtf s0, w1, #1"}});
  BOOST_TEST(lo(0) == s(1.5f));
  x(1) = 0x80000000u;
  exec({{0x1e428020, "scvtf d0, w1, #0x20"}});
  BOOST_TEST(lo(0) == d(-0.5));
}

BOOST_AUTO_TEST_CASE(fmov_general_registers) {
  setv(1, 0x1122334455667788ull, 0x99aabbccddeeff00ull);
  exec({{0x9e660020, "fmov x0, d1"}});
  BOOST_TEST(x(0) == 0x1122334455667788ull);
  exec({{0x1e260020, "fmov w0, s1"}});
  BOOST_TEST(x(0) == 0x55667788u);
  exec({{0x9eae0020, "fmov x0, v1.d[1]"}});
  BOOST_TEST(x(0) == 0x99aabbccddeeff00ull);
  exec({{0x1ee60020, ""}});  // fmov w0, h1
  BOOST_TEST(x(0) == 0x7788u);
  x(1) = 0xfedcba9876543210ull;
  setv(0, kJunk, kJunk);
  exec({{0x9e670020, "fmov d0, x1"}});
  BOOST_TEST(lo(0) == 0xfedcba9876543210ull);
  BOOST_TEST(hi(0) == 0u);
  exec({{0x1e270020, "fmov s0, w1"}});
  BOOST_TEST(lo(0) == 0x76543210u);
  setv(0, kJunk, kJunk);
  exec({{0x9eaf0020, "fmov v0.d[1], x1"}});
  BOOST_TEST(lo(0) == kJunk);  // the low half is kept
  BOOST_TEST(hi(0) == 0xfedcba9876543210ull);
  exec({{0x9ee70020, ""}});  // fmov h0, x1
  BOOST_TEST(lo(0) == 0x3210u);
  BOOST_TEST(hi(0) == 0u);
}

BOOST_AUTO_TEST_CASE(fjcvtzs_sets_z_when_exact) {
  setv(1, d(-7.0));
  set_nzcv(0b1111);
  exec({{0x1e7e0020, ""}});  // fjcvtzs w0, d1
  BOOST_TEST(x(0) == 0xfffffff9u);
  BOOST_TEST(nzcv() == 0b0100u);
  setv(1, d(4294967296.0 + 5.5));  // modulo 2^32, inexact and out of range
  exec({{0x1e7e0020, ""}});
  BOOST_TEST(x(0) == 5u);
  BOOST_TEST(nzcv() == 0b0000u);
  BOOST_TEST(fpsr() == cpu::fp::kIOC);
}

// Whatever Capstone decodes in the scalar FP encoding space to a mnemonic these rows cover,
// the decoder implements (the reverse of the oracle test: nothing is left UNDEFINED).
BOOST_AUTO_TEST_CASE(no_capstone_decodable_scalar_fp_word_is_undefined) {
  using cpu::decoder::InsnId;
  std::set<std::string> mnems;
  for (InsnId id : {InsnId::FP_1SRC, InsnId::FP_SQRT, InsnId::FP_CMP, InsnId::FP_IMM, InsnId::FP_CCMP,
                    InsnId::FP_MUL, InsnId::FP_DIV, InsnId::FP_ADDSUB, InsnId::FP_MAXMIN, InsnId::FP_CSEL,
                    InsnId::FP_3SRC, InsnId::FP_TO_INT, InsnId::INT_TO_FP, InsnId::FMOV_TO_GEN,
                    InsnId::FMOV_FROM_GEN, InsnId::FJCVTZS, InsnId::FP_TO_FIXED, InsnId::FIXED_TO_FP}) {
    std::istringstream ss{std::string(cpu::decoder::rows()[static_cast<size_t>(id)].mnemonics)};
    std::string m;
    while (ss >> m) mnems.insert(m);
  }
  std::mt19937 rng(14);
  unsigned checked = 0, failures = 0;
  for (int k = 0; k < 400000 && failures < 10; ++k) {
    // bits 28:24 = 1111x, bit 30 = 0: scalar FP and conversions (bit 31 is sf or M).
    const uint32_t w = (static_cast<uint32_t>(rng()) & ~0x5f000000u) | 0x1e000000u | ((rng() & 1u) << 24);
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
