// Advanced SIMD integer: three same, two-register misc, across lanes, FEAT_RDM and
// FEAT_DotProd. Each instruction runs on a few hundred random and boundary register
// images (saturation limits, signed and unsigned extremes, shift counts around 0 and the
// element size and beyond) against a reference written here from the Arm pseudocode.
// Empty texts mark words Capstone 4 cannot decode (Armv8.1/8.2 extensions).
#include "simd_fixture.h"

using test::Big;
using test::fshr;
using test::Insn;
using test::kE;
using test::ssat;
using test::sx;
using test::trunc;
using test::usat;
using test::zx;
using cpu::VReg;

namespace {

// SSHL USHL SRSHL URSHL SQSHL UQSHL SQRSHL UQRSHL (Arm ARM C7.2, shift = SInt(b<7:0>)).
template <class T, bool kS, bool kRound, bool kSat>
T shl_ref(T a, T b, T, bool& q) {
  Big x = kS ? sx(a) : zx(a);
  const int sh = static_cast<int8_t>(static_cast<uint8_t>(b));
  if (sh >= 0) {
    x *= Big(1) << sh;
  } else {
    if (kRound) x += Big(1) << (-sh - 1);
    x = fshr(x, static_cast<unsigned>(-sh));
  }
  if (!kSat) return trunc<T>(x);
  return kS ? ssat<T>(x, q) : usat<T>(x, q);
}

template <class T> T ones() { return static_cast<T>(~T{0}); }

}  // namespace

BOOST_FIXTURE_TEST_SUITE(simd_three_same, test::SimdFixture)

BOOST_AUTO_TEST_CASE(saturating_add_sub_and_qc) {
  lanewise<uint8_t>({0x4e220c20, "sqadd v0.16b, v1.16b, v2.16b"}, 16,
                    [](uint8_t a, uint8_t b, uint8_t, bool& q) { return ssat<uint8_t>(sx(a) + sx(b), q); });
  lanewise<uint16_t>({0x6e620c20, "uqadd v0.8h, v1.8h, v2.8h"}, 16,
                     [](uint16_t a, uint16_t b, uint16_t, bool& q) { return usat<uint16_t>(zx(a) + zx(b), q); });
  lanewise<uint32_t>({0x4ea22c20, "sqsub v0.4s, v1.4s, v2.4s"}, 16,
                     [](uint32_t a, uint32_t b, uint32_t, bool& q) { return ssat<uint32_t>(sx(a) - sx(b), q); });
  lanewise<uint64_t>({0x6ee22c20, "uqsub v0.2d, v1.2d, v2.2d"}, 16,
                     [](uint64_t a, uint64_t b, uint64_t, bool& q) { return usat<uint64_t>(zx(a) - zx(b), q); });
  lanewise<uint64_t>({0x5ee20c20, "sqadd d0, d1, d2"}, 8,
                     [](uint64_t a, uint64_t b, uint64_t, bool& q) { return ssat<uint64_t>(sx(a) + sx(b), q); });
  lanewise<uint8_t>({0x7e222c20, "uqsub b0, b1, b2"}, 1,
                    [](uint8_t a, uint8_t b, uint8_t, bool& q) { return usat<uint8_t>(zx(a) - zx(b), q); });

  // The limits by hand: 0x7f + 1 saturates and sets QC; QC is sticky only through FPSR.
  const VReg r = run({0x4e220c20, "sqadd v0.16b, v1.16b, v2.16b"}, test::lanes<uint8_t>({0x7f, 0x80, 0x10}),
                     test::lanes<uint8_t>({0x01, 0xff, 0x10}), VReg{});
  BOOST_TEST(r.lane<uint8_t>(0) == 0x7f);
  BOOST_TEST(r.lane<uint8_t>(1) == 0x80);
  BOOST_TEST(r.lane<uint8_t>(2) == 0x20);
  BOOST_TEST(qc());
}

