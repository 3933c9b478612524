// VM snapshots: what `pmuemu run --save` writes and `--restore` reads (docs/snapshot.md).
// A versioned, checksummed binary file: the VM configuration the VMM chose, every vCPU's
// registers as (ONE_REG id, value) pairs in GET_REG_LIST order, the vGIC state and the
// non-zero pages of guest RAM.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kvm_model/vgic/vgic.h"

namespace pmuemu::vmm {

// Version 2 stores each register with the size its ONE_REG id names (4, 8 or 16 bytes: the
// V registers are U128, FPSR/FPCR U32); version 1 (every value 8 bytes, no SIMD&FP state)
// is still read: see parse_snapshot.
inline constexpr uint32_t kSnapshotVersion = 2;

// What "newest" meant in every build that wrote it into a snapshot: the era is stored by its
// canonical name since, so a later newest era cannot change what an old file restores under.
inline constexpr std::string_view kEraNewestBeforeNames = "6.16";

// A register value as KVM_GET_ONE_REG's buffer holds it: the low one_reg_size(id) bytes,
// little-endian (lo = bits 63:0, hi = bits 127:64 of a U128 register).
struct RegValue {
  uint64_t lo = 0, hi = 0;
  bool operator==(const RegValue&) const = default;
};

struct SnapshotVcpu {
  uint32_t id = 0;
  uint32_t mp_state = 0;
  std::vector<std::pair<uint64_t, RegValue>> regs;  // GET_REG_LIST order
};

struct Snapshot {
  uint32_t format_version = kSnapshotVersion;  // as read from the file (save writes the current one)
  // The VM configuration the VMM chose (restored in the same order on the destination).
  std::string source_host;
  // The KVM era the VM ran under, by its canonical name (kvm_model::vpmu::era_name). A restore
  // under another era is refused unless asked for (docs/snapshot.md). Files written before
  // names were canonical may say "newest": the loader reads that as kEraNewestBeforeNames.
  std::string kvm_era;
  std::string pmu_core;      // "" = the default PMU
  bool pmu = true;
  uint32_t pmu_irq = 23;
  uint32_t vcpus = 1;
  uint64_t ram_base = 0, ram_size = 0;
  uint64_t instructions = 0;  // guest instructions executed before the save
  uint32_t resets = 0;
  std::vector<SnapshotVcpu> cpus;
  kvm_model::vgic::VgicState vgic;
  std::vector<uint8_t> ram;   // ram_size bytes
};

// Writes to a temporary file in the same directory, then renames it over `path`, so a
// crash or a full disk never leaves a file that restores to a wrong state. Throws
// std::runtime_error naming the file on I/O errors.
void save_snapshot(const std::filesystem::path& path, const Snapshot& s);

// Reads and validates (magic, version, checksum, sizes). A version 1 file (written before
// pmuemu executed SIMD&FP instructions) is upgraded: its registers keep their values, and
// V0-V31, FPSR and FPCR, which it does not hold, stay at the destination vCPU's reset
// values (zero) -- exactly what they were then, since no instruction could write V
// registers, and FPSR/FPCR were not part of the saved state either.
//  Throws pmuemu::InputError
// ("<file>: <what is wrong>") for a missing, truncated, corrupted or foreign file.
Snapshot load_snapshot(const std::filesystem::path& path);
// The same checks on bytes already in memory; `name` prefixes the error messages.
Snapshot parse_snapshot(const std::vector<uint8_t>& bytes, const std::string& name);

}  // namespace pmuemu::vmm
