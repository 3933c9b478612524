/* Scalar floating point against QEMU: every scalar FP instruction group (arithmetic,
   fused multiply-add, compares, conversions between precisions and to/from integers and
   fixed point, rounding to integral, FJCVTZS, FRINT32/64, half precision) over hard operand
   values (signed zeros, infinities, quiet and signalling NaNs with payloads, denormals,
   the largest and smallest normals, halfway cases, integer limits) under five FPCR
   settings (each rounding mode, FZ, FZ16, DN, AHP). Per instruction and FPCR setting it
   prints a hash of every result, FPSR and NZCV.
   The guest is built without FP code generation, so the FP instructions are emitted as
   .inst words (their assembly beside them) with operands moved through x1..x3. */
#include "diff.h"

static inline void fp_enable(void)
{
    uint64_t v = 3ull << 20; /* CPACR_EL1.FPEN = 0b11 */
    __asm__ volatile("msr cpacr_el1, %0\n\tisb" : : "r"(v));
}

struct res {
    uint64_t x0, fpsr, nzcv;
};

/* d1 = a, d2 = b, d3 = c, FPCR = fpcr, FPSR = 0, NZCV = nzcv; then the instruction,
   then x0 = d0 unless the instruction writes x0 itself. */
#define RUN(name, word, tail)                                                             \
    static struct res name(uint64_t a, uint64_t b, uint64_t c, uint64_t fpcr, uint64_t nzcv) \
    {                                                                                     \
        register uint64_t x0 __asm__("x0") = 0, x1 __asm__("x1") = a, x2 __asm__("x2") = b; \
        register uint64_t x3 __asm__("x3") = c, x4 __asm__("x4") = fpcr, x5 __asm__("x5"); \
        register uint64_t x6 __asm__("x6") = nzcv;                                        \
        __asm__ volatile(".inst 0x9e670021\n\t" /* fmov d1, x1 */                         \
                         ".inst 0x9e670042\n\t" /* fmov d2, x2 */                         \
                         ".inst 0x9e670063\n\t" /* fmov d3, x3 */                         \
                         ".inst 0x9e670000\n\t" /* fmov d0, x0 */                         \
                         "msr s3_3_c4_c4_0, x4\n\t" /* FPCR */                            \
                         "msr s3_3_c4_c4_1, xzr\n\t" /* FPSR */                           \
                         "msr nzcv, x6\n\t"                                               \
                         ".inst " #word "\n\t" tail                                       \
                         "mrs x5, s3_3_c4_c4_1\n\t"                                       \
                         "mrs x6, nzcv\n\t"                                               \
                         "msr s3_3_c4_c4_0, xzr"                                          \
                         : "+r"(x0), "=r"(x5), "+r"(x6)                                   \
                         : "r"(x1), "r"(x2), "r"(x3), "r"(x4)                             \
                         : "memory", "cc");                                               \
        struct res r = {x0, x5, x6 >> 28};                                                \
        return r;                                                                         \
    }
#define TO_X0 ".inst 0x9e660000\n\t" /* fmov x0, d0 */
#define IN_X0 ""

