/* SYS_EXIT_EXTENDED (0x20) with ApplicationExit and subcode 133: the run's exit status
   must be 133 on both emulators (status propagation, not the SDK's SYS_EXIT path). */
#include "diff.h"

int main(uint64_t arg)
{
    DIFF_OUT("exiting through SYS_EXIT_EXTENDED with subcode 133\n");
    volatile uint64_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, 133};
    sdk_semihost(SEMIHOST_SYS_EXIT_EXTENDED, (uint64_t)(uintptr_t)block);
    DIFF_OUT("SYS_EXIT_EXTENDED returned\n");
    return 0;
}
