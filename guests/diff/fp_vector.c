/* Advanced SIMD floating point against QEMU: three same (vector, FP16, scalar), two-register
   miscellaneous (conversions, rounding, estimates, compares with zero, FCVTN/FCVTL/FCVTXN),
   across lanes, scalar pairwise, by element and the fixed-point conversions, on vectors
   whose lanes are drawn from hard values (signed zeros, infinities, NaNs with payloads,
   denormals, extremes, halfway cases) and random bits, under five FPCR settings. Per
   instruction and setting it prints a hash of every result and FPSR, and the OR of FPSR.
   The FP instructions are .inst words (assembly beside them): the guest is built without
   FP code generation. */
#include "diff.h"

static inline void fp_enable(void)
{
    uint64_t v = 3ull << 20; /* CPACR_EL1.FPEN = 0b11 */
    __asm__ volatile("msr cpacr_el1, %0\n\tisb" : : "r"(v));
}

struct vres {
    uint64_t lo, hi, fpsr;
};

/* v1 = x2:x1, v2 = x4:x3, v0 = x6:x5; FPCR = x8, FPSR = 0; then the instruction; then
   x0:x7 = v0 and x9 = FPSR. */
#define RUN(name, word)                                                                   \
    static struct vres name(const uint64_t *in, uint64_t fpcr)                            \
    {                                                                                     \
        register uint64_t x0 __asm__("x0"), x1 __asm__("x1") = in[0], x2 __asm__("x2") = in[1]; \
        register uint64_t x3 __asm__("x3") = in[2], x4 __asm__("x4") = in[3];             \
        register uint64_t x5 __asm__("x5") = in[4], x6 __asm__("x6") = in[5];             \
        register uint64_t x7 __asm__("x7"), x8 __asm__("x8") = fpcr, x9 __asm__("x9");    \
        __asm__ volatile(".inst 0x9e670021\n\t" /* fmov d1, x1 */                         \
                         ".inst 0x9eaf0041\n\t" /* fmov v1.d[1], x2 */                    \
                         ".inst 0x9e670062\n\t" /* fmov d2, x3 */                         \
                         ".inst 0x9eaf0082\n\t" /* fmov v2.d[1], x4 */                    \
                         ".inst 0x9e6700a0\n\t" /* fmov d0, x5 */                         \
                         ".inst 0x9eaf00c0\n\t" /* fmov v0.d[1], x6 */                    \
                         "msr s3_3_c4_c4_0, x8\n\t" /* FPCR */                            \
                         "msr s3_3_c4_c4_1, xzr\n\t" /* FPSR */                           \
                         ".inst " #word "\n\t"                                            \
                         ".inst 0x9e660000\n\t" /* fmov x0, d0 */                         \
                         ".inst 0x9eae0007\n\t" /* fmov x7, v0.d[1] */                    \
                         "mrs x9, s3_3_c4_c4_1\n\t"                                       \
                         "msr s3_3_c4_c4_0, xzr"                                          \
                         : "=r"(x0), "=r"(x7), "=r"(x9), "+r"(x1), "+r"(x2), "+r"(x3),    \
                           "+r"(x4), "+r"(x5), "+r"(x6)                                   \
                         : "r"(x8)                                                        \
                         : "memory", "cc");                                               \
        struct vres r = {x0, x7, x9};                                                     \
        return r;                                                                         \
    }