RUN(op_fadd_d0_d1_d2, 0x1e622820, TO_X0) /* fadd d0, d1, d2 */
RUN(op_fsub_d0_d1_d2, 0x1e623820, TO_X0) /* fsub d0, d1, d2 */
RUN(op_fmul_d0_d1_d2, 0x1e620820, TO_X0) /* fmul d0, d1, d2 */
RUN(op_fdiv_d0_d1_d2, 0x1e621820, TO_X0) /* fdiv d0, d1, d2 */
RUN(op_fnmul_d0_d1_d2, 0x1e628820, TO_X0) /* fnmul d0, d1, d2 */
RUN(op_fmax_d0_d1_d2, 0x1e624820, TO_X0) /* fmax d0, d1, d2 */
RUN(op_fmin_d0_d1_d2, 0x1e625820, TO_X0) /* fmin d0, d1, d2 */
RUN(op_fmaxnm_d0_d1_d2, 0x1e626820, TO_X0) /* fmaxnm d0, d1, d2 */
RUN(op_fminnm_d0_d1_d2, 0x1e627820, TO_X0) /* fminnm d0, d1, d2 */
RUN(op_fadd_s0_s1_s2, 0x1e222820, TO_X0) /* fadd s0, s1, s2 */
RUN(op_fsub_s0_s1_s2, 0x1e223820, TO_X0) /* fsub s0, s1, s2 */
RUN(op_fmul_s0_s1_s2, 0x1e220820, TO_X0) /* fmul s0, s1, s2 */
RUN(op_fdiv_s0_s1_s2, 0x1e221820, TO_X0) /* fdiv s0, s1, s2 */
RUN(op_fmaxnm_s0_s1_s2, 0x1e226820, TO_X0) /* fmaxnm s0, s1, s2 */
RUN(op_fmin_s0_s1_s2, 0x1e225820, TO_X0) /* fmin s0, s1, s2 */
RUN(op_fadd_h0_h1_h2, 0x1ee22820, TO_X0) /* fadd h0, h1, h2 */
RUN(op_fmul_h0_h1_h2, 0x1ee20820, TO_X0) /* fmul h0, h1, h2 */
RUN(op_fdiv_h0_h1_h2, 0x1ee21820, TO_X0) /* fdiv h0, h1, h2 */
RUN(op_fmax_h0_h1_h2, 0x1ee24820, TO_X0) /* fmax h0, h1, h2 */
RUN(op_fminnm_h0_h1_h2, 0x1ee27820, TO_X0) /* fminnm h0, h1, h2 */
RUN(op_fmadd_d0_d1_d2_d3, 0x1f420c20, TO_X0) /* fmadd d0, d1, d2, d3 */
RUN(op_fmsub_d0_d1_d2_d3, 0x1f428c20, TO_X0) /* fmsub d0, d1, d2, d3 */
RUN(op_fnmadd_d0_d1_d2_d3, 0x1f620c20, TO_X0) /* fnmadd d0, d1, d2, d3 */
RUN(op_fnmsub_d0_d1_d2_d3, 0x1f628c20, TO_X0) /* fnmsub d0, d1, d2, d3 */
RUN(op_fmadd_s0_s1_s2_s3, 0x1f020c20, TO_X0) /* fmadd s0, s1, s2, s3 */
RUN(op_fnmsub_s0_s1_s2_s3, 0x1f228c20, TO_X0) /* fnmsub s0, s1, s2, s3 */
RUN(op_fmadd_h0_h1_h2_h3, 0x1fc20c20, TO_X0) /* fmadd h0, h1, h2, h3 */
RUN(op_fmsub_h0_h1_h2_h3, 0x1fc28c20, TO_X0) /* fmsub h0, h1, h2, h3 */
RUN(op_fcmp_d1_d2, 0x1e622020, IN_X0) /* fcmp d1, d2 */
RUN(op_fcmpe_d1_d2, 0x1e622030, IN_X0) /* fcmpe d1, d2 */
RUN(op_fcmp_s1_s2, 0x1e222020, IN_X0) /* fcmp s1, s2 */
RUN(op_fcmpe_s1_0_0, 0x1e202038, IN_X0) /* fcmpe s1, #0.0 */
RUN(op_fcmp_h1_h2, 0x1ee22020, IN_X0) /* fcmp h1, h2 */
RUN(op_fccmp_d1_d2_5_ne, 0x1e621425, IN_X0) /* fccmp d1, d2, #5, ne */
RUN(op_fccmpe_s1_s2_10_eq, 0x1e22043a, IN_X0) /* fccmpe s1, s2, #10, eq */
RUN(op_fcsel_d0_d1_d2_ge, 0x1e62ac20, TO_X0) /* fcsel d0, d1, d2, ge */
RUN(op_fabs_d0_d1, 0x1e60c020, TO_X0) /* fabs d0, d1 */
RUN(op_fneg_s0_s1, 0x1e214020, TO_X0) /* fneg s0, s1 */
RUN(op_fsqrt_d0_d1, 0x1e61c020, TO_X0) /* fsqrt d0, d1 */
RUN(op_fsqrt_s0_s1, 0x1e21c020, TO_X0) /* fsqrt s0, s1 */
RUN(op_fsqrt_h0_h1, 0x1ee1c020, TO_X0) /* fsqrt h0, h1 */
RUN(op_fcvt_s0_d1, 0x1e624020, TO_X0) /* fcvt s0, d1 */
RUN(op_fcvt_d0_s1, 0x1e22c020, TO_X0) /* fcvt d0, s1 */
RUN(op_fcvt_h0_d1, 0x1e63c020, TO_X0) /* fcvt h0, d1 */
RUN(op_fcvt_h0_s1, 0x1e23c020, TO_X0) /* fcvt h0, s1 */
RUN(op_fcvt_d0_h1, 0x1ee2c020, TO_X0) /* fcvt d0, h1 */
RUN(op_fcvt_s0_h1, 0x1ee24020, TO_X0) /* fcvt s0, h1 */
RUN(op_frintn_d0_d1, 0x1e644020, TO_X0) /* frintn d0, d1 */
RUN(op_frintp_s0_s1, 0x1e24c020, TO_X0) /* frintp s0, s1 */
RUN(op_frintm_d0_d1, 0x1e654020, TO_X0) /* frintm d0, d1 */
RUN(op_frintz_d0_d1, 0x1e65c020, TO_X0) /* frintz d0, d1 */
RUN(op_frinta_s0_s1, 0x1e264020, TO_X0) /* frinta s0, s1 */
RUN(op_frintx_d0_d1, 0x1e674020, TO_X0) /* frintx d0, d1 */
RUN(op_frinti_d0_d1, 0x1e67c020, TO_X0) /* frinti d0, d1 */
RUN(op_frinta_h0_h1, 0x1ee64020, TO_X0) /* frinta h0, h1 */
RUN(op_frintx_h0_h1, 0x1ee74020, TO_X0) /* frintx h0, h1 */
RUN(op_frint32z_d0_d1, 0x1e684020, TO_X0) /* frint32z d0, d1 */
RUN(op_frint32x_s0_s1, 0x1e28c020, TO_X0) /* frint32x s0, s1 */
RUN(op_frint64z_s0_s1, 0x1e294020, TO_X0) /* frint64z s0, s1 */
RUN(op_frint64x_d0_d1, 0x1e69c020, TO_X0) /* frint64x d0, d1 */
RUN(op_fcvtzs_x0_d1, 0x9e780020, IN_X0) /* fcvtzs x0, d1 */
RUN(op_fcvtzs_w0_d1, 0x1e780020, IN_X0) /* fcvtzs w0, d1 */
RUN(op_fcvtzu_x0_d1, 0x9e790020, IN_X0) /* fcvtzu x0, d1 */
RUN(op_fcvtzu_w0_s1, 0x1e390020, IN_X0) /* fcvtzu w0, s1 */
RUN(op_fcvtns_x0_d1, 0x9e600020, IN_X0) /* fcvtns x0, d1 */
RUN(op_fcvtnu_w0_d1, 0x1e610020, IN_X0) /* fcvtnu w0, d1 */
RUN(op_fcvtps_x0_s1, 0x9e280020, IN_X0) /* fcvtps x0, s1 */
RUN(op_fcvtpu_x0_d1, 0x9e690020, IN_X0) /* fcvtpu x0, d1 */
RUN(op_fcvtms_w0_d1, 0x1e700020, IN_X0) /* fcvtms w0, d1 */
RUN(op_fcvtmu_x0_s1, 0x9e310020, IN_X0) /* fcvtmu x0, s1 */
RUN(op_fcvtas_x0_d1, 0x9e640020, IN_X0) /* fcvtas x0, d1 */
RUN(op_fcvtau_w0_d1, 0x1e650020, IN_X0) /* fcvtau w0, d1 */
RUN(op_fcvtzs_x0_h1, 0x9ef80020, IN_X0) /* fcvtzs x0, h1 */
RUN(op_fcvtau_w0_h1, 0x1ee50020, IN_X0) /* fcvtau w0, h1 */
RUN(op_fcvtzs_w0_d1_16, 0x1e58c020, IN_X0) /* fcvtzs w0, d1, #16 */
RUN(op_fcvtzu_x0_s1_40, 0x9e196020, IN_X0) /* fcvtzu x0, s1, #40 */
RUN(op_fcvtzs_x0_h1_3, 0x9ed8f420, IN_X0) /* fcvtzs x0, h1, #3 */
RUN(op_fjcvtzs_w0_d1, 0x1e7e0020, IN_X0) /* fjcvtzs w0, d1 */
RUN(op_scvtf_d0_x1, 0x9e620020, TO_X0) /* scvtf d0, x1 */
RUN(op_scvtf_s0_w1, 0x1e220020, TO_X0) /* scvtf s0, w1 */
RUN(op_ucvtf_d0_x1, 0x9e630020, TO_X0) /* ucvtf d0, x1 */
RUN(op_ucvtf_s0_x1, 0x9e230020, TO_X0) /* ucvtf s0, x1 */
RUN(op_scvtf_h0_x1, 0x9ee20020, TO_X0) /* scvtf h0, x1 */
RUN(op_ucvtf_h0_w1, 0x1ee30020, TO_X0) /* ucvtf h0, w1 */
RUN(op_scvtf_d0_x1_63, 0x9e420420, TO_X0) /* scvtf d0, x1, #63 */
RUN(op_ucvtf_s0_w1_7, 0x1e03e420, TO_X0) /* ucvtf s0, w1, #7 */

