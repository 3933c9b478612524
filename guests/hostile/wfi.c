/* Hostile guest: WFI/WFE with interrupts masked, forever. --arg selects:
 *   0  WFI with PSTATE.DAIF masked and no interrupt source at all
 *   1  WFI with PSTATE.I masked while the virtual timer's interrupt is pending at the GIC:
 *      WFI wakes (the architecture wakes on a pending interrupt whatever PSTATE says); the
 *      guest counts 1000 wake-ups and exits 0
 *   2  the timer fires but its output is masked (CNTV_CTL_EL0.IMASK): nothing can wake WFI
 *   3  the timer fires but PPI 27 is disabled at the GIC redistributor
 *   4  the timer's compare value is 2^64 - 1: it never fires
 *   5  two vCPUs: vCPU 1 sits in WFI with nothing to wake it, vCPU 0 calls CPU_OFF
 *   6  WFE forever, no event and no SEV
 * docs/reliability.md gives each outcome. */
#include "gic.h"
#include "hostile.h"

static void arm_timer(uint64_t cval, uint64_t ctl)
{
    gic_init_dist();
    gic_init_cpu();
    gic_enable_private(INTID_VTIMER, 0x80);
    sdk_write_sysreg(CNTV_CVAL_EL0, cval);
    sdk_write_sysreg(CNTV_CTL_EL0, ctl);
    sdk_isb();
}

static void wfi_forever(uint64_t arg)
{
    for (;;) sdk_wfi();
}

int main(uint64_t arg)
{
    sdk_printf("wfi %lu\n", arg);
    const uint64_t now = sdk_read_sysreg(CNTVCT_EL0);
    switch (arg) {
    case 0:
        break;
    case 1: {
        arm_timer(now + 1000, 1);
        unsigned wakeups = 0;
        while (wakeups < 1000) {
            sdk_wfi();
            ++wakeups;
        }
        const uint64_t ctl = sdk_read_sysreg(CNTV_CTL_EL0);
        sdk_printf("%u wake-ups with IRQs masked; CNTV_CTL_EL0.ISTATUS = %lu\n", wakeups, (ctl >> 2) & 1);
        return 0;
    }
    case 2:
        arm_timer(now + 1000, 1 | 2); /* ENABLE | IMASK */
        break;
    case 3:
        gic_init_dist();
        gic_init_cpu(); /* PPI 27 stays disabled */
        sdk_write_sysreg(CNTV_CVAL_EL0, now + 1000);
        sdk_write_sysreg(CNTV_CTL_EL0, 1);
        sdk_isb();
        break;
    case 4:
        arm_timer(~0ull, 1);
        break;
    case 5:
        sdk_printf("CPU_ON(1) = %ld\n", sdk_cpu_start(1, wfi_forever, 0, sdk_cpu_stack_top(1)));
        for (volatile int i = 0; i < 10000; ++i) {
        }
        sdk_psci_cpu_off();
        sdk_puts("CPU_OFF returned\n");
        return 1;
    case 6: {
        static const uint32_t loop[2] = {A64_WFE, 0x17ffffffu /* b .-4 */};
        hostile_put_code(HOSTILE_STUB, loop, 2);
        hostile_jump_to_stub();
    }
    default:
        return 2;
    }
    for (;;) sdk_wfi();
}
