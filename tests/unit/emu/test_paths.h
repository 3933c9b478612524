// Paths the emu tests read; the build passes the source directory in.
#pragma once

#include <filesystem>

namespace pmuemu::test {

inline std::filesystem::path source_dir() { return PMUEMU_SOURCE_DIR; }
inline std::filesystem::path configs_dir() { return source_dir() / "configs"; }
inline std::filesystem::path test_data_dir() { return source_dir() / "tests" / "data"; }

}  // namespace pmuemu::test
