// The device tree make_dtb() generates, read back with libfdt and checked against the
// bindings the kernel reads it with (memory, cpus/psci, arm,gic-v3, arm,armv8-timer,
// arm,armv8-pmuv3, arm,pl011, virtio,mmio, chosen).
#include <boost/test/unit_test.hpp>

extern "C" {
#include <libfdt.h>
}

#include <cstring>
#include <string>
#include <vector>

#include "emu/boot/linux_boot.h"
#include "tests/unit/boot/boot_helpers.h"

namespace pmuemu::boot {
namespace {

constexpr uint64_t kRam = 0x40000000, kRamSize = uint64_t{256} << 20;
constexpr uint64_t kDist = 0x08000000, kRedist = 0x080a0000, kUart = 0x09000000;
constexpr uint64_t kInitrd = 0x48000000, kInitrdSize = 0x123456;
// Interrupt specifier cells (arm,gic-v3 binding): type (0 SPI, 1 PPI), number, trigger
// (1 edge rising, 4 level high). PPI numbers are INTID - 16, SPI numbers INTID - 32.
constexpr uint32_t kSpi = 0, kPpi = 1, kEdge = 1, kLevel = 4;

MachineDesc machine(uint64_t seed = 42) {
  MachineDesc m;
  m.ram_base = kRam;
  m.ram_size = kRamSize;
  // MPIDR_EL1 values as KVM reports them: bit 31 is RES1; the DT cpu reg holds Aff2..Aff0.
  m.mpidrs = {0x80000000, 0x80000001, 0x80000100};
  m.gic_dist = kDist;
  m.gic_redist = kRedist;
  m.pmu_intid = 23;  // KVM's default PMU PPI
  m.uart = kUart;
  m.uart_spi = 1;
  m.virtio = {{0x0a000000, 0x200, 16}, {0x0a000200, 0x200, 17}};
  m.bootargs = "console=ttyAMA0 earlycon root=/dev/vda";
  m.initrd = kInitrd;
  m.initrd_size = kInitrdSize;
  m.seed = seed;
  return m;
}

// The blob in 8-byte aligned storage, as libfdt requires.
struct Fdt {
  explicit Fdt(const std::vector<uint8_t>& b) : words((b.size() + 7) / 8), size(b.size()) {
    std::memcpy(words.data(), b.data(), b.size());
    BOOST_REQUIRE_EQUAL(fdt_check_full(p(), size), 0);
  }
  const void* p() const { return words.data(); }
  int path(const char* path) const {
    const int n = fdt_path_offset(p(), path);
    BOOST_TEST_INFO("path " << path);
    BOOST_REQUIRE_GE(n, 0);
    return n;
  }
  int compatible(const char* c, int after = -1) const { return fdt_node_offset_by_compatible(p(), after, c); }
  std::vector<uint8_t> prop(int node, const char* name) const {
    int len = 0;
    const auto* v = static_cast<const uint8_t*>(fdt_getprop(p(), node, name, &len));
    BOOST_TEST_INFO("property " << name << " of " << fdt_get_name(p(), node, nullptr));
    BOOST_REQUIRE(v != nullptr);
    return {v, v + len};
  }
  bool has(int node, const char* name) const { return fdt_getprop(p(), node, name, nullptr) != nullptr; }
  std::string str(int node, const char* name) const {
    auto v = prop(node, name);
    BOOST_REQUIRE(!v.empty() && v.back() == 0);
    return std::string(v.begin(), v.end() - 1);
  }
  std::vector<uint32_t> cells(int node, const char* name) const {
    auto v = prop(node, name);
    BOOST_REQUIRE(v.size() % 4 == 0);
    std::vector<uint32_t> out;
    for (size_t i = 0; i < v.size(); i += 4)
      out.push_back(uint32_t{v[i]} << 24 | uint32_t{v[i + 1]} << 16 | uint32_t{v[i + 2]} << 8 | v[i + 3]);
    return out;
  }
  uint32_t u32(int node, const char* name) const {
    auto c = cells(node, name);
    BOOST_REQUIRE_EQUAL(c.size(), 1u);
    return c[0];
  }
  uint64_t u64(int node, const char* name) const {
    auto c = cells(node, name);
    BOOST_REQUIRE_EQUAL(c.size(), 2u);
    return uint64_t{c[0]} << 32 | c[1];
  }
  // reg with #address-cells = #size-cells = 2: (address, size) pairs.
  std::vector<uint64_t> reg64(int node) const {
    auto c = cells(node, "reg");
    BOOST_REQUIRE(c.size() % 4 == 0);
    std::vector<uint64_t> out;  // address, size, address, size, ...
    for (size_t i = 0; i < c.size(); i += 2) out.push_back(uint64_t{c[i]} << 32 | c[i + 1]);
    return out;
  }
  std::vector<uint64_t> words;
  size_t size;
};

using Ranges = std::vector<uint64_t>;  // (address, size) pairs, flattened
using Cells = std::vector<uint32_t>;

BOOST_AUTO_TEST_SUITE(generated_dtb)

BOOST_AUTO_TEST_CASE(is_a_valid_blob_the_checker_takes) {
  const auto dtb = make_dtb(machine());
  BOOST_CHECK_NO_THROW(check_dtb(dtb, "generated"));
  Fdt f(dtb);
  BOOST_TEST(fdt_version(f.p()) >= 16u);  // check_dtb takes version 16 and later
  BOOST_TEST(f.u32(0, "#address-cells") == 2u);
  BOOST_TEST(f.u32(0, "#size-cells") == 2u);
}

BOOST_AUTO_TEST_CASE(memory_node_covers_ram) {
  Fdt f(make_dtb(machine()));
  const int mem = f.path("/memory@40000000");
  BOOST_TEST(f.str(mem, "device_type") == "memory");
  BOOST_TEST(f.reg64(mem) == (Ranges{kRam, kRamSize}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(one_cpu_node_per_vcpu_with_its_mpidr_and_psci) {
  Fdt f(make_dtb(machine()));
  const int cpus = f.path("/cpus");
  BOOST_TEST(f.u32(cpus, "#address-cells") == 1u);
  BOOST_TEST(f.u32(cpus, "#size-cells") == 0u);
  std::vector<uint32_t> regs;
  int n = 0;
  int cpu;
  fdt_for_each_subnode(cpu, f.p(), cpus) {
    ++n;
    BOOST_TEST(f.str(cpu, "device_type") == "cpu");
    BOOST_TEST(f.str(cpu, "enable-method") == "psci");
    const uint32_t reg = f.u32(cpu, "reg");
    regs.push_back(reg);
    char expect_name[32];
    std::snprintf(expect_name, sizeof expect_name, "cpu@%x", reg);
    BOOST_TEST(std::string(fdt_get_name(f.p(), cpu, nullptr)) == expect_name);
  }
  BOOST_TEST(n == 3);
  // MPIDR_EL1 Aff2..Aff0 (bits 23:0), without bit 31: 0, 1 and Aff1 = 1.
  BOOST_TEST(regs == (Cells{0x0, 0x1, 0x100}), boost::test_tools::per_element());

  const int psci = f.path("/psci");
  const auto compat = f.prop(psci, "compatible");
  const std::string list(compat.begin(), compat.end());
  BOOST_TEST(list.find(std::string("arm,psci-0.2") + '\0') != std::string::npos);
  BOOST_TEST(f.str(psci, "method") == "hvc");  // a KVM guest calls PSCI through HVC
}

BOOST_AUTO_TEST_CASE(gic_v3_distributor_and_redistributor_ranges) {
  const auto m = machine();
  Fdt f(make_dtb(m));
  const int gic = f.compatible("arm,gic-v3");
  BOOST_REQUIRE_GE(gic, 0);
  BOOST_TEST(f.has(gic, "interrupt-controller"));
  BOOST_TEST(f.u32(gic, "#interrupt-cells") == 3u);
  BOOST_TEST(f.u32(gic, "#redistributor-regions") == 1u);
  // GICD: 64 KiB. GICR: RD_base + SGI_base frames, 2 x 64 KiB per vCPU, three vCPUs.
  BOOST_TEST(f.reg64(gic) == (Ranges{kDist, 0x10000, kRedist, 3 * 2 * 0x10000}),
             boost::test_tools::per_element());
  // Every interrupt in the tree goes to this controller.
  BOOST_TEST(f.u32(0, "interrupt-parent") == fdt_get_phandle(f.p(), gic));
  BOOST_TEST(fdt_get_phandle(f.p(), gic) != 0u);
}

BOOST_AUTO_TEST_CASE(timer_and_pmu_interrupts) {
  Fdt f(make_dtb(machine()));
  const int timer = f.compatible("arm,armv8-timer");
  BOOST_REQUIRE_GE(timer, 0);
  // The architected timer's PPIs in the binding's order: secure physical (INTID 29),
  // non-secure physical (30), virtual (27), hypervisor (26).
  BOOST_TEST(f.cells(timer, "interrupts") ==
                 (Cells{kPpi, 29 - 16, kLevel, kPpi, 30 - 16, kLevel, kPpi, 27 - 16, kLevel, kPpi, 26 - 16, kLevel}),
             boost::test_tools::per_element());
  const int pmu = f.compatible("arm,armv8-pmuv3");
  BOOST_REQUIRE_GE(pmu, 0);
  BOOST_TEST(f.cells(pmu, "interrupts") == (Cells{kPpi, 23 - 16, kLevel}), boost::test_tools::per_element());

  // No PMU (pmu_intid -1) or an INTID that is not a PPI: no node.
  for (int intid : {-1, 15, 32}) {
    auto m = machine();
    m.pmu_intid = intid;
    Fdt g(make_dtb(m));
    BOOST_TEST(g.compatible("arm,armv8-pmuv3") < 0, "pmu_intid " << intid);
  }
}

BOOST_AUTO_TEST_CASE(pl011_and_virtio_mmio_nodes) {
  Fdt f(make_dtb(machine()));
  const int uart = f.compatible("arm,pl011");
  BOOST_REQUIRE_GE(uart, 0);
  BOOST_TEST(std::string(fdt_get_name(f.p(), uart, nullptr)) == "pl011@9000000");
  BOOST_TEST(f.str(uart, "compatible").substr(0, 9) == "arm,pl011");
  BOOST_TEST(f.reg64(uart) == (Ranges{kUart, 0x1000}), boost::test_tools::per_element());
  BOOST_TEST(f.cells(uart, "interrupts") == (Cells{kSpi, 1, kLevel}), boost::test_tools::per_element());
  // Both clocks resolve to a fixed clock with a frequency.
  for (uint32_t ph : f.cells(uart, "clocks")) {
    const int clk = fdt_node_offset_by_phandle(f.p(), ph);
    BOOST_REQUIRE_GE(clk, 0);
    BOOST_TEST(f.str(clk, "compatible") == "fixed-clock");
    BOOST_TEST(f.u32(clk, "clock-frequency") == 24000000u);
  }

  std::vector<std::pair<Ranges, Cells>> virtio;
  for (int v = f.compatible("virtio,mmio"); v >= 0; v = f.compatible("virtio,mmio", v))
    virtio.emplace_back(f.reg64(v), f.cells(v, "interrupts"));
  BOOST_REQUIRE_EQUAL(virtio.size(), 2u);
  BOOST_TEST(virtio[0].first == (Ranges{0x0a000000, 0x200}), boost::test_tools::per_element());
  BOOST_TEST(virtio[0].second == (Cells{kSpi, 16, kEdge}), boost::test_tools::per_element());
  BOOST_TEST(virtio[1].first == (Ranges{0x0a000200, 0x200}), boost::test_tools::per_element());
  BOOST_TEST(virtio[1].second == (Cells{kSpi, 17, kEdge}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(chosen_bootargs_stdout_and_initrd) {
  Fdt f(make_dtb(machine()));
  const int chosen = f.path("/chosen");
  BOOST_TEST(f.str(chosen, "bootargs") == "console=ttyAMA0 earlycon root=/dev/vda");
  // stdout-path is a path that resolves to the PL011 node.
  const std::string out = f.str(chosen, "stdout-path");
  BOOST_TEST(fdt_path_offset(f.p(), out.c_str()) == f.compatible("arm,pl011"));
  // linux,initrd-end is exclusive: start + size.
  BOOST_TEST(f.u64(chosen, "linux,initrd-start") == kInitrd);
  BOOST_TEST(f.u64(chosen, "linux,initrd-end") == kInitrd + kInitrdSize);

  auto m = machine();
  m.initrd_size = 0;
  Fdt g(make_dtb(m));
  BOOST_TEST(!g.has(g.path("/chosen"), "linux,initrd-start"));
  BOOST_TEST(!g.has(g.path("/chosen"), "linux,initrd-end"));
}

BOOST_AUTO_TEST_CASE(rng_and_kaslr_seeds_follow_the_run_seed) {
  const auto a1 = make_dtb(machine(42)), a2 = make_dtb(machine(42)), b = make_dtb(machine(43));
  BOOST_TEST(a1 == a2);  // same inputs, byte-identical blob
  Fdt fa(a1), fb(b);
  const int ca = fa.path("/chosen"), cb = fb.path("/chosen");
  const auto rng_a = fa.prop(ca, "rng-seed"), rng_b = fb.prop(cb, "rng-seed");
  BOOST_TEST(rng_a.size() >= 32u);  // enough entropy to seed the kernel's CRNG
  BOOST_TEST(rng_a == rng_seed_bytes(42));
  BOOST_TEST(rng_a != rng_b);
  BOOST_TEST(fa.u64(ca, "kaslr-seed") == kaslr_seed_value(42));
  BOOST_TEST(fa.u64(ca, "kaslr-seed") != fb.u64(cb, "kaslr-seed"));
  BOOST_TEST(fa.u64(ca, "kaslr-seed") != 0u);  // a non-zero seed turns KASLR on
  // The rng-seed is not the kaslr-seed repeated: the two are separate streams.
  uint64_t first = 0;
  std::memcpy(&first, rng_a.data(), 8);
  BOOST_TEST(first != kaslr_seed_value(42));
  // Seed 0: kaslr-seed 0, which the kernel reads as "no KASLR".
  Fdt f0(make_dtb(machine(0)));
  BOOST_TEST(f0.u64(f0.path("/chosen"), "kaslr-seed") == 0u);
  // Only chosen changes with the seed: the blobs have the same size.
  BOOST_TEST(a1.size() == b.size());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(patched_dtb)

// A minimal user DTB without /chosen, built here with libfdt's sequential writer.
std::vector<uint8_t> user_dtb_without_chosen() {
  std::vector<uint8_t> buf(4096);
  BOOST_REQUIRE_EQUAL(fdt_create(buf.data(), static_cast<int>(buf.size())), 0);
  BOOST_REQUIRE_EQUAL(fdt_finish_reservemap(buf.data()), 0);
  BOOST_REQUIRE_EQUAL(fdt_begin_node(buf.data(), ""), 0);
  BOOST_REQUIRE_EQUAL(fdt_property_string(buf.data(), "model", "user board"), 0);
  BOOST_REQUIRE_EQUAL(fdt_end_node(buf.data()), 0);
  BOOST_REQUIRE_EQUAL(fdt_finish(buf.data()), 0);
  buf.resize(fdt_totalsize(buf.data()));
  return buf;
}

BOOST_AUTO_TEST_CASE(chosen_is_added_and_filled_in) {
  const auto m = machine(7);
  Fdt f(patch_dtb(user_dtb_without_chosen(), m, "board.dtb"));
  BOOST_TEST(f.str(0, "model") == "user board");  // the user's tree is kept
  const int chosen = f.path("/chosen");
  BOOST_TEST(f.str(chosen, "bootargs") == m.bootargs);
  BOOST_TEST(f.u64(chosen, "linux,initrd-start") == kInitrd);
  BOOST_TEST(f.u64(chosen, "linux,initrd-end") == kInitrd + kInitrdSize);
  BOOST_TEST(f.prop(chosen, "rng-seed") == rng_seed_bytes(7));
  BOOST_TEST(f.u64(chosen, "kaslr-seed") == kaslr_seed_value(7));
}

BOOST_AUTO_TEST_CASE(empty_bootargs_keep_the_users) {
  auto gen = machine();
  gen.bootargs = "from the file";
  const auto user = make_dtb(gen);
  auto m = machine(9);
  m.bootargs.clear();
  Fdt f(patch_dtb(user, m, "board.dtb"));
  BOOST_TEST(f.str(f.path("/chosen"), "bootargs") == "from the file");
  BOOST_TEST(f.u64(f.path("/chosen"), "kaslr-seed") == kaslr_seed_value(9));
}

BOOST_AUTO_TEST_CASE(a_bad_user_dtb_is_refused_naming_it) {
  test::expect_input_error([] { patch_dtb(std::vector<uint8_t>(64, 0xff), machine(), "my.dtb"); }, "my.dtb",
                           "not a device tree blob");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace pmuemu::boot
