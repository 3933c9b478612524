// Data-processing instructions: architecturally exact results and NZCV (Arm ARM C6.2).
// Expected values are worked out by hand from the pseudocode; the comment on each word is
// checked against Capstone by the fixture.
#include <boost/test/unit_test.hpp>

#include "cpu_fixture.h"

using test::CpuFixture;

BOOST_FIXTURE_TEST_SUITE(data_processing, CpuFixture)

BOOST_AUTO_TEST_CASE(add_sub_immediate_and_flags) {
  set_nzcv(0b1010);
  x(1) = ~0ull;
  exec({{0x91000420, "add x0, x1, #1"}});
  BOOST_TEST(x(0) == 0u);
  BOOST_TEST(nzcv() == 0b1010u);  // ADD does not touch the flags

  exec({{0xb1000420, "adds x0, x1, #1"}});
  BOOST_TEST(x(0) == 0u);
  BOOST_TEST(nzcv() == 0b0110u);  // Z and C (unsigned carry out)

  x(1) = 0x7fffffffffffffffull;
  exec({{0xb1000420, "adds x0, x1, #1"}});
  BOOST_TEST(x(0) == 0x8000000000000000ull);
  BOOST_TEST(nzcv() == 0b1001u);  // N and V (signed overflow)

  x(1) = 1;
  exec({{0xf1000820, "subs x0, x1, #2"}});
  BOOST_TEST(x(0) == ~0ull);
  BOOST_TEST(nzcv() == 0b1000u);  // borrow: C clear

  x(1) = 2;
  exec({{0xf1000820, "subs x0, x1, #2"}});
  BOOST_TEST(nzcv() == 0b0110u);

  x(1) = 0xffffffff00000000ull;  // W1 = 0
  exec({{0x71000420, "subs w0, w1, #1"}});
  BOOST_TEST(x(0) == 0xffffffffull);  // upper half of X0 zeroed
  BOOST_TEST(nzcv() == 0b1000u);

  x(1) = 0x80000000ull;
  exec({{0x71000420, "subs w0, w1, #1"}});
  BOOST_TEST(x(0) == 0x7fffffffull);
  BOOST_TEST(nzcv() == 0b0011u);

  const uint64_t sp = core.sp();
  exec({{0x910043e0, "add x0, sp, #0x10"}});
  BOOST_TEST(x(0) == sp + 16);
}

BOOST_AUTO_TEST_CASE(add_sub_shifted_and_extended) {
  x(3) = 1;
  x(4) = 0x0800000000000000ull;
  exec({{0xab041062, "adds x2, x3, x4, lsl #4"}});
  BOOST_TEST(x(2) == 0x8000000000000001ull);
  BOOST_TEST(nzcv() == 0b1000u);

  x(3) = 0;
  x(4) = 0x80000000ull;
  exec({{0x4b840862, "sub w2, w3, w4, asr #2"}});
  BOOST_TEST(x(2) == 0x20000000ull);

  x(1) = 0x100;
  x(2) = 0xffffffffull;  // W2 = -1, sign-extended then shifted: -4
  exec({{0xab22c820, "adds x0, x1, w2, sxtw #2"}});
  BOOST_TEST(x(0) == 0xfcull);
  BOOST_TEST(nzcv() == 0b0010u);

  const uint64_t sp = core.sp();
  x(2) = 0x100;
  exec({{0x8b2263ff, "add sp, sp, x2"}});
  BOOST_TEST(core.sp() == sp + 0x100);
}

BOOST_AUTO_TEST_CASE(add_sub_with_carry) {
  x(1) = 5;
  x(2) = 6;
  set_nzcv(0b0010);
  exec({{0x9a020020, "adc x0, x1, x2"}});
  BOOST_TEST(x(0) == 12u);
  set_nzcv(0);
  exec({{0x9a020020, "adc x0, x1, x2"}});
  BOOST_TEST(x(0) == 11u);
  set_nzcv(0b0010);
  exec({{0x7a020020, "sbcs w0, w1, w2"}});
  BOOST_TEST(x(0) == 0xffffffffull);
  BOOST_TEST(nzcv() == 0b1000u);
  set_nzcv(0);
  exec({{0x7a020020, "sbcs w0, w1, w2"}});
  BOOST_TEST(x(0) == 0xfffffffeull);
}

