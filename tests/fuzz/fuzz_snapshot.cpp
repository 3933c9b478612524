// Snapshot loader: any input is either a snapshot that passed every check or a
// pmuemu::InputError; never a crash, a read outside the input or a huge allocation.
//
// A snapshot ends with the FNV-1a 64 checksum of everything before it, so a mutated
// input almost never gets past the checksum test. For inputs of even length the fuzzer
// therefore rewrites the last 8 bytes with the right checksum, which sends the mutations
// into the parser behind it; odd lengths keep exercising the checksum test itself.
#include <cstdint>
#include <cstring>
#include <vector>

#include "emu/common/errors.h"
#include "emu/vmm/snapshot.h"

namespace {
uint64_t fnv1a64(const uint8_t* p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

// The RAM size the header claims (docs/snapshot.md: magic, version, three strings, PMU
// flag and IRQ, vCPU count, RAM base, RAM size), or 0 when the input is too short.
uint64_t claimed_ram_size(const std::vector<uint8_t>& b) {
  size_t pos = 12;
  for (int i = 0; i < 3; ++i) {
    uint32_t n;
    if (b.size() < pos + 4) return 0;
    std::memcpy(&n, b.data() + pos, 4);
    pos += 4 + size_t{n};
  }
  pos += 1 + 4 + 4 + 8;
  uint64_t size = 0;
  if (b.size() < pos + 8) return 0;
  std::memcpy(&size, b.data() + pos, 8);
  return size;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> bytes(data, data + size);
  if (size >= 8 && size % 2 == 0) {
    const uint64_t h = fnv1a64(bytes.data(), size - 8);
    std::memcpy(bytes.data() + size - 8, &h, 8);
  }
  // A well-formed snapshot of a VM with up to 4 GiB of RAM allocates that RAM by design;
  // the fuzzer keeps to 64 MiB so that its RSS limit catches real leaks and blow-ups.
  // Sizes the loader must refuse (above 4 GiB, not page-aligned) are still fuzzed.
  const uint64_t ram = claimed_ram_size(bytes);
  if (ram > (64ull << 20) && ram <= (4096ull << 20) && ram % 4096 == 0) return 0;
  try {
    const auto s = pmuemu::vmm::parse_snapshot(bytes, "fuzz.snap");
    if (s.cpus.size() != s.vcpus || s.ram.size() != s.ram_size || s.vgic.cpus.size() != s.vcpus) __builtin_trap();
  } catch (const pmuemu::InputError&) {
  }
  return 0;
}
