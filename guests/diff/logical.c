/* Logical: bitmask immediates of every element size and rotation class, and the
   shifted-register forms (and/orr/eor/bic/orn/eon/ands/bics, mvn, tst) incl. ror. */
#include "diff.h"

typedef struct {
    uint64_t r, f;
} res_t;

#define OP(fn, text)                                                                     \
    static res_t fn(uint64_t a, uint64_t b)                                              \
    {                                                                                    \
        res_t o;                                                                         \
        __asm__ volatile("msr nzcv, xzr\n\t" text "\n\tmrs %1, nzcv"                   \
                         : "=&r"(o.r), "=&r"(o.f)                                        \
                         : "r"(a), "r"(b)                                                \
                         : "cc");                                                        \
        o.f >>= 28;                                                                      \
        return o;                                                                        \
    }

/* immediates (64-bit) */
OP(and_x_i0, "and %0, %2, #0x5555555555555555")
OP(orr_x_i1, "orr %0, %2, #0xaaaaaaaaaaaaaaaa")
OP(eor_x_i2, "eor %0, %2, #0x1111111111111111")
OP(ands_x_i3, "ands %0, %2, #0x9999999999999999")
OP(and_x_i4, "and %0, %2, #0xeeeeeeeeeeeeeeee")
OP(orr_x_i5, "orr %0, %2, #0x101010101010101")
OP(eor_x_i6, "eor %0, %2, #0xc1c1c1c1c1c1c1c1")
OP(ands_x_i7, "ands %0, %2, #0xfefefefefefefefe")
OP(and_x_i8, "and %0, %2, #0x3c3c3c3c3c3c3c3c")
OP(orr_x_i9, "orr %0, %2, #0x1000100010001")
OP(eor_x_i10, "eor %0, %2, #0xf00ff00ff00ff00f")
OP(ands_x_i11, "ands %0, %2, #0xbfffbfffbfffbfff")
OP(and_x_i12, "and %0, %2, #0x3e003e003e003e0")
OP(orr_x_i13, "orr %0, %2, #0x100000001")
OP(eor_x_i14, "eor %0, %2, #0xffff0000ffff0000")
OP(ands_x_i15, "ands %0, %2, #0xfffffffefffffffe")
OP(and_x_i16, "and %0, %2, #0x1c0000001c")
OP(orr_x_i17, "orr %0, %2, #0xf8007ffff8007fff")
OP(eor_x_i18, "eor %0, %2, #0x1")
OP(ands_x_i19, "ands %0, %2, #0x2")
OP(and_x_i20, "and %0, %2, #0xffffffff")
OP(orr_x_i21, "orr %0, %2, #0xffffffff00000000")
OP(eor_x_i22, "eor %0, %2, #0xbfffffffffffffff")
OP(ands_x_i23, "ands %0, %2, #0x7fffffffffffffff")
OP(and_x_i24, "and %0, %2, #0xfff000")
OP(orr_x_i25, "orr %0, %2, #0xff0000ffffffffff")
OP(eor_x_i26, "eor %0, %2, #0x3f8")
OP(ands_x_i27, "ands %0, %2, #0xfffffffffe000001")
/* immediates (32-bit) */
OP(ands_w_i0, "ands %w0, %w2, #0x55555555")
OP(eor_w_i1, "eor %w0, %w2, #0x99999999")
OP(orr_w_i2, "orr %w0, %w2, #0x2020202")
OP(and_w_i3, "and %w0, %w2, #0xe7e7e7e7")
OP(ands_w_i4, "ands %w0, %w2, #0x70007")
OP(eor_w_i5, "eor %w0, %w2, #0xfff0fff0")
OP(orr_w_i6, "orr %w0, %w2, #0x1")
OP(and_w_i7, "and %w0, %w2, #0x2")
OP(ands_w_i8, "ands %w0, %w2, #0xbfffffff")
OP(eor_w_i9, "eor %w0, %w2, #0xff0000ff")
OP(orr_w_i10, "orr %w0, %w2, #0x3fe0")
OP(and_w_i11, "and %w0, %w2, #0xffffff")
OP(tst_x_i, "tst %2, #0xff00\n\tmov %0, xzr")
OP(tst_w_i, "tst %w2, #0x80000001\n\tmov %0, xzr")
OP(mov_bitmask, "mov %0, #0x00ff00ff00ff00ff")
/* shifted register */
OP(and_x_s0, "and %0, %2, %3")
OP(and_x_s3, "and %0, %2, %3, asr #17")
OP(and_x_s6, "and %0, %2, %3, ror #63")
OP(orr_x_s0, "orr %0, %2, %3")
OP(orr_x_s3, "orr %0, %2, %3, asr #17")
OP(orr_x_s6, "orr %0, %2, %3, ror #63")
OP(eor_x_s0, "eor %0, %2, %3")
OP(eor_x_s3, "eor %0, %2, %3, asr #17")
OP(eor_x_s6, "eor %0, %2, %3, ror #63")
OP(bic_x_s0, "bic %0, %2, %3")
OP(bic_x_s3, "bic %0, %2, %3, asr #17")
OP(bic_x_s6, "bic %0, %2, %3, ror #63")
OP(orn_x_s0, "orn %0, %2, %3")
OP(orn_x_s3, "orn %0, %2, %3, asr #17")
OP(orn_x_s6, "orn %0, %2, %3, ror #63")
OP(eon_x_s0, "eon %0, %2, %3")
OP(eon_x_s3, "eon %0, %2, %3, asr #17")
OP(eon_x_s6, "eon %0, %2, %3, ror #63")
OP(ands_x_s0, "ands %0, %2, %3")
OP(ands_x_s2, "ands %0, %2, %3, lsr #3")
OP(ands_x_s5, "ands %0, %2, %3, lsl #63")
OP(ands_x_s8, "ands %0, %2, %3, lsr #32")
OP(bics_x_s0, "bics %0, %2, %3")
OP(bics_x_s2, "bics %0, %2, %3, lsr #3")
OP(bics_x_s5, "bics %0, %2, %3, lsl #63")
OP(bics_x_s8, "bics %0, %2, %3, lsr #32")
OP(and_w_s0, "and %w0, %w2, %w3")
OP(and_w_s1, "and %w0, %w2, %w3, lsl #4")
OP(and_w_s3, "and %w0, %w2, %w3, asr #7")
OP(and_w_s5, "and %w0, %w2, %w3, ror #1")
OP(orr_w_s0, "orr %w0, %w2, %w3")
OP(orr_w_s1, "orr %w0, %w2, %w3, lsl #4")
OP(orr_w_s3, "orr %w0, %w2, %w3, asr #7")
OP(orr_w_s5, "orr %w0, %w2, %w3, ror #1")
OP(eor_w_s0, "eor %w0, %w2, %w3")
OP(eor_w_s1, "eor %w0, %w2, %w3, lsl #4")
OP(eor_w_s3, "eor %w0, %w2, %w3, asr #7")
OP(eor_w_s5, "eor %w0, %w2, %w3, ror #1")
OP(bic_w_s0, "bic %w0, %w2, %w3")
OP(bic_w_s1, "bic %w0, %w2, %w3, lsl #4")
OP(bic_w_s3, "bic %w0, %w2, %w3, asr #7")
OP(bic_w_s5, "bic %w0, %w2, %w3, ror #1")
OP(orn_w_s0, "orn %w0, %w2, %w3")
OP(orn_w_s1, "orn %w0, %w2, %w3, lsl #4")
OP(orn_w_s3, "orn %w0, %w2, %w3, asr #7")
OP(orn_w_s5, "orn %w0, %w2, %w3, ror #1")
OP(eon_w_s0, "eon %w0, %w2, %w3")
OP(eon_w_s1, "eon %w0, %w2, %w3, lsl #4")
OP(eon_w_s3, "eon %w0, %w2, %w3, asr #7")
OP(eon_w_s5, "eon %w0, %w2, %w3, ror #1")
OP(ands_w_s0, "ands %w0, %w2, %w3")
OP(ands_w_s2, "ands %w0, %w2, %w3, lsr #31")
OP(ands_w_s4, "ands %w0, %w2, %w3, ror #16")
OP(bics_w_s0, "bics %w0, %w2, %w3")
OP(bics_w_s2, "bics %w0, %w2, %w3, lsr #31")
OP(bics_w_s4, "bics %w0, %w2, %w3, ror #16")
OP(mvn_x, "mvn %0, %3")
OP(mvn_x_ror, "mvn %0, %3, ror #5")
OP(mvn_w_asr, "mvn %w0, %w3, asr #3")
OP(tst_x_r, "tst %2, %3\n\tmov %0, xzr")
OP(tst_x_lsr, "tst %2, %3, lsr #60\n\tmov %0, xzr")
OP(tst_w_r, "tst %w2, %w3\n\tmov %0, xzr")
OP(mov_x_r, "mov %0, %3")
OP(mov_w_r, "mov %w0, %w3")

