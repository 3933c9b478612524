// The vpmu_counter_access conformance engine behind `pmuemu conformance`: the Linux KVM
// selftest's cases (docs/conformance.md lists them) run against the KVM model, row by row.
//
// For every N from 0 to the host maximum (the counters of the VM's default PMU, i.e. of the
// cluster of the VMM's pCPU):
//   set-pmcr-n       6.3 test_create_vpmu_vm_with_pmcr_n(N, expect_fail=false), host side
//   access-run1/2    6.5/6.4 run_access_test(N): the guest guests/conformance/
//                    vpmu_counter_access.c through the VMM (vmm::run_guest with --pmcr-n N
//                    --arg N); run 2 follows a vCPU re-init (PSCI SYSTEM_RESET)
//   pmregs-validity  6.6 run_pmregs_validity_test(N), host side
// and for every N above the maximum up to 31:
//   error            6.7 run_error_test(N): SET succeeds and PMCR_EL0 reads back unchanged.
// Plus one max-n row: 6.8's get_pmcr_n_limit() must equal the cluster's counters.
//
// Host-side cases drive kvm_model's KVM-shaped API directly, in the order the selftest's
// create_vpmu_vm() issues its ioctls. docs/conformance.md explains the table.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "emu/config/host_config.h"
#include "kvm_model/vpmu/era.h"

namespace pmuemu::conformance {

// One row of the table. A failure's detail starts with the check that failed ("G3.a",
// "step4", "SET", ...), which tests/conformance compares against the expected failures.
struct Case {
  Case(unsigned n_, std::string name_, std::string expected_)
      : n(n_), name(std::move(name_)), expected(std::move(expected_)) {}
  unsigned n;
  std::string name;
  std::string expected;
  bool pass = false;
  std::string detail;
  // Host-side cases: KVM_GET_ONE_REG(ID_AA64DFR0_EL1) was -ENOENT and the PMUVer check
  // read the VM's PMUVer instead.
  bool dfr0_fallback = false;
  // access-run1: everything the guest printed in its run (both rows come from one run).
  std::string guest_output;
};

// What one conformance run is about: the host, the kernel era and the guest ELF of the
// access cases; the VMM and vCPU threads run on `pcpu`.
struct Target {
  const config::Host* host;
  kvm_model::vpmu::Era era;
  std::string era_text;  // as the user named it (the VMM runs of the access cases take it)
  std::string guest;
  uint32_t pcpu;
};

// The cluster of `pcpu`: its index, core type and PMU counters (the host maximum N).
struct ClusterInfo {
  uint32_t index = 0;
  std::string core;
  unsigned max_n = 0;
};
ClusterInfo cluster_of(const config::Host& host, uint32_t pcpu);

// Runs every case in table order (max-n; for each N up to the maximum set-pmcr-n,
// access-run1/2 and pmregs-validity; error above it; then the era entries) and hands each
// row to `row` as soon as it is known. Host errors (a guest that cannot be loaded) throw.
void run_vpmu_counter_access(const Target& t, const std::function<void(const Case&)>& row);

}  // namespace pmuemu::conformance
