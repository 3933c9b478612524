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
#include "intloop_body.h"

#ifndef SMP_ITERS
#error "build with -DSMP_ITERS=<iterations per vCPU>"
#endif
#define SMP_INSNS_PER_ITER INTLOOP_BODY_INSNS
#define SMP_MAX_CPUS 8

/* One cache line per slot so vCPUs never write the same line. */
static volatile uint64_t result_slot[SMP_MAX_CPUS][8] SDK_ALIGNED(64);
static volatile uint64_t done_slot[SMP_MAX_CPUS][8] SDK_ALIGNED(64);

static void work(uint64_t id)
{
    result_slot[id][0] = intloop_body(SMP_ITERS, 1 + id);
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