RUN(op_fadd_v0_4s_v1_4s_v2_4s, 0x4e22d420) /* fadd v0.4s, v1.4s, v2.4s */
RUN(op_fadd_v0_2d_v1_2d_v2_2d, 0x4e62d420) /* fadd v0.2d, v1.2d, v2.2d */
RUN(op_fadd_v0_8h_v1_8h_v2_8h, 0x4e421420) /* fadd v0.8h, v1.8h, v2.8h */
RUN(op_fadd_v0_2s_v1_2s_v2_2s, 0x0e22d420) /* fadd v0.2s, v1.2s, v2.2s */
RUN(op_fmla_v0_4s_v1_4s_v2_4s, 0x4e22cc20) /* fmla v0.4s, v1.4s, v2.4s */
RUN(op_fmls_v0_2d_v1_2d_v2_2d, 0x4ee2cc20) /* fmls v0.2d, v1.2d, v2.2d */
RUN(op_fmul_v0_4s_v1_4s_v2_4s, 0x6e22dc20) /* fmul v0.4s, v1.4s, v2.4s */
RUN(op_fdiv_v0_2d_v1_2d_v2_2d, 0x6e62fc20) /* fdiv v0.2d, v1.2d, v2.2d */
RUN(op_faddp_v0_4s_v1_4s_v2_4s, 0x6e22d420) /* faddp v0.4s, v1.4s, v2.4s */
RUN(op_fmaxp_v0_2d_v1_2d_v2_2d, 0x6e62f420) /* fmaxp v0.2d, v1.2d, v2.2d */
RUN(op_fminnmp_v0_4h_v1_4h_v2_4h, 0x2ec20420) /* fminnmp v0.4h, v1.4h, v2.4h */
RUN(op_fabd_v0_4s_v1_4s_v2_4s, 0x6ea2d420) /* fabd v0.4s, v1.4s, v2.4s */
RUN(op_fcmeq_v0_4s_v1_4s_v2_4s, 0x4e22e420) /* fcmeq v0.4s, v1.4s, v2.4s */
RUN(op_fcmge_v0_2d_v1_2d_v2_2d, 0x6e62e420) /* fcmge v0.2d, v1.2d, v2.2d */
RUN(op_fcmgt_v0_8h_v1_8h_v2_8h, 0x6ec22420) /* fcmgt v0.8h, v1.8h, v2.8h */
RUN(op_facgt_v0_4s_v1_4s_v2_4s, 0x6ea2ec20) /* facgt v0.4s, v1.4s, v2.4s */
RUN(op_frecps_v0_4s_v1_4s_v2_4s, 0x4e22fc20) /* frecps v0.4s, v1.4s, v2.4s */
RUN(op_frsqrts_v0_2d_v1_2d_v2_2d, 0x4ee2fc20) /* frsqrts v0.2d, v1.2d, v2.2d */
RUN(op_fmulx_v0_2d_v1_2d_v2_2d, 0x4e62dc20) /* fmulx v0.2d, v1.2d, v2.2d */
RUN(op_fmaxnm_v0_4s_v1_4s_v2_4s, 0x4e22c420) /* fmaxnm v0.4s, v1.4s, v2.4s */
RUN(op_fmin_v0_8h_v1_8h_v2_8h, 0x4ec23420) /* fmin v0.8h, v1.8h, v2.8h */
RUN(op_fmulx_s0_s1_s2, 0x5e22dc20) /* fmulx s0, s1, s2 */
RUN(op_fabd_d0_d1_d2, 0x7ee2d420) /* fabd d0, d1, d2 */
RUN(op_facge_h0_h1_h2, 0x7e422c20) /* facge h0, h1, h2 */
RUN(op_frecps_d0_d1_d2, 0x5e62fc20) /* frecps d0, d1, d2 */
RUN(op_fcmgt_s0_s1_s2, 0x7ea2e420) /* fcmgt s0, s1, s2 */
RUN(op_fabs_v0_4s_v1_4s, 0x4ea0f820) /* fabs v0.4s, v1.4s */
RUN(op_fneg_v0_8h_v1_8h, 0x6ef8f820) /* fneg v0.8h, v1.8h */
RUN(op_fsqrt_v0_2d_v1_2d, 0x6ee1f820) /* fsqrt v0.2d, v1.2d */
RUN(op_frintn_v0_4s_v1_4s, 0x4e218820) /* frintn v0.4s, v1.4s */
RUN(op_frinti_v0_2d_v1_2d, 0x6ee19820) /* frinti v0.2d, v1.2d */
RUN(op_frint32z_v0_4s_v1_4s, 0x4e21e820) /* frint32z v0.4s, v1.4s */
RUN(op_frint64x_v0_2d_v1_2d, 0x6e61f820) /* frint64x v0.2d, v1.2d */
RUN(op_fcvtzs_v0_4s_v1_4s, 0x4ea1b820) /* fcvtzs v0.4s, v1.4s */
RUN(op_fcvtau_v0_2d_v1_2d, 0x6e61c820) /* fcvtau v0.2d, v1.2d */
RUN(op_fcvtns_v0_8h_v1_8h, 0x4e79a820) /* fcvtns v0.8h, v1.8h */
RUN(op_scvtf_v0_4s_v1_4s, 0x4e21d820) /* scvtf v0.4s, v1.4s */
RUN(op_ucvtf_v0_2d_v1_2d, 0x6e61d820) /* ucvtf v0.2d, v1.2d */
RUN(op_frecpe_v0_4s_v1_4s, 0x4ea1d820) /* frecpe v0.4s, v1.4s */
RUN(op_frsqrte_v0_2d_v1_2d, 0x6ee1d820) /* frsqrte v0.2d, v1.2d */
RUN(op_urecpe_v0_4s_v1_4s, 0x4ea1c820) /* urecpe v0.4s, v1.4s */
RUN(op_ursqrte_v0_2s_v1_2s, 0x2ea1c820) /* ursqrte v0.2s, v1.2s */
RUN(op_frecpe_h0_h1, 0x5ef9d820) /* frecpe h0, h1 */
RUN(op_frecpx_d0_d1, 0x5ee1f820) /* frecpx d0, d1 */
RUN(op_frsqrte_s0_s1, 0x7ea1d820) /* frsqrte s0, s1 */
RUN(op_fcvtzs_d0_d1, 0x5ee1b820) /* fcvtzs d0, d1 */
RUN(op_ucvtf_s0_s1, 0x7e21d820) /* ucvtf s0, s1 */
RUN(op_fcmle_v0_4s_v1_4s_0_0, 0x6ea0d820) /* fcmle v0.4s, v1.4s, #0.0 */
RUN(op_fcmlt_d0_d1_0_0, 0x5ee0e820) /* fcmlt d0, d1, #0.0 */
RUN(op_fcmeq_v0_8h_v1_8h_0_0, 0x4ef8d820) /* fcmeq v0.8h, v1.8h, #0.0 */
RUN(op_fcvtn_v0_4h_v1_4s, 0x0e216820) /* fcvtn v0.4h, v1.4s */
RUN(op_fcvtn2_v0_4s_v1_2d, 0x4e616820) /* fcvtn2 v0.4s, v1.2d */
RUN(op_fcvtl_v0_4s_v1_4h, 0x0e217820) /* fcvtl v0.4s, v1.4h */
RUN(op_fcvtl2_v0_2d_v1_4s, 0x4e617820) /* fcvtl2 v0.2d, v1.4s */
RUN(op_fcvtxn_v0_2s_v1_2d, 0x2e616820) /* fcvtxn v0.2s, v1.2d */
RUN(op_fcvtxn_s0_d1, 0x7e616820) /* fcvtxn s0, d1 */
RUN(op_fmaxv_s0_v1_4s, 0x6e30f820) /* fmaxv s0, v1.4s */
RUN(op_fminnmv_h0_v1_8h, 0x4eb0c820) /* fminnmv h0, v1.8h */
RUN(op_faddp_s0_v1_2s, 0x7e30d820) /* faddp s0, v1.2s */
RUN(op_fmaxnmp_d0_v1_2d, 0x7e70c820) /* fmaxnmp d0, v1.2d */
RUN(op_fminp_h0_v1_2h, 0x5eb0f820) /* fminp h0, v1.2h */
RUN(op_fmla_v0_4s_v1_4s_v2_s_3, 0x4fa21820) /* fmla v0.4s, v1.4s, v2.s[3] */
RUN(op_fmls_v0_2d_v1_2d_v2_d_1, 0x4fc25820) /* fmls v0.2d, v1.2d, v2.d[1] */
RUN(op_fmul_v0_8h_v1_8h_v2_h_5, 0x4f129820) /* fmul v0.8h, v1.8h, v2.h[5] */
RUN(op_fmulx_v0_2s_v1_2s_v2_s_1, 0x2fa29020) /* fmulx v0.2s, v1.2s, v2.s[1] */
RUN(op_fmla_s0_s1_v2_s_2, 0x5f821820) /* fmla s0, s1, v2.s[2] */
RUN(op_fmul_d0_d1_v2_d_1, 0x5fc29820) /* fmul d0, d1, v2.d[1] */
RUN(op_scvtf_v0_4s_v1_4s_3, 0x4f3de420) /* scvtf v0.4s, v1.4s, #3 */
RUN(op_fcvtzu_v0_2d_v1_2d_60, 0x6f44fc20) /* fcvtzu v0.2d, v1.2d, #60 */
RUN(op_fcvtzs_v0_8h_v1_8h_5, 0x4f1bfc20) /* fcvtzs v0.8h, v1.8h, #5 */
RUN(op_ucvtf_d0_d1_1, 0x7f7fe420) /* ucvtf d0, d1, #1 */
RUN(op_fcvtzs_s0_s1_32, 0x5f20fc20) /* fcvtzs s0, s1, #32 */

