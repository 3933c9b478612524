// The whole-register operations of cpu/fp/fp_packed.h (the fast path of FMLA/FMLS, FADD,
// FSUB and FMUL) against the exact lane-by-lane path of cpu/fp/fp.cpp: whenever the packed
// form accepts a vector it must give the same bits and flags as fp.cpp on every lane, it
// must refuse each boundary case the exact path treats differently (denormal inputs under
// FZ, NaNs, infinities, overflow, results at or below the smallest normal, inexact zeros),
// and it must really be taken for ordinary operands. The instruction-level cases then run
// those instructions (vector, by element, scalar by element, every width) and the scalar
// FMADD family, FADD, FSUB and FMUL on random registers and compare the register and FPSR
// with the lane-by-lane pseudocode.
#include <boost/test/unit_test.hpp>

#include <bit>
#include <cstdlib>
#include <random>
#include <type_traits>

#include "cpu/fp/fp.h"
#include "cpu/fp/fp_fast.h"
#include "cpu/fp/fp_packed.h"
#include "cpu_fixture.h"
#include "tests/support/fp_operands.h"
#include "tests/support/sanitizer.h"

namespace fp = cpu::fp;
namespace pk = cpu::fp::packed;

namespace {

int iters() { return test::fp_iters(20000, 400); }

// Operands weighted toward the cases the packed path must refuse: those of fp_fast_test,
// and signed zeros besides (a product with a zero is an exact zero, which the packed path
// refuses beside an inexact lane).
constexpr test::FpCaseWeight kOperandCases[] = {
    {test::FpCase::kZeroOrDenormal, 1}, {test::FpCase::kInfOrNaN, 1}, {test::FpCase::kNearMinNormal, 1},
    {test::FpCase::kNearOverflow, 1},   {test::FpCase::kZero, 1},     {test::FpCase::kMidRange, 11},
};
template <int N>
uint64_t operand(std::mt19937_64& rng) {
  return test::fp_operand<N>(rng, kOperandCases);
}
// An ordinary operand: normal, with an exponent near 1.
template <int N>
uint64_t ordinary(std::mt19937_64& rng) {
  constexpr int E = fp::Fmt<N>::E, F = fp::Fmt<N>::F;
  constexpr uint64_t bias = (uint64_t{1} << (E - 1)) - 1;
  const uint64_t frac = rng() & ((uint64_t{1} << F) - 1);
  return ((rng() & 1) ? fp::sign_bit<N>() : 0) | ((bias - 4 + rng() % 8) << F) | frac;
}

template <int N> constexpr unsigned kLanes = 128 / N;
template <int N> constexpr uint64_t kMask = N == 64 ? ~uint64_t{0} : (uint64_t{1} << N) - 1;

template <int N>
uint64_t lane(const pk::Reg& r, unsigned l) {
  return (r[(l * N) / 64] >> ((l * N) % 64)) & kMask<N>;
}
template <int N>
void set_lane(pk::Reg& r, unsigned l, uint64_t x) {
  r[(l * N) / 64] &= ~(kMask<N> << ((l * N) % 64));
  r[(l * N) / 64] |= (x & kMask<N>) << ((l * N) % 64);
}

// The pseudocode, lane by lane: the result (zero above `lanes`) and the flags FPSR ends with.
// kMulAdd is d + n*m, the others n op m.
template <int N, pk::Op kOp = pk::Op::kMulAdd>
pk::Reg reference(const pk::Reg& d, const pk::Reg& n, const pk::Reg& m, unsigned lanes, uint32_t fpcr,
                  uint32_t& fpsr) {
  fp::Env env{fpcr, fpsr};
  pk::Reg r{0, 0};
  for (unsigned l = 0; l < lanes; ++l) {
    const uint64_t a = lane<N>(n, l), b = lane<N>(m, l);
    uint64_t x;
    if constexpr (kOp == pk::Op::kMulAdd) x = fp::muladd<N>(lane<N>(d, l), a, b, env);
    else if constexpr (kOp == pk::Op::kAdd) x = fp::add<N>(a, b, env);
    else if constexpr (kOp == pk::Op::kSub) x = fp::sub<N>(a, b, env);
    else x = fp::mul<N>(a, b, env);
    set_lane<N>(r, l, x);
  }
  fpsr = env.flags;
  return r;
}

#if defined(__x86_64__)
// pk::arith inlines only into code compiled for FMA, as the handlers are.
template <int N, pk::Op kOp = pk::Op::kMulAdd>
[[gnu::target("fma")]] bool run_packed(pk::Reg& r, uint32_t& flags, pk::Reg d, pk::Reg n, pk::Reg m, unsigned lanes,
                                       uint32_t fpcr, uint32_t fpsr) {
  if constexpr (kOp == pk::Op::kMulAdd) return pk::muladd<N>(r, flags, d, n, m, lanes, fpcr, fpsr);
  else return pk::arith<N, kOp>(r, flags, n, m, pk::Reg{}, lanes, fpcr, fpsr);
}
// Runs the packed form; on acceptance checks it against the reference and returns true.
template <int N, pk::Op kOp = pk::Op::kMulAdd>
bool packed_agrees(const pk::Reg& d, const pk::Reg& n, const pk::Reg& m, unsigned lanes, uint32_t fpcr,
                   uint32_t fpsr, bool& taken) {
  pk::Reg r{0x5555, 0x5555};
  uint32_t flags = 0;
  taken = run_packed<N, kOp>(r, flags, d, n, m, lanes, fpcr, fpsr);
  if (!taken) return r[0] == 0x5555 && r[1] == 0x5555 && flags == 0;  // nothing changed
  uint32_t ref_fpsr = fpsr;
  const pk::Reg ref = reference<N, kOp>(d, n, m, lanes, fpcr, ref_fpsr);
  return r[0] == ref[0] && r[1] == ref[1] && (fpsr | flags) == ref_fpsr;
}

template <int N, pk::Op kOp>
void compare_random(uint64_t seed) {
  std::mt19937_64 rng(seed);
  const uint32_t fpcrs[] = {0, fp::kFpcrFZ, fp::kFpcrDN, fp::kFpcrFZ | fp::kFpcrDN, 1u << 22, 3u << 22};
  const uint32_t fpsrs[] = {0, fp::kIXC, fp::kIXC | fp::kUFC};
  unsigned taken_count = 0, ordinary_taken = 0, ordinary_tried = 0;
  const int n_iter = iters();
  for (int k = 0; k < n_iter; ++k) {
    pk::Reg d{}, n{}, m{};
    // Half the vectors hold one odd lane among ordinary ones: the lane decides alone.
    const bool one_odd = k & 1;
    const unsigned odd = static_cast<unsigned>(rng() % kLanes<N>);
    for (unsigned l = 0; l < kLanes<N>; ++l) {
      const bool wild = !one_odd || l == odd;
      set_lane<N>(d, l, wild ? operand<N>(rng) : ordinary<N>(rng));
      set_lane<N>(n, l, wild ? operand<N>(rng) : ordinary<N>(rng));
      set_lane<N>(m, l, wild ? operand<N>(rng) : ordinary<N>(rng));
    }
    for (unsigned lanes = 1; lanes <= kLanes<N>; lanes *= 2) {
      for (uint32_t fpcr : fpcrs) {
        for (uint32_t fpsr : fpsrs) {
          bool taken;
          BOOST_TEST_REQUIRE((packed_agrees<N, kOp>(d, n, m, lanes, fpcr, fpsr, taken)),
                             std::hex << "d " << d[1] << ":" << d[0] << " n " << n[1] << ":" << n[0] << " m " << m[1]
                                      << ":" << m[0] << " lanes " << lanes << " fpcr " << fpcr << " fpsr " << fpsr);
          taken_count += taken;
        }
      }
    }
    // Ordinary vectors in round to nearest: the packed path must take nearly all of them
    // (it refuses only when a lane's result is an exact zero with another lane inexact).
    pk::Reg od{}, on{}, om{};
    for (unsigned l = 0; l < kLanes<N>; ++l) {
      set_lane<N>(od, l, ordinary<N>(rng));
      set_lane<N>(on, l, ordinary<N>(rng));
      set_lane<N>(om, l, ordinary<N>(rng));
    }
    for (uint32_t fpsr : {0u, fp::kIXC}) {
      bool taken;
      BOOST_TEST_REQUIRE((packed_agrees<N, kOp>(od, on, om, kLanes<N>, fp::kFpcrFZ, fpsr, taken)));
      ++ordinary_tried;
      ordinary_taken += taken;
    }
  }
  BOOST_TEST(taken_count > 0u);
  BOOST_TEST(ordinary_taken * 100 >= ordinary_tried * 99, ordinary_taken << " of " << ordinary_tried);
}
#endif

constexpr uint64_t d64(double x) { return std::bit_cast<uint64_t>(x); }
constexpr uint64_t s32(float x) { return std::bit_cast<uint32_t>(x); }
constexpr uint64_t s2(float a, float b) { return s32(a) | (s32(b) << 32); }

}  // namespace

