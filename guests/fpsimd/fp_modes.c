/* FPCR modes: every rounding mode (RN, RP, RM, RZ) on inexact sums, products, quotients,
   conversions and FRINTX/FRINTI; FZ flushing subnormal inputs and outputs (with FPSR.IDC
   and UFC); DN replacing NaN results by the default NaN; AHP and FZ16 on half-precision
   conversions; and the cumulative FPSR flags, which only MSR clears. */
#include "fpsimd.h"

static uint64_t h = FNV_INIT;

static void out(const char *what, unsigned mode, uint64_t bits)
{
    uint64_t f = read_fpsr();
    write_fpsr(0);
    h = fnv64(h, &bits, 8);
    h = fnv64(h, &f, 8);
    sdk_printf("%s m%02x %llx %02llx\n", what, mode, (unsigned long long)bits, (unsigned long long)(f & 0x9f));
}

static const uint64_t dv[] = {
    0x3ff0000000000001ull, 0xbff0000000000001ull, 0x0000000000000003ull, 0x8000000000000003ull,
    0x000fffffffffffffull, 0x7fefffffffffffffull, 0x4004000000000000ull, 0xc004000000000000ull,
    0x7ff4000000000abcull, 0x7ff8000000000def, 0x3fe0000000000000ull, 0x3ff8000000000000ull,
    0x0010000000000000ull, 0x3cb0000000000000ull,
};
#define ND (sizeof dv / sizeof dv[0])

int fp_main(uint64_t arg)
{
    for (unsigned mode = 0; mode < 32; mode++) {
        /* bits 0-1 RMode, 2 FZ, 3 DN, 4 AHP */
        uint64_t fpcr = ((uint64_t)(mode & 3) << 22) | ((uint64_t)((mode >> 2) & 1) << 24) |
                        ((uint64_t)((mode >> 3) & 1) << 25) | ((uint64_t)((mode >> 4) & 1) << 26);
        write_fpcr(fpcr);
        write_fpsr(0);
        out("fpcr", mode, read_fpcr());
        for (unsigned i = 0; i < ND; i++) {
            double a = bits_f64(dv[i]);
            double b = bits_f64(dv[(i + 3) % ND]);
            OPAQUE(a);
            OPAQUE(b);
            out("add", mode, f64_bits(a + b));
            out("mul", mode, f64_bits(a * b));
            out("div", mode, f64_bits(a / b));
            out("fma", mode, f64_bits(__builtin_fma(a, b, a)));
            out("sqrt", mode, f64_bits(__builtin_sqrt(a)));
            out("tof32", mode, f32_bits((float)a));
            out("rintx", mode, f64_bits(__builtin_rint(a * 3.0)));
            double ni = __builtin_nearbyint(a * 5.0);
            out("rinti", mode, f64_bits(ni));
            __fp16 hf = (__fp16)(float)a;
            out("tof16", mode, (uint64_t)*(uint16_t *)&hf);
            out("f16back", mode, f32_bits((float)hf));
            float fa = (float)a;
            OPAQUE(fa);
            out("i32", mode, (uint32_t)(int32_t)(fa * 1e9f));
            out("s2f", mode, f32_bits((float)(int64_t)(dv[i] >> 3)));
        }
    }
    write_fpcr(0);
    /* Cumulative flags: survive later exact operations, cleared only by MSR. */
    write_fpsr(0);
    double x = 1.0, z = 0.0;
    OPAQUE(x);
    OPAQUE(z);
    double q = x / z;
    OPAQUE(q);
    double y = x + 1.0;
    OPAQUE(y);
    sdk_printf("sticky %llx %016llx\n", (unsigned long long)read_fpsr(), (unsigned long long)f64_bits(q + y));
    write_fpsr(0x0800009f);
    sdk_printf("fpsr readback %llx\n", (unsigned long long)read_fpsr());
    write_fpsr(0);
    sdk_printf("digest %016llx\n", (unsigned long long)h);
    return 0;
}
