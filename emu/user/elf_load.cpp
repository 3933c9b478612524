#include "emu/user/elf_load.h"

#include <elf.h>

#include <algorithm>
#include <cstring>

#include "emu/common/errors.h"
#include "emu/common/text.h"

namespace pmuemu::user {
namespace {

int prot_of(const Elf64_Phdr& ph) {
  return ((ph.p_flags & PF_R) ? kProtRead : 0) | ((ph.p_flags & PF_W) ? kProtWrite : 0) |
         ((ph.p_flags & PF_X) ? kProtExec : 0);
}

}  // namespace

LoadedElf load_elf(AddressSpace& mem, const std::vector<uint8_t>& img, const std::string& name, ElfRole role) {
  const bool interp_role = role == ElfRole::kInterpreter;
  const std::string what = interp_role ? name + " (the program's interpreter)" : name;
  if (img.size() < sizeof(Elf64_Ehdr) || std::memcmp(img.data(), ELFMAG, SELFMAG) != 0)
    throw InputError(what + ": not an ELF file");
  Elf64_Ehdr eh;
  std::memcpy(&eh, img.data(), sizeof eh);
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_AARCH64)
    throw InputError(what + ": not a 64-bit little-endian AArch64 ELF (e_machine " + std::to_string(eh.e_machine) + ")");
  if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
    throw InputError(what + ": not an executable (ELF type " + std::to_string(eh.e_type) + ")");
  if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phoff > img.size() ||
      uint64_t{eh.e_phnum} * sizeof(Elf64_Phdr) > img.size() - eh.e_phoff)
    throw InputError(what + ": program headers outside the file");

  std::vector<Elf64_Phdr> phs(eh.e_phnum);
  if (eh.e_phnum != 0) std::memcpy(phs.data(), img.data() + eh.e_phoff, phs.size() * sizeof(Elf64_Phdr));
  LoadedElf out;
  uint64_t lo = UINT64_MAX, hi = 0, phdr_vaddr = UINT64_MAX;
  for (unsigned i = 0; i < phs.size(); ++i) {
    const Elf64_Phdr& ph = phs[i];
    if (ph.p_type == PT_INTERP) {
      if (interp_role) throw InputError(what + ": names an interpreter of its own (PT_INTERP)");
      if (ph.p_offset > img.size() || ph.p_filesz > img.size() - ph.p_offset || ph.p_filesz < 2 ||
          img[ph.p_offset + ph.p_filesz - 1] != 0)
        throw InputError(what + ": its PT_INTERP is not a NUL-terminated path inside the file");
      out.interp.assign(reinterpret_cast<const char*>(img.data() + ph.p_offset), ph.p_filesz - 1);
      if (out.interp.size() != std::strlen(out.interp.c_str()))
        throw InputError(what + ": its PT_INTERP holds a NUL before its end");
    }
    if (ph.p_type == PT_PHDR) phdr_vaddr = ph.p_vaddr;
    if (ph.p_type != PT_LOAD || ph.p_memsz == 0) continue;
    if (ph.p_filesz > ph.p_memsz ||
        (ph.p_filesz != 0 && (ph.p_offset > img.size() || ph.p_filesz > img.size() - ph.p_offset)))
      throw InputError(what + ": segment " + std::to_string(i) + " lies outside the file");
    if (ph.p_vaddr + ph.p_memsz < ph.p_vaddr || ph.p_vaddr + ph.p_memsz > kEnd)
      throw InputError(what + ": segment " + std::to_string(i) + " at " + text::hex(ph.p_vaddr, 1) + " is outside the program area");
    if (phdr_vaddr == UINT64_MAX && ph.p_offset == 0 && eh.e_phoff < ph.p_filesz) phdr_vaddr = ph.p_vaddr + eh.e_phoff;
    lo = std::min<uint64_t>(lo, ph.p_vaddr & ~0xfffull);
    hi = std::max<uint64_t>(hi, (ph.p_vaddr + ph.p_memsz + 0xfff) & ~0xfffull);
  }
  if (hi == 0) throw InputError(what + ": no loadable segment");

  // The load bias: none for a fixed-address executable; a position-independent program at
  // kPieBase; an interpreter wherever the mmap area has room for all of its segments.
  if (eh.e_type == ET_DYN) {
    uint64_t base;
    if (interp_role) {
      base = mem.find_free(hi - lo);
      if (base == 0) throw InputError(what + ": no room for its " + std::to_string((hi - lo) >> 10) + " KiB of segments");
    } else {
      base = kPieBase;
      if (hi - lo > kMmapTop - kPieBase) throw InputError(what + ": its segments do not fit above " + text::hex(kPieBase, 1));
    }
    out.bias = base - lo;
  }
  if (lo + out.bias < kBase || hi + out.bias > kMmapTop)
    throw InputError(what + ": its segments [" + text::hex(lo + out.bias, 1) + ", " + text::hex(hi + out.bias, 1) +
                     ") are outside the program area");
  if (interp_role && eh.e_type == ET_EXEC) {
    // A fixed-address interpreter may not overlay the program.
    for (uint64_t a = lo; a < hi; a += 0x1000)
      if (mem.mapped(a)) throw InputError(what + ": its segments overlap the program's");
  }

  for (const Elf64_Phdr& ph : phs) {
    if (ph.p_type != PT_LOAD || ph.p_memsz == 0) continue;
    const uint64_t va = ph.p_vaddr + out.bias;
    const uint64_t seg_lo = va & ~0xfffull, seg_hi = (va + ph.p_memsz + 0xfff) & ~0xfffull;
    // Segments sharing a page: the later one must not wipe the earlier one's bytes.
    for (uint64_t a = seg_lo; a < seg_hi; a += 0x1000)
      if (!mem.mapped(a)) mem.map(a, 0x1000, kProtRead | kProtWrite | kProtExec);
    std::memcpy(mem.host(va), img.data() + ph.p_offset, ph.p_filesz);
  }
  // Permissions last, so a page two segments share was writable while both were copied.
  for (const Elf64_Phdr& ph : phs) {
    if (ph.p_type != PT_LOAD || ph.p_memsz == 0) continue;
    const uint64_t va = ph.p_vaddr + out.bias;
    const uint64_t seg_lo = va & ~0xfffull, seg_hi = (va + ph.p_memsz + 0xfff) & ~0xfffull;
    mem.protect(seg_lo, seg_hi - seg_lo, prot_of(ph) | kProtRead);
  }
  out.entry = eh.e_entry + out.bias;
  out.phdr = phdr_vaddr == UINT64_MAX ? 0 : phdr_vaddr + out.bias;
  out.phnum = eh.e_phnum;
  out.end = hi + out.bias;
  return out;
}

}  // namespace pmuemu::user
