// Loads and stores: every addressing mode, sign extension, pairs, literals, exclusives,
// ordered accesses and LSE atomics, plus the faults they raise.
#include <boost/test/unit_test.hpp>

#include <cstring>

#include "cpu_fixture.h"

using test::CpuFixture;

namespace {
struct LdstFixture : CpuFixture {
  LdstFixture() {
    write64(kData, 0xffeeddccbbaa9988ull);
    write64(kData + 8, 0x0807060504030201ull);
  }
  uint8_t byte(uint64_t pa) const { return ram[pa - kBase]; }
  uint16_t half(uint64_t pa) const {
    uint16_t v;
    std::memcpy(&v, &ram[pa - kBase], 2);
    return v;
  }
};
constexpr uint64_t kVecSameElSpx = 0x200;
}  // namespace

BOOST_FIXTURE_TEST_SUITE(loads_stores, LdstFixture)

BOOST_AUTO_TEST_CASE(single_register_sizes_and_sign_extension) {
  x(1) = kData;
  exec({{0xf9400020, "ldr x0, [x1]"}});
  BOOST_TEST(x(0) == 0xffeeddccbbaa9988ull);
  exec({{0xb9400420, "ldr w0, [x1, #4]"}});
  BOOST_TEST(x(0) == 0xffeeddccull);
  exec({{0x39400420, "ldrb w0, [x1, #1]"}});
  BOOST_TEST(x(0) == 0x99u);
  exec({{0x39800820, "ldrsb x0, [x1, #2]"}});
  BOOST_TEST(x(0) == 0xffffffffffffffaaull);
  exec({{0x39c00820, "ldrsb w0, [x1, #2]"}});
  BOOST_TEST(x(0) == 0xffffffaaull);
  exec({{0x79800020, "ldrsh x0, [x1]"}});
  BOOST_TEST(x(0) == 0xffffffffffff9988ull);
  exec({{0xb9800420, "ldrsw x0, [x1, #4]"}});
  BOOST_TEST(x(0) == 0xffffffffffeeddccull);
}

BOOST_AUTO_TEST_CASE(addressing_modes_and_writeback) {
  x(1) = kData + 8;
  exec({{0xf85f8020, "ldur x0, [x1, #-8]"}});
  BOOST_TEST(x(0) == 0xffeeddccbbaa9988ull);
  BOOST_TEST(x(1) == kData + 8);
  x(1) = kData;
  exec({{0xf8408c20, "ldr x0, [x1, #8]!"}});
  BOOST_TEST(x(0) == 0x0807060504030201ull);
  BOOST_TEST(x(1) == kData + 8);
  x(1) = kData;
  exec({{0xf8410420, "ldr x0, [x1], #0x10"}});
  BOOST_TEST(x(0) == 0xffeeddccbbaa9988ull);
  BOOST_TEST(x(1) == kData + 16);
  x(0) = 0xabc;
  x(1) = kData;
  x(2) = 2;
  exec({{0xf8227820, "str x0, [x1, x2, lsl #3]"}});
  BOOST_TEST(read64(kData + 16) == 0xabcu);
  x(1) = kData + 8;
  x(2) = 0xfffffffe;  // W2 = -2, scaled by 4
  exec({{0xb862d820, "ldr w0, [x1, w2, sxtw #2]"}});
  BOOST_TEST(x(0) == 0xbbaa9988ull);
  x(0) = 0x1ff;
  x(1) = kData + 0x20;
  exec({{0x381ffc20, "strb w0, [x1, #-1]!"}});
  BOOST_TEST(byte(kData + 0x1f) == 0xffu);
  BOOST_TEST(x(1) == kData + 0x1f);
  x(0) = 0x12345;
  x(1) = kData + 0x30;
  exec({{0x78002420, "strh w0, [x1], #2"}});
  BOOST_TEST(half(kData + 0x30) == 0x2345u);
  BOOST_TEST(x(1) == kData + 0x32);
}

