// Host YAML: any input either loads or is refused with pmuemu::InputError; anything else
// (a crash, a sanitizer report, another exception type) is a finding.
#include <cstdint>
#include <string_view>

#include "emu/common/errors.h"
#include "emu/config/host_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto host = pmuemu::config::parse_host(text, "fuzz.yaml", pmuemu::config::default_cores_dir());
    // A host that loads must be self-consistent.
    uint32_t next = 0;
    for (const auto& c : host.clusters) {
      if (c.first_pcpu != next || c.cpus == 0 || c.core.pmu_counters > 31) __builtin_trap();
      next += c.cpus;
    }
    if (host.num_pcpus() != next) __builtin_trap();
  } catch (const pmuemu::InputError&) {
  }
  return 0;
}
