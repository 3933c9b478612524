#include "emu/loader/elf.h"

#include <algorithm>
#include <string>

#include "emu/common/errors.h"
#include "emu/common/file_io.h"
#include "emu/common/text.h"

namespace pmuemu::loader {

namespace {

// ELF64 layout (System V gABI, "ELF-64 Object File Format"). Own definitions rather than
// <elf.h> so the loader builds on hosts without glibc headers and every offset is visible.
namespace ident {
inline constexpr std::size_t kClass = 4, kData = 5, kVersion = 6, kSize = 16;
inline constexpr uint8_t kMagic[4] = {0x7f, 'E', 'L', 'F'};
inline constexpr uint8_t kClass32 = 1, kClass64 = 2;
inline constexpr uint8_t kDataLsb = 1, kDataMsb = 2;
}  // namespace ident

namespace ehdr {
inline constexpr std::size_t kType = 16, kMachine = 18, kVersion = 20, kEntry = 24, kPhoff = 32,
                             kPhentsize = 54, kPhnum = 56, kSize = 64;
}  // namespace ehdr

namespace phdr {
inline constexpr std::size_t kType = 0, kFlags = 4, kOffset = 8, kVaddr = 16, kPaddr = 24,
                             kFilesz = 32, kMemsz = 40, kSize = 56;
inline constexpr uint32_t kPtLoad = 1;
inline constexpr uint32_t kPfX = 1;
}  // namespace phdr

inline constexpr uint16_t kEtExec = 2;
inline constexpr uint16_t kEmAarch64 = 183;
inline constexpr uint16_t kPnXnum = 0xffff;  // e_phnum escape for >= 0xffff headers

struct ElfTypeName {
  uint16_t type;
  std::string_view what;
};
// Why a non-EXEC file is refused, in words a user recognises.
constexpr ElfTypeName kElfTypeNames[] = {
    {0, "ET_NONE"},
    {1, "ET_REL, a relocatable object: link it first"},
    {3, "ET_DYN, a shared object or position-independent executable: link with -static -no-pie"},
    {4, "ET_CORE, a core dump"},
};

class Image {
 public:
  Image(std::span<const uint8_t> bytes, std::string_view name) : bytes_(bytes), name_(name) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw InputError(std::string(name_) + ": " + what);
  }

  uint64_t size() const { return bytes_.size(); }

  // Bounds-checked little-endian read; the callers check ranges first, so a failure here
  // means a loader bug, but it still must not read outside the buffer.
  template <typename T>
  T le(uint64_t offset) const {
    if (offset > bytes_.size() || sizeof(T) > bytes_.size() - offset) {
      fail("truncated: read of " + std::to_string(sizeof(T)) + " bytes at offset " +
           std::to_string(offset) + " is past the end of the file");
    }
    T v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i)
      v |= static_cast<T>(static_cast<T>(bytes_[offset + i]) << (8 * i));
    return v;
  }

  std::span<const uint8_t> slice(uint64_t offset, uint64_t len) const {
    return bytes_.subspan(static_cast<std::size_t>(offset), static_cast<std::size_t>(len));
  }

 private:
  std::span<const uint8_t> bytes_;
  std::string_view name_;
};

std::string hex64(uint64_t v) { return text::hex(v, 1); }

void check_ident(const Image& img) {
  const auto magic_ok = [&] {
    if (img.size() < 4) return false;
    for (std::size_t i = 0; i < 4; ++i) {
      if (img.le<uint8_t>(i) != ident::kMagic[i]) return false;
    }
    return true;
  };
  if (!magic_ok()) img.fail("not an ELF file (no \\x7fELF magic)");
  if (img.size() < ident::kSize)
    img.fail("truncated ELF header (" + std::to_string(img.size()) + " bytes)");
  const uint8_t cls = img.le<uint8_t>(ident::kClass);
  if (cls == ident::kClass32)
    img.fail("32-bit ELF (ELFCLASS32) is not supported; expected ELFCLASS64");
  if (cls != ident::kClass64) img.fail("invalid ELF class " + std::to_string(cls));
  const uint8_t data = img.le<uint8_t>(ident::kData);
  if (data == ident::kDataMsb) img.fail("big-endian ELF is not supported; expected little-endian");
  if (data != ident::kDataLsb) img.fail("invalid ELF data encoding " + std::to_string(data));
  const uint8_t version = img.le<uint8_t>(ident::kVersion);
  if (version != 1) img.fail("unsupported ELF identification version " + std::to_string(version));
  if (img.size() < ehdr::kSize) {
    img.fail("truncated ELF header (" + std::to_string(img.size()) + " bytes, need " +
             std::to_string(ehdr::kSize) + ")");
  }
}

void check_header(const Image& img) {
  const uint16_t machine = img.le<uint16_t>(ehdr::kMachine);
  if (machine != kEmAarch64) {
    img.fail("not an AArch64 ELF (e_machine " + std::to_string(machine) + ", expected " +
             std::to_string(kEmAarch64) + ")");
  }
  const uint16_t type = img.le<uint16_t>(ehdr::kType);
  if (type != kEtExec) {
    std::string what = "e_type " + std::to_string(type);
    for (const auto& t : kElfTypeNames) {
      if (t.type == type) what = std::string(t.what);
    }
    img.fail("not an executable (ET_EXEC) ELF: " + what);
  }
  const uint32_t version = img.le<uint32_t>(ehdr::kVersion);
  if (version != 1) img.fail("unsupported ELF version " + std::to_string(version));
}