BOOST_AUTO_TEST_CASE(halving_compare_minmax_abd) {
  lanewise<uint8_t>({0x0e220420, "shadd v0.8b, v1.8b, v2.8b"}, 8,
                    [](uint8_t a, uint8_t b, uint8_t, bool&) { return trunc<uint8_t>(fshr(sx(a) + sx(b), 1)); });
  lanewise<uint16_t>({0x6e621420, "urhadd v0.8h, v1.8h, v2.8h"}, 16,
                     [](uint16_t a, uint16_t b, uint16_t, bool&) { return trunc<uint16_t>(fshr(zx(a) + zx(b) + 1, 1)); });
  lanewise<uint32_t>({0x6ea22420, "uhsub v0.4s, v1.4s, v2.4s"}, 16,
                     [](uint32_t a, uint32_t b, uint32_t, bool&) { return trunc<uint32_t>(fshr(zx(a) - zx(b), 1)); });
  lanewise<uint8_t>({0x4e223420, "cmgt v0.16b, v1.16b, v2.16b"}, 16,
                    [](uint8_t a, uint8_t b, uint8_t, bool&) { return sx(a) > sx(b) ? ones<uint8_t>() : uint8_t{0}; });
  lanewise<uint32_t>({0x6ea23420, "cmhi v0.4s, v1.4s, v2.4s"}, 16,
                     [](uint32_t a, uint32_t b, uint32_t, bool&) { return a > b ? ones<uint32_t>() : 0u; });
  lanewise<uint64_t>({0x4ee23c20, "cmge v0.2d, v1.2d, v2.2d"}, 16,
                     [](uint64_t a, uint64_t b, uint64_t, bool&) { return sx(a) >= sx(b) ? ones<uint64_t>() : 0ull; });
  lanewise<uint16_t>({0x6e623c20, "cmhs v0.8h, v1.8h, v2.8h"}, 16,
                     [](uint16_t a, uint16_t b, uint16_t, bool&) { return a >= b ? ones<uint16_t>() : uint16_t{0}; });
  lanewise<uint8_t>({0x6e228c20, "cmeq v0.16b, v1.16b, v2.16b"}, 16,
                    [](uint8_t a, uint8_t b, uint8_t, bool&) { return a == b ? ones<uint8_t>() : uint8_t{0}; });
  lanewise<uint32_t>({0x0ea28c20, "cmtst v0.2s, v1.2s, v2.2s"}, 8,
                     [](uint32_t a, uint32_t b, uint32_t, bool&) { return (a & b) ? ones<uint32_t>() : 0u; });
  lanewise<uint64_t>({0x7ee28c20, "cmeq d0, d1, d2"}, 8,
                     [](uint64_t a, uint64_t b, uint64_t, bool&) { return a == b ? ones<uint64_t>() : 0ull; });
  lanewise<uint8_t>({0x4e226420, "smax v0.16b, v1.16b, v2.16b"}, 16,
                    [](uint8_t a, uint8_t b, uint8_t, bool&) { return sx(a) > sx(b) ? a : b; });
  lanewise<uint16_t>({0x6e626c20, "umin v0.8h, v1.8h, v2.8h"}, 16,
                     [](uint16_t a, uint16_t b, uint16_t, bool&) { return a < b ? a : b; });
  lanewise<uint32_t>({0x4ea27420, "sabd v0.4s, v1.4s, v2.4s"}, 16,
                     [](uint32_t a, uint32_t b, uint32_t, bool&) { return trunc<uint32_t>(abs(sx(a) - sx(b))); });
  lanewise<uint8_t>({0x6e227c20, "uaba v0.16b, v1.16b, v2.16b"}, 16,
                    [](uint8_t a, uint8_t b, uint8_t d, bool&) { return trunc<uint8_t>(zx(d) + abs(zx(a) - zx(b))); });
}

