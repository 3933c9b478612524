// The decoder against independent oracles. Over 1,000,000 random 32-bit words plus
// random encodings of every table row: whatever the decoder accepts, Capstone decodes to
// one of the row's mnemonics; whatever Capstone rejects, the decoder treats as UNDEFINED.
//
// Capstone 4.0.2 (Debian 12) predates Armv8.1, so it rejects the LSE atomics (CAS*, LD<op>,
// SWP) and the LORegions forms LDLAR/STLLR. For the rows listed in kCapstoneGapRows, LLVM's
// disassembler (llvm-mc, installed with clang) is the oracle instead, on the same terms.
//
// The SIMD&FP encoding space (Arm ARM C4.1: bits [27:25] = 111, data processing, and
// bits [27:25] = 110, loads and stores) has its own test, fpsimd_space_agrees_with_oracles:
// Capstone 4 also lacks most of the Armv8.2+ SIMD&FP extensions (FP16, DotProd, FHM,
// FCMA, JSCVT, RDM, SHA3/SM4, FRINTTS), so there every word Capstone rejects goes to llvm-mc
// with those extensions enabled. The first test leaves that space to it.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cpu/decoder/decoder.h"
#include "cpu/decoder/roles.h"
#include "emu/vmm/disasm.h"

using cpu::decoder::InsnId;

