/* Advanced SIMD permutes and moves through arm_neon.h: ZIP1/2, UZP1/2, TRN1/2 at every
   element size, EXT, TBL/TBX with one to four table registers (indices past the table),
   DUP from element and from a general register, INS/UMOV/SMOV, MOVI/MVNI/ORR/BIC
   immediates, FMOV immediate, REV16/32/64, RBIT, NOT and across-register copies. */
#include "fpsimd.h"

static uint8_t src[4][16] __attribute__((aligned(16)));

int fp_main(uint64_t arg)
{
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 16; j++) src[i][j] = (uint8_t)(i * 16 + j + 0x11 * (j & 3));
    uint8x16_t a = vld1q_u8(src[0]), b = vld1q_u8(src[1]), c = vld1q_u8(src[2]), d = vld1q_u8(src[3]);
    uint16x8_t a16 = vreinterpretq_u16_u8(a), b16 = vreinterpretq_u16_u8(b);
    uint32x4_t a32 = vreinterpretq_u32_u8(a), b32 = vreinterpretq_u32_u8(b);
    uint64x2_t a64 = vreinterpretq_u64_u8(a), b64 = vreinterpretq_u64_u8(b);
    PRINT_Q("zip1_8", (vzip1q_u8(a, b)));
    PRINT_Q("zip2_16", (vzip2q_u16(a16, b16)));
    PRINT_Q("zip1_64", (vzip1q_u64(a64, b64)));
    PRINT_Q("uzp1_32", (vuzp1q_u32(a32, b32)));
    PRINT_Q("uzp2_8", (vuzp2q_u8(a, b)));
    PRINT_Q("trn1_16", (vtrn1q_u16(a16, b16)));
    PRINT_Q("trn2_32", (vtrn2q_u32(a32, b32)));
    PRINT_Q("zip1_d8", (vcombine_u8(vzip1_u8(vget_low_u8(a), vget_low_u8(b)), vuzp2_u8(vget_low_u8(c), vget_high_u8(d)))));
    for (int k = 0; k < 16; k += 5) {
        uint8x16_t e;
        switch (k) {
        case 0: e = vextq_u8(a, b, 0); break;
        case 5: e = vextq_u8(a, b, 5); break;
        case 10: e = vextq_u8(a, b, 10); break;
        default: e = vextq_u8(a, b, 15); break;
        }
        PRINT_Q("ext", (e));
    }
    PRINT_Q("ext_d", (vcombine_u8(vext_u8(vget_low_u8(a), vget_low_u8(b), 3), vget_low_u8(c))));
    uint8x16_t idx = vaddq_u8(vmulq_u8(a, vdupq_n_u8(7)), vdupq_n_u8(3));
    uint8x16x2_t t2 = {{b, c}};
    uint8x16x3_t t3 = {{b, c, d}};
    uint8x16x4_t t4 = {{a, b, c, d}};
    PRINT_Q("tbl1", (vqtbl1q_u8(b, vandq_u8(idx, vdupq_n_u8(0x1f)))));
    PRINT_Q("tbl2", (vqtbl2q_u8(t2, vandq_u8(idx, vdupq_n_u8(0x3f)))));
    PRINT_Q("tbl3", (vqtbl3q_u8(t3, idx)));
    PRINT_Q("tbl4", (vqtbl4q_u8(t4, vandq_u8(idx, vdupq_n_u8(0x7f)))));
    PRINT_Q("tbx1", (vqtbx1q_u8(a, b, vandq_u8(idx, vdupq_n_u8(0x1f)))));
    PRINT_Q("tbx4", (vqtbx4q_u8(d, t4, idx)));
    PRINT_Q("tbl_d", (vcombine_u8(vtbl1_u8(vget_low_u8(b), vget_low_u8(idx)), vqtbl1_u8(c, vget_high_u8(idx)))));
    PRINT_Q("dup_lane8", (vdupq_laneq_u8(a, 13)));
    PRINT_Q("dup_lane64", (vdupq_laneq_u64(b64, 1)));
    uint64_t g = vgetq_lane_u64(a64, 1);
    OPAQUE_R(g);
    PRINT_Q("dup_gen16", (vdupq_n_u16((uint16_t)g)));
    PRINT_Q("dup_gen64", (vdupq_n_u64(g)));
    PRINT_Q("ins_gen", (vsetq_lane_u32((uint32_t)g, b32, 2)));
    PRINT_Q("ins_elem", (vcopyq_laneq_u16(a16, 7, b16, 2)));
    PRINT_Q("ins_elem64", (vcopyq_laneq_u64(a64, 0, b64, 1)));
    int8x16_t sa = vreinterpretq_s8_u8(vaddq_u8(a, vdupq_n_u8(0x70)));
    sdk_printf("umov %x %x %llx smov %llx %llx\n", vgetq_lane_u8(a, 9), vgetq_lane_u16(b16, 3),
               (unsigned long long)vgetq_lane_u64(b64, 0), (long long)vgetq_lane_s8(sa, 15),
               (long long)vgetq_lane_s16(vreinterpretq_s16_s8(sa), 7));
    uint32x4_t m;
    __asm__ volatile("movi %0.4s, #0xab, lsl #16" : "=w"(m));
    PRINT_Q("movi_lsl", (m));
    __asm__ volatile("mvni %0.8h, #0x5c, lsl #8" : "=w"(m));
    PRINT_Q("mvni", (m));
    __asm__ volatile("movi %0.2d, #0xff00ff0000ff00ff" : "=w"(m));
    PRINT_Q("movi_d", (m));
    __asm__ volatile("movi %0.4s, #0x3d, msl #16" : "=w"(m));
    PRINT_Q("movi_msl", (m));
    m = a32;
    __asm__ volatile("orr %0.4s, #0x81, lsl #24" : "+w"(m));
    PRINT_Q("orr_imm", (m));
    m = a32;
    __asm__ volatile("bic %0.8h, #0x3f" : "+w"(m));
    PRINT_Q("bic_imm", (m));
    float32x4_t fm;
    __asm__ volatile("fmov %0.4s, #-1.25" : "=w"(fm));
    PRINT_Q("fmov_imm", (fm));
    float64x2_t fd;
    __asm__ volatile("fmov %0.2d, #31.0" : "=w"(fd));
    PRINT_Q("fmov_imm_d", (fd));
    PRINT_Q("rev16", (vrev16q_u8(a)));
    PRINT_Q("rev32_16", (vrev32q_u16(b16)));
    PRINT_Q("rbit", (vrbitq_u8(c)));
    PRINT_Q("not", (vmvnq_u8(d)));
    PRINT_Q("mov", (vorrq_u8(d, d)));
    return 0;
}