BOOST_AUTO_TEST_CASE(shifts_by_register) {
  lanewise<uint8_t>({0x4e224420, "sshl v0.16b, v1.16b, v2.16b"}, 16, shl_ref<uint8_t, true, false, false>,
                    [this] { return shift_reg<uint8_t>(); });
  lanewise<uint16_t>({0x6e624420, "ushl v0.8h, v1.8h, v2.8h"}, 16, shl_ref<uint16_t, false, false, false>,
                     [this] { return shift_reg<uint16_t>(); });
  lanewise<uint32_t>({0x4ea25420, "srshl v0.4s, v1.4s, v2.4s"}, 16, shl_ref<uint32_t, true, true, false>,
                     [this] { return shift_reg<uint32_t>(); });
  lanewise<uint64_t>({0x6ee25420, "urshl v0.2d, v1.2d, v2.2d"}, 16, shl_ref<uint64_t, false, true, false>,
                     [this] { return shift_reg<uint64_t>(); });
  lanewise<uint8_t>({0x4e224c20, "sqshl v0.16b, v1.16b, v2.16b"}, 16, shl_ref<uint8_t, true, false, true>,
                    [this] { return shift_reg<uint8_t>(); });
  lanewise<uint32_t>({0x6ea24c20, "uqshl v0.4s, v1.4s, v2.4s"}, 16, shl_ref<uint32_t, false, false, true>,
                     [this] { return shift_reg<uint32_t>(); });
  lanewise<uint16_t>({0x4e625c20, "sqrshl v0.8h, v1.8h, v2.8h"}, 16, shl_ref<uint16_t, true, true, true>,
                     [this] { return shift_reg<uint16_t>(); });
  lanewise<uint64_t>({0x6ee25c20, "uqrshl v0.2d, v1.2d, v2.2d"}, 16, shl_ref<uint64_t, false, true, true>,
                     [this] { return shift_reg<uint64_t>(); });
  lanewise<uint64_t>({0x5ee24c20, "sqshl d0, d1, d2"}, 8, shl_ref<uint64_t, true, false, true>,
                     [this] { return shift_reg<uint64_t>(); });
}

BOOST_AUTO_TEST_CASE(arithmetic_and_multiply) {
  lanewise<uint64_t>({0x4ee28420, "add v0.2d, v1.2d, v2.2d"}, 16,
                     [](uint64_t a, uint64_t b, uint64_t, bool&) { return trunc<uint64_t>(zx(a) + zx(b)); });
  lanewise<uint8_t>({0x2e228420, "sub v0.8b, v1.8b, v2.8b"}, 8,
                    [](uint8_t a, uint8_t b, uint8_t, bool&) { return trunc<uint8_t>(zx(a) - zx(b)); });
  lanewise<uint16_t>({0x4e629c20, "mul v0.8h, v1.8h, v2.8h"}, 16,
                     [](uint16_t a, uint16_t b, uint16_t, bool&) { return trunc<uint16_t>(zx(a) * zx(b)); });
  lanewise<uint32_t>({0x4ea29420, "mla v0.4s, v1.4s, v2.4s"}, 16,
                     [](uint32_t a, uint32_t b, uint32_t d, bool&) { return trunc<uint32_t>(zx(d) + zx(a) * zx(b)); });
  lanewise<uint8_t>({0x6e229420, "mls v0.16b, v1.16b, v2.16b"}, 16,
                    [](uint8_t a, uint8_t b, uint8_t d, bool&) { return trunc<uint8_t>(zx(d) - zx(a) * zx(b)); });
  lanewise<uint8_t>({0x6e229c20, "pmul v0.16b, v1.16b, v2.16b"}, 16, [](uint8_t a, uint8_t b, uint8_t, bool&) {
    unsigned r = 0;  // carry-less product
    for (unsigned k = 0; k < 8; ++k)
      if ((b >> k) & 1) r ^= unsigned{a} << k;
    return static_cast<uint8_t>(r);
  });
  lanewise<uint16_t>({0x4e62b420, "sqdmulh v0.8h, v1.8h, v2.8h"}, 16, [](uint16_t a, uint16_t b, uint16_t, bool& q) {
    return ssat<uint16_t>(fshr(2 * sx(a) * sx(b), 16), q);
  });
  lanewise<uint32_t>({0x6ea2b420, "sqrdmulh v0.4s, v1.4s, v2.4s"}, 16, [](uint32_t a, uint32_t b, uint32_t, bool& q) {
    return ssat<uint32_t>(fshr(2 * sx(a) * sx(b) + (Big(1) << 31), 32), q);
  });
  lanewise<uint32_t>({0x7ea2b420, "sqrdmulh s0, s1, s2"}, 4, [](uint32_t a, uint32_t b, uint32_t, bool& q) {
    return ssat<uint32_t>(fshr(2 * sx(a) * sx(b) + (Big(1) << 31), 32), q);
  });
  // FEAT_RDM.
  lanewise<uint16_t>({0x6e428420, ""}, 16, [](uint16_t a, uint16_t b, uint16_t d, bool& q) {  // sqrdmlah v0.8h
    return ssat<uint16_t>(fshr((sx(d) << 16) + 2 * sx(a) * sx(b) + (Big(1) << 15), 16), q);
  });
  lanewise<uint32_t>({0x6e828c20, ""}, 16, [](uint32_t a, uint32_t b, uint32_t d, bool& q) {  // sqrdmlsh v0.4s
    return ssat<uint32_t>(fshr((sx(d) << 32) - 2 * sx(a) * sx(b) + (Big(1) << 31), 32), q);
  });
  lanewise<uint16_t>({0x7e428420, ""}, 2, [](uint16_t a, uint16_t b, uint16_t d, bool& q) {  // sqrdmlah h0, h1, h2
    return ssat<uint16_t>(fshr((sx(d) << 16) + 2 * sx(a) * sx(b) + (Big(1) << 15), 16), q);
  });
  // SQDMULH of the most negative value by itself is the one saturating case.
  const VReg r = run({0x4e62b420, "sqdmulh v0.8h, v1.8h, v2.8h"}, test::lanes<uint16_t>({0x8000, 0x8000}),
                     test::lanes<uint16_t>({0x8000, 0x7fff}), VReg{});
  BOOST_TEST(r.lane<uint16_t>(0) == 0x7fff);
  BOOST_TEST(r.lane<uint16_t>(1) == 0x8001);
  BOOST_TEST(qc());
}

