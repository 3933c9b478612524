#include "emu/loader/elf_symbols.h"

#include <cstring>

#include "emu/common/errors.h"
#include "emu/common/file_io.h"

namespace pmuemu::loader {
namespace {

// ELF64 field offsets (System V gABI): the header's section-header table, a section
// header's type/offset/size/link/entsize, a symbol's name/info/shndx/value/size.
constexpr size_t kEhShoff = 0x28, kEhShentsize = 0x3a, kEhShnum = 0x3c;
constexpr size_t kShType = 0x04, kShOffset = 0x18, kShSize = 0x20, kShLink = 0x28, kShEntsize = 0x38;
constexpr size_t kShdrSize = 0x40, kSymSize = 0x18;
constexpr uint32_t kShtSymtab = 2;
constexpr uint8_t kSttObject = 1, kSttFunc = 2, kSttNotype = 0;

template <typename T>
T get(std::span<const uint8_t> b, uint64_t off) {
  T v{};
  std::memcpy(&v, b.data() + off, sizeof v);
  return v;
}

bool inside(std::span<const uint8_t> b, uint64_t off, uint64_t len) {
  return off <= b.size() && len <= b.size() - off;
}

}  // namespace

std::optional<ElfSymbol> find_elf_symbol(std::span<const uint8_t> b, std::string_view what, std::string_view name) {
  auto bad = [&](const std::string& why) { return InputError(std::string(what) + ": " + why); };
  if (b.size() < 0x40 || std::memcmp(b.data(), "\x7f" "ELF", 4) != 0 || b[4] != 2 || b[5] != 1)
    throw bad("not an ELF64 little-endian file");
  const uint64_t shoff = get<uint64_t>(b, kEhShoff);
  const uint16_t shentsize = get<uint16_t>(b, kEhShentsize), shnum = get<uint16_t>(b, kEhShnum);
  if (shnum == 0) return std::nullopt;
  if (shentsize != kShdrSize || !inside(b, shoff, uint64_t{shnum} * kShdrSize))
    throw bad("section header table outside the file");
  for (uint16_t i = 0; i < shnum; ++i) {
    const uint64_t sh = shoff + uint64_t{i} * kShdrSize;
    if (get<uint32_t>(b, sh + kShType) != kShtSymtab) continue;
    const uint64_t off = get<uint64_t>(b, sh + kShOffset), size = get<uint64_t>(b, sh + kShSize);
    const uint32_t link = get<uint32_t>(b, sh + kShLink);
    if (get<uint64_t>(b, sh + kShEntsize) != kSymSize || !inside(b, off, size) || link >= shnum)
      throw bad("symbol table outside the file");
    const uint64_t str_sh = shoff + uint64_t{link} * kShdrSize;
    const uint64_t str_off = get<uint64_t>(b, str_sh + kShOffset), str_size = get<uint64_t>(b, str_sh + kShSize);
    if (!inside(b, str_off, str_size)) throw bad("string table outside the file");
    for (uint64_t s = off; s + kSymSize <= off + size; s += kSymSize) {
      const uint32_t name_off = get<uint32_t>(b, s);
      const uint8_t type = b[s + 4] & 0xf;
      const uint16_t shndx = get<uint16_t>(b, s + 6);
      if (shndx == 0 || (type != kSttFunc && type != kSttObject && type != kSttNotype)) continue;
      if (name_off >= str_size) continue;
      const char* p = reinterpret_cast<const char*>(b.data() + str_off + name_off);
      const size_t n = strnlen(p, str_size - name_off);
      if (std::string_view(p, n) != name) continue;
      return ElfSymbol{get<uint64_t>(b, s + 8), get<uint64_t>(b, s + 16)};
    }
  }
  return std::nullopt;
}

std::optional<ElfSymbol> find_elf_symbol(const std::filesystem::path& file, std::string_view name) {
  const std::vector<uint8_t> bytes = read_file_bytes(file);
  return find_elf_symbol(bytes, file.string(), name);
}

}  // namespace pmuemu::loader
