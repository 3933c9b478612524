/* A guest for a foreign VMM's virt board under KVM: QEMU's `-M virt -accel kvm`, run by
 * `pmuemu user` with pmuemu's /dev/kvm (docs/user-mode.md, "A VMM of Debian's"). Under
 * KVM there is no semihosting (HLT is UNDEFINED in a guest, as on hardware), so this guest
 * writes to the board's PL011 at 0x09000000 and powers off with PSCI SYSTEM_OFF. It
 * reports what the vPMU gives it and checks that counting works:
 *   - PMCR_EL0.N, and PMCEID0_EL0 bit 8 (INST_RETIRED implemented);
 *   - counter 0 on INST_RETIRED and the cycle counter across a loop of a known length:
 *     the instructions counted are the loop's, within its few instructions of set-up;
 *   - the cycle counter moves.
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

int main(uint64_t arg)
{
    (void)arg;
    const uint64_t pmcr = sdk_read_sysreg(pmcr_el0);
    const uint64_t n = (pmcr >> 11) & 0x1f;
    const uint64_t inst_retired = (sdk_read_sysreg(pmceid0_el0) >> 8) & 1;
    puts_uart("kvm_pmu_hello: ");
    field("N=", n);
    field("INST_RETIRED=", inst_retired);
    const char* fail = 0;
    if (n == 0 || !inst_retired) {
        fail = "no event counter for INST_RETIRED";
    } else {
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
        const uint64_t insts = sdk_read_sysreg(pmevcntr0_el0);
        const uint64_t cycles = sdk_read_sysreg(pmccntr_el0);
        sdk_write_sysreg(pmcr_el0, pmcr & ~1ull);
        field("loop_insts=", insts);
        field("cycles_moved=", cycles != 0);
        if (insts < 2u * LOOP_ITERS || insts > 2u * LOOP_ITERS + 64u) fail = "INST_RETIRED is not the loop's 2 per iteration";
        else if (cycles == 0) fail = "the cycle counter did not move";
    }
    putc_uart('\n');
    puts_uart(fail ? "kvm_pmu_hello: FAIL " : "kvm_pmu_hello: ok");
    if (fail) puts_uart(fail);
    putc_uart('\n');
    sdk_psci_system_off();
    return 0;
}
