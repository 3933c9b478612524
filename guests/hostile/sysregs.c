/* Hostile guest: garbage into every PMU and timer system register. For each of the 512
 * encodings op0 = 3, op1 in {0, 3}, CRn in {9, 14}, CRm 0..15, op2 0..7 it generates
 * `msr <reg>, x1; ret` with x1 = all-ones, runs it, then `mrs x0, <reg>; ret`, counting
 * the accesses that are UNDEFINED, and prints what the writes left in the PMU's
 * configuration registers (not the counters: their values depend on timing). Then it
 * checks that the PMU still counts: PMCR_EL0.P/C reset, counter 0 counts INST_RETIRED
 * over a fixed loop. Exits 0; docs/reliability.md gives the output for the eras and
 * counter counts the tests run. */
#include "hostile.h"
#include "pmu.h"

static volatile uint64_t g_undef;
static int on_sync(struct sdk_frame *f)
{
    if (sdk_esr_ec(f->esr) == ESR_EC_UNKNOWN) {
        g_undef++;
        f->elr += 4;
        return 1;
    }
    return 0;
}

static uint64_t call1(uint64_t x1)
{
    register uint64_t r0 __asm__("x0") = 0;
    register uint64_t r1 __asm__("x1") = x1;
    __asm__ volatile("blr %2" : "+r"(r0), "+r"(r1) : "r"(HOSTILE_STUB) : "x30", "memory");
    return r0;
}

int main(uint64_t arg)
{
    sdk_set_sync_handler(on_sync);
    uint64_t wr_undef = 0, rd_undef = 0, n = 0;
    for (unsigned op1 = 0; op1 <= 3; op1 += 3)
        for (unsigned crn = 9; crn <= 14; crn += 5)
            for (unsigned crm = 0; crm < 16; ++crm)
                for (unsigned op2 = 0; op2 < 8; ++op2) {
                    const uint32_t enc = (op1 << 16) | (crn << 12) | (crm << 8) | (op2 << 5);
                    uint32_t code[2] = {0xd5180000u | enc | 1u, A64_RET}; /* msr <reg>, x1 */
                    hostile_put_code(HOSTILE_STUB, code, 2);
                    uint64_t u = g_undef;
                    call1(~0ull);
                    wr_undef += g_undef - u;
                    code[0] = 0xd5380000u | enc; /* mrs x0, <reg> */
                    hostile_put_code(HOSTILE_STUB, code, 2);
                    u = g_undef;
                    call1(0);
                    rd_undef += g_undef - u;
                    ++n;
                }
    sdk_printf("%lu encodings: %lu writes and %lu reads UNDEFINED\n", n, wr_undef, rd_undef);
    /* What the all-ones writes left in the registers that do not count anything. */
    sdk_printf("PMCR_EL0 0x%lx PMCNTENSET 0x%lx PMINTENSET 0x%lx PMOVSSET 0x%lx\n", read_pmcr_el0(),
               read_pmcntenset_el0(), read_pmintenset_el1(), read_pmovsset_el0());
    sdk_printf("PMUSERENR 0x%lx PMSELR 0x%lx PMCCFILTR 0x%lx PMEVTYPER0 0x%lx\n", read_pmuserenr_el0(),
               read_pmselr_el0(), read_pmccfiltr_el0(), pmu_read_evtyper(0));

    const unsigned n_counters = pmcr_n(read_pmcr_el0());
    if (n_counters == 0) {
        sdk_puts("PMCR_EL0.N 0: no event counter to check\n");
        return 0;
    }
    /* The PMU still works: counter 0 counts the instructions of a fixed loop at EL1. */
    write_pmcntenclr_el0(~0ull);
    write_pmintenclr_el1(~0ull);
    write_pmovsclr_el0(~0ull);
    write_pmselr_el0(0);
    write_pmuserenr_el0(0);
    write_pmcr_el0(PMCR_P | PMCR_C);
    pmu_write_evtyper(0, PMU_EV_INST_RETIRED);
    pmu_write_evcntr(0, 0);
    sdk_isb();
    write_pmcntenset_el0(1);
    write_pmcr_el0(PMCR_E);
    sdk_isb();
    for (volatile int i = 0; i < 100; ++i) {
    }
    write_pmcr_el0(0);
    sdk_isb();
    const uint64_t counted = pmu_read_evcntr(0);
    sdk_printf("PMCR_EL0.N %u; INST_RETIRED over the loop: %s\n", n_counters,
               counted > 500 && counted < 5000 ? "counted" : "WRONG");
    return 0;
}