/* Hard operands per precision, as bit patterns (the low bits of the 64-bit register). */
static const uint64_t vals64[] = {
    0x0000000000000000ull, 0x8000000000000000ull, 0x3ff0000000000000ull, 0xbff8000000000000ull,
    0x7fefffffffffffffull, 0x0010000000000000ull, 0x0000000000000001ull, 0x800fffffffffffffull,
    0x7ff0000000000000ull, 0xfff0000000000000ull, 0x7ff8000000000123ull, 0x7ff0000000000456ull,
    0xfff8000000000789ull, 0x3fd5555555555555ull, 0x4340000000000001ull, 0x41e65a0bc0000000ull,
    0x3fe0000000000000ull, 0x4004000000000000ull, 0x3ff0000000000001ull, 0xc3e0000000000000ull,
    0x41dfffffffc00000ull, 0xc1e0000000100000ull, 0x40f0000000000000ull, 0x3f10000000000000ull,
};
static const uint64_t vals32[] = {
    0x00000000, 0x80000000, 0x3f800000, 0xbfc00000, 0x7f7fffff, 0x00800000, 0x00000001,
    0x807fffff, 0x7f800000, 0xff800000, 0x7fc00123, 0x7f800456, 0xffc00789, 0x3eaaaaab,
    0x4b800001, 0x4f000000, 0x3f000000, 0x40200000, 0x3f800001, 0xdf000000, 0x477fe000,
    0x477ff000, 0x33800000, 0x387fc000,
};
static const uint64_t vals16[] = {
    0x0000, 0x8000, 0x3c00, 0xbe00, 0x7bff, 0x0400, 0x0001, 0x83ff, 0x7c00, 0xfc00, 0x7e12,
    0x7c34, 0xfe56, 0x3555, 0x6400, 0x7800, 0x3800, 0x4100, 0x3c01, 0xf800, 0x03ff, 0x5b00,
};
static const uint64_t valsint[] = {
    0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x7fffffffffffffffull, 0x8000000000000000ull,
    0xffffffffffffffffull, 0x123456789abcdef0ull, 0xfedcba9876543210ull, 0x20000001,
    0x0020000000000001ull, 0xffe0000000000001ull, 65504, 65520, 3,
};
#define N(a) (sizeof a / sizeof a[0])

