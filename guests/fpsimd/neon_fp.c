/* Advanced SIMD floating point through arm_neon.h: vector add/sub/mul/div/fma/fms,
   MULX, ABD, max/min and the NM forms with NaNs, compares (incl. against zero and
   absolute), FRECPE/FRSQRTE estimates and the FRECPS/FRSQRTS steps, FRECPX, FSQRT,
   FRINT* vector, conversions (FCVTZS/U, FCVTNS/MS/PS/AS, SCVTF/UCVTF incl. fixed point,
   FCVTL/FCVTN/FCVTXN), pairwise and across-lanes (FADDP, FMAXNMV, FMINV), vector x element
   FMLA/FMUL/FMULX, and the scalar forms of the estimates. */
#include "fpsimd.h"

static const uint32_t fv[] = {
    0x00000000u, 0x80000000u, 0x7f800000u, 0xff800000u, 0x7fc00001u, 0x7f800abcu, 0x00000001u,
    0x007fffffu, 0x00800000u, 0x7f7fffffu, 0x3f800000u, 0xbfc00000u, 0x40490fdbu, 0x3eaaaaabu,
    0x4f000000u, 0xcf000001u, 0x3f000000u, 0x40200000u, 0xc0200000u, 0x34000000u,
};
#define NF (sizeof fv / sizeof fv[0])
static const uint64_t dv[] = {
    0x0000000000000000ull, 0x8000000000000000ull, 0x7ff0000000000000ull, 0x7ff8000000000001ull,
    0x7ff0000000000123ull, 0x000fffffffffffffull, 0x3ff0000000000000ull, 0xc009000000000000ull,
    0x43e0000000000000ull, 0x3fd5555555555555ull, 0x0000000000000010ull, 0x7fefffffffffffffull,
};
#define ND (sizeof dv / sizeof dv[0])

static uint32_t fbuf[NF + 8] __attribute__((aligned(16)));
static uint64_t dbuf[ND + 4] __attribute__((aligned(16)));

