// Capstone-backed disassembly of single A64 words, for --trace insn and the tests.
#pragma once

#include <cstdint>
#include <string>

namespace pmuemu::vmm {

class Disassembler {
 public:
  Disassembler();
  ~Disassembler();
  Disassembler(const Disassembler&) = delete;
  Disassembler& operator=(const Disassembler&) = delete;

  // "mnemonic operands", or "" when Capstone does not decode the word.
  std::string text(uint32_t insn, uint64_t pc) const;
  // Just the mnemonic ("" when not decoded).
  std::string mnemonic(uint32_t insn, uint64_t pc) const;

 private:
  size_t handle_ = 0;
};

}  // namespace pmuemu::vmm
