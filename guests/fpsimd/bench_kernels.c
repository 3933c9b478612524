/* bench/run case 7 (docs/performance.md): SIMD&FP kernels, one per build (FPK_KERNEL),
   FPK_ITERS repetitions.
     1  scalar double: dense 24x24 matrix multiply whose inner products are FMADD chains
        (vectorisation off for this loop, so it stays scalar)
     2  single precision, auto-vectorised: saxpy followed by a dot product over 4096 floats
     3  NEON integer: a 3x3 [1 2 1] blur of a 64x64 byte image with widening adds, a
        rounding narrowing shift and saturating arithmetic (arm_neon.h)
   Prints "kernel=K iterations=N checksum=X"; the checksum must agree between emulators. */
#include "fpsimd.h"

#ifndef FPK_KERNEL
#define FPK_KERNEL 1
#endif
#ifndef FPK_ITERS
#define FPK_ITERS 1
#endif

#if FPK_KERNEL == 1
#define M 24
static double A[M][M] __attribute__((aligned(16))), B[M][M] __attribute__((aligned(16))),
    C[M][M] __attribute__((aligned(16)));
static uint64_t run(void)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++) {
            A[i][j] = (double)(i * M + j) * 0.001 - 0.25;
            B[i][j] = (double)((i + 3 * j) % 17) * 0.125 - 1.0;
            C[i][j] = 0.0;
        }
    for (long it = 0; it < FPK_ITERS; it++) {
        for (int i = 0; i < M; i++)
            for (int j = 0; j < M; j++) {
                double s = C[i][j] * 0.5;
#pragma clang loop vectorize(disable) interleave(disable)
                for (int k = 0; k < M; k++) s = __builtin_fma(A[i][k], B[k][j], s);
                C[i][j] = s;
            }
    }
    return fnv64(FNV_INIT, C, sizeof C);
}
#elif FPK_KERNEL == 2
#define N 4096
static float X[N] __attribute__((aligned(16))), Y[N] __attribute__((aligned(16)));
__attribute__((noinline)) static void saxpy(float a, const float *restrict x, float *restrict y)
{
    for (int i = 0; i < N; i++) y[i] = a * x[i] + y[i];
}
__attribute__((noinline)) static float sdot(const float *restrict x, const float *restrict y)
{
    float s = 0.0f;
#pragma clang loop vectorize(enable) interleave(enable)
    for (int i = 0; i < N; i++) s += x[i] * y[i];
    return s;
}
static uint64_t run(void)
{
    for (int i = 0; i < N; i++) {
        X[i] = (float)(i % 97) * 0.01f;
        Y[i] = (float)(i % 13) * -0.5f;
    }
    float acc = 0.0f;
    for (long it = 0; it < FPK_ITERS; it++) {
        saxpy(-0.001f * (float)(it & 7), X, Y);
        acc += sdot(X, Y) * 1e-6f;
    }
    uint32_t b = f32_bits(acc);
    return fnv64(fnv64(FNV_INIT, Y, sizeof Y), &b, 4);
}
#else
#define W 64
#define H 64
static uint8_t img[H][W] __attribute__((aligned(16))), out[H][W] __attribute__((aligned(16)));
static uint64_t run(void)
{
    uint64_t s = 2024;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) img[y][x] = (uint8_t)xorshift64(&s);
    for (long it = 0; it < FPK_ITERS; it++) {
        for (int y = 1; y < H - 1; y++) {
            for (int x = 0; x + 16 <= W; x += 16) {
                uint8x16_t up = vld1q_u8(&img[y - 1][x]), mid = vld1q_u8(&img[y][x]), dn = vld1q_u8(&img[y + 1][x]);
                /* vertical [1 2 1] in 16 bits */
                uint16x8_t lo = vaddq_u16(vaddl_u8(vget_low_u8(up), vget_low_u8(dn)), vshll_n_u8(vget_low_u8(mid), 1));
                uint16x8_t hi = vaddl_high_u8(up, dn);
                hi = vaddq_u16(hi, vshll_high_n_u8(mid, 1));
                /* horizontal [1 2 1] via lane shifts of the column sums (edges wrap inside the vector) */
                uint16x8_t lo_l = vextq_u16(lo, lo, 7), lo_r = vextq_u16(lo, lo, 1);
                uint16x8_t hi_l = vextq_u16(hi, hi, 7), hi_r = vextq_u16(hi, hi, 1);
                lo = vaddq_u16(vaddq_u16(lo_l, lo_r), vshlq_n_u16(lo, 1));
                hi = vaddq_u16(vaddq_u16(hi_l, hi_r), vshlq_n_u16(hi, 1));
                /* /16 with rounding, then a saturating sharpen against the original */
                uint8x16_t blur = vcombine_u8(vqrshrn_n_u16(lo, 4), vqrshrn_n_u16(hi, 4));
                uint8x16_t edge = vqsubq_u8(mid, blur);
                out[y][x / 16 * 16 + 0] = 0; /* keeps the store pattern simple for the compiler */
                vst1q_u8(&out[y][x], vqaddq_u8(mid, vqaddq_u8(edge, edge)));
            }
        }
        /* feed back so each iteration works on new data */
        for (int y = 1; y < H - 1; y++)
            for (int x = 0; x + 16 <= W; x += 16) vst1q_u8(&img[y][x], vrhaddq_u8(vld1q_u8(&img[y][x]), vld1q_u8(&out[y][x])));
    }
    return fnv64(FNV_INIT, img, sizeof img);
}
#endif

int fp_main(uint64_t arg)
{
    uint64_t c = run();
    sdk_printf("kernel=%d iterations=%ld checksum=0x%016llx\n", FPK_KERNEL, (long)FPK_ITERS, (unsigned long long)c);
    return 0;
}
