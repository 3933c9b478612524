// Snapshot files as the VMM writes and reads them: every field survives save and load, the
// write is atomic (no temporary left behind, an old file replaced whole), and a file that
// is truncated, corrupted or not a snapshot is refused with one error naming it.
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "emu/common/errors.h"
#include "emu/vmm/snapshot.h"
#include "kvm_model/uapi.h"

namespace vm = pmuemu::vmm;
namespace km = kvm_model;
namespace fs = std::filesystem;

namespace {

// A private directory per test case, removed afterwards.
struct TempDir {
  fs::path dir;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "pmuemu_unit_vmm_XXXXXX").string();
    BOOST_REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    dir = tmpl;
  }
  ~TempDir() { fs::remove_all(dir); }
};

// Two vCPUs with registers of every ONE_REG size, a vGIC with SPIs and routing, and RAM
// with a pattern in its first and last page.
vm::Snapshot sample() {
  vm::Snapshot s;
  s.source_host = "big-little";
  s.kvm_era = "6.7";
  s.pmu_core = "cortex-a76";
  s.pmu = true;
  s.pmu_irq = 23;
  s.vcpus = 2;
  s.ram_base = 0x40000000;
  s.ram_size = 3 * 4096;
  s.instructions = 123456789;
  s.resets = 2;
  s.ram.assign(s.ram_size, 0);
  for (size_t i = 0; i < 4096; ++i) s.ram[i] = static_cast<uint8_t>(i * 7);
  s.ram[s.ram_size - 1] = 0xa5;
  for (uint32_t id = 0; id < 2; ++id) {
    vm::SnapshotVcpu c;
    c.id = id;
    c.mp_state = id == 0 ? 0u : 1u;  // RUNNABLE, STOPPED
    c.regs.push_back({km::kRegX(0), {0x1000 + id, 0}});
    c.regs.push_back({km::kRegPc, {0x40001000ull + id * 4, 0}});
    c.regs.push_back({km::kRegV(31), {0x0123456789abcdefull ^ id, 0xfedcba9876543210ull}});
    c.regs.push_back({km::kRegFpsr, {0x08000000, 0}});
    s.cpus.push_back(c);
  }
  s.vgic.enable_grp1 = true;
  s.vgic.spis.resize(32);
  s.vgic.spis[3].enabled = true;
  s.vgic.spis[3].priority = 0xa0;
  s.vgic.spis[5].edge = true;
  s.vgic.spis[5].latch = true;
  s.vgic.irouter.assign(32, 0);
  s.vgic.irouter[3] = 1;
  s.vgic.cpus.resize(2);
  s.vgic.cpus[1].processor_sleep = false;
  s.vgic.cpus[1].irqs[23].enabled = true;
  s.vgic.cpus[1].cpuif.pmr = 0xf0;
  s.vgic.cpus[1].cpuif.igrpen1 = true;
  return s;
}

std::vector<uint8_t> read_all(const fs::path& p) {
  std::vector<uint8_t> b(fs::file_size(p));
  std::FILE* f = std::fopen(p.c_str(), "rb");
  BOOST_REQUIRE(f != nullptr);
  BOOST_REQUIRE(std::fread(b.data(), 1, b.size(), f) == b.size());
  std::fclose(f);
  return b;
}

void write_all(const fs::path& p, const std::vector<uint8_t>& b) {
  std::FILE* f = std::fopen(p.c_str(), "wb");
  BOOST_REQUIRE(f != nullptr);
  BOOST_REQUIRE(std::fwrite(b.data(), 1, b.size(), f) == b.size());
  std::fclose(f);
}

// The InputError of loading `p`, or "" when it loads.
std::string load_error(const fs::path& p) {
  try {
    vm::load_snapshot(p);
  } catch (const pmuemu::InputError& e) {
    return e.what();
  }
  return "";
}

