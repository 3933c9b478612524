// A guest that counts across a migration: it programs event counter 0 with INST_RETIRED,
// runs a long loop (the VMM saves it in the middle and restores it on another host), and
// checks at the end that the counter saw at least the loop's instructions.
#include "pmu.h"
#include "sdk.h"

#define ITERS 3000000ul
#define INSNS_PER_ITER 4ul

int main(uint64_t arg) {
  (void)arg;
  sdk_printf("start: PMCR_EL0.N = %u\n", pmu_num_counters());
  pmu_write_evtyper(0, 0x08);  // INST_RETIRED at EL0 and EL1
  pmu_write_evcntr(0, 0);
  write_pmcntenset_el0(1u);
  write_pmcr_el0(read_pmcr_el0() | 1u);  // PMCR.E
  __asm__ volatile("isb");
  uint64_t n = ITERS, a = 0;
  __asm__ volatile("1: add %1, %1, #3\n\t eor %1, %1, %1, lsr #2\n\t subs %0, %0, #1\n\t b.ne 1b"
                   : "+r"(n), "+r"(a)
                   :
                   : "cc");
  const uint64_t counted = pmu_read_evcntr(0);
  const int ok = counted >= ITERS * INSNS_PER_ITER;
  sdk_printf("end: PMCR_EL0.N = %u, counter 0 continued across the migration: %s\n", pmu_num_counters(),
             ok ? "yes" : "no");
  return ok ? 0 : 1;
}