BOOST_AUTO_TEST_CASE(logical) {
  x(1) = 0x123456789abcdef0ull;
  exec({{0x92781c20, "and x0, x1, #0xff00"}});
  BOOST_TEST(x(0) == 0xde00u);
  x(0) = ~0ull;
  exec({{0x3200f3e0, "orr w0, wzr, #0x55555555"}});
  BOOST_TEST(x(0) == 0x55555555u);
  x(1) = 0xf;
  exec({{0xd2410420, "eor x0, x1, #0x8000000000000001"}});
  BOOST_TEST(x(0) == 0x800000000000000eull);
  x(1) = 0x8000000000000001ull;
  set_nzcv(0b0011);
  exec({{0xf2410020, "ands x0, x1, #0x8000000000000000"}});
  BOOST_TEST(x(0) == 0x8000000000000000ull);
  BOOST_TEST(nzcv() == 0b1000u);  // C and V cleared
  x(1) = 0xff;
  x(2) = 0x80;
  exec({{0x8a620c20, "bic x0, x1, x2, lsr #3"}});
  BOOST_TEST(x(0) == 0xefu);
  x(1) = 0xf;
  x(2) = 1;
  exec({{0x4ae21020, "eon w0, w1, w2, ror #4"}});
  BOOST_TEST(x(0) == 0xeffffff0ull);
  x(1) = 0xf0;
  x(2) = 0x0f;
  exec({{0x6a020020, "ands w0, w1, w2"}});
  BOOST_TEST(x(0) == 0u);
  BOOST_TEST(nzcv() == 0b0100u);
}

BOOST_AUTO_TEST_CASE(move_wide) {
  exec({{0xd2c24680, "movz x0, #0x1234, lsl #32"}});
  BOOST_TEST(x(0) == 0x0000123400000000ull);
  exec({{0x128000a0, "movn w0, #0x5"}});
  BOOST_TEST(x(0) == 0xfffffffaull);
  x(0) = 0x1111111111111111ull;
  exec({{0xf2b7dde0, "movk x0, #0xbeef, lsl #16"}});
  BOOST_TEST(x(0) == 0x11111111beef1111ull);
}

BOOST_AUTO_TEST_CASE(bitfield_and_extract) {
  x(1) = 0xf80;
  exec({{0x93442c20, "sbfx x0, x1, #4, #8"}});
  BOOST_TEST(x(0) == 0xfffffffffffffff8ull);
  x(1) = 0x8765432f;
  exec({{0x531c6c20, "lsl w0, w1, #4"}});
  BOOST_TEST(x(0) == 0x765432f0ull);
  x(0) = ~0ull;
  x(1) = 5;
  exec({{0xb37c0c20, "bfi x0, x1, #4, #4"}});
  BOOST_TEST(x(0) == 0xffffffffffffff5full);
  x(1) = 0x0123456789abcdefull;
  x(2) = 0xfedcba9876543210ull;
  exec({{0x93c23020, "extr x0, x1, x2, #0xc"}});
  BOOST_TEST(x(0) == 0xdeffedcba9876543ull);
}

BOOST_AUTO_TEST_CASE(conditional_select_and_compare) {
  x(1) = 111;
  x(2) = 222;
  set_nzcv(0b0100);
  exec({{0x9a820020, "csel x0, x1, x2, eq"}});
  BOOST_TEST(x(0) == 111u);
  set_nzcv(0);
  exec({{0x9a820020, "csel x0, x1, x2, eq"}});
  BOOST_TEST(x(0) == 222u);
  x(2) = 0xffffffff;
  set_nzcv(0b0100);
  exec({{0x1a821420, "csinc w0, w1, w2, ne"}});
  BOOST_TEST(x(0) == 0u);
  x(2) = 0;
  set_nzcv(0);
  exec({{0xda82b020, "csinv x0, x1, x2, lt"}});
  BOOST_TEST(x(0) == ~0ull);
  x(2) = 5;
  set_nzcv(0b1000);
  exec({{0xda82a420, "csneg x0, x1, x2, ge"}});
  BOOST_TEST(x(0) == 0xfffffffffffffffbull);

  x(1) = 3;
  x(2) = 3;
  set_nzcv(0b0100);
  exec({{0xfa420024, "ccmp x1, x2, #4, eq"}});
  BOOST_TEST(nzcv() == 0b0110u);
  set_nzcv(0);
  exec({{0xfa420024, "ccmp x1, x2, #4, eq"}});
  BOOST_TEST(nzcv() == 0b0100u);
  x(1) = 0xfffffffd;
  set_nzcv(0b0010);
  exec({{0x3a438822, "ccmn w1, #3, #2, hi"}});
  BOOST_TEST(nzcv() == 0b0110u);
  set_nzcv(0);
  exec({{0x3a438822, "ccmn w1, #3, #2, hi"}});
  BOOST_TEST(nzcv() == 0b0010u);
}

