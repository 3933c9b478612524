/* Branches: b.cond for all 16 conditions under all 16 NZCV values, cbz/cbnz (W and X),
   tbz/tbnz on low and high bits, br/blr/ret (incl. ret via another register), a bl
   call chain with recursion, and a dense switch compiled to a jump table. */
#include "diff.h"

#define CONDS(X)                                                                         \
    X(eq) X(ne) X(cs) X(cc) X(mi) X(pl) X(vs) X(vc) X(hi) X(ls) X(ge) X(lt) X(gt) X(le) X(al) X(nv)

/* Returns a 16-bit mask: bit f set when b.<c> was taken with NZCV = f. */
#define BCOND(c)                                                                         \
    static uint64_t bcond_##c(void)                                                      \
    {                                                                                    \
        uint64_t mask = 0, taken;                                                        \
        for (uint64_t f = 0; f < 16; f++) {                                              \
            __asm__ volatile("msr nzcv, %1\n\t"                                          \
                             "mov %0, #1\n\t"                                            \
                             "b." #c " 1f\n\t"                                           \
                             "mov %0, #0\n"                                              \
                             "1:"                                                        \
                             : "=&r"(taken) : "r"(f << 28) : "cc");                      \
            mask |= taken << f;                                                          \
        }                                                                                \
        return mask;                                                                     \
    }
CONDS(BCOND)
#define BCOND_ENT(c) {#c, bcond_##c},
static const struct {
    const char *name;
    uint64_t (*fn)(void);
} bconds[] = {CONDS(BCOND_ENT)};

#define TEST_BR(fn, text)                                                                \
    static uint64_t fn(uint64_t v)                                                       \
    {                                                                                    \
        uint64_t taken;                                                                  \
        __asm__ volatile("mov %0, #1\n\t" text " 1f\n\tmov %0, #0\n1:"                   \
                         : "=&r"(taken) : "r"(v));                                       \
        return taken;                                                                    \
    }
TEST_BR(cbz_x, "cbz %1,")
TEST_BR(cbnz_x, "cbnz %1,")
TEST_BR(cbz_w, "cbz %w1,")
TEST_BR(cbnz_w, "cbnz %w1,")
TEST_BR(tbz_0, "tbz %1, #0,")
TEST_BR(tbnz_0, "tbnz %1, #0,")
TEST_BR(tbz_31, "tbz %w1, #31,")
TEST_BR(tbnz_31, "tbnz %w1, #31,")
TEST_BR(tbz_32, "tbz %1, #32,")
TEST_BR(tbnz_63, "tbnz %1, #63,")
TEST_BR(tbz_17, "tbz %1, #17,")
static const struct {
    const char *name;
    uint64_t (*fn)(uint64_t);
} cbs[] = {
    {"cbz_x", cbz_x},   {"cbnz_x", cbnz_x}, {"cbz_w", cbz_w},     {"cbnz_w", cbnz_w},
    {"tbz_0", tbz_0},   {"tbnz_0", tbnz_0}, {"tbz_31", tbz_31},   {"tbnz_31", tbnz_31},
    {"tbz_32", tbz_32}, {"tbnz_63", tbnz_63}, {"tbz_17", tbz_17},
};

/* Register branches, in assembly so the exact instructions are known. */
__asm__(".text\n"
        ".balign 4\n"
        "leaf_add7: add x0, x0, #7\n\tret\n"
        "leaf_ret_x9: eor x0, x0, #0xff\n\tret x9\n"
        ".global br_demo\n"
        "br_demo:\n\t"
        "adr x9, 1f\n\t"
        "br x9\n\t"
        "mov x0, #0xbad\n\t"
        "ret\n"
        "1: mov x10, x30\n\t"
        "adr x11, leaf_add7\n\t"
        "blr x11\n\t"         /* x0 += 7 */
        "adr x9, 2f\n\t"
        "b leaf_ret_x9\n"     /* returns through x9 */
        "2: bl leaf_add7\n\t"
        "mov x30, x10\n\t"
        "ret\n");
uint64_t br_demo(uint64_t v);

/* Recursion through bl: the compiler must not turn it into a loop. */
SDK_NOINLINE static uint64_t fib(uint64_t n)
{
    __asm__ volatile("" ::: "memory");
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

SDK_NOINLINE static uint64_t ack(uint64_t m, uint64_t n)
{
    __asm__ volatile("" ::: "memory");
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

/* Dense cases: clang emits an adr/ldrb/add/br jump table at -O2. */
SDK_NOINLINE static uint64_t dispatch(unsigned k, uint64_t x)
{
    switch (k) {
    case 0: return x + 1;
    case 1: return x * 3;
    case 2: return x ^ 0x5555;
    case 3: return x >> 3;
    case 4: return x << 5;
    case 5: return ~x;
    case 6: return x - 1000;
    case 7: return x * x;
    case 8: return x | 0xf0f0;
    case 9: return x & 0xff00ff;
    case 10: return x + 0x1234567;
    case 11: return (x << 7) | (x >> 57);
    case 12: return x / 7;
    case 13: return x % 1000;
    default: return 0xdefa017;
    }
}

int main(uint64_t arg)
{
    for (unsigned i = 0; i < SDK_ARRAY_SIZE(bconds); i++)
        DIFF_OUT("b.%s taken mask %04lx\n", bconds[i].name, bconds[i].fn());
    static const uint64_t tv[] = {0, 1, 0x80000000ull, 0x100000000ull, 0x8000000000000000ull,
                                  0xfffffffffffe0000ull, 0x20000};
    for (unsigned i = 0; i < SDK_ARRAY_SIZE(cbs); i++) {
        DIFF_OUT("%-8s", cbs[i].name);
        for (unsigned j = 0; j < SDK_ARRAY_SIZE(tv); j++)
            DIFF_OUT(" %lu", cbs[i].fn(tv[j]));
        DIFF_OUT("\n");
    }
    DIFF_OUT("br/blr/ret: %lx\n", br_demo(0x1000));
    DIFF_OUT("fib(20) = %lu\n", fib(20));
    DIFF_OUT("ack(2, 3) = %lu\n", ack(2, 3));
    uint64_t h = 0;
    for (unsigned k = 0; k < 16; k++) {
        uint64_t r = dispatch(k, 0x123456789ull + k);
        h = h * 31 + r;
        DIFF_OUT("switch %u -> %lx\n", k, r);
    }
    DIFF_OUT("switch hash %lx\n", h);
    return 3;
}
