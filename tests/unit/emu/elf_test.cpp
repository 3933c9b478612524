// ELF loader: a good image, one image per reject rule, a real toolchain-built image, and a
// mutation loop asserting that arbitrary corruption yields InputError and nothing else.
#include "emu/loader/elf.h"

#include <unistd.h>

#include <algorithm>
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "emu/common/errors.h"
#include "test_paths.h"

namespace ld = pmuemu::loader;
namespace bdata = boost::unit_test::data;

namespace {

constexpr uint64_t kRamBase = 0x40000000;
constexpr uint64_t kRamSize = 0x100000;  // 1 MiB

struct Phdr {
  uint32_t type = 1;   // PT_LOAD
  uint32_t flags = 5;  // R+X
  uint64_t offset = 0, vaddr = 0, paddr = 0, filesz = 0, memsz = 0, align = 0x1000;
};

// Writes an ELF64 image field by field, so every reject case is one changed field of a good
// image. Offsets follow the System V gABI ELF-64 layout.
struct ElfBuilder {
  uint8_t ei_class = 2, ei_data = 1, ei_version = 1;
  uint16_t type = 2, machine = 183, phentsize = 56;
  uint32_t version = 1;
  uint64_t entry = kRamBase;
  uint64_t phoff = 64;
  std::optional<uint16_t> phnum;  // default: phdrs.size()
  std::vector<Phdr> phdrs;
  std::vector<uint8_t> payload;  // placed at kPayloadOffset
  static constexpr uint64_t kPayloadOffset = 0x100;

  static void put(std::vector<uint8_t>& b, uint64_t off, uint64_t v, int bytes) {
    if (b.size() < off + bytes) b.resize(off + bytes);
    for (int i = 0; i < bytes; ++i) b[off + i] = static_cast<uint8_t>(v >> (8 * i));
  }

