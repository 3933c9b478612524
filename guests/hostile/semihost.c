/* Hostile guest: semihosting calls with bad pointers, lengths and operations. --arg
 * selects:
 *   0  edge cases that must work: SYS_WRITEC of the last byte of RAM, SYS_WRITE0 of a
 *      string ending at the last byte, SYS_WRITE of 0 bytes, SYS_WRITE to a handle that
 *      is not a console (nothing written, x0 = the length); exit 0
 *   1  SYS_WRITE0 of an address outside RAM
 *   2  SYS_WRITE0 of a string with no NUL before the end of RAM
 *   3  SYS_WRITEC of address ~0
 *   4  SYS_WRITE whose length runs past the end of RAM (2^64 - 1)
 *   5  SYS_WRITE whose parameter block straddles the end of RAM
 *   6  SYS_EXIT whose parameter block is outside RAM
 *   7  an operation pmuemu does not implement (SYS_OPEN, 0x01)
 *   8  HLT #0xF000 from EL0
 * Run with the default 128 MiB of RAM. docs/reliability.md gives each outcome. */
#include "hostile.h"

#define RAM_END 0x48000000ull
#define SYS_WRITE 0x05

static uint64_t el0_semihost(uint64_t arg)
{
    return sdk_semihost(SEMIHOST_SYS_WRITE0, arg);
}

static int on_sync(struct sdk_frame *f)
{
    if (sdk_vec_group(f) == SDK_VEC_GROUP_LOWER_A64) {
        sdk_printf("EL0 HLT: exception class 0x%x\n", sdk_esr_ec(f->esr));
        f->elr += 4;
        return 1;
    }
    return 0;
}

int main(uint64_t arg)
{
    volatile char *last = (volatile char *)(RAM_END - 1);
    uint64_t block[3];
    sdk_printf("semihost %lu\n", arg);
    switch (arg) {
    case 0: {
        *last = '!';
        sdk_semihost(SEMIHOST_SYS_WRITEC, RAM_END - 1);
        sdk_semihost(SEMIHOST_SYS_WRITEC, (uint64_t)(uintptr_t)"\n");
        volatile char *s = (volatile char *)(RAM_END - 6);
        s[0] = 'e', s[1] = 'd', s[2] = 'g', s[3] = 'e', s[4] = '\n', s[5] = 0;
        sdk_semihost(SEMIHOST_SYS_WRITE0, RAM_END - 6);
        block[0] = 1, block[1] = RAM_END - 6, block[2] = 0;
        sdk_printf("SYS_WRITE of 0 bytes: %lu\n", sdk_semihost(SYS_WRITE, (uint64_t)(uintptr_t)block));
        block[0] = 99, block[2] = 5;
        sdk_printf("SYS_WRITE to handle 99: %lu\n", sdk_semihost(SYS_WRITE, (uint64_t)(uintptr_t)block));
        return 0;
    }
    case 1:
        sdk_semihost(SEMIHOST_SYS_WRITE0, 0x1000);
        break;
    case 2:
        for (uint64_t a = RAM_END - 64; a < RAM_END; ++a) *(volatile char *)a = 'x';
        sdk_semihost(SEMIHOST_SYS_WRITE0, RAM_END - 64);
        break;
    case 3:
        sdk_semihost(SEMIHOST_SYS_WRITEC, ~0ull);
        break;
    case 4:
        block[0] = 1, block[1] = RAM_END - 16, block[2] = ~0ull;
        sdk_semihost(SYS_WRITE, (uint64_t)(uintptr_t)block);
        break;
    case 5:
        sdk_semihost(SYS_WRITE, RAM_END - 16);
        break;
    case 6:
        sdk_semihost(SEMIHOST_SYS_EXIT, RAM_END);
        break;
    case 7:
        sdk_semihost(0x01, (uint64_t)(uintptr_t)block);
        break;
    case 8:
        sdk_set_sync_handler(on_sync);
        sdk_run_el0(el0_semihost, (uint64_t)(uintptr_t)"from EL0\n", sdk_el0_stack_top(8));
        sdk_puts("back at EL1\n");
        return 0;
    default:
        return 2;
    }
    sdk_puts("the call returned\n");
    return 1;
}
