/* Snapshot benchmark guest (bench/run case 4): fills all of a 128 MiB guest's RAM that the
 * image and the SDK stacks do not use with a non-zero pattern (a snapshot stores non-zero
 * 4 KiB pages only, so this makes the snapshot carry the whole RAM), then spins for
 * SNAP_SPIN iterations and exits. bench/run saves a snapshot with --stop-after-insns in
 * the spin phase and restores it; only a few instructions run after the restore.
 * pmuemu only (the fill assumes --ram-mib 128, the default).
 */
#include "sdk.h"

#ifndef SNAP_SPIN
#define SNAP_SPIN 2000000
#endif
#define RAM_BASE 0x40000000ul
#define RAM_END (RAM_BASE + (128ul << 20))

extern char __image_end[];
extern char __stack_top[];
extern char __stack_size[];

static void fill(uint64_t from, uint64_t to)
{
    for (volatile uint64_t *p = (volatile uint64_t *)from; (uint64_t)p < to; p += 2) {
        const uint64_t a = (uint64_t)p;
        p[0] = a ^ 0x5a5a5a5a5a5a5a5aull;
        p[1] = ~a;
    }
}

int main(uint64_t arg)
{
    const uint64_t image_start = 0x40080000ul;
    const uint64_t image_end = ((uint64_t)__image_end + 4095) & ~4095ul;
    const uint64_t stacks_low = (uint64_t)__stack_top - 16 * (uint64_t)__stack_size;
    fill(RAM_BASE, image_start);   /* below the image (QEMU's DTB area) */
    fill(image_end, stacks_low);   /* between the image and the stacks */
    fill((uint64_t)__stack_top, RAM_END);
    uint64_t n = SNAP_SPIN, x = 1;
    __asm__ volatile("1:\n\t"
                     "add  %1, %1, %1, lsl #1\n\t"
                     "subs %0, %0, #1\n\t"
                     "b.ne 1b"
                     : "+r"(n), "+r"(x)
                     :
                     : "cc");
    sdk_printf("snapfill filled=%lu KiB spin=%lu x=%016lx\n",
               (unsigned long)((image_start - RAM_BASE) + (stacks_low - image_end) + (RAM_END - (uint64_t)__stack_top)) / 1024,
               (unsigned long)SNAP_SPIN, (unsigned long)x);
    return 0;
}
