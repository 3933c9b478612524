/* Multi-vCPU scaling guest (bench/run case 6). vCPU 0 starts vCPUs 1, 2, ... with PSCI
 * CPU_ON until the call fails (the VM has no vCPU with that MPIDR), so the same ELF runs
 * with any --vcpus from 1 to 8. Every vCPU, vCPU 0 included, then runs the integer loop
 * of intloop.c for SMP_ITERS iterations (fixed work per vCPU: weak scaling) on its own
 * registers and stores its result in its own slot; vCPU 0 waits for every slot and prints
 * the number of vCPUs and a combined result. Useful work = vcpus x SMP_ITERS x 8
 * instructions; the few instructions of the wait loop are not counted as work.
 * Nothing is shared but the per-vCPU result slots, so no atomics are needed.
 */
#include "sdk.h"

#ifndef SMP_ITERS
#error "build with -DSMP_ITERS=<iterations per vCPU>"
#endif
#define SMP_INSNS_PER_ITER 8
#define SMP_MAX_CPUS 8

/* One cache line per slot so vCPUs never write the same line. */
static volatile uint64_t result_slot[SMP_MAX_CPUS][8] SDK_ALIGNED(64);
static volatile uint64_t done_slot[SMP_MAX_CPUS][8] SDK_ALIGNED(64);

static void work(uint64_t id)
{
    uint64_t n = SMP_ITERS;
    uint64_t a = 1 + id, b = 0x9e3779b97f4a7c15ull, c = 0, d = 0, e = 0, f = 0;
    __asm__ volatile("1:\n\t"
                     "add  %1, %1, %2\n\t"
                     "eor  %2, %2, %1, ror #13\n\t"
                     "ror  %3, %1, #7\n\t"
                     "add  %4, %4, %3\n\t"
                     "eor  %5, %5, %4\n\t"
                     "sub  %6, %6, %5, lsr #3\n\t"
                     "subs %0, %0, #1\n\t"
                     "b.ne 1b"
                     : "+r"(n), "+r"(a), "+r"(b), "+r"(c), "+r"(d), "+r"(e), "+r"(f)
                     :
                     : "cc");
    result_slot[id][0] = a ^ b ^ d ^ e ^ f;
    __asm__ volatile("dmb ish" ::: "memory");
    done_slot[id][0] = 1;
}

static void secondary(uint64_t id)
{
    work(id);
    /* Returning powers the vCPU off (sdk_secondary_entry calls PSCI CPU_OFF). */
}

int main(uint64_t arg)
{
    unsigned ncpus = 1;
    for (unsigned id = 1; id < SMP_MAX_CPUS; ++id) {
        if (sdk_cpu_start(id, secondary, id, sdk_cpu_stack_top(id)) != PSCI_SUCCESS)
            break;
        ++ncpus;
    }
    work(0);
    uint64_t combined = 0;
    for (unsigned id = 0; id < ncpus; ++id) {
        while (!done_slot[id][0])
            __asm__ volatile("yield" ::: "memory");
        __asm__ volatile("dmb ish" ::: "memory");
        combined = combined * 31 + result_slot[id][0];
    }
    sdk_printf("smp_loop vcpus=%u iterations=%lu insns_per_iter=%u result=%016lx\n", ncpus,
               (unsigned long)SMP_ITERS, SMP_INSNS_PER_ITER, (unsigned long)combined);
    return 0;
}