static const uint64_t vals64[] = {
    0x0000000000000000ull, 0x8000000000000000ull, 0x3ff0000000000000ull, 0xbff8000000000000ull,
    0x7fefffffffffffffull, 0x0010000000000000ull, 0x0000000000000001ull, 0x800fffffffffffffull,
    0x7ff0000000000000ull, 0xfff0000000000000ull, 0x7ff8000000000123ull, 0x7ff0000000000456ull,
    0xfff8000000000789ull, 0x3fd5555555555555ull, 0x4340000000000001ull, 0x41e65a0bc0000000ull,
    0x3fe0000000000000ull, 0x4004000000000000ull, 0x3ff0000000000001ull, 0xc3e0000000000000ull,
    0x7fd0000000000000ull, 0x0008000000000000ull, 0x3810000000000000ull, 0x47f0000000000000ull,
};
static const uint64_t vals32[] = {
    0x00000000, 0x80000000, 0x3f800000, 0xbfc00000, 0x7f7fffff, 0x00800000, 0x00000001,
    0x807fffff, 0x7f800000, 0xff800000, 0x7fc00123, 0x7f800456, 0xffc00789, 0x3eaaaaab,
    0x4b800001, 0x4f000000, 0x3f000000, 0x40200000, 0x3f800001, 0xdf000000, 0x477fe000,
    0x477ff000, 0x33800000, 0x7e800000, 0x00400000, 0x38800000,
};
static const uint64_t vals16[] = {
    0x0000, 0x8000, 0x3c00, 0xbe00, 0x7bff, 0x0400, 0x0001, 0x83ff, 0x7c00, 0xfc00, 0x7e12,
    0x7c34, 0xfe56, 0x3555, 0x6400, 0x7800, 0x3800, 0x4100, 0x3c01, 0xf800, 0x03ff, 0x5b00,
    0x0200, 0x7a00,
};
static const uint64_t valsint[] = {
    0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x7fffffffffffffffull, 0x8000000000000000ull,
    0xffffffffffffffffull, 0x123456789abcdef0ull, 0xfedcba9876543210ull, 0x20000001,
    0x0020000000000001ull, 0xffe0000000000001ull, 65504, 65520, 3, 0x4000000000000000ull,
    0x3fffffff,
};
#define N(a) (sizeof a / sizeof a[0])

