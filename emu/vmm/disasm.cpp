#include "emu/vmm/disasm.h"

#include <capstone/capstone.h>

#include <stdexcept>

namespace pmuemu::vmm {

Disassembler::Disassembler() {
  csh h;
  if (cs_open(CS_ARCH_ARM64, CS_MODE_LITTLE_ENDIAN, &h) != CS_ERR_OK)
    throw std::runtime_error("capstone: cannot open an AArch64 disassembler");
  handle_ = h;
}

Disassembler::~Disassembler() {
  csh h = handle_;
  cs_close(&h);
}

std::string Disassembler::text(uint32_t insn, uint64_t pc) const {
  cs_insn* out = nullptr;
  const uint8_t* bytes = reinterpret_cast<const uint8_t*>(&insn);
  const size_t n = cs_disasm(handle_, bytes, 4, pc, 1, &out);
  std::string r;
  if (n == 1) {
    r = out->mnemonic;
    if (out->op_str[0] != '\0') {
      r += ' ';
      r += out->op_str;
    }
  }
  if (out != nullptr) cs_free(out, n);
  return r;
}

std::string Disassembler::mnemonic(uint32_t insn, uint64_t pc) const {
  cs_insn* out = nullptr;
  const uint8_t* bytes = reinterpret_cast<const uint8_t*>(&insn);
  const size_t n = cs_disasm(handle_, bytes, 4, pc, 1, &out);
  std::string r = n == 1 ? out->mnemonic : "";
  if (out != nullptr) cs_free(out, n);
  return r;
}

}  // namespace pmuemu::vmm
