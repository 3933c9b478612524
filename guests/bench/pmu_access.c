/* Trapped PMU register accesses: each iteration makes PMU_ACCESSES_PER_ITER (9) accesses that
   trap to the hypervisor (MRS/MSR of PMCR_EL0, PMCCNTR_EL0, PMEVCNTR0_EL0, PMEVTYPER0_EL0,
   PMCNTENSET_EL0, PMSELR_EL0 + PMXEVCNTR_EL0). Built with two iteration counts so
   bench/pmu_access.sh can take the per-access cost from the difference. */
#include "sdk.h"

#ifndef PMU_ITERS
#error "build with -DPMU_ITERS=<iterations>"
#endif
#define PMU_ACCESSES_PER_ITER 9

int main(uint64_t arg)
{
    uint64_t sum = 0, v;
    for (uint64_t i = 0; i < PMU_ITERS; ++i) {
        __asm__ volatile(
            "mrs %0, pmcr_el0\n\t"          "add %1, %1, %0\n\t"
            "mrs %0, pmccntr_el0\n\t"       "add %1, %1, %0\n\t"
            "msr pmevcntr0_el0, %1\n\t"
            "mrs %0, pmevcntr0_el0\n\t"     "add %1, %1, %0\n\t"
            "mrs %0, pmevtyper0_el0\n\t"    "add %1, %1, %0\n\t"
            "msr pmevtyper0_el0, %0\n\t"
            "mrs %0, pmcntenset_el0\n\t"    "add %1, %1, %0\n\t"
            "msr pmselr_el0, xzr\n\t"
            "mrs %0, pmxevcntr_el0\n\t"     "add %1, %1, %0\n\t"
            : "=&r"(v), "+r"(sum) : : "memory");
    }
    sdk_printf("pmu_access iterations=%lu accesses_per_iter=%u sum=%016lx\n", (unsigned long)PMU_ITERS,
               PMU_ACCESSES_PER_ITER, sum);
    return 0;
}
