/* PC-relative addressing: adr (+-1 MiB, byte granular) and adrp (4 KiB pages, +-4 GiB).
   Results are printed relative to the instruction's own PC so they are independent of
   the load address. */
#include "diff.h"

/* A 1 MiB gap between code and this data makes adrp span several pages. */
static uint8_t far_data[0x101000] SDK_ALIGNED(4096);

int main(uint64_t arg)
{
    uint64_t here, fwd, back, mid, self;
    __asm__ volatile("1: adr %0, 1b\n\t"
                     "adr %1, 2f\n\t"
                     "adr %2, 1b\n\t"
                     "adr %3, 1b + 3\n\t"
                     "adr %4, .\n\t"
                     "nop\n\t"
                     "2:"
                     : "=r"(here), "=r"(fwd), "=r"(back), "=r"(mid), "=r"(self));
    DIFF_OUT("adr fwd-here=%ld back-here=%ld mid-here=%ld self-here=%ld\n",
             (int64_t)(fwd - here), (int64_t)(back - here), (int64_t)(mid - here),
             (int64_t)(self - here));

    uint64_t pc, p0, p1, p2, pneg, pfar, lo;
    __asm__ volatile("adr %0, .\n\t"
                     "adrp %1, .\n\t"
                     "adrp %2, . + 0x1000\n\t"
                     "adrp %3, . + 0x7ffff000\n\t"
                     "adrp %4, . - 0x12345678\n\t"
                     "adrp %5, far_data + 0x100800\n\t"
                     "add %6, %5, :lo12:far_data + 0x100800"
                     : "=r"(pc), "=r"(p0), "=r"(p1), "=r"(p2), "=r"(pneg), "=r"(pfar), "=r"(lo));
    /* The adrp instructions sit at pc+4..pc+20; each result is a page-aligned offset. */
    DIFF_OUT("adrp page-offsets: %lx %lx %lx %lx\n", p0 - ((pc + 4) & ~(uint64_t)0xfff),
             p1 - ((pc + 8) & ~(uint64_t)0xfff), p2 - ((pc + 12) & ~(uint64_t)0xfff),
             pneg - ((pc + 16) & ~(uint64_t)0xfff));
    DIFF_OUT("adrp low bits clear: %lx %lx %lx\n", p0 & 0xfff, pneg & 0xfff, pfar & 0xfff);
    DIFF_OUT("adrp+add == &far_data[0x100800]: %d\n",
             lo == (uint64_t)(uintptr_t)&far_data[0x100800]);
    far_data[0x100800] = 0x5a;
    DIFF_OUT("load through adrp+add: %x\n", *(volatile uint8_t *)(uintptr_t)lo);
    return 0;
}
