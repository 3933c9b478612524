// The smallest static aarch64 Linux executable `pmuemu user` accepts, for tests and fuzzers
// that need a process but not a real program: one R+X PT_LOAD at 0x400000 (file offset 0,
// memsz two pages) holding `b .` at the entry 0x401000, its program header at offset 64.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

namespace test {

inline constexpr uint64_t kMinimalElfLoadVa = 0x400000, kMinimalElfEntry = 0x401000,
                          kMinimalElfLoadEnd = 0x402000;

inline std::vector<uint8_t> minimal_user_elf() {
  std::vector<uint8_t> f(0x1004, 0);
  auto put = [&](size_t off, uint64_t v, int n) { std::memcpy(&f[off], &v, n); };
  const uint8_t ident[16] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0};  // ELFCLASS64, little-endian
  std::memcpy(&f[0], ident, 16);
  put(16, 2, 2);    // ET_EXEC
  put(18, 183, 2);  // EM_AARCH64
  put(20, 1, 4);    // EV_CURRENT
  put(24, kMinimalElfEntry, 8);
  put(32, 64, 8);   // e_phoff
  put(52, 64, 2);   // e_ehsize
  put(54, 56, 2);   // e_phentsize
  put(56, 1, 2);    // e_phnum
  put(64, 1, 4);    // PT_LOAD
  put(68, 5, 4);    // PF_R | PF_X
  put(72, 0, 8);    // p_offset
  put(80, kMinimalElfLoadVa, 8);
  put(88, kMinimalElfLoadVa, 8);
  put(96, 0x1004, 8);  // p_filesz
  put(104, kMinimalElfLoadEnd - kMinimalElfLoadVa, 8);
  put(112, 0x1000, 8);  // p_align
  put(0x1000, 0x14000000, 4);  // b .
  return f;
}

}  // namespace test
