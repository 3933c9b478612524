/* Single-register loads and stores of every size, with sign extension to W and X, in
   every addressing mode: scaled unsigned offset, unscaled (ldur/stur), pre- and
   post-index writeback, and register offset with each extend (uxtw/sxtw/sxtx/lsl) with
   and without the scale shift; also ldtr/sttr and prfm. All accesses are naturally
   aligned: with the MMU off memory is Device memory and misaligned accesses fault. */
#include "diff.h"

static uint8_t buf[512] SDK_ALIGNED(16);
#define MID (buf + 256)

static void fill(void)
{
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i * 0x9d + 0x31);
}

/* %0 result, %1 base (MID), %2 index register. */
#define LD(fn, text)                                                                     \
    static uint64_t fn(uint8_t *base, uint64_t idx)                                      \
    {                                                                                    \
        uint64_t r;                                                                      \
        __asm__ volatile("mov %0, #0x5555\n\t" text                                      \
                         : "=&r"(r) : "r"(base), "r"(idx) : "memory");                   \
        return r;                                                                        \
    }
/* The mov first makes a W-destination load's zeroing of bits [63:32] visible. */
LD(ldrb_imm, "ldrb %w0, [%1, #37]")
LD(ldrsb_w, "ldrsb %w0, [%1, #1]")
LD(ldrsb_x, "ldrsb %0, [%1, #3]")
LD(ldrh_imm, "ldrh %w0, [%1, #254]")
LD(ldrsh_w, "ldrsh %w0, [%1, #2]")
LD(ldrsh_x, "ldrsh %0, [%1, #6]")
LD(ldr_w_imm, "ldr %w0, [%1, #4]")
LD(ldrsw_imm, "ldrsw %0, [%1, #12]")
LD(ldr_x_imm, "ldr %0, [%1, #248]")
LD(ldurb_neg, "ldurb %w0, [%1, #-1]")
LD(ldursb_x, "ldursb %0, [%1, #-3]")
LD(ldursb_w, "ldursb %w0, [%1, #-255]")
LD(ldurh_neg, "ldurh %w0, [%1, #-2]")
LD(ldursh_x, "ldursh %0, [%1, #-256]")
LD(ldursh_w, "ldursh %w0, [%1, #-6]")
LD(ldur_w, "ldur %w0, [%1, #-4]")
LD(ldursw, "ldursw %0, [%1, #-8]")
LD(ldur_x, "ldur %0, [%1, #-16]")
LD(ldur_x_pos, "ldur %0, [%1, #248]")
LD(ldr_x_lsl3, "ldr %0, [%1, %2, lsl #3]")
LD(ldr_x_reg, "ldr %0, [%1, %2]")
LD(ldr_x_uxtw3, "ldr %0, [%1, %w2, uxtw #3]")
LD(ldr_x_sxtw3, "ldr %0, [%1, %w2, sxtw #3]")
LD(ldr_x_sxtx3, "ldr %0, [%1, %2, sxtx #3]")
LD(ldr_x_sxtx, "ldr %0, [%1, %2, sxtx]")
LD(ldr_x_uxtw, "ldr %0, [%1, %w2, uxtw]")
LD(ldr_w_sxtw2, "ldr %w0, [%1, %w2, sxtw #2]")
LD(ldr_w_lsl2, "ldr %w0, [%1, %2, lsl #2]")
LD(ldrsw_lsl2, "ldrsw %0, [%1, %2, lsl #2]")
LD(ldrsw_sxtw, "ldrsw %0, [%1, %w2, sxtw]")
LD(ldrh_lsl1, "ldrh %w0, [%1, %2, lsl #1]")
LD(ldrsh_x_uxtw1, "ldrsh %0, [%1, %w2, uxtw #1]")
LD(ldrsh_w_sxtw, "ldrsh %w0, [%1, %w2, sxtw]")
LD(ldrb_sxtw, "ldrb %w0, [%1, %w2, sxtw]")
LD(ldrsb_x_uxtw, "ldrsb %0, [%1, %w2, uxtw]")
LD(ldrsb_w_reg, "ldrsb %w0, [%1, %2]")
LD(ldrb_lsl0, "ldrb %w0, [%1, %2, lsl #0]")
LD(ldtr_x, "ldtr %0, [%1, #-24]")
LD(ldtrsb_x, "ldtrsb %0, [%1, #5]")
LD(ldtrsh_w, "ldtrsh %w0, [%1, #-10]")
LD(ldtrsw, "ldtrsw %0, [%1, #20]")
LD(prfm_then_ldr, "prfm pldl1keep, [%1, #64]\n\tprfm pstl2strm, [%1, %2, lsl #3]\n\t"
                  "prfum pldl3keep, [%1, #-3]\n\tldr %0, [%1]")

