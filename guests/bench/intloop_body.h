/* The integer loop of the first issue, shared by intloop.c and smp_loop.c: exactly
 * INTLOOP_BODY_INSNS instructions per iteration (the subs/b.ne that close it included).
 * Data dependences chain through a..f so no emulator can skip the work; the returned
 * value is printed so every emulator can be checked for computing the same. */
#pragma once
#include <stdint.h>

#define INTLOOP_BODY_INSNS 8

static inline uint64_t intloop_body(uint64_t n, uint64_t a)
{
    uint64_t b = 0x9e3779b97f4a7c15ull, c = 0, d = 0, e = 0, f = 0;
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
    return a ^ b ^ d ^ e ^ f;
}
