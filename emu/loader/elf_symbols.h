// Symbols of a guest ELF (its SHT_SYMTAB), for options that name guest code by function:
// `--trace insn:FUNCTION`, `--save-at-pc FUNCTION`. Addresses are the symbols' values
// (virtual addresses; the SDK's guests link them equal to the physical ones).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace pmuemu::loader {

struct ElfSymbol {
  uint64_t value = 0;
  uint64_t size = 0;  // 0 when the symbol does not give one
};

// The function or object symbol `name` of `file` (the first defined one); nullopt if the
// file has no such symbol. Throws InputError when the file cannot be read or its section
// headers or symbol table lie outside it.
std::optional<ElfSymbol> find_elf_symbol(const std::filesystem::path& file, std::string_view name);
// The same over an image in memory; `what` prefixes error messages.
std::optional<ElfSymbol> find_elf_symbol(std::span<const uint8_t> bytes, std::string_view what, std::string_view name);

}  // namespace pmuemu::loader
