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

#ifdef INTLOOP_MMU
/* MMU-on variant: RAM identity-mapped by one 1 GiB level-1 block (39-bit VA, 4 KiB
   granule), Normal write-back memory, caches on, so the loop and its stack run with
   address translation in force. */
static uint64_t l1[512] __attribute__((aligned(4096)));
static void enable_mmu(void)
{
    l1[1] = 0x40000000ul | (1ul << 10) /* AF */ | (3ul << 8) /* inner shareable */ | 1ul /* block */;
    sdk_write_sysreg(mair_el1, 0xfful);
    sdk_write_sysreg(tcr_el1, 25ul | (1ul << 8) | (1ul << 10) | (3ul << 12) | (1ul << 23) /* EPD1 */ | (2ul << 32));
    sdk_write_sysreg(ttbr0_el1, (uint64_t)l1);
    __asm__ volatile("dsb ish; tlbi vmalle1; dsb ish; isb");
    sdk_write_sysreg(sctlr_el1, sdk_read_sysreg(sctlr_el1) | 1ul | (1ul << 2) | (1ul << 12));
    __asm__ volatile("isb");
}
#endif

int main(uint64_t arg)
{
#ifdef INTLOOP_MMU
    enable_mmu();
#endif
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
