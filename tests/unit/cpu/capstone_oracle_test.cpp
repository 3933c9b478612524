// The decoder against an independent oracle. Over 1,000,000 random 32-bit words plus
// random encodings of every table row: whatever the decoder accepts, Capstone decodes to
// one of the row's mnemonics; whatever Capstone rejects, the decoder treats as UNDEFINED.
//
// Capstone 4.0.2 (Debian 12) predates Armv8.1, so it rejects the LSE atomics (CAS*, LD<op>,
// SWP) and the LORegions forms LDLAR/STLLR. For the rows listed in kCapstoneGapRows, LLVM's
// disassembler (llvm-mc, installed with clang) is the oracle instead, on the same terms.
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cpu/decoder/decoder.h"
#include "emu/vmm/disasm.h"

using cpu::decoder::InsnId;

namespace {

// LDST_unpriv is here because Capstone 4.0.2 also rejects LDTR/STTR whose base register
// equals the transfer register, which the architecture allows (there is no writeback).
// The SIMD rows here: FEAT_RDM and FEAT_DotProd (Armv8.1/8.2, unknown to Capstone 4), and
// INS (element) and DUP (general), which Capstone 4 rejects when imm4 bits below the
// source index or imm5 bits above the element size (don't-care bits in the Arm ARM) are set.
constexpr InsnId kCapstoneGapRows[] = {InsnId::CAS,  InsnId::CASP, InsnId::LSE_atomic,
                                       InsnId::LDAR, InsnId::STLR, InsnId::LDST_unpriv,
                                       // FP rows: their FEAT_FP16 (ptype 11), FEAT_JSCVT
                                       // and FEAT_FRINTTS encodings are newer than Capstone 4.
                                       InsnId::FP_1SRC, InsnId::FP_SQRT, InsnId::FP_CMP, InsnId::FP_IMM,
                                       InsnId::FP_CCMP, InsnId::FP_MUL, InsnId::FP_DIV, InsnId::FP_ADDSUB,
                                       InsnId::FP_MAXMIN, InsnId::FP_CSEL, InsnId::FP_3SRC, InsnId::FP_TO_INT,
                                       InsnId::INT_TO_FP, InsnId::FMOV_TO_GEN, InsnId::FMOV_FROM_GEN,
                                       InsnId::FJCVTZS, InsnId::FP_TO_FIXED, InsnId::FIXED_TO_FP,
                                       // and the AdvSIMD FP rows (FP16 forms).
                                       InsnId::SIMD_3SAME_FP, InsnId::SIMD_3SAME_FP_MLA, InsnId::SIMD_3SAME_FP_MUL,
                                       InsnId::SIMD_3SAME_FP_DIV, InsnId::SIMD_3SAME_FP16, InsnId::SIMD_3SAME_FP16_MLA,
                                       InsnId::SIMD_SCALAR_3SAME_FP, InsnId::SIMD_SCALAR_3SAME_FP16, InsnId::SIMD_2MISC_FP,
                                       InsnId::SIMD_2MISC_FP_CMP, InsnId::SIMD_FCVT_NL, InsnId::SIMD_2MISC_FP16,
                                       InsnId::SIMD_SCALAR_2MISC_FP, InsnId::SIMD_SCALAR_2MISC_FP_CMP, InsnId::SIMD_SCALAR_FCVTXN,
                                       InsnId::SIMD_SCALAR_2MISC_FP16, InsnId::SIMD_ACROSS_FP, InsnId::SIMD_SCALAR_PAIRWISE_FP,
                                       InsnId::SIMD_ELEM_FMLA, InsnId::SIMD_ELEM_FMUL, InsnId::SIMD_SCALAR_ELEM_FMLA,
                                       InsnId::SIMD_SCALAR_ELEM_FMUL, InsnId::SIMD_SHIFT_FIXED_FP, InsnId::SIMD_SCALAR_SHIFT_FIXED_FP,
                                       // FEAT_RDM, FEAT_DotProd, and INS/DUP don't-care bits (see above).
                                       InsnId::SIMD_RDM_vec, InsnId::SIMD_SRDM, InsnId::SIMD_ELEM_rdm,
                                       InsnId::SIMD_SELEM_rdm, InsnId::SIMD_DOT_vec, InsnId::SIMD_ELEM_dot,
                                       InsnId::SIMD_INS_elem, InsnId::SIMD_DUP_gen};

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
// word is followed by a NOP so the output can be matched to the input in order (llvm-mc
// prints nothing on stdout for a word it rejects, and its -show-encoding gives the
// canonical encoding, which differs from the word where the Arm ARM has don't-care bits).
std::map<uint32_t, std::string> llvm_disassemble(const std::vector<uint32_t>& words) {
  std::map<uint32_t, std::string> out;
  if (words.empty()) return out;
  const std::string in_path = std::string(PMUEMU_BINARY_DIR) + "/oracle_words.txt";
  {
    std::ofstream f(in_path);
    for (uint32_t w : words) {
      char line[64];
      std::snprintf(line, sizeof line, "0x%02x 0x%02x 0x%02x 0x%02x\n0x1f 0x20 0x03 0xd5\n", w & 0xff,
                    (w >> 8) & 0xff, (w >> 16) & 0xff, w >> 24);
      f << line;
    }
  }
  const std::string cmd = "llvm-mc --disassemble -show-encoding -triple=aarch64-none-elf -mattr=+v8.5a,+fullfp16,+fp16fml,+rdm,+dotprod,+aes,+sha2 < " +
                          in_path + " 2>/dev/null";
  std::FILE* p = popen(cmd.c_str(), "r");
  BOOST_REQUIRE_MESSAGE(p != nullptr, "cannot run llvm-mc (install it with scripts/install-deps)");
  char buf[512];
  size_t idx = 0;
  std::string pending;
  while (std::fgets(buf, sizeof buf, p)) {
    std::istringstream ss{std::string(buf)};
    std::string mnem;
    // Blank, a directive (.text) or a note on a line of its own ("// acquire semantics dropped").
    if (!(ss >> mnem) || mnem[0] == '.' || mnem.starts_with("//")) continue;
    if (mnem != "nop") {
      pending = mnem;
      continue;
    }
    if (idx < words.size() && !pending.empty()) out[words[idx]] = pending;
    ++idx;
    pending.clear();
  }
  const int rc = pclose(p);
  BOOST_REQUIRE_MESSAGE(rc == 0 || !out.empty(), "llvm-mc failed or is missing: run scripts/install-deps");
  BOOST_REQUIRE_MESSAGE(idx == words.size(), "llvm-mc output does not match its input (" << idx << " of "
                                                                                          << words.size() << ")");
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(capstone_oracle)

BOOST_AUTO_TEST_CASE(decoder_agrees_with_capstone) {
  pmuemu::vmm::Disassembler dis;
  std::mt19937 rng(20231017);
  std::vector<uint32_t> words;
  words.reserve(1'100'000);
  for (int i = 0; i < 1'000'000; ++i) words.push_back(static_cast<uint32_t>(rng()));
  for (const auto& row : cpu::decoder::rows())
    for (int k = 0; k < 500; ++k) words.push_back((static_cast<uint32_t>(rng()) & ~row.mask) | row.value);

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
  BOOST_TEST(accepted > 100000u);

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

BOOST_AUTO_TEST_SUITE_END()