#define E(fn, idx) {#fn, fn, idx}
static const struct {
    const char *name;
    uint64_t (*fn)(uint8_t *, uint64_t);
    uint64_t idx;
} loads[] = {
    E(ldrb_imm, 0), E(ldrsb_w, 0), E(ldrsb_x, 0), E(ldrh_imm, 0), E(ldrsh_w, 0),
    E(ldrsh_x, 0), E(ldr_w_imm, 0), E(ldrsw_imm, 0), E(ldr_x_imm, 0), E(ldurb_neg, 0),
    E(ldursb_x, 0), E(ldursb_w, 0), E(ldurh_neg, 0), E(ldursh_x, 0), E(ldursh_w, 0),
    E(ldur_w, 0), E(ldursw, 0), E(ldur_x, 0), E(ldur_x_pos, 0),
    E(ldr_x_lsl3, 5), E(ldr_x_lsl3, (uint64_t)-7), E(ldr_x_reg, 32), E(ldr_x_reg, (uint64_t)-64),
    /* uxtw ignores bits [63:32] of the index and never sign-extends. */
    E(ldr_x_uxtw3, 0xffffffff00000003ull), E(ldr_x_sxtw3, 0x00000000fffffffdull),
    E(ldr_x_sxtw3, 0x1234567800000010ull), E(ldr_x_sxtx3, (uint64_t)-30),
    E(ldr_x_sxtx, (uint64_t)-200), E(ldr_x_uxtw, 0xabcdef0000000040ull),
    E(ldr_w_sxtw2, 0xfffffff0ull), E(ldr_w_lsl2, 9), E(ldrsw_lsl2, (uint64_t)-3),
    E(ldrsw_sxtw, 0xffffffe4ull), E(ldrh_lsl1, 101), E(ldrsh_x_uxtw1, 0x800000007ull),
    E(ldrsh_w_sxtw, 0xfffffff6ull), E(ldrb_sxtw, 0xffffff01ull), E(ldrsb_x_uxtw, 0x17),
    E(ldrsb_w_reg, (uint64_t)-129), E(ldrb_lsl0, 200), E(ldtr_x, 0), E(ldtrsb_x, 0),
    E(ldtrsh_w, 0), E(ldtrsw, 0), E(prfm_then_ldr, 3),
};

/* Writeback forms: print the loaded value and how far the base moved. */
#define LDWB(fn, text)                                                                   \
    static uint64_t fn(uint8_t *base, uint64_t *delta)                                   \
    {                                                                                    \
        uint64_t r;                                                                      \
        uint8_t *b = base;                                                               \
        __asm__ volatile(text : "=&r"(r), "+r"(b) : : "memory");                         \
        *delta = (uint64_t)(b - base);                                                   \
        return r;                                                                        \
    }
LDWB(ldr_x_pre, "ldr %0, [%1, #16]!")
LDWB(ldr_x_post, "ldr %0, [%1], #-8")
LDWB(ldr_w_pre_neg, "ldr %w0, [%1, #-256]!")
LDWB(ldrsw_post, "ldrsw %0, [%1], #255")
LDWB(ldrb_pre, "ldrb %w0, [%1, #-1]!")
LDWB(ldrsb_x_post, "ldrsb %0, [%1], #1")
LDWB(ldrsh_w_pre, "ldrsh %w0, [%1, #30]!")
LDWB(ldrh_post, "ldrh %w0, [%1], #-2")
LDWB(ldrsh_x_post, "ldrsh %0, [%1], #100")
LDWB(ldrsb_w_pre, "ldrsb %w0, [%1, #-77]!")

static const struct {
    const char *name;
    uint64_t (*fn)(uint8_t *, uint64_t *);
} wb[] = {
    {"ldr_x_pre", ldr_x_pre},       {"ldr_x_post", ldr_x_post},
    {"ldr_w_pre_neg", ldr_w_pre_neg}, {"ldrsw_post", ldrsw_post},
    {"ldrb_pre", ldrb_pre},         {"ldrsb_x_post", ldrsb_x_post},
    {"ldrsh_w_pre", ldrsh_w_pre},   {"ldrh_post", ldrh_post},
    {"ldrsh_x_post", ldrsh_x_post}, {"ldrsb_w_pre", ldrsb_w_pre},
};

