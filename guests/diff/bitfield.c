/* Bitfield moves: sbfm/ubfm/bfm directly (r <= s and r > s) and through every alias
   (sbfx/ubfx/sbfiz/ubfiz/bfi/bfxil/bfc, lsl/lsr/asr #imm, sxt?/uxt?), plus extr and
   ror #imm. bfm-family ops read their destination, which starts as `b`. */
#include "diff.h"

#define OP(fn, text)                                                                     \
    static uint64_t fn(uint64_t a, uint64_t b)                                           \
    {                                                                                    \
        uint64_t r = b;                                                                  \
        __asm__ volatile(text : "+r"(r) : "r"(a), "r"(b));                              \
        return r;                                                                        \
    }
OP(sbfm_x_le, "sbfm %0, %1, #4, #19")
OP(sbfm_x_gt, "sbfm %0, %1, #60, #7")
OP(ubfm_x_le, "ubfm %0, %1, #8, #63")
OP(ubfm_x_gt, "ubfm %0, %1, #33, #30")
OP(bfm_x_le, "bfm %0, %1, #16, #47")
OP(bfm_x_gt, "bfm %0, %1, #40, #3")
OP(sbfm_w_le, "sbfm %w0, %w1, #3, #12")
OP(sbfm_w_gt, "sbfm %w0, %w1, #20, #5")
OP(ubfm_w_le, "ubfm %w0, %w1, #0, #30")
OP(ubfm_w_gt, "ubfm %w0, %w1, #31, #30")
OP(bfm_w_le, "bfm %w0, %w1, #8, #15")
OP(bfm_w_gt, "bfm %w0, %w1, #28, #9")
OP(sbfx_x, "sbfx %0, %1, #31, #2")
OP(sbfx_w, "sbfx %w0, %w1, #24, #8")
OP(ubfx_x, "ubfx %0, %1, #60, #4")
OP(ubfx_w, "ubfx %w0, %w1, #1, #31")
OP(sbfiz_x, "sbfiz %0, %1, #50, #14")
OP(sbfiz_w, "sbfiz %w0, %w1, #4, #8")
OP(ubfiz_x, "ubfiz %0, %1, #32, #32")
OP(ubfiz_w, "ubfiz %w0, %w1, #31, #1")
OP(bfi_x, "bfi %0, %1, #12, #24")
OP(bfi_w, "bfi %w0, %w1, #30, #2")
OP(bfxil_x, "bfxil %0, %1, #56, #8")
OP(bfxil_w, "bfxil %w0, %w1, #5, #20")
OP(bfc_x, "bfm %0, xzr, #60, #15")
OP(bfc_w, "bfm %w0, wzr, #24, #7")
OP(lsl_x, "lsl %0, %1, #13")
OP(lsr_x, "lsr %0, %1, #63")
OP(asr_x, "asr %0, %1, #40")
OP(lsl_w, "lsl %w0, %w1, #31")
OP(lsr_w, "lsr %w0, %w1, #7")
OP(asr_w, "asr %w0, %w1, #31")
OP(sxtb_x, "sxtb %0, %w1")
OP(sxth_x, "sxth %0, %w1")
OP(sxtw_x, "sxtw %0, %w1")
OP(sxtb_w, "sxtb %w0, %w1")
OP(sxth_w, "sxth %w0, %w1")
OP(uxtb_w, "uxtb %w0, %w1")
OP(uxth_w, "uxth %w0, %w1")
OP(extr_x0, "extr %0, %1, %2, #0")
OP(extr_x17, "extr %0, %1, %2, #17")
OP(extr_x63, "extr %0, %1, %2, #63")
OP(extr_w0, "extr %w0, %w1, %w2, #0")
OP(extr_w9, "extr %w0, %w1, %w2, #9")
OP(extr_w31, "extr %w0, %w1, %w2, #31")
OP(ror_x, "ror %0, %1, #23")
OP(ror_w, "ror %w0, %w1, #13")

#define E(n) {#n, n}
static const struct {
    const char *name;
    uint64_t (*fn)(uint64_t, uint64_t);
} ops[] = {
    E(sbfm_x_le), E(sbfm_x_gt), E(ubfm_x_le), E(ubfm_x_gt), E(bfm_x_le), E(bfm_x_gt),
    E(sbfm_w_le), E(sbfm_w_gt), E(ubfm_w_le), E(ubfm_w_gt), E(bfm_w_le), E(bfm_w_gt),
    E(sbfx_x), E(sbfx_w), E(ubfx_x), E(ubfx_w), E(sbfiz_x), E(sbfiz_w), E(ubfiz_x),
    E(ubfiz_w), E(bfi_x), E(bfi_w), E(bfxil_x), E(bfxil_w), E(bfc_x), E(bfc_w), E(lsl_x),
    E(lsr_x), E(asr_x), E(lsl_w), E(lsr_w), E(asr_w), E(sxtb_x), E(sxth_x), E(sxtw_x),
    E(sxtb_w), E(sxth_w), E(uxtb_w), E(uxth_w), E(extr_x0), E(extr_x17), E(extr_x63),
    E(extr_w0), E(extr_w9), E(extr_w31), E(ror_x), E(ror_w),
};

int main(uint64_t arg)
{
    for (unsigned o = 0; o < SDK_ARRAY_SIZE(ops); o++) {
        DIFF_OUT("%s\n", ops[o].name);
        for (unsigned i = 0; i < DIFF_NVALS; i++) {
            DIFF_OUT(" %016lx:", diff_vals[i]);
            for (unsigned j = 0; j < DIFF_NVALS; j += 3)
                DIFF_OUT(" %lx", ops[o].fn(diff_vals[i], diff_vals[(i + j + 5) % DIFF_NVALS]));
            DIFF_OUT("\n");
        }
    }
    return 0;
}
