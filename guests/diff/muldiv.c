/* Multiply and divide: madd/msub/mul/mneg, the widening smaddl/smsubl/umaddl/umsubl
   (and smull/umull/smnegl/umnegl), smulh/umulh, udiv/sdiv in both widths, including
   division by zero (result 0, no trap) and INT_MIN / -1 (result INT_MIN). */
#include "diff.h"

#define OP3(fn, text)                                                                    \
    static uint64_t fn(uint64_t a, uint64_t b, uint64_t c)                               \
    {                                                                                    \
        uint64_t r;                                                                      \
        __asm__ volatile(text : "=r"(r) : "r"(a), "r"(b), "r"(c));                      \
        return r;                                                                        \
    }
OP3(madd_x, "madd %0, %1, %2, %3")
OP3(msub_x, "msub %0, %1, %2, %3")
OP3(madd_w, "madd %w0, %w1, %w2, %w3")
OP3(msub_w, "msub %w0, %w1, %w2, %w3")
OP3(mul_x, "mul %0, %1, %2")
OP3(mneg_x, "mneg %0, %1, %2")
OP3(mul_w, "mul %w0, %w1, %w2")
OP3(mneg_w, "mneg %w0, %w1, %w2")
OP3(smaddl, "smaddl %0, %w1, %w2, %3")
OP3(smsubl, "smsubl %0, %w1, %w2, %3")
OP3(umaddl, "umaddl %0, %w1, %w2, %3")
OP3(umsubl, "umsubl %0, %w1, %w2, %3")
OP3(smull, "smull %0, %w1, %w2")
OP3(umull, "umull %0, %w1, %w2")
OP3(smnegl, "smnegl %0, %w1, %w2")
OP3(umnegl, "umnegl %0, %w1, %w2")
OP3(smulh, "smulh %0, %1, %2")
OP3(umulh, "umulh %0, %1, %2")
OP3(udiv_x, "udiv %0, %1, %2")
OP3(sdiv_x, "sdiv %0, %1, %2")
OP3(udiv_w, "udiv %w0, %w1, %w2")
OP3(sdiv_w, "sdiv %w0, %w1, %w2")

#define E(n) {#n, n}
static const struct {
    const char *name;
    uint64_t (*fn)(uint64_t, uint64_t, uint64_t);
} ops[] = {
    E(madd_x), E(msub_x), E(madd_w), E(msub_w), E(mul_x), E(mneg_x), E(mul_w), E(mneg_w),
    E(smaddl), E(smsubl), E(umaddl), E(umsubl), E(smull), E(umull), E(smnegl), E(umnegl),
    E(smulh), E(umulh), E(udiv_x), E(sdiv_x), E(udiv_w), E(sdiv_w),
};

static const uint64_t extra[] = {
    0x0000000000000002ull, 0x0000000000000003ull, 0x0000000000000007ull,
    0xfffffffffffffffeull, 0x00000000fffffffeull, 0x00000000fffffff9ull,
    0xffffffff80000000ull, 0x8000000000000001ull,
};

int main(uint64_t arg)
{
    uint64_t v[DIFF_NVALS + SDK_ARRAY_SIZE(extra)];
    unsigned n = 0;
    for (unsigned i = 0; i < DIFF_NVALS; i++)
        v[n++] = diff_vals[i];
    for (unsigned i = 0; i < SDK_ARRAY_SIZE(extra); i++)
        v[n++] = extra[i];
    for (unsigned o = 0; o < SDK_ARRAY_SIZE(ops); o++) {
        DIFF_OUT("%s\n", ops[o].name);
        for (unsigned i = 0; i < n; i++) {
            DIFF_OUT(" %lx:", v[i]);
            for (unsigned j = 0; j < n; j++)
                DIFF_OUT(" %lx", ops[o].fn(v[i], v[j], v[(i * 7 + j) % n]));
            DIFF_OUT("\n");
        }
    }
    /* Named edge cases, so a failure is obvious without decoding the tables above. */
    DIFF_OUT("udiv x by 0: %lx\n", udiv_x(12345, 0, 0));
    DIFF_OUT("sdiv x by 0: %lx\n", sdiv_x(0x8000000000000000ull, 0, 0));
    DIFF_OUT("sdiv x INT64_MIN/-1: %lx\n", sdiv_x(0x8000000000000000ull, ~0ull, 0));
    DIFF_OUT("sdiv w INT32_MIN/-1: %lx\n", sdiv_w(0x80000000ull, 0xffffffffull, 0));
    DIFF_OUT("sdiv w -7/2: %lx\n", sdiv_w(0xfffffff9ull, 2, 0));
    DIFF_OUT("sdiv x -7/2: %lx\n", sdiv_x((uint64_t)-7, 2, 0));
    return 0;
}
