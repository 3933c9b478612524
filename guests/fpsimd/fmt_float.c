/* printf-style formatting of floating point, done in the guest the way a C library does
   it: %e, %f and %g with precision, exact digit generation by repeated multiplication in
   double, correct rounding of the last digit, and special values (nan, inf, -0). The SDK's
   printf has no floating point, so the formatter lives here; its output is text, compared
   with QEMU's run of the same code. */
#include "fpsimd.h"

static char line[128];

static int put_digits(char *p, uint64_t v, int min)
{
    char t[24];
    int n = 0;
    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v || n < min);
    for (int i = 0; i < n; i++) p[i] = t[n - 1 - i];
    return n;
}

/* Scales |x| to [1, 10) and returns the decimal exponent. */
static int normalise(double *x)
{
    int e = 0;
    double v = *x;
    if (v == 0) return 0;
    while (v >= 1e16) { v /= 1e16; e += 16; }
    while (v >= 10.0) { v /= 10.0; e++; }
    while (v < 1e-16) { v *= 1e16; e -= 16; }
    while (v < 1.0) { v *= 10.0; e--; }
    *x = v;
    return e;
}

static int fmt(char *out, double x, char conv, int prec)
{
    char *p = out;
    uint64_t bits = f64_bits(x);
    if (bits >> 63) *p++ = '-';
    x = __builtin_fabs(x);
    if (x != x) { __builtin_memcpy(p, "nan", 3); return (int)(p - out) + 3; }
    if (x == __builtin_inf()) { __builtin_memcpy(p, "inf", 3); return (int)(p - out) + 3; }
    double m = x;
    int e = normalise(&m);
    if (conv == 'g') {
        int P = prec ? prec : 1;
        conv = (e < -4 || e >= P) ? 'e' : 'f';
        prec = conv == 'e' ? P - 1 : P - 1 - e;
    }
    if (conv == 'e') {
        /* prec+1 significant digits, rounded half-even on the generated remainder. */
        uint64_t digits = 0;
        double r = m;
        for (int i = 0; i <= prec; i++) {
            int d = (int)r;
            digits = digits * 10 + (uint64_t)d;
            r = (r - d) * 10.0;
        }
        if (r > 5.0 || (r == 5.0 && (digits & 1))) digits++;
        uint64_t lim = 1;
        for (int i = 0; i <= prec; i++) lim *= 10;
        if (digits >= lim) { digits /= 10; e++; }
        char t[24];
        int n = put_digits(t, digits, prec + 1);
        *p++ = t[0];
        if (prec) { *p++ = '.'; for (int i = 1; i < n; i++) *p++ = t[i]; }
        *p++ = 'e';
        *p++ = e < 0 ? '-' : '+';
        p += put_digits(p, (uint64_t)(e < 0 ? -e : e), 2);
        return (int)(p - out);
    }
    /* %f: integer part and prec fraction digits, for values below 2^63. */
    if (x >= 9.2e18) return fmt(out, bits >> 63 ? -x : x, 'e', prec);
    double ip = __builtin_trunc(x);
    double fr = x - ip;
    uint64_t ipart = (uint64_t)ip;
    uint64_t fpart = 0;
    for (int i = 0; i < prec; i++) {
        fr *= 10.0;
        int d = (int)fr;
        fpart = fpart * 10 + (uint64_t)d;
        fr -= d;
    }
    if (fr > 0.5 || (fr == 0.5 && (fpart & 1))) fpart++;
    uint64_t lim = 1;
    for (int i = 0; i < prec; i++) lim *= 10;
    if (fpart >= lim) { fpart -= lim; ipart++; }
    p += put_digits(p, ipart, 1);
    if (prec) { *p++ = '.'; p += put_digits(p, fpart, prec); }
    return (int)(p - out);
}

static void show(double x)
{
    static const struct { char c; int prec; } forms[] = {{'e', 6}, {'e', 15}, {'f', 3}, {'f', 9}, {'g', 6}, {'g', 17}};
    for (unsigned k = 0; k < sizeof forms / sizeof forms[0]; k++) {
        int n = fmt(line, x, forms[k].c, forms[k].prec);
        line[n] = 0;
        sdk_printf("%s%s", k ? " " : "", line);
    }
    sdk_printf("\n");
}

int fp_main(uint64_t arg)
{
    static const uint64_t specials[] = {0x0, 0x8000000000000000ull, 0x7ff0000000000000ull, 0xfff8000000000000ull,
                                        0x0000000000000001ull, 0x7fefffffffffffffull, 0x0010000000000000ull};
    for (unsigned i = 0; i < sizeof specials / 8; i++) show(bits_f64(specials[i]));
    double v = 1.0;
    for (int i = 0; i < 40; i++) {
        show(v);
        show(-v / 7.0);
        v = v * 3.7 + 0.1;
        OPAQUE(v);
    }
    double third = 1.0;
    OPAQUE(third);
    show(third / 3.0);
    show(2.5);
    show(0.125);
    show(1e-7);
    show(123456789.987654321);
    show(0.1 + 0.2);
    float f = 16777217.0f;
    OPAQUE(f);
    show((double)f);
    return 0;
}
