// The virtual timer raises PPI 27 through the GICv3; the guest waits in WFI, takes the IRQ
// at EL1, acknowledges it with ICC_IAR1_EL1, re-arms the timer and signals EOI, three times.
// Prints nothing time-dependent, so it compares byte for byte with QEMU.
#include "gic.h"
#include "sdk.h"

static volatile unsigned ticks;
static volatile uint32_t last_intid;

static void arm_timer(void) {
  const uint64_t freq = sdk_read_sysreg(cntfrq_el0);
  sdk_write_sysreg(cntv_tval_el0, freq / 1000);  // 1 ms
  sdk_write_sysreg(cntv_ctl_el0, 1);             // ENABLE, not masked
  __asm__ volatile("isb");
}

static int on_irq(struct sdk_frame* f) {
  (void)f;
  const uint32_t intid = gic_ack();
  last_intid = intid;
  if (intid == INTID_VTIMER) {
    if (++ticks < 3) arm_timer();
    else sdk_write_sysreg(cntv_ctl_el0, 2);  // IMASK: no more interrupts
  }
  if (intid != INTID_SPURIOUS) gic_eoi(intid);
  return 1;
}

int main(uint64_t arg) {
  (void)arg;
  sdk_set_irq_handler(on_irq);
  gic_init_dist();
  gic_init_cpu();
  gic_enable_private(INTID_VTIMER, 0x80);
  sdk_printf("CNTV_CTL before: %lu\n", (unsigned long)sdk_read_sysreg(cntv_ctl_el0));
  arm_timer();
  __asm__ volatile("msr daifclr, #2");
  while (ticks < 3) __asm__ volatile("wfi");
  __asm__ volatile("msr daifset, #2");
  sdk_printf("timer interrupts taken: %u, last INTID %u\n", ticks, last_intid);
  const uint64_t ctl = sdk_read_sysreg(cntv_ctl_el0);
  sdk_printf("CNTV_CTL after: ENABLE %lu IMASK %lu ISTATUS %lu\n", ctl & 1, (ctl >> 1) & 1, (ctl >> 2) & 1);
  return 0;
}
