/* Load/store exclusive: ldxr/stxr and ldaxr/stlxr of every size in retry loops,
   ldxp/stxp and ldaxp/stlxp pairs (W and X), and clrex (a store-exclusive after clrex
   must fail, return status 1 and leave memory unchanged). Only outcomes the
   architecture fixes are printed: a single stxr may fail spuriously, so loops retry. */
#include "diff.h"

static volatile uint64_t cell64 SDK_ALIGNED(16);
static volatile uint32_t cell32 SDK_ALIGNED(8);
static volatile uint16_t cell16;
static volatile uint8_t cell8;
static volatile uint64_t pair64[2] SDK_ALIGNED(16);
static volatile uint32_t pair32[2] SDK_ALIGNED(8);

/* The status register is early-clobber: sharing it with the data or address register
   is CONSTRAINED UNPREDICTABLE. */
#define INC_LOOP(fn, ld, st, r, ptr_t)                                                   \
    static uint64_t fn(ptr_t *p, uint64_t add, unsigned n)                               \
    {                                                                                    \
        uint64_t old = 0, tmp;                                                           \
        uint32_t status;                                                                 \
        for (unsigned i = 0; i < n; i++)                                                 \
            __asm__ volatile("1: " ld " %" r "0, [%3]\n\t"                               \
                             "add %" r "1, %" r "0, %" r "4\n\t"                         \
                             st " %w2, %" r "1, [%3]\n\t"                                \
                             "cbnz %w2, 1b"                                              \
                             : "=&r"(old), "=&r"(tmp), "=&r"(status)                     \
                             : "r"(p), "r"(add)                                          \
                             : "memory");                                                \
        return old;                                                                      \
    }
INC_LOOP(inc_x, "ldxr", "stxr", "", volatile uint64_t)
INC_LOOP(inc_w, "ldxr", "stxr", "w", volatile uint32_t)
INC_LOOP(inc_h, "ldxrh", "stxrh", "w", volatile uint16_t)
INC_LOOP(inc_b, "ldxrb", "stxrb", "w", volatile uint8_t)
INC_LOOP(inc_ax, "ldaxr", "stlxr", "", volatile uint64_t)
INC_LOOP(inc_aw, "ldaxr", "stlxr", "w", volatile uint32_t)
INC_LOOP(inc_ah, "ldaxrh", "stlxrh", "w", volatile uint16_t)
INC_LOOP(inc_ab, "ldaxrb", "stlxrb", "w", volatile uint8_t)
INC_LOOP(inc_ax_st, "ldaxr", "stxr", "", volatile uint64_t)
INC_LOOP(inc_w_stl, "ldxr", "stlxr", "w", volatile uint32_t)

/* Swap the two halves of a pair atomically; returns the old halves. */
#define SWAP_PAIR(fn, ld, st, r, ptr_t)                                                  \
    static void fn(ptr_t *p, uint64_t out[2])                                            \
    {                                                                                    \
        uint64_t a, b;                                                                   \
        uint32_t status;                                                                 \
        __asm__ volatile("1: " ld " %" r "0, %" r "1, [%3]\n\t"                          \
                         st " %w2, %" r "1, %" r "0, [%3]\n\t"                           \
                         "cbnz %w2, 1b"                                                  \
                         : "=&r"(a), "=&r"(b), "=&r"(status)                             \
                         : "r"(p)                                                        \
                         : "memory");                                                    \
        out[0] = a;                                                                      \
        out[1] = b;                                                                      \
    }
SWAP_PAIR(swap_px, "ldxp", "stxp", "", volatile uint64_t)
SWAP_PAIR(swap_pw, "ldxp", "stxp", "w", volatile uint32_t)
SWAP_PAIR(swap_apx, "ldaxp", "stlxp", "", volatile uint64_t)
SWAP_PAIR(swap_apw, "ldaxp", "stlxp", "w", volatile uint32_t)

