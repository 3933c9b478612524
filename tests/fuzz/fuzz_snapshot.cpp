// Snapshot loader: any input is either a snapshot that passed every check or a
// pmuemu::InputError; never a crash, a read outside the input or a huge allocation.
#include <cstdint>
#include <vector>

#include "emu/common/errors.h"
#include "emu/vmm/snapshot.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> bytes(data, data + size);
  try {
    const auto s = pmuemu::vmm::parse_snapshot(bytes, "fuzz.snap");
    if (s.cpus.size() != s.vcpus || s.ram.size() != s.ram_size || s.vgic.cpus.size() != s.vcpus) __builtin_trap();
  } catch (const pmuemu::InputError&) {
  }
  return 0;
}