BOOST_AUTO_TEST_CASE(pairwise_and_bitwise) {
  auto pairwise = [this]<class T>(const Insn& ins, unsigned bytes, auto f) {
    check(ins, [=](const VReg& a, const VReg& b, const VReg&, bool&) {
      VReg r;
      const unsigned n = bytes / sizeof(T);
      for (unsigned k = 0; k < n / 2; ++k) {
        r.set_lane<T>(k, f(a.lane<T>(2 * k), a.lane<T>(2 * k + 1)));
        r.set_lane<T>(n / 2 + k, f(b.lane<T>(2 * k), b.lane<T>(2 * k + 1)));
      }
      return r;
    }, [this] { return random_reg<T>(); });
  };
  pairwise.operator()<uint8_t>(Insn{0x4e22bc20, "addp v0.16b, v1.16b, v2.16b"}, 16,
                               [](uint8_t x, uint8_t y) { return trunc<uint8_t>(zx(x) + zx(y)); });
  pairwise.operator()<uint64_t>(Insn{0x4ee2bc20, "addp v0.2d, v1.2d, v2.2d"}, 16,
                                [](uint64_t x, uint64_t y) { return trunc<uint64_t>(zx(x) + zx(y)); });
  pairwise.operator()<uint8_t>(Insn{0x2e22a420, "umaxp v0.8b, v1.8b, v2.8b"}, 8,
                               [](uint8_t x, uint8_t y) { return x > y ? x : y; });
  pairwise.operator()<uint32_t>(Insn{0x4ea2ac20, "sminp v0.4s, v1.4s, v2.4s"}, 16,
                                [](uint32_t x, uint32_t y) { return sx(x) < sx(y) ? x : y; });
  check({0x5ef1b820, "addp d0, v1.2d"}, [](const VReg& a, const VReg&, const VReg&, bool&) {
    VReg r;
    r.d[0] = a.d[0] + a.d[1];
    return r;
  }, [this] { return random_reg<uint64_t>(); });

  lanewise<uint64_t>({0x4e221c20, "and v0.16b, v1.16b, v2.16b"}, 16, [](uint64_t a, uint64_t b, uint64_t, bool&) { return a & b; });
  lanewise<uint64_t>({0x0e621c20, "bic v0.8b, v1.8b, v2.8b"}, 8, [](uint64_t a, uint64_t b, uint64_t, bool&) { return a & ~b; });
  lanewise<uint64_t>({0x4ea21c20, "orr v0.16b, v1.16b, v2.16b"}, 16, [](uint64_t a, uint64_t b, uint64_t, bool&) { return a | b; });
  lanewise<uint64_t>({0x4ee21c20, "orn v0.16b, v1.16b, v2.16b"}, 16, [](uint64_t a, uint64_t b, uint64_t, bool&) { return a | ~b; });
  lanewise<uint64_t>({0x2e221c20, "eor v0.8b, v1.8b, v2.8b"}, 8, [](uint64_t a, uint64_t b, uint64_t, bool&) { return a ^ b; });
  // Bit selects, bit by bit: BSL takes Vn where Vd is 1; BIT inserts Vn where Vm is 1; BIF where Vm is 0.
  auto select = [](uint64_t sel, uint64_t one, uint64_t zero) {
    uint64_t r = 0;
    for (unsigned k = 0; k < 64; ++k) r |= (((sel >> k) & 1) ? (one >> k) & 1 : (zero >> k) & 1) << k;
    return r;
  };
  lanewise<uint64_t>({0x6e621c20, "bsl v0.16b, v1.16b, v2.16b"}, 16,
                     [=](uint64_t a, uint64_t b, uint64_t d, bool&) { return select(d, a, b); });
  lanewise<uint64_t>({0x6ea21c20, "bit v0.16b, v1.16b, v2.16b"}, 16,
                     [=](uint64_t a, uint64_t b, uint64_t d, bool&) { return select(b, a, d); });
  lanewise<uint64_t>({0x2ee21c20, "bif v0.8b, v1.8b, v2.8b"}, 8,
                     [=](uint64_t a, uint64_t b, uint64_t d, bool&) { return select(b, d, a); });
}