static const uint64_t fpcrs[] = {
    0x00000000, /* round to nearest */
    0x01400000, /* toward +inf, FZ */
    0x02800000, /* toward -inf, DN */
    0x03c80000, /* toward zero, FZ, DN, FZ16 */
    0x04080000, /* AHP, FZ16 */
};

typedef struct res (*fn_t)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
static const struct {
    const char *name;
    fn_t fn;
    int prec; /* operand precision; 0 for an integer operand */
    int nsrc;
} ops[] = {
    {"fadd d0, d1, d2", op_fadd_d0_d1_d2, 64, 2},
    {"fsub d0, d1, d2", op_fsub_d0_d1_d2, 64, 2},
    {"fmul d0, d1, d2", op_fmul_d0_d1_d2, 64, 2},
    {"fdiv d0, d1, d2", op_fdiv_d0_d1_d2, 64, 2},
    {"fnmul d0, d1, d2", op_fnmul_d0_d1_d2, 64, 2},
    {"fmax d0, d1, d2", op_fmax_d0_d1_d2, 64, 2},
    {"fmin d0, d1, d2", op_fmin_d0_d1_d2, 64, 2},
    {"fmaxnm d0, d1, d2", op_fmaxnm_d0_d1_d2, 64, 2},
    {"fminnm d0, d1, d2", op_fminnm_d0_d1_d2, 64, 2},
    {"fadd s0, s1, s2", op_fadd_s0_s1_s2, 32, 2},
    {"fsub s0, s1, s2", op_fsub_s0_s1_s2, 32, 2},
    {"fmul s0, s1, s2", op_fmul_s0_s1_s2, 32, 2},
    {"fdiv s0, s1, s2", op_fdiv_s0_s1_s2, 32, 2},
    {"fmaxnm s0, s1, s2", op_fmaxnm_s0_s1_s2, 32, 2},
    {"fmin s0, s1, s2", op_fmin_s0_s1_s2, 32, 2},
    {"fadd h0, h1, h2", op_fadd_h0_h1_h2, 16, 2},
    {"fmul h0, h1, h2", op_fmul_h0_h1_h2, 16, 2},
    {"fdiv h0, h1, h2", op_fdiv_h0_h1_h2, 16, 2},
    {"fmax h0, h1, h2", op_fmax_h0_h1_h2, 16, 2},
    {"fminnm h0, h1, h2", op_fminnm_h0_h1_h2, 16, 2},
    {"fmadd d0, d1, d2, d3", op_fmadd_d0_d1_d2_d3, 64, 3},
    {"fmsub d0, d1, d2, d3", op_fmsub_d0_d1_d2_d3, 64, 3},
    {"fnmadd d0, d1, d2, d3", op_fnmadd_d0_d1_d2_d3, 64, 3},
    {"fnmsub d0, d1, d2, d3", op_fnmsub_d0_d1_d2_d3, 64, 3},
    {"fmadd s0, s1, s2, s3", op_fmadd_s0_s1_s2_s3, 32, 3},
    {"fnmsub s0, s1, s2, s3", op_fnmsub_s0_s1_s2_s3, 32, 3},
    {"fmadd h0, h1, h2, h3", op_fmadd_h0_h1_h2_h3, 16, 3},
    {"fmsub h0, h1, h2, h3", op_fmsub_h0_h1_h2_h3, 16, 3},
    {"fcmp d1, d2", op_fcmp_d1_d2, 64, 2},
    {"fcmpe d1, d2", op_fcmpe_d1_d2, 64, 2},
    {"fcmp s1, s2", op_fcmp_s1_s2, 32, 2},
    {"fcmpe s1, #0.0", op_fcmpe_s1_0_0, 32, 1},
    {"fcmp h1, h2", op_fcmp_h1_h2, 16, 2},
    {"fccmp d1, d2, #5, ne", op_fccmp_d1_d2_5_ne, 64, 2},
    {"fccmpe s1, s2, #10, eq", op_fccmpe_s1_s2_10_eq, 32, 2},
    {"fcsel d0, d1, d2, ge", op_fcsel_d0_d1_d2_ge, 64, 2},
    {"fabs d0, d1", op_fabs_d0_d1, 64, 1},
    {"fneg s0, s1", op_fneg_s0_s1, 32, 1},
    {"fsqrt d0, d1", op_fsqrt_d0_d1, 64, 1},
    {"fsqrt s0, s1", op_fsqrt_s0_s1, 32, 1},
    {"fsqrt h0, h1", op_fsqrt_h0_h1, 16, 1},
    {"fcvt s0, d1", op_fcvt_s0_d1, 64, 1},
    {"fcvt d0, s1", op_fcvt_d0_s1, 32, 1},
    {"fcvt h0, d1", op_fcvt_h0_d1, 64, 1},
    {"fcvt h0, s1", op_fcvt_h0_s1, 32, 1},
    {"fcvt d0, h1", op_fcvt_d0_h1, 16, 1},
    {"fcvt s0, h1", op_fcvt_s0_h1, 16, 1},
    {"frintn d0, d1", op_frintn_d0_d1, 64, 1},
    {"frintp s0, s1", op_frintp_s0_s1, 32, 1},
    {"frintm d0, d1", op_frintm_d0_d1, 64, 1},
    {"frintz d0, d1", op_frintz_d0_d1, 64, 1},
    {"frinta s0, s1", op_frinta_s0_s1, 32, 1},
    {"frintx d0, d1", op_frintx_d0_d1, 64, 1},
    {"frinti d0, d1", op_frinti_d0_d1, 64, 1},
    {"frinta h0, h1", op_frinta_h0_h1, 16, 1},
    {"frintx h0, h1", op_frintx_h0_h1, 16, 1},
    {"frint32z d0, d1", op_frint32z_d0_d1, 64, 1},
    {"frint32x s0, s1", op_frint32x_s0_s1, 32, 1},
    {"frint64z s0, s1", op_frint64z_s0_s1, 32, 1},
    {"frint64x d0, d1", op_frint64x_d0_d1, 64, 1},
    {"fcvtzs x0, d1", op_fcvtzs_x0_d1, 64, 1},
    {"fcvtzs w0, d1", op_fcvtzs_w0_d1, 64, 1},
    {"fcvtzu x0, d1", op_fcvtzu_x0_d1, 64, 1},
    {"fcvtzu w0, s1", op_fcvtzu_w0_s1, 32, 1},
    {"fcvtns x0, d1", op_fcvtns_x0_d1, 64, 1},
    {"fcvtnu w0, d1", op_fcvtnu_w0_d1, 64, 1},
    {"fcvtps x0, s1", op_fcvtps_x0_s1, 32, 1},
    {"fcvtpu x0, d1", op_fcvtpu_x0_d1, 64, 1},
    {"fcvtms w0, d1", op_fcvtms_w0_d1, 64, 1},
    {"fcvtmu x0, s1", op_fcvtmu_x0_s1, 32, 1},
    {"fcvtas x0, d1", op_fcvtas_x0_d1, 64, 1},
    {"fcvtau w0, d1", op_fcvtau_w0_d1, 64, 1},
    {"fcvtzs x0, h1", op_fcvtzs_x0_h1, 16, 1},
    {"fcvtau w0, h1", op_fcvtau_w0_h1, 16, 1},
    {"fcvtzs w0, d1, #16", op_fcvtzs_w0_d1_16, 64, 1},
    {"fcvtzu x0, s1, #40", op_fcvtzu_x0_s1_40, 32, 1},
    {"fcvtzs x0, h1, #3", op_fcvtzs_x0_h1_3, 16, 1},
    {"fjcvtzs w0, d1", op_fjcvtzs_w0_d1, 64, 1},
    {"scvtf d0, x1", op_scvtf_d0_x1, 0, 1},
    {"scvtf s0, w1", op_scvtf_s0_w1, 0, 1},
    {"ucvtf d0, x1", op_ucvtf_d0_x1, 0, 1},
    {"ucvtf s0, x1", op_ucvtf_s0_x1, 0, 1},
    {"scvtf h0, x1", op_scvtf_h0_x1, 0, 1},
    {"ucvtf h0, w1", op_ucvtf_h0_w1, 0, 1},
    {"scvtf d0, x1, #63", op_scvtf_d0_x1_63, 0, 1},
    {"ucvtf s0, w1, #7", op_ucvtf_s0_w1_7, 0, 1},
};

