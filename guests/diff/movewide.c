/* Move wide: movz/movn/movk at every halfword position, both widths, plus the mov
   aliases the assembler turns into movz/movn. movk must keep the other bits. */
#include "diff.h"

#define K(fn, text)                                                                      \
    static uint64_t fn(uint64_t a)                                                       \
    {                                                                                    \
        uint64_t r = a;                                                                  \
        __asm__ volatile(text : "+r"(r));                                                \
        return r;                                                                        \
    }

K(movz_0, "movz %0, #0x1234")
K(movz_16, "movz %0, #0xabcd, lsl #16")
K(movz_32, "movz %0, #0xffff, lsl #32")
K(movz_48, "movz %0, #0x8001, lsl #48")
K(movz_w0, "movz %w0, #0xfedc")
K(movz_w16, "movz %w0, #0x8000, lsl #16")
K(movn_0, "movn %0, #0")
K(movn_1, "movn %0, #0x1234")
K(movn_16, "movn %0, #0xabcd, lsl #16")
K(movn_32, "movn %0, #0x7fff, lsl #32")
K(movn_48, "movn %0, #0xffff, lsl #48")
K(movn_w0, "movn %w0, #0")
K(movn_w1, "movn %w0, #0x5678")
K(movn_w16, "movn %w0, #0xffff, lsl #16")
K(movk_0, "movk %0, #0x1111")
K(movk_16, "movk %0, #0x2222, lsl #16")
K(movk_32, "movk %0, #0x3333, lsl #32")
K(movk_48, "movk %0, #0xffff, lsl #48")
K(movk_w0, "movk %w0, #0x4444")
K(movk_w16, "movk %w0, #0x0000, lsl #16")
K(mov_chain, "movz %0, #0xdead, lsl #48\n\tmovk %0, #0xbeef, lsl #32\n\tmovk %0, #0xcafe, lsl #16\n\tmovk %0, #0xf00d")
K(mov_neg, "mov %0, #-2")
K(mov_neg_big, "mov %0, #-0x10001")
K(mov_w_neg, "mov %w0, #-1")
K(mov_w_big, "mov %w0, #0xffff0000")

static const struct {
    const char *name;
    uint64_t (*fn)(uint64_t);
} ops[] = {
    {"movz_0", movz_0},   {"movz_16", movz_16},     {"movz_32", movz_32},
    {"movz_48", movz_48}, {"movz_w0", movz_w0},     {"movz_w16", movz_w16},
    {"movn_0", movn_0},   {"movn_1", movn_1},       {"movn_16", movn_16},
    {"movn_32", movn_32}, {"movn_48", movn_48},     {"movn_w0", movn_w0},
    {"movn_w1", movn_w1}, {"movn_w16", movn_w16},   {"movk_0", movk_0},
    {"movk_16", movk_16}, {"movk_32", movk_32},     {"movk_48", movk_48},
    {"movk_w0", movk_w0}, {"movk_w16", movk_w16},   {"mov_chain", mov_chain},
    {"mov_neg", mov_neg}, {"mov_neg_big", mov_neg_big}, {"mov_w_neg", mov_w_neg},
    {"mov_w_big", mov_w_big},
};

int main(uint64_t arg)
{
    for (unsigned o = 0; o < SDK_ARRAY_SIZE(ops); o++) {
        DIFF_OUT("%s:", ops[o].name);
        for (unsigned i = 0; i < DIFF_NVALS; i++)
            DIFF_OUT(" %lx", ops[o].fn(diff_vals[i]));
        DIFF_OUT("\n");
    }
    return 0;
}
