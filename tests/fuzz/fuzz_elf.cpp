// ELF loader: either a valid image inside guest RAM or pmuemu::InputError; never a read
// outside the input (ASan) or another exception.
#include <cstdint>
#include <span>

#include "emu/common/errors.h"
#include "emu/loader/elf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr uint64_t kBase = 0x40000000, kSize = 128ull << 20;
  try {
    const auto img = pmuemu::loader::parse_elf(std::span<const uint8_t>(data, size), "fuzz.elf", kBase, kSize);
    for (const auto& s : img.segments) {
      if (s.paddr < kBase || s.memsz > kSize || s.paddr - kBase > kSize - s.memsz) __builtin_trap();
      if (s.data.size() > s.memsz) __builtin_trap();
    }
  } catch (const pmuemu::InputError&) {
  }
  return 0;
}
