/* SHA-256 with SHA256H, SHA256H2, SHA256SU0, SHA256SU1 and SHA-1 with SHA1C/P/M/H,
   SHA1SU0/SU1 through arm_neon.h, over the FIPS 180 "abc" message and a 3000-byte
   generated message; plus 64-bit polynomial multiplies (PMULL/PMULL2 .1q) and 8-bit PMUL /
   PMULL as used for CRC folding and GHASH. */
#include "fpsimd.h"

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint8_t msg[3072 + 128] __attribute__((aligned(16)));

/* Pads msg[0..n) in place (the buffer has room) and returns the padded length. */
static size_t pad(size_t n)
{
    size_t total = (n + 9 + 63) & ~(size_t)63;
    msg[n] = 0x80;
    for (size_t i = n + 1; i < total; i++) msg[i] = 0;
    uint64_t bits = (uint64_t)n * 8;
    for (int i = 0; i < 8; i++) msg[total - 1 - i] = (uint8_t)(bits >> (8 * i));
    return total;
}

static void sha256(size_t len, uint32_t out[8])
{
    uint32x4_t s0 = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a};
    uint32x4_t s1 = {0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    for (size_t off = 0; off < len; off += 64) {
        uint32x4_t m[4];
        for (int i = 0; i < 4; i++)
            m[i] = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(msg + off + 16 * i)));
        uint32x4_t a = s0, e = s1;
        for (int r = 0; r < 16; r++) {
            uint32x4_t w = m[r & 3];
            uint32x4_t wk = vaddq_u32(w, vld1q_u32(&K256[4 * r]));
            uint32x4_t t = a;
            a = vsha256hq_u32(a, e, wk);
            e = vsha256h2q_u32(e, t, wk);
            if (r < 12) m[r & 3] = vsha256su1q_u32(vsha256su0q_u32(m[r & 3], m[(r + 1) & 3]), m[(r + 2) & 3], m[(r + 3) & 3]);
        }
        s0 = vaddq_u32(s0, a);
        s1 = vaddq_u32(s1, e);
    }
    vst1q_u32(out, s0);
    vst1q_u32(out + 4, s1);
}

static void sha1(size_t len, uint32_t out[5])
{
    uint32x4_t abcd = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
    uint32_t e0 = 0xc3d2e1f0;
    static const uint32_t k[4] = {0x5a827999, 0x6ed9eba1, 0x8f1bbcdc, 0xca62c1d6};
    for (size_t off = 0; off < len; off += 64) {
        uint32x4_t m[4];
        for (int i = 0; i < 4; i++)
            m[i] = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(msg + off + 16 * i)));
        uint32x4_t a = abcd;
        uint32_t e = e0;
        for (int r = 0; r < 20; r++) {
            uint32x4_t wk = vaddq_u32(m[r & 3], vdupq_n_u32(k[r / 5]));
            uint32_t en = vsha1h_u32(vgetq_lane_u32(a, 0));
            if (r < 5) a = vsha1cq_u32(a, e, wk);
            else if (r < 10 || r >= 15) a = vsha1pq_u32(a, e, wk);
            else a = vsha1mq_u32(a, e, wk);
            e = en;
            if (r < 16) m[r & 3] = vsha1su1q_u32(vsha1su0q_u32(m[r & 3], m[(r + 1) & 3], m[(r + 2) & 3]), m[(r + 3) & 3]);
        }
        abcd = vaddq_u32(abcd, a);
        e0 += e;
    }
    vst1q_u32(out, abcd);
    out[4] = e0;
}

int fp_main(uint64_t arg)
{
    uint32_t h[8];
    const char *abc = "abc";
    for (int i = 0; i < 3; i++) msg[i] = (uint8_t)abc[i];
    sha256(pad(3), h);
    sdk_printf("sha256(abc) %08x%08x%08x%08x%08x%08x%08x%08x\n", h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]);
    for (int i = 0; i < 3; i++) msg[i] = (uint8_t)abc[i];
    sha1(pad(3), h);
    sdk_printf("sha1(abc) %08x%08x%08x%08x%08x\n", h[0], h[1], h[2], h[3], h[4]);
    uint64_t s = 4242;
    for (int i = 0; i < 3000; i++) msg[i] = (uint8_t)xorshift64(&s);
    sha256(pad(3000), h);
    sdk_printf("sha256(3000) %08x%08x%08x%08x%08x%08x%08x%08x\n", h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]);
    s = 4242;
    for (int i = 0; i < 3000; i++) msg[i] = (uint8_t)xorshift64(&s);
    sha1(pad(3000), h);
    sdk_printf("sha1(3000) %08x%08x%08x%08x%08x\n", h[0], h[1], h[2], h[3], h[4]);
    for (int i = 0; i < 6; i++) {
        poly64_t a = (poly64_t)xorshift64(&s), b = (poly64_t)xorshift64(&s);
        PRINT_Q("pmull", vmull_p64(a, b));
        poly64x2_t va = {a, b}, vb = {b ^ 0x87, a};
        PRINT_Q("pmull2", vmull_high_p64(va, vb));
        poly8x16_t p8 = vreinterpretq_p8_u64(vreinterpretq_u64_p64(va));
        poly8x16_t q8 = vreinterpretq_p8_u64(vreinterpretq_u64_p64(vb));
        PRINT_Q("pmul8", vmulq_p8(p8, q8));
        PRINT_Q("pmull8", vmull_p8(vget_low_p8(p8), vget_low_p8(q8)));
    }
    return 0;
}