BOOST_AUTO_TEST_SUITE(fp_packed)

#if defined(__x86_64__)
BOOST_AUTO_TEST_CASE(packed_fma_matches_lanewise_single) {
  BOOST_TEST_REQUIRE(fp::fast::has_fma(), "this host has no FMA: the packed path cannot run here");
  compare_random<32, pk::Op::kMulAdd>(21);
}
BOOST_AUTO_TEST_CASE(packed_fma_matches_lanewise_double) {
  BOOST_TEST_REQUIRE(fp::fast::has_fma(), "this host has no FMA: the packed path cannot run here");
  compare_random<64, pk::Op::kMulAdd>(22);
}
BOOST_AUTO_TEST_CASE(packed_add_sub_mul_match_lanewise) {
  BOOST_TEST_REQUIRE(fp::fast::has_fma(), "this host has no FMA: the packed path cannot run here");
  compare_random<32, pk::Op::kAdd>(31);
  compare_random<64, pk::Op::kAdd>(32);
  compare_random<32, pk::Op::kSub>(33);
  compare_random<64, pk::Op::kSub>(34);
  compare_random<32, pk::Op::kMul>(35);
  compare_random<64, pk::Op::kMul>(36);
}

// Boundaries of the two-operand forms; lane 0 holds 1.5 op 2 (exact).
BOOST_AUTO_TEST_CASE(packed_add_sub_mul_boundaries) {
  BOOST_TEST_REQUIRE(fp::fast::has_fma(), "this host has no FMA: the packed path cannot run here");
  const uint64_t inf = 0x7ff0000000000000ull, min_normal = 0x0010000000000000ull, max = 0x7fefffffffffffffull;
  const uint64_t lane0a = d64(1.5), lane0b = d64(2.0);
  auto check = [&](auto op, const char* what, uint64_t a1, uint64_t b1, uint32_t fpcr, uint32_t fpsr, bool want) {
    constexpr pk::Op kOp = decltype(op)::value;
    bool taken;
    BOOST_TEST((packed_agrees<64, kOp>(pk::Reg{}, pk::Reg{lane0a, a1}, pk::Reg{lane0b, b1}, 2, fpcr, fpsr, taken)),
               what);
    BOOST_TEST(taken == want, what);
  };
  using Add = std::integral_constant<pk::Op, pk::Op::kAdd>;
  using Sub = std::integral_constant<pk::Op, pk::Op::kSub>;
  using Mul = std::integral_constant<pk::Op, pk::Op::kMul>;
  check(Add{}, "1 + 2^-60, inexact", d64(1.0), d64(0x1p-60), 0, 0, true);
  check(Sub{}, "x - x, exact +0", d64(3.0), d64(3.0), 0, 0, true);
  check(Sub{}, "x - x, IXC set", d64(3.0), d64(3.0), 0, fp::kIXC, false);
  check(Sub{}, "Inf - Inf", inf, inf, 0, 0, false);
  check(Add{}, "max + max overflows", max, max, 0, 0, false);
  check(Sub{}, "denormal difference", d64(0x1.8p-1022), min_normal, 0, 0, false);
  check(Add{}, "denormal operand without FZ", 0x0000000000000001ull, d64(1.0), 0, 0, true);
  check(Add{}, "denormal operand under FZ", 0x0000000000000001ull, d64(1.0), fp::kFpcrFZ, 0, false);
  check(Mul{}, "0 x Inf", 0, inf, 0, 0, false);
  check(Mul{}, "underflow to zero", min_normal, min_normal, 0, 0, false);
  check(Mul{}, "underflow to zero, IXC set", min_normal, min_normal, 0, fp::kIXC, false);
  check(Mul{}, "exactly the smallest normal", min_normal, d64(1.0), 0, 0, false);
  check(Mul{}, "x 0, exact zero", d64(5.0), 0, 0, 0, true);
  check(Mul{}, "inexact product", d64(1.0 / 3.0), d64(1.0 / 7.0), 0, 0, true);
  check(Mul{}, "round toward plus infinity", d64(1.0), d64(1.0), 1u << 22, 0, false);
}

