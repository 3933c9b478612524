/* Scalar double precision: arithmetic on the hard values (signed zeros, infinities, NaNs
   with payloads, subnormals, extreme normals), fused multiply-add, square root, min/max,
   rounding to integral, compares and conditional selects, and a few numerical kernels
   (Newton square root, Horner polynomial, Kahan sum). Every result printed as bits with
   the FPSR flags it raised. */
#include "fpsimd.h"

static const uint64_t vals[] = {
    0x0000000000000000ull, 0x8000000000000000ull, 0x7ff0000000000000ull, 0xfff0000000000000ull,
    0x7ff8000000000000ull, 0x7ff4000000000123ull, 0xfff8000000000456ull, 0x0000000000000001ull,
    0x000fffffffffffffull, 0x0010000000000000ull, 0x7fefffffffffffffull, 0x3ff0000000000000ull,
    0xbff0000000000000ull, 0x3fe0000000000000ull, 0x4004000000000000ull, 0xc00c000000000000ull,
    0x3ff0000000000001ull, 0x4330000000000001ull, 0x43e0000000000000ull, 0x400921fb54442d18ull,
};
#define N (sizeof vals / sizeof vals[0])

static uint64_t h = FNV_INIT;

static void out(const char *what, uint64_t bits)
{
    uint64_t f = read_fpsr();
    write_fpsr(0);
    h = fnv64(h, &bits, 8);
    h = fnv64(h, &f, 8);
    sdk_printf("%s %016llx %02llx\n", what, (unsigned long long)bits, (unsigned long long)(f & 0x9f));
}

__attribute__((noinline)) static double fadd(double a, double b) { return a + b; }
__attribute__((noinline)) static double fsub(double a, double b) { return a - b; }
__attribute__((noinline)) static double fmul(double a, double b) { return a * b; }
__attribute__((noinline)) static double fdiv(double a, double b) { return a / b; }
__attribute__((noinline)) static double ffma(double a, double b, double c) { return __builtin_fma(a, b, c); }
__attribute__((noinline)) static double fsqrt(double a) { return __builtin_sqrt(a); }
__attribute__((noinline)) static double fmaxnm(double a, double b) { return __builtin_fmax(a, b); }
__attribute__((noinline)) static double fminnm(double a, double b) { return __builtin_fmin(a, b); }

int fp_main(uint64_t arg)
{
    write_fpsr(0);
    for (unsigned i = 0; i < N; i++) {
        double a = bits_f64(vals[i]);
        out("sqrt", f64_bits(fsqrt(a)));
        out("neg", f64_bits(-a));
        out("abs", f64_bits(__builtin_fabs(a)));
        out("floor", f64_bits(__builtin_floor(a)));
        out("ceil", f64_bits(__builtin_ceil(a)));
        out("trunc", f64_bits(__builtin_trunc(a)));
        out("round", f64_bits(__builtin_round(a)));
        out("rint", f64_bits(__builtin_rint(a)));
        out("tofloat", f32_bits((float)a));
        for (unsigned j = 0; j < N; j++) {
            double b = bits_f64(vals[j]);
            out("add", f64_bits(fadd(a, b)));
            out("sub", f64_bits(fsub(a, b)));
            out("mul", f64_bits(fmul(a, b)));
            out("div", f64_bits(fdiv(a, b)));
            out("maxnm", f64_bits(fmaxnm(a, b)));
            out("minnm", f64_bits(fminnm(a, b)));
            out("fma", f64_bits(ffma(a, b, bits_f64(vals[(i + j) % N]))));
            double x = a, y = b;
            OPAQUE(x);
            OPAQUE(y);
            unsigned c = (x < y) | (x == y) << 1 | (x > y) << 2 | __builtin_isunordered(x, y) << 3;
            double sel = x < y ? x : y;
            out("cmp", c);
            out("sel", f64_bits(sel));
        }
    }
    /* Newton iteration for sqrt(2), Horner polynomial, Kahan summation. */
    double r = 1.0, two = 2.0;
    OPAQUE(two);
    for (int k = 0; k < 8; k++) r = 0.5 * (r + two / r);
    out("newton", f64_bits(r));
    double p = 0.0, x = 0.7390851332151607;
    OPAQUE(x);
    for (int k = 20; k > 0; k--) p = __builtin_fma(p, x, 1.0 / k);
    out("horner", f64_bits(p));
    double s = 0.0, comp = 0.0, t = 0.1;
    OPAQUE(t);
    for (int k = 0; k < 1000; k++) {
        double yv = t * (k + 1) - comp;
        double tv = s + yv;
        comp = (tv - s) - yv;
        s = tv;
    }
    out("kahan", f64_bits(s));
    sdk_printf("digest %016llx\n", (unsigned long long)h);
    return 0;
}