/* Stores: %0 value, %1 base (writeback allowed), %2 index. Only the stored size may
   change memory, which the dump of the whole buffer checks. */
#define ST(fn, text)                                                                     \
    static uint64_t fn(uint8_t *base, uint64_t v, uint64_t idx)                          \
    {                                                                                    \
        uint8_t *b = base;                                                               \
        __asm__ volatile(text : "+r"(b) : "r"(v), "r"(idx) : "memory");                  \
        return (uint64_t)(b - base);                                                     \
    }
ST(strb_imm, "strb %w1, [%0, #7]")
ST(strh_imm, "strh %w1, [%0, #18]")
ST(str_w_imm, "str %w1, [%0, #36]")
ST(str_x_imm, "str %1, [%0, #64]")
ST(sturb, "sturb %w1, [%0, #-1]")
ST(sturh, "sturh %w1, [%0, #-34]")
ST(stur_w, "stur %w1, [%0, #-68]")
ST(stur_x, "stur %1, [%0, #-136]")
ST(strb_pre, "strb %w1, [%0, #-5]!")
ST(strh_post, "strh %w1, [%0], #6")
ST(str_w_pre, "str %w1, [%0, #12]!")
ST(str_x_post, "str %1, [%0], #-256")
ST(str_x_pre, "str %1, [%0, #-72]!")
ST(strb_reg, "strb %w1, [%0, %2]")
ST(strh_sxtw1, "strh %w1, [%0, %w2, sxtw #1]")
ST(str_w_uxtw2, "str %w1, [%0, %w2, uxtw #2]")
ST(str_x_lsl3, "str %1, [%0, %2, lsl #3]")
ST(str_x_sxtx, "str %1, [%0, %2, sxtx]")
ST(strb_sxtw, "strb %w1, [%0, %w2, sxtw]")
ST(sttr_x, "sttr %1, [%0, #-40]")
ST(sttrb, "sttrb %w1, [%0, #3]")
ST(sttrh, "sttrh %w1, [%0, #-12]")
ST(str_xzr, "str xzr, [%0, #80]\n\tstrb wzr, [%0, #99]")

#define S(fn, idx) {#fn, fn, idx}
static const struct {
    const char *name;
    uint64_t (*fn)(uint8_t *, uint64_t, uint64_t);
    uint64_t idx;
} stores[] = {
    S(strb_imm, 0), S(strh_imm, 0), S(str_w_imm, 0), S(str_x_imm, 0), S(sturb, 0),
    S(sturh, 0), S(stur_w, 0), S(stur_x, 0), S(strb_pre, 0), S(strh_post, 0),
    S(str_w_pre, 0), S(str_x_post, 0), S(str_x_pre, 0), S(strb_reg, (uint64_t)-100),
    S(strh_sxtw1, 0xffffffc0ull), S(str_w_uxtw2, 0x1000000011ull), S(str_x_lsl3, (uint64_t)-9),
    S(str_x_sxtx, 168), S(strb_sxtw, 0xffffff80ull), S(sttr_x, 0), S(sttrb, 0), S(sttrh, 0),
    S(str_xzr, 0),
};

static void dump(void)
{
    for (unsigned i = 0; i < sizeof buf; i += 32) {
        DIFF_OUT("  %03x:", i);
        for (unsigned j = 0; j < 32; j += 8) {
            uint64_t w = 0;
            for (unsigned k = 0; k < 8; k++)
                w |= (uint64_t)buf[i + j + k] << (8 * k);
            DIFF_OUT(" %016lx", w);
        }
        DIFF_OUT("\n");
    }
}

int main(uint64_t arg)
{
    fill();
    for (unsigned i = 0; i < SDK_ARRAY_SIZE(loads); i++)
        DIFF_OUT("%-16s idx=%lx -> %lx\n", loads[i].name, loads[i].idx,
                 loads[i].fn(MID, loads[i].idx));
    for (unsigned i = 0; i < SDK_ARRAY_SIZE(wb); i++) {
        uint64_t d;
        uint64_t r = wb[i].fn(MID, &d);
        DIFF_OUT("%-16s -> %lx base%+ld\n", wb[i].name, r, (int64_t)d);
    }
    uint64_t v = 0xf1e2d3c4b5a69788ull;
    for (unsigned i = 0; i < SDK_ARRAY_SIZE(stores); i++) {
        uint64_t d = stores[i].fn(MID, v, stores[i].idx);
        DIFF_OUT("%-16s base delta %ld\n", stores[i].name, (int64_t)d);
        v = v * 0x100000001b3ull + 0x1234;
    }
    dump();
    return 0;
}