struct LoadSegment {
  std::size_t index;  // program header index, for messages
  uint64_t vaddr;
  ElfSegment seg;
};

std::vector<LoadSegment> read_segments(const Image& img, uint64_t ram_base, uint64_t ram_size) {
  const uint64_t phoff = img.le<uint64_t>(ehdr::kPhoff);
  const uint16_t phentsize = img.le<uint16_t>(ehdr::kPhentsize);
  const uint16_t phnum = img.le<uint16_t>(ehdr::kPhnum);
  if (phnum == 0) img.fail("no program headers, so nothing to load");
  if (phnum == kPnXnum)
    img.fail("extended program header numbering (e_phnum = 0xffff) is not supported");
  if (phentsize != phdr::kSize) {
    img.fail("bad e_phentsize " + std::to_string(phentsize) + " (expected " +
             std::to_string(phdr::kSize) + ")");
  }
  const uint64_t table_bytes = uint64_t{phnum} * phdr::kSize;
  if (phoff > img.size() || table_bytes > img.size() - phoff) {
    img.fail("program headers (" + std::to_string(phnum) + " at offset " + hex64(phoff) +
             ") extend past the end of the file (" + std::to_string(img.size()) + " bytes)");
  }

  std::vector<LoadSegment> out;
  for (std::size_t i = 0; i < phnum; ++i) {
    const uint64_t ph = phoff + i * phdr::kSize;
    if (img.le<uint32_t>(ph + phdr::kType) != phdr::kPtLoad) continue;
    const uint64_t offset = img.le<uint64_t>(ph + phdr::kOffset);
    const uint64_t vaddr = img.le<uint64_t>(ph + phdr::kVaddr);
    const uint64_t paddr = img.le<uint64_t>(ph + phdr::kPaddr);
    const uint64_t filesz = img.le<uint64_t>(ph + phdr::kFilesz);
    const uint64_t memsz = img.le<uint64_t>(ph + phdr::kMemsz);
    const std::string seg = "segment " + std::to_string(i);
    if (filesz > memsz) {
      img.fail(seg + ": p_filesz " + hex64(filesz) + " is larger than p_memsz " + hex64(memsz));
    }
    if (offset > img.size() || filesz > img.size() - offset) {
      img.fail(seg + ": data (" + hex64(filesz) + " bytes at offset " + hex64(offset) +
               ") extends past the end of the file (" + std::to_string(img.size()) + " bytes)");
    }
    if (memsz == 0) continue;  // nothing to place
    // Written as differences so that no sum can wrap around 2^64.
    const bool in_ram =
        paddr >= ram_base && paddr - ram_base <= ram_size && memsz <= ram_size - (paddr - ram_base);
    if (!in_ram) {
      img.fail(seg + ": physical range " + hex64(paddr) + " + " + hex64(memsz) +
               " is outside RAM " + hex64(ram_base) + " + " + hex64(ram_size));
    }
    const auto data = img.slice(offset, filesz);
    out.push_back({i, vaddr,
                   ElfSegment{paddr, std::vector<uint8_t>(data.begin(), data.end()), memsz,
                              (img.le<uint32_t>(ph + phdr::kFlags) & phdr::kPfX) != 0}});
  }
  if (out.empty()) img.fail("no PT_LOAD segment with memory to load");

  std::sort(out.begin(), out.end(),
            [](const LoadSegment& a, const LoadSegment& b) { return a.seg.paddr < b.seg.paddr; });
  for (std::size_t i = 1; i < out.size(); ++i) {
    const auto& prev = out[i - 1].seg;
    // Both ends are inside RAM (checked above), so the offsets from ram_base cannot wrap.
    if ((prev.paddr - ram_base) + prev.memsz > out[i].seg.paddr - ram_base) {
      img.fail("segments " + std::to_string(out[i - 1].index) + " and " +
               std::to_string(out[i].index) + " overlap in physical memory (" + hex64(prev.paddr) +
               " + " + hex64(prev.memsz) + " and " + hex64(out[i].seg.paddr) + ")");
    }
  }
  return out;
}

}  // namespace

ElfImage parse_elf(std::span<const uint8_t> bytes, std::string_view name, uint64_t ram_base,
                   uint64_t ram_size) {
  const Image img(bytes, name);
  check_ident(img);
  check_header(img);
  auto segments = read_segments(img, ram_base, ram_size);

  // e_entry is a virtual address; with the MMU off at reset the PC is physical, so translate
  // through the segment that maps it.
  const uint64_t entry = img.le<uint64_t>(ehdr::kEntry);
  ElfImage out;
  bool found = false;
  for (const auto& s : segments) {
    if (entry >= s.vaddr && entry - s.vaddr < s.seg.memsz) {
      out.entry = s.seg.paddr + (entry - s.vaddr);
      found = true;
      break;
    }
  }
  if (!found) img.fail("entry point " + hex64(entry) + " is not inside a loaded segment");
  for (auto& s : segments) out.segments.push_back(std::move(s.seg));
  return out;
}

ElfImage load_elf_file(const std::filesystem::path& file, uint64_t ram_base, uint64_t ram_size) {
  const auto bytes = read_file_bytes(file);
  return parse_elf(bytes, file.string(), ram_base, ram_size);
}

}  // namespace pmuemu::loader
