// Asks the VMM for a snapshot in the middle of its work (semihosting operation 0x100,
// docs/guest-abi.md) and prints what the call returned and a value computed on both sides
// of it, so a run restored from the snapshot shows it carried on from the call.
#include "sdk.h"

#define PMUEMU_SYS_SNAPSHOT 0x100

int main(uint64_t arg) {
  (void)arg;
  uint64_t x = 1;
  for (int i = 0; i < 1000; ++i) x = x * 6364136223846793005ull + 1442695040888963407ull;
  sdk_printf("before %lx\n", (unsigned long)x);
  const int64_t r = (int64_t)sdk_semihost(PMUEMU_SYS_SNAPSHOT, 0);
  for (int i = 0; i < 1000; ++i) x = x * 6364136223846793005ull + 1442695040888963407ull;
  sdk_printf("request %ld after %lx\n", (long)r, (unsigned long)x);
  return 0;
}
