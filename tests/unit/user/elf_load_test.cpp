// The user-mode ELF loader (emu/user/elf_load): where a fixed-address program, a
// position-independent one and an interpreter go, what the auxiliary vector's AT_PHDR and
// AT_ENTRY are made of, PT_INTERP, and bad images refused by name before anything is mapped.
#include <boost/test/unit_test.hpp>

#include <elf.h>

#include <cstring>
#include <string>
#include <vector>

#include "emu/common/errors.h"
#include "emu/user/elf_load.h"

using namespace pmuemu;
using namespace pmuemu::user;

namespace {

// An image with one R+X PT_LOAD of two pages at `vaddr` (file offset 0, the headers inside
// it), entry at vaddr + 0x1000, and a PT_INTERP holding `interp` when it is not empty.
std::vector<uint8_t> image(uint16_t type, uint64_t vaddr, const std::string& interp = "", bool terminate = true) {
  std::vector<uint8_t> f(0x1100, 0);
  auto put = [&](size_t off, uint64_t v, int n) { std::memcpy(&f[off], &v, n); };
  const uint8_t ident[16] = {0x7f, 'E', 'L', 'F', ELFCLASS64, ELFDATA2LSB, EV_CURRENT};
  std::memcpy(&f[0], ident, 16);
  const uint16_t phnum = interp.empty() ? 1 : 2;
  put(16, type, 2);
  put(18, EM_AARCH64, 2);
  put(20, EV_CURRENT, 4);
  put(24, vaddr + 0x1000, 8);
  put(32, 64, 8);
  put(52, 64, 2);
  put(54, sizeof(Elf64_Phdr), 2);
  put(56, phnum, 2);
  Elf64_Phdr load{PT_LOAD, PF_R | PF_X, 0, vaddr, vaddr, 0x1004, 0x2000, 0x1000};
  std::memcpy(&f[64], &load, sizeof load);
  put(0x1000, 0x14000000, 4);  // b .
  if (!interp.empty()) {
    const uint64_t off = 0x1010;
    std::memcpy(&f[off], interp.c_str(), interp.size() + (terminate ? 1 : 0));
    Elf64_Phdr ip{PT_INTERP, PF_R, off, 0, 0, interp.size() + (terminate ? 1 : 0), 0, 1};
    std::memcpy(&f[64 + sizeof(Elf64_Phdr)], &ip, sizeof ip);
  }
  return f;
}

std::string error_of(AddressSpace& m, const std::vector<uint8_t>& img, ElfRole role) {
  try {
    load_elf(m, img, "img", role);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_SUITE(elf_load)

BOOST_AUTO_TEST_CASE(fixed_address_program_where_linked) {
  AddressSpace m;
  const LoadedElf e = load_elf(m, image(ET_EXEC, 0x400000), "img", ElfRole::kProgram);
  BOOST_TEST(e.bias == 0u);
  BOOST_TEST(e.entry == 0x401000u);
  BOOST_TEST(e.phdr == 0x400040u);  // the first segment maps the headers: vaddr + e_phoff
  BOOST_TEST(e.end == 0x402000u);
  BOOST_TEST(e.interp.empty());
  uint32_t insn = 0;
  std::memcpy(&insn, m.host(e.entry), 4);
  BOOST_TEST(insn == 0x14000000u);
}

BOOST_AUTO_TEST_CASE(position_independent_program_at_the_pie_base_with_its_interpreter) {
  AddressSpace m;
  const LoadedElf p = load_elf(m, image(ET_DYN, 0, "/lib/ld-test.so.1"), "img", ElfRole::kProgram);
  BOOST_TEST(p.bias == kPieBase);
  BOOST_TEST(p.entry == kPieBase + 0x1000);
  BOOST_TEST(p.phdr == kPieBase + 64);
  BOOST_TEST(p.interp == "/lib/ld-test.so.1");
  BOOST_TEST(m.mapped(kPieBase));
  m.brk_start = m.brk_cur = p.end;
  // The interpreter goes to the mmap area: page-aligned, above the program, below kMmapTop.
  const LoadedElf i = load_elf(m, image(ET_DYN, 0), "ld", ElfRole::kInterpreter);
  BOOST_TEST((i.bias & 0xfff) == 0u);
  BOOST_TEST(i.bias > p.end);
  BOOST_TEST(i.end <= kMmapTop);
  BOOST_TEST(i.entry == i.bias + 0x1000);
  uint32_t insn = 0;
  std::memcpy(&insn, m.host(i.entry), 4);
  BOOST_TEST(insn == 0x14000000u);
}

BOOST_AUTO_TEST_CASE(bad_images_are_refused_by_name_and_map_nothing) {
  AddressSpace m;
  BOOST_TEST(contains(error_of(m, std::vector<uint8_t>(100, 0), ElfRole::kProgram), "img: not an ELF file"));
  auto wrong_machine = image(ET_EXEC, 0x400000);
  wrong_machine[18] = EM_X86_64;
  BOOST_TEST(contains(error_of(m, wrong_machine, ElfRole::kProgram), "not a 64-bit little-endian AArch64 ELF"));
  BOOST_TEST(contains(error_of(m, image(ET_REL, 0x400000), ElfRole::kProgram), "not an executable (ELF type 1)"));
  BOOST_TEST(contains(error_of(m, image(ET_DYN, 0, "/lib/ld.so", false), ElfRole::kProgram),
                      "PT_INTERP is not a NUL-terminated path"));
  BOOST_TEST(contains(error_of(m, image(ET_DYN, 0, "/lib/other.so"), ElfRole::kInterpreter),
                      "img (the program's interpreter): names an interpreter of its own"));
  auto outside = image(ET_EXEC, 0x400000);
  const uint64_t too_big = 0x100000;
  std::memcpy(&outside[64 + offsetof(Elf64_Phdr, p_filesz)], &too_big, 8);
  std::memcpy(&outside[64 + offsetof(Elf64_Phdr, p_memsz)], &too_big, 8);
  BOOST_TEST(contains(error_of(m, outside, ElfRole::kProgram), "segment 0 lies outside the file"));
  BOOST_TEST(contains(error_of(m, image(ET_EXEC, 0x1000), ElfRole::kProgram), "outside the program area"));
  BOOST_TEST(!m.mapped(0x400000));
  BOOST_TEST(!m.mapped(kPieBase));
}

BOOST_AUTO_TEST_SUITE_END()
