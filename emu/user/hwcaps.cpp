#include "emu/user/hwcaps.h"

#include <array>
#include <string_view>

namespace pmuemu::user {
namespace {

// AT_HWCAP bit 2 and 11 (uapi asm/hwcap.h): capabilities that are not an ID field.
constexpr unsigned kHwcapEvtstrm = 2, kHwcapCpuid = 11;

// One capability: the field [shift+3:shift] of an ID register at least min (unsigned
// fields; FP and AdvSIMD, signed with 0xF for "absent", are handled on their own).
struct Rule {
  uint64_t cpu::IdRegs::*reg;
  uint8_t shift, min;
  uint8_t word;  // 1: AT_HWCAP, 2: AT_HWCAP2
  uint8_t bit;
};
using R = cpu::IdRegs;
// The kernel's arm64_elf_hwcaps entries for the fields these cores' ID registers can
// report (SVE, SME, MTE and pointer authentication are not implemented, so their
// capabilities stay clear).
constexpr Rule kRules[] = {
    {&R::id_aa64isar0, 4, 1, 1, 3},    // AES -> aes
    {&R::id_aa64isar0, 4, 2, 1, 4},    // AES = PMULL -> pmull
    {&R::id_aa64isar0, 8, 1, 1, 5},    // SHA1
    {&R::id_aa64isar0, 12, 1, 1, 6},   // SHA2 -> sha2
    {&R::id_aa64isar0, 12, 2, 1, 21},  // SHA2 = SHA512 -> sha512
    {&R::id_aa64isar0, 16, 1, 1, 7},   // CRC32
    {&R::id_aa64isar0, 20, 2, 1, 8},   // Atomic = LSE -> atomics
    {&R::id_aa64isar0, 20, 3, 2, 47},  // Atomic = LSE128 -> lse128
    {&R::id_aa64isar0, 28, 1, 1, 12},  // RDM -> asimdrdm
    {&R::id_aa64isar0, 32, 1, 1, 17},  // SHA3
    {&R::id_aa64isar0, 36, 1, 1, 18},  // SM3
    {&R::id_aa64isar0, 40, 1, 1, 19},  // SM4
    {&R::id_aa64isar0, 44, 1, 1, 20},  // DP -> asimddp
    {&R::id_aa64isar0, 48, 1, 1, 23},  // FHM -> asimdfhm
    {&R::id_aa64isar0, 52, 1, 1, 27},  // TS -> flagm
    {&R::id_aa64isar0, 52, 2, 2, 7},   // TS = FLAGM2 -> flagm2
    {&R::id_aa64isar0, 60, 1, 2, 16},  // RNDR -> rng
    {&R::id_aa64pfr0, 48, 1, 1, 24},   // DIT
    {&R::id_aa64pfr1, 0, 1, 2, 17},    // BT -> bti
    {&R::id_aa64pfr1, 4, 2, 1, 28},    // SSBS = SSBS2 -> ssbs
    {&R::id_aa64isar1, 0, 1, 1, 16},   // DPB -> dcpop
    {&R::id_aa64isar1, 0, 2, 2, 0},    // DPB = DPB2 -> dcpodp
    {&R::id_aa64isar1, 12, 1, 1, 13},  // JSCVT
    {&R::id_aa64isar1, 16, 1, 1, 14},  // FCMA
    {&R::id_aa64isar1, 20, 1, 1, 15},  // LRCPC -> lrcpc
    {&R::id_aa64isar1, 20, 2, 1, 26},  // LRCPC = LRCPC2 -> ilrcpc
    {&R::id_aa64isar1, 20, 3, 2, 46},  // LRCPC = LRCPC3 -> lrcpc3
    {&R::id_aa64isar1, 32, 1, 2, 8},   // FRINTTS -> frint
    {&R::id_aa64isar1, 36, 1, 1, 29},  // SB
    {&R::id_aa64isar1, 44, 1, 2, 14},  // BF16 -> bf16
    {&R::id_aa64isar1, 44, 2, 2, 32},  // BF16 = EBF16 -> ebf16
    {&R::id_aa64isar1, 48, 1, 2, 15},  // DGH
    {&R::id_aa64isar1, 52, 1, 2, 13},  // I8MM
    {&R::id_aa64isar2, 0, 2, 2, 31},   // WFxT -> wfxt
    {&R::id_aa64isar2, 4, 1, 2, 21},   // RPRES
    {&R::id_aa64isar2, 16, 1, 2, 43},  // MOPS
    {&R::id_aa64isar2, 20, 1, 2, 44},  // BC -> hbc
    {&R::id_aa64isar2, 48, 1, 2, 35},  // RPRFM
    {&R::id_aa64isar2, 52, 1, 2, 34},  // CSSC
    {&R::id_aa64isar2, 56, 1, 2, 49},  // LUT
    {&R::id_aa64mmfr0, 60, 1, 2, 19},  // ECV
    {&R::id_aa64mmfr1, 44, 1, 2, 20},  // AFP
    {&R::id_aa64mmfr2, 32, 1, 1, 25},  // AT -> uscat
};

// /proc/cpuinfo's names, indexed by bit (the kernel's hwcap_str order: AT_HWCAP bits 0-31,
// then AT_HWCAP2 bits from 0).
constexpr std::array<std::string_view, 32> kHwcapNames = {
    "fp",     "asimd",   "evtstrm", "aes",   "pmull", "sha1",   "sha2",  "crc32",  "atomics", "fphp",  "asimdhp",
    "cpuid",  "asimdrdm", "jscvt",  "fcma",  "lrcpc", "dcpop",  "sha3",  "sm3",    "sm4",     "asimddp", "sha512",
    "sve",    "asimdfhm", "dit",    "uscat", "ilrcpc", "flagm", "ssbs",  "sb",     "paca",    "pacg"};
constexpr std::array<std::string_view, 63> kHwcap2Names = {
    "dcpodp",    "sve2",      "sveaes",    "svepmull",   "svebitperm", "svesha3",   "svesm4",    "flagm2",
    "frint",     "svei8mm",   "svef32mm",  "svef64mm",   "svebf16",    "i8mm",      "bf16",      "dgh",
    "rng",       "bti",       "mte",       "ecv",        "afp",        "rpres",     "mte3",      "sme",
    "smei16i64", "smef64f64", "smei8i32",  "smef16f32",  "smeb16f32",  "smef32f32", "smefa64",   "wfxt",
    "ebf16",     "sveebf16",  "cssc",      "rprfm",      "sve2p1",     "sme2",      "sme2p1",    "smei16i32",
    "smebi32i32", "smeb16b16", "smef16f16", "mops",      "hbc",        "sveb16b16", "lrcpc3",    "lse128",
    "fpmr",      "lut",       "faminmax",  "f8cvt",      "f8fma",      "f8dp4",     "f8dp2",     "f8e4m3",
    "f8e5m2",    "smelutv2",  "smef8f16",  "smef8f32",   "smesf8fma",  "smesf8dp4", "smesf8dp2"};
// poe (AT_HWCAP2 bit 63) completes the 6.12 list; no core here has it.

unsigned field(uint64_t reg, unsigned shift) { return static_cast<unsigned>((reg >> shift) & 0xf); }

}  // namespace

Hwcaps hwcaps_of(const cpu::IdRegs& ids) {
  Hwcaps c;
  // FP and AdvSIMD: signed fields, 0xF = not implemented, 1 = with half precision.
  const unsigned fp = field(ids.id_aa64pfr0, 16), simd = field(ids.id_aa64pfr0, 20);
  if (fp != 0xf) c.hwcap |= uint64_t{1} << 0;
  if (simd != 0xf) c.hwcap |= uint64_t{1} << 1;
  if (fp == 1) c.hwcap |= uint64_t{1} << 9;     // fphp
  if (simd == 1) c.hwcap |= uint64_t{1} << 10;  // asimdhp
  c.hwcap |= uint64_t{1} << kHwcapEvtstrm;
  c.hwcap |= uint64_t{1} << kHwcapCpuid;
  for (const Rule& r : kRules)
    if (field(ids.*r.reg, r.shift) >= r.min) (r.word == 1 ? c.hwcap : c.hwcap2) |= uint64_t{1} << r.bit;
  return c;
}

std::string hwcap_features(const Hwcaps& caps) {
  std::string s;
  auto add = [&](std::string_view name) {
    if (!s.empty()) s += ' ';
    s += name;
  };
  for (unsigned b = 0; b < kHwcapNames.size(); ++b)
    if ((caps.hwcap >> b) & 1) add(kHwcapNames[b]);
  for (unsigned b = 0; b < kHwcap2Names.size(); ++b)
    if ((caps.hwcap2 >> b) & 1) add(kHwcap2Names[b]);
  return s;
}

}  // namespace pmuemu::user
