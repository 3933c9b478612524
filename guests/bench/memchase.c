/* Memory-bound benchmark guest (bench/run case 3): a 64 MiB buffer at RAM base + 64 MiB
 * (0x4400_0000..0x4800_0000, above the SDK's stacks and inside the default 128 MiB of
 * pmuemu and QEMU virt), with the MMU on (identity map, one 1 GiB block, Normal
 * write-back memory) so that caches apply as on a real system.
 *
 * The buffer is 1 Mi lines of 64 bytes. Word 0 of each line links to the next line of one
 * random cycle through all lines (Sattolo's algorithm with an LCG); words 1..7 are data.
 * Every round then does, with MEM_MODE:
 *   1 (chase):  MEM_CHASE_STEPS (about 1 Mi) dependent loads following the cycle, one
 *               cache line each, in random order: latency-bound;
 *   2 (stream): one read pass summing all 8 Mi words and one read-modify-write pass over
 *               words 1..7 of every line (bandwidth-bound, sequential).
 * MEM_ROUNDS is a compile-time constant: bench/run takes MIPS from a build with 0 rounds
 * (initialisation only) and one with more, so the set-up cancels out. The printed result
 * must be the same on every emulator.
 */
#include "sdk.h"

#ifndef MEM_ROUNDS
#error "build with -DMEM_ROUNDS=<rounds>"
#endif
#ifndef MEM_MODE
#error "build with -DMEM_MODE=1 (chase) or -DMEM_MODE=2 (stream)"
#endif

#define BUF_BASE 0x44000000ul
#define BUF_BYTES (64ul << 20)
#define LINE_WORDS 8
#define NLINES (BUF_BYTES / (LINE_WORDS * 8))
/* One pass over the cycle, minus a few steps so the end point depends on the permutation. */
#define MEM_CHASE_STEPS (NLINES - 3)

static uint64_t l1[512] __attribute__((aligned(4096)));

static void enable_mmu(void)
{
    /* Level-1 entry 1: VA/PA 0x4000_0000..0x7fff_ffff, AF, inner shareable, MAIR index 0. */
    l1[1] = 0x40000000ul | (1ul << 10) | (3ul << 8) | 1ul;
    sdk_write_sysreg(mair_el1, 0xfful);
    /* T0SZ 25 (39-bit VA), IRGN0/ORGN0 write-back, SH0 inner, EPD1, IPS 40 bits. */
    sdk_write_sysreg(tcr_el1, 25ul | (1ul << 8) | (1ul << 10) | (3ul << 12) | (1ul << 23) | (2ul << 32));
    sdk_write_sysreg(ttbr0_el1, (uint64_t)l1);
    __asm__ volatile("dsb ish; tlbi vmalle1; dsb ish; isb");
    sdk_write_sysreg(sctlr_el1, sdk_read_sysreg(sctlr_el1) | 1ul | (1ul << 2) | (1ul << 12));
    __asm__ volatile("isb");
}

static void init_buffer(volatile uint64_t *buf)
{
    for (uint64_t i = 0; i < NLINES; ++i) {
        volatile uint64_t *line = buf + i * LINE_WORDS;
        line[0] = i;
        for (int w = 1; w < LINE_WORDS; ++w)
            line[w] = i * 0x9e3779b97f4a7c15ull + (uint64_t)w;
    }
    /* Sattolo: a uniformly random single cycle over the line indices. */
    uint64_t x = 0x2545f4914f6cdd1dull;
    for (uint64_t i = NLINES - 1; i > 0; --i) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        const uint64_t j = ((x >> 32) * i) >> 32; /* 0 <= j < i */
        const uint64_t t = buf[i * LINE_WORDS];
        buf[i * LINE_WORDS] = buf[j * LINE_WORDS];
        buf[j * LINE_WORDS] = t;
    }
    /* Indices to addresses, so the chase is one load per step. */
    for (uint64_t i = 0; i < NLINES; ++i)
        buf[i * LINE_WORDS] = (uint64_t)(buf + buf[i * LINE_WORDS] * LINE_WORDS);
}

#if MEM_MODE == 1
static uint64_t round_chase(uint64_t *start)
{
    uint64_t p = (uint64_t)start, n = MEM_CHASE_STEPS;
    __asm__ volatile("1:\n\t"
                     "ldr  %0, [%0]\n\t"
                     "subs %1, %1, #1\n\t"
                     "b.ne 1b"
                     : "+r"(p), "+r"(n)
                     :
                     : "cc", "memory");
    return p;
}
#else
static uint64_t round_stream(volatile uint64_t *buf, uint64_t k)
{
    uint64_t sum = 0;
    for (uint64_t i = 0; i < NLINES * LINE_WORDS; i += 2)
        sum += buf[i] ^ buf[i + 1];
    for (uint64_t i = 0; i < NLINES; ++i) {
        volatile uint64_t *line = buf + i * LINE_WORDS;
        for (int w = 1; w < LINE_WORDS; ++w)
            line[w] += k;
    }
    return sum;
}
#endif

int main(uint64_t arg)
{
    enable_mmu();
    volatile uint64_t *buf = (volatile uint64_t *)BUF_BASE;
    init_buffer(buf);
    uint64_t result = 0;
    for (unsigned r = 0; r < MEM_ROUNDS; ++r) {
#if MEM_MODE == 1
        result ^= round_chase((uint64_t *)buf + r * LINE_WORDS);
#else
        result += round_stream(buf, r + 1);
#endif
    }
    sdk_printf("memchase mode=%s rounds=%u result=%016lx\n", MEM_MODE == 1 ? "chase" : "stream",
               (unsigned)MEM_ROUNDS, (unsigned long)result);
    return 0;
}
