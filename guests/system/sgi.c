// SGIs between two vCPUs through ICC_SGI1R_EL1: vCPU 0 brings up vCPU 1, which enables
// SGI 5 and waits in WFI; vCPU 0 sends SGI 5 to vCPU 1, which answers with SGI 6 back.
#include "gic.h"
#include "sdk.h"

static volatile unsigned got[2];
static volatile unsigned ready;

static int on_irq(struct sdk_frame* f) {
  (void)f;
  const uint32_t intid = gic_ack();
  const unsigned me = (unsigned)(sdk_mpidr_affinity() & 0xff);
  if (intid < 16) got[me] = intid;
  if (intid != INTID_SPURIOUS) gic_eoi(intid);
  return 1;
}

static void secondary(uint64_t arg) {
  (void)arg;
  gic_init_cpu();
  gic_enable_private(5, 0x80);
  __asm__ volatile("msr daifclr, #2");
  __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
  while (got[1] == 0) __asm__ volatile("wfi");
  gic_send_sgi(6, 1u << 0);
  sdk_psci_cpu_off();
}

int main(uint64_t arg) {
  (void)arg;
  sdk_set_irq_handler(on_irq);
  gic_init_dist();
  gic_init_cpu();
  gic_enable_private(6, 0x80);
  sdk_cpu_start(1, secondary, 0, sdk_cpu_stack_top(1));
  while (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) {
  }
  __asm__ volatile("msr daifclr, #2");
  gic_send_sgi(5, 1u << 1);
  while (got[0] == 0) __asm__ volatile("wfi");
  sdk_printf("vCPU 1 received SGI %u, vCPU 0 received SGI %u\n", got[1], got[0]);
  return 0;
}
