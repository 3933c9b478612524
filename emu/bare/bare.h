// Bare metal (pmuemu run --bare): no hypervisor. The guest runs directly on pCPU 0 of the
// host, at EL1, and owns that core's hardware: the physical PMU (pmu::Pmu built from the
// cluster's catalogue entry) answers the PMU system registers, a GICv3 and the generic timer
// (the KVM model's Vgic and GenericTimer, used as the hardware blocks they model) deliver
// interrupts, the PMU overflow output drives PPI 23. PSCI over HVC and semihosting are
// provided by "firmware" exactly as the VMM path provides them; the PL011 is at the same
// address. With --timing cycle the core's timing model supplies cycles and every event the
// PMU counts.
//
// This is the reference the KVM path is compared against: the same guest sees the host PMU
// here and the vPMU under KVM.
#pragma once

#include "emu/config/host_config.h"
#include "emu/vmm/vmm.h"

namespace pmuemu::bare {

// Uses guest_path, ram_base, ram_size, arg, max_insns, max_resets, timing, trace_insn,
// trace_sysreg, out and trace of the options; the KVM options are ignored (the CLI rejects
// them). Host errors (bad ELF) throw InputError before any guest code runs.
vmm::RunOutcome run_bare(const config::Host& host, const vmm::RunOptions& opts);

}  // namespace pmuemu::bare
