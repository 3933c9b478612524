// Booting an arm64 Linux kernel (the kernel's Documentation/arch/arm64/booting.rst
// protocol): the Image header check, gzip-compressed Images, initrd and DTB validation,
// where the three go in guest RAM, and the device tree of the VM the VMM built.
//
// Every function here is pure: bytes in, bytes or a placement out. Bad input is an
// InputError("<file>: <what>") (exit 65), never a partial result.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pmuemu::boot {

// The 64-byte arm64 Image header, as the boot protocol defines it.
struct ImageHeader {
  uint64_t text_offset = 0;  // the offset from a 2 MiB-aligned base the kernel must load at
  uint64_t image_size = 0;   // bytes the kernel uses from its load address (BSS included)
  uint64_t flags = 0;        // bit 0 big-endian, bits 2:1 page size, bit 3 placement anywhere
};

// A kernel ready to place: the uncompressed Image bytes and its header.
struct KernelImage {
  std::vector<uint8_t> bytes;
  ImageHeader header;
  bool was_gzip = false;
};

// Parses an Image, inflating it first when it is gzip-compressed (what Debian's
// vmlinuz of other architectures and `make Image.gz` produce). Checks the magic
// "ARM\x64" at 0x38, little-endian, a 4 KiB or unspecified page size (the MMU model
// implements the 4 KiB granule), a non-zero image_size no smaller than the file.
KernelImage parse_kernel(std::span<const uint8_t> bytes, std::string_view name);

// An initramfs or initrd: a cpio "newc"/"crc" archive or one of the compressions the
// kernel can unpack (gzip, bzip2, lzma, xz, lzo, lz4, zstd). Anything else is refused.
void check_initrd(std::span<const uint8_t> bytes, std::string_view name);

// A flattened device tree blob the kernel can take: a valid header, version >= 16 and at
// most 2 MiB (the protocol's limit).
void check_dtb(std::span<const uint8_t> bytes, std::string_view name);

// Where everything goes in guest RAM.
struct Placement {
  uint64_t kernel = 0;       // load address (2 MiB-aligned base + text_offset): the entry point
  uint64_t kernel_end = 0;   // kernel + image_size
  uint64_t dtb = 0;          // 8-byte aligned, alone in its 2 MiB region
  uint64_t initrd = 0, initrd_size = 0;  // 0 size: none
};
// Kernel at the start of RAM (the base is 2 MiB aligned), the DTB in the first 2 MiB
// region after the kernel's image_size, the initrd after the DTB's region, page aligned.
// InputError naming `kernel_name` when they do not fit in RAM.
Placement place(const ImageHeader& h, uint64_t ram_base, uint64_t ram_size, uint64_t initrd_size,
                std::string_view kernel_name);

// The VM as the VMM built it, which the generated device tree describes.
struct VirtioMmio {
  uint64_t base = 0, size = 0x200;
  unsigned spi = 0;  // the SPI number (INTID - 32)
};
struct MachineDesc {
  uint64_t ram_base = 0, ram_size = 0;
  std::vector<uint64_t> mpidrs;        // one per vCPU, in vCPU id order
  std::string cpu_compatible = "arm,armv8";
  uint64_t gic_dist = 0, gic_dist_size = 0x10000;
  uint64_t gic_redist = 0, gic_redist_stride = 0x20000;  // 128 KiB per vCPU (RD + SGI frames)
  int pmu_intid = -1;                  // KVM_ARM_VCPU_PMU_V3_IRQ (a PPI), -1: no PMU node
  uint64_t uart = 0, uart_size = 0x1000;
  unsigned uart_spi = 1;
  uint32_t uart_clock_hz = 24000000;
  std::vector<VirtioMmio> virtio;
  // chosen
  std::string bootargs;
  uint64_t initrd = 0, initrd_size = 0;
  uint64_t seed = 0;                   // rng-seed and kaslr-seed are drawn from it
};

// The rng-seed bytes and the kaslr-seed value for a --seed: a fixed function of it, so runs
// are reproducible. Seed 0 gives kaslr-seed 0 (the kernel then keeps KASLR off).
std::vector<uint8_t> rng_seed_bytes(uint64_t seed);
uint64_t kaslr_seed_value(uint64_t seed);

// Generates the device tree blob of `m` with libfdt.
std::vector<uint8_t> make_dtb(const MachineDesc& m);

// A user-supplied DTB with its /chosen updated as the generated one would have it
// (bootargs when non-empty, initrd range, rng-seed, kaslr-seed).
std::vector<uint8_t> patch_dtb(std::span<const uint8_t> dtb, const MachineDesc& m, std::string_view name);

}  // namespace pmuemu::boot
