/* Half precision (FEAT_FP16, -march=armv8.2-a+fp16): scalar _Float16 arithmetic, FMA,
   sqrt, compares, conversions to and from float/double/integers, FMOV H immediate; vector
   float16x8_t add/mul/fma/div/max/min, FRECPE/FRSQRTE in half precision, FCVTZS/SCVTF .8h,
   pairwise and across-lanes max; on the hard half values (signed zeros, infinities, NaNs,
   subnormals, 65504), with FPSR flags, and under FPCR.FZ16 and AHP. */
#include "fpsimd.h"
#include <arm_fp16.h>

static const uint16_t hv[] = {
    0x0000, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x7d01, 0x0001, 0x03ff, 0x0400, 0x7bff,
    0x3c00, 0xbc00, 0x3800, 0x4248, 0x3555, 0x6400, 0xc500, 0x1400,
};
#define NH (sizeof hv / sizeof hv[0])
static uint16_t hbuf[NH + 16] __attribute__((aligned(16)));

static _Float16 H(uint16_t b) { _Float16 h; __builtin_memcpy(&h, &b, 2); return h; }
static uint16_t B(_Float16 h) { uint16_t b; __builtin_memcpy(&b, &h, 2); return b; }

__attribute__((noinline)) static _Float16 hadd(_Float16 a, _Float16 b) { return a + b; }
__attribute__((noinline)) static _Float16 hmul(_Float16 a, _Float16 b) { return a * b; }
__attribute__((noinline)) static _Float16 hdiv(_Float16 a, _Float16 b) { return a / b; }
__attribute__((noinline)) static _Float16 hfma(_Float16 a, _Float16 b, _Float16 c) { return vfmah_f16(c, a, b); }

int fp_main(uint64_t arg)
{
    for (unsigned pass = 0; pass < 3; pass++) {
        /* pass 0: default; pass 1: FZ16; pass 2: AHP (affects only conversions) + RZ */
        write_fpcr(pass == 1 ? (1u << 19) : pass == 2 ? ((1u << 26) | (3u << 22)) : 0);
        write_fpsr(0);
        sdk_printf("pass %u fpcr %llx\n", pass, (unsigned long long)read_fpcr());
        for (unsigned i = 0; i < NH; i++) {
            _Float16 a = H(hv[i]);
            float f = (float)a;
            double d = (double)a;
            OPAQUE(f);
            OPAQUE(d);
            sdk_printf("h %04x f %08x d %016llx sqrt %04x i %x u %x fromf %04x fromd %04x fromi %04x",
                       hv[i], f32_bits(f), (unsigned long long)f64_bits(d), B(vsqrth_f16(a)),
                       (unsigned)vcvth_s32_f16(a), (unsigned)vcvth_u32_f16(a), B((_Float16)(f * 3.0f)),
                       B((_Float16)(d / 3.0)), B(vcvth_f16_s32((int32_t)(hv[i] * 9))));
            sdk_printf(" fpsr %llx\n", (unsigned long long)read_fpsr());
            write_fpsr(0);
            for (unsigned j = 0; j < NH; j += 3) {
                _Float16 b = H(hv[j]);
                sdk_printf(" %04x %04x %04x %04x %x", B(hadd(a, b)), B(hmul(a, b)), B(hdiv(a, b)),
                           B(hfma(a, b, H(hv[(i + j) % NH]))), (unsigned)(a < b) | (unsigned)(a == b) << 1);
            }
            sdk_printf(" fpsr %llx\n", (unsigned long long)read_fpsr());
            write_fpsr(0);
        }
        for (unsigned i = 0; i < NH + 16; i++) hbuf[i] = hv[(i * 7) % NH];
        for (unsigned i = 0; i + 16 <= NH + 16; i += 8) {
            float16x8_t a = vld1q_f16((const __fp16 *)&hbuf[i]);
            float16x8_t b = vld1q_f16((const __fp16 *)&hbuf[i + 8]);
            PRINT_Q("vadd", vaddq_f16(a, b));
            PRINT_Q("vmul", vmulq_f16(a, b));
            PRINT_Q("vfma", vfmaq_f16(a, a, b));
            PRINT_Q("vdiv", vdivq_f16(a, b));
            PRINT_Q("vmaxnm", vmaxnmq_f16(a, b));
            PRINT_Q("vmin", vminq_f16(a, b));
            PRINT_Q("vrecpe", vrecpeq_f16(a));
            PRINT_Q("vrsqrte", vrsqrteq_f16(b));
            PRINT_Q("vcvtzs", vcvtq_s16_f16(a));
            PRINT_Q("vscvtf", vcvtq_f16_s16(vreinterpretq_s16_f16(b)));
            PRINT_Q("vcvt_f32", vcvt_f32_f16(vget_low_f16(a)));
            PRINT_Q("vcvt_f16", vcvt_high_f16_f32(vget_low_f16(b), vcvt_f32_f16(vget_high_f16(a))));
            PRINT_Q("vcmge", vcgeq_f16(a, b));
            PRINT_Q("vpmax", vpmaxq_f16(a, b));
            sdk_printf("vmaxv %04x fpsr %llx\n", B(vmaxvq_f16(a)), (unsigned long long)read_fpsr());
            write_fpsr(0);
        }
    }
    write_fpcr(0);
    return 0;
}