namespace {

// LDST_unpriv is here because Capstone 4.0.2 also rejects LDTR/STTR whose base register
// equals the transfer register, which the architecture allows (there is no writeback).
// The SIMD&FP rows need no entry: fpsimd_space_agrees_with_oracles checks all of them with
// llvm-mc wherever Capstone 4 rejects a word (FP16, JSCVT, FRINTTS, RDM, DotProd, FHM, FCMA,
// and INS/DUP words with don't-care bits set, which Capstone 4 rejects).
constexpr InsnId kCapstoneGapRows[] = {InsnId::CAS,  InsnId::CASP, InsnId::LSE_atomic,
                                       InsnId::LDAR, InsnId::STLR, InsnId::LDST_unpriv};

// llvm-mc's extensions for the gap rows of the first test.
constexpr const char* kGapRowsMattr = "+v8.5a,+fullfp16,+fp16fml,+rdm,+dotprod,+aes,+sha2";

bool in_gap_rows(InsnId id) {
  for (InsnId g : kCapstoneGapRows)
    if (g == id) return true;
  return false;
}

std::set<std::string> mnemonics_of(InsnId id) {
  std::set<std::string> out;
  std::istringstream ss{std::string(cpu::decoder::rows()[static_cast<size_t>(id)].mnemonics)};
  std::string m;
  while (ss >> m) out.insert(m);
  return out;
}

// "b.eq" -> "b": the condition is an operand of B.cond, not part of its mnemonic.
std::string normalise(std::string m) {
  if (m.size() > 2 && m[0] == 'b' && m[1] == '.') return "b";
  return m;
}

// Disassembles words with llvm-mc; returns word -> mnemonic for the ones it accepts. Each
// word is followed by a BRK #0xf0f separator so that the output is matched to the input in
// order: llvm-mc prints nothing on stdout for a word it rejects, and the encoding it shows
// is the canonical one, which differs from the input where the Arm ARM has don't-care bits.
// No input word is a BRK (callers pass only gap rows and SIMD&FP-space words).
struct LlvmInsn {
  std::string mnemonic;
  uint32_t canonical = 0;  // the encoding llvm-mc would assemble the text to
};

std::map<uint32_t, LlvmInsn> llvm_decode(const std::vector<uint32_t>& words, const std::string& mattr) {
  std::map<uint32_t, LlvmInsn> out;
  if (words.empty()) return out;
  const std::string in_path =
      std::string(PMUEMU_BINARY_DIR) + "/oracle_words" + (mattr == kGapRowsMattr ? "" : "_fpsimd") + ".txt";
  {
    std::ofstream f(in_path);
    for (uint32_t w : words) {
      char line[80];
      std::snprintf(line, sizeof line, "0x%02x 0x%02x 0x%02x 0x%02x\n0xe0 0xe1 0x21 0xd4\n", w & 0xff,
                    (w >> 8) & 0xff, (w >> 16) & 0xff, w >> 24);
      f << line;
    }
  }
  const std::string cmd = "llvm-mc --disassemble -show-encoding -triple=aarch64-none-elf -mattr=" + mattr + " < " +
                          in_path + " 2>/dev/null";
  std::FILE* p = popen(cmd.c_str(), "r");
  BOOST_REQUIRE_MESSAGE(p != nullptr, "cannot run llvm-mc (install it with scripts/install-deps)");
  char buf[512];
  size_t idx = 0;
  LlvmInsn pending;
  while (std::fgets(buf, sizeof buf, p)) {
    const std::string line = buf;
    std::istringstream ss{line};
    std::string mnem, op;
    // Blank, a directive (.text) or a comment line (llvm-mc's notes on an instruction).
    if (!(ss >> mnem) || mnem[0] == '.' || mnem[0] == '/') continue;
    if (mnem == "brk" && (ss >> op) && op == "#0xf0f") {
      if (idx < words.size() && !pending.mnemonic.empty()) out[words[idx]] = pending;
      ++idx;
      pending = {};
      continue;
    }
    pending.mnemonic = mnem;
    unsigned b0 = 0, b1 = 0, b2 = 0, b3 = 0;
    const auto enc = line.find("encoding: [");
    if (enc != std::string::npos &&
        std::sscanf(line.c_str() + enc, "encoding: [0x%x,0x%x,0x%x,0x%x]", &b0, &b1, &b2, &b3) == 4)
      pending.canonical = b0 | (b1 << 8) | (b2 << 16) | (b3 << 24);
  }
  const int rc = pclose(p);
  BOOST_REQUIRE_MESSAGE(rc == 0 || !out.empty(), "llvm-mc failed or is missing: run scripts/install-deps");
  BOOST_REQUIRE_MESSAGE(idx == words.size(),
                        "llvm-mc output does not match its input (" << idx << " of " << words.size() << ")");
  return out;
}

std::map<uint32_t, std::string> llvm_disassemble(const std::vector<uint32_t>& words,
                                                 const std::string& mattr = kGapRowsMattr) {
  std::map<uint32_t, std::string> out;
  for (auto& [w, i] : llvm_decode(words, mattr)) out[w] = i.mnemonic;
  return out;
}

// Arm ARM C4.1 top-level decode: bits [27:25] = 111 is "Data Processing -- Scalar
// Floating-Point and Advanced SIMD", bits [27:25] = 110 the loads and stores with V = 1.
bool in_fpsimd_space(uint32_t w) {
  const uint32_t op = (w >> 25) & 7u;
  return op == 7u || op == 6u;
}

// The SIMD&FP rows are the A64X rows of the table (cpu/decoder/a64.inc), whatever their number.
constexpr auto kFpsimdRows = [] {
  std::array<bool, static_cast<size_t>(InsnId::kCount) + 1> t{};
#define A64(...)
#define A64X(name, mnem, pattern, cls, rl, ...) t[static_cast<size_t>(InsnId::name)] = true;
#include "cpu/decoder/a64.inc"
#undef A64X
#undef A64
  return t;
}();

bool is_fpsimd_row(InsnId id) { return kFpsimdRows[static_cast<size_t>(id)]; }

// llvm-mc with every SIMD&FP extension a catalogue core may have, so that the oracle knows
// more than the decoder implements (an unknown word must never be accepted).
constexpr const char* kFpsimdMattr =
    "+v8.2a,+fullfp16,+dotprod,+rdm,+crypto,+fp16fml,+complxnum,+jsconv,+sha3,+sm4,+fptoint";

// LDP/LDNP (SIMD&FP) with Rt == Rt2: CONSTRAINED UNPREDICTABLE (Arm ARM C6/C7 "LDP"), so a
// decoder may make it UNDEFINED although disassemblers print it.
bool is_pair_load_same_rt(uint32_t w) {
  const bool pair = (w & 0x3e400000u) == 0x2c400000u;  // bits 29:25 = 10110, L (bit 22) = 1
  return pair && (w & 31u) == ((w >> 10) & 31u);
}

// Coarse group of a SIMD&FP word, for the "not yet implemented" inventory (Arm ARM C4.1.95).
const char* fpsimd_group(uint32_t w) {
  if (((w >> 25) & 7u) == 6u) return "SIMD&FP loads/stores";
  if ((w >> 28) == 0xcu) return "crypto (three register, SHA512/SHA3/SM)";
  if ((w & 0x50000000u) == 0x10000000u) return "scalar FP and conversions";
  if ((w & 0x50000000u) == 0x50000000u) return "AdvSIMD scalar and crypto SHA";
  return "AdvSIMD vector and crypto AES";
}
}  // namespace

