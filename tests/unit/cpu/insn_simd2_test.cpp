// Advanced SIMD integer: copy, modified immediate, permute, EXT, TBL/TBX, shift by
// immediate, three different, by element and their scalar forms; the Crypto extensions
// (whole AES-128, SHA-1 and SHA-256 blocks run with the instructions, against the
// standards' definitions computed here); the CPACR_EL1.FPEN trap and reserved encodings.
#include <bit>
#include <cmath>

#include "simd_fixture.h"

using cpu::VReg;
using test::Big;
using test::fshr;
using test::Insn;
using test::ssat;
using test::sx;
using test::trunc;
using test::usat;
using test::zx;

namespace {
template <class T> T ones() { return static_cast<T>(~T{0}); }
VReg rep64(uint64_t x) {
  VReg r;
  r.d = {x, x};
  return r;
}
}  // namespace

BOOST_FIXTURE_TEST_SUITE(simd_copy_and_immediate, test::SimdFixture)

BOOST_AUTO_TEST_CASE(dup_ins_umov_smov) {
  auto g8 = [this] { return random_reg<uint8_t>(); };
  check({0x4e1f0420, "dup v0.16b, v1.b[0xf]"}, [](const VReg& a, const VReg&, const VReg&, bool&) {
    VReg r;
    for (unsigned k = 0; k < 16; ++k) r.set_lane<uint8_t>(k, a.lane<uint8_t>(15));
    return r;
  }, g8);
  check({0x4e180420, "dup v0.2d, v1.d[1]"}, [](const VReg& a, const VReg&, const VReg&, bool&) { return rep64(a.d[1]); }, g8);
  check({0x5e160420, "mov h0, v1.h[5]"}, [](const VReg& a, const VReg&, const VReg&, bool&) {
    VReg r;
    r.set_lane<uint16_t>(0, a.lane<uint16_t>(5));
    return r;
  }, g8);
  check({0x6e0c6420, "ins v0.s[1], v1.s[3]"}, [](const VReg& a, const VReg&, const VReg& d, bool&) {
    VReg r = d;
    r.set_lane<uint32_t>(1, a.lane<uint32_t>(3));
    return r;
  }, g8);
  check({0x6e1f0420, "ins v0.b[0xf], v1.b[0]"}, [](const VReg& a, const VReg&, const VReg& d, bool&) {
    VReg r = d;
    r.set_lane<uint8_t>(15, a.lane<uint8_t>(0));
    return r;
  }, g8);

  // From and to general registers.
  x(1) = 0x1122334455668899ull;
  v(0) = rep64(~0ull);
  exec({{0x0e020c20, "dup v0.4h, w1"}});
  BOOST_TEST(v(0).d[0] == 0x8899889988998899ull);
  BOOST_TEST(v(0).d[1] == 0u);  // a 64-bit vector result clears the upper half
  exec({{0x4e080c20, "dup v0.2d, x1"}});
  BOOST_TEST((v(0).d[0] == x(1) && v(0).d[1] == x(1)));
  v(0) = rep64(0);
  exec({{0x4e1a1c20, "ins v0.h[6], w1"}});
  BOOST_TEST(v(0).d[1] == 0x0000889900000000ull);
  exec({{0x4e181c20, "ins v0.d[1], x1"}});
  BOOST_TEST(v(0).d[1] == x(1));

  v(1) = test::lanes<uint64_t>({0x8070605040302010ull, 0xf0e0d0c0b0a09080ull});
  struct Case { Insn ins; uint64_t want; };
  const Case cases[] = {
      {{0x0e132c20, "smov w0, v1.b[9]"}, 0x00000000ffffff90ull},  // sign-extended to 32 bits, X upper half zero
      {{0x4e0e2c20, "smov x0, v1.h[3]"}, 0xffffffffffff8070ull},
      {{0x4e1c2c20, "smov x0, v1.s[3]"}, 0xfffffffff0e0d0c0ull},
      {{0x0e1f3c20, "umov w0, v1.b[0xf]"}, 0xf0ull},
      {{0x0e1e3c20, "umov w0, v1.h[7]"}, 0xf0e0ull},
      {{0x0e143c20, "mov w0, v1.s[2]"}, 0xb0a09080ull},
      {{0x4e183c20, "mov x0, v1.d[1]"}, 0xf0e0d0c0b0a09080ull},
  };
  for (const auto& c : cases) {
    x(0) = 0x5555555555555555ull;
    exec({c.ins});
    BOOST_TEST_CONTEXT(c.ins.text) { BOOST_TEST(x(0) == c.want); }
  }
}