// Saves sample(), then for every offset (each of the first 256 bytes, then every 61st)
// writes variant(bytes, offset) and requires that loading it fails with an error naming it.
template <typename Variant>
void each_variant_is_refused(const fs::path& dir, const char* what, Variant variant) {
  const fs::path good = dir / "vm.snap", bad = dir / "bad.snap";
  vm::save_snapshot(good, sample());
  const std::vector<uint8_t> b = read_all(good);
  for (size_t at = 0; at < b.size(); at += at < 256 ? 1 : 61) {
    write_all(bad, variant(b, at));
    const std::string err = load_error(bad);
    BOOST_TEST(err.rfind(bad.string() + ": ", 0) == 0, what << " at " << at << ": '" << err << "'");
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(snapshot_file)

BOOST_AUTO_TEST_CASE(every_field_survives_save_and_load) {
  TempDir t;
  const vm::Snapshot s = sample();
  vm::save_snapshot(t.dir / "vm.snap", s);
  const vm::Snapshot r = vm::load_snapshot(t.dir / "vm.snap");
  BOOST_TEST(r.format_version == vm::kSnapshotVersion);
  BOOST_TEST(r.source_host == s.source_host);
  BOOST_TEST(r.kvm_era == s.kvm_era);
  BOOST_TEST(r.pmu_core == s.pmu_core);
  BOOST_TEST(r.pmu == s.pmu);
  BOOST_TEST(r.pmu_irq == s.pmu_irq);
  BOOST_TEST(r.vcpus == s.vcpus);
  BOOST_TEST(r.ram_base == s.ram_base);
  BOOST_TEST(r.ram_size == s.ram_size);
  BOOST_TEST(r.instructions == s.instructions);
  BOOST_TEST(r.resets == s.resets);
  BOOST_TEST((r.ram == s.ram));
  BOOST_REQUIRE(r.cpus.size() == 2u);
  for (size_t i = 0; i < 2; ++i) {
    BOOST_TEST(r.cpus[i].id == s.cpus[i].id);
    BOOST_TEST(r.cpus[i].mp_state == s.cpus[i].mp_state);
    BOOST_TEST((r.cpus[i].regs == s.cpus[i].regs));
  }
  BOOST_TEST(r.vgic.enable_grp1);
  BOOST_REQUIRE(r.vgic.spis.size() == 32u);
  BOOST_TEST(r.vgic.spis[3].enabled);
  BOOST_TEST(r.vgic.spis[3].priority == 0xa0);
  BOOST_TEST(r.vgic.spis[5].edge);
  BOOST_TEST(r.vgic.spis[5].pending());
  BOOST_TEST(!r.vgic.spis[4].enabled);
  BOOST_TEST((r.vgic.irouter == s.vgic.irouter));
  BOOST_REQUIRE(r.vgic.cpus.size() == 2u);
  BOOST_TEST(r.vgic.cpus[0].processor_sleep);
  BOOST_TEST(!r.vgic.cpus[1].processor_sleep);
  BOOST_TEST(r.vgic.cpus[1].irqs[23].enabled);
  BOOST_TEST(r.vgic.cpus[1].cpuif.pmr == 0xf0);
  BOOST_TEST(r.vgic.cpus[1].cpuif.igrpen1);
}

BOOST_AUTO_TEST_CASE(the_same_snapshot_gives_the_same_bytes) {
  TempDir t;
  vm::save_snapshot(t.dir / "a.snap", sample());
  vm::save_snapshot(t.dir / "b.snap", sample());
  BOOST_TEST((read_all(t.dir / "a.snap") == read_all(t.dir / "b.snap")));
}

BOOST_AUTO_TEST_CASE(a_save_replaces_the_old_file_whole_and_leaves_no_temporary) {
  TempDir t;
  const fs::path p = t.dir / "vm.snap";
  write_all(p, std::vector<uint8_t>(1 << 20, 0xee));  // larger than the snapshot
  vm::save_snapshot(p, sample());
  BOOST_TEST(vm::load_snapshot(p).instructions == 123456789u);
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(t.dir)) {
    (void)e;
    ++files;
  }
  BOOST_TEST(files == 1u);
}

BOOST_AUTO_TEST_CASE(a_save_into_a_missing_directory_names_the_file) {
  TempDir t;
  const fs::path p = t.dir / "no-such-dir" / "vm.snap";
  try {
    vm::save_snapshot(p, sample());
    BOOST_ERROR("saved into a missing directory");
  } catch (const std::runtime_error& e) {
    BOOST_TEST(std::string(e.what()).find(p.string()) != std::string::npos, e.what());
  }
  BOOST_TEST(!fs::exists(p));
}

BOOST_AUTO_TEST_CASE(every_truncation_is_refused) {
  TempDir t;
  // Every length short of the whole file, at a stride that still hits the header, the
  // register records and the RAM pages.
  each_variant_is_refused(t.dir, "cut", [](const std::vector<uint8_t>& b, size_t at) {
    return std::vector<uint8_t>(b.begin(), b.begin() + static_cast<long>(at));
  });
}

BOOST_AUTO_TEST_CASE(a_flipped_bit_anywhere_is_refused) {
  TempDir t;
  each_variant_is_refused(t.dir, "flipped bit", [](std::vector<uint8_t> b, size_t at) {
    b[at] ^= 0x10;
    return b;
  });
}

BOOST_AUTO_TEST_CASE(a_missing_file_and_a_foreign_file_are_refused_by_name) {
  TempDir t;
  const std::string missing = load_error(t.dir / "absent.snap");
  BOOST_TEST(missing.rfind((t.dir / "absent.snap").string() + ": ", 0) == 0, missing);
  const fs::path elf = t.dir / "guest.elf";
  std::vector<uint8_t> b(4096, 0);
  b[0] = 0x7f, b[1] = 'E', b[2] = 'L', b[3] = 'F';
  write_all(elf, b);
  const std::string foreign = load_error(elf);
  BOOST_TEST(foreign.rfind(elf.string() + ": ", 0) == 0, foreign);
}

BOOST_AUTO_TEST_SUITE_END()