BOOST_AUTO_TEST_CASE(dot_product) {
  auto dot = [](bool sgn, unsigned bytes, int idx) {
    return [=](const VReg& a, const VReg& b, const VReg& d, bool&) {
      VReg r;
      for (unsigned k = 0; k < bytes / 4; ++k) {
        Big s = zx(d.lane<uint32_t>(k));
        for (unsigned j = 0; j < 4; ++j) {
          const uint8_t x = a.lane<uint8_t>(4 * k + j);
          const uint8_t y = b.lane<uint8_t>(idx < 0 ? 4 * k + j : 4 * idx + j);
          s += sgn ? sx(x) * sx(y) : zx(x) * zx(y);
        }
        r.set_lane<uint32_t>(k, trunc<uint32_t>(s));
      }
      return r;
    };
  };
  auto g = [this] { return random_reg<uint8_t>(); };
  check({0x4e829420, ""}, dot(true, 16, -1), g);   // sdot v0.4s, v1.16b, v2.16b
  check({0x2e829420, ""}, dot(false, 8, -1), g);   // udot v0.2s, v1.8b, v2.8b
  check({0x4fa2e820, ""}, dot(true, 16, 3), g);    // sdot v0.4s, v1.16b, v2.4b[3]
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(simd_two_reg_misc, test::SimdFixture)

BOOST_AUTO_TEST_CASE(reverse_count_bitwise) {
  auto bytes_perm = [this](const Insn& ins, unsigned bytes, unsigned container, unsigned esize) {
    check(ins, [=](const VReg& a, const VReg&, const VReg&, bool&) {
      VReg r;
      for (unsigned k = 0; k < bytes; ++k) {
        const unsigned base = k / container * container, e = (k % container) / esize, off = k % esize;
        r.set_lane<uint8_t>(k, a.lane<uint8_t>(base + (container / esize - 1 - e) * esize + off));
      }
      return r;
    }, [this] { return random_reg<uint8_t>(); });
  };
  bytes_perm({0x4e200820, "rev64 v0.16b, v1.16b"}, 16, 8, 1);
  bytes_perm({0x6e600820, "rev32 v0.8h, v1.8h"}, 16, 4, 2);
  bytes_perm({0x0e201820, "rev16 v0.8b, v1.8b"}, 8, 2, 1);

  lanewise<uint16_t>({0x4e604820, "cls v0.8h, v1.8h"}, 16, [](uint16_t a, uint16_t, uint16_t, bool&) {
    unsigned n = 0;
    for (int k = 14; k >= 0 && ((a >> k) & 1) == ((a >> 15) & 1); --k) ++n;
    return static_cast<uint16_t>(n);
  });
  lanewise<uint32_t>({0x6ea04820, "clz v0.4s, v1.4s"}, 16, [](uint32_t a, uint32_t, uint32_t, bool&) {
    unsigned n = 0;
    for (int k = 31; k >= 0 && !((a >> k) & 1); --k) ++n;
    return n;
  });
  lanewise<uint8_t>({0x4e205820, "cnt v0.16b, v1.16b"}, 16, [](uint8_t a, uint8_t, uint8_t, bool&) {
    unsigned n = 0;
    for (unsigned k = 0; k < 8; ++k) n += (a >> k) & 1;
    return static_cast<uint8_t>(n);
  });
  lanewise<uint8_t>({0x6e205820, "mvn v0.16b, v1.16b"}, 16,
                    [](uint8_t a, uint8_t, uint8_t, bool&) { return static_cast<uint8_t>(~a); });
  lanewise<uint8_t>({0x2e605820, "rbit v0.8b, v1.8b"}, 8, [](uint8_t a, uint8_t, uint8_t, bool&) {
    uint8_t r = 0;
    for (unsigned k = 0; k < 8; ++k) r = static_cast<uint8_t>(r | (((a >> k) & 1) << (7 - k)));
    return r;
  });
}

BOOST_AUTO_TEST_CASE(pairwise_long_and_saturating_accumulate) {
  check({0x4e202820, "saddlp v0.8h, v1.16b"}, [](const VReg& a, const VReg&, const VReg&, bool&) {
    VReg r;
    for (unsigned k = 0; k < 8; ++k)
      r.set_lane<uint16_t>(k, trunc<uint16_t>(sx(a.lane<uint8_t>(2 * k)) + sx(a.lane<uint8_t>(2 * k + 1))));
    return r;
  }, [this] { return random_reg<uint8_t>(); });
  check({0x6ea06820, "uadalp v0.2d, v1.4s"}, [](const VReg& a, const VReg&, const VReg& d, bool&) {
    VReg r;
    for (unsigned k = 0; k < 2; ++k)
      r.set_lane<uint64_t>(k, trunc<uint64_t>(zx(d.lane<uint64_t>(k)) + zx(a.lane<uint32_t>(2 * k)) +
                                              zx(a.lane<uint32_t>(2 * k + 1))));
    return r;
  }, [this] { return random_reg<uint32_t>(); });
  lanewise<uint8_t>({0x4e203820, "suqadd v0.16b, v1.16b"}, 16,
                    [](uint8_t a, uint8_t, uint8_t d, bool& q) { return ssat<uint8_t>(sx(d) + zx(a), q); });
  lanewise<uint32_t>({0x6ea03820, "usqadd v0.4s, v1.4s"}, 16,
                     [](uint32_t a, uint32_t, uint32_t d, bool& q) { return usat<uint32_t>(zx(d) + sx(a), q); });
}

BOOST_AUTO_TEST_CASE(abs_neg_compare_zero) {
  lanewise<uint64_t>({0x4ee0b820, "abs v0.2d, v1.2d"}, 16,
                     [](uint64_t a, uint64_t, uint64_t, bool&) { return trunc<uint64_t>(abs(sx(a))); });
  lanewise<uint16_t>({0x6e60b820, "neg v0.8h, v1.8h"}, 16,
                     [](uint16_t a, uint16_t, uint16_t, bool&) { return trunc<uint16_t>(-sx(a)); });
  lanewise<uint8_t>({0x4e207820, "sqabs v0.16b, v1.16b"}, 16,
                    [](uint8_t a, uint8_t, uint8_t, bool& q) { return ssat<uint8_t>(abs(sx(a)), q); });
  lanewise<uint32_t>({0x6ea07820, "sqneg v0.4s, v1.4s"}, 16,
                     [](uint32_t a, uint32_t, uint32_t, bool& q) { return ssat<uint32_t>(-sx(a), q); });
  lanewise<uint64_t>({0x5ee07820, "sqabs d0, d1"}, 8,
                     [](uint64_t a, uint64_t, uint64_t, bool& q) { return ssat<uint64_t>(abs(sx(a)), q); });
  lanewise<uint8_t>({0x4e208820, "cmgt v0.16b, v1.16b, #0"}, 16,
                    [](uint8_t a, uint8_t, uint8_t, bool&) { return sx(a) > 0 ? ones<uint8_t>() : uint8_t{0}; });
  lanewise<uint16_t>({0x6e608820, "cmge v0.8h, v1.8h, #0"}, 16,
                     [](uint16_t a, uint16_t, uint16_t, bool&) { return sx(a) >= 0 ? ones<uint16_t>() : uint16_t{0}; });
  lanewise<uint32_t>({0x4ea09820, "cmeq v0.4s, v1.4s, #0"}, 16,
                     [](uint32_t a, uint32_t, uint32_t, bool&) { return a == 0 ? ones<uint32_t>() : 0u; });
  lanewise<uint64_t>({0x6ee09820, "cmle v0.2d, v1.2d, #0"}, 16,
                     [](uint64_t a, uint64_t, uint64_t, bool&) { return sx(a) <= 0 ? ones<uint64_t>() : 0ull; });
  lanewise<uint8_t>({0x0e20a820, "cmlt v0.8b, v1.8b, #0"}, 8,
                    [](uint8_t a, uint8_t, uint8_t, bool&) { return sx(a) < 0 ? ones<uint8_t>() : uint8_t{0}; });
}

BOOST_AUTO_TEST_CASE(narrow_and_shll) {
  // Narrowing: lanes of Vn at twice the width into the low half (rest zero) or, for the "2"
  // forms, the high half with the low half of Vd kept.
  auto narrow = [this]<class T, class W>(const Insn& ins, bool upper, auto f) {
    check(ins, [=](const VReg& a, const VReg&, const VReg& d, bool& q) {
      VReg r;
      if (upper) r.d[0] = d.d[0];
      const unsigned n = 8 / sizeof(T);
      for (unsigned k = 0; k < n; ++k) r.set_lane<T>(upper ? n + k : k, f(a.lane<W>(k), q));
      return r;
    }, [this] { return random_reg<W>(); });
  };
  narrow.operator()<uint8_t, uint16_t>(Insn{0x0e212820, "xtn v0.8b, v1.8h"}, false,
                                       [](uint16_t x, bool&) { return trunc<uint8_t>(zx(x)); });
  narrow.operator()<uint32_t, uint64_t>(Insn{0x4ea12820, "xtn2 v0.4s, v1.2d"}, true,
                                        [](uint64_t x, bool&) { return trunc<uint32_t>(zx(x)); });
  narrow.operator()<uint16_t, uint32_t>(Insn{0x0e614820, "sqxtn v0.4h, v1.4s"}, false,
                                        [](uint32_t x, bool& q) { return ssat<uint16_t>(sx(x), q); });
  narrow.operator()<uint8_t, uint16_t>(Insn{0x6e214820, "uqxtn2 v0.16b, v1.8h"}, true,
                                       [](uint16_t x, bool& q) { return usat<uint8_t>(zx(x), q); });
  narrow.operator()<uint32_t, uint64_t>(Insn{0x2ea12820, "sqxtun v0.2s, v1.2d"}, false,
                                        [](uint64_t x, bool& q) { return usat<uint32_t>(sx(x), q); });
  check({0x5e214820, "sqxtn b0, h1"}, [](const VReg& a, const VReg&, const VReg&, bool& q) {
    VReg r;
    r.set_lane<uint8_t>(0, ssat<uint8_t>(sx(a.lane<uint16_t>(0)), q));
    return r;
  }, [this] { return random_reg<uint16_t>(); });
  check({0x2e213820, "shll v0.8h, v1.8b, #8"}, [](const VReg& a, const VReg&, const VReg&, bool&) {
    VReg r;
    for (unsigned k = 0; k < 8; ++k) r.set_lane<uint16_t>(k, static_cast<uint16_t>(a.lane<uint8_t>(k) << 8));
    return r;
  }, [this] { return random_reg<uint8_t>(); });
  check({0x6ea13820, "shll2 v0.2d, v1.4s, #32"}, [](const VReg& a, const VReg&, const VReg&, bool&) {
    VReg r;
    for (unsigned k = 0; k < 2; ++k) r.set_lane<uint64_t>(k, uint64_t{a.lane<uint32_t>(2 + k)} << 32);
    return r;
  }, [this] { return random_reg<uint32_t>(); });
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(simd_across_lanes, test::SimdFixture)

BOOST_AUTO_TEST_CASE(reductions) {
  // A reduction over n lanes of T into a scalar R.
  auto across = [this]<class T, class R>(const Insn& ins, unsigned n, auto f) {
    check(ins, [=](const VReg& a, const VReg&, const VReg&, bool&) {
      std::vector<T> l;
      for (unsigned k = 0; k < n; ++k) l.push_back(a.lane<T>(k));
      VReg r;
      r.set_lane<R>(0, f(l));
      return r;
    }, [this] { return random_reg<T>(); });
  };
  auto sum = [](bool sgn) {
    return [=](const auto& l) {
      Big s = 0;
      for (auto x : l) s += sgn ? sx(x) : zx(x);
      return s;
    };
  };
  across.operator()<uint8_t, uint8_t>(Insn{0x4e31b820, "addv b0, v1.16b"}, 16, [=](const auto& l) { return trunc<uint8_t>(sum(false)(l)); });
  across.operator()<uint16_t, uint16_t>(Insn{0x0e71b820, "addv h0, v1.4h"}, 4, [=](const auto& l) { return trunc<uint16_t>(sum(false)(l)); });
  across.operator()<uint32_t, uint32_t>(Insn{0x4eb1b820, "addv s0, v1.4s"}, 4, [=](const auto& l) { return trunc<uint32_t>(sum(false)(l)); });
  across.operator()<uint8_t, uint16_t>(Insn{0x4e303820, "saddlv h0, v1.16b"}, 16, [=](const auto& l) { return trunc<uint16_t>(sum(true)(l)); });
  across.operator()<uint32_t, uint64_t>(Insn{0x6eb03820, "uaddlv d0, v1.4s"}, 4, [=](const auto& l) { return trunc<uint64_t>(sum(false)(l)); });
  across.operator()<uint8_t, uint8_t>(Insn{0x0e30a820, "smaxv b0, v1.8b"}, 8, [](const auto& l) {
    uint8_t m = l[0];
    for (auto x : l) if (sx(x) > sx(m)) m = x;
    return m;
  });
  across.operator()<uint16_t, uint16_t>(Insn{0x6e70a820, "umaxv h0, v1.8h"}, 8, [](const auto& l) {
    uint16_t m = 0;
    for (auto x : l) if (x > m) m = x;
    return m;
  });
  across.operator()<uint32_t, uint32_t>(Insn{0x6eb1a820, "uminv s0, v1.4s"}, 4, [](const auto& l) {
    uint32_t m = ~0u;
    for (auto x : l) if (x < m) m = x;
    return m;
  });
  across.operator()<uint8_t, uint8_t>(Insn{0x4e31a820, "sminv b0, v1.16b"}, 16, [](const auto& l) {
    uint8_t m = l[0];
    for (auto x : l) if (sx(x) < sx(m)) m = x;
    return m;
  });
}

BOOST_AUTO_TEST_SUITE_END()
