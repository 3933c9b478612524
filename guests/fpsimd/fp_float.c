/* Scalar single precision and the conversions: float arithmetic on the hard values,
   float<->double, float/double -> 32/64-bit signed and unsigned integers (saturating, NaN
   to 0), integers -> float/double (rounding of large values), fixed point through
   scaling. Results and FPSR flags as bits. */
#include "fpsimd.h"

static const uint32_t fv[] = {
    0x00000000u, 0x80000000u, 0x7f800000u, 0xff800000u, 0x7fc00000u, 0x7fa00123u, 0xffc00456u,
    0x00000001u, 0x007fffffu, 0x00800000u, 0x7f7fffffu, 0x3f800000u, 0xbf800000u, 0x3f000000u,
    0x40200000u, 0xc0600000u, 0x4f000000u, 0xcf000000u, 0x5f000000u, 0x4effffffu, 0x4b000001u,
};
#define NF (sizeof fv / sizeof fv[0])
static const uint64_t iv[] = {
    0, 1, 0xffffffffffffffffull, 0x7fffffffffffffffull, 0x8000000000000000ull, 0x7fffffffull,
    0x80000000ull, 0xffffffffull, 0x0000000001000001ull, 0x0020000000000001ull, 0x123456789abcdefull,
};
#define NI (sizeof iv / sizeof iv[0])

static uint64_t h = FNV_INIT;

static void out(const char *what, uint64_t bits)
{
    uint64_t f = read_fpsr();
    write_fpsr(0);
    h = fnv64(h, &bits, 8);
    h = fnv64(h, &f, 8);
    sdk_printf("%s %llx %02llx\n", what, (unsigned long long)bits, (unsigned long long)(f & 0x9f));
}

__attribute__((noinline)) static float fadd(float a, float b) { return a + b; }
__attribute__((noinline)) static float fmul(float a, float b) { return a * b; }
__attribute__((noinline)) static float fdiv(float a, float b) { return a / b; }
__attribute__((noinline)) static float ffma(float a, float b, float c) { return __builtin_fmaf(a, b, c); }
__attribute__((noinline)) static int32_t to_i32(float a) { return (int32_t)a; }
__attribute__((noinline)) static uint32_t to_u32(float a) { return (uint32_t)a; }
__attribute__((noinline)) static int64_t to_i64(float a) { return (int64_t)a; }
__attribute__((noinline)) static uint64_t to_u64(float a) { return (uint64_t)a; }
__attribute__((noinline)) static int32_t d_to_i32(double a) { return (int32_t)a; }
__attribute__((noinline)) static uint64_t d_to_u64(double a) { return (uint64_t)a; }
__attribute__((noinline)) static int64_t round_i64(double a) { return __builtin_llround(a); }
__attribute__((noinline)) static int64_t lrint_i64(float a) { return __builtin_llrintf(a); }
__attribute__((noinline)) static int32_t fixed16(float a) { return (int32_t)(a * 65536.0f); }
__attribute__((noinline)) static float fixed16_back(int32_t a) { return (float)a / 65536.0f; }

int fp_main(uint64_t arg)
{
    write_fpsr(0);
    for (unsigned i = 0; i < NF; i++) {
        float a = bits_f32(fv[i]);
        double d = (double)a;
        OPAQUE(d);
        out("todouble", f64_bits(d));
        out("backfloat", f32_bits((float)(d * 3.0)));
        out("sqrtf", f32_bits(__builtin_sqrtf(a)));
        out("rintf", f32_bits(__builtin_rintf(a)));
        out("roundf", f32_bits(__builtin_roundf(a)));
        out("i32", (uint32_t)to_i32(a));
        out("u32", to_u32(a));
        out("i64", (uint64_t)to_i64(a));
        out("u64", to_u64(a));
        out("di32", (uint32_t)d_to_i32(d * 1e10));
        out("du64", d_to_u64(d * 1e10));
        out("llround", (uint64_t)round_i64(d));
        out("llrintf", (uint64_t)lrint_i64(a));
        out("fixed", (uint32_t)fixed16(a));
        out("fixedback", f32_bits(fixed16_back(fixed16(a))));
        for (unsigned j = 0; j < NF; j++) {
            float b = bits_f32(fv[j]);
            out("add", f32_bits(fadd(a, b)));
            out("mul", f32_bits(fmul(a, b)));
            out("div", f32_bits(fdiv(a, b)));
            out("fma", f32_bits(ffma(a, b, bits_f32(fv[(i * 7 + j) % NF]))));
        }
    }
    for (unsigned i = 0; i < NI; i++) {
        uint64_t u = iv[i];
        OPAQUE_R(u);
        out("s64f", f32_bits((float)(int64_t)u));
        out("u64f", f32_bits((float)u));
        out("s64d", f64_bits((double)(int64_t)u));
        out("u64d", f64_bits((double)u));
        out("s32f", f32_bits((float)(int32_t)u));
        out("u32d", f64_bits((double)(uint32_t)u));
    }
    sdk_printf("digest %016llx\n", (unsigned long long)h);
    return 0;
}
