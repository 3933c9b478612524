/* A guest for a foreign VMM's virt board under KVM: QEMU's `-M virt -accel kvm`, run by
 * `pmuemu user` with pmuemu's /dev/kvm (docs/user-mode.md, "A VMM of Debian's"). Under
 * KVM there is no semihosting (HLT is UNDEFINED in a guest, as on hardware), so this guest
 * writes to the board's PL011 at 0x09000000 and powers off with PSCI SYSTEM_OFF. It
 * reports what the vPMU gives it and checks that counting works:
 *   - PMCR_EL0.N, and PMCEID0_EL0 bit 8 (INST_RETIRED implemented);
 *   - counter 0 on INST_RETIRED and the cycle counter across a loop of a known length:
 *     the instructions counted are the loop's, within its few instructions of set-up;
 *   - the cycle counter moves.
 * With a second vCPU (QEMU's -smp 2), that vCPU, started with PSCI CPU_ON, makes the same
 * measurement and the boot vCPU prints it as "kvm_pmu_hello: cpu1 N=... loop_insts=...
 * cycles_moved=...": its N and whether its counters count are what the era's KVM gives a
 * vCPU whose thread runs on another cluster, so no check applies to them.
 * The last line is "kvm_pmu_hello: ok" or "kvm_pmu_hello: FAIL ..." naming the check. */
#include <stdint.h>

#include "pmu.h"
#include "sdk.h"

#define UART_DR ((volatile uint32_t*)0x09000000ul)
#define UART_FR ((volatile uint32_t*)0x09000018ul)
#define LOOP_ITERS 100000u

static void putc_uart(char c)
{
    while (*UART_FR & (1u << 5)) { /* TXFF: the FIFO is full */
    }
    *UART_DR = (uint32_t)(unsigned char)c;
}

static void puts_uart(const char* s)
{
    while (*s) putc_uart(*s++);
}

static void putu_uart(uint64_t v)
{
    char buf[24];
    int i = 0;
    do {
        buf[i++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (i > 0) putc_uart(buf[--i]);
}

static void field(const char* name, uint64_t v)
{
    puts_uart(name);
    putu_uart(v);
    putc_uart(' ');
}

/* One vCPU's measurement: N, and INST_RETIRED and the cycle counter across the loop. */
struct measure {
    uint64_t n, inst_retired, insts, cycles;
};

static void measure(struct measure* m)
{
    const uint64_t pmcr = sdk_read_sysreg(pmcr_el0);
    m->n = (pmcr >> 11) & 0x1f;
    m->inst_retired = (sdk_read_sysreg(pmceid0_el0) >> 8) & 1;
    m->insts = m->cycles = 0;
    if (m->n == 0 || !m->inst_retired) return;
    sdk_write_sysreg(pmevtyper0_el0, PMU_EV_INST_RETIRED);
    sdk_write_sysreg(pmevcntr0_el0, 0);
    sdk_write_sysreg(pmccntr_el0, 0);
    sdk_write_sysreg(pmcntenset_el0, PMU_CYCLE_COUNTER_BIT | 1u);
    sdk_write_sysreg(pmcr_el0, pmcr | 1u); /* E */
    sdk_isb();
    /* Two instructions per iteration (SUBS, B.NE). */
    uint64_t left = LOOP_ITERS;
    __asm__ volatile("1: subs %0, %0, #1\n\tb.ne 1b" : "+r"(left));
    sdk_isb();
    m->insts = sdk_read_sysreg(pmevcntr0_el0);
    m->cycles = sdk_read_sysreg(pmccntr_el0);
    sdk_write_sysreg(pmcr_el0, pmcr & ~1ull);
}

/* The second vCPU's result, and its flag (the MMU is off: memory is Device-nGnRnE, so the
 * two vCPUs see each other's stores in order, after a DSB). */
static struct measure cpu1;
static volatile uint64_t cpu1_done;

static void secondary(uint64_t arg)
{
    (void)arg;
    measure(&cpu1);
    sdk_dsb_sy();
    cpu1_done = 1;
    sdk_dsb_sy();
}

int main(uint64_t arg)
{
    (void)arg;
    struct measure m;
    measure(&m);
    puts_uart("kvm_pmu_hello: ");
    field("N=", m.n);
    field("INST_RETIRED=", m.inst_retired);
    const char* fail = 0;
    if (m.n == 0 || !m.inst_retired) {
        fail = "no event counter for INST_RETIRED";
    } else {
        field("loop_insts=", m.insts);
        field("cycles_moved=", m.cycles != 0);
        if (m.insts < 2u * LOOP_ITERS || m.insts > 2u * LOOP_ITERS + 64u) fail = "INST_RETIRED is not the loop's 2 per iteration";
        else if (m.cycles == 0) fail = "the cycle counter did not move";
    }
    putc_uart('\n');
    /* A second vCPU, if the board has one (PSCI answers INVALID_PARAMETERS otherwise). */
    if (sdk_cpu_start(1, secondary, 0, sdk_cpu_stack_top(1)) == 0) {
        uint64_t spins = 0;
        while (!cpu1_done && spins < 100000000u) ++spins;
        sdk_dsb_sy();
        if (!cpu1_done) {
            if (!fail) fail = "the second vCPU did not report";
        } else {
            puts_uart("kvm_pmu_hello: cpu1 ");
            field("N=", cpu1.n);
            field("loop_insts=", cpu1.insts);
            field("cycles_moved=", cpu1.cycles != 0);
            putc_uart('\n');
        }
    }
    puts_uart(fail ? "kvm_pmu_hello: FAIL " : "kvm_pmu_hello: ok");
    if (fail) puts_uart(fail);
    putc_uart('\n');
    sdk_psci_system_off();
    return 0;
}
