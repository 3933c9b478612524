// Feature gating of the instruction table: an encoding whose row (or part of a row) needs an
// architecture feature the core's ID registers do not advertise is UNDEFINED; with the
// feature it decodes and executes. Data-driven from the table's gates, so a new gated row is
// covered without a new test.
#include <boost/test/unit_test.hpp>

#include <random>
#include <vector>

#include "cpu/decoder/decoder.h"
#include "cpu_fixture.h"

using cpu::decoder::Feature;
using cpu::decoder::FeatureSet;
using cpu::decoder::InsnId;
using cpu::decoder::rows;

namespace {

constexpr FeatureSet without(Feature f) { return cpu::decoder::kAllFeatures & ~cpu::decoder::feature_bit(f); }

// Up to `want` encodings of rows gated on f that match the gate's term and decode, with
// every feature present, to that row.
std::vector<uint32_t> gated_words(Feature f, unsigned want, std::mt19937& rng) {
  std::vector<uint32_t> out;
  for (const auto& row : rows()) {
    for (unsigned k = 0; k < row.gate.n; ++k) {
      const auto& term = row.gate.t[k];
      if (term.f != f) continue;
      unsigned found = 0;
      for (int tries = 0; tries < 20000 && found < want; ++tries) {
        uint32_t w = (static_cast<uint32_t>(rng()) & ~row.mask) | row.value;
        w = (w & ~term.mask) | term.value;
        if ((w & row.mask) != row.value) continue;  // the term contradicts the pattern
        cpu::DecodedInst d;
        if (cpu::decoder::decode(w, 0x40001000, d) != row.id) continue;
        out.push_back(w);
        ++found;
      }
    }
  }
  return out;
}

const char* name(Feature f) {
  static constexpr const char* kNames[] = {"FP16", "AES",  "PMULL", "SHA1", "SHA256", "CRC32", "LSE",
                                           "RDM",  "DotProd", "FHM", "JSCVT", "FCMA", "FRINTTS"};
  static_assert(std::size(kNames) == static_cast<size_t>(Feature::kCount));
  return kNames[static_cast<size_t>(f)];
}

}  // namespace

BOOST_AUTO_TEST_SUITE(feature_gates)

// Decoder level: every gated encoding needs its feature, and a feature's absence changes
// nothing outside the encodings gated on it.
BOOST_AUTO_TEST_CASE(decode_honours_every_gate) {
  std::mt19937 rng(21);
  for (unsigned fi = 0; fi < static_cast<unsigned>(Feature::kCount); ++fi) {
    const auto f = static_cast<Feature>(fi);
    BOOST_TEST_CONTEXT("FEAT_" << name(f)) {
      const auto words = gated_words(f, 200, rng);
      BOOST_TEST(words.size() >= 50u);  // every feature gates some encodings the decoder has
      for (uint32_t w : words) {
        cpu::DecodedInst d;
        BOOST_TEST((cpu::decoder::decode(w, 0x40001000, d, without(f)) == InsnId::kUndefined), std::hex << w);
      }
    }
  }
  // Encodings of every row that no term for f matches decode the same without f.
  unsigned same = 0;
  for (const auto& row : rows()) {
    for (int k = 0; k < 300; ++k) {
      const uint32_t w = (static_cast<uint32_t>(rng()) & ~row.mask) | row.value;
      cpu::DecodedInst d;
      const InsnId full = cpu::decoder::decode(w, 0x40001000, d);
      if (full == InsnId::kUndefined) continue;
      const auto& winner = rows()[static_cast<size_t>(full)];
      for (unsigned fi = 0; fi < static_cast<unsigned>(Feature::kCount); ++fi) {
        const auto f = static_cast<Feature>(fi);
        bool gated = false;
        for (unsigned t = 0; t < winner.gate.n; ++t)
          gated |= winner.gate.t[t].f == f && (w & winner.gate.t[t].mask) == winner.gate.t[t].value;
        if (gated) continue;
        BOOST_TEST((cpu::decoder::decode(w, 0x40001000, d, without(f)) == full), winner.name << " " << std::hex << w);
        ++same;
      }
    }
  }
  BOOST_TEST(same > 100000u);
}

// Core level: a core whose ID register field says the feature is absent takes the UNDEFINED
// exception (EC 0x00) at the instruction; the same core with the field raised runs it (it may
// still fault for another reason, such as a data abort, but never as UNDEFINED).
BOOST_AUTO_TEST_CASE(core_takes_undefined_without_the_feature) {
  std::mt19937 rng(22);
  for (const auto& ff : cpu::decoder::kFeatureFields) {
    BOOST_TEST_CONTEXT("FEAT_" << name(ff.f)) {
      const auto words = gated_words(ff.f, 3, rng);
      BOOST_REQUIRE(!words.empty());
      for (uint32_t w : words) {
        for (bool has : {false, true}) {
          test::CpuFixture fx;
          cpu::IdRegs ids = fx.core.ids();
          if (!has) {
            const uint64_t mask = uint64_t{0xf} << ff.lsb;
            ids.*ff.reg = (ids.*ff.reg & ~mask) | (uint64_t{ff.min - 1} << ff.lsb);
          }
          fx.core.set_ids(ids);
          BOOST_TEST(((cpu::decoder::features_of(ids) & cpu::decoder::feature_bit(ff.f)) != 0) == has);
          fx.core.set_sysreg(cpu::SysSlot::CPACR_EL1, 3u << 20);  // FPEN: no FP/SIMD trap
          for (unsigned r = 0; r < 31; ++r) fx.x(r) = test::CpuFixture::kData;  // addresses that map
          fx.mem.write(test::CpuFixture::kCode, &w, 4);
          fx.core.state().pc = test::CpuFixture::kCode;
          fx.step(1);
          const bool trapped = fx.core.state().pc >= test::CpuFixture::kVbar &&
                               fx.core.state().pc < test::CpuFixture::kVbar + 0x800;
          const bool undefined = trapped && (fx.esr() >> 26) == 0;
          BOOST_TEST(undefined == !has, std::hex << "word 0x" << w << (has ? " with" : " without") << " the feature");
        }
      }
    }
  }
}

// The gate is read from the ID registers when they change: blocks decoded before are dropped.
BOOST_AUTO_TEST_CASE(lowering_a_feature_drops_decoded_blocks) {
  test::CpuFixture fx;
  const uint32_t crc = 0x1ac24020;  // crc32b w0, w1, w2
  fx.load({{crc, "crc32b w0, w1, w2"}});
  fx.step(1);
  BOOST_TEST(fx.core.state().pc == test::CpuFixture::kCode + 4);
  cpu::IdRegs ids = fx.core.ids();
  ids.id_aa64isar0 &= ~(uint64_t{0xf} << 16);  // CRC32 = 0
  fx.core.set_ids(ids);
  fx.core.state().pc = test::CpuFixture::kCode;
  fx.step(1);
  BOOST_TEST((fx.esr() >> 26) == 0u);
  BOOST_TEST(fx.vector_taken() == test::CpuFixture::kVbar + 0x200);  // current EL, SPx, synchronous
}

BOOST_AUTO_TEST_SUITE_END()