  std::vector<uint8_t> build() const {
    std::vector<uint8_t> b(kPayloadOffset + payload.size());
    b[0] = 0x7f, b[1] = 'E', b[2] = 'L', b[3] = 'F';
    b[4] = ei_class, b[5] = ei_data, b[6] = ei_version;
    put(b, 16, type, 2);
    put(b, 18, machine, 2);
    put(b, 20, version, 4);
    put(b, 24, entry, 8);
    put(b, 32, phoff, 8);
    put(b, 52, 64, 2);  // e_ehsize
    put(b, 54, phentsize, 2);
    put(b, 56, phnum.value_or(static_cast<uint16_t>(phdrs.size())), 2);
    for (std::size_t i = 0; i < phdrs.size(); ++i) {
      const uint64_t o = 64 + i * 56;  // the table itself always goes here
      const auto& p = phdrs[i];
      put(b, o + 0, p.type, 4);
      put(b, o + 4, p.flags, 4);
      put(b, o + 8, p.offset, 8);
      put(b, o + 16, p.vaddr, 8);
      put(b, o + 24, p.paddr, 8);
      put(b, o + 32, p.filesz, 8);
      put(b, o + 40, p.memsz, 8);
      put(b, o + 48, p.align, 8);
    }
    std::copy(payload.begin(), payload.end(), b.begin() + kPayloadOffset);
    return b;
  }
};

// Text: 16 bytes at the base of RAM. Data: 8 bytes in the file, 0x100 in memory (bss) at +0x1000.
ElfBuilder good_builder() {
  ElfBuilder e;
  e.payload.resize(24);
  for (std::size_t i = 0; i < e.payload.size(); ++i) e.payload[i] = static_cast<uint8_t>(0xa0 + i);
  e.phdrs.push_back(Phdr{1, 5, ElfBuilder::kPayloadOffset, kRamBase, kRamBase, 16, 16});
  e.phdrs.push_back(
      Phdr{1, 6, ElfBuilder::kPayloadOffset + 16, kRamBase + 0x1000, kRamBase + 0x1000, 8, 0x100});
  return e;
}

ld::ElfImage parse(const std::vector<uint8_t>& bytes) {
  return ld::parse_elf(bytes, "test.elf", kRamBase, kRamSize);
}

struct RejectCase {
  const char* name;
  std::function<std::vector<uint8_t>()> image;
  const char* fragment;
};
std::ostream& operator<<(std::ostream& os, const RejectCase& c) { return os << c.name; }

std::vector<uint8_t> with(const std::function<void(ElfBuilder&)>& change) {
  auto e = good_builder();
  change(e);
  return e.build();
}

const std::vector<RejectCase> kRejects = {
    {"not_elf",
     [] { return std::vector<uint8_t>{'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'}; },
     "not an ELF file"},
    {"empty", [] { return std::vector<uint8_t>{}; }, "not an ELF file"},
    {"magic_only",
     [] {
       return std::vector<uint8_t>{0x7f, 'E', 'L', 'F'};
     },
     "truncated ELF header"},
    {"truncated_header",
     [] {
       auto b = good_builder().build();
       b.resize(40);
       return b;
     },
     "truncated ELF header (40 bytes, need 64)"},
    {"elfclass32", [] { return with([](ElfBuilder& e) { e.ei_class = 1; }); }, "ELFCLASS32"},
    {"bad_class", [] { return with([](ElfBuilder& e) { e.ei_class = 7; }); },
     "invalid ELF class 7"},
    {"big_endian", [] { return with([](ElfBuilder& e) { e.ei_data = 2; }); }, "big-endian"},
    {"bad_data_encoding", [] { return with([](ElfBuilder& e) { e.ei_data = 0; }); },
     "invalid ELF data encoding"},
    {"bad_ident_version", [] { return with([](ElfBuilder& e) { e.ei_version = 0; }); },
     "identification version"},
    {"x86_64", [] { return with([](ElfBuilder& e) { e.machine = 62; }); },
     "not an AArch64 ELF (e_machine 62"},
    {"relocatable", [] { return with([](ElfBuilder& e) { e.type = 1; }); }, "ET_REL"},
    {"pie", [] { return with([](ElfBuilder& e) { e.type = 3; }); }, "ET_DYN"},
    {"odd_type", [] { return with([](ElfBuilder& e) { e.type = 0xfe00; }); }, "e_type 65024"},
    {"bad_elf_version", [] { return with([](ElfBuilder& e) { e.version = 2; }); },
     "unsupported ELF version 2"},
    {"bad_phentsize", [] { return with([](ElfBuilder& e) { e.phentsize = 32; }); },
     "bad e_phentsize 32"},
    {"no_program_headers", [] { return with([](ElfBuilder& e) { e.phnum = 0; }); },
     "no program headers"},
    {"pn_xnum", [] { return with([](ElfBuilder& e) { e.phnum = 0xffff; }); },
     "extended program header numbering"},
    {"phdrs_past_eof", [] { return with([](ElfBuilder& e) { e.phnum = 200; }); },
     "program headers (200"},
    {"phoff_past_eof", [] { return with([](ElfBuilder& e) { e.phoff = 0xfffffffffffffff0ull; }); },
     "extend past the end of the file"},
    {"segment_data_past_eof",
     [] { return with([](ElfBuilder& e) { e.phdrs[0].filesz = e.phdrs[0].memsz = 0x1000; }); },
     "segment 0: data"},
    {"segment_offset_wraps",
     [] { return with([](ElfBuilder& e) { e.phdrs[0].offset = 0xffffffffffffff00ull; }); },
     "segment 0: data"},
    {"filesz_above_memsz", [] { return with([](ElfBuilder& e) { e.phdrs[1].memsz = 4; }); },
     "segment 1: p_filesz 0x8 is larger than p_memsz 0x4"},
    {"below_ram", [] { return with([](ElfBuilder& e) { e.phdrs[0].paddr = kRamBase - 8; }); },
     "segment 0: physical range"},
    {"past_ram_end",
     [] { return with([](ElfBuilder& e) { e.phdrs[1].paddr = kRamBase + kRamSize - 0x80; }); },
     "is outside RAM"},
    {"paddr_wraps",
     [] { return with([](ElfBuilder& e) { e.phdrs[1].paddr = 0xffffffffffffff80ull; }); },
     "is outside RAM"},
    {"memsz_huge", [] { return with([](ElfBuilder& e) { e.phdrs[1].memsz = ~0ull; }); },
     "is outside RAM"},
    {"no_pt_load",
     [] {
       return with([](ElfBuilder& e) {
         for (auto& p : e.phdrs) p.type = 4;
       });
     },
     "no PT_LOAD"},
    {"only_empty_pt_load",
     [] {
       return with([](ElfBuilder& e) {
         for (auto& p : e.phdrs) p.filesz = p.memsz = 0;
       });
     },
     "no PT_LOAD"},
    {"entry_outside_segments",
     [] { return with([](ElfBuilder& e) { e.entry = kRamBase + 0x8000; }); },
     "entry point 0x40008000 is not inside a loaded segment"},
    {"entry_in_gap", [] { return with([](ElfBuilder& e) { e.entry = kRamBase + 16; }); },
     "entry point"},
    {"overlap", [] { return with([](ElfBuilder& e) { e.phdrs[1].paddr = kRamBase + 8; }); },
     "segments 0 and 1 overlap"},
    {"overlap_reversed_order",
     [] {
       return with([](ElfBuilder& e) {
         e.phdrs[0].paddr = kRamBase + 0x1080;
         e.phdrs[0].vaddr = kRamBase + 0x1080;
         e.entry = kRamBase + 0x1080;
       });
     },
     "overlap"},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(loader_elf)

BOOST_AUTO_TEST_CASE(good_image_loads_by_physical_address) {
  const auto img = parse(good_builder().build());
  BOOST_TEST(img.entry == kRamBase);
  BOOST_TEST_REQUIRE(img.segments.size() == 2u);
  BOOST_TEST(img.segments[0].paddr == kRamBase);
  BOOST_TEST(img.segments[0].memsz == 16u);
  BOOST_TEST(img.segments[0].executable);
  BOOST_TEST(img.segments[0].data.size() == 16u);
  BOOST_TEST(img.segments[0].data[0] == 0xa0);
  BOOST_TEST(img.segments[1].paddr == kRamBase + 0x1000);
  BOOST_TEST(img.segments[1].memsz == 0x100u);
  BOOST_TEST(img.segments[1].data.size() == 8u);  // the rest is bss
  BOOST_TEST(img.segments[1].data[0] == 0xb0);
  BOOST_TEST(!img.segments[1].executable);
}

BOOST_DATA_TEST_CASE(each_reject_rule, bdata::make(kRejects), c) {
  const auto bytes = c.image();
  try {
    parse(bytes);
    BOOST_ERROR("accepted");
  } catch (const pmuemu::InputError& e) {
    const std::string msg = e.what();
    BOOST_TEST_MESSAGE("message: " << msg);
    BOOST_TEST(msg.rfind("test.elf: ", 0) == 0u, msg);
    BOOST_TEST(msg.find(c.fragment) != std::string::npos, "'" << c.fragment << "' not in: " << msg);
  }
}

BOOST_AUTO_TEST_CASE(entry_is_translated_from_virtual_to_physical) {
  auto e = good_builder();
  e.phdrs[0].vaddr = 0xffff000000080000ull;  // linked high, loaded at the base of RAM
  e.entry = 0xffff000000080004ull;
  BOOST_TEST(parse(e.build()).entry == kRamBase + 4);
}

BOOST_AUTO_TEST_CASE(segments_are_sorted_and_edges_of_ram_are_inclusive) {
  auto e = good_builder();
  e.phdrs[1].paddr = kRamBase + kRamSize - 0x100;  // ends exactly at the end of RAM
  std::swap(e.phdrs[0], e.phdrs[1]);
  const auto img = parse(e.build());
  BOOST_TEST_REQUIRE(img.segments.size() == 2u);
  BOOST_TEST(img.segments[0].paddr == kRamBase);
  BOOST_TEST(img.segments[1].paddr == kRamBase + kRamSize - 0x100);
}

BOOST_AUTO_TEST_CASE(ram_at_the_top_of_the_address_space) {
  auto e = good_builder();
  const uint64_t base = 0xfffffffffff00000ull;
  for (auto& p : e.phdrs) p.paddr = p.paddr - kRamBase + base;
  const auto img = ld::parse_elf(e.build(), "top.elf", base, 0x100000);
  BOOST_TEST(img.segments.back().paddr == base + 0x1000);
  BOOST_TEST(img.entry == base);  // vaddr 0x40000000 maps to paddr base
}

BOOST_AUTO_TEST_CASE(zero_sized_load_segments_are_ignored) {
  auto e = good_builder();
  e.phdrs.push_back(Phdr{1, 4, 0, 0, 0, 0, 0});  // at paddr 0: outside RAM, but empty
  BOOST_TEST(parse(e.build()).segments.size() == 2u);
}

BOOST_AUTO_TEST_CASE(toolchain_built_image) {
  const auto file = pmuemu::test::test_data_dir() / "elf" / "minimal.elf64";
  const auto img = ld::load_elf_file(file, kRamBase, 128ull << 20);
  BOOST_TEST(img.entry == 0x40080000u);
  BOOST_TEST_REQUIRE(img.segments.size() == 2u);
  BOOST_TEST(img.segments[0].paddr == 0x40080000u);
  BOOST_TEST(img.segments[0].executable);
  BOOST_TEST(img.segments[0].data.size() == 0x18u);
  BOOST_TEST(img.segments[1].paddr == 0x40081000u);
  BOOST_TEST(img.segments[1].memsz == 0x108u);
  BOOST_TEST(img.segments[1].data.size() == 8u);
  // The same image does not fit a RAM that starts above it.
  BOOST_CHECK_THROW(ld::load_elf_file(file, 0x80000000, 1 << 20), pmuemu::InputError);
}

BOOST_AUTO_TEST_CASE(load_elf_file_reads_files_and_reports_missing_ones) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("pmuemu-elf-test-" + std::to_string(::getpid()) + ".elf");
  {
    const auto bytes = good_builder().build();
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
  }
  const auto img = ld::load_elf_file(path, kRamBase, kRamSize);
  BOOST_TEST(img.segments.size() == 2u);
  std::filesystem::remove(path);
  try {
    ld::load_elf_file(path, kRamBase, kRamSize);
    BOOST_ERROR("loaded a missing file");
  } catch (const pmuemu::InputError& e) {
    BOOST_TEST(std::string(e.what()).rfind(path.string() + ": cannot read", 0) == 0u, e.what());
  }
}

// Truncations, bit flips, byte stores and hostile header fields: parse_elf must either accept
// or throw InputError. Run under -DPMUEMU_SANITIZE=ON this also proves it never reads outside
// the buffer.
BOOST_AUTO_TEST_CASE(random_corruption_is_always_an_input_error_or_a_valid_image) {
  const auto good = good_builder().build();
  std::mt19937_64 rng(0x5eed'e1f0);
  int accepted = 0, rejected = 0;
  for (int iter = 0; iter < 10000; ++iter) {
    auto bytes = good;
    const int mutations = 1 + static_cast<int>(rng() % 4);
    for (int m = 0; m < mutations; ++m) {
      switch (rng() % 4) {  // one mutation kind per draw
        case 0:
          bytes.resize(rng() % (bytes.size() + 1));
          break;
        case 1:
          if (!bytes.empty())
            bytes[rng() % bytes.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
          break;
        case 2:
          if (!bytes.empty()) bytes[rng() % bytes.size()] = static_cast<uint8_t>(rng());
          break;
        default: {
          // A whole 64-bit header or phdr field set to an extreme value.
          const uint64_t field = 16 + 8 * (rng() % 20);
          const uint64_t extremes[] = {0, ~0ull, 1ull << 63, kRamBase, kRamSize, rng()};
          const uint64_t v = extremes[rng() % std::size(extremes)];
          for (int i = 0; i < 8 && field + i < bytes.size(); ++i)
            bytes[field + i] = static_cast<uint8_t>(v >> (8 * i));
        }
      }
    }
    try {
      const auto img = parse(bytes);
      ++accepted;
      // Whatever is accepted must honour the contract.
      for (const auto& s : img.segments) {
        BOOST_TEST_REQUIRE(s.paddr >= kRamBase);
        BOOST_TEST_REQUIRE(s.paddr - kRamBase + s.memsz <= kRamSize);
        BOOST_TEST_REQUIRE(s.data.size() <= s.memsz);
      }
    } catch (const pmuemu::InputError&) {
      ++rejected;
    } catch (const std::exception& e) {
      BOOST_FAIL("iteration " << iter << ": unexpected exception " << e.what());
    }
  }
  BOOST_TEST_MESSAGE("accepted " << accepted << ", rejected " << rejected);
  BOOST_TEST(accepted > 0);
  BOOST_TEST(rejected > 0);
}

BOOST_AUTO_TEST_SUITE_END()
