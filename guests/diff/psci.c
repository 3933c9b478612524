/* PSCI over HVC #0 (SMCCC): PSCI_VERSION, AFFINITY_INFO for this vCPU (ON) and for an
   MPIDR no vCPU has (INVALID_PARAMETERS), CPU_ON of an already-running vCPU
   (ALREADY_ON) and of a non-existent one (INVALID_PARAMETERS), then SYSTEM_OFF, which
   ends the run with status 0 although main would return 5. */
#include "diff.h"

int main(uint64_t arg)
{
    uint32_t v = sdk_psci_version();
    DIFF_OUT("PSCI_VERSION %x (major %u minor %u)\n", v, v >> 16, v & 0xffff);
    uint64_t self = sdk_mpidr_affinity();
    /* Aff3..Aff0 all 0xfe: far beyond any vCPU count either emulator supports. */
    const uint64_t nobody = 0xfe00fefefeull;
    DIFF_OUT("AFFINITY_INFO(self, 0) = %ld\n", sdk_psci_affinity_info(self, 0));
    DIFF_OUT("AFFINITY_INFO(nobody, 0) = %ld\n", sdk_psci_affinity_info(nobody, 0));
    DIFF_OUT("CPU_ON(self) = %ld\n",
             sdk_psci_cpu_on(self, (uint64_t)(uintptr_t)sdk_secondary_entry, 0));
    DIFF_OUT("CPU_ON(nobody) = %ld\n",
             sdk_psci_cpu_on(nobody, (uint64_t)(uintptr_t)sdk_secondary_entry, 0));
    DIFF_OUT("SYSTEM_OFF\n");
    sdk_psci_system_off();
    DIFF_OUT("SYSTEM_OFF returned\n");
    return 5;
}