struct op {
    const char *name;
    res_t (*fn)(uint64_t, uint64_t);
};
static const struct op ops[] = {
    {"and_x_i0", and_x_i0},
    {"orr_x_i1", orr_x_i1},
    {"eor_x_i2", eor_x_i2},
    {"ands_x_i3", ands_x_i3},
    {"and_x_i4", and_x_i4},
    {"orr_x_i5", orr_x_i5},
    {"eor_x_i6", eor_x_i6},
    {"ands_x_i7", ands_x_i7},
    {"and_x_i8", and_x_i8},
    {"orr_x_i9", orr_x_i9},
    {"eor_x_i10", eor_x_i10},
    {"ands_x_i11", ands_x_i11},
    {"and_x_i12", and_x_i12},
    {"orr_x_i13", orr_x_i13},
    {"eor_x_i14", eor_x_i14},
    {"ands_x_i15", ands_x_i15},
    {"and_x_i16", and_x_i16},
    {"orr_x_i17", orr_x_i17},
    {"eor_x_i18", eor_x_i18},
    {"ands_x_i19", ands_x_i19},
    {"and_x_i20", and_x_i20},
    {"orr_x_i21", orr_x_i21},
    {"eor_x_i22", eor_x_i22},
    {"ands_x_i23", ands_x_i23},
    {"and_x_i24", and_x_i24},
    {"orr_x_i25", orr_x_i25},
    {"eor_x_i26", eor_x_i26},
    {"ands_x_i27", ands_x_i27},
    {"ands_w_i0", ands_w_i0},
    {"eor_w_i1", eor_w_i1},
    {"orr_w_i2", orr_w_i2},
    {"and_w_i3", and_w_i3},
    {"ands_w_i4", ands_w_i4},
    {"eor_w_i5", eor_w_i5},
    {"orr_w_i6", orr_w_i6},
    {"and_w_i7", and_w_i7},
    {"ands_w_i8", ands_w_i8},
    {"eor_w_i9", eor_w_i9},
    {"orr_w_i10", orr_w_i10},
    {"and_w_i11", and_w_i11},
    {"tst_x_i", tst_x_i},
    {"tst_w_i", tst_w_i},
    {"mov_bitmask", mov_bitmask},
    {"and_x_s0", and_x_s0},
    {"and_x_s3", and_x_s3},
    {"and_x_s6", and_x_s6},
    {"orr_x_s0", orr_x_s0},
    {"orr_x_s3", orr_x_s3},
    {"orr_x_s6", orr_x_s6},
    {"eor_x_s0", eor_x_s0},
    {"eor_x_s3", eor_x_s3},
    {"eor_x_s6", eor_x_s6},
    {"bic_x_s0", bic_x_s0},
    {"bic_x_s3", bic_x_s3},
    {"bic_x_s6", bic_x_s6},
    {"orn_x_s0", orn_x_s0},
    {"orn_x_s3", orn_x_s3},
    {"orn_x_s6", orn_x_s6},
    {"eon_x_s0", eon_x_s0},
    {"eon_x_s3", eon_x_s3},
    {"eon_x_s6", eon_x_s6},
    {"ands_x_s0", ands_x_s0},
    {"ands_x_s2", ands_x_s2},
    {"ands_x_s5", ands_x_s5},
    {"ands_x_s8", ands_x_s8},
    {"bics_x_s0", bics_x_s0},
    {"bics_x_s2", bics_x_s2},
    {"bics_x_s5", bics_x_s5},
    {"bics_x_s8", bics_x_s8},
    {"and_w_s0", and_w_s0},
    {"and_w_s1", and_w_s1},
    {"and_w_s3", and_w_s3},
    {"and_w_s5", and_w_s5},
    {"orr_w_s0", orr_w_s0},
    {"orr_w_s1", orr_w_s1},
    {"orr_w_s3", orr_w_s3},
    {"orr_w_s5", orr_w_s5},
    {"eor_w_s0", eor_w_s0},
    {"eor_w_s1", eor_w_s1},
    {"eor_w_s3", eor_w_s3},
    {"eor_w_s5", eor_w_s5},
    {"bic_w_s0", bic_w_s0},
    {"bic_w_s1", bic_w_s1},
    {"bic_w_s3", bic_w_s3},
    {"bic_w_s5", bic_w_s5},
    {"orn_w_s0", orn_w_s0},
    {"orn_w_s1", orn_w_s1},
    {"orn_w_s3", orn_w_s3},
    {"orn_w_s5", orn_w_s5},
    {"eon_w_s0", eon_w_s0},
    {"eon_w_s1", eon_w_s1},
    {"eon_w_s3", eon_w_s3},
    {"eon_w_s5", eon_w_s5},
    {"ands_w_s0", ands_w_s0},
    {"ands_w_s2", ands_w_s2},
    {"ands_w_s4", ands_w_s4},
    {"bics_w_s0", bics_w_s0},
    {"bics_w_s2", bics_w_s2},
    {"bics_w_s4", bics_w_s4},
    {"mvn_x", mvn_x},
    {"mvn_x_ror", mvn_x_ror},
    {"mvn_w_asr", mvn_w_asr},
    {"tst_x_r", tst_x_r},
    {"tst_x_lsr", tst_x_lsr},
    {"tst_w_r", tst_w_r},
    {"mov_x_r", mov_x_r},
    {"mov_w_r", mov_w_r},
};

static int is_imm(const char *n)
{
    for (; *n; n++)
        if (n[0] == '_' && n[1] == 'i')
            return 1;
    return 0;
}

int main(uint64_t arg)
{
    for (unsigned o = 0; o < SDK_ARRAY_SIZE(ops); o++) {
        DIFF_OUT("%s\n", ops[o].name);
        for (unsigned i = 0; i < DIFF_NVALS; i++) {
            DIFF_OUT(" %016lx:", diff_vals[i]);
            /* The immediate forms ignore b, so one column is enough for them. */
            unsigned cols = is_imm(ops[o].name) ? 1 : DIFF_NVALS;
            for (unsigned j = 0; j < cols; j++) {
                res_t r = ops[o].fn(diff_vals[i], diff_vals[(i + j) % DIFF_NVALS]);
                DIFF_OUT(" %lx/%lx", r.r, r.f);
            }
            DIFF_OUT("\n");
        }
    }
    return 0;
}
