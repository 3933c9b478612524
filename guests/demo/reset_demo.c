// The README's main demo: what PMCR_EL0.N does across vCPU resets.
// Boot 1 and boot 2 (after PSCI SYSTEM_RESET): vCPU 0 reads N, brings up vCPU 1 with PSCI
// CPU_ON (placed by the VMM on the other cluster, e.g. --affinity 1=4), vCPU 1 reads N.
// The readings are kept in RAM that survives the system reset and printed at the end.
// Under Linux 6.6 rules each reset reloads N from the physical CPU that runs it, so the
// numbers change; under 6.7 N is VM-wide and survives every reset.
#include "pmu.h"
#include "sdk.h"

struct record {
  uint64_t boots;
  uint64_t n[2][2];  // [boot][vCPU]
};

static struct record* rec(void) { return (struct record*)sdk_noinit_area(); }

static volatile uint64_t secondary_done;

static void secondary(uint64_t boot) {
  rec()->n[boot][1] = pmu_num_counters();
  __atomic_store_n(&secondary_done, 1, __ATOMIC_RELEASE);
  sdk_psci_cpu_off();
}

int main(uint64_t arg) {
  (void)arg;
  struct record* r = rec();
  const uint64_t boot = r->boots;
  r->n[boot][0] = pmu_num_counters();
  secondary_done = 0;
  sdk_cpu_start(1, secondary, boot, sdk_cpu_stack_top(1));
  while (!__atomic_load_n(&secondary_done, __ATOMIC_ACQUIRE)) {
  }
  while (sdk_psci_affinity_info(1, 0) != 1) {
  }
  r->boots = boot + 1;
  if (r->boots < 2) sdk_psci_system_reset();
  for (unsigned b = 0; b < 2; ++b)
    sdk_printf("boot %u: vCPU 0 reads PMCR_EL0.N = %lu, vCPU 1 reads N = %lu\n", b + 1, (unsigned long)r->n[b][0],
               (unsigned long)r->n[b][1]);
  const int same = r->n[0][0] == r->n[0][1] && r->n[0][0] == r->n[1][0] && r->n[0][0] == r->n[1][1];
  sdk_printf("%s\n", same ? "N is the same for every vCPU and every boot"
                          : "N changed between vCPUs or across the reset");
  return 0;
}
