// The arm64 Image header as booting.rst defines it: what parse_kernel() accepts and what it
// refuses, with the error naming the file.
#include <boost/test/unit_test.hpp>

extern "C" {
#include <libfdt.h>
}

#include "emu/boot/linux_boot.h"
#include "tests/unit/boot/boot_helpers.h"

namespace pmuemu::boot {
namespace {

using test::expect_input_error;
using test::gzip;
using test::make_image;

// Flags: bit 0 = 0 little-endian, bits 2:1 = 1 4 KiB pages, bit 3 = 1 placement anywhere.
constexpr uint64_t kFlags4kAnywhere = (1u << 1) | (1u << 3);

BOOST_AUTO_TEST_SUITE(image_header)

BOOST_AUTO_TEST_CASE(a_well_formed_image_is_taken_with_its_header_fields) {
  const auto img = make_image(8192, 0, 0x20000, kFlags4kAnywhere);
  const KernelImage k = parse_kernel(img, "Image");
  BOOST_TEST(!k.was_gzip);
  BOOST_TEST(k.header.text_offset == 0u);
  BOOST_TEST(k.header.image_size == 0x20000u);
  BOOST_TEST(k.header.flags == kFlags4kAnywhere);
  BOOST_TEST(k.bytes == img);
}

BOOST_AUTO_TEST_CASE(the_legacy_text_offset_and_unspecified_page_size_are_accepted) {
  // Kernels before 3.17 used text_offset 0x80000; flags 0 means "unspecified" page size.
  const auto img = make_image(4096, 0x80000, 4096, 0);
  const KernelImage k = parse_kernel(img, "old.img");
  BOOST_TEST(k.header.text_offset == 0x80000u);
  // image_size equal to the file size: nothing beyond the file (no BSS).
  BOOST_TEST(k.header.image_size == 4096u);
}

BOOST_AUTO_TEST_CASE(bad_magic_is_refused_naming_the_file) {
  auto img = make_image(4096, 0, 0x10000, kFlags4kAnywhere);
  img[0x3b] = 0x65;  // "ARMe"
  expect_input_error([&] { parse_kernel(img, "/tmp/notarm64"); }, "/tmp/notarm64", "magic");
  // An ELF vmlinux is not an Image either.
  std::vector<uint8_t> elf(4096, 0);
  elf[0] = 0x7f, elf[1] = 'E', elf[2] = 'L', elf[3] = 'F';
  expect_input_error([&] { parse_kernel(elf, "vmlinux"); }, "vmlinux", "not an arm64 Image");
}

BOOST_AUTO_TEST_CASE(a_file_shorter_than_the_header_is_refused) {
  const auto full = make_image(4096, 0, 0x10000, kFlags4kAnywhere);
  for (size_t n : {size_t{0}, size_t{1}, size_t{0x38}, size_t{63}}) {
    const std::vector<uint8_t> cut(full.begin(), full.begin() + static_cast<long>(n));
    expect_input_error([&] { parse_kernel(cut, "short.img"); }, "short.img", "64-byte header");
  }
  // Exactly the header is enough when image_size covers it.
  const auto hdr_only = make_image(64, 0, 4096, kFlags4kAnywhere);
  BOOST_TEST(parse_kernel(hdr_only, "hdr").bytes.size() == 64u);
}

BOOST_AUTO_TEST_CASE(text_offset_must_be_a_4k_aligned_offset_below_2mib) {
  for (uint64_t off : {uint64_t{0x80}, uint64_t{0x1001}, uint64_t{2} << 20, uint64_t{0x10000000}}) {
    const auto img = make_image(4096, off, 0x10000, kFlags4kAnywhere);
    BOOST_TEST_CONTEXT("text_offset " << off) {
      expect_input_error([&] { parse_kernel(img, "k.img"); }, "k.img", "text_offset");
    }
  }
  const auto ok = make_image(4096, (2u << 20) - 4096, 0x10000, kFlags4kAnywhere);
  BOOST_TEST(parse_kernel(ok, "k").header.text_offset == (2u << 20) - 4096);
}

BOOST_AUTO_TEST_CASE(image_size_zero_or_smaller_than_the_file_is_refused) {
  expect_input_error([&] { parse_kernel(make_image(4096, 0, 0, kFlags4kAnywhere), "z.img"); }, "z.img",
                     "image_size 0");
  expect_input_error([&] { parse_kernel(make_image(4096, 0, 4095, kFlags4kAnywhere), "s.img"); }, "s.img",
                     "image_size (4095) is smaller than the 4096 bytes");
}

BOOST_AUTO_TEST_CASE(flags_big_endian_large_pages_and_reserved_bits_are_refused) {
  struct Case {
    uint64_t flags;
    const char* what;
  };
  const Case cases[] = {
      {1, "big-endian"},                          // bit 0
      {2u << 1, "16 KiB pages"},                  // bits 2:1 = 2
      {3u << 1, "64 KiB pages"},                  // bits 2:1 = 3
      {1u << 4, "reserved bits"},                 // bits 63:4 are reserved
      {(uint64_t{1} << 63) | kFlags4kAnywhere, "reserved bits"},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT("flags " << c.flags) {
      const auto img = make_image(4096, 0, 0x10000, c.flags);
      expect_input_error([&] { parse_kernel(img, "flags.img"); }, "flags.img", c.what);
    }
  }
  // 4 KiB pages, with or without "placement anywhere" (bit 3), are fine.
  for (uint64_t f : {uint64_t{1u << 1}, uint64_t{1u << 3}, kFlags4kAnywhere})
    BOOST_TEST(parse_kernel(make_image(4096, 0, 0x10000, f), "ok").header.flags == f);
}

BOOST_AUTO_TEST_CASE(a_gzip_image_is_inflated_to_the_same_bytes) {
  const auto img = make_image(3 << 20, 0, 4 << 20, kFlags4kAnywhere);  // larger than the first inflate buffer
  const auto gz = gzip(img);
  BOOST_REQUIRE(gz.size() < img.size());
  BOOST_REQUIRE(gz[0] == 0x1f && gz[1] == 0x8b);
  const KernelImage k = parse_kernel(gz, "Image.gz");
  BOOST_TEST(k.was_gzip);
  BOOST_TEST(k.bytes == img);
  BOOST_TEST(k.header.image_size == uint64_t{4} << 20);
}

BOOST_AUTO_TEST_CASE(garbage_or_truncated_gzip_is_refused_naming_the_file) {
  std::vector<uint8_t> garbage{0x1f, 0x8b, 0x08, 0x00};
  for (int i = 0; i < 200; ++i) garbage.push_back(static_cast<uint8_t>(i * 37 + 11));
  expect_input_error([&] { parse_kernel(garbage, "junk.gz"); }, "junk.gz", "gzip");

  const auto gz = gzip(make_image(65536, 0, 0x20000, kFlags4kAnywhere));
  const std::vector<uint8_t> cut(gz.begin(), gz.begin() + static_cast<long>(gz.size() / 2));
  expect_input_error([&] { parse_kernel(cut, "cut.gz"); }, "cut.gz", "corrupt gzip data");

  // Valid gzip of something that is not an Image: the header check speaks of the inflated data.
  const auto text = gzip(std::vector<uint8_t>(4096, 'x'));
  expect_input_error([&] { parse_kernel(text, "text.gz"); }, "text.gz", "inflated kernel");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(initrd_and_dtb_files)

BOOST_AUTO_TEST_CASE(initrd_formats_the_kernel_unpacks_are_accepted_others_refused) {
  const std::vector<std::vector<uint8_t>> good = {
      {'0', '7', '0', '7', '0', '1', '0', '0'},  // cpio newc
      {'0', '7', '0', '7', '0', '2', '0', '0'},  // cpio crc
      gzip({1, 2, 3}),
      {'B', 'Z', 'h', '9'},
      {0xfd, '7', 'z', 'X', 'Z', 0x00, 0x00},
      {0x28, 0xb5, 0x2f, 0xfd, 0x00},
  };
  for (const auto& g : good) BOOST_CHECK_NO_THROW(check_initrd(g, "initrd"));
  expect_input_error([] { check_initrd({}, "empty.cpio"); }, "empty.cpio", "empty");
  const std::vector<uint8_t> elf{0x7f, 'E', 'L', 'F', 2, 1, 1, 0};
  expect_input_error([&] { check_initrd(elf, "vmlinux.as-initrd"); }, "vmlinux.as-initrd", "not an initrd");
  // "07070" followed by another digit is an old binary/odc cpio the kernel does not take.
  const std::vector<uint8_t> odc{'0', '7', '0', '7', '0', '7'};
  expect_input_error([&] { check_initrd(odc, "odc.cpio"); }, "odc.cpio", "not an initrd");
}

MachineDesc one_cpu_machine() {
  MachineDesc m;
  m.ram_base = 0x40000000;
  m.ram_size = 64 << 20;
  m.mpidrs = {0x80000000};
  m.gic_dist = 0x08000000;
  m.gic_redist = 0x080a0000;
  m.uart = 0x09000000;
  return m;
}

BOOST_AUTO_TEST_CASE(dtb_header_truncation_and_size_limit) {
  const auto dtb = make_dtb(one_cpu_machine());
  BOOST_CHECK_NO_THROW(check_dtb(dtb, "good.dtb"));
  // An unaligned copy of the blob is still read (libfdt needs alignment; the checker copies).
  std::vector<uint8_t> shifted(dtb.size() + 1);
  std::memcpy(shifted.data() + 1, dtb.data(), dtb.size());
  BOOST_CHECK_NO_THROW(check_dtb(std::span<const uint8_t>(shifted).subspan(1), "odd.dtb"));

  auto bad = dtb;
  bad[0] = 0xde;
  expect_input_error([&] { check_dtb(bad, "bad.dtb"); }, "bad.dtb", "0xd00dfeed");
  const std::vector<uint8_t> cut(dtb.begin(), dtb.begin() + static_cast<long>(dtb.size() - 8));
  expect_input_error([&] { check_dtb(cut, "cut.dtb"); }, "cut.dtb", "truncated");
  expect_input_error([&] { check_dtb(std::vector<uint8_t>(20, 0), "tiny.dtb"); }, "tiny.dtb", "shorter than its header");
  // totalsize above 2 MiB (booting.rst: the DTB must not exceed 2 megabytes).
  std::vector<uint8_t> big((2u << 20) + 8, 0);
  std::memcpy(big.data(), dtb.data(), dtb.size());
  test::put_le(big, 4, 0, 4);
  const uint32_t total = static_cast<uint32_t>(big.size());
  big[4] = static_cast<uint8_t>(total >> 24), big[5] = static_cast<uint8_t>(total >> 16),
  big[6] = static_cast<uint8_t>(total >> 8), big[7] = static_cast<uint8_t>(total);  // big-endian field
  expect_input_error([&] { check_dtb(big, "huge.dtb"); }, "huge.dtb", "2 MiB");
}

// A blob older than version 16 (node names were full paths) is refused, naming its version:
// libfdt 1.6's full check read through a null name for such a blob whose root is named ""
// (found by fuzz_linux_boot; regression seeds tests/fuzz/corpus/linux_boot/regression-old-version-*).
BOOST_AUTO_TEST_CASE(dtb_older_than_version_16_is_refused) {
  const MachineDesc m = one_cpu_machine();
  auto old = make_dtb(m);
  fdt_set_version(old.data(), 2);
  fdt_set_last_comp_version(old.data(), 2);
  expect_input_error([&] { check_dtb(old, "v2.dtb"); }, "v2.dtb", "version 2: only versions 16 and 17");
  expect_input_error([&] { patch_dtb(old, m, "v2.dtb"); }, "v2.dtb", "version 2: only versions 16 and 17");
  fdt_set_version(old.data(), 16);
  fdt_set_last_comp_version(old.data(), 16);
  BOOST_CHECK_NO_THROW(check_dtb(old, "v16.dtb"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace pmuemu::boot
