/* Mixed trapped PMU register accesses (bench/run case 1). The guest first programs event
 * counters 0..3 to count INST_RETIRED and enables them and the cycle counter (PMCR_EL0.E,
 * PMCNTENSET_EL0), so the accesses below hit live counters, as in a guest that profiles
 * itself. Each iteration then makes PMU_MIXED_ACCESSES_PER_ITER = 20 accesses that trap
 * under KVM:
 *   MRS PMCR_EL0, MRS PMCCNTR_EL0,
 *   MRS + MSR PMEVCNTR<n>_EL0 for n = 0..3 (8), MRS PMEVTYPER<n>_EL0 for n = 0..3 (4),
 *   MSR PMEVTYPER1_EL0 and PMEVTYPER3_EL0 (the value read back: 2),
 *   MRS + MSR PMCNTENSET_EL0 (the value read back: 2),
 *   MSR PMSELR_EL0 (= iteration & 3) + MRS PMXEVCNTR_EL0 (2).
 * PMU_ITERS is a compile-time constant; bench/run takes the per-access cost from two builds
 * with different counts (10^6 and 10^8 accesses). Needs PMCR_EL0.N >= 4 (exit status 2
 * otherwise). The printed sum depends on the counters, i.e. on the emulator and its timing.
 * Built with -DPMU_MIXED_NO_PMU, every access in the loop is an ordinary register move
 * instead (MRS -> MOV from the loop index, MSR -> MOV into a scratch register): the same
 * loop, the same instruction count, no PMU, to measure what the loop costs by itself.
 */
#include "sdk.h"

#ifndef PMU_ITERS
#error "build with -DPMU_ITERS=<iterations>"
#endif
#define PMU_MIXED_ACCESSES_PER_ITER 20
#define EV_INST_RETIRED 0x08

#ifdef PMU_MIXED_NO_PMU
#define RD(reg) "mov %0, %3\n\t"
#define WR(reg, src) "mov %2, " src "\n\t"
#else
#define RD(reg) "mrs %0, " #reg "\n\t"
#define WR(reg, src) "msr " #reg ", " src "\n\t"
#endif

#define RD_WR_CNT(n)                                                                     \
    RD(pmevcntr##n##_el0)                                                                \
    "add %1, %1, %0\n\t"                                                                 \
    WR(pmevcntr##n##_el0, "%1")

int main(uint64_t arg)
{
    const uint64_t n = (sdk_read_sysreg(pmcr_el0) >> 11) & 0x1f;
    if (n < 4) {
        sdk_printf("pmu_mixed: PMCR_EL0.N = %lu, need at least 4 counters\n", (unsigned long)n);
        return 2;
    }
    sdk_write_sysreg(pmevtyper0_el0, EV_INST_RETIRED);
    sdk_write_sysreg(pmevtyper1_el0, EV_INST_RETIRED);
    sdk_write_sysreg(pmevtyper2_el0, EV_INST_RETIRED);
    sdk_write_sysreg(pmevtyper3_el0, EV_INST_RETIRED);
    sdk_write_sysreg(pmcntenset_el0, (1ul << 31) | 0xful);
    sdk_write_sysreg(pmcr_el0, sdk_read_sysreg(pmcr_el0) | 1ul); /* E */
    sdk_isb();

    uint64_t sum = 0, v, w;
    for (uint64_t i = 0; i < PMU_ITERS; ++i) {
        __asm__ volatile(
            RD(pmcr_el0)          "add %1, %1, %0\n\t"
            RD(pmccntr_el0)       "add %1, %1, %0\n\t"
            RD_WR_CNT(0) RD_WR_CNT(1) RD_WR_CNT(2) RD_WR_CNT(3)
            RD(pmevtyper0_el0)    "add %1, %1, %0\n\t"
            RD(pmevtyper1_el0)    "add %1, %1, %0\n\t"
            WR(pmevtyper1_el0, "%0")
            RD(pmevtyper2_el0)    "add %1, %1, %0\n\t"
            RD(pmevtyper3_el0)    "add %1, %1, %0\n\t"
            WR(pmevtyper3_el0, "%0")
            RD(pmcntenset_el0)    "add %1, %1, %0\n\t"
            WR(pmcntenset_el0, "%0")
            "and %2, %3, #3\n\t"
            WR(pmselr_el0, "%2")
            RD(pmxevcntr_el0)     "add %1, %1, %0\n\t"
            : "=&r"(v), "+r"(sum), "=&r"(w)
            : "r"(i)
            : "memory");
    }
    sdk_printf("pmu_mixed iterations=%lu accesses_per_iter=%u sum=%016lx\n", (unsigned long)PMU_ITERS,
               PMU_MIXED_ACCESSES_PER_ITER, sum);
    return 0;
}
