/* Advanced SIMD integer through arm_neon.h: three-same (add, sub, mul, mla, saturating
   add/sub, halving, rounding halving, min/max, abd/aba, compares, bitwise incl. BSL/BIC/ORN),
   three-different (long, wide, narrowing high-half, multiply long, saturating doubling),
   two-register misc (abs, neg, saturating abs/neg, cnt, clz, cls, rev, movn/qmovn/qmovun,
   widening pairwise add), shifts by immediate (shl, sshr, ushr, rounding, accumulate, sli,
   sri, saturating and narrowing forms) and by register, across-lanes and pairwise
   reductions, scalar forms (saturating scalar ops, scalar shifts), and vector x element. */
#include "fpsimd.h"

static uint8_t buf[8][16] __attribute__((aligned(16)));

int fp_main(uint64_t arg)
{
    uint64_t s = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 16; j++) {
            uint64_t r = xorshift64(&s);
            /* Mix in the saturation edges. */
            buf[i][j] = (j % 5 == 0) ? (uint8_t)(0x7f + (r & 1)) : (j % 7 == 0) ? (uint8_t)(r & 1 ? 0xff : 0) : (uint8_t)r;
        }
    for (int round = 0; round < 4; round++) {
        uint8x16_t a = vld1q_u8(buf[round]), b = vld1q_u8(buf[round + 1]), c = vld1q_u8(buf[round + 2]);
        int8x16_t sa = vreinterpretq_s8_u8(a), sb = vreinterpretq_s8_u8(b);
        int16x8_t ha = vreinterpretq_s16_u8(a), hb = vreinterpretq_s16_u8(b);
        int32x4_t wa = vreinterpretq_s32_u8(a), wb = vreinterpretq_s32_u8(b);
        uint16x8_t ua16 = vreinterpretq_u16_u8(a), ub16 = vreinterpretq_u16_u8(b);
        uint32x4_t ua32 = vreinterpretq_u32_u8(a);
        int64x2_t da = vreinterpretq_s64_u8(a), db = vreinterpretq_s64_u8(b);
        sdk_printf("round %d\n", round);
        write_fpsr(0);
        PRINT_Q("add", (vaddq_u8(a, b)));
        PRINT_Q("sub16", (vsubq_s16(ha, hb)));
        PRINT_Q("mul16", (vmulq_s16(ha, hb)));
        PRINT_Q("mla32", (vmlaq_s32(wa, wb, wa)));
        PRINT_Q("mls8", (vmlsq_u8(a, b, c)));
        PRINT_Q("qadd8", (vqaddq_s8(sa, sb)));
        PRINT_Q("uqadd8", (vqaddq_u8(a, b)));
        PRINT_Q("qsub16", (vqsubq_s16(ha, hb)));
        PRINT_Q("uqsub32", (vqsubq_u32(ua32, vreinterpretq_u32_u8(b))));
        PRINT_Q("qadd64", (vqaddq_s64(da, db)));
        PRINT_Q("hadd", (vhaddq_s8(sa, sb)));
        PRINT_Q("rhadd", (vrhaddq_u16(ua16, ub16)));
        PRINT_Q("hsub", (vhsubq_s32(wa, wb)));
        PRINT_Q("max", (vmaxq_s8(sa, sb)));
        PRINT_Q("umin", (vminq_u16(ua16, ub16)));
        PRINT_Q("abd", (vabdq_s16(ha, hb)));
        PRINT_Q("aba", (vabaq_u8(c, a, b)));
        PRINT_Q("cmgt", (vcgtq_s8(sa, sb)));
        PRINT_Q("cmhs", (vcgeq_u16(ua16, ub16)));
        PRINT_Q("cmeq0", (vceqzq_s32(wa)));
        PRINT_Q("cmtst", (vtstq_u8(a, b)));
        PRINT_Q("bsl", (vbslq_u8(c, a, b)));
        PRINT_Q("bic", (vbicq_u8(a, b)));
        PRINT_Q("orn", (vornq_u8(a, b)));
        PRINT_Q("eor", (veorq_u8(a, b)));
        PRINT_Q("saddl", (vaddl_s8(vget_low_s8(sa), vget_low_s8(sb))));
        PRINT_Q("uaddl2", (vaddl_high_u8(a, b)));
        PRINT_Q("ssubw", (vsubw_s16(wa, vget_low_s16(hb))));
        PRINT_Q("umull", (vmull_u8(vget_low_u8(a), vget_low_u8(b))));
        PRINT_Q("smull2", (vmull_high_s16(ha, hb)));
        PRINT_Q("smlal", (vmlal_s32(da, vget_low_s32(wa), vget_low_s32(wb))));
        PRINT_Q("sqdmull", (vqdmull_s16(vget_low_s16(ha), vget_low_s16(hb))));
        PRINT_Q("sqdmulh", (vqdmulhq_s16(ha, hb)));
        PRINT_Q("sqrdmulh", (vqrdmulhq_s32(wa, wb)));
        PRINT_Q("addhn", (vcombine_u8(vaddhn_u16(ua16, ub16), vraddhn_u16(ua16, ub16))));
        PRINT_Q("subhn2", (vsubhn_high_s16(vget_low_s8(sa), ha, hb)));
        PRINT_Q("abs", (vabsq_s8(sa)));
        PRINT_Q("qabs", (vqabsq_s8(sa)));
        PRINT_Q("qneg", (vqnegq_s16(ha)));
        PRINT_Q("neg64", (vnegq_s64(da)));
        PRINT_Q("cnt", (vcntq_u8(a)));
        PRINT_Q("clz", (vclzq_u16(ua16)));
        PRINT_Q("cls", (vclsq_s32(wa)));
        PRINT_Q("rev32", (vrev32q_u8(a)));
        PRINT_Q("rev64", (vrev64q_u16(ua16)));
        PRINT_Q("xtn", (vcombine_u8(vmovn_u16(ua16), vqmovn_u16(ub16))));
        PRINT_Q("sqxtun", (vcombine_u8(vqmovun_s16(ha), vqmovun_s16(hb))));
        PRINT_Q("sqxtn", (vcombine_s16(vqmovn_s32(wa), vqmovn_s32(wb))));
        PRINT_Q("uaddlp", (vpaddlq_u8(a)));
        PRINT_Q("sadalp", (vpadalq_s16(wa, hb)));
        PRINT_Q("shl", (vshlq_n_u8(a, 3)));
        PRINT_Q("sshr", (vshrq_n_s16(ha, 5)));
        PRINT_Q("ushr64", (vshrq_n_u64(vreinterpretq_u64_u8(a), 63)));
        PRINT_Q("srshr", (vrshrq_n_s32(wa, 7)));
        PRINT_Q("ursra", (vrsraq_n_u8(a, b, 2)));
        PRINT_Q("ssra", (vsraq_n_s16(ha, hb, 15)));
        PRINT_Q("sli", (vsliq_n_u32(ua32, vreinterpretq_u32_u8(b), 9)));
        PRINT_Q("sri", (vsriq_n_u8(a, b, 3)));
        PRINT_Q("sqshl", (vqshlq_n_s8(sa, 4)));
        PRINT_Q("sqshlu", (vqshluq_n_s16(ha, 3)));
        PRINT_Q("uqshl", (vqshlq_n_u32(ua32, 17)));
        PRINT_Q("shrn", (vcombine_u8(vshrn_n_u16(ua16, 3), vrshrn_n_u16(ub16, 8))));
        PRINT_Q("sqshrn", (vcombine_s16(vqshrn_n_s32(wa, 4), vqrshrn_n_s32(wb, 16))));
        PRINT_Q("sqrshrun", (vcombine_u8(vqrshrun_n_s16(ha, 2), vqshrun_n_s16(hb, 1))));
        PRINT_Q("sshll", (vshll_n_s16(vget_low_s16(ha), 5)));
        PRINT_Q("ushll2", (vshll_high_n_u8(a, 8)));
        PRINT_Q("sshl", (vshlq_s8(sa, vreinterpretq_s8_u8(vandq_u8(b, vdupq_n_u8(0x8f))))));
        PRINT_Q("urshl", (vrshlq_u16(ua16, vreinterpretq_s16_u8(vandq_u8(b, vdupq_n_u8(0x9f))))));
        PRINT_Q("sqrshl", (vqrshlq_s32(wa, vreinterpretq_s32_u8(vandq_u8(c, vdupq_n_u8(0x3f))))));
        PRINT_Q("addp", (vpaddq_u8(a, b)));
        PRINT_Q("smaxp", (vpmaxq_s16(ha, hb)));
        PRINT_Q("mul_lane", (vmulq_laneq_s16(ha, hb, 5)));
        PRINT_Q("mla_lane", (vmlaq_laneq_u32(ua32, vreinterpretq_u32_u8(b), ua32, 3)));
        PRINT_Q("sqdmulh_lane", (vqdmulhq_laneq_s32(wa, wb, 1)));
        PRINT_Q("smull_lane", (vmull_laneq_s16(vget_low_s16(ha), hb, 7)));
        sdk_printf("addv %x uaddlv %x smaxv %x uminv %x saddlv %llx umaxv %x\n", vaddvq_u8(a), vaddlvq_u8(b),
                   (unsigned)(uint16_t)vmaxvq_s16(ha), vminvq_u32(ua32), (unsigned long long)vaddlvq_s32(wb),
                   vmaxvq_u8(c));
        /* Scalar forms. */
        int32_t s1 = vgetq_lane_s32(wa, 0), s2 = vgetq_lane_s32(wb, 1);
        int64_t d1 = vgetq_lane_s64(da, 1);
        sdk_printf("scalar %x %x %x %llx %llx %x %llx\n", (unsigned)vqadds_s32(s1, s2), (unsigned)vqsubs_s32(s1, s2),
                   (unsigned)vqrdmulhs_s32(s1, s2), (unsigned long long)vqdmulls_s32(s1, s2),
                   (unsigned long long)vshrd_n_s64(d1, 13), (unsigned)vqmovnd_s64(d1),
                   (unsigned long long)vqshld_n_s64(d1, 2));
        sdk_printf("qc %llx\n", (unsigned long long)(read_fpsr() >> 27 & 1));
    }
    return 0;
}