// Each boundary: the lane that decides sits in lane 1 among ordinary lanes.
BOOST_AUTO_TEST_CASE(packed_fma_boundaries) {
  BOOST_TEST_REQUIRE(fp::fast::has_fma(), "this host has no FMA: the packed path cannot run here");
  const uint64_t one = d64(1.0), two = d64(2.0), third = d64(1.0 / 3.0);
  const uint64_t min_normal = 0x0010000000000000ull, denormal = 0x0008000000000000ull;
  const uint64_t inf = 0x7ff0000000000000ull, qnan = 0x7ff8000000000001ull, snan = 0x7ff0000000000001ull;
  const uint64_t max = 0x7fefffffffffffffull;
  struct Case {
    const char* what;
    uint64_t d1, n1, m1;  // lane 1; lane 0 is 1 + 2*2
    uint32_t fpcr, fpsr;
    bool taken;
  };
  const Case cases[] = {
      {"exact, IXC clear", one, two, two, 0, 0, true},
      {"inexact, IXC clear", one, third, d64(3.0), 0, 0, true},
      {"inexact, IXC set", one, third, d64(3.0), 0, fp::kIXC, true},
      {"FZ with normal operands", one, two, two, fp::kFpcrFZ, 0, true},
      {"DN with normal operands", one, two, two, fp::kFpcrDN, 0, true},
      {"round toward zero", one, two, two, 3u << 22, 0, false},
      {"denormal addend (exact input without FZ)", denormal, two, two, 0, 0, true},
      {"denormal multiplicand, IXC set", one, denormal, d64(1e300), 0, fp::kIXC, true},
      {"denormal addend under FZ", denormal, two, two, fp::kFpcrFZ, 0, false},
      {"denormal multiplicand under FZ", one, denormal, two, fp::kFpcrFZ, 0, false},
      {"denormal multiplicand under FZ, IXC set", one, two, denormal, fp::kFpcrFZ, fp::kIXC, false},
      {"quiet NaN", qnan, two, two, 0, 0, false},
      {"signalling NaN under DN", one, snan, two, fp::kFpcrDN, 0, false},
      {"infinity", one, inf, two, 0, 0, false},
      {"0 x infinity", one, 0, inf, 0, 0, false},
      {"overflow", max, max, two, 0, 0, false},
      {"result exactly the smallest normal", 0, min_normal, one, 0, 0, false},
      {"denormal result", 0, min_normal, d64(0.5), 0, 0, false},
      {"denormal result under FZ", 0, min_normal, d64(0.5), fp::kFpcrFZ, fp::kIXC, false},
      {"exact zero by cancellation, IXC clear", d64(-4.0), two, two, 0, 0, true},
      {"exact zero by cancellation, IXC set", d64(-4.0), two, two, 0, fp::kIXC, false},
      {"-0 + -0 x 1", 0x8000000000000000ull, 0x8000000000000000ull, one, 0, 0, true},
      {"underflow to zero (tiny product, inexact)", 0, min_normal, min_normal, 0, 0, false},
  };
  for (const Case& c : cases) {
    const pk::Reg d{one, c.d1}, n{two, c.n1}, m{two, c.m1};
    bool taken;
    BOOST_TEST(packed_agrees<64>(d, n, m, 2, c.fpcr, c.fpsr, taken), c.what);
    BOOST_TEST(taken == c.taken, c.what);
  }
  // The same lane 1 beyond the live lanes does not matter: lanes = 1 is the scalar form.
  for (const Case& c : cases) {
    const pk::Reg d{one, c.d1}, n{two, c.n1}, m{two, c.m1};
    bool taken;
    BOOST_TEST(packed_agrees<64>(d, n, m, 1, c.fpcr, c.fpsr, taken), c.what);
    BOOST_TEST(taken == ((c.fpcr & (3u << 22)) == 0), c.what);
  }
  // An inexact lane next to an exact zero lane: which lane was inexact is unknown, refused.
  {
    const pk::Reg d{d64(-4.0), one}, n{two, third}, m{two, d64(3.0)};
    bool taken;
    BOOST_TEST(packed_agrees<64>(d, n, m, 2, 0, 0, taken));
    BOOST_TEST(!taken);
  }
  // Single precision: NaN junk in the upper half of a 2S vector is ignored and cleared.
  {
    const pk::Reg d{s2(1.0f, 2.0f), ~uint64_t{0}}, n{s2(3.0f, 0.5f), 0x7f800001ull}, m{s2(2.0f, 4.0f), 1};
    bool taken;
    BOOST_TEST(packed_agrees<32>(d, n, m, 2, 0, 0, taken));
    BOOST_TEST(taken);
    pk::Reg r{};
    uint32_t flags = 0;
    BOOST_TEST(run_packed<32>(r, flags, d, n, m, 2, 0, 0));
    const uint64_t lo = r[0], hi = r[1];  // (clang binds no reference to a vector element)
    BOOST_TEST(lo == s2(7.0f, 4.0f));
    BOOST_TEST(hi == 0u);
    BOOST_TEST(flags == 0u);
  }
}
#endif