static const uint64_t fpcrs[] = {0x00000000, 0x01400000, 0x02800000, 0x03c80000, 0x04080000};

typedef struct vres (*fn_t)(const uint64_t *, uint64_t);
static const struct {
    const char *name;
    fn_t fn;
    int prec; /* lane size; negative: integer lanes of that size */
} ops[] = {
    {"fadd v0.4s, v1.4s, v2.4s", op_fadd_v0_4s_v1_4s_v2_4s, 32},
    {"fadd v0.2d, v1.2d, v2.2d", op_fadd_v0_2d_v1_2d_v2_2d, 64},
    {"fadd v0.8h, v1.8h, v2.8h", op_fadd_v0_8h_v1_8h_v2_8h, 16},
    {"fadd v0.2s, v1.2s, v2.2s", op_fadd_v0_2s_v1_2s_v2_2s, 32},
    {"fmla v0.4s, v1.4s, v2.4s", op_fmla_v0_4s_v1_4s_v2_4s, 32},
    {"fmls v0.2d, v1.2d, v2.2d", op_fmls_v0_2d_v1_2d_v2_2d, 64},
    {"fmul v0.4s, v1.4s, v2.4s", op_fmul_v0_4s_v1_4s_v2_4s, 32},
    {"fdiv v0.2d, v1.2d, v2.2d", op_fdiv_v0_2d_v1_2d_v2_2d, 64},
    {"faddp v0.4s, v1.4s, v2.4s", op_faddp_v0_4s_v1_4s_v2_4s, 32},
    {"fmaxp v0.2d, v1.2d, v2.2d", op_fmaxp_v0_2d_v1_2d_v2_2d, 64},
    {"fminnmp v0.4h, v1.4h, v2.4h", op_fminnmp_v0_4h_v1_4h_v2_4h, 16},
    {"fabd v0.4s, v1.4s, v2.4s", op_fabd_v0_4s_v1_4s_v2_4s, 32},
    {"fcmeq v0.4s, v1.4s, v2.4s", op_fcmeq_v0_4s_v1_4s_v2_4s, 32},
    {"fcmge v0.2d, v1.2d, v2.2d", op_fcmge_v0_2d_v1_2d_v2_2d, 64},
    {"fcmgt v0.8h, v1.8h, v2.8h", op_fcmgt_v0_8h_v1_8h_v2_8h, 16},
    {"facgt v0.4s, v1.4s, v2.4s", op_facgt_v0_4s_v1_4s_v2_4s, 32},
    {"frecps v0.4s, v1.4s, v2.4s", op_frecps_v0_4s_v1_4s_v2_4s, 32},
    {"frsqrts v0.2d, v1.2d, v2.2d", op_frsqrts_v0_2d_v1_2d_v2_2d, 64},
    {"fmulx v0.2d, v1.2d, v2.2d", op_fmulx_v0_2d_v1_2d_v2_2d, 64},
    {"fmaxnm v0.4s, v1.4s, v2.4s", op_fmaxnm_v0_4s_v1_4s_v2_4s, 32},
    {"fmin v0.8h, v1.8h, v2.8h", op_fmin_v0_8h_v1_8h_v2_8h, 16},
    {"fmulx s0, s1, s2", op_fmulx_s0_s1_s2, 32},
    {"fabd d0, d1, d2", op_fabd_d0_d1_d2, 64},
    {"facge h0, h1, h2", op_facge_h0_h1_h2, 16},
    {"frecps d0, d1, d2", op_frecps_d0_d1_d2, 64},
    {"fcmgt s0, s1, s2", op_fcmgt_s0_s1_s2, 32},
    {"fabs v0.4s, v1.4s", op_fabs_v0_4s_v1_4s, 32},
    {"fneg v0.8h, v1.8h", op_fneg_v0_8h_v1_8h, 16},
    {"fsqrt v0.2d, v1.2d", op_fsqrt_v0_2d_v1_2d, 64},
    {"frintn v0.4s, v1.4s", op_frintn_v0_4s_v1_4s, 32},
    {"frinti v0.2d, v1.2d", op_frinti_v0_2d_v1_2d, 64},
    {"frint32z v0.4s, v1.4s", op_frint32z_v0_4s_v1_4s, 32},
    {"frint64x v0.2d, v1.2d", op_frint64x_v0_2d_v1_2d, 64},
    {"fcvtzs v0.4s, v1.4s", op_fcvtzs_v0_4s_v1_4s, 32},
    {"fcvtau v0.2d, v1.2d", op_fcvtau_v0_2d_v1_2d, 64},
    {"fcvtns v0.8h, v1.8h", op_fcvtns_v0_8h_v1_8h, 16},
    {"scvtf v0.4s, v1.4s", op_scvtf_v0_4s_v1_4s, -32},
    {"ucvtf v0.2d, v1.2d", op_ucvtf_v0_2d_v1_2d, -64},
    {"frecpe v0.4s, v1.4s", op_frecpe_v0_4s_v1_4s, 32},
    {"frsqrte v0.2d, v1.2d", op_frsqrte_v0_2d_v1_2d, 64},
    {"urecpe v0.4s, v1.4s", op_urecpe_v0_4s_v1_4s, -32},
    {"ursqrte v0.2s, v1.2s", op_ursqrte_v0_2s_v1_2s, -32},
    {"frecpe h0, h1", op_frecpe_h0_h1, 16},
    {"frecpx d0, d1", op_frecpx_d0_d1, 64},
    {"frsqrte s0, s1", op_frsqrte_s0_s1, 32},
    {"fcvtzs d0, d1", op_fcvtzs_d0_d1, 64},
    {"ucvtf s0, s1", op_ucvtf_s0_s1, -32},
    {"fcmle v0.4s, v1.4s, #0.0", op_fcmle_v0_4s_v1_4s_0_0, 32},
    {"fcmlt d0, d1, #0.0", op_fcmlt_d0_d1_0_0, 64},
    {"fcmeq v0.8h, v1.8h, #0.0", op_fcmeq_v0_8h_v1_8h_0_0, 16},
    {"fcvtn v0.4h, v1.4s", op_fcvtn_v0_4h_v1_4s, 32},
    {"fcvtn2 v0.4s, v1.2d", op_fcvtn2_v0_4s_v1_2d, 64},
    {"fcvtl v0.4s, v1.4h", op_fcvtl_v0_4s_v1_4h, 16},
    {"fcvtl2 v0.2d, v1.4s", op_fcvtl2_v0_2d_v1_4s, 32},
    {"fcvtxn v0.2s, v1.2d", op_fcvtxn_v0_2s_v1_2d, 64},
    {"fcvtxn s0, d1", op_fcvtxn_s0_d1, 64},
    {"fmaxv s0, v1.4s", op_fmaxv_s0_v1_4s, 32},
    {"fminnmv h0, v1.8h", op_fminnmv_h0_v1_8h, 16},
    {"faddp s0, v1.2s", op_faddp_s0_v1_2s, 32},
    {"fmaxnmp d0, v1.2d", op_fmaxnmp_d0_v1_2d, 64},
    {"fminp h0, v1.2h", op_fminp_h0_v1_2h, 16},
    {"fmla v0.4s, v1.4s, v2.s[3]", op_fmla_v0_4s_v1_4s_v2_s_3, 32},
    {"fmls v0.2d, v1.2d, v2.d[1]", op_fmls_v0_2d_v1_2d_v2_d_1, 64},
    {"fmul v0.8h, v1.8h, v2.h[5]", op_fmul_v0_8h_v1_8h_v2_h_5, 16},
    {"fmulx v0.2s, v1.2s, v2.s[1]", op_fmulx_v0_2s_v1_2s_v2_s_1, 32},
    {"fmla s0, s1, v2.s[2]", op_fmla_s0_s1_v2_s_2, 32},
    {"fmul d0, d1, v2.d[1]", op_fmul_d0_d1_v2_d_1, 64},
    {"scvtf v0.4s, v1.4s, #3", op_scvtf_v0_4s_v1_4s_3, -32},
    {"fcvtzu v0.2d, v1.2d, #60", op_fcvtzu_v0_2d_v1_2d_60, 64},
    {"fcvtzs v0.8h, v1.8h, #5", op_fcvtzs_v0_8h_v1_8h_5, 16},
    {"ucvtf d0, d1, #1", op_ucvtf_d0_d1_1, -64},
    {"fcvtzs s0, s1, #32", op_fcvtzs_s0_s1_32, 32},
};

