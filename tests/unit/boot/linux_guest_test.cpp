// LinuxGuest: the files read and checked before the VM exists, then the boot protocol's
// memory image (kernel with its BSS zeroed, DTB, initrd) written into a RAM buffer.
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>

extern "C" {
#include <libfdt.h>
}

#include "emu/boot/linux_guest.h"
#include "tests/unit/boot/boot_helpers.h"

namespace pmuemu::boot {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  TempDir() {
    static int n = 0;
    path = fs::temp_directory_path() / ("unit_boot." + std::to_string(::getpid()) + "." + std::to_string(n++));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string write(const std::string& name, const std::vector<uint8_t>& bytes) const {
    const fs::path p = path / name;
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                              static_cast<std::streamsize>(bytes.size()));
    return p.string();
  }
  fs::path path;
};

constexpr uint64_t kRamBase = 0x40000000, kRamSize = uint64_t{32} << 20;

MachineDesc machine() {
  MachineDesc m;
  m.ram_base = kRamBase;
  m.ram_size = kRamSize;
  m.mpidrs = {0x80000000};
  m.gic_dist = 0x08000000;
  m.gic_redist = 0x080a0000;
  m.uart = 0x09000000;
  m.bootargs = "console=ttyAMA0";
  m.seed = 5;
  return m;
}

BOOST_AUTO_TEST_SUITE(linux_guest)

BOOST_AUTO_TEST_CASE(load_writes_kernel_bss_dtb_and_initrd) {
  TempDir d;
  const auto image = test::make_image(100000, 0x80000, 3u << 20, (1u << 1) | (1u << 3));
  std::vector<uint8_t> initrd{'0', '7', '0', '7', '0', '1'};
  for (int i = 0; i < 5000; ++i) initrd.push_back(static_cast<uint8_t>(i));
  LinuxGuest g({d.write("Image.gz", test::gzip(image)), d.write("initrd.cpio", initrd), ""}, kRamBase, kRamSize);
  BOOST_TEST(g.entry() == kRamBase + 0x80000);
  BOOST_TEST(g.placement().initrd_size == initrd.size());

  const auto& dtb = g.build_dtb(machine());
  // The DTB's chosen carries the initrd where it was placed, not what the caller passed.
  std::vector<uint64_t> al((dtb.size() + 7) / 8);
  std::memcpy(al.data(), dtb.data(), dtb.size());
  const int chosen = fdt_path_offset(al.data(), "/chosen");
  BOOST_REQUIRE_GE(chosen, 0);
  int len = 0;
  const auto* start = static_cast<const fdt64_t*>(fdt_getprop(al.data(), chosen, "linux,initrd-start", &len));
  BOOST_REQUIRE(start != nullptr);
  BOOST_TEST(fdt64_to_cpu(*start) == g.placement().initrd);

  std::vector<uint8_t> ram(kRamSize, 0xaa);  // what a previous run may have left
  g.load(ram.data(), kRamBase);
  const uint64_t k = g.entry() - kRamBase;
  BOOST_TEST(std::equal(image.begin(), image.end(), ram.begin() + static_cast<long>(k)));
  // image_size covers the BSS: zero from the end of the file to kernel + image_size.
  const auto bss_begin = ram.begin() + static_cast<long>(k + image.size());
  const auto bss_end = ram.begin() + static_cast<long>(k + (3u << 20));
  BOOST_TEST(std::all_of(bss_begin, bss_end, [](uint8_t b) { return b == 0; }));
  BOOST_TEST(*bss_end == 0xaa);  // and not beyond
  BOOST_TEST(std::equal(dtb.begin(), dtb.end(), ram.begin() + static_cast<long>(g.dtb_address() - kRamBase)));
  BOOST_TEST(std::equal(initrd.begin(), initrd.end(),
                        ram.begin() + static_cast<long>(g.placement().initrd - kRamBase)));
}

BOOST_AUTO_TEST_CASE(errors_name_the_file_that_is_wrong) {
  TempDir d;
  const std::string kernel = d.write("Image", test::make_image(8192, 0, 1u << 20, 1u << 1));
  const std::string bad_initrd = d.write("initrd.txt", {'h', 'e', 'l', 'l', 'o'});
  const std::string bad_dtb = d.write("board.dtb", std::vector<uint8_t>(100, 0));
  test::expect_input_error([&] { LinuxGuest({kernel, bad_initrd, ""}, kRamBase, kRamSize); }, bad_initrd,
                           "not an initrd");
  test::expect_input_error([&] { LinuxGuest({kernel, "", bad_dtb}, kRamBase, kRamSize); }, bad_dtb,
                           "device tree");
  const std::string missing = (d.path / "no-such-Image").string();
  test::expect_input_error([&] { LinuxGuest({missing, "", ""}, kRamBase, kRamSize); }, missing, "");
  // An initrd too large for RAM: the error names the kernel (whose placement fails).
  std::vector<uint8_t> big{'0', '7', '0', '7', '0', '1'};
  big.resize(40u << 20);
  const std::string big_initrd = d.write("big.cpio", big);
  test::expect_input_error([&] { LinuxGuest({kernel, big_initrd, ""}, kRamBase, kRamSize); }, kernel, "--memory");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace pmuemu::boot
