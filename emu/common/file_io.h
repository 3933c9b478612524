// Whole-file reads for input files (host configs, core catalogue, ELF images).
// Failures become InputError naming the file, so callers never see errno or iostream state.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace pmuemu {

// Largest input file pmuemu will read. Guest images and configs are far smaller; the cap
// turns "pointed at /dev/zero or a huge file" into an error instead of an out-of-memory.
inline constexpr std::uintmax_t kMaxInputFileBytes = std::uintmax_t{1} << 30;

std::vector<uint8_t> read_file_bytes(const std::filesystem::path& file);  // throws InputError
std::string read_file_text(const std::filesystem::path& file);            // throws InputError

}  // namespace pmuemu
