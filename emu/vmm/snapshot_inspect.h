// Reading a snapshot without running it (`pmuemu snapshot show|diff`, docs/snapshot.md):
// the same Snapshot value load_snapshot() gives the VMM, described for people (text) and
// programs (JSON, "format": "pmuemu-snapshot"), and compared field by field.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "emu/vmm/snapshot.h"

namespace pmuemu::vmm {

// The name of a KVM ONE_REG id: X0..X30, SP, PC, PSTATE, SP_EL1, ELR_EL1, SPSR_EL1, ...,
// the architectural name of a system register (PMCR_EL0, SCTLR_EL1, CNTV_CTL_EL0, ...), else
// the generic S<op0>_<op1>_C<n>_C<m>_<op2> form, else "0x<id>".
std::string one_reg_name(uint64_t id);
// True for the PMU registers (the vPMU model's table: PMCR_EL0, PMEVCNTR<n>_EL0, ...).
bool is_pmu_one_reg(uint64_t id);

// `snapshot show`: the era, source host, PMU choice, each vCPU (power state, PC, PMCR_EL0.N,
// every PMU register by name), the vGIC summary and memory. `name` is the file name shown.
std::string describe_snapshot(const Snapshot& s, const std::string& name);
// The same content as one JSON object, every register of every vCPU by name.
std::string snapshot_json(const Snapshot& s, const std::string& name);
// `snapshot diff`: one line per difference, in a fixed order (configuration, vCPUs in id
// order and registers in list order, vGIC, RAM pages); empty when the VM states are equal.
std::vector<std::string> diff_snapshots(const Snapshot& a, const Snapshot& b);

}  // namespace pmuemu::vmm
