/* Hostile guest: garbage into every device register. Writes all-ones, then zero, with
 * 4- and 8-byte accesses to every offset of the GICv3 distributor (64 KiB), of vCPU 0's
 * redistributor frames (128 KiB), of the PL011 (4 KiB, except its data register) and of
 * the unassigned space around them, and with 1- and 2-byte accesses to the first 4 KiB of
 * each, reads everything back and prints a checksum per region and access size. Nothing may fault or stop the run; a later interrupt still has to
 * work, so the guest finally resets the GIC, takes one virtual timer interrupt and
 * exits 0. */
#include "gic.h"
#include "hostile.h"

static volatile uint64_t g_irqs;
static int on_irq(struct sdk_frame *f)
{
    const uint32_t intid = gic_ack();
    if (intid == INTID_VTIMER) sdk_write_sysreg(CNTV_CTL_EL0, 0);
    gic_eoi(intid);
    g_irqs++;
    return 1;
}

static volatile uint64_t g_faults;
static int on_sync(struct sdk_frame *f)
{
    g_faults++;
    f->elr += 4;
    return 1;
}

static uint64_t hammer(uint64_t base, uint64_t size, unsigned step)
{
    uint64_t sum = 0;
    for (uint64_t off = 0; off < size; off += step) {
        const uint64_t a = base + off;
        if (a < 0x09000004 && a + step > 0x09000000) continue; /* UARTDR: would print the garbage */
        switch (step) {
        case 1: *(volatile uint8_t *)a = 0xff; *(volatile uint8_t *)a = 0; sum = sum * 31 + *(volatile uint8_t *)a; break;
        case 2: *(volatile uint16_t *)a = 0xffff; sum = sum * 31 + *(volatile uint16_t *)a; break;
        case 4: *(volatile uint32_t *)a = ~0u; sum = sum * 31 + *(volatile uint32_t *)a; break;
        default: *(volatile uint64_t *)a = ~0ull; sum = sum * 31 + *(volatile uint64_t *)a; break;
        }
    }
    return sum;
}

int main(uint64_t arg)
{
    sdk_set_sync_handler(on_sync);
    static const struct { const char *name; uint64_t base, size; } regions[] = {
        {"below the GIC", 0x07ff0000, 0x10000},
        {"GICD", GICD_BASE, 0x10000},
        {"GICR vCPU 0", GICR_BASE, GICR_STRIDE},
        {"PL011", 0x09000000, 0x1000},
        {"above the PL011", 0x09001000, 0x1000},
    };
    static const unsigned steps[] = {8, 4, 2, 1};
    for (unsigned s = 0; s < 4; ++s)
        for (unsigned r = 0; r < 5; ++r) {
            /* Byte and halfword accesses (which GIC registers do not allow) cover the first
               4 KiB of each region: the whole of it would only repeat the same refusal. */
            const uint64_t size = steps[s] >= 4 ? regions[r].size : 0x1000;
            sdk_printf("%-16s %u-byte: checksum 0x%016lx, %lu faults\n", regions[r].name, steps[s],
                       hammer(regions[r].base, size, steps[s]), g_faults);
        }

    /* The GIC must still deliver an interrupt after all that. */
    gic_w32(GICD_BASE + GICD_CTLR, 0);
    gic_init_dist();
    gic_init_cpu();
    gic_enable_private(INTID_VTIMER, 0x80);
    sdk_set_irq_handler(on_irq);
    sdk_write_sysreg(CNTV_CVAL_EL0, sdk_read_sysreg(CNTVCT_EL0) + 100);
    sdk_write_sysreg(CNTV_CTL_EL0, 1);
    sdk_isb();
    sdk_irq_enable();
    while (g_irqs == 0) sdk_wfi();
    sdk_irq_disable();
    sdk_printf("timer interrupt after the garbage: %lu\n", g_irqs);
    return 0;
}
