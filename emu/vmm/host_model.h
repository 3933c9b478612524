// From the host configuration (plain config structs) to the models' own parameter types:
// the timing model, the physical PMU and the identification registers of each core type.
#pragma once

#include "cpu/core.h"
#include "cpu/timing/params.h"
#include "emu/config/host_config.h"
#include "kvm_model/kvm.h"
#include "pmu/pmu.h"

namespace pmuemu::vmm {

cpu::timing::CoreTimingParams timing_params(const config::CoreType& core);
// The core's physical PMU; its events (and so PMCEID) are those it counts under the timing.
pmu::PmuConfig pmu_config(const config::CoreType& core, bool cycle_timing);
// MIDR and ID_AA64DFR0_EL1.PMUVer from the core type; the rest are the core's defaults.
cpu::IdRegs id_regs(const config::CoreType& core);
// The emulated host as the KVM model sees it: its pCPUs (identity, clock, timing model) and
// one host PMU per cluster. cycle_timing: run guests through each pCPU's timing model.
kvm_model::HostDesc host_desc(const config::Host& host, bool cycle_timing);

}  // namespace pmuemu::vmm
