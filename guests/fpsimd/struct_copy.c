/* Memory through SIMD&FP registers: struct assignment and memcpy-sized copies the compiler
   does with LDP/STP Q, LDR/STR of B/H/S/D/Q (immediate, register offset, pre/post-index),
   LDUR/STUR, LDNP/STNP, literal loads, LD1-LD4 and ST1-ST4 multiple structures (1-4
   registers, post-index by immediate and register), LD1/ST1 single lane, LD1R-LD4R. */
#include "fpsimd.h"

struct big { uint64_t w[8]; } __attribute__((aligned(16)));
struct mixed { double d[3]; float f[2]; uint32_t tag; uint8_t pad[12]; } __attribute__((aligned(16)));

static struct big bigs[16];
static struct mixed mixes[8];
static uint8_t src[512] __attribute__((aligned(16)));
static uint8_t dst[512] __attribute__((aligned(16)));

__attribute__((noinline)) static void copy_big(struct big *d, const struct big *s) { *d = *s; }
__attribute__((noinline)) static struct mixed pass_mixed(struct mixed m) { m.d[1] += 1.0; m.tag ^= 0x55; return m; }

static void digest(const char *what, const void *p, size_t n)
{
    sdk_printf("%s %016llx\n", what, (unsigned long long)fnv64(FNV_INIT, p, n));
}