BOOST_AUTO_TEST_CASE(multiply_divide) {
  x(1) = 3;
  x(2) = 4;
  x(3) = 5;
  exec({{0x9b020c20, "madd x0, x1, x2, x3"}});
  BOOST_TEST(x(0) == 17u);
  x(3) = 10;
  exec({{0x1b028c20, "msub w0, w1, w2, w3"}});
  BOOST_TEST(x(0) == 0xfffffffeull);
  x(1) = 0xfffffffe;
  x(2) = 3;
  x(3) = 100;
  exec({{0x9b220c20, "smaddl x0, w1, w2, x3"}});
  BOOST_TEST(x(0) == 94u);
  x(1) = 0xffffffff;
  x(2) = 2;
  x(3) = 0x200000000ull;
  exec({{0x9ba28c20, "umsubl x0, w1, w2, x3"}});
  BOOST_TEST(x(0) == 2u);
  x(1) = ~0ull;
  x(2) = 5;
  exec({{0x9b427c20, "smulh x0, x1, x2"}});
  BOOST_TEST(x(0) == ~0ull);
  x(1) = 0x4000000000000000ull;
  x(2) = 4;
  exec({{0x9b427c20, "smulh x0, x1, x2"}});
  BOOST_TEST(x(0) == 1u);
  x(1) = ~0ull;
  x(2) = ~0ull;
  exec({{0x9bc27c20, "umulh x0, x1, x2"}});
  BOOST_TEST(x(0) == 0xfffffffffffffffeull);
  x(1) = 100;
  x(2) = 7;
  exec({{0x9ac20820, "udiv x0, x1, x2"}});
  BOOST_TEST(x(0) == 14u);
  x(2) = 0;
  exec({{0x9ac20820, "udiv x0, x1, x2"}});
  BOOST_TEST(x(0) == 0u);  // no trap: division by zero gives zero
  x(1) = 0x80000000;
  x(2) = 0xffffffff;
  exec({{0x1ac20c20, "sdiv w0, w1, w2"}});
  BOOST_TEST(x(0) == 0x80000000ull);  // INT_MIN / -1 = INT_MIN
  x(1) = static_cast<uint32_t>(-7);
  x(2) = 2;
  exec({{0x1ac20c20, "sdiv w0, w1, w2"}});
  BOOST_TEST(x(0) == 0xfffffffdull);  // rounds toward zero
}

BOOST_AUTO_TEST_CASE(variable_shifts) {
  x(1) = 1;
  x(2) = 65;  // shift amount is taken modulo the width
  exec({{0x9ac22020, "lsl x0, x1, x2"}});
  BOOST_TEST(x(0) == 2u);
  x(1) = 0x80000000;
  x(2) = 33;
  exec({{0x1ac22820, "asr w0, w1, w2"}});
  BOOST_TEST(x(0) == 0xc0000000ull);
  x(1) = 1;
  x(2) = 1;
  exec({{0x9ac22c20, "ror x0, x1, x2"}});
  BOOST_TEST(x(0) == 0x8000000000000000ull);
}

BOOST_AUTO_TEST_CASE(crc32) {
  // CRC-32 of "a" is 0xE8B7BE43 with the conventional pre- and post-inversion.
  x(1) = 0xffffffff;
  x(2) = 'a';
  exec({{0x1ac24020, "crc32b w0, w1, w2"}});
  BOOST_TEST((~x(0) & 0xffffffffull) == 0xe8b7be43ull);
  // CRC-32C of 32 zero bytes is 0x8A9136AA (RFC 3720, B.4).
  x(0) = 0xffffffff;
  exec({{0x9adf5c00, "crc32cx w0, w0, xzr"},
        {0x9adf5c00, "crc32cx w0, w0, xzr"},
        {0x9adf5c00, "crc32cx w0, w0, xzr"},
        {0x9adf5c00, "crc32cx w0, w0, xzr"}});
  BOOST_TEST((~x(0) & 0xffffffffull) == 0x8a9136aaull);
}

BOOST_AUTO_TEST_CASE(bit_and_byte_reversal_counts) {
  x(1) = 1;
  exec({{0xdac00020, "rbit x0, x1"}});
  BOOST_TEST(x(0) == 0x8000000000000000ull);
  x(1) = 0x11223344;
  exec({{0x5ac00420, "rev16 w0, w1"}});
  BOOST_TEST(x(0) == 0x22114433ull);
  x(1) = 0x1122334455667788ull;
  exec({{0xdac00820, "rev32 x0, x1"}});
  BOOST_TEST(x(0) == 0x4433221188776655ull);
  exec({{0xdac00c20, "rev x0, x1"}});
  BOOST_TEST(x(0) == 0x8877665544332211ull);
  x(1) = 0x10000;
  exec({{0x5ac01020, "clz w0, w1"}});
  BOOST_TEST(x(0) == 15u);
  x(1) = 0;
  exec({{0x5ac01020, "clz w0, w1"}});
  BOOST_TEST(x(0) == 32u);
  x(1) = 0xffff000000000000ull;
  exec({{0xdac01420, "cls x0, x1"}});
  BOOST_TEST(x(0) == 15u);
  x(1) = 0;
  exec({{0xdac01420, "cls x0, x1"}});
  BOOST_TEST(x(0) == 63u);
}

BOOST_AUTO_TEST_CASE(pc_relative) {
  exec({{0x10000200, "adr x0, #0x40001040"}});
  BOOST_TEST(x(0) == 0x40001040ull);
  exec({{0xf0000000, "adrp x0, #0x40004000"}});
  BOOST_TEST(x(0) == 0x40004000ull);
}

BOOST_AUTO_TEST_SUITE_END()
