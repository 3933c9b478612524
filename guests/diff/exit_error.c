/* SYS_EXIT with a reason other than ApplicationExit (RunTimeErrorUnknown, subcode 55):
   the subcode must be ignored and the run must end with status 1. */
#include "diff.h"

int main(uint64_t arg)
{
    DIFF_OUT("exiting with ADP_Stopped_RunTimeErrorUnknown\n");
    sdk_exit_reason(ADP_STOPPED_RUNTIME_ERROR_UNKNOWN, 55);
}