int fp_main(uint64_t arg)
{
    uint64_t s = 777;
    for (unsigned i = 0; i < sizeof src; i++) src[i] = (uint8_t)xorshift64(&s);
    for (unsigned i = 0; i < 16; i++)
        for (unsigned j = 0; j < 8; j++) bigs[i].w[j] = xorshift64(&s);
    for (unsigned i = 1; i < 16; i++) copy_big(&bigs[i], &bigs[i - 1]);
    digest("bigs", bigs, sizeof bigs);
    for (unsigned i = 0; i < 8; i++) mixes[i] = (struct mixed){{i * 0.5, -1.0 * i, 3.25}, {1.5f, -2.0f}, i, {0}};
    for (unsigned i = 1; i < 8; i++) mixes[i] = pass_mixed(mixes[i - 1]);
    digest("mixes", mixes, sizeof mixes);

    /* Single registers, every size and addressing form. */
    uint8_t *p = dst;
    __asm__ volatile(
        "ldr b0, [%[s], #3]\n str b0, [%[d], #0]\n"
        "ldr h1, [%[s], #6]\n str h1, [%[d], #2]\n"
        "ldr s2, [%[s], #12]\n str s2, [%[d], #4]\n"
        "ldr d3, [%[s], #24]\n str d3, [%[d], #8]\n"
        "ldr q4, [%[s], #32]\n str q4, [%[d], #16]\n"
        "mov x9, #48\n ldr q5, [%[s], x9]\n str q5, [%[d], x9]\n"
        "mov x9, #8\n ldr d6, [%[s], x9, lsl #3]\n str d6, [%[d], x9, lsl #3]\n"
        "ldur q7, [%[s], #80]\n stur q7, [%[d], #80]\n"
        "ldp q8, q9, [%[s], #96]\n stp q9, q8, [%[d], #96]\n"
        "ldp d10, d11, [%[s], #128]\n stp d11, d10, [%[d], #128]\n"
        "ldp s12, s13, [%[s], #144]\n stp s13, s12, [%[d], #144]\n"
        "ldnp q14, q15, [%[s], #160]\n stnp q15, q14, [%[d], #160]\n"
        "add x10, %[s], #192\n add x11, %[d], #192\n"
        "ldr q16, [x10], #16\n str q16, [x11], #16\n"
        "ldr q17, [x10, #16]!\n str q17, [x11, #16]!\n"
        "ldp q18, q19, [x10], #32\n stp q18, q19, [x11], #32\n"
        "ldp q20, q21, [x10, #32]!\n stp q20, q21, [x11, #32]!\n"
        "ldr q22, 1f\n str q22, [%[d], #320]\n"
        "b 2f\n .balign 16\n1: .quad 0x0123456789abcdef, 0xfedcba9876543210\n2:\n"
        :
        : [s] "r"(src), [d] "r"(p)
        : "x9", "x10", "x11", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12",
          "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "memory");
    digest("single", dst, 336);

    /* Structures. */
    uint8x16x2_t l2 = vld2q_u8(src);
    uint16x8x3_t l3 = vld3q_u16((const uint16_t *)(src + 64));
    uint32x4x4_t l4 = vld4q_u32((const uint32_t *)(src + 128));
    uint8x16x4_t l14 = vld1q_u8_x4(src + 256);
    uint64x2x3_t l13 = vld1q_u64_x3((const uint64_t *)(src + 320));
    PRINT_Q("ld2_0", l2.val[0]);
    PRINT_Q("ld2_1", l2.val[1]);
    PRINT_Q("ld3_2", l3.val[2]);
    PRINT_Q("ld4_3", l4.val[3]);
    PRINT_Q("ld1x4_2", l14.val[2]);
    PRINT_Q("ld1x3_1", l13.val[1]);
    vst2q_u8(dst, l2);
    vst3q_u16((uint16_t *)(dst + 64), l3);
    vst4q_u32((uint32_t *)(dst + 128), l4);
    vst1q_u8_x4(dst + 256, l14);
    uint8x16x3_t s3;
    s3.val[0] = l2.val[1];
    s3.val[1] = l14.val[0];
    s3.val[2] = l14.val[3];
    vst3q_u8(dst + 400, s3);
    digest("structs", dst, sizeof dst);
    uint16x8_t lane = vld1q_lane_u16((const uint16_t *)(src + 10), vreinterpretq_u16_u8(l2.val[0]), 5);
    PRINT_Q("ld1_lane", lane);
    uint32x4x2_t l2l = vld2q_lane_u32((const uint32_t *)(src + 20), vld2q_u32((const uint32_t *)src), 3);
    PRINT_Q("ld2_lane", l2l.val[1]);
    PRINT_Q("ld1r", vld1q_dup_u16((const uint16_t *)(src + 34)));
    uint8x16x3_t r3 = vld3q_dup_u8(src + 99);
    PRINT_Q("ld3r", r3.val[2]);
    uint64x2x4_t r4 = vld4q_dup_u64((const uint64_t *)(src + 200));
    PRINT_Q("ld4r", r4.val[3]);
    vst1q_lane_u64((uint64_t *)(dst + 8), vreinterpretq_u64_u16(lane), 1);
    vst4q_lane_u16((uint16_t *)(dst + 32), vld4q_u16((const uint16_t *)src), 6);
    digest("lanes", dst, 64);
    /* Post-index structure forms, immediate and register. */
    const uint8_t *q = src;
    uint8_t *w = dst;
    uint64_t step = 48;
    __asm__ volatile(
        "ld1 {v0.16b, v1.16b}, [%[q]], #32\n"
        "ld3 {v2.8h, v3.8h, v4.8h}, [%[q]], %[st]\n"
        "ld4r {v5.4s, v6.4s, v7.4s, v8.4s}, [%[q]], #16\n"
        "st1 {v0.16b, v1.16b}, [%[w]], #32\n"
        "st3 {v2.8h, v3.8h, v4.8h}, [%[w]], %[st]\n"
        "st4 {v5.4s, v6.4s, v7.4s, v8.4s}, [%[w]], #64\n"
        "ld1 {v9.s}[2], [%[q]], #4\n"
        "st1 {v9.d}[1], [%[w]], #8\n"
        : [q] "+r"(q), [w] "+r"(w)
        : [st] "r"(step)
        : "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "memory");
    sdk_printf("postindex %llx %llx\n", (unsigned long long)(q - src), (unsigned long long)(w - dst));
    digest("post", dst, sizeof dst);
    return 0;
}
