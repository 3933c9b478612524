/* Checksums over 64 KiB of generated data: CRC-32 (bitwise and table-driven, must
   agree), Adler-32, FNV-1a 32/64 and a Fletcher-64. Byte loads, shifts, xor and
   integer division dominate. Exits 7 so exit-status propagation is checked. */
#include "diff.h"

#define LEN 65536
static uint8_t data[LEN];
static uint32_t crc_table[256];

static uint32_t crc32_bitwise(const uint8_t *p, unsigned n)
{
    uint32_t crc = 0xffffffffu;
    for (unsigned i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
    }
    return ~crc;
}

static uint32_t crc32_table(const uint8_t *p, unsigned n)
{
    uint32_t crc = 0xffffffffu;
    for (unsigned i = 0; i < n; i++)
        crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static uint32_t adler32(const uint8_t *p, unsigned n)
{
    uint32_t a = 1, b = 0;
    for (unsigned i = 0; i < n; i++) {
        a = (a + p[i]) % 65521;
        b = (b + a) % 65521;
    }
    return (b << 16) | a;
}

static uint32_t fnv1a32(const uint8_t *p, unsigned n)
{
    uint32_t h = 0x811c9dc5u;
    for (unsigned i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x01000193u;
    return h;
}

static uint64_t fnv1a64(const uint8_t *p, unsigned n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static uint64_t fletcher64(const uint8_t *p, unsigned n)
{
    uint64_t s1 = 0, s2 = 0;
    for (unsigned i = 0; i + 4 <= n; i += 4) {
        uint32_t w = (uint32_t)p[i] | (uint32_t)p[i + 1] << 8 | (uint32_t)p[i + 2] << 16 |
                     (uint32_t)p[i + 3] << 24;
        s1 = (s1 + w) % 0xffffffffu;
        s2 = (s2 + s1) % 0xffffffffu;
    }
    return (s2 << 32) | s1;
}

int main(uint64_t arg)
{
    for (unsigned i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
    static const char check[] = "123456789";
    DIFF_OUT("crc32(\"123456789\") = %08x (bitwise %08x)\n",
             crc32_table((const uint8_t *)check, 9), crc32_bitwise((const uint8_t *)check, 9));
    DIFF_OUT("adler32(\"123456789\") = %08x\n", adler32((const uint8_t *)check, 9));

    for (unsigned i = 0; i < LEN; i++)
        data[i] = (uint8_t)(diff_rand() >> 56);
    uint32_t c1 = crc32_table(data, LEN), c2 = crc32_bitwise(data, LEN);
    DIFF_OUT("crc32 table %08x bitwise %08x agree %d\n", c1, c2, c1 == c2);
    DIFF_OUT("adler32 %08x\n", adler32(data, LEN));
    DIFF_OUT("fnv1a32 %08x\n", fnv1a32(data, LEN));
    DIFF_OUT("fnv1a64 %016lx\n", fnv1a64(data, LEN));
    DIFF_OUT("fletcher64 %016lx\n", fletcher64(data, LEN));
    for (unsigned n = 1; n <= LEN; n *= 4)
        DIFF_OUT("prefix %5u: crc %08x adler %08x\n", n, crc32_table(data, n), adler32(data, n));
    return c1 == c2 ? 7 : 1;
}
