// emu/loader/elf_symbols: symbol lookups in a guest the build produced, checked against the
// loader's own view of the same file (the entry point is _start), and damaged copies of it
// giving a symbol, no symbol or an InputError, never a read outside the bytes.
#include <boost/test/unit_test.hpp>

#include <filesystem>

#include "emu/common/errors.h"
#include "emu/common/file_io.h"
#include "emu/loader/elf.h"
#include "emu/loader/elf_symbols.h"

using namespace pmuemu;

namespace {
std::filesystem::path hello() {
  const std::filesystem::path p = std::filesystem::path(PMUEMU_BINARY_DIR) / "guests" / "hello.elf";
  BOOST_TEST_REQUIRE(std::filesystem::exists(p), p.string() << " is not built (the guests target builds it)");
  return p;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(loader_elf_symbols)

BOOST_AUTO_TEST_CASE(start_is_the_entry_and_functions_lie_in_code) {
  const auto file = hello();
  const loader::ElfImage img = loader::load_elf_file(file, 0x40000000, 128u << 20);
  const auto start = loader::find_elf_symbol(file, "_start");
  BOOST_TEST_REQUIRE(start.has_value());
  BOOST_TEST(start->value == img.entry);
  const auto main_sym = loader::find_elf_symbol(file, "main");
  BOOST_TEST_REQUIRE(main_sym.has_value());
  BOOST_TEST(main_sym->size > 0u);
  bool in_code = false;
  for (const auto& seg : img.segments)
    in_code |= seg.executable && main_sym->value >= seg.paddr && main_sym->value + main_sym->size <= seg.paddr + seg.data.size();
  BOOST_TEST(in_code);
  BOOST_TEST(!loader::find_elf_symbol(file, "no_such_symbol").has_value());
  BOOST_TEST(!loader::find_elf_symbol(file, "").has_value());
}

BOOST_AUTO_TEST_CASE(damaged_files_are_refused_or_searched_safely) {
  const std::vector<uint8_t> bytes = read_file_bytes(hello());
  for (size_t len = 0; len < bytes.size(); len += len < 256 ? 1 : 97) {
    const std::span<const uint8_t> cut(bytes.data(), len);
    try {
      (void)loader::find_elf_symbol(cut, "cut", "main");
    } catch (const InputError& e) {
      BOOST_TEST(std::string(e.what()).rfind("cut: ", 0) == 0u);
    }
  }
  BOOST_CHECK_THROW(loader::find_elf_symbol(std::span<const uint8_t>(bytes.data(), 0x3f), "x", "main"), InputError);
}

BOOST_AUTO_TEST_SUITE_END()
