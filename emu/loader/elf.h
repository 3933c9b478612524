// Guest image loading: ELF64 little-endian AArch64 executables, placed by physical address.
//
// Guests start with the MMU off, so only p_paddr matters for placement; the entry point is
// translated through the segment whose virtual range contains e_entry. Anything the loader
// cannot place exactly (PIE, relocatable objects, overlapping or out-of-RAM segments) is an
// InputError("<file>: <what>") rather than a best effort.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

namespace pmuemu::loader {

struct ElfSegment {
  uint64_t paddr = 0;
  std::vector<uint8_t> data;  // p_filesz bytes; the rest up to memsz is zero-filled by the VMM
  uint64_t memsz = 0;
  bool executable = false;  // PF_X
};

struct ElfImage {
  uint64_t entry = 0;                // physical address of the first instruction
  std::vector<ElfSegment> segments;  // PT_LOAD segments with memsz > 0, sorted by paddr
};

// Reads and parses `file`; throws pmuemu::InputError.
ElfImage load_elf_file(const std::filesystem::path& file, uint64_t ram_base, uint64_t ram_size);

// Parses an in-memory image. `name` prefixes error messages. Every segment must lie within
// [ram_base, ram_base + ram_size). Never reads outside `bytes`. Throws pmuemu::InputError.
ElfImage parse_elf(std::span<const uint8_t> bytes, std::string_view name, uint64_t ram_base,
                   uint64_t ram_size);

}  // namespace pmuemu::loader
