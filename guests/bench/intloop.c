/* Integer-loop benchmark guest. The loop body is fixed assembly with exactly
   INTLOOP_INSNS_PER_ITER instructions per iteration (including the subs/b.ne that close
   it), and INTLOOP_ITERS is a compile-time constant, so two builds with different counts
   let bench/intloop.sh compute guest MIPS from the difference of their run times, which
   cancels emulator start-up and the fixed cost of the code around the loop. */
#include "sdk.h"
#include "intloop_body.h"

#ifndef INTLOOP_ITERS
#error "build with -DINTLOOP_ITERS=<iterations>"
#endif
#define INTLOOP_INSNS_PER_ITER INTLOOP_BODY_INSNS

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
    const uint64_t result = intloop_body(INTLOOP_ITERS, 1);
    sdk_printf("intloop iterations=%lu insns_per_iter=%u result=%016lx\n",
               (unsigned long)INTLOOP_ITERS, INTLOOP_INSNS_PER_ITER, (unsigned long)result);
    return 0;
}
