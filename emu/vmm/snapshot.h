// VM snapshots: what `pmuemu run --save` writes and `--restore` reads (docs/snapshot.md).
// A versioned, checksummed binary file: the VM configuration the VMM chose, every vCPU's
// registers as (ONE_REG id, value) pairs in GET_REG_LIST order, the vGIC state and the
// non-zero pages of guest RAM.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "kvm_model/vgic/vgic.h"

namespace pmuemu::vmm {

inline constexpr uint32_t kSnapshotVersion = 1;

struct SnapshotVcpu {
  uint32_t id = 0;
  uint32_t mp_state = 0;
  std::vector<std::pair<uint64_t, uint64_t>> regs;  // GET_REG_LIST order
};

struct Snapshot {
  // The VM configuration the VMM chose (restored in the same order on the destination).
  std::string source_host;
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

// Reads and validates (magic, version, checksum, sizes). Throws pmuemu::InputError
// ("<file>: <what is wrong>") for a missing, truncated, corrupted or foreign file.
Snapshot load_snapshot(const std::filesystem::path& path);
// The same checks on bytes already in memory; `name` prefixes the error messages.
Snapshot parse_snapshot(const std::vector<uint8_t>& bytes, const std::string& name);

}  // namespace pmuemu::vmm
