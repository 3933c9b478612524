// A guest that measures its cycle rate in slices while the VMM moves its vCPU between
// clusters (--affinity 0=0,4 --migrate-every N). Each slice runs a fixed loop and reads
// PMCCNTR_EL0 around it; a guest that divides by that rate (as Windows on Arm does) fails
// on a slice that counted no cycle. Prints the slice count, the slices with no cycles and
// the lowest and highest rate (cycles per 1000 instructions); exits 1 if a slice saw no
// cycle, 0 otherwise.
#include "pmu.h"
#include "sdk.h"

#define SLICES 40ul
#define ITERS 2000ul
#define INSNS_PER_ITER 4ul

int main(uint64_t arg) {
  (void)arg;
  write_pmccfiltr_el0(0);                         // count at EL0 and EL1
  write_pmcntenset_el0(1u << 31);                 // the cycle counter
  write_pmcr_el0(read_pmcr_el0() | 1u | 4u);      // PMCR.E, PMCR.C (reset the cycle counter)
  __asm__ volatile("isb");
  uint64_t zero = 0, lo = ~0ul, hi = 0;
  for (uint64_t s = 0; s < SLICES; ++s) {
    const uint64_t before = read_pmccntr_el0();
    uint64_t n = ITERS, a = 0;
    __asm__ volatile("1: add %1, %1, #3\n\t eor %1, %1, %1, lsr #2\n\t subs %0, %0, #1\n\t b.ne 1b"
                     : "+r"(n), "+r"(a)
                     :
                     : "cc");
    const uint64_t cycles = read_pmccntr_el0() - before;
    const uint64_t rate = cycles * 1000 / (ITERS * INSNS_PER_ITER);
    if (cycles == 0) ++zero;
    if (rate < lo) lo = rate;
    if (rate > hi) hi = rate;
  }
  sdk_printf("cycle_rate: %lu slices, %lu with no cycles, rate %lu..%lu cycles per 1000 instructions\n", SLICES,
             zero, lo, hi);
  return zero == 0 ? 0 : 1;
}
