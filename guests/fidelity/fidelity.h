/* Helpers shared by the fidelity guests (tests/fidelity): program the PMU from EL1 and read
 * the cycle counter and up to four event counters around a measured region.
 *
 * Everything is the architectural PMUv3 interface (guests/sdk/pmu.h); the guests are meant
 * to run bare metal (pmuemu run --bare), where they own the host's PMU, but they also run
 * under KVM's vPMU. */
#ifndef PMUEMU_FIDELITY_H
#define PMUEMU_FIDELITY_H

#include "pmu.h"
#include "sdk.h"

#define FID_MAX_EVENTS 4

struct fid_counts {
    uint64_t cycles;
    uint64_t ev[FID_MAX_EVENTS];
};

/* Resets the PMU and counts `events` (n <= 4) on counters 0..n-1 plus the cycle counter, at
 * EL0 and EL1. */
static inline void fid_pmu_start(const uint16_t *events, unsigned n)
{
    write_pmcr_el0(0);
    write_pmcntenclr_el0(0xffffffffull);
    write_pmintenclr_el1(0xffffffffull);
    write_pmovsclr_el0(0xffffffffull);
    uint64_t mask = PMU_CYCLE_COUNTER_BIT;
    for (unsigned i = 0; i < n; ++i) {
        pmu_write_evtyper(i, events[i]);
        mask |= 1ull << i;
    }
    write_pmccfiltr_el0(0);
    /* P and C reset the counters; LC: a 64-bit cycle counter (RES1 without AArch32). */
    write_pmcr_el0(PMCR_P | PMCR_C | PMCR_LC);
    write_pmcntenset_el0(mask);
    write_pmcr_el0(PMCR_E | PMCR_LC);
    sdk_isb();
}

static inline void fid_snap(struct fid_counts *c)
{
    c->cycles = read_pmccntr_el0();
    c->ev[0] = pmu_read_evcntr(0);
    c->ev[1] = pmu_read_evcntr(1);
    c->ev[2] = pmu_read_evcntr(2);
    c->ev[3] = pmu_read_evcntr(3);
}

/* b - a; event counters are 32 bits wide before PMUv3.5. */
static inline void fid_diff(struct fid_counts *out, const struct fid_counts *a, const struct fid_counts *b)
{
    out->cycles = b->cycles - a->cycles;
    for (unsigned i = 0; i < FID_MAX_EVENTS; ++i) out->ev[i] = (b->ev[i] - a->ev[i]) & 0xffffffffull;
}

#endif
