// Architecture features that gate rows of the instruction table (cpu/decoder/a64.inc), and
// how a core's ID registers say which of them it has. A row's gate names the feature that
// makes its encodings (or a part of them, picked by fixed bits) allocated; on a core whose ID
// registers do not advertise that feature the encoding is UNDEFINED, as on the real core.
#pragma once

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "cpu/core.h"

namespace cpu::decoder {

enum class Feature : uint8_t {
  kFP16,     // FEAT_FP16: half-precision data processing      ID_AA64PFR0.FP >= 1
  kAES,      // FEAT_AES: AESE, AESD, AESMC, AESIMC             ID_AA64ISAR0.AES >= 1
  kPMULL,    // FEAT_PMULL: PMULL/PMULL2 of 64-bit elements     ID_AA64ISAR0.AES >= 2
  kSHA1,     // FEAT_SHA1                                       ID_AA64ISAR0.SHA1 >= 1
  kSHA256,   // FEAT_SHA256                                     ID_AA64ISAR0.SHA2 >= 1
  kCRC32,    // FEAT_CRC32                                      ID_AA64ISAR0.CRC32 >= 1
  kLSE,      // FEAT_LSE: CAS, CASP, LD<op>, ST<op>, SWP        ID_AA64ISAR0.Atomic >= 2
  kRDM,      // FEAT_RDM: SQRDMLAH, SQRDMLSH                    ID_AA64ISAR0.RDM >= 1
  kDotProd,  // FEAT_DotProd: SDOT, UDOT                        ID_AA64ISAR0.DP >= 1
  kFHM,      // FEAT_FHM: FMLAL, FMLSL                          ID_AA64ISAR0.FHM >= 1
  kJSCVT,    // FEAT_JSCVT: FJCVTZS                             ID_AA64ISAR1.JSCVT >= 1
  kFCMA,     // FEAT_FCMA: FCMLA, FCADD                         ID_AA64ISAR1.FCMA >= 1
  kFRINTTS,  // FEAT_FRINTTS: FRINT32*, FRINT64*                ID_AA64ISAR1.FRINTTS >= 1
  kCount,
};

// A set of features, one bit per Feature.
using FeatureSet = uint32_t;
constexpr FeatureSet feature_bit(Feature f) { return FeatureSet{1} << static_cast<unsigned>(f); }
inline constexpr FeatureSet kAllFeatures = (FeatureSet{1} << static_cast<unsigned>(Feature::kCount)) - 1;
static_assert(static_cast<unsigned>(Feature::kCount) <= 32);

// Which ID register field advertises each feature: the feature is present when the 4-bit
// field at `lsb` is at least `min` (PFR0.FP is signed, 0xF meaning no floating point at all,
// which no core of the catalogue has).
struct FeatureField {
  Feature f;
  uint64_t IdRegs::*reg;
  unsigned lsb, min;
};
inline constexpr std::array<FeatureField, static_cast<size_t>(Feature::kCount)> kFeatureFields{{
    {Feature::kFP16, &IdRegs::id_aa64pfr0, 16, 1},     {Feature::kAES, &IdRegs::id_aa64isar0, 4, 1},
    {Feature::kPMULL, &IdRegs::id_aa64isar0, 4, 2},    {Feature::kSHA1, &IdRegs::id_aa64isar0, 8, 1},
    {Feature::kSHA256, &IdRegs::id_aa64isar0, 12, 1},  {Feature::kCRC32, &IdRegs::id_aa64isar0, 16, 1},
    {Feature::kLSE, &IdRegs::id_aa64isar0, 20, 2},     {Feature::kRDM, &IdRegs::id_aa64isar0, 28, 1},
    {Feature::kDotProd, &IdRegs::id_aa64isar0, 44, 1}, {Feature::kFHM, &IdRegs::id_aa64isar0, 48, 1},
    {Feature::kJSCVT, &IdRegs::id_aa64isar1, 12, 1},   {Feature::kFCMA, &IdRegs::id_aa64isar1, 16, 1},
    {Feature::kFRINTTS, &IdRegs::id_aa64isar1, 32, 1},
}};

// The features a core has, read from its ID registers.
constexpr FeatureSet features_of(const IdRegs& ids) {
  FeatureSet s = 0;
  for (const FeatureField& r : kFeatureFields) {
    const unsigned v = static_cast<unsigned>((ids.*r.reg >> r.lsb) & 0xf);
    if (v >= r.min && !(r.f == Feature::kFP16 && v == 0xf)) s |= feature_bit(r.f);
  }
  return s;
}

// A row's gate: up to four terms "encodings with these fixed bits need this feature". An
// encoding of the row is allocated when every term whose bits it matches names a feature
// the core has. Written in the table as kV80 (no term: base Armv8.0), feat(F) (the whole
// row), feat_if(F, "condition") (the encodings matching a 32-character condition pattern,
// '0'/'1' fixed, anything else free) and sums of these.
struct GateTerm {
  Feature f = Feature::kCount;
  uint32_t mask = 0, value = 0;
};
struct Gate {
  std::array<GateTerm, 4> t{};
  uint8_t n = 0;
  // Whether `insn` (an encoding of the row) is allocated on a core with `have`.
  constexpr bool open(uint32_t insn, FeatureSet have) const {
    for (unsigned k = 0; k < n; ++k)
      if ((insn & t[k].mask) == t[k].value && !(have & feature_bit(t[k].f))) return false;
    return true;
  }
  // The features this row needs for some of its encodings.
  constexpr FeatureSet features() const {
    FeatureSet s = 0;
    for (unsigned k = 0; k < n; ++k) s |= feature_bit(t[k].f);
    return s;
  }
};

namespace gates {
using enum Feature;
inline constexpr Gate kV80{};
consteval Gate feat(Feature f) {
  Gate g;
  g.t[0] = {f, 0, 0};
  g.n = 1;
  return g;
}
consteval Gate feat_if(Feature f, std::string_view cond) {
  if (cond.size() != 32) throw std::logic_error("a gate condition has 32 characters, bit 31 first");
  Gate g;
  for (char c : cond) {
    g.t[0].mask = (g.t[0].mask << 1) | ((c == '0' || c == '1') ? 1u : 0u);
    g.t[0].value = (g.t[0].value << 1) | (c == '1' ? 1u : 0u);
  }
  g.t[0].f = f;
  g.n = 1;
  return g;
}
consteval Gate operator+(Gate a, const Gate& b) {
  for (unsigned k = 0; k < b.n; ++k) {
    if (a.n == a.t.size()) throw std::logic_error("a gate has at most four terms");
    a.t[a.n++] = b.t[k];
  }
  return a;
}
}  // namespace gates

}  // namespace cpu::decoder
