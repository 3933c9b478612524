// The era cases of `pmuemu conformance`: what the eras after 6.16 define (STRICT,
// fixed-counters-only, the partitioned PMU) and no upstream selftest of the 6.12 tree
// checks yet, run against the KVM model's KVM-shaped API. Where an upstream test covers a
// behaviour (vpmu_counter_access: PMCR_EL0.N, the counter bitmaps, the re-init), the
// upstream binary is what runs (selftests.h); these cases are only the rest.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "emu/config/host_config.h"
#include "kvm_model/vpmu/era.h"

namespace pmuemu::conformance {

// One case: its name, what it expects, and the outcome; a failure's detail starts with the
// check that failed.
struct EraCase {
  std::string name;
  std::string expected;
  bool pass = false;
  std::string detail;
};

// The cases `era` defines, in table order, on the VMM's pCPU `pcpu` of `host` (its cluster's
// PMU is the VM's). An era that defines none returns an empty list.
std::vector<EraCase> run_era_cases(const config::Host& host, kvm_model::vpmu::Era era, uint32_t pcpu);

}  // namespace pmuemu::conformance
