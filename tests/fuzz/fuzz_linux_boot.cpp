// Linux boot inputs (emu/boot): the first byte picks what the rest is (kernel Image, gzip
// Image, initrd, DTB, or a DTB patched with /chosen). Each is either accepted, with the
// result checked, or refused with pmuemu::InputError; never a read outside the input
// (ASan), a crash or another exception.
#include <cstdint>
#include <span>

#include "emu/boot/linux_boot.h"
#include "emu/common/errors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  namespace b = pmuemu::boot;
  const std::span<const uint8_t> in(data + 1, size - 1);
  constexpr uint64_t kBase = 0x40000000, kSize = 256ull << 20;
  try {
    switch (data[0] % 4) {
      case 0: {
        const b::KernelImage k = b::parse_kernel(in, "fuzz.img");
        if (k.header.image_size < k.bytes.size() || k.header.text_offset >= (2u << 20)) __builtin_trap();
        const b::Placement p = b::place(k.header, kBase, kSize, in.size(), "fuzz.img");
        if (p.kernel < kBase || p.kernel_end > p.dtb || p.dtb % 8 || p.initrd + p.initrd_size > kBase + kSize)
          __builtin_trap();
        break;
      }
      case 1: b::check_initrd(in, "fuzz.initrd"); break;
      case 2: b::check_dtb(in, "fuzz.dtb"); break;
      case 3: {
        b::MachineDesc m;
        m.bootargs = "console=ttyAMA0";
        m.initrd = kBase + (64u << 20);
        m.initrd_size = 4096;
        const auto out = b::patch_dtb(in, m, "fuzz.dtb");
        b::check_dtb(out, "patched");  // what it produced must itself be a valid blob
        break;
      }
    }
  } catch (const pmuemu::InputError&) {
  }
  return 0;
}
