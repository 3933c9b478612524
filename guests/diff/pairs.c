/* Load/store pair: ldp/stp (W and X) with signed scaled offsets, pre- and post-index
   writeback, ldpsw sign extension, ldnp/stnp, and the XZR/WZR store forms. */
#include "diff.h"

static uint64_t mem[128] SDK_ALIGNED(16);
#define MID (&mem[64])

static void fill(void)
{
    for (unsigned i = 0; i < SDK_ARRAY_SIZE(mem); i++)
        mem[i] = 0x8070605040302010ull ^ (i * 0x0f1e2d3c4b5a6978ull);
}

#define LDP(fn, text)                                                                    \
    static void fn(uint64_t *base, uint64_t out[3])                                      \
    {                                                                                    \
        uint64_t a = 0x5555555555555555ull, b = 0x5555555555555555ull;                   \
        uint64_t *p = base;                                                              \
        __asm__ volatile(text : "+&r"(a), "+&r"(b), "+r"(p) : : "memory");              \
        out[0] = a;                                                                      \
        out[1] = b;                                                                      \
        out[2] = (uint64_t)((char *)p - (char *)base);                                   \
    }
LDP(ldp_x, "ldp %0, %1, [%2, #16]")
LDP(ldp_x_neg, "ldp %0, %1, [%2, #-512]")
LDP(ldp_x_max, "ldp %0, %1, [%2, #496]")
LDP(ldp_x_pre, "ldp %0, %1, [%2, #-32]!")
LDP(ldp_x_post, "ldp %0, %1, [%2], #48")
LDP(ldp_w, "ldp %w0, %w1, [%2, #4]")
LDP(ldp_w_neg, "ldp %w0, %w1, [%2, #-256]")
LDP(ldp_w_pre, "ldp %w0, %w1, [%2, #8]!")
LDP(ldp_w_post, "ldp %w0, %w1, [%2], #-12")
LDP(ldpsw, "ldpsw %0, %1, [%2, #0]")
LDP(ldpsw_neg, "ldpsw %0, %1, [%2, #-4]")
LDP(ldpsw_pre, "ldpsw %0, %1, [%2, #-252]!")
LDP(ldpsw_post, "ldpsw %0, %1, [%2], #28")
LDP(ldnp_x, "ldnp %0, %1, [%2, #-64]")
LDP(ldnp_w, "ldnp %w0, %w1, [%2, #28]")

static const struct {
    const char *name;
    void (*fn)(uint64_t *, uint64_t[3]);
} loads[] = {
    {"ldp_x", ldp_x},         {"ldp_x_neg", ldp_x_neg},   {"ldp_x_max", ldp_x_max},
    {"ldp_x_pre", ldp_x_pre}, {"ldp_x_post", ldp_x_post}, {"ldp_w", ldp_w},
    {"ldp_w_neg", ldp_w_neg}, {"ldp_w_pre", ldp_w_pre},   {"ldp_w_post", ldp_w_post},
    {"ldpsw", ldpsw},         {"ldpsw_neg", ldpsw_neg},   {"ldpsw_pre", ldpsw_pre},
    {"ldpsw_post", ldpsw_post}, {"ldnp_x", ldnp_x},       {"ldnp_w", ldnp_w},
};

#define STP(fn, text)                                                                    \
    static uint64_t fn(uint64_t *base, uint64_t a, uint64_t b)                           \
    {                                                                                    \
        uint64_t *p = base;                                                              \
        __asm__ volatile(text : "+r"(p) : "r"(a), "r"(b) : "memory");                    \
        return (uint64_t)((char *)p - (char *)base);                                     \
    }
STP(stp_x, "stp %1, %2, [%0, #-16]")
STP(stp_x_pre, "stp %1, %2, [%0, #64]!")
STP(stp_x_post, "stp %1, %2, [%0], #-128")
STP(stp_w, "stp %w1, %w2, [%0, #-44]")
STP(stp_w_pre, "stp %w1, %w2, [%0, #100]!")
STP(stp_w_post, "stp %w1, %w2, [%0], #20")
STP(stnp_x, "stnp %1, %2, [%0, #160]")
STP(stnp_w, "stnp %w1, %w2, [%0, #-200]")
STP(stp_zr, "stp xzr, %1, [%0, #200]\n\tstp %w2, wzr, [%0, #-100]")

static const struct {
    const char *name;
    uint64_t (*fn)(uint64_t *, uint64_t, uint64_t);
} stores[] = {
    {"stp_x", stp_x}, {"stp_x_pre", stp_x_pre}, {"stp_x_post", stp_x_post},
    {"stp_w", stp_w}, {"stp_w_pre", stp_w_pre}, {"stp_w_post", stp_w_post},
    {"stnp_x", stnp_x}, {"stnp_w", stnp_w}, {"stp_zr", stp_zr},
};

int main(uint64_t arg)
{
    fill();
    for (unsigned i = 0; i < SDK_ARRAY_SIZE(loads); i++) {
        uint64_t out[3];
        loads[i].fn(MID, out);
        DIFF_OUT("%-11s %016lx %016lx base%+ld\n", loads[i].name, out[0], out[1], (int64_t)out[2]);
    }
    uint64_t a = 0x1111111122222222ull, b = 0xfedcba9876543210ull;
    for (unsigned i = 0; i < SDK_ARRAY_SIZE(stores); i++) {
        uint64_t d = stores[i].fn(MID, a, b);
        DIFF_OUT("%-11s base%+ld\n", stores[i].name, (int64_t)d);
        a = a * 3 + 1;
        b = b ^ (b >> 7);
    }
    for (unsigned i = 0; i < SDK_ARRAY_SIZE(mem); i += 4)
        DIFF_OUT(" %03u: %016lx %016lx %016lx %016lx\n", i, mem[i], mem[i + 1], mem[i + 2], mem[i + 3]);
    return 0;
}