BOOST_AUTO_TEST_CASE(pairs) {
  x(1) = kData + 0x40;
  x(2) = 0x1111;
  x(3) = 0x2222;
  exec({{0xa9bf0c22, "stp x2, x3, [x1, #-0x10]!"}});
  BOOST_TEST(read64(kData + 0x30) == 0x1111u);
  BOOST_TEST(read64(kData + 0x38) == 0x2222u);
  BOOST_TEST(x(1) == kData + 0x30);
  x(2) = x(3) = 0;
  exec({{0xa8c10c22, "ldp x2, x3, [x1], #0x10"}});
  BOOST_TEST(x(2) == 0x1111u);
  BOOST_TEST(x(3) == 0x2222u);
  BOOST_TEST(x(1) == kData + 0x40);
  x(1) = kData;
  exec({{0x29410c22, "ldp w2, w3, [x1, #8]"}});
  BOOST_TEST(x(2) == 0x04030201u);
  BOOST_TEST(x(3) == 0x08070605u);
  exec({{0x69400c22, "ldpsw x2, x3, [x1]"}});
  BOOST_TEST(x(2) == 0xffffffffbbaa9988ull);
  BOOST_TEST(x(3) == 0xffffffffffeeddccull);
  exec({{0xa8400c22, "ldnp x2, x3, [x1]"}});
  BOOST_TEST(x(2) == 0xffeeddccbbaa9988ull);
  BOOST_TEST(x(3) == 0x0807060504030201ull);
}

BOOST_AUTO_TEST_CASE(literal_loads) {
  write64(kCode + 0x100, 0x80000000fffffff0ull);
  exec({{0x58000800, "ldr x0, #0x40001100"}});
  BOOST_TEST(x(0) == 0x80000000fffffff0ull);
  exec({{0x98000800, "ldrsw x0, #0x40001100"}});
  BOOST_TEST(x(0) == 0xfffffffffffffff0ull);
}

BOOST_AUTO_TEST_CASE(exclusives_and_ordered) {
  x(1) = kData;
  x(2) = 0x55;
  exec({{0xc85f7c20, "ldxr x0, [x1]"}, {0xc8047c22, "stxr w4, x2, [x1]"}});
  BOOST_TEST(x(0) == 0xffeeddccbbaa9988ull);
  BOOST_TEST(x(4) == 0u);  // success
  BOOST_TEST(read64(kData) == 0x55u);
  x(2) = 0x66;
  exec({{0xc8047c22, "stxr w4, x2, [x1]"}});
  BOOST_TEST(x(4) == 1u);  // monitor was cleared by the previous store-exclusive
  BOOST_TEST(read64(kData) == 0x55u);

  exec({{0x085ffc20, "ldaxrb w0, [x1]"}, {0x4804fc22, "stlxrh w4, w2, [x1]"}});
  BOOST_TEST(x(0) == 0x55u);
  BOOST_TEST(x(4) == 1u);  // size differs from the tagged access: fails

  x(2) = 7;
  x(3) = 8;
  exec({{0xc87f0c22, "ldxp x2, x3, [x1]"}});
  BOOST_TEST(x(2) == 0x55u);
  BOOST_TEST(x(3) == 0x0807060504030201ull);
  x(2) = 7;
  x(3) = 8;
  exec({{0xd5033f5f, "clrex"}, {0xc8240c22, "stxp w4, x2, x3, [x1]"}});
  BOOST_TEST(x(4) == 1u);  // CLREX cleared the monitor the LDXP set
  exec({{0xc87f0c22, "ldxp x2, x3, [x1]"}, {0xc8240c22, "stxp w4, x2, x3, [x1]"}});
  BOOST_TEST(x(4) == 0u);

  exec({{0xc8dffc20, "ldar x0, [x1]"}});
  BOOST_TEST(x(0) == 0x55u);
  x(2) = 0xdeadbeef;
  exec({{0x889ffc22, "stlr w2, [x1]"}});
  BOOST_TEST(read64(kData) == 0xdeadbeefull);
}

BOOST_AUTO_TEST_CASE(misaligned_exclusive_is_an_alignment_fault) {
  x(1) = kData + 4;
  x(0) = 0x1234;
  exec({{0xc85f7c20, "ldxr x0, [x1]"}});
  BOOST_TEST(x(0) == 0x1234u);  // not executed
  BOOST_TEST(esr() == 0x96000021u);  // EC 0x25 (same EL), IL, DFSC alignment
  BOOST_TEST(core.sysreg(cpu::SysSlot::FAR_EL1) == kData + 4);
  BOOST_TEST(core.sysreg(cpu::SysSlot::ELR_EL1) == kCode);
  BOOST_TEST(vector_taken() == kVbar + kVecSameElSpx);
}

// Accesses outside RAM are MMIO exits now: see mmio_test.cpp.