int fp_main(uint64_t arg)
{
    for (unsigned i = 0; i < NF + 8; i++) fbuf[i] = fv[(i * 3) % NF];
    for (unsigned i = 0; i < ND + 4; i++) dbuf[i] = dv[(i * 5) % ND];
    for (unsigned i = 0; i + 8 <= NF + 8; i += 4) {
        float32x4_t a = vreinterpretq_f32_u32(vld1q_u32(&fbuf[i]));
        float32x4_t b = vreinterpretq_f32_u32(vld1q_u32(&fbuf[i + 4]));
        float32x4_t c = vrev64q_f32(a);
        write_fpsr(0);
        sdk_printf("group %u\n", i);
        PRINT_Q("add", vaddq_f32(a, b));
        PRINT_Q("sub", vsubq_f32(a, b));
        PRINT_Q("mul", vmulq_f32(a, b));
        PRINT_Q("div", vdivq_f32(a, b));
        PRINT_Q("fma", vfmaq_f32(c, a, b));
        PRINT_Q("fms", vfmsq_f32(c, a, b));
        PRINT_Q("mulx", vmulxq_f32(a, b));
        PRINT_Q("abd", vabdq_f32(a, b));
        PRINT_Q("max", vmaxq_f32(a, b));
        PRINT_Q("minnm", vminnmq_f32(a, b));
        PRINT_Q("cmge", vcgeq_f32(a, b));
        PRINT_Q("cmeq", vceqq_f32(a, b));
        PRINT_Q("cmlt0", vcltzq_f32(a));
        PRINT_Q("facgt", vcagtq_f32(a, b));
        PRINT_Q("recpe", vrecpeq_f32(a));
        PRINT_Q("rsqrte", vrsqrteq_f32(b));
        PRINT_Q("recps", vrecpsq_f32(a, b));
        PRINT_Q("rsqrts", vrsqrtsq_f32(a, b));
        PRINT_Q("sqrt", vsqrtq_f32(a));
        PRINT_Q("rintn", vrndnq_f32(b));
        PRINT_Q("rintm", vrndmq_f32(b));
        PRINT_Q("rinta", vrndaq_f32(b));
        PRINT_Q("rintx", vrndxq_f32(b));
        PRINT_Q("rintz", vrndq_f32(b));
        PRINT_Q("cvtzs", vcvtq_s32_f32(a));
        PRINT_Q("cvtzu", vcvtq_u32_f32(b));
        PRINT_Q("cvtns", vcvtnq_s32_f32(b));
        PRINT_Q("cvtms", vcvtmq_s32_f32(b));
        PRINT_Q("cvtpu", vcvtpq_u32_f32(b));
        PRINT_Q("cvtas", vcvtaq_s32_f32(b));
        PRINT_Q("cvtzs_fx", vcvtq_n_s32_f32(a, 12));
        PRINT_Q("scvtf", vcvtq_f32_s32(vreinterpretq_s32_f32(a)));
        PRINT_Q("ucvtf_fx", vcvtq_n_f32_u32(vreinterpretq_u32_f32(b), 20));
        PRINT_Q("cvtl", vcvt_f64_f32(vget_low_f32(a)));
        PRINT_Q("cvtl2", vcvt_high_f64_f32(b));
        PRINT_Q("faddp", vpaddq_f32(a, b));
        PRINT_Q("fmaxnmp", vpmaxnmq_f32(a, b));
        PRINT_Q("fmla_lane", vfmaq_laneq_f32(c, a, b, 2));
        PRINT_Q("fmul_lane", vmulq_laneq_f32(a, b, 3));
        PRINT_Q("fmulx_lane", vmulxq_laneq_f32(a, b, 1));
        sdk_printf("maxnmv %08x minv %08x maxv %08x recpx %08x recpe_s %08x rsqrte_s %08x fpsr %llx\n",
                   f32_bits(vmaxnmvq_f32(a)), f32_bits(vminvq_f32(b)), f32_bits(vmaxvq_f32(c)),
                   f32_bits(vrecpxs_f32(vgetq_lane_f32(a, 1))), f32_bits(vrecpes_f32(vgetq_lane_f32(b, 2))),
                   f32_bits(vrsqrtes_f32(vgetq_lane_f32(a, 3))), (unsigned long long)read_fpsr());
    }
    for (unsigned i = 0; i + 4 <= ND + 4; i += 2) {
        float64x2_t a = vreinterpretq_f64_u64(vld1q_u64(&dbuf[i]));
        float64x2_t b = vreinterpretq_f64_u64(vld1q_u64(&dbuf[i + 2]));
        write_fpsr(0);
        sdk_printf("dgroup %u\n", i);
        PRINT_Q("dadd", vaddq_f64(a, b));
        PRINT_Q("dmul", vmulq_f64(a, b));
        PRINT_Q("ddiv", vdivq_f64(a, b));
        PRINT_Q("dfma", vfmaq_f64(a, a, b));
        PRINT_Q("dmaxnm", vmaxnmq_f64(a, b));
        PRINT_Q("dmin", vminq_f64(a, b));
        PRINT_Q("drecpe", vrecpeq_f64(a));
        PRINT_Q("drsqrte", vrsqrteq_f64(b));
        PRINT_Q("dsqrt", vsqrtq_f64(b));
        PRINT_Q("dcvtzs", vcvtq_s64_f64(a));
        PRINT_Q("dcvtzu", vcvtq_u64_f64(b));
        PRINT_Q("dscvtf", vcvtq_f64_s64(vreinterpretq_s64_f64(b)));
        PRINT_Q("dcvtn", vcvt_high_f32_f64(vcvt_f32_f64(a), b));
        PRINT_Q("dcvtxn", vcvtx_high_f32_f64(vcvtx_f32_f64(a), b));
        PRINT_Q("dcmgt", vcgtq_f64(a, b));
        PRINT_Q("dfmul_lane", vmulq_laneq_f64(a, b, 1));
        sdk_printf("daddp %016llx fpsr %llx\n", (unsigned long long)f64_bits(vpaddd_f64(a)),
                   (unsigned long long)read_fpsr());
    }
    return 0;
}
