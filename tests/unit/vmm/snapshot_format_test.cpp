// The snapshot format's register records: version 2 stores each register with its ONE_REG
// size (V registers 16 bytes, FPSR/FPCR 4), version 1 files (8 bytes per register, no
// SIMD&FP state) are still read with every value intact, and a record of a size KVM has
// no register for is refused, never misread.
#include <boost/test/unit_test.hpp>

#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <unistd.h>

#include "emu/vmm/snapshot.h"
#include "kvm_model/uapi.h"

namespace vm = pmuemu::vmm;
namespace km = kvm_model;

namespace {

vm::Snapshot small(bool with_fpsimd) {
  vm::Snapshot s;
  s.source_host = "h";
  s.kvm_era = "6.7";
  s.ram_base = 0x40000000;
  s.ram_size = 4096;
  s.ram.assign(4096, 0);
  s.ram[10] = 7;
  vm::SnapshotVcpu c;
  c.regs.push_back({km::kRegX(3), {0x1122334455667788ull, 0}});
  if (with_fpsimd) {
    c.regs.push_back({km::kRegV(9), {0x0123456789abcdefull, 0xfedcba9876543210ull}});
    c.regs.push_back({km::kRegFpcr, {0x03c00000, 0}});
  }
  s.cpus.push_back(c);
  s.vgic.cpus.resize(1);
  return s;
}

std::vector<uint8_t> bytes_of(const vm::Snapshot& s) {
  const auto path = std::filesystem::temp_directory_path() / ("pmuemu_snap_" + std::to_string(::getpid()));
  vm::save_snapshot(path, s);
  std::vector<uint8_t> b(std::filesystem::file_size(path));
  std::FILE* f = std::fopen(path.c_str(), "rb");
  BOOST_REQUIRE(f != nullptr);
  BOOST_REQUIRE(std::fread(b.data(), 1, b.size(), f) == b.size());
  std::fclose(f);
  std::filesystem::remove(path);
  return b;
}

// FNV-1a 64 over everything before the trailing checksum (docs/snapshot.md).
void reseal(std::vector<uint8_t>& b) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < b.size() - 8; ++i) h = (h ^ b[i]) * 0x100000001b3ull;
  std::memcpy(b.data() + b.size() - 8, &h, 8);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(snapshot_format)

BOOST_AUTO_TEST_CASE(version_2_carries_v_registers_fpsr_and_fpcr_exactly) {
  const vm::Snapshot s = small(true);
  const auto b = bytes_of(s);
  uint32_t version;
  std::memcpy(&version, b.data() + 8, 4);
  BOOST_TEST(version == 2u);
  // One U128 and one U32 record: 8 + 16 and 8 + 4 bytes beside the U64 record.
  BOOST_TEST(b.size() == bytes_of(small(false)).size() + (8 + 16) + (8 + 4));
  const vm::Snapshot r = vm::parse_snapshot(b, "x.snap");
  BOOST_REQUIRE(r.cpus.size() == 1u);
  BOOST_TEST((r.cpus[0].regs == s.cpus[0].regs));
}

BOOST_AUTO_TEST_CASE(a_version_1_file_is_upgraded_with_every_value_intact) {
  // A version 1 file: the same bytes as version 2 when every register is U64.
  auto b = bytes_of(small(false));
  const uint32_t one = 1;
  std::memcpy(b.data() + 8, &one, 4);
  reseal(b);
  const vm::Snapshot r = vm::parse_snapshot(b, "old.snap");
  BOOST_REQUIRE(r.cpus.size() == 1u);
  BOOST_REQUIRE(r.cpus[0].regs.size() == 1u);
  BOOST_TEST(r.cpus[0].regs[0].first == km::kRegX(3));
  BOOST_TEST(r.cpus[0].regs[0].second.lo == 0x1122334455667788ull);
  BOOST_TEST(r.ram[10] == 7u);
}

BOOST_AUTO_TEST_CASE(a_record_of_a_size_no_register_has_is_refused) {
  vm::Snapshot s = small(false);
  s.cpus[0].regs[0].first = (km::kRegX(3) & ~km::KVM_REG_SIZE_MASK) | (uint64_t{5} << 52);  // 32 bytes
  auto b = bytes_of(small(false));
  // Patch the id in place (it follows the fixed header; find it by value).
  const uint64_t old_id = km::kRegX(3), new_id = s.cpus[0].regs[0].first;
  bool patched = false;
  for (size_t i = 0; i + 8 <= b.size(); ++i)
    if (std::memcmp(b.data() + i, &old_id, 8) == 0) {
      std::memcpy(b.data() + i, &new_id, 8);
      patched = true;
      break;
    }
  BOOST_REQUIRE(patched);
  reseal(b);
  try {
    vm::parse_snapshot(b, "bad.snap");
    BOOST_ERROR("accepted");
  } catch (const std::exception& e) {
    BOOST_TEST(std::string(e.what()).find("has a size of 32 bytes") != std::string::npos, e.what());
  }
  // Any version other than 1 and 2 is refused with both named.
  b = bytes_of(small(false));
  const uint32_t v3 = 3;
  std::memcpy(b.data() + 8, &v3, 4);
  reseal(b);
  try {
    vm::parse_snapshot(b, "new.snap");
    BOOST_ERROR("accepted");
  } catch (const std::exception& e) {
    BOOST_TEST(std::string(e.what()).find("snapshot version 3, this pmuemu reads versions 1 and 2") != std::string::npos,
               e.what());
  }
}

BOOST_AUTO_TEST_SUITE_END()