// LSE atomics (Armv8.1). Capstone 4.0.2 predates LSE, hence the empty texts; the
// encodings come from llvm-mc and the LLVM disassembler test checks them.
BOOST_AUTO_TEST_CASE(lse_compare_and_swap) {
  x(1) = kData;
  write64(kData, 5);
  x(2) = 5;
  x(3) = 9;
  exec({{0xc8a27c23, ""}});  // cas x2, x3, [x1]
  BOOST_TEST(read64(kData) == 9u);
  BOOST_TEST(x(2) == 5u);
  x(2) = 5;
  exec({{0xc8a27c23, ""}});  // mismatch: memory kept, old value returned
  BOOST_TEST(read64(kData) == 9u);
  BOOST_TEST(x(2) == 9u);
  x(2) = 9;
  x(3) = 0x10;
  exec({{0x88e2fc23, ""}});  // casal w2, w3, [x1]
  BOOST_TEST(read64(kData) == 0x10u);
  write64(kData, 1);
  write64(kData + 8, 2);
  x(2) = 1;
  x(3) = 2;
  x(4) = 3;
  x(5) = 4;
  exec({{0x48227c24, ""}});  // casp x2, x3, x4, x5, [x1]
  BOOST_TEST(read64(kData) == 3u);
  BOOST_TEST(read64(kData + 8) == 4u);
  BOOST_TEST(x(2) == 1u);
  BOOST_TEST(x(3) == 2u);
}

BOOST_AUTO_TEST_CASE(lse_atomic_memory_operations) {
  x(1) = kData;
  write64(kData, 10);
  x(2) = 5;
  exec({{0xf8220020, ""}});  // ldadd x2, x0, [x1]
  BOOST_TEST(read64(kData) == 15u);
  BOOST_TEST(x(0) == 10u);
  write64(kData, 0xff);
  x(2) = 0x0f;
  exec({{0x38221020, ""}});  // ldclrb w2, w0, [x1]
  BOOST_TEST(byte(kData) == 0xf0u);
  BOOST_TEST(x(0) == 0xffu);
  write64(kData, 0x00ff);
  x(2) = 0x0f0f;
  exec({{0x78222020, ""}});  // ldeorh w2, w0, [x1]
  BOOST_TEST(half(kData) == 0x0ff0u);
  write64(kData, 1);
  x(2) = 2;
  exec({{0xb8223020, ""}});  // ldset w2, w0, [x1]
  BOOST_TEST(read64(kData) == 3u);
  write64(kData, static_cast<uint64_t>(-5));
  x(2) = 3;
  exec({{0xf8224020, ""}});  // ldsmax x2, x0, [x1]
  BOOST_TEST(read64(kData) == 3u);
  BOOST_TEST(x(0) == static_cast<uint64_t>(-5));
  write64(kData, 7);
  x(2) = 0xffffffff;
  exec({{0xb8225020, ""}});  // ldsmin w2, w0, [x1]: -1 < 7
  BOOST_TEST(read64(kData) == 0xffffffffu);
  BOOST_TEST(x(0) == 7u);
  write64(kData, static_cast<uint64_t>(-5));
  x(2) = 3;
  exec({{0xf8226020, ""}});  // ldumax x2, x0, [x1]: unsigned, memory wins
  BOOST_TEST(read64(kData) == static_cast<uint64_t>(-5));
  write64(kData, 7);
  x(2) = 0xffffffff;
  exec({{0xb8227020, ""}});  // ldumin w2, w0, [x1]
  BOOST_TEST(read64(kData) == 7u);
  write64(kData, 1);
  x(2) = 2;
  exec({{0xf8228020, ""}});  // swp x2, x0, [x1]
  BOOST_TEST(read64(kData) == 2u);
  BOOST_TEST(x(0) == 1u);
}

BOOST_AUTO_TEST_CASE(self_modifying_code_is_seen) {
  // str w2, [x1] overwrites the next instruction; the core must execute the new word.
  x(1) = kCode + 4;
  x(2) = 0xd2800540;  // movz x0, #0x2a
  load({{0xb9000022, "str w2, [x1]"}, {0xd2800020, "movz x0, #0x1"}});
  step(1);  // decode the block with the old word first
  core.state().pc = kCode;
  step(2);
  BOOST_TEST(x(0) == 0x2au);
}

BOOST_AUTO_TEST_SUITE_END()
