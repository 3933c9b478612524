// The README's first demo: identifies the vCPU the guest runs on and does some work.
// Later demos (reset_demo) show PMCR_EL0.N across vCPU resets.
#include "sdk.h"

static uint64_t read_midr(void) {
  uint64_t v;
  __asm__ volatile("mrs %0, midr_el1" : "=r"(v));
  return v;
}
static uint64_t read_currentel(void) {
  uint64_t v;
  __asm__ volatile("mrs %0, CurrentEL" : "=r"(v));
  return v >> 2;
}

// A small LCG-driven insertion sort: enough work to show instruction throughput.
static uint64_t work(unsigned n) {
  static uint32_t a[512];
  uint32_t x = 12345;
  for (unsigned i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    a[i] = x >> 8;
  }
  for (unsigned i = 1; i < n; ++i) {
    uint32_t v = a[i];
    unsigned j = i;
    while (j > 0 && a[j - 1] > v) {
      a[j] = a[j - 1];
      --j;
    }
    a[j] = v;
  }
  uint64_t sum = 0;
  for (unsigned i = 0; i < n; ++i) sum = sum * 31 + a[i];
  return sum;
}

int main(uint64_t arg) {
  const uint64_t midr = read_midr();
  sdk_printf("hello from pmuemu: vCPU at EL%lu, MIDR_EL1 0x%lx (implementer 0x%lx, part 0x%lx)\n",
             read_currentel(), midr, (midr >> 24) & 0xff, (midr >> 4) & 0xfff);
  sdk_printf("PSCI version 0x%lx\n", (unsigned long)sdk_psci_version());
  sdk_printf("sorted 512 words, checksum 0x%lx\n", work(512));
  return 0;
}
