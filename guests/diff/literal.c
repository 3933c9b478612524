/* PC-relative literal loads: ldr (W and X), ldrsw with negative and positive values,
   literals before and after the load (negative and positive offsets), a far literal
   (~256 KiB away, still within the +-1 MiB range), and prfm literal. */
#include "diff.h"

int main(uint64_t arg)
{
    uint64_t a, b, c, d, e, f, g;
    __asm__ volatile("b 1f\n\t"
                     ".balign 8\n"
                     "0: .quad 0x0123456789abcdef\n\t"
                     ".word 0x80000001\n\t"
                     ".word 0x7ffffffe\n"
                     "1:\n\t"
                     "ldr %0, 0b\n\t"
                     "ldr %w1, 0b + 8\n\t"
                     "ldrsw %2, 0b + 8\n\t"
                     "ldrsw %3, 0b + 12\n\t"
                     "ldr %w4, 2f\n\t"
                     "ldr %5, 3f\n\t"
                     "ldr %6, 4f\n\t"
                     "prfm pldl1keep, 2f\n\t"
                     "b 5f\n\t"
                     ".balign 8\n"
                     "2: .word 0xfedcba98\n\t"
                     ".word 0\n"
                     "3: .quad 0xffffffffffffffff\n\t"
                     ".skip 0x40000\n"
                     "4: .quad 0x8000000000000000\n"
                     "5:"
                     : "=r"(a), "=r"(b), "=r"(c), "=r"(d), "=r"(e), "=r"(f), "=r"(g));
    DIFF_OUT("ldr x back: %lx\n", a);
    DIFF_OUT("ldr w back: %lx\n", b);
    DIFF_OUT("ldrsw neg: %lx\n", c);
    DIFF_OUT("ldrsw pos: %lx\n", d);
    DIFF_OUT("ldr w fwd: %lx\n", e);
    DIFF_OUT("ldr x fwd: %lx\n", f);
    DIFF_OUT("ldr x far: %lx\n", g);

    /* Literal loads through the compiler: a constant the assembler places in a pool. */
    uint64_t h;
    __asm__ volatile("ldr %0, =0xdeadbeefcafef00d" : "=r"(h));
    DIFF_OUT("ldr =const: %lx\n", h);
    return 0;
}