static uint64_t lane(int prec)
{
    int bits = prec < 0 ? -prec : prec;
    uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
    uint64_t r = diff_rand();
    if ((r & 3) == 0)
        return diff_rand() & mask;
    if (prec < 0)
        return valsint[(r >> 2) % N(valsint)] & mask;
    if (prec == 64)
        return vals64[(r >> 2) % N(vals64)];
    if (prec == 32)
        return vals32[(r >> 2) % N(vals32)];
    return vals16[(r >> 2) % N(vals16)];
}

int main(uint64_t arg)
{
    fp_enable();
    for (unsigned o = 0; o < N(ops); o++) {
        int bits = ops[o].prec < 0 ? -ops[o].prec : ops[o].prec;
        DIFF_OUT("%s:", ops[o].name);
        for (unsigned f = 0; f < N(fpcrs); f++) {
            diff_hash = 0xcbf29ce484222325ull;
            uint64_t fpsr_or = 0;
            for (unsigned k = 0; k < 300; k++) {
                uint64_t in[6];
                for (unsigned w = 0; w < 6; w++) {
                    uint64_t v = 0;
                    for (int s = 0; s < 64; s += bits)
                        v |= lane(ops[o].prec) << s;
                    in[w] = v;
                }
                struct vres r = ops[o].fn(in, fpcrs[f]);
                diff_mix(r.lo);
                diff_mix(r.hi);
                diff_mix(r.fpsr);
                fpsr_or |= r.fpsr;
            }
            DIFF_OUT(" %016lx/%lx", diff_hash, fpsr_or);
        }
        DIFF_OUT("\n");
    }
    return 0;
}
