/* Integer-loop benchmark guest. The loop body is fixed assembly with exactly
   INTLOOP_INSNS_PER_ITER instructions per iteration (including the subs/b.ne that close
   it), and INTLOOP_ITERS is a compile-time constant, so two builds with different counts
   let bench/intloop.sh compute guest MIPS from the difference of their run times, which
   cancels emulator start-up and the fixed cost of the code around the loop. */
#include "sdk.h"

#ifndef INTLOOP_ITERS
#error "build with -DINTLOOP_ITERS=<iterations>"
#endif
#define INTLOOP_INSNS_PER_ITER 8

int main(uint64_t arg)
{
    uint64_t n = INTLOOP_ITERS;
    uint64_t a = 1, b = 0x9e3779b97f4a7c15ull, c = 0, d = 0, e = 0, f = 0;
    /* Data dependences chain through a..f so no emulator can skip the work, and the
       result is printed so both emulators can be checked for computing the same. */
    __asm__ volatile("1:\n\t"
                     "add  %1, %1, %2\n\t"
                     "eor  %2, %2, %1, ror #13\n\t"
                     "ror  %3, %1, #7\n\t"
                     "add  %4, %4, %3\n\t"
                     "eor  %5, %5, %4\n\t"
                     "sub  %6, %6, %5, lsr #3\n\t"
                     "subs %0, %0, #1\n\t"
                     "b.ne 1b"
                     : "+r"(n), "+r"(a), "+r"(b), "+r"(c), "+r"(d), "+r"(e), "+r"(f)
                     :
                     : "cc");
    sdk_printf("intloop iterations=%lu insns_per_iter=%u result=%016lx\n",
               (unsigned long)INTLOOP_ITERS, INTLOOP_INSNS_PER_ITER, a ^ b ^ d ^ e ^ f);
    return 0;
}
