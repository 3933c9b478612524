// Two vCPUs count their own instructions with event counter 0 (INST_RETIRED) at the same
// time. Run with a partitioned PMU and both vCPUs able to run on the same pCPUs, their
// counters take turns in the same physical PMU (the guest context is switched lazily at
// vCPU load and put): each must still count exactly its own loop, never the other's, on
// the deterministic scheduler and under --threads alike. Every print is ordered by vCPU 0.
#include "pmu.h"
#include "sdk.h"

#define NCPUS 2
#define ITERS 200000ul
#define INSNS_PER_ITER 3ul

static uint64_t counted[NCPUS];
static uint64_t done;

static void work(uint64_t id) {
  pmu_write_evtyper(0, 0x08);  // INST_RETIRED at EL0 and EL1
  pmu_write_evcntr(0, 0);
  write_pmcntenset_el0(1u);
  write_pmcr_el0(read_pmcr_el0() | 1u);  // PMCR.E
  __asm__ volatile("isb");
  const uint64_t before = pmu_read_evcntr(0);
  uint64_t n = ITERS * (id + 1), a = 0;
  __asm__ volatile("1: add %1, %1, #3\n\t subs %0, %0, #1\n\t b.ne 1b" : "+r"(n), "+r"(a) : : "cc");
  counted[id] = pmu_read_evcntr(0) - before;
  __atomic_fetch_add(&done, 1, __ATOMIC_RELEASE);
}

static void secondary(uint64_t id) {
  work(id);
  sdk_psci_cpu_off();
}

int main(uint64_t arg) {
  (void)arg;
  for (unsigned id = 1; id < NCPUS; ++id) sdk_cpu_start(id, secondary, id, sdk_cpu_stack_top(id));
  work(0);
  while (__atomic_load_n(&done, __ATOMIC_ACQUIRE) != NCPUS) {
  }
  int ok = 1;
  for (unsigned id = 0; id < NCPUS; ++id) {
    // The loop, plus the few instructions between the two reads.
    const uint64_t loop = ITERS * (id + 1) * INSNS_PER_ITER;
    const int own = counted[id] >= loop && counted[id] - loop < 16;
    sdk_printf("vCPU %u counted its own %lu loop instructions: %s\n", id, loop, own ? "yes" : "no");
    ok &= own;
  }
  return ok ? 0 : 1;
}