static void vals_of(int prec, const uint64_t **v, unsigned *n)
{
    if (prec == 64) { *v = vals64; *n = N(vals64); }
    else if (prec == 32) { *v = vals32; *n = N(vals32); }
    else if (prec == 16) { *v = vals16; *n = N(vals16); }
    else { *v = valsint; *n = N(valsint); }
}

static void mix_res(struct res r)
{
    diff_mix(r.x0);
    diff_mix(r.fpsr);
    diff_mix(r.nzcv);
}

int main(uint64_t arg)
{
    fp_enable();
    for (unsigned o = 0; o < N(ops); o++) {
        const uint64_t *v;
        unsigned n;
        vals_of(ops[o].prec, &v, &n);
        DIFF_OUT("%s:", ops[o].name);
        for (unsigned f = 0; f < N(fpcrs); f++) {
            diff_hash = 0xcbf29ce484222325ull;
            uint64_t fpsr_or = 0;
            for (unsigned i = 0; i < n; i++) {
                if (ops[o].nsrc == 1) {
                    struct res r = ops[o].fn(v[i], 0, 0, fpcrs[f], (uint64_t)(i & 15) << 28);
                    mix_res(r);
                    fpsr_or |= r.fpsr;
                    continue;
                }
                for (unsigned j = 0; j < n; j++) {
                    if (ops[o].nsrc == 2) {
                        struct res r = ops[o].fn(v[i], v[j], 0, fpcrs[f], (uint64_t)((i + j) & 15) << 28);
                        mix_res(r);
                        fpsr_or |= r.fpsr;
                        continue;
                    }
                    for (unsigned k = 0; k < n; k += 3) {
                        struct res r = ops[o].fn(v[i], v[j], v[(k + i) % n], fpcrs[f], 0);
                        mix_res(r);
                        fpsr_or |= r.fpsr;
                    }
                }
            }
            DIFF_OUT(" %016lx/%lx", diff_hash, fpsr_or);
        }
        DIFF_OUT("\n");
    }
    return 0;
}