namespace {

struct FmlaFixture : test::CpuFixture {
  FmlaFixture() { core.set_sysreg(cpu::SysSlot::CPACR_EL1, 3u << 20); }
};

// One form: the word (Vd = v0, Vn = v1, Vm = v2, and Va = v3 for the scalar 3-source
// forms), its text, the operation, the lane size, the lanes written, whether it negates n
// (FMLS, FMSUB, FNMADD), the element index of m for the by-element forms (-1 for the
// others), and for the 3-source forms that the addend is Va and whether it is negated.
struct Form {
  uint32_t word;
  const char* text;
  pk::Op op;
  int n;
  unsigned lanes;
  bool neg;
  int index;
  bool addend_a = false, neg_a = false;
};

template <int N>
uint64_t operand_for(std::mt19937_64& rng, bool wild) {
  return wild ? operand<N>(rng) : ordinary<N>(rng);
}

template <int N>
void check_form(FmlaFixture& f, const Form& form, std::mt19937_64& rng) {
  f.load({{form.word, form.text}});
  const uint32_t fpcrs[] = {0, fp::kFpcrFZ, fp::kFpcrDN, 1u << 22};
  const int n_iter = iters() / 20;
  for (int k = 0; k < n_iter; ++k) {
    pk::Reg d{}, n{}, m{}, a{};
    const bool wild = k % 4 == 0;
    for (unsigned l = 0; l < kLanes<N>; ++l) {
      set_lane<N>(d, l, operand_for<N>(rng, wild));
      set_lane<N>(n, l, operand_for<N>(rng, wild));
      set_lane<N>(m, l, operand_for<N>(rng, wild));
      set_lane<N>(a, l, operand_for<N>(rng, wild));
    }
    const uint32_t fpcr = fpcrs[k % 4];
    const uint32_t fpsr0 = (k & 8) ? fp::kIXC : 0;
    f.core.state().v[0].d = {d[0], d[1]};
    f.core.state().v[1].d = {n[0], n[1]};
    f.core.state().v[2].d = {m[0], m[1]};
    f.core.state().v[3].d = {a[0], a[1]};
    f.core.set_sysreg(cpu::SysSlot::FPCR, fpcr);
    f.core.set_sysreg(cpu::SysSlot::FPSR, fpsr0);
    f.core.state().pc = test::CpuFixture::kCode;
    BOOST_TEST_REQUIRE(f.step(1).retired == 1u);
    pk::Reg nn = n, mm = m, dd = form.addend_a ? a : d;
    if (form.neg_a)
      for (unsigned l = 0; l < kLanes<N>; ++l) set_lane<N>(dd, l, fp::fneg<N>(lane<N>(dd, l)));
    if (form.neg)
      for (unsigned l = 0; l < kLanes<N>; ++l) set_lane<N>(nn, l, fp::fneg<N>(lane<N>(n, l)));
    if (form.index >= 0)
      for (unsigned l = 0; l < kLanes<N>; ++l) set_lane<N>(mm, l, lane<N>(m, static_cast<unsigned>(form.index)));
    uint32_t fpsr = fpsr0;
    pk::Reg want;
    switch (form.op) {
      case pk::Op::kMulAdd: want = reference<N, pk::Op::kMulAdd>(dd, nn, mm, form.lanes, fpcr, fpsr); break;
      case pk::Op::kAdd: want = reference<N, pk::Op::kAdd>(d, nn, mm, form.lanes, fpcr, fpsr); break;
      case pk::Op::kSub: want = reference<N, pk::Op::kSub>(d, nn, mm, form.lanes, fpcr, fpsr); break;
      case pk::Op::kMul: want = reference<N, pk::Op::kMul>(d, nn, mm, form.lanes, fpcr, fpsr); break;
    }
    const auto& got = f.core.state().v[0].d;
    BOOST_TEST_REQUIRE((got[0] == want[0] && got[1] == want[1]),
                       form.text << std::hex << " d " << d[1] << ":" << d[0] << " n " << n[1] << ":" << n[0] << " m "
                                 << m[1] << ":" << m[0] << " fpcr " << fpcr << " got " << got[1] << ":" << got[0]
                                 << " want " << want[1] << ":" << want[0]);
    BOOST_TEST_REQUIRE(static_cast<uint32_t>(f.core.sysreg(cpu::SysSlot::FPSR)) == fpsr,
                       form.text << std::hex << " d " << d[1] << ":" << d[0] << " n " << n[1] << ":" << n[0]
                                 << " m " << m[1] << ":" << m[0] << " fpcr " << fpcr);
  }
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(packed_instructions_match_lanewise_pseudocode, FmlaFixture) {
  std::mt19937_64 rng(23);
  constexpr pk::Op kFma = pk::Op::kMulAdd, kAdd = pk::Op::kAdd, kSub = pk::Op::kSub, kMul = pk::Op::kMul;
  const Form forms[] = {
      {0x4e62cc20, "fmla v0.2d, v1.2d, v2.2d", kFma, 64, 2, false, -1},
      {0x4ee2cc20, "fmls v0.2d, v1.2d, v2.2d", kFma, 64, 2, true, -1},
      {0x4e22cc20, "fmla v0.4s, v1.4s, v2.4s", kFma, 32, 4, false, -1},
      {0x4ea2cc20, "fmls v0.4s, v1.4s, v2.4s", kFma, 32, 4, true, -1},
      {0x0e22cc20, "fmla v0.2s, v1.2s, v2.2s", kFma, 32, 2, false, -1},
      {0x0ea2cc20, "fmls v0.2s, v1.2s, v2.2s", kFma, 32, 2, true, -1},
      {0x4fc21820, "fmla v0.2d, v1.2d, v2.d[1]", kFma, 64, 2, false, 1},
      {0x4fc25020, "fmls v0.2d, v1.2d, v2.d[0]", kFma, 64, 2, true, 0},
      {0x4fa21820, "fmla v0.4s, v1.4s, v2.s[3]", kFma, 32, 4, false, 3},
      {0x4f825020, "fmls v0.4s, v1.4s, v2.s[0]", kFma, 32, 4, true, 0},
      {0x0fa21020, "fmla v0.2s, v1.2s, v2.s[1]", kFma, 32, 2, false, 1},
      {0x5fc21820, "fmla d0, d1, v2.d[1]", kFma, 64, 1, false, 1},
      {0x5f825820, "fmls s0, s1, v2.s[2]", kFma, 32, 1, true, 2},
      {0x4e62d420, "fadd v0.2d, v1.2d, v2.2d", kAdd, 64, 2, false, -1},
      {0x4e22d420, "fadd v0.4s, v1.4s, v2.4s", kAdd, 32, 4, false, -1},
      {0x0e22d420, "fadd v0.2s, v1.2s, v2.2s", kAdd, 32, 2, false, -1},
      {0x4ee2d420, "fsub v0.2d, v1.2d, v2.2d", kSub, 64, 2, false, -1},
      {0x4ea2d420, "fsub v0.4s, v1.4s, v2.4s", kSub, 32, 4, false, -1},
      {0x6e62dc20, "fmul v0.2d, v1.2d, v2.2d", kMul, 64, 2, false, -1},
      {0x6e22dc20, "fmul v0.4s, v1.4s, v2.4s", kMul, 32, 4, false, -1},
      {0x2e22dc20, "fmul v0.2s, v1.2s, v2.2s", kMul, 32, 2, false, -1},
      {0x4fa29020, "fmul v0.4s, v1.4s, v2.s[1]", kMul, 32, 4, false, 1},
      {0x4fc29820, "fmul v0.2d, v1.2d, v2.d[1]", kMul, 64, 2, false, 1},
      {0x5fa29820, "fmul s0, s1, v2.s[3]", kMul, 32, 1, false, 3},
      // Scalar FP data-processing (the FMADD family and FADD/FSUB/FMUL).
      {0x1f020c20, "fmadd s0, s1, s2, s3", kFma, 32, 1, false, -1, true, false},
      {0x1f420c20, "fmadd d0, d1, d2, d3", kFma, 64, 1, false, -1, true, false},
      {0x1f028c20, "fmsub s0, s1, s2, s3", kFma, 32, 1, true, -1, true, false},
      {0x1f428c20, "fmsub d0, d1, d2, d3", kFma, 64, 1, true, -1, true, false},
      {0x1f220c20, "fnmadd s0, s1, s2, s3", kFma, 32, 1, true, -1, true, true},
      {0x1f620c20, "fnmadd d0, d1, d2, d3", kFma, 64, 1, true, -1, true, true},
      {0x1f228c20, "fnmsub s0, s1, s2, s3", kFma, 32, 1, false, -1, true, true},
      {0x1f628c20, "fnmsub d0, d1, d2, d3", kFma, 64, 1, false, -1, true, true},
      {0x1e222820, "fadd s0, s1, s2", kAdd, 32, 1, false, -1},
      {0x1e622820, "fadd d0, d1, d2", kAdd, 64, 1, false, -1},
      {0x1e223820, "fsub s0, s1, s2", kSub, 32, 1, false, -1},
      {0x1e623820, "fsub d0, d1, d2", kSub, 64, 1, false, -1},
      {0x1e220820, "fmul s0, s1, s2", kMul, 32, 1, false, -1},
      {0x1e620820, "fmul d0, d1, d2", kMul, 64, 1, false, -1},
  };
  for (const Form& form : forms) {
    if (form.n == 64) check_form<64>(*this, form, rng);
    else check_form<32>(*this, form, rng);
  }
}

BOOST_AUTO_TEST_SUITE_END()
