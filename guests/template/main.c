// A pmuemu guest to start from: counts its own instructions and cycles with the PMU the
// VM was given, and prints them through semihosting. main()'s return value is the run's
// exit status. The SDK (sdk.h, pmu.h, gic.h) is documented in docs/guest-abi.md.
#include "pmu.h"
#include "sdk.h"

// Common event 0x08: INST_RETIRED (Arm ARM D17.10, "Common event numbers").
#define EV_INST_RETIRED 0x08

static uint64_t work(uint64_t n) {
  uint64_t x = 1;
  for (uint64_t i = 0; i < n; ++i) x = x * 6364136223846793005ull + 1442695040888963407ull;
  return x;
}

int main(uint64_t arg) {
  const unsigned n = pmu_num_counters();
  sdk_printf("my_guest: PMCR_EL0.N = %u\n", n);
  if (n == 0) return 0;  // a VM limited to no event counter (--pmcr-n 0)
  write_pmevtyper_el0(0, EV_INST_RETIRED);
  write_pmcntenset_el0((1ull << 31) | 1);  // the cycle counter and event counter 0
  write_pmcr_el0(read_pmcr_el0() | PMCR_E | PMCR_P | PMCR_C);
  const uint64_t result = work(arg ? arg : 10000);
  write_pmcr_el0(read_pmcr_el0() & ~PMCR_E);
  const uint64_t insns = read_pmevcntr_el0(0), cycles = read_pmccntr_el0();
  // Ordinary floating point: crt0 has enabled FP/SIMD. sdk_printf has no %f, so the
  // instructions per cycle are printed in thousandths.
  const double ipc = cycles ? (double)insns / (double)cycles : 0.0;
  const unsigned long milli = (unsigned long)(ipc * 1000.0 + 0.5);
  sdk_printf("my_guest: result %lx, %lu instructions, %lu cycles, IPC %lu.%03lu\n", (unsigned long)result,
             (unsigned long)insns, (unsigned long)cycles, milli / 1000, milli % 1000);
  return 0;
}
