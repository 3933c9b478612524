/* Loops the compiler vectorises at -O3 (no intrinsics): saxpy and dot product in single
   precision, double-precision scaling, int16 multiply-accumulate, byte saturating add,
   min/max and sum reductions, int<->float conversion loops, absolute difference sums and
   a strided struct-of-arrays update. Results as checksums of the output arrays. */
#include "fpsimd.h"

#define N 1024
static float x[N] __attribute__((aligned(16))), y[N] __attribute__((aligned(16)));
static double dx[N] __attribute__((aligned(16))), dy[N] __attribute__((aligned(16)));
static int16_t s16a[N] __attribute__((aligned(16))), s16b[N] __attribute__((aligned(16)));
static int32_t i32[N] __attribute__((aligned(16)));
static uint8_t u8a[N] __attribute__((aligned(16))), u8b[N] __attribute__((aligned(16))), u8c[N] __attribute__((aligned(16)));

__attribute__((noinline)) static void saxpy(float a, const float *restrict xs, float *restrict ys, int n)
{
    for (int i = 0; i < n; i++) ys[i] = a * xs[i] + ys[i];
}
__attribute__((noinline)) static float sdot(const float *restrict a, const float *restrict b, int n)
{
    float s = 0;
#pragma clang loop vectorize(enable) interleave(enable)
    for (int i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}
__attribute__((noinline)) static void dscale(double *restrict d, const double *restrict s, double k, int n)
{
    for (int i = 0; i < n; i++) d[i] = s[i] * k - d[i] / 3.0;
}
__attribute__((noinline)) static int32_t mac16(const int16_t *restrict a, const int16_t *restrict b, int n)
{
    int32_t s = 0;
    for (int i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}
__attribute__((noinline)) static void satadd(uint8_t *restrict d, const uint8_t *restrict a, const uint8_t *restrict b, int n)
{
    for (int i = 0; i < n; i++) {
        unsigned v = a[i] + b[i];
        d[i] = v > 255 ? 255 : (uint8_t)v;
    }
}
__attribute__((noinline)) static int16_t minmax16(const int16_t *a, int n, int16_t *mx)
{
    int16_t lo = a[0], hi = a[0];
    for (int i = 0; i < n; i++) {
        lo = a[i] < lo ? a[i] : lo;
        hi = a[i] > hi ? a[i] : hi;
    }
    *mx = hi;
    return lo;
}
__attribute__((noinline)) static void i2f(float *restrict d, const int32_t *restrict s, int n)
{
    for (int i = 0; i < n; i++) d[i] = (float)s[i] * 0.125f;
}
__attribute__((noinline)) static void f2i(int32_t *restrict d, const float *restrict s, int n)
{
    for (int i = 0; i < n; i++) d[i] = (int32_t)(s[i] * 1000.0f);
}
__attribute__((noinline)) static uint32_t sad(const uint8_t *a, const uint8_t *b, int n)
{
    uint32_t s = 0;
    for (int i = 0; i < n; i++) s += (uint32_t)(a[i] > b[i] ? a[i] - b[i] : b[i] - a[i]);
    return s;
}
__attribute__((noinline)) static float fmaxred(const float *a, int n)
{
    float m = a[0];
    for (int i = 0; i < n; i++) m = __builtin_fmaxf(m, a[i]);
    return m;
}
struct particle { float px, py, vx, vy; };
static struct particle parts[N / 4] __attribute__((aligned(16)));
__attribute__((noinline)) static void step(struct particle *p, int n, float dt)
{
    for (int i = 0; i < n; i++) {
        p[i].px += p[i].vx * dt;
        p[i].py += p[i].vy * dt;
        p[i].vy -= 9.81f * dt;
    }
}

int fp_main(uint64_t arg)
{
    uint64_t s = 12345;
    for (int i = 0; i < N; i++) {
        uint64_t r = xorshift64(&s);
        x[i] = (float)(int32_t)(r & 0xffff) / 256.0f;
        y[i] = (float)(int32_t)((r >> 16) & 0xffff) / 1024.0f - 16.0f;
        dx[i] = (double)(int64_t)(r >> 11) * 1e-12;
        dy[i] = (double)(r & 0xfffff);
        s16a[i] = (int16_t)(r >> 32);
        s16b[i] = (int16_t)(r >> 48);
        i32[i] = (int32_t)(r >> 20);
        u8a[i] = (uint8_t)(r >> 8);
        u8b[i] = (uint8_t)(r >> 40);
    }
    for (int i = 0; i < N / 4; i++) parts[i] = (struct particle){x[i], y[i], x[i + 1], y[i + 1]};
    for (int rep = 0; rep < 3; rep++) {
        saxpy(1.5f + rep, x, y, N);
        sdk_printf("saxpy %016llx\n", (unsigned long long)fnv64(FNV_INIT, y, sizeof y));
        sdk_printf("sdot %08x\n", f32_bits(sdot(x, y, N)));
        dscale(dy, dx, 0.75 + rep, N);
        sdk_printf("dscale %016llx\n", (unsigned long long)fnv64(FNV_INIT, dy, sizeof dy));
        sdk_printf("mac16 %08x\n", (unsigned)mac16(s16a, s16b, N - rep));
        satadd(u8c, u8a, u8b, N);
        sdk_printf("satadd %016llx\n", (unsigned long long)fnv64(FNV_INIT, u8c, sizeof u8c));
        int16_t hi;
        int16_t lo = minmax16(s16a + rep, N - rep, &hi);
        sdk_printf("minmax %04x %04x\n", (uint16_t)lo, (uint16_t)hi);
        i2f(x, i32, N);
        f2i(i32, y, N);
        sdk_printf("conv %016llx %016llx\n", (unsigned long long)fnv64(FNV_INIT, x, sizeof x),
                   (unsigned long long)fnv64(FNV_INIT, i32, sizeof i32));
        sdk_printf("sad %08x fmax %08x\n", sad(u8a, u8c, N), f32_bits(fmaxred(y, N)));
        step(parts, N / 4, 0.01f);
        sdk_printf("step %016llx\n", (unsigned long long)fnv64(FNV_INIT, parts, sizeof parts));
    }
    return 0;
}
