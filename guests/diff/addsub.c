/* Add/subtract: immediate, shifted register, extended register (incl. SP forms), with
   carry, and their flag-setting variants; NZCV is printed after every operation. */
#include "diff.h"

typedef struct {
    uint64_t r, f;
} res_t;

/* Each op sees a = %2, b = %3 and starts from NZCV = %4 so carry-in is controlled. */
#define OP(fn, text)                                                                     \
    static res_t fn(uint64_t a, uint64_t b, uint64_t nzcv_in)                            \
    {                                                                                    \
        res_t o;                                                                         \
        __asm__ volatile("msr nzcv, %4\n\t" text "\n\tmrs %1, nzcv"                      \
                         : "=&r"(o.r), "=&r"(o.f)                                        \
                         : "r"(a), "r"(b), "r"(nzcv_in)                                  \
                         : "cc", "x9");                                                  \
        o.f >>= 28;                                                                      \
        return o;                                                                        \
    }

/* register */
OP(add_x, "add %0, %2, %3")
OP(adds_x, "adds %0, %2, %3")
OP(sub_x, "sub %0, %2, %3")
OP(subs_x, "subs %0, %2, %3")
OP(adc_x, "adc %0, %2, %3")
OP(adcs_x, "adcs %0, %2, %3")
OP(sbc_x, "sbc %0, %2, %3")
OP(sbcs_x, "sbcs %0, %2, %3")
OP(neg_x, "neg %0, %3")
OP(negs_x, "negs %0, %3")
OP(ngc_x, "ngc %0, %3")
OP(ngcs_x, "ngcs %0, %3")
OP(cmp_x, "cmp %2, %3\n\tmov %0, xzr")
OP(cmn_x, "cmn %2, %3\n\tmov %0, xzr")
OP(add_w, "add %w0, %w2, %w3")
OP(adds_w, "adds %w0, %w2, %w3")
OP(sub_w, "sub %w0, %w2, %w3")
OP(subs_w, "subs %w0, %w2, %w3")
OP(adc_w, "adc %w0, %w2, %w3")
OP(adcs_w, "adcs %w0, %w2, %w3")
OP(sbc_w, "sbc %w0, %w2, %w3")
OP(sbcs_w, "sbcs %w0, %w2, %w3")
OP(negs_w, "negs %w0, %w3")
OP(ngcs_w, "ngcs %w0, %w3")
OP(cmp_w, "cmp %w2, %w3\n\tmov %0, xzr")
OP(cmn_w, "cmn %w2, %w3\n\tmov %0, xzr")
/* shifted register */
OP(add_lsl1, "add %0, %2, %3, lsl #1")
OP(add_lsl63, "add %0, %2, %3, lsl #63")
OP(adds_lsr7, "adds %0, %2, %3, lsr #7")
OP(adds_asr13, "adds %0, %2, %3, asr #13")
OP(subs_lsr63, "subs %0, %2, %3, lsr #63")
OP(subs_asr1, "subs %0, %2, %3, asr #1")
OP(sub_lsl32, "sub %0, %2, %3, lsl #32")
OP(cmp_asr63, "cmp %2, %3, asr #63\n\tmov %0, xzr")
OP(negs_lsl4, "negs %0, %3, lsl #4")
OP(add_w_lsl31, "add %w0, %w2, %w3, lsl #31")
OP(adds_w_lsr5, "adds %w0, %w2, %w3, lsr #5")
OP(subs_w_asr31, "subs %w0, %w2, %w3, asr #31")
OP(subs_w_asr9, "subs %w0, %w2, %w3, asr #9")
OP(cmn_w_lsl16, "cmn %w2, %w3, lsl #16\n\tmov %0, xzr")
/* extended register */
OP(add_uxtb, "add %0, %2, %w3, uxtb")
OP(add_uxtb1, "add %0, %2, %w3, uxtb #1")
OP(add_uxth2, "add %0, %2, %w3, uxth #2")
OP(add_uxtw3, "add %0, %2, %w3, uxtw #3")
OP(add_uxtx4, "add %0, %2, %3, uxtx #4")
OP(add_sxtb, "add %0, %2, %w3, sxtb")
OP(add_sxth1, "add %0, %2, %w3, sxth #1")
OP(add_sxtw2, "add %0, %2, %w3, sxtw #2")
OP(add_sxtx3, "add %0, %2, %3, sxtx #3")
OP(adds_sxtb4, "adds %0, %2, %w3, sxtb #4")
OP(adds_uxtw, "adds %0, %2, %w3, uxtw")
OP(subs_sxth, "subs %0, %2, %w3, sxth")
OP(subs_uxtb3, "subs %0, %2, %w3, uxtb #3")
OP(sub_sxtw4, "sub %0, %2, %w3, sxtw #4")
OP(cmp_sxtw, "cmp %2, %w3, sxtw\n\tmov %0, xzr")
OP(cmn_uxth, "cmn %2, %w3, uxth\n\tmov %0, xzr")
OP(add_w_uxtb2, "add %w0, %w2, %w3, uxtb #2")
OP(add_w_sxth, "add %w0, %w2, %w3, sxth")
OP(adds_w_sxtb1, "adds %w0, %w2, %w3, sxtb #1")
OP(subs_w_uxth4, "subs %w0, %w2, %w3, uxth #4")
OP(sub_w_sxtw, "sub %w0, %w2, %w3, sxtw")
/* immediate */
OP(add_i0, "add %0, %2, #0")
OP(add_i4095, "add %0, %2, #4095")
OP(add_i1_12, "add %0, %2, #1, lsl #12")
OP(adds_i4095_12, "adds %0, %2, #4095, lsl #12")
OP(adds_i1, "adds %0, %2, #1")
OP(subs_i1, "subs %0, %2, #1")
OP(sub_i2048, "sub %0, %2, #2048")
OP(subs_i7_12, "subs %0, %2, #7, lsl #12")
OP(cmp_i0, "cmp %2, #0\n\tmov %0, xzr")
OP(cmn_i1, "cmn %2, #1\n\tmov %0, xzr")
OP(adds_w_i1, "adds %w0, %w2, #1")
OP(subs_w_i1, "subs %w0, %w2, #1")
OP(add_w_i4095_12, "add %w0, %w2, #4095, lsl #12")
OP(cmp_w_i4095, "cmp %w2, #4095\n\tmov %0, xzr")
OP(cmn_w_i1_12, "cmn %w2, #1, lsl #12\n\tmov %0, xzr")
/* SP as source and destination: SP is never used for an access here, so unaligned
   values are fine (the SP alignment check only applies to SP-based loads/stores). */
