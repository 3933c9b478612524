// Exercises the run command's own behaviour: --arg reaches x0, SYSTEM_RESET keeps RAM,
// and a reset storm is bounded by --max-resets.
#include "sdk.h"

int main(uint64_t arg) {
  volatile uint64_t* boots = (volatile uint64_t*)sdk_noinit_area();
  if (arg == 0x5eed) {
    sdk_printf("arg=%lx\n", arg);
    return 5;
  }
  if (arg == 1) {  // reset storm: reset forever
    *boots += 1;
    sdk_psci_system_reset();
  }
  if (*boots < 3) {
    *boots += 1;
    sdk_printf("boot %lu\n", *boots);
    sdk_psci_system_reset();
  }
  sdk_printf("done after %lu resets\n", *boots);
  sdk_psci_system_off();
  return 0;
}