BOOST_AUTO_TEST_SUITE(capstone_oracle)

BOOST_AUTO_TEST_CASE(decoder_agrees_with_capstone) {
  pmuemu::vmm::Disassembler dis;
  std::mt19937 rng(20231017);
  std::vector<uint32_t> words;
  words.reserve(1'100'000);
  for (int i = 0; i < 1'000'000; ++i) {
    const uint32_t w = static_cast<uint32_t>(rng());
    if (!in_fpsimd_space(w)) words.push_back(w);
  }
  for (const auto& row : cpu::decoder::rows()) {
    if (is_fpsimd_row(row.id)) continue;
    for (int k = 0; k < 500; ++k) words.push_back((static_cast<uint32_t>(rng()) & ~row.mask) | row.value);
  }

  std::vector<std::pair<uint32_t, InsnId>> for_llvm;
  std::map<std::string, unsigned> failures;  // first failures per kind, to keep output readable
  size_t accepted = 0;
  for (uint32_t w : words) {
    cpu::DecodedInst d;
    const InsnId id = cpu::decoder::decode(w, 0x40000000, d);
    const std::string cs = normalise(dis.mnemonic(w, 0x40000000));
    if (id == InsnId::kUndefined) continue;
    ++accepted;
    if (cs.empty()) {
      if (in_gap_rows(id)) {
        for_llvm.emplace_back(w, id);
        continue;
      }
      if (failures["capstone rejects"]++ < 20)
        BOOST_ERROR("decoder accepts 0x" << std::hex << w << " as "
                                          << cpu::decoder::rows()[static_cast<size_t>(id)].name
                                          << " but Capstone rejects it");
      continue;
    }
    if (!mnemonics_of(id).count(cs) && failures["mnemonic " + cs]++ < 3)
      BOOST_ERROR("0x" << std::hex << w << ": decoder row " << cpu::decoder::rows()[static_cast<size_t>(id)].name
                       << ", Capstone says '" << cs << "'");
  }
  BOOST_TEST_MESSAGE("accepted " << accepted << " of " << words.size() << " words; " << for_llvm.size()
                                 << " checked with llvm-mc");
  BOOST_TEST(accepted > 80000u);

  std::vector<uint32_t> ws;
  for (auto& [w, id] : for_llvm) ws.push_back(w);
  const auto llvm = llvm_disassemble(ws);
  unsigned llvm_fail = 0;
  for (auto& [w, id] : for_llvm) {
    auto it = llvm.find(w);
    if (it == llvm.end()) {
      if (llvm_fail++ < 20)
        BOOST_ERROR("decoder accepts 0x" << std::hex << w << " but neither Capstone nor llvm-mc do");
      continue;
    }
    if (!mnemonics_of(id).count(it->second) && llvm_fail++ < 20)
      BOOST_ERROR("0x" << std::hex << w << ": row " << cpu::decoder::rows()[static_cast<size_t>(id)].name
                       << ", llvm-mc says '" << it->second << "'");
  }
}