OP(sp_add_i, "mov x9, sp\n\tmov sp, %2\n\tadd sp, sp, #0x123\n\tmov %0, sp\n\tmov sp, x9")
OP(sp_sub_i12, "mov x9, sp\n\tmov sp, %2\n\tsub sp, sp, #5, lsl #12\n\tmov %0, sp\n\tmov sp, x9")
OP(sp_adds_src, "mov x9, sp\n\tmov sp, %2\n\tadds %0, sp, #8\n\tmov sp, x9")
OP(sp_ext_uxtx, "mov x9, sp\n\tmov sp, %2\n\tadd %0, sp, %3\n\tmov sp, x9")
OP(sp_ext_lsl2, "mov x9, sp\n\tmov sp, %2\n\tadd sp, sp, %3, lsl #2\n\tmov %0, sp\n\tmov sp, x9")
OP(sp_ext_sxtw, "mov x9, sp\n\tmov sp, %2\n\tsub sp, sp, %w3, sxtw #1\n\tmov %0, sp\n\tmov sp, x9")
OP(sp_subs_ext, "mov x9, sp\n\tmov sp, %2\n\tsubs %0, sp, %w3, uxtw #2\n\tmov sp, x9")
OP(sp_cmp, "mov x9, sp\n\tmov sp, %2\n\tcmp sp, %3\n\tmov %0, xzr\n\tmov sp, x9")
OP(sp_cmp_i, "mov x9, sp\n\tmov sp, %2\n\tcmp sp, #16\n\tmov %0, xzr\n\tmov sp, x9")
OP(wsp_add, "mov x9, sp\n\tmov sp, %2\n\tadd wsp, wsp, #0x10\n\tmov %0, sp\n\tmov sp, x9")
OP(wsp_adds_src, "mov x9, sp\n\tmov sp, %2\n\tadds %w0, wsp, %w3, uxth #1\n\tmov sp, x9")

