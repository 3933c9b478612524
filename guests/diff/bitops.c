/* Data-processing (1 source): clz/cls/rbit/rev/rev16/rev32 in both widths, on edge
   values and pseudo-random ones. */
#include "diff.h"

#define OP(fn, text)                                                                     \
    static uint64_t fn(uint64_t a)                                                       \
    {                                                                                    \
        uint64_t r;                                                                      \
        __asm__ volatile(text : "=r"(r) : "r"(a));                                      \
        return r;                                                                        \
    }
OP(clz_x, "clz %0, %1")
OP(clz_w, "clz %w0, %w1")
OP(cls_x, "cls %0, %1")
OP(cls_w, "cls %w0, %w1")
OP(rbit_x, "rbit %0, %1")
OP(rbit_w, "rbit %w0, %w1")
OP(rev_x, "rev %0, %1")
OP(rev_w, "rev %w0, %w1")
OP(rev16_x, "rev16 %0, %1")
OP(rev16_w, "rev16 %w0, %w1")
OP(rev32_x, "rev32 %0, %1")

#define E(n) {#n, n}
static const struct {
    const char *name;
    uint64_t (*fn)(uint64_t);
} ops[] = {
    E(clz_x), E(clz_w), E(cls_x), E(cls_w), E(rbit_x), E(rbit_w),
    E(rev_x), E(rev_w), E(rev16_x), E(rev16_w), E(rev32_x),
};

int main(uint64_t arg)
{
    uint64_t v[DIFF_NVALS + 24];
    unsigned n = 0;
    for (unsigned i = 0; i < DIFF_NVALS; i++)
        v[n++] = diff_vals[i];
    /* Random values shifted right by varying amounts give every clz/cls result. */
    for (unsigned i = 0; i < 24; i++)
        v[n++] = diff_rand() >> (i * 3 % 64);
    for (unsigned o = 0; o < SDK_ARRAY_SIZE(ops); o++) {
        DIFF_OUT("%s\n", ops[o].name);
        for (unsigned i = 0; i < n; i++)
            DIFF_OUT(" %lx -> %lx\n", v[i], ops[o].fn(v[i]));
    }
    return 0;
}