// The SIMD&FP space against Capstone, and llvm-mc where Capstone rejects a word: random
// words of the two SIMD&FP groups plus random encodings of every SIMD&FP row (the A64X rows,
// however many have landed). Failures: the decoder accepts a word that neither oracle
// decodes, or decodes it to a mnemonic its row does not list; or a row's pattern matches a
// word that the oracle decodes to one of that row's mnemonics but the row rejects it. Words
// the oracles know and no row implements are counted per group, not failed.
// PMUEMU_FPSIMD_ORACLE_WORDS sets the number of random words (default 200,000 keeps ctest
// quick; docs/reliability.md records the 2,000,000-word run).
BOOST_AUTO_TEST_CASE(fpsimd_space_agrees_with_oracles) {
  size_t n_random = 200'000;
  if (const char* e = std::getenv("PMUEMU_FPSIMD_ORACLE_WORDS")) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(e, &end, 10);
    BOOST_REQUIRE_MESSAGE(end != e && *end == '\0' && v > 0,
                          "PMUEMU_FPSIMD_ORACLE_WORDS must be a positive integer, got '" << e << "'");
    n_random = static_cast<size_t>(v);
  }
  const auto t0 = std::chrono::steady_clock::now();
  pmuemu::vmm::Disassembler dis;
  std::mt19937 rng(20261206);
  std::vector<uint32_t> words;
  words.reserve(n_random + 400 * cpu::decoder::rows().size());
  for (size_t i = 0; i < n_random; ++i) {
    const uint32_t r = static_cast<uint32_t>(rng());
    // Half data processing (bits [27:25] = 111), half loads/stores (bits [27:25] = 110).
    words.push_back((i & 1) ? (r | 0x0e000000u) : ((r & ~0x0e000000u) | 0x0c000000u));
  }
  size_t fp_rows = 0;
  for (const auto& row : cpu::decoder::rows()) {
    if (!is_fpsimd_row(row.id)) continue;
    ++fp_rows;
    for (int k = 0; k < 400; ++k) words.push_back((static_cast<uint32_t>(rng()) & ~row.mask) | row.value);
  }

  struct Verdict {
    uint32_t w;
    InsnId decoded;  // kUndefined when the decoder rejects
    InsnId matched;  // the row whose pattern matches (its predecode may still reject)
    std::string cs;  // Capstone's mnemonic, "" if it rejects
  };
  std::vector<Verdict> verdicts;
  verdicts.reserve(words.size());
  std::vector<uint32_t> to_llvm;
  for (uint32_t w : words) {
    cpu::DecodedInst d;
    const InsnId id = cpu::decoder::decode(w, 0x40000000, d);
    Verdict v{w, id, cpu::decoder::match(w), normalise(dis.mnemonic(w, 0x40000000))};
    if (v.cs.empty() || (id == InsnId::kUndefined && v.matched != InsnId::kUndefined)) to_llvm.push_back(w);
    verdicts.push_back(std::move(v));
  }
  std::sort(to_llvm.begin(), to_llvm.end());
  to_llvm.erase(std::unique(to_llvm.begin(), to_llvm.end()), to_llvm.end());
  const auto llvm = llvm_decode(to_llvm, kFpsimdMattr);
  // The llvm-mc run must have decoded something: the FP/SIMD space is mostly allocated,
  // so an empty answer means llvm-mc did not understand the input or the attributes.
  BOOST_REQUIRE_MESSAGE(to_llvm.empty() || !llvm.empty(), "llvm-mc decoded none of " << to_llvm.size()
                                                              << " words: is it installed with AArch64 support?");

  std::map<std::string, unsigned> failures;
  std::map<std::string, std::map<std::string, unsigned>> missing;  // group -> mnemonic -> words
  std::map<std::string, unsigned> unpredictable;  // CONSTRAINED UNPREDICTABLE words a row rejects
  size_t accepted = 0, by_capstone = 0, by_llvm = 0, oracle_known = 0;
  for (const auto& v : verdicts) {
    std::string oracle = v.cs;
    const char* who = "Capstone";
    const auto lit = llvm.find(v.w);
    if (oracle.empty() && lit != llvm.end()) oracle = lit->second.mnemonic, who = "llvm-mc";
    if (!oracle.empty()) ++oracle_known;
    const auto& rows = cpu::decoder::rows();
    if (v.decoded != InsnId::kUndefined) {
      ++accepted;
      const auto& row = rows[static_cast<size_t>(v.decoded)];
      if (oracle.empty()) {
        if (failures[std::string("unknown ") + std::string(row.name)]++ < 5)
          BOOST_ERROR("decoder accepts 0x" << std::hex << v.w << " as " << row.name
                                            << " but neither Capstone nor llvm-mc decodes it");
        continue;
      }
      (who[0] == 'C' ? by_capstone : by_llvm)++;
      if (!mnemonics_of(v.decoded).count(oracle) &&
          failures[std::string(row.name) + " as " + oracle]++ < 3)
        BOOST_ERROR("0x" << std::hex << v.w << ": decoder row " << row.name << " (\"" << row.mnemonics << "\"), "
                         << who << " says '" << oracle << "'");
      continue;
    }
    if (oracle.empty()) continue;  // both reject: UNDEFINED, as it should be
    if (v.matched != InsnId::kUndefined && mnemonics_of(v.matched).count(oracle)) {
      // A row may treat as UNDEFINED what the architecture leaves CONSTRAINED UNPREDICTABLE:
      // should-be-zero/one bits that are not (llvm-mc's canonical encoding of the text then
      // differs from the word) and the pair loads with Rt == Rt2.
      const bool sbz = lit != llvm.end() && lit->second.canonical != v.w;
      if (sbz || is_pair_load_same_rt(v.w)) {
        ++unpredictable[sbz ? "should-be-zero/one bits set" : "pair load with Rt == Rt2"];
        continue;
      }
      const auto& row = rows[static_cast<size_t>(v.matched)];
      if (failures[std::string("rejects ") + std::string(row.name)]++ < 5)
        BOOST_ERROR("row " << row.name << " matches 0x" << std::hex << v.w << " but rejects it; " << who
                           << " decodes it as '" << oracle << "'");
      continue;
    }
    ++missing[fpsimd_group(v.w)][oracle];
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  BOOST_TEST_MESSAGE("SIMD&FP oracle: " << words.size() << " words (" << n_random << " random, " << fp_rows
                                        << " rows x 400), " << oracle_known << " known to an oracle, " << accepted
                                        << " accepted by the decoder (" << by_capstone << " checked with Capstone, "
                                        << by_llvm << " with llvm-mc), " << secs << " s");
  for (const auto& [why, n] : unpredictable)
    BOOST_TEST_MESSAGE("  rejected as CONSTRAINED UNPREDICTABLE (" << why << "): " << n << " words");
  for (const auto& [group, mn] : missing) {
    unsigned total = 0;
    std::vector<std::pair<unsigned, std::string>> top;
    for (const auto& [m, c] : mn) total += c, top.emplace_back(c, m);
    std::sort(top.rbegin(), top.rend());
    std::ostringstream os;
    for (size_t i = 0; i < top.size() && i < 8; ++i) os << " " << top[i].second << ":" << top[i].first;
    BOOST_TEST_MESSAGE("  not yet implemented, " << group << ": " << total << " words, " << mn.size()
                                                 << " mnemonics (most frequent:" << os.str() << ")");
  }
  // The oracle side must be alive: most of the data-processing half is allocated.
  BOOST_TEST(oracle_known > n_random / 10);
}

BOOST_AUTO_TEST_SUITE_END()
