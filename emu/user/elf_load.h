// ELF images of `pmuemu user`: a program (static, static-pie or dynamically linked) and its
// program interpreter (PT_INTERP, the dynamic linker) placed in the address space as
// Linux's binfmt_elf places them: fixed-address executables where they were linked,
// position-independent ones at a load bias, the interpreter in the mmap area.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "emu/user/address_space.h"

namespace pmuemu::user {

// Where a position-independent program goes: two thirds of the address space, as Linux's
// ELF_ET_DYN_BASE (without its randomisation: runs repeat), clear of the brk heap and of
// the mmap area that grows down from kMmapTop.
inline constexpr uint64_t kPieBase = (kEnd / 3 * 2) & ~0xffffull;

struct LoadedElf {
  uint64_t bias = 0;    // added to every p_vaddr (0 for ET_EXEC)
  uint64_t entry = 0;   // e_entry + bias
  uint64_t phdr = 0;    // the program headers in memory (AT_PHDR)
  uint64_t phnum = 0;
  uint64_t end = 0;     // the page after the highest segment (the brk start)
  std::string interp;   // PT_INTERP's path, empty for a static program
};

enum class ElfRole { kProgram, kInterpreter };

// Maps the loadable segments of `img` (the bytes of file `name`) with their permissions.
// A program of type ET_DYN goes at kPieBase, an interpreter at a free range of the mmap
// area. Throws InputError naming the file and what is wrong with it; nothing is mapped
// then (every check runs before the first page is touched).
LoadedElf load_elf(AddressSpace& mem, const std::vector<uint8_t>& img, const std::string& name, ElfRole role);

}  // namespace pmuemu::user
