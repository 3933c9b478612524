// Where place() puts the Image, the DTB and the initrd, checked against the boot protocol's
// rules (booting.rst) rather than against fixed addresses.
#include <boost/test/unit_test.hpp>

#include "emu/boot/linux_boot.h"
#include "tests/unit/boot/boot_helpers.h"

namespace pmuemu::boot {
namespace {

constexpr uint64_t k2M = uint64_t{2} << 20, k1G = uint64_t{1} << 30, kMiB = uint64_t{1} << 20;

ImageHeader header(uint64_t text_offset, uint64_t image_size) {
  ImageHeader h;
  h.text_offset = text_offset;
  h.image_size = image_size;
  h.flags = (1u << 1) | (1u << 3);
  return h;
}

// Every rule booting.rst states for a placement, for any inputs.
void check_protocol(const Placement& p, const ImageHeader& h, uint64_t ram_base, uint64_t ram_size,
                    uint64_t initrd_size) {
  const uint64_t ram_end = ram_base + ram_size;
  // "text_offset bytes from a 2MB aligned base address anywhere in usable system RAM"
  BOOST_TEST(p.kernel % k2M == h.text_offset);
  BOOST_TEST(p.kernel >= ram_base);
  BOOST_TEST(p.kernel_end == p.kernel + h.image_size);
  // The DTB: 8-byte aligned, after the kernel's image_size (its BSS), within RAM, alone in a
  // 2 MiB region (mapped with 2 MiB blocks) so nothing else shares its attributes.
  BOOST_TEST(p.dtb % 8 == 0u);
  BOOST_TEST(p.dtb >= p.kernel_end);
  const uint64_t dtb_region = p.dtb & ~(k2M - 1);
  BOOST_TEST(dtb_region >= p.kernel_end);  // the kernel does not reach into the DTB's region
  BOOST_TEST(p.dtb + k2M <= ram_end);      // room for a DTB of the protocol's maximum size
  BOOST_TEST(p.initrd_size == initrd_size);
  if (initrd_size != 0) {
    BOOST_TEST(p.initrd >= dtb_region + k2M);  // not in the DTB's 2 MiB region
    BOOST_TEST(p.initrd % 4096 == 0u);
    BOOST_TEST(p.initrd + initrd_size <= ram_end);
    // "within a 1 GB aligned physical memory window of up to 32 GB in size that fully
    // covers the kernel Image as well"
    const uint64_t window = p.kernel & ~(k1G - 1);
    BOOST_TEST(p.initrd + initrd_size - window <= uint64_t{32} << 30);
  }
}

BOOST_AUTO_TEST_SUITE(placement)

BOOST_AUTO_TEST_CASE(kernel_at_the_start_of_ram_dtb_and_initrd_above_it) {
  const auto h = header(0, 20 * kMiB + 5);
  const Placement p = place(h, 0x40000000, 128 * kMiB, 3 * kMiB + 1, "Image");
  check_protocol(p, h, 0x40000000, 128 * kMiB, 3 * kMiB + 1);
  BOOST_TEST(p.kernel == 0x40000000u);  // RAM's base is already 2 MiB aligned
  // 20 MiB + 5 bytes end in the 2 MiB region [20, 22) MiB: the DTB takes the next one.
  BOOST_TEST(p.dtb == 0x40000000u + 22 * kMiB);
}

BOOST_AUTO_TEST_CASE(an_unaligned_ram_base_and_text_offsets) {
  for (uint64_t text_offset : {uint64_t{0}, uint64_t{0x80000}, k2M - 4096}) {
    for (uint64_t ram_base : {uint64_t{0x40000000}, uint64_t{0x40001000}, uint64_t{0x401ff000}}) {
      BOOST_TEST_CONTEXT("text_offset " << text_offset << " ram_base " << ram_base) {
        const auto h = header(text_offset, 9 * kMiB);
        const Placement p = place(h, ram_base, 64 * kMiB, 4096, "Image");
        check_protocol(p, h, ram_base, 64 * kMiB, 4096);
        // The lowest 2 MiB-aligned base inside RAM.
        const uint64_t base = (ram_base + k2M - 1) / k2M * k2M;
        BOOST_TEST(p.kernel == base + text_offset);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(no_initrd_gives_a_zero_size) {
  const auto h = header(0, 4 * kMiB);
  const Placement p = place(h, 0x40000000, 16 * kMiB, 0, "Image");
  check_protocol(p, h, 0x40000000, 16 * kMiB, 0);
  BOOST_TEST(p.initrd_size == 0u);
}

BOOST_AUTO_TEST_CASE(an_initrd_that_does_not_fit_is_refused_naming_the_kernel) {
  const auto h = header(0, 4 * kMiB);
  const uint64_t ram = 16 * kMiB;
  // Kernel [0, 4 MiB), DTB region [4, 6) MiB, initrd from 6 MiB: 10 MiB are left.
  const Placement fits = place(h, 0x40000000, ram, 10 * kMiB, "Image");
  check_protocol(fits, h, 0x40000000, ram, 10 * kMiB);
  BOOST_TEST(fits.initrd + 10 * kMiB == 0x40000000 + ram);
  // One byte more needs another page beyond RAM.
  test::expect_input_error([&] { place(h, 0x40000000, ram, 10 * kMiB + 1, "vmlinuz"); }, "vmlinuz", "--memory");
  test::expect_input_error([&] { place(h, 0x40000000, ram, 64 * kMiB, "vmlinuz"); }, "vmlinuz",
                           "the VM has 16 MiB");
}

BOOST_AUTO_TEST_CASE(a_kernel_larger_than_ram_is_refused) {
  test::expect_input_error([&] { place(header(0, 40 * kMiB), 0x40000000, 32 * kMiB, 0, "big.img"); }, "big.img",
                           "MiB of RAM");
  // The kernel fits but the DTB's 2 MiB region after it does not.
  test::expect_input_error([&] { place(header(0, 31 * kMiB), 0x40000000, 32 * kMiB, 0, "k"); }, "k", "--memory");
  // An image_size near 2^64 must not wrap around into a "fitting" placement.
  test::expect_input_error([&] { place(header(0, ~uint64_t{0} - 4095), 0x40000000, 32 * kMiB, 0, "wrap"); }, "wrap",
                           "--memory");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace pmuemu::boot