struct op {
    const char *name;
    res_t (*fn)(uint64_t, uint64_t, uint64_t);
};
#define E(n) {#n, n}
static const struct op ops[] = {
    E(add_x), E(adds_x), E(sub_x), E(subs_x), E(adc_x), E(adcs_x), E(sbc_x), E(sbcs_x),
    E(neg_x), E(negs_x), E(ngc_x), E(ngcs_x), E(cmp_x), E(cmn_x), E(add_w), E(adds_w),
    E(sub_w), E(subs_w), E(adc_w), E(adcs_w), E(sbc_w), E(sbcs_w), E(negs_w), E(ngcs_w),
    E(cmp_w), E(cmn_w), E(add_lsl1), E(add_lsl63), E(adds_lsr7), E(adds_asr13),
    E(subs_lsr63), E(subs_asr1), E(sub_lsl32), E(cmp_asr63), E(negs_lsl4), E(add_w_lsl31),
    E(adds_w_lsr5), E(subs_w_asr31), E(subs_w_asr9), E(cmn_w_lsl16), E(add_uxtb),
    E(add_uxtb1), E(add_uxth2), E(add_uxtw3), E(add_uxtx4), E(add_sxtb), E(add_sxth1),
    E(add_sxtw2), E(add_sxtx3), E(adds_sxtb4), E(adds_uxtw), E(subs_sxth), E(subs_uxtb3),
    E(sub_sxtw4), E(cmp_sxtw), E(cmn_uxth), E(add_w_uxtb2), E(add_w_sxth), E(adds_w_sxtb1),
    E(subs_w_uxth4), E(sub_w_sxtw), E(add_i0), E(add_i4095), E(add_i1_12), E(adds_i4095_12),
    E(adds_i1), E(subs_i1), E(sub_i2048), E(subs_i7_12), E(cmp_i0), E(cmn_i1), E(adds_w_i1),
    E(subs_w_i1), E(add_w_i4095_12), E(cmp_w_i4095), E(cmn_w_i1_12), E(sp_add_i),
    E(sp_sub_i12), E(sp_adds_src), E(sp_ext_uxtx), E(sp_ext_lsl2), E(sp_ext_sxtw),
    E(sp_subs_ext), E(sp_cmp), E(sp_cmp_i), E(wsp_add), E(wsp_adds_src),
};

int main(uint64_t arg)
{
    for (unsigned o = 0; o < SDK_ARRAY_SIZE(ops); o++) {
        DIFF_OUT("%s\n", ops[o].name);
        for (unsigned i = 0; i < DIFF_NVALS; i++) {
            DIFF_OUT(" %016lx:", diff_vals[i]);
            for (unsigned j = 0; j < DIFF_NVALS; j++) {
                /* Carry-in alternates so adc/sbc see both; other flags start mixed. */
                uint64_t nzcv_in = ((i + j) & 1) ? 0x20000000ull : 0xd0000000ull;
                res_t r = ops[o].fn(diff_vals[i], diff_vals[j], nzcv_in);
                DIFF_OUT(" %lx/%lx", r.r, r.f);
            }
            DIFF_OUT("\n");
        }
    }
    return 0;
}
