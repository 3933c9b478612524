// PL011 output from two vCPUs: lines are tagged by vCPU once both have written.
#include "sdk.h"

#define UARTDR 0x09000000ul
#define UARTFR 0x09000018ul

static void uart_puts(const char* s) {
  for (; *s; ++s) {
    while (*(volatile uint32_t*)UARTFR & (1u << 5)) {  // TXFF: transmit FIFO full
    }
    *(volatile uint32_t*)UARTDR = (uint8_t)*s;
  }
}

static volatile unsigned done;

static void secondary(uint64_t arg) {
  (void)arg;
  while (__atomic_load_n(&done, __ATOMIC_ACQUIRE) != 1) {
  }
  uart_puts("second line from vCPU 1\n");
  __atomic_store_n(&done, 2, __ATOMIC_RELEASE);
  sdk_psci_cpu_off();
}

int main(uint64_t arg) {
  (void)arg;
  uart_puts("first line from vCPU 0\n");
  sdk_cpu_start(1, secondary, 0, sdk_cpu_stack_top(1));
  __atomic_store_n(&done, 1, __ATOMIC_RELEASE);
  while (__atomic_load_n(&done, __ATOMIC_ACQUIRE) != 2) {
  }
  uart_puts("third line from vCPU 0\n");
  return 0;
}
