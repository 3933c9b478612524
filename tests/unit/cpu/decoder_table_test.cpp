// Mechanical checks of the instruction table (cpu/decoder/a64.inc): every row is reachable,
// rows of equal specificity never overlap (so the order of rows in the file cannot matter),
// and decoding is deterministic.
#include <boost/test/unit_test.hpp>

#include <bit>
#include <random>

#include "cpu/decoder/classify.h"
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

// The table's class and roles give, for every row and many random encodings of it, exactly
// the timing data the hand-written classifier gave.
BOOST_AUTO_TEST_CASE(table_classification_equals_hand_written) {
  std::mt19937 rng(7);
  unsigned compared = 0;
  for (const auto& row : rows()) {
    BOOST_TEST_CONTEXT("row " << row.name) {
      for (int k = 0; k < 2000; ++k) {
        const uint32_t w = fill(row, rng);
        cpu::DecodedInst d;
        const InsnId id = cpu::decoder::decode(w, 0x40001000, d);
        const cpu::InstTiming got = cpu::decoder::classify(id, d), want = cpu::decoder::classify_legacy(id, d);
        BOOST_TEST_CONTEXT(std::hex << "word 0x" << w) {
          BOOST_TEST(static_cast<int>(got.s.cls) == static_cast<int>(want.s.cls));
          BOOST_TEST(static_cast<int>(got.amode) == static_cast<int>(want.amode));
          BOOST_TEST(got.flags == want.flags);
          for (int j = 0; j < 2; ++j) BOOST_TEST(got.s.dst[j] == want.s.dst[j]);
          for (int j = 0; j < 3; ++j) BOOST_TEST(got.s.src[j] == want.s.src[j]);
        }
        ++compared;
      }
    }
  }
  BOOST_TEST(compared > 100000u);
}

BOOST_AUTO_TEST_SUITE_END()