static uint32_t clrex_then_stxr(volatile uint64_t *p, uint64_t v)
{
    uint64_t old;
    uint32_t status;
    __asm__ volatile("ldxr %0, [%2]\n\t"
                     "clrex\n\t"
                     "stxr %w1, %3, [%2]"
                     : "=&r"(old), "=&r"(status)
                     : "r"(p), "r"(v)
                     : "memory");
    return status;
}

static uint32_t clrex_then_stxp(volatile uint64_t *p, uint64_t v)
{
    uint64_t a, b;
    uint32_t status;
    __asm__ volatile("ldxp %0, %1, [%3]\n\t"
                     "clrex #15\n\t"
                     "stxp %w2, %4, %4, [%3]"
                     : "=&r"(a), "=&r"(b), "=&r"(status)
                     : "r"(p), "r"(v)
                     : "memory");
    return status;
}

int main(uint64_t arg)
{
    cell64 = 0xfffffffffffffff0ull;
    cell32 = 0xfffffff0u;
    cell16 = 0xfff0;
    cell8 = 0xf0;
    DIFF_OUT("inc_x  last old %lx final %lx\n", inc_x(&cell64, 3, 100), (uint64_t)cell64);
    DIFF_OUT("inc_w  last old %lx final %lx\n", inc_w(&cell32, 0x10000001, 100), (uint64_t)cell32);
    DIFF_OUT("inc_h  last old %lx final %lx\n", inc_h(&cell16, 0x101, 100), (uint64_t)cell16);
    DIFF_OUT("inc_b  last old %lx final %lx\n", inc_b(&cell8, 7, 100), (uint64_t)cell8);
    DIFF_OUT("inc_ax last old %lx final %lx\n", inc_ax(&cell64, 0x8000000000000001ull, 33), (uint64_t)cell64);
    DIFF_OUT("inc_aw last old %lx final %lx\n", inc_aw(&cell32, 0xffffffff, 50), (uint64_t)cell32);
    DIFF_OUT("inc_ah last old %lx final %lx\n", inc_ah(&cell16, 0xfffe, 50), (uint64_t)cell16);
    DIFF_OUT("inc_ab last old %lx final %lx\n", inc_ab(&cell8, 0x81, 50), (uint64_t)cell8);
    DIFF_OUT("inc_ax_st last old %lx final %lx\n", inc_ax_st(&cell64, 5, 10), (uint64_t)cell64);
    DIFF_OUT("inc_w_stl last old %lx final %lx\n", inc_w_stl(&cell32, 9, 10), (uint64_t)cell32);

    uint64_t out[2];
    pair64[0] = 0x0123456789abcdefull;
    pair64[1] = 0xfedcba9876543210ull;
    swap_px(pair64, out);
    DIFF_OUT("ldxp/stxp x: old %lx %lx new %lx %lx\n", out[0], out[1], (uint64_t)pair64[0], (uint64_t)pair64[1]);
    swap_apx(pair64, out);
    DIFF_OUT("ldaxp/stlxp x: old %lx %lx new %lx %lx\n", out[0], out[1], (uint64_t)pair64[0], (uint64_t)pair64[1]);
    pair32[0] = 0x89abcdef;
    pair32[1] = 0x01234567;
    swap_pw(pair32, out);
    DIFF_OUT("ldxp/stxp w: old %lx %lx new %x %x\n", out[0], out[1], pair32[0], pair32[1]);
    swap_apw(pair32, out);
    DIFF_OUT("ldaxp/stlxp w: old %lx %lx new %x %x\n", out[0], out[1], pair32[0], pair32[1]);

    cell64 = 0x1111;
    DIFF_OUT("clrex; stxr status %u mem %lx\n", clrex_then_stxr(&cell64, 0x2222), (uint64_t)cell64);
    DIFF_OUT("clrex; stxp status %u mem %lx %lx\n", clrex_then_stxp(pair64, 0x3333),
             (uint64_t)pair64[0], (uint64_t)pair64[1]);
    /* The monitor still works after a clrex. */
    DIFF_OUT("inc after clrex: final %lx\n", (inc_x(&cell64, 1, 1), (uint64_t)cell64));
    return 0;
}
