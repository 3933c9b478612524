// Mechanical checks of the instruction table (cpu/decoder/a64.inc): every row is reachable,
// rows of equal specificity never overlap (so the order of rows in the file cannot matter),
// and decoding is deterministic.
#include <boost/test/unit_test.hpp>

#include <bit>
#include <random>

#include "cpu/decoder/decoder.h"

using cpu::decoder::InsnId;
using cpu::decoder::rows;

namespace {
uint32_t fill(const cpu::decoder::Row& r, std::mt19937& rng) {
  return (static_cast<uint32_t>(rng()) & ~r.mask) | r.value;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(decoder_table)

BOOST_AUTO_TEST_CASE(every_row_decodes_its_own_encodings) {
  std::mt19937 rng(1);
  for (const auto& row : rows()) {
    BOOST_TEST_CONTEXT("row " << row.name) {
      unsigned own = 0;
      for (int k = 0; k < 500; ++k) {
        const uint32_t w = fill(row, rng);
        const InsnId got = cpu::decoder::match(w);
        BOOST_REQUIRE(got != InsnId::kUndefined);
        const auto& winner = rows()[static_cast<size_t>(got)];
        // Only a strictly more specific row may take an encoding of this row.
        if (got != row.id) BOOST_TEST(std::popcount(winner.mask) > std::popcount(row.mask));
        own += got == row.id;
      }
      BOOST_TEST(own > 0u);
    }
  }
}

BOOST_AUTO_TEST_CASE(no_undeclared_overlaps) {
  const auto& t = rows();
  for (size_t i = 0; i < t.size(); ++i) {
    for (size_t j = i + 1; j < t.size(); ++j) {
      const bool overlap = ((t[i].value ^ t[j].value) & t[i].mask & t[j].mask) == 0;
      const bool same_specificity = std::popcount(t[i].mask) == std::popcount(t[j].mask);
      BOOST_TEST_CONTEXT(t[i].name << " vs " << t[j].name) { BOOST_TEST(!(overlap && same_specificity)); }
    }
  }
}

BOOST_AUTO_TEST_CASE(decode_sets_handler_and_pc) {
  cpu::DecodedInst d;
  const InsnId id = cpu::decoder::decode(0x91000420, 0x40001000, d);  // add x0, x1, #1
  BOOST_TEST(static_cast<int>(id) == static_cast<int>(InsnId::ADD_imm));
  BOOST_TEST(d.fn != nullptr);
  BOOST_TEST(d.pc == 0x40001000u);
  BOOST_TEST(d.imm == 1u);
  const InsnId bad = cpu::decoder::decode(0x00000000, 0x40001000, d);  // udf #0
  BOOST_TEST(static_cast<int>(bad) == static_cast<int>(InsnId::kUndefined));
  BOOST_TEST(d.fn != nullptr);  // the UNDEFINED handler
}

BOOST_AUTO_TEST_SUITE_END()
