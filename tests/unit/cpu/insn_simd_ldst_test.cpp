// Loads and stores of SIMD&FP registers: every size and addressing mode of LDR/STR/LDUR/
// STUR, literals, pairs, LD1-LD4/ST1-ST4 (multiple and single structure), LD1R-LD4R with
// both post-index forms; the CPACR_EL1.FPEN trap at EL0 and EL1; faults, alignment and
// MMIO exits. Expected register and memory images are computed here from the Arm ARM's
// element order (structure element e of structure k at (k * selem + e) * esize), not read
// back from the model.
#include <boost/test/unit_test.hpp>

#include <array>
#include <cstring>
#include <vector>

#include "cpu/decoder/classify.h"
#include "cpu/decoder/decoder.h"
#include "mmu_fixture.h"

using test::CpuFixture;
using test::MmuFixture;
namespace pte = test::pte;

namespace {

constexpr uint64_t kFpen = uint64_t{3} << 20;
constexpr uint32_t kDataAbortSame = 0x96000000;
constexpr uint32_t kFpTrapEsr = 0x1FE00000;  // EC 0x07, IL, CV = 1, COND = 0b1110
constexpr uint64_t kVecSameElSpx = 0x200, kVecLowerA64 = 0x400;

uint8_t pattern(uint64_t k) { return static_cast<uint8_t>(k * 37 + 11); }

// A 128-bit register image as 16 bytes, lane 0 first.
using Bytes16 = std::array<uint8_t, 16>;

template <class F>
void common_setup(F& f) {
  f.core.set_sysreg(cpu::SysSlot::CPACR_EL1, kFpen);
  for (uint64_t k = 0; k < 0x400; ++k) f.ram[f.kData - f.kBase + k] = pattern(k);
  for (unsigned r = 0; r < 32; ++r) f.core.state().v[r].d = {0xa5a5a5a5a5a5a5a5ull ^ r, 0x5a5a5a5a5a5a5a5aull ^ r};
}

struct SimdFixture : CpuFixture {
  SimdFixture() { common_setup(*this); }
  cpu::VReg& v(unsigned n) { return core.state().v[n]; }
  Bytes16 vbytes(unsigned n) {
    Bytes16 b;
    std::memcpy(b.data(), core.state().v[n].d.data(), 16);
    return b;
  }
  // The image of `len` bytes of the data pattern starting at offset off, zero above.
  static Bytes16 mem_image(uint64_t off, unsigned len) {
    Bytes16 b{};
    for (unsigned k = 0; k < len; ++k) b[k] = pattern(off + k);
    return b;
  }
  uint8_t byte_at(uint64_t pa) const { return ram[pa - kBase]; }
  void set_vbytes(unsigned n, const Bytes16& b) { std::memcpy(core.state().v[n].d.data(), b.data(), 16); }
};

struct SimdMmuFixture : MmuFixture {
  SimdMmuFixture() { common_setup(*this); }
  cpu::VReg& v(unsigned n) { return core.state().v[n]; }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(simd_loads_stores, SimdFixture)

BOOST_AUTO_TEST_CASE(single_register_loads_of_every_size_clear_the_rest) {
  x(1) = kData;
  const struct {
    test::Insn insn;
    unsigned off, len;
  } cases[] = {
      {{0x3d400020, "ldr b0, [x1]"}, 0, 1},        {{0x7d400420, "ldr h0, [x1, #2]"}, 2, 2},
      {{0xbd400420, "ldr s0, [x1, #4]"}, 4, 4},    {{0xfd400420, "ldr d0, [x1, #8]"}, 8, 8},
      {{0x3dc00420, "ldr q0, [x1, #0x10]"}, 16, 16}, {{0x3cdf0023, "ldur q3, [x1, #-0x10]"}, 0, 16},
  };
  for (const auto& k : cases) {
    BOOST_TEST_CONTEXT("word 0x" << std::hex << k.insn.word) {
      x(1) = k.insn.word == 0x3cdf0023 ? kData + 16 : kData;
      const unsigned t = k.insn.word & 31;
      v(t).d = {~0ull, ~0ull};
      exec({k.insn});
      BOOST_TEST(vbytes(t) == mem_image(k.off, k.len));
    }
  }
}

BOOST_AUTO_TEST_CASE(single_register_stores_write_exactly_their_bytes) {
  const struct {
    test::Insn insn;
    unsigned off, len;
  } cases[] = {
      {{0x3d000422, "str b2, [x1, #1]"}, 1, 1},   {{0x7d000422, "str h2, [x1, #2]"}, 2, 2},
      {{0xbd000422, "str s2, [x1, #4]"}, 4, 4},   {{0xfd000422, "str d2, [x1, #8]"}, 8, 8},
      {{0x3d800422, "str q2, [x1, #0x10]"}, 16, 16}, {{0xfc1f8023, "stur d3, [x1, #-8]"}, 8, 8},
  };
  for (const auto& k : cases) {
    BOOST_TEST_CONTEXT("word 0x" << std::hex << k.insn.word) {
      common_setup(*this);
      x(1) = k.insn.word == 0xfc1f8023 ? kData + 16 : kData;
      const unsigned t = k.insn.word & 31;
      exec({k.insn});
      for (unsigned b = 0; b < 0x40; ++b) {
        const bool inside = b >= k.off && b < k.off + k.len;
        const uint8_t want = inside ? vbytes(t)[b - k.off] : pattern(b);
        BOOST_TEST(byte_at(kData + b) == want, "byte " << b);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(indexed_and_register_offset_forms) {
  x(1) = kData;
  exec({{0x3cc10c24, "ldr q4, [x1, #0x10]!"}});
  BOOST_TEST(vbytes(4) == mem_image(16, 16));
  BOOST_TEST(x(1) == kData + 16);
  exec({{0xfc5f8424, "ldr d4, [x1], #0xfffffffffffffff8"}});
  BOOST_TEST(vbytes(4) == mem_image(16, 8));
  BOOST_TEST(x(1) == kData + 8);
  x(1) = kData + 0x100;
  const Bytes16 q4 = vbytes(4);
  exec({{0x3c9e0c24, "str q4, [x1, #-0x20]!"}});
  BOOST_TEST(x(1) == kData + 0xe0);
  for (unsigned b = 0; b < 16; ++b) BOOST_TEST(byte_at(kData + 0xe0 + b) == q4[b]);
  exec({{0xbc004424, "str s4, [x1], #4"}});
  BOOST_TEST(x(1) == kData + 0xe4);
  x(1) = kData;
  x(2) = 3;
  exec({{0x3ce27825, "ldr q5, [x1, x2, lsl #4]"}});
  BOOST_TEST(vbytes(5) == mem_image(48, 16));
  x(1) = kData + 0x40;
  x(2) = 0xfffffffe;  // W2 = -2, scaled by 8
  exec({{0xfc62d825, "ldr d5, [x1, w2, sxtw #3]"}});
  BOOST_TEST(vbytes(5) == mem_image(0x30, 8));
  x(2) = 0xffffffff00000005ull;  // UXTW ignores the upper half
  exec({{0x3c626825, "ldr b5, [x1, x2]"}});  // the X form: the whole register
  x(1) = kData;
  x(2) = 0x100000000ull + 5;
  const auto r = exec({{0xbc224825, "str s5, [x1, w2, uxtw]"}});
  BOOST_TEST(r.retired == 1u);
  for (unsigned b = 0; b < 4; ++b) BOOST_TEST(byte_at(kData + 5 + b) == vbytes(5)[b]);
}

BOOST_AUTO_TEST_CASE(literal_loads) {
  // ldr s6/d6/q6 with a literal 0x40 bytes ahead of each instruction.
  load({{0x1c000206, "ldr s6, #0x40001040"}, {0x5c000206, "ldr d6, #0x40001044"}, {0x9c000206, "ldr q6, #0x40001048"}});
  std::vector<uint8_t> lit(24);
  for (unsigned k = 0; k < lit.size(); ++k) lit[k] = static_cast<uint8_t>(0xc0 + k);
  mem.write(kCode + 0x40, lit.data(), lit.size());
  step(1);
  Bytes16 want{};
  std::memcpy(want.data(), lit.data(), 4);
  BOOST_TEST(vbytes(6) == want);
  step(1);
  want = {};
  std::memcpy(want.data(), lit.data() + 4, 8);
  BOOST_TEST(vbytes(6) == want);
  step(1);
  std::memcpy(want.data(), lit.data() + 8, 16);
  BOOST_TEST(vbytes(6) == want);
}

BOOST_AUTO_TEST_CASE(pairs_in_every_form) {
  x(1) = kData;
  exec({{0xad400420, "ldp q0, q1, [x1]"}});
  BOOST_TEST(vbytes(0) == mem_image(0, 16));
  BOOST_TEST(vbytes(1) == mem_image(16, 16));
  exec({{0xad010420, "stp q0, q1, [x1, #0x20]"}});
  for (unsigned b = 0; b < 32; ++b) BOOST_TEST(byte_at(kData + 0x20 + b) == pattern(b));
  x(1) = kData + 0x60;
  exec({{0xadff0c22, "ldp q2, q3, [x1, #-0x20]!"}});
  BOOST_TEST(x(1) == kData + 0x40);
  BOOST_TEST(vbytes(2) == mem_image(0x40, 16));
  BOOST_TEST(vbytes(3) == mem_image(0x50, 16));
  exec({{0x6cc10420, "ldp d0, d1, [x1], #0x10"}});
  BOOST_TEST(x(1) == kData + 0x50);
  BOOST_TEST(vbytes(0) == mem_image(0x40, 8));
  BOOST_TEST(vbytes(1) == mem_image(0x48, 8));
  x(1) = kData + 8;
  exec({{0x2d7f7c3e, "ldp s30, s31, [x1, #-8]"}});
  BOOST_TEST(vbytes(30) == mem_image(0, 4));
  BOOST_TEST(vbytes(31) == mem_image(4, 4));
  common_setup(*this);
  x(1) = kData;
  exec({{0xac410420, "ldnp q0, q1, [x1, #0x20]"}});
  BOOST_TEST(vbytes(0) == mem_image(0x20, 16));
  BOOST_TEST(vbytes(1) == mem_image(0x30, 16));
  const Bytes16 s0 = vbytes(0), s1 = vbytes(1);
  exec({{0x2d010420, "stp s0, s1, [x1, #8]"}});
  for (unsigned b = 0; b < 4; ++b) {
    BOOST_TEST(byte_at(kData + 8 + b) == s0[b]);
    BOOST_TEST(byte_at(kData + 12 + b) == s1[b]);
  }
  BOOST_TEST(byte_at(kData + 16) == pattern(16));
  exec({{0x6c000420, "stnp d0, d1, [x1]"}});
  for (unsigned b = 0; b < 8; ++b) {
    BOOST_TEST(byte_at(kData + b) == s0[b]);
    BOOST_TEST(byte_at(kData + 8 + b) == s1[b]);
  }
  // The stack pointer as base (the glibc memcpy/prologue form).
  core.set_sp(kData + 0x200);
  const Bytes16 q2 = vbytes(2), q3 = vbytes(3);
  exec({{0xadbe0fe2, "stp q2, q3, [sp, #-0x40]!"}});
  BOOST_TEST(core.sp() == kData + 0x1c0);
  for (unsigned b = 0; b < 16; ++b) {
    BOOST_TEST(byte_at(kData + 0x1c0 + b) == q2[b]);
    BOOST_TEST(byte_at(kData + 0x1d0 + b) == q3[b]);
  }
  exec({{0xad4007e0, "ldp q0, q1, [sp]"}});
  BOOST_TEST(vbytes(0) == q2);
  BOOST_TEST(vbytes(1) == q3);
}

BOOST_AUTO_TEST_CASE(a_load_pair_of_one_register_twice_is_undefined) {
  // ldp q0, q0, [x1]: CONSTRAINED UNPREDICTABLE, UNDEFINED in this model.
  cpu::DecodedInst d;
  BOOST_TEST(static_cast<int>(cpu::decoder::decode(0xad400020, kCode, d)) ==
             static_cast<int>(cpu::decoder::InsnId::kUndefined));
}

BOOST_AUTO_TEST_CASE(ld1_to_ld4_multiple_structures) {
  struct Case {
    test::Insn insn;
    unsigned selem, nregs, esize, dbytes;
  };
  const Case cases[] = {
      {{0x4c407020, "ld1 {v0.16b}, [x1]"}, 1, 1, 1, 16},
      {{0x0c40a020, "ld1 {v0.8b, v1.8b}, [x1]"}, 1, 2, 1, 8},
      {{0x4c406020, "ld1 {v0.16b, v1.16b, v2.16b}, [x1]"}, 1, 3, 1, 16},
      {{0x4c402c3e, "ld1 {v30.2d, v31.2d, v0.2d, v1.2d}, [x1]"}, 1, 4, 8, 16},
      {{0x4c408420, "ld2 {v0.8h, v1.8h}, [x1]"}, 2, 2, 2, 16},
      {{0x4c404820, "ld3 {v0.4s, v1.4s, v2.4s}, [x1]"}, 3, 3, 4, 16},
      {{0x0c400020, "ld4 {v0.8b, v1.8b, v2.8b, v3.8b}, [x1]"}, 4, 4, 1, 8},
  };
  for (const Case& k : cases) {
    BOOST_TEST_CONTEXT("word 0x" << std::hex << k.insn.word) {
      common_setup(*this);
      x(1) = kData;
      const unsigned t = k.insn.word & 31;
      exec({k.insn});
      for (unsigned r = 0; r < k.nregs; ++r) {
        Bytes16 want{};
        // Register r of the list: for LD1, consecutive whole registers; for LDn, lane l
        // holds element r of structure l.
        for (unsigned l = 0; l < k.dbytes / k.esize; ++l)
          for (unsigned b = 0; b < k.esize; ++b) {
            const unsigned off = k.selem == 1 ? r * k.dbytes + l * k.esize + b : (l * k.selem + r) * k.esize + b;
            want[l * k.esize + b] = pattern(off);
          }
        BOOST_TEST(vbytes((t + r) % 32) == want, "register " << (t + r) % 32);
      }
      BOOST_TEST(x(1) == kData);
    }
  }
}

BOOST_AUTO_TEST_CASE(st1_to_st4_multiple_structures_interleave) {
  struct Case {
    test::Insn insn;
    unsigned selem, nregs, esize, dbytes;
  };
  const Case cases[] = {
      {{0x0c007820, "st1 {v0.2s}, [x1]"}, 1, 1, 4, 8},
      {{0x4c002020, "st1 {v0.16b, v1.16b, v2.16b, v3.16b}, [x1]"}, 1, 4, 1, 16},
      {{0x4c008820, "st2 {v0.4s, v1.4s}, [x1]"}, 2, 2, 4, 16},
      {{0x0c004424, "st3 {v4.4h, v5.4h, v6.4h}, [x1]"}, 3, 3, 2, 8},
      {{0x4c000020, "st4 {v0.16b, v1.16b, v2.16b, v3.16b}, [x1]"}, 4, 4, 1, 16},
  };
  for (const Case& k : cases) {
    BOOST_TEST_CONTEXT("word 0x" << std::hex << k.insn.word) {
      common_setup(*this);
      const unsigned t = k.insn.word & 31;
      for (unsigned r = 0; r < k.nregs; ++r) {
        Bytes16 b;
        for (unsigned j = 0; j < 16; ++j) b[j] = static_cast<uint8_t>(0x10 * r + j);
        set_vbytes((t + r) % 32, b);
      }
      x(1) = kData;
      exec({k.insn});
      const unsigned total = k.nregs * k.dbytes;
      for (unsigned off = 0; off < total; ++off) {
        const unsigned elem = off / k.esize, b = off % k.esize;
        const unsigned r = k.selem == 1 ? off / k.dbytes : elem % k.selem;
        const unsigned lane = k.selem == 1 ? (off % k.dbytes) / k.esize : elem / k.selem;
        BOOST_TEST(byte_at(kData + off) == static_cast<uint8_t>(0x10 * r + lane * k.esize + b), "offset " << off);
      }
      BOOST_TEST(byte_at(kData + total) == pattern(total));  // nothing beyond
    }
  }
}

BOOST_AUTO_TEST_CASE(post_index_by_immediate_and_by_register) {
  x(1) = kData;
  exec({{0x4cdfa020, "ld1 {v0.16b, v1.16b}, [x1], #0x20"}});
  BOOST_TEST(x(1) == kData + 32);
  BOOST_TEST(vbytes(1) == mem_image(16, 16));
  x(2) = static_cast<uint64_t>(-12);
  exec({{0x4cc2a020, "ld1 {v0.16b, v1.16b}, [x1], x2"}});
  BOOST_TEST(x(1) == kData + 20);
  BOOST_TEST(vbytes(0) == mem_image(32, 16));
  exec({{0x0c9f7c20, "st1 {v0.1d}, [x1], #8"}});
  BOOST_TEST(x(1) == kData + 28);
  exec({{0x4ddf7820, "ld3 {v0.h, v1.h, v2.h}[7], [x1], #6"}});
  BOOST_TEST(x(1) == kData + 34);
  x(2) = 100;
  exec({{0x4de22420, "ld4 {v0.b, v1.b, v2.b, v3.b}[9], [x1], x2"}});
  BOOST_TEST(x(1) == kData + 134);
  exec({{0x4dbfa020, "st4 {v0.s, v1.s, v2.s, v3.s}[2], [x1], #0x10"}});
  BOOST_TEST(x(1) == kData + 150);
  exec({{0x0ddfe420, "ld3r {v0.4h, v1.4h, v2.4h}, [x1], #6"}});
  BOOST_TEST(x(1) == kData + 156);
  x(2) = 4;
  exec({{0x4de2e020, "ld4r {v0.16b, v1.16b, v2.16b, v3.16b}, [x1], x2"}});
  BOOST_TEST(x(1) == kData + 160);
}

BOOST_AUTO_TEST_CASE(single_structure_lanes_keep_the_other_lanes) {
  struct Case {
    test::Insn insn;
    unsigned selem, esize, index;
  };
  const Case cases[] = {
      {{0x4d401c20, "ld1 {v0.b}[0xf], [x1]"}, 1, 1, 15}, {{0x0d405820, "ld1 {v0.h}[3], [x1]"}, 1, 2, 3},
      {{0x0d409020, "ld1 {v0.s}[1], [x1]"}, 1, 4, 1},   {{0x4d408420, "ld1 {v0.d}[1], [x1]"}, 1, 8, 1},
      {{0x4d609020, "ld2 {v0.s, v1.s}[3], [x1]"}, 2, 4, 3},
  };
  for (const Case& k : cases) {
    BOOST_TEST_CONTEXT("word 0x" << std::hex << k.insn.word) {
      common_setup(*this);
      x(1) = kData + 8;
      std::array<Bytes16, 2> before{vbytes(0), vbytes(1)};
      exec({k.insn});
      for (unsigned r = 0; r < k.selem; ++r) {
        Bytes16 want = before[r];  // a 64-bit form (Q = 0) keeps the upper half too
        for (unsigned b = 0; b < k.esize; ++b) want[k.index * k.esize + b] = pattern(8 + r * k.esize + b);
        BOOST_TEST(vbytes(r) == want);
      }
    }
  }
  // Stores of one lane.
  common_setup(*this);
  x(1) = kData;
  exec({{0x4d008420, "st1 {v0.d}[1], [x1]"}});
  for (unsigned b = 0; b < 8; ++b) BOOST_TEST(byte_at(kData + b) == vbytes(0)[8 + b]);
  BOOST_TEST(byte_at(kData + 8) == pattern(8));
  exec({{0x4d204820, "st2 {v0.h, v1.h}[5], [x1]"}});
  for (unsigned b = 0; b < 2; ++b) {
    BOOST_TEST(byte_at(kData + b) == vbytes(0)[10 + b]);
    BOOST_TEST(byte_at(kData + 2 + b) == vbytes(1)[10 + b]);
  }
  BOOST_TEST(byte_at(kData + 4) == vbytes(0)[12]);  // st1 above: untouched by the st2
}

BOOST_AUTO_TEST_CASE(load_and_replicate) {
  struct Case {
    test::Insn insn;
    unsigned selem, esize, dbytes;
  };
  const Case cases[] = {
      {{0x4d40c820, "ld1r {v0.4s}, [x1]"}, 1, 4, 16},
      {{0x0d40c020, "ld1r {v0.8b}, [x1]"}, 1, 1, 8},
      {{0x4d60cc20, "ld2r {v0.2d, v1.2d}, [x1]"}, 2, 8, 16},
  };
  for (const Case& k : cases) {
    BOOST_TEST_CONTEXT("word 0x" << std::hex << k.insn.word) {
      common_setup(*this);
      x(1) = kData + 4;
      exec({k.insn});
      for (unsigned r = 0; r < k.selem; ++r) {
        Bytes16 want{};
        for (unsigned l = 0; l < k.dbytes; ++l) want[l] = pattern(4 + r * k.esize + l % k.esize);
        BOOST_TEST(vbytes(r) == want);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(fpen_traps_at_el0_and_el1) {
  // CPACR_EL1.FPEN: 0b00 and 0b10 trap EL0 and EL1, 0b01 traps EL0 only, 0b11 nothing.
  const test::Insn insns[] = {{0x3dc00020, "ldr q0, [x1]"},
                              {0xad000420, "stp q0, q1, [x1]"},
                              {0x4c407020, "ld1 {v0.16b}, [x1]"},
                              {0x9c000206, "ldr q6, #0x40001040"}};
  for (const test::Insn& insn : insns) {
    for (unsigned el = 0; el < 2; ++el) {
      for (uint64_t fpen = 0; fpen < 4; ++fpen) {
        BOOST_TEST_CONTEXT("word 0x" << std::hex << insn.word << " EL" << el << " FPEN " << fpen) {
          common_setup(*this);
          core.set_sysreg(cpu::SysSlot::CPACR_EL1, fpen << 20);
          core.set_pstate_bits(el == 0 ? 0 : 5);  // EL0t or EL1h
          x(1) = kData;
          const Bytes16 v0 = vbytes(0), v6 = vbytes(6);
          const uint8_t m0 = byte_at(kData);
          load({insn});
          const auto r = step(1);
          const bool traps = !(fpen == 3 || (fpen == 1 && el == 1));
          if (traps) {
            // The vector's HLT ends the run: the trapped instruction did not retire.
            BOOST_TEST(esr() == kFpTrapEsr);
            BOOST_TEST(core.sysreg(cpu::SysSlot::ELR_EL1) == kCode);
            BOOST_TEST(vector_taken() == kVbar + (el == 0 ? kVecLowerA64 : kVecSameElSpx));
            BOOST_TEST(vbytes(0) == v0);
            BOOST_TEST(vbytes(6) == v6);
            BOOST_TEST(byte_at(kData) == m0);
          } else {
            BOOST_TEST(r.retired == 1u);
            BOOST_TEST(core.state().pc == kCode + 4);
          }
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(fpcr_and_fpsr_accesses_follow_fpen) {
  const test::Insn insns[] = {{0xd53b4400, "mrs x0, fpcr"}, {0xd51b4420, "msr fpsr, x0"}};
  for (const test::Insn& insn : insns) {
    for (uint64_t fpen = 0; fpen < 4; ++fpen) {
      BOOST_TEST_CONTEXT("word 0x" << std::hex << insn.word << " FPEN " << fpen) {
        core.set_sysreg(cpu::SysSlot::CPACR_EL1, fpen << 20);
        core.set_pstate_bits(5);  // EL1h
        x(0) = 0x08000000;
        core.set_sysreg(cpu::SysSlot::FPSR, 0);
        load({insn});
        step(1);
        if (fpen == 1 || fpen == 3) {
          BOOST_TEST(core.state().pc == kCode + 4);
        } else {
          BOOST_TEST(esr() == kFpTrapEsr);
          BOOST_TEST(core.sysreg(cpu::SysSlot::ELR_EL1) == kCode);
          BOOST_TEST(core.sysreg(cpu::SysSlot::FPSR) == 0u);
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(timing_roles_of_the_rows) {
  // The timing classifier sees V registers as 32..63, the base as an address source and
  // the writeback as a destination.
  cpu::DecodedInst d;
  auto id = cpu::decoder::decode(0xadff0c22, kCode, d);  // ldp q2, q3, [x1, #-0x20]!
  auto t = cpu::decoder::classify(id, d);
  BOOST_TEST(static_cast<int>(t.s.cls) == static_cast<int>(cpu::timing::OpClass::kLoad));
  BOOST_TEST(t.s.dst[0] == 34u);
  BOOST_TEST(t.s.dst[1] == 35u);
  BOOST_TEST(t.s.src[0] == 1u);
  BOOST_TEST(static_cast<int>(t.amode) == static_cast<int>(cpu::AddrMode::kBaseImm));
  id = cpu::decoder::decode(0x4c002020, kCode, d);  // st1 {v0.16b-v3.16b}, [x1]
  t = cpu::decoder::classify(id, d);
  BOOST_TEST(static_cast<int>(t.s.cls) == static_cast<int>(cpu::timing::OpClass::kStore));
  BOOST_TEST(t.s.src[0] == 1u);
  BOOST_TEST(t.s.src[1] == 32u);
  BOOST_TEST(t.s.src[2] == 35u);
  BOOST_TEST(static_cast<int>(t.amode) == static_cast<int>(cpu::AddrMode::kBase));
  id = cpu::decoder::decode(0x3ce27825, kCode, d);  // ldr q5, [x1, x2, lsl #4]
  t = cpu::decoder::classify(id, d);
  BOOST_TEST(static_cast<int>(t.amode) == static_cast<int>(cpu::AddrMode::kBaseReg));
  BOOST_TEST(t.s.dst[0] == 37u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(simd_loads_stores_memory_system, SimdMmuFixture)

BOOST_AUTO_TEST_CASE(a_fault_part_way_through_a_multi_register_access_changes_nothing) {
  // LD4 of four Q registers (64 bytes) starting 32 bytes before an unmapped page: the
  // translation fault is at the first byte of that page; no register, not the base of the
  // post-index form, changes (the architecture makes the loaded registers UNKNOWN and
  // keeps the base; this model checks the whole access before it moves any byte).
  enable();
  map(kVa, kPageA, 3, kNormalRw);
  x(1) = kVa + 0xfe0;
  std::array<cpu::VReg, 4> before{v(0), v(1), v(2), v(3)};
  run({{0x4cdf0020, "ld4 {v0.16b, v1.16b, v2.16b, v3.16b}, [x1], #0x40"}});
  BOOST_TEST(esr() == (kDataAbortSame | 0x07));  // translation fault, level 3
  BOOST_TEST(far() == kVa + 0x1000);
  BOOST_TEST(elr() == code_va());
  BOOST_TEST(x(1) == kVa + 0xfe0);
  for (unsigned r = 0; r < 4; ++r) BOOST_TEST((v(r) == before[r]));
  // The store counterpart into a read-only second page: a permission fault at its first
  // byte, and the first page's bytes are untouched.
  map(kVa + 0x1000, kPageB, 3, kNormalRw | pte::kApEl1Ro);
  const uint64_t first = read64(kPageA + 0xfe0);
  run({{0x4c9f2020, "st1 {v0.16b, v1.16b, v2.16b, v3.16b}, [x1], #0x40"}});
  BOOST_TEST(esr() == (kDataAbortSame | 0x40 | 0x0f));  // WnR, permission fault level 3
  BOOST_TEST(far() == kVa + 0x1000);
  BOOST_TEST(read64(kPageA + 0xfe0) == first);
  BOOST_TEST(x(1) == kVa + 0xfe0);
  // A Q pair crossing into the read-only page: same rule.
  x(1) = kVa + 0xff0;
  const uint64_t tail = read64(kPageA + 0xff0);
  run({{0xad000420, "stp q0, q1, [x1]"}});
  BOOST_TEST(esr() == (kDataAbortSame | 0x40 | 0x0f));
  BOOST_TEST(far() == kVa + 0x1000);
  BOOST_TEST(read64(kPageA + 0xff0) == tail);
}

BOOST_AUTO_TEST_CASE(accesses_crossing_pages_in_normal_memory) {
  enable();
  map(kVa, kPageB, 3, kNormalRw);  // not contiguous in PA
  map(kVa + 0x1000, kPageA, 3, kNormalRw);
  x(1) = kVa + 0xff0;
  run({{0xad400420, "ldp q0, q1, [x1]"}});
  for (unsigned b = 0; b < 16; ++b) {
    BOOST_TEST(ram[kPageB + 0xff0 - kBase + b] == reinterpret_cast<const uint8_t*>(v(0).d.data())[b]);
    BOOST_TEST(ram[kPageA - kBase + b] == reinterpret_cast<const uint8_t*>(v(1).d.data())[b]);
  }
  x(1) = kVa + 0xff8;
  v(2).d = {0x1111111111111111ull, 0x2222222222222222ull};
  run({{0x4c007822, "st1 {v2.4s}, [x1]"}});
  BOOST_TEST(read64(kPageB + 0xff8) == 0x1111111111111111ull);
  BOOST_TEST(read64(kPageA) == 0x2222222222222222ull);
}

BOOST_AUTO_TEST_CASE(alignment_follows_the_element_size) {
  enable(kBase, kSctlrA);
  map(kVa, kPageA, 3, kNormalRw);
  // LDR Q: 16-byte unit; LDP D: 8 per element; LD1 .4s: 4 per element.
  x(1) = kVa + 8;
  run({{0x3dc00020, "ldr q0, [x1]"}});
  BOOST_TEST(esr() == (kDataAbortSame | 0x21));
  BOOST_TEST(far() == kVa + 8);
  run({{0x6d400420, "ldp d0, d1, [x1]"}});
  BOOST_TEST(core.state().pc == code_va() + 4);  // 8-aligned: fine
  x(1) = kVa + 2;
  run({{0x4c407820, "ld1 {v0.4s}, [x1]"}});
  BOOST_TEST(esr() == (kDataAbortSame | 0x21));
  x(1) = kVa + 4;
  run({{0x4c407820, "ld1 {v0.4s}, [x1]"}});
  BOOST_TEST(core.state().pc == code_va() + 4);
  x(1) = kVa + 1;
  run({{0x4c407020, "ld1 {v0.16b}, [x1]"}});  // bytes: never misaligned
  BOOST_TEST(core.state().pc == code_va() + 4);
}

BOOST_AUTO_TEST_CASE(device_memory_and_mmio) {
  enable();
  map(kVa, kPageA, 3, pte::kAf | pte::attr(kDevice));
  x(1) = kVa + 4;
  run({{0xad400420, "ldp q0, q1, [x1]"}});
  BOOST_TEST(esr() == (kDataAbortSame | 0x21));  // misaligned to Device memory
  // Outside RAM: no valid syndrome for SIMD&FP registers, so a NISV-style exit at the
  // instruction, which has not executed.
  constexpr uint64_t kUart = 0x09000000;
  map(kVa + 0x1000, kUart, 3, pte::kAf | pte::attr(kDevice));
  x(1) = kVa + 0x1000;
  const auto r = run({{0x3dc00020, "ldr q0, [x1]"}});
  BOOST_TEST(static_cast<int>(r.reason) == static_cast<int>(cpu::ExitReason::kMmioNoSyndrome));
  BOOST_TEST(core.mmio().phys_addr == kUart);
  BOOST_TEST(core.mmio().size == 16u);
  BOOST_TEST(core.state().pc == code_va());
}

BOOST_AUTO_TEST_SUITE_END()
