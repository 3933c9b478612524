/* Shared helpers of the SIMD&FP differential guests (guests/fpsimd): results are printed as
   exact bit patterns so QEMU and pmuemu must agree bit for bit. fpen.S enables FP/SIMD and
   calls fp_main. */
#ifndef PMUEMU_GUESTS_FPSIMD_H
#define PMUEMU_GUESTS_FPSIMD_H

#include "sdk.h"

int fp_main(uint64_t arg);

static inline uint64_t f64_bits(double d) { uint64_t u; __builtin_memcpy(&u, &d, 8); return u; }
static inline uint32_t f32_bits(float f) { uint32_t u; __builtin_memcpy(&u, &f, 4); return u; }
static inline double bits_f64(uint64_t u) { double d; __builtin_memcpy(&d, &u, 8); return d; }
static inline float bits_f32(uint32_t u) { float f; __builtin_memcpy(&f, &u, 4); return f; }

static inline uint64_t read_fpsr(void) { uint64_t v; __asm__ volatile("mrs %0, fpsr" : "=r"(v)); return v; }
static inline void write_fpsr(uint64_t v) { __asm__ volatile("msr fpsr, %0" ::"r"(v)); }
static inline uint64_t read_fpcr(void) { uint64_t v; __asm__ volatile("mrs %0, fpcr" : "=r"(v)); return v; }
static inline void write_fpcr(uint64_t v) { __asm__ volatile("msr fpcr, %0" ::"r"(v)); }

/* Keeps the compiler from folding a computation at compile time (the emulators must do it). */
#define OPAQUE(x) __asm__ volatile("" : "+w"(x))
#define OPAQUE_R(x) __asm__ volatile("" : "+r"(x))

/* FNV-1a over bytes: a compact digest when a result is too long to print. */
static inline uint64_t fnv64(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = (const uint8_t *)p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    return h;
}
#define FNV_INIT 0xcbf29ce484222325ull

/* Deterministic test data. */
static inline uint64_t xorshift64(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

#ifdef __ARM_NEON
#include <arm_neon.h>
/* One 128-bit vector (any element type) as two 64-bit halves, high first (so lane 0 is at
   the right). */
#define PRINT_Q(name, v)                                                                     \
    do {                                                                                     \
        __typeof__(v) _v = (v);                                                              \
        uint64_t _d[2];                                                                      \
        __builtin_memcpy(_d, &_v, 16);                                                       \
        sdk_printf("%s %016llx%016llx\n", name, (unsigned long long)_d[1],                   \
                   (unsigned long long)_d[0]);                                               \
    } while (0)
#endif

#endif