BOOST_AUTO_TEST_CASE(modified_immediate) {
  // Expected values restate each instruction's printed immediate (AdvSIMDExpandImm).
  struct Case { Insn ins; uint64_t lo, hi; };
  const uint64_t f1 = std::bit_cast<uint32_t>(1.0f), fm = std::bit_cast<uint32_t>(-0.125f);
  const Case moves[] = {
      {{0x4f054560, "movi v0.4s, #0xab, lsl #16"}, 0x00ab000000ab0000ull, 0x00ab000000ab0000ull},
      {{0x0f03a7e0, "movi v0.4h, #0x7f, lsl #8"}, 0x7f007f007f007f00ull, 0},
      {{0x0f00d640, "movi v0.2s, #0x12, msl #16"}, 0x0012ffff0012ffffull, 0},
      {{0x4f07e4a0, "movi v0.16b, #0xe5"}, 0xe5e5e5e5e5e5e5e5ull, 0xe5e5e5e5e5e5e5e5ull},
      {{0x2f05e4a0, "movi d0, #0xff00ff0000ff00ff"}, 0xff00ff0000ff00ffull, 0},
      {{0x6f04e440, "movi v0.2d, #0xff0000000000ff00"}, 0xff0000000000ff00ull, 0xff0000000000ff00ull},
      {{0x6f016680, "mvni v0.4s, #0x34, lsl #24"}, ~0x3400000034000000ull, ~0x3400000034000000ull},
      {{0x6f008420, "mvni v0.8h, #0x1"}, ~0x0001000100010001ull, ~0x0001000100010001ull},
      {{0x6f02c6c0, "mvni v0.4s, #0x56, msl #8"}, ~0x000056ff000056ffull, ~0x000056ff000056ffull},
      {{0x4f03f600, "fmov v0.4s, #1.00000000"}, f1 | (f1 << 32), f1 | (f1 << 32)},
      {{0x0f06f400, "fmov v0.2s, #-0.12500000"}, fm | (fm << 32), 0},
      {{0x6f01f7e0, "fmov v0.2d, #31.00000000"}, std::bit_cast<uint64_t>(31.0), std::bit_cast<uint64_t>(31.0)},
      {{0x6f07f7e0, "fmov v0.2d, #-1.93750000"}, std::bit_cast<uint64_t>(-1.9375), std::bit_cast<uint64_t>(-1.9375)},
  };
  // FEAT_FP16 (no Capstone 4 text): half-precision 1.0 is 0x3c00, -0.125 is 0xb000.
  const Case halves[] = {{{0x4f03fe00, ""}, 0x3c003c003c003c00ull, 0x3c003c003c003c00ull},  // fmov v0.8h, #1.0
                         {{0x0f06fc00, ""}, 0xb000b000b000b000ull, 0}};                    // fmov v0.4h, #-0.125
  for (const auto& c : halves) {
    v(0) = rep64(0x123456789abcdef0ull);
    exec({c.ins});
    BOOST_TEST(v(0).d[0] == c.lo);
    BOOST_TEST(v(0).d[1] == c.hi);
  }
  for (const auto& c : moves) {
    v(0) = rep64(0x123456789abcdef0ull);
    exec({c.ins});
    BOOST_TEST_CONTEXT(c.ins.text) {
      BOOST_TEST(v(0).d[0] == c.lo);
      BOOST_TEST(v(0).d[1] == c.hi);
    }
  }
  struct Logic { Insn ins; uint64_t imm; bool is_or; bool q; };
  const Logic logic[] = {
      {{0x4f043400, "orr v0.4s, #0x80, lsl #8"}, 0x0000800000008000ull, true, true},
      {{0x0f009460, "orr v0.4h, #0x3"}, 0x0003000300030003ull, true, false},
      {{0x6f07b7e0, "bic v0.8h, #0xff, lsl #8"}, 0xff00ff00ff00ff00ull, false, true},
      {{0x2f001420, "bic v0.2s, #0x1"}, 0x0000000100000001ull, false, false},
  };
  for (const auto& c : logic) {
    check(c.ins, [=](const VReg&, const VReg&, const VReg& d, bool&) {
      VReg r;
      for (unsigned k = 0; k < (c.q ? 2u : 1u); ++k) r.d[k] = c.is_or ? d.d[k] | c.imm : d.d[k] & ~c.imm;
      return r;
    }, [this] { return random_reg<uint64_t>(); }, {}, {}, 20);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(simd_permute, test::SimdFixture)

BOOST_AUTO_TEST_CASE(zip_uzp_trn_ext_tbl) {
  // Arm ARM pseudocode of each permute, lane by lane.
  auto perm = [this]<class T>(const Insn& ins, unsigned bytes, int kind, unsigned part) {
    check(ins, [=](const VReg& a, const VReg& b, const VReg&, bool&) {
      const unsigned n = bytes / sizeof(T);
      VReg r;
      for (unsigned p = 0; p < n / 2; ++p) {
        if (kind == 0) {  // ZIP
          const unsigned base = part * n / 2;
          r.set_lane<T>(2 * p, a.lane<T>(base + p));
          r.set_lane<T>(2 * p + 1, b.lane<T>(base + p));
        } else if (kind == 1) {  // UZP: even or odd elements of Vm:Vn
          r.set_lane<T>(p, a.lane<T>(2 * p + part));
          r.set_lane<T>(n / 2 + p, b.lane<T>(2 * p + part));
        } else {  // TRN
          r.set_lane<T>(2 * p, a.lane<T>(2 * p + part));
          r.set_lane<T>(2 * p + 1, b.lane<T>(2 * p + part));
        }
      }
      return r;
    }, [this] { return random_reg<uint8_t>(); });
  };
  perm.operator()<uint8_t>(Insn{0x4e023820, "zip1 v0.16b, v1.16b, v2.16b"}, 16, 0, 0);
  perm.operator()<uint16_t>(Insn{0x0e427820, "zip2 v0.4h, v1.4h, v2.4h"}, 8, 0, 1);
  perm.operator()<uint32_t>(Insn{0x4e821820, "uzp1 v0.4s, v1.4s, v2.4s"}, 16, 1, 0);
  perm.operator()<uint8_t>(Insn{0x0e025820, "uzp2 v0.8b, v1.8b, v2.8b"}, 8, 1, 1);
  perm.operator()<uint64_t>(Insn{0x4ec22820, "trn1 v0.2d, v1.2d, v2.2d"}, 16, 2, 0);
  perm.operator()<uint16_t>(Insn{0x4e426820, "trn2 v0.8h, v1.8h, v2.8h"}, 16, 2, 1);

  auto ext = [](unsigned bytes, unsigned pos) {
    return [=](const VReg& a, const VReg& b, const VReg&, bool&) {
      VReg r;
      for (unsigned k = 0; k < bytes; ++k)
        r.set_lane<uint8_t>(k, k + pos < bytes ? a.lane<uint8_t>(k + pos) : b.lane<uint8_t>(k + pos - bytes));
      return r;
    };
  };
  auto g8 = [this] { return random_reg<uint8_t>(); };
  check({0x6e022820, "ext v0.16b, v1.16b, v2.16b, #5"}, ext(16, 5), g8);
  check({0x2e023820, "ext v0.8b, v1.8b, v2.8b, #7"}, ext(8, 7), g8);

  // Table lookups with indices in and out of range (TBL gives 0, TBX keeps Vd).
  auto idx = [this] {
    VReg r;
    for (unsigned k = 0; k < 16; ++k) r.set_lane<uint8_t>(k, static_cast<uint8_t>(rng_() % 80));
    return r;
  };
  for (int t = 0; t < 100; ++t) {
    VReg regs[32];
    for (auto& r : regs) r = random_reg<uint8_t>();
    const VReg ix = idx();
    struct Case { Insn ins; unsigned first, len, bytes, m; bool tbx; };
    const Case cases[] = {
        {{0x4e020020, "tbl v0.16b, {v1.16b}, v2.16b"}, 1, 1, 16, 2, false},
        {{0x0e032020, "tbl v0.8b, {v1.16b, v2.16b}, v3.8b"}, 1, 2, 8, 3, false},
        {{0x4e025020, "tbx v0.16b, {v1.16b, v2.16b, v3.16b}, v2.16b"}, 1, 3, 16, 2, true},
        {{0x4e0363e0, "tbl v0.16b, {v31.16b, v0.16b, v1.16b, v2.16b}, v3.16b"}, 31, 4, 16, 3, false},
    };
    for (const auto& c : cases) {
      for (unsigned k = 0; k < 32; ++k) v(k) = regs[k];
      v(c.m) = ix;
      const VReg before0 = v(0);
      const VReg m = v(c.m);
      std::vector<uint8_t> table;
      for (unsigned k = 0; k < c.len; ++k)
        for (unsigned b = 0; b < 16; ++b) table.push_back(v((c.first + k) % 32).lane<uint8_t>(b));
      VReg want;
      for (unsigned k = 0; k < c.bytes; ++k) {
        const uint8_t i = m.lane<uint8_t>(k);
        want.set_lane<uint8_t>(k, i < table.size() ? table[i] : c.tbx ? before0.lane<uint8_t>(k) : 0);
      }
      load({c.ins});
      step(1);
      BOOST_TEST_CONTEXT(c.ins.text) { BOOST_TEST(hex(v(0)) == hex(want)); }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(simd_shift_immediate, test::SimdFixture)

BOOST_AUTO_TEST_CASE(right_left_insert_saturating) {
  // Right shifts by 1..esize (the pseudocode's unbounded >>, with round_const when rounding).
  auto shr = []<class T>(bool sgn, bool rnd, bool acc, unsigned sh) {
    return [=](T a, T, T d, bool&) {
      Big x = sgn ? sx(a) : zx(a);
      if (rnd) x += Big(1) << (sh - 1);
      x = fshr(x, sh);
      return trunc<T>(acc ? x + zx(d) : x);
    };
  };
  lanewise<uint8_t>({0x4f080420, "sshr v0.16b, v1.16b, #8"}, 16, shr.operator()<uint8_t>(true, false, false, 8));
  lanewise<uint8_t>({0x4f0d0420, "sshr v0.16b, v1.16b, #3"}, 16, shr.operator()<uint8_t>(true, false, false, 3));
  lanewise<uint32_t>({0x6f200420, "ushr v0.4s, v1.4s, #0x20"}, 16, shr.operator()<uint32_t>(false, false, false, 32));
  lanewise<uint64_t>({0x7f400420, "ushr d0, d1, #0x40"}, 8, shr.operator()<uint64_t>(false, false, false, 64));
  lanewise<uint16_t>({0x4f101420, "ssra v0.8h, v1.8h, #0x10"}, 16, shr.operator()<uint16_t>(true, false, true, 16));
  lanewise<uint64_t>({0x6f7f1420, "usra v0.2d, v1.2d, #1"}, 16, shr.operator()<uint64_t>(false, false, true, 1));
  lanewise<uint32_t>({0x4f202420, "srshr v0.4s, v1.4s, #0x20"}, 16, shr.operator()<uint32_t>(true, true, false, 32));
  lanewise<uint8_t>({0x6f082420, "urshr v0.16b, v1.16b, #8"}, 16, shr.operator()<uint8_t>(false, true, false, 8));
  lanewise<uint64_t>({0x5f403420, "srsra d0, d1, #0x40"}, 8, shr.operator()<uint64_t>(true, true, true, 64));
  lanewise<uint16_t>({0x6f1b3420, "ursra v0.8h, v1.8h, #5"}, 16, shr.operator()<uint16_t>(false, true, true, 5));

  // SRI keeps the top sh bits of Vd; SHL/SLI shift left, SLI keeping the low sh bits of Vd.
  auto sri = []<class T>(unsigned sh) {
    return [=](T a, T, T d, bool&) {
      const Big mask = sh == sizeof(T) * 8 ? Big(0) : ((Big(1) << (sizeof(T) * 8 - sh)) - 1);
      return trunc<T>((zx(d) & ~zx(static_cast<T>(mask))) | (zx(a) >> sh));
    };
  };
  auto sli = []<class T>(bool insert, unsigned sh) {
    return [=](T a, T, T d, bool&) {
      const Big low = (Big(1) << sh) - 1;
      return trunc<T>((zx(a) << sh) | (insert ? (zx(d) & low) : Big(0)));
    };
  };
  lanewise<uint32_t>({0x6f204420, "sri v0.4s, v1.4s, #0x20"}, 16, sri.operator()<uint32_t>(32));
  lanewise<uint8_t>({0x6f0d4420, "sri v0.16b, v1.16b, #3"}, 16, sri.operator()<uint8_t>(3));
  lanewise<uint64_t>({0x4f7f5420, "shl v0.2d, v1.2d, #0x3f"}, 16, sli.operator()<uint64_t>(false, 63));
  lanewise<uint16_t>({0x6f105420, "sli v0.8h, v1.8h, #0"}, 16, sli.operator()<uint16_t>(true, 0));
  lanewise<uint64_t>({0x7f515420, "sli d0, d1, #0x11"}, 8, sli.operator()<uint64_t>(true, 17));

  auto qshl = []<class T>(bool src_signed, bool dst_signed, unsigned sh) {
    return [=](T a, T, T, bool& q) {
      const Big x = (src_signed ? sx(a) : zx(a)) << sh;
      return dst_signed ? ssat<T>(x, q) : usat<T>(x, q);
    };
  };
  lanewise<uint8_t>({0x4f0f7420, "sqshl v0.16b, v1.16b, #7"}, 16, qshl.operator()<uint8_t>(true, true, 7));
  lanewise<uint32_t>({0x6f3f7420, "uqshl v0.4s, v1.4s, #0x1f"}, 16, qshl.operator()<uint32_t>(false, false, 31));
  lanewise<uint16_t>({0x6f136420, "sqshlu v0.8h, v1.8h, #3"}, 16, qshl.operator()<uint16_t>(true, false, 3));
  lanewise<uint32_t>({0x5f297420, "sqshl s0, s1, #9"}, 4, qshl.operator()<uint32_t>(true, true, 9));
  lanewise<uint8_t>({0x7f087420, "uqshl b0, b1, #0"}, 1, qshl.operator()<uint8_t>(false, false, 0));
}

BOOST_AUTO_TEST_CASE(narrowing_and_long) {
  // part 0: low half, rest zero; 1: high half keeping Vd's low half; 2: scalar.
  auto narrow = [this]<class T, class W>(const Insn& ins, unsigned part, bool src_signed, int dst, bool rnd, unsigned sh) {
    check(ins, [=](const VReg& a, const VReg&, const VReg& d, bool& q) {
      VReg r;
      if (part == 1) r.d[0] = d.d[0];
      const unsigned n = part == 2 ? 1 : 8 / sizeof(T);
      for (unsigned k = 0; k < n; ++k) {
        Big x = src_signed ? sx(a.lane<W>(k)) : zx(a.lane<W>(k));
        if (rnd) x += Big(1) << (sh - 1);
        x = fshr(x, sh);
        const T v = dst == 0 ? trunc<T>(x) : dst == 1 ? ssat<T>(x, q) : usat<T>(x, q);
        r.set_lane<T>(part == 1 ? n + k : k, v);
      }
      return r;
    }, [this] { return random_reg<W>(); });
  };
  narrow.operator()<uint8_t, uint16_t>(Insn{0x0f088420, "shrn v0.8b, v1.8h, #8"}, 0, false, 0, false, 8);
  narrow.operator()<uint16_t, uint32_t>(Insn{0x4f1f8c20, "rshrn2 v0.8h, v1.4s, #1"}, 1, false, 0, true, 1);
  narrow.operator()<uint32_t, uint64_t>(Insn{0x0f209420, "sqshrn v0.2s, v1.2d, #0x20"}, 0, true, 1, false, 32);
  narrow.operator()<uint8_t, uint16_t>(Insn{0x6f0d9c20, "uqrshrn2 v0.16b, v1.8h, #3"}, 1, false, 2, true, 3);
  narrow.operator()<uint16_t, uint32_t>(Insn{0x2f108420, "sqshrun v0.4h, v1.4s, #0x10"}, 0, true, 2, false, 16);
  narrow.operator()<uint32_t, uint64_t>(Insn{0x6f398c20, "sqrshrun2 v0.4s, v1.2d, #7"}, 1, true, 2, true, 7);
  narrow.operator()<uint16_t, uint32_t>(Insn{0x5f109c20, "sqrshrn h0, s1, #0x10"}, 2, true, 1, true, 16);
  narrow.operator()<uint32_t, uint64_t>(Insn{0x7f3f9420, "uqshrn s0, d1, #1"}, 2, false, 2, false, 1);

  auto shll = [this]<class T, class W>(const Insn& ins, bool hi, bool sgn, unsigned sh) {
    check(ins, [=](const VReg& a, const VReg&, const VReg&, bool&) {
      VReg r;
      const unsigned n = 8 / sizeof(T);
      for (unsigned k = 0; k < n; ++k) {
        const T x = a.lane<T>(hi ? n + k : k);
        r.set_lane<W>(k, trunc<W>((sgn ? sx(x) : zx(x)) << sh));
      }
      return r;
    }, [this] { return random_reg<T>(); });
  };
  shll.operator()<uint8_t, uint16_t>(Insn{0x0f0fa420, "sshll v0.8h, v1.8b, #7"}, false, true, 7);
  shll.operator()<uint32_t, uint64_t>(Insn{0x6f3fa420, "ushll2 v0.2d, v1.4s, #0x1f"}, true, false, 31);
  shll.operator()<uint16_t, uint32_t>(Insn{0x2f10a420, "ushll v0.4s, v1.4h, #0"}, false, false, 0);
  shll.operator()<uint8_t, uint16_t>(Insn{0x4f08a420, "sshll2 v0.8h, v1.16b, #0"}, true, true, 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(simd_three_different, test::SimdFixture)

// kind: 0 long (narrow a, b -> wide), 1 wide (wide a, narrow b), 2 narrow high half.
template <class T, class W>
void three_diff(test::SimdFixture& f, const Insn& ins, int kind, bool hi, std::function<Big(Big a, Big b, Big d, bool& q)> op,
                bool sgn, int idx = -1, bool scalar = false) {
  f.check(ins, [=](const VReg& a, const VReg& b, const VReg& d, bool& q) {
    VReg r;
    const unsigned n = scalar ? 1 : 8 / sizeof(T);
    const unsigned off = hi ? n : 0;
    auto ext_n = [=](T x) { return sgn ? sx(x) : zx(x); };
    auto ext_w = [=](W x) { return sgn ? sx(x) : zx(x); };
    if (kind == 2 && hi) r.d[0] = d.d[0];
    for (unsigned k = 0; k < n; ++k) {
      const Big bm = ext_n(idx >= 0 ? b.lane<T>(static_cast<unsigned>(idx)) : b.lane<T>(off + k));
      if (kind == 0) {
        r.set_lane<W>(k, trunc<W>(op(ext_n(a.lane<T>(off + k)), bm, ext_w(d.lane<W>(k)), q)));
      } else if (kind == 1) {
        r.set_lane<W>(k, trunc<W>(op(ext_w(a.lane<W>(k)), bm, 0, q)));
      } else {
        r.set_lane<T>(off + k, trunc<T>(op(zx(a.lane<W>(k)), zx(b.lane<W>(k)), 0, q)));
      }
    }
    return r;
  }, [&f] { return f.random_reg<T>(); });
}

BOOST_AUTO_TEST_CASE(long_wide_narrow) {
  using u8 = uint8_t;
  using u16 = uint16_t;
  using u32 = uint32_t;
  using u64 = uint64_t;
  auto add = [](Big a, Big b, Big, bool&) { return a + b; };
  auto sub = [](Big a, Big b, Big, bool&) { return a - b; };
  three_diff<u8, u16>(*this, {0x0e220020, "saddl v0.8h, v1.8b, v2.8b"}, 0, false, add, true);
  three_diff<u32, u64>(*this, {0x6ea20020, "uaddl2 v0.2d, v1.4s, v2.4s"}, 0, true, add, false);
  three_diff<u16, u32>(*this, {0x0e623020, "ssubw v0.4s, v1.4s, v2.4h"}, 1, false, sub, true);
  three_diff<u8, u16>(*this, {0x6e223020, "usubw2 v0.8h, v1.8h, v2.16b"}, 1, true, sub, false);
  auto hn = [](bool subtract, bool rnd, unsigned e) {
    return [=](Big a, Big b, Big, bool&) {
      Big s = subtract ? a - b : a + b;
      if (rnd) s += Big(1) << (e - 1);
      return fshr(s, e);
    };
  };
  three_diff<u8, u16>(*this, {0x0e224020, "addhn v0.8b, v1.8h, v2.8h"}, 2, false, hn(false, false, 8), false);
  three_diff<u32, u64>(*this, {0x6ea24020, "raddhn2 v0.4s, v1.2d, v2.2d"}, 2, true, hn(false, true, 32), false);
  three_diff<u16, u32>(*this, {0x0e626020, "subhn v0.4h, v1.4s, v2.4s"}, 2, false, hn(true, false, 16), false);
  three_diff<u8, u16>(*this, {0x6e226020, "rsubhn2 v0.16b, v1.8h, v2.8h"}, 2, true, hn(true, true, 8), false);
  three_diff<u16, u32>(*this, {0x0e625020, "sabal v0.4s, v1.4h, v2.4h"}, 0, false,
                       [](Big a, Big b, Big d, bool&) { return d + abs(a - b); }, true);
  three_diff<u8, u16>(*this, {0x6e227020, "uabdl2 v0.8h, v1.16b, v2.16b"}, 0, true,
                      [](Big a, Big b, Big, bool&) { return abs(a - b); }, false);
  three_diff<u32, u64>(*this, {0x0ea28020, "smlal v0.2d, v1.2s, v2.2s"}, 0, false,
                       [](Big a, Big b, Big d, bool&) { return d + a * b; }, true);
  three_diff<u16, u32>(*this, {0x6e62a020, "umlsl2 v0.4s, v1.8h, v2.8h"}, 0, true,
                       [](Big a, Big b, Big d, bool&) { return d - a * b; }, false);
  three_diff<u8, u16>(*this, {0x0e22c020, "smull v0.8h, v1.8b, v2.8b"}, 0, false,
                      [](Big a, Big b, Big, bool&) { return a * b; }, true);
  three_diff<u32, u64>(*this, {0x6ea2c020, "umull2 v0.2d, v1.4s, v2.4s"}, 0, true,
                       [](Big a, Big b, Big, bool&) { return a * b; }, false);
  // The whole-register forms of every plain long operation at every width (the
  // CoreMark-like guest's SMLAL 4S among them), and by element.
  auto mla = [](Big a, Big b, Big d, bool&) { return d + a * b; };
  auto mls = [](Big a, Big b, Big d, bool&) { return d - a * b; };
  auto mul = [](Big a, Big b, Big, bool&) { return a * b; };
  three_diff<u16, u32>(*this, {0x0e628020, "smlal v0.4s, v1.4h, v2.4h"}, 0, false, mla, true);
  three_diff<u8, u16>(*this, {0x4e228020, "smlal2 v0.8h, v1.16b, v2.16b"}, 0, true, mla, true);
  three_diff<u8, u16>(*this, {0x2e228020, "umlal v0.8h, v1.8b, v2.8b"}, 0, false, mla, false);
  three_diff<u32, u64>(*this, {0x2ea28020, "umlal v0.2d, v1.2s, v2.2s"}, 0, false, mla, false);
  three_diff<u16, u32>(*this, {0x0e62a020, "smlsl v0.4s, v1.4h, v2.4h"}, 0, false, mls, true);
  three_diff<u32, u64>(*this, {0x4ea2a020, "smlsl2 v0.2d, v1.4s, v2.4s"}, 0, true, mls, true);
  three_diff<u8, u16>(*this, {0x2e22a020, "umlsl v0.8h, v1.8b, v2.8b"}, 0, false, mls, false);
  three_diff<u16, u32>(*this, {0x0e62c020, "smull v0.4s, v1.4h, v2.4h"}, 0, false, mul, true);
  three_diff<u32, u64>(*this, {0x0ea2c020, "smull v0.2d, v1.2s, v2.2s"}, 0, false, mul, true);
  three_diff<u16, u32>(*this, {0x2e62c020, "umull v0.4s, v1.4h, v2.4h"}, 0, false, mul, false);
  three_diff<u16, u32>(*this, {0x0e620020, "saddl v0.4s, v1.4h, v2.4h"}, 0, false, add, true);
  three_diff<u32, u64>(*this, {0x0ea22020, "ssubl v0.2d, v1.2s, v2.2s"}, 0, false, sub, true);
  three_diff<u8, u16>(*this, {0x6e222020, "usubl2 v0.8h, v1.16b, v2.16b"}, 0, true, sub, false);
  three_diff<u16, u32>(*this, {0x2e620020, "uaddl v0.4s, v1.4h, v2.4h"}, 0, false, add, false);
  three_diff<u16, u32>(*this, {0x0f722820, "smlal v0.4s, v1.4h, v2.h[7]"}, 0, false, mla, true, 7);
  three_diff<u32, u64>(*this, {0x6fa26820, "umlsl2 v0.2d, v1.4s, v2.s[3]"}, 0, true, mls, false, 3);
  three_diff<u16, u32>(*this, {0x0f52a020, "smull v0.4s, v1.4h, v2.h[1]"}, 0, false, mul, true, 1);
  // Saturating doubling forms: the product saturates, then the accumulation (both set QC).
  auto sqd = [](int acc, unsigned we) {
    return [=](Big a, Big b, Big d, bool& q) -> Big {
      const Big lo = -(Big(1) << (we - 1)), hi = (Big(1) << (we - 1)) - 1;
      auto sat = [&](Big x) { if (x > hi) { q = true; return hi; } if (x < lo) { q = true; return lo; } return x; };
      Big p = sat(2 * a * b);
      return acc == 0 ? p : sat(acc > 0 ? d + p : d - p);
    };
  };
  three_diff<u16, u32>(*this, {0x0e62d020, "sqdmull v0.4s, v1.4h, v2.4h"}, 0, false, sqd(0, 32), true);
  three_diff<u32, u64>(*this, {0x4ea29020, "sqdmlal2 v0.2d, v1.4s, v2.4s"}, 0, true, sqd(1, 64), true);
  three_diff<u16, u32>(*this, {0x0e62b020, "sqdmlsl v0.4s, v1.4h, v2.4h"}, 0, false, sqd(-1, 32), true);
  three_diff<u16, u32>(*this, {0x5e62d020, "sqdmull s0, h1, h2"}, 0, false, sqd(0, 32), true, -1, true);
  three_diff<u32, u64>(*this, {0x5ea29020, "sqdmlal d0, s1, s2"}, 0, false, sqd(1, 64), true, -1, true);
  three_diff<u8, u16>(*this, {0x0e22e020, "pmull v0.8h, v1.8b, v2.8b"}, 0, false, [](Big a, Big b, Big, bool&) {
    Big r = 0;
    for (unsigned k = 0; k < 8; ++k)
      if (((b >> k) & 1) != 0) r ^= a << k;
    return r;
  }, false);
  // PMULL of 64-bit lanes: the 128-bit carry-less product.
  for (bool hi : {false, true}) {
    check(hi ? Insn{0x4ee2e020, "pmull2 v0.1q, v1.2d, v2.2d"} : Insn{0x0ee2e020, "pmull v0.1q, v1.1d, v2.1d"},
          [=](const VReg& a, const VReg& b, const VReg&, bool&) {
            Big r = 0;
            const Big x = zx(a.d[hi]);
            for (unsigned k = 0; k < 64; ++k)
              if ((b.d[hi] >> k) & 1) r ^= x << k;
            VReg out;
            out.d = {static_cast<uint64_t>(r & Big(~0ull)), static_cast<uint64_t>(r >> 64)};
            return out;
          }, [this] { return random_reg<uint64_t>(); });
  }
}

BOOST_AUTO_TEST_CASE(by_element) {
  using u16 = uint16_t;
  using u32 = uint32_t;
  using u64 = uint64_t;
  // Elementwise by element: Vm[idx] against every lane of Vn.
  auto elem = [this]<class T>(const Insn& ins, unsigned bytes, unsigned idx, auto f) {
    check(ins, [=](const VReg& a, const VReg& b, const VReg& d, bool& q) {
      VReg r;
      for (unsigned k = 0; k < bytes / sizeof(T); ++k) r.set_lane<T>(k, f(a.lane<T>(k), b.lane<T>(idx), d.lane<T>(k), q));
      return r;
    }, [this] { return random_reg<T>(); });
  };
  elem.operator()<u16>(Insn{0x4f728820, "mul v0.8h, v1.8h, v2.h[7]"}, 16, 7,
                       [](u16 a, u16 b, u16, bool&) { return trunc<u16>(zx(a) * zx(b)); });
  elem.operator()<u32>(Insn{0x6fa20820, "mla v0.4s, v1.4s, v2.s[3]"}, 16, 3,
                       [](u32 a, u32 b, u32 d, bool&) { return trunc<u32>(zx(d) + zx(a) * zx(b)); });
  elem.operator()<u32>(Insn{0x4fa2c020, "sqdmulh v0.4s, v1.4s, v2.s[1]"}, 16, 1,
                       [](u32 a, u32 b, u32, bool& q) { return ssat<u32>(fshr(2 * sx(a) * sx(b), 32), q); });
  elem.operator()<u16>(Insn{0x4f52d820, "sqrdmulh v0.8h, v1.8h, v2.h[5]"}, 16, 5, [](u16 a, u16 b, u16, bool& q) {
    return ssat<u16>(fshr(2 * sx(a) * sx(b) + (Big(1) << 15), 16), q);
  });
  elem.operator()<u32>(Insn{0x6f82d820, ""}, 16, 2, [](u32 a, u32 b, u32 d, bool& q) {  // sqrdmlah v0.4s, v1.4s, v2.s[2]
    return ssat<u32>(fshr((sx(d) << 32) + 2 * sx(a) * sx(b) + (Big(1) << 31), 32), q);
  });
  elem.operator()<u16>(Insn{0x6f72f020, ""}, 16, 3, [](u16 a, u16 b, u16 d, bool& q) {  // sqrdmlsh v0.8h, v1.8h, v2.h[3]
    return ssat<u16>(fshr((sx(d) << 16) - 2 * sx(a) * sx(b) + (Big(1) << 15), 16), q);
  });
  elem.operator()<u32>(Insn{0x5fa2c820, "sqdmulh s0, s1, v2.s[3]"}, 4, 3,
                       [](u32 a, u32 b, u32, bool& q) { return ssat<u32>(fshr(2 * sx(a) * sx(b), 32), q); });
  elem.operator()<u16>(Insn{0x5f72d820, "sqrdmulh h0, h1, v2.h[7]"}, 2, 7, [](u16 a, u16 b, u16, bool& q) {
    return ssat<u16>(fshr(2 * sx(a) * sx(b) + (Big(1) << 15), 16), q);
  });
  elem.operator()<u32>(Insn{0x7f82d020, ""}, 4, 0, [](u32 a, u32 b, u32 d, bool& q) {  // sqrdmlah s0, s1, v2.s[0]
    return ssat<u32>(fshr((sx(d) << 32) + 2 * sx(a) * sx(b) + (Big(1) << 31), 32), q);
  });
  // MLS by element with Vm in 0..15 (the H form's register field is 4 bits).
  for (int t = 0; t < 50; ++t) {
    const VReg a = random_reg<u16>(), m = random_reg<u16>(), d = random_reg<u16>();
    v(1) = a;
    v(15) = m;
    v(0) = d;
    exec({{0x2f6f4020, "mls v0.4h, v1.4h, v15.h[2]"}});
    VReg want;
    for (unsigned k = 0; k < 4; ++k)
      want.set_lane<u16>(k, trunc<u16>(zx(d.lane<u16>(k)) - zx(a.lane<u16>(k)) * zx(m.lane<u16>(2))));
    BOOST_TEST(hex(v(0)) == hex(want));
  }

  auto mul = [](Big a, Big b, Big, bool&) { return a * b; };
  auto mla = [](Big a, Big b, Big d, bool&) { return d + a * b; };
  auto sqd = [](int acc, unsigned we) {
    return [=](Big a, Big b, Big d, bool& q) -> Big {
      const Big lo = -(Big(1) << (we - 1)), hi = (Big(1) << (we - 1)) - 1;
      auto sat = [&](Big x) { if (x > hi) { q = true; return hi; } if (x < lo) { q = true; return lo; } return x; };
      Big p = sat(2 * a * b);
      return acc == 0 ? p : sat(acc > 0 ? d + p : d - p);
    };
  };
  three_diff<u16, u32>(*this, {0x0f62a820, "smull v0.4s, v1.4h, v2.h[6]"}, 0, false, mul, true, 6);
  three_diff<u32, u64>(*this, {0x6fa22820, "umlal2 v0.2d, v1.4s, v2.s[3]"}, 0, true, mla, false, 3);
  three_diff<u16, u32>(*this, {0x0f523020, "sqdmlal v0.4s, v1.4h, v2.h[1]"}, 0, false, sqd(1, 32), true, 1);
  three_diff<u32, u64>(*this, {0x4f82b820, "sqdmull2 v0.2d, v1.4s, v2.s[2]"}, 0, true, sqd(0, 64), true, 2);
  three_diff<u32, u64>(*this, {0x5fa27020, "sqdmlsl d0, s1, v2.s[1]"}, 0, false, sqd(-1, 64), true, 1, true);
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------- Crypto ----------------
namespace {

// SHA-256 and SHA-1 constants from their FIPS 180-4 definitions (fractional parts of
// square and cube roots of the first primes).
std::vector<unsigned> primes(unsigned n) {
  std::vector<unsigned> p;
  for (unsigned x = 2; p.size() < n; ++x) {
    bool prime = true;
    for (unsigned d : p) if (x % d == 0) { prime = false; break; }
    if (prime) p.push_back(x);
  }
  return p;
}
uint32_t frac32(long double x) { return static_cast<uint32_t>(std::ldexp(x - std::floor(x), 32)); }

struct Sha256Ref {
  uint32_t k[64], h0[8];
  Sha256Ref() {
    const auto p = primes(64);
    for (unsigned i = 0; i < 64; ++i) k[i] = frac32(std::cbrt(static_cast<long double>(p[i])));
    for (unsigned i = 0; i < 8; ++i) h0[i] = frac32(std::sqrt(static_cast<long double>(p[i])));
  }
  // One compression of a 16-word block (FIPS 180-4 6.2.2).
  void compress(uint32_t h[8], const uint32_t w16[16]) const {
    uint32_t w[64];
    for (unsigned t = 0; t < 16; ++t) w[t] = w16[t];
    for (unsigned t = 16; t < 64; ++t) {
      const uint32_t s0 = std::rotr(w[t - 15], 7) ^ std::rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
      const uint32_t s1 = std::rotr(w[t - 2], 17) ^ std::rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
      w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (unsigned t = 0; t < 64; ++t) {
      const uint32_t t1 = hh + (std::rotr(e, 6) ^ std::rotr(e, 11) ^ std::rotr(e, 25)) + ((e & f) ^ (~e & g)) + k[t] + w[t];
      const uint32_t t2 = (std::rotr(a, 2) ^ std::rotr(a, 13) ^ std::rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    const uint32_t out[8] = {a, b, c, d, e, f, g, hh};
    for (unsigned i = 0; i < 8; ++i) h[i] += out[i];
  }
};

struct Sha1Ref {
  uint32_t k[4];
  Sha1Ref() {
    const unsigned r[4] = {2, 3, 5, 10};
    for (unsigned i = 0; i < 4; ++i) k[i] = static_cast<uint32_t>(std::ldexp(std::sqrt(static_cast<long double>(r[i])), 30));
  }
  void compress(uint32_t h[5], const uint32_t w16[16]) const {
    uint32_t w[80];
    for (unsigned t = 0; t < 16; ++t) w[t] = w16[t];
    for (unsigned t = 16; t < 80; ++t) w[t] = std::rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (unsigned t = 0; t < 80; ++t) {
      uint32_t f;
      if (t < 20) f = (b & c) ^ (~b & d);
      else if (t < 40 || t >= 60) f = b ^ c ^ d;
      else f = (b & c) ^ (b & d) ^ (c & d);
      const uint32_t tmp = std::rotl(a, 5) + f + e + k[t / 20] + w[t];
      e = d; d = c; c = std::rotl(b, 30); b = a; a = tmp;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e;
  }
};

VReg q4(const uint32_t* w) {
  VReg r;
  for (unsigned k = 0; k < 4; ++k) r.set_lane<uint32_t>(k, w[k]);
  return r;
}
VReg add32(const VReg& a, const uint32_t* k) {
  VReg r;
  for (unsigned i = 0; i < 4; ++i) r.set_lane<uint32_t>(i, a.lane<uint32_t>(i) + k[i]);
  return r;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(simd_crypto, test::SimdFixture)

// Vd = op(Vd = d, Vn = a, Vm = b): the instructions are all encoded with d = 0, n = 1, m = 2.
#define CRYPTO(word, text, dv, av, bv) run({word, text}, av, bv, dv)

BOOST_AUTO_TEST_CASE(aes128_encrypt_and_decrypt_fips197) {
  // FIPS-197 Appendix C.1: key 000102..0f, plaintext 00112233..ff.
  uint8_t key[16], pt[16];
  for (unsigned i = 0; i < 16; ++i) {
    key[i] = static_cast<uint8_t>(i);
    pt[i] = static_cast<uint8_t>(i * 0x11);
  }
  // Key expansion (FIPS-197 5.2) with SubWord done by AESE on a register whose four columns
  // are equal (ShiftRows then moves nothing), as AArch64 software does it.
  uint32_t w[44];
  std::memcpy(w, key, 16);
  uint32_t rcon = 1;
  for (unsigned i = 4; i < 44; ++i) {
    uint32_t t = w[i - 1];
    if (i % 4 == 0) {
      t = std::rotr(t, 8);  // RotWord on little-endian packed bytes
      VReg s;
      for (unsigned k = 0; k < 4; ++k) s.set_lane<uint32_t>(k, t);
      t = CRYPTO(0x4e284820, "aese v0.16b, v1.16b", VReg{}, s, VReg{}).lane<uint32_t>(0) ^ rcon;
      rcon = (rcon << 1) ^ ((rcon & 0x80) ? 0x11b : 0);
    }
    w[i] = w[i - 4] ^ t;
  }
  VReg st;
  std::memcpy(st.d.data(), pt, 16);
  for (unsigned r = 0; r < 10; ++r) {
    st = CRYPTO(0x4e284820, "aese v0.16b, v1.16b", st, q4(&w[4 * r]), VReg{});
    if (r < 9) st = CRYPTO(0x4e286820, "aesmc v0.16b, v1.16b", VReg{}, st, VReg{});
  }
  st.d[0] ^= q4(&w[40]).d[0];
  st.d[1] ^= q4(&w[40]).d[1];
  const uint8_t want[16] = {0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30,
                            0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4, 0xc5, 0x5a};
  BOOST_TEST(std::memcmp(st.d.data(), want, 16) == 0);

  // Decryption with the equivalent inverse cipher (FIPS-197 5.3.5): AESIMC on the middle keys.
  for (unsigned r = 10; r > 0; --r) {
    VReg k = q4(&w[4 * r]);
    if (r < 10) k = CRYPTO(0x4e287820, "aesimc v0.16b, v1.16b", VReg{}, k, VReg{});
    st = CRYPTO(0x4e285820, "aesd v0.16b, v1.16b", st, k, VReg{});
    if (r > 1) st = CRYPTO(0x4e287820, "aesimc v0.16b, v1.16b", VReg{}, st, VReg{});
  }
  st.d[0] ^= q4(&w[0]).d[0];
  st.d[1] ^= q4(&w[0]).d[1];
  BOOST_TEST(std::memcmp(st.d.data(), pt, 16) == 0);
}

BOOST_AUTO_TEST_CASE(sha256_blocks) {
  const Sha256Ref ref;
  // "abc" padded (FIPS 180-4 B.1), then random blocks; the state is chained.
  uint32_t block[16] = {0x61626380, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x18};
  uint32_t h[8], hw[8];
  std::memcpy(h, ref.h0, sizeof h);
  std::memcpy(hw, ref.h0, sizeof hw);
  for (int b = 0; b < 6; ++b) {
    if (b > 0)
      for (auto& x : block) x = static_cast<uint32_t>(rng_());
    ref.compress(h, block);
    VReg abcd = q4(hw), efgh = q4(hw + 4), m[4];
    for (unsigned i = 0; i < 4; ++i) m[i] = q4(block + 4 * i);
    for (unsigned i = 0; i < 16; ++i) {
      const VReg wk = add32(m[i % 4], ref.k + 4 * i);
      const VReg old = abcd;
      abcd = CRYPTO(0x5e024020, "sha256h q0, q1, v2.4s", abcd, efgh, wk);
      efgh = CRYPTO(0x5e025020, "sha256h2 q0, q1, v2.4s", efgh, old, wk);
      if (i < 12) {
        VReg t = CRYPTO(0x5e282820, "sha256su0 v0.4s, v1.4s", m[i % 4], m[(i + 1) % 4], VReg{});
        m[i % 4] = CRYPTO(0x5e026020, "sha256su1 v0.4s, v1.4s, v2.4s", t, m[(i + 2) % 4], m[(i + 3) % 4]);
      }
    }
    for (unsigned i = 0; i < 4; ++i) {
      hw[i] += abcd.lane<uint32_t>(i);
      hw[4 + i] += efgh.lane<uint32_t>(i);
    }
    BOOST_TEST_CONTEXT("block " << b) {
      for (unsigned i = 0; i < 8; ++i) BOOST_TEST(hw[i] == h[i]);
    }
    if (b == 0) BOOST_TEST(h[0] == 0xba7816bfu);  // FIPS 180-4 B.1, SHA-256("abc")
  }
}

BOOST_AUTO_TEST_CASE(sha1_blocks) {
  const Sha1Ref ref;
  uint32_t block[16] = {0x61626380, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x18};
  uint32_t h[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
  uint32_t hw[5];
  std::memcpy(hw, h, sizeof hw);
  for (int b = 0; b < 6; ++b) {
    if (b > 0)
      for (auto& x : block) x = static_cast<uint32_t>(rng_());
    ref.compress(h, block);
    VReg abcd = q4(hw), e, m[4];
    e.set_lane<uint32_t>(0, hw[4]);
    for (unsigned i = 0; i < 4; ++i) m[i] = q4(block + 4 * i);
    for (unsigned i = 0; i < 20; ++i) {
      const uint32_t kk[4] = {ref.k[i / 5], ref.k[i / 5], ref.k[i / 5], ref.k[i / 5]};
      const VReg wk = add32(m[i % 4], kk);
      const VReg e_next = CRYPTO(0x5e280820, "sha1h s0, s1", VReg{}, abcd, VReg{});
      if (i < 5) abcd = CRYPTO(0x5e020020, "sha1c q0, s1, v2.4s", abcd, e, wk);
      else if (i < 10 || i >= 15) abcd = CRYPTO(0x5e021020, "sha1p q0, s1, v2.4s", abcd, e, wk);
      else abcd = CRYPTO(0x5e022020, "sha1m q0, s1, v2.4s", abcd, e, wk);
      e = e_next;
      if (i < 16) {
        VReg t = CRYPTO(0x5e023020, "sha1su0 v0.4s, v1.4s, v2.4s", m[i % 4], m[(i + 1) % 4], m[(i + 2) % 4]);
        m[i % 4] = CRYPTO(0x5e281820, "sha1su1 v0.4s, v1.4s", t, m[(i + 3) % 4], VReg{});
      }
    }
    for (unsigned i = 0; i < 4; ++i) hw[i] += abcd.lane<uint32_t>(i);
    hw[4] += e.lane<uint32_t>(0);
    BOOST_TEST_CONTEXT("block " << b) {
      for (unsigned i = 0; i < 5; ++i) BOOST_TEST(hw[i] == h[i]);
    }
    if (b == 0) BOOST_TEST(h[0] == 0xa9993e36u);  // FIPS 180-4 A.1, SHA-1("abc")
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(simd_access, test::SimdFixture)

BOOST_AUTO_TEST_CASE(fpen_trap_and_reserved_encodings) {
  // CPACR_EL1.FPEN = 0b00 traps at EL1 with EC 0x07 and leaves Vd alone.
  core.set_sysreg(cpu::SysSlot::CPACR_EL1, 0);
  v(0) = rep64(0x1234);
  x(1) = 7;
  exec({{0x4e080c20, "dup v0.2d, x1"}});
  BOOST_TEST((esr() >> 26) == 0x07u);
  BOOST_TEST(v(0).d[0] == 0x1234u);
  BOOST_TEST(core.sysreg(cpu::SysSlot::ELR_EL1) == kCode);
  // 0b01 traps EL0 only: EL1 runs it.
  core.reset(kCode);
  core.set_sysreg(cpu::SysSlot::VBAR_EL1, kVbar);
  core.set_sysreg(cpu::SysSlot::CPACR_EL1, uint64_t{1} << 20);
  x(1) = 7;
  exec({{0x4e080c20, "dup v0.2d, x1"}});
  BOOST_TEST(v(0).d[1] == 7u);

  // Reserved size/Q combinations are UNDEFINED (EC 0x00), not executed.
  core.set_sysreg(cpu::SysSlot::CPACR_EL1, uint64_t{3} << 20);
  const uint32_t reserved[] = {
      0x0ee28420,  // ADD with size 3, Q 0 (.1d)
      0x4e22b420,  // SQDMULH with byte lanes
      0x0e180420,  // DUP (element) .1d
      0x0f400420,  // SSHR with immh 1xxx and Q 0
      0x0f408420,  // SHRN from 128-bit lanes
      0x4ee20020,  // SADDL with size 3
      0x4f320820,  // MUL by element with byte lanes
  };
  for (unsigned k = 0; k < sizeof reserved / sizeof reserved[0]; ++k) {
    core.reset(kCode);
    core.set_sysreg(cpu::SysSlot::VBAR_EL1, kVbar);
    core.set_sysreg(cpu::SysSlot::CPACR_EL1, uint64_t{3} << 20);
    mem.write(kCode, &reserved[k], 4);
    step(1);
    BOOST_TEST_CONTEXT("word 0x" << std::hex << reserved[k]) {
      BOOST_TEST((esr() >> 26) == 0x00u);
      BOOST_TEST(vector_taken() == kVbar + 0x200);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
