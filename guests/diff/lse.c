/* ARMv8.1 LSE atomics: cas, casp, ldadd/ldclr/ldeor/ldset/ldsmax/ldsmin/ldumax/ldumin
   and swp, in every size (b/h/w/x) and ordering (none, a, l, al), plus the st<op>
   aliases. Each prints the value returned in Rt and memory afterwards; the operands
   straddle the signed/unsigned boundaries so the max/min variants disagree. Built with
   -march=armv8.1-a. */
#include "diff.h"

static uint64_t cell[2] SDK_ALIGNED(16);

typedef uint64_t (*amo_fn)(uint64_t *mem, uint64_t v);

/* %1 is Rs (operand), %0 is Rt (gets the old value). */
#define AMO(op, ord, sfx, R, T, tag)                                                     \
    static uint64_t op##ord##sfx##_##tag(uint64_t *mem, uint64_t v)                      \
    {                                                                                    \
        uint64_t old;                                                                    \
        __asm__ volatile(#op #ord #sfx " %" R "1, %" R "0, [%2]"                         \
                         : "=&r"(old) : "r"(v), "r"((T *)mem) : "memory");               \
        return old;                                                                      \
    }
#define SIZES(X, op, ord)                                                                \
    X(op, ord, b, "w", uint8_t, 8) X(op, ord, h, "w", uint16_t, 16)                      \
    X(op, ord, , "w", uint32_t, 32) X(op, ord, , "", uint64_t, 64)
#define ORDS(X, op) SIZES(X, op, ) SIZES(X, op, a) SIZES(X, op, l) SIZES(X, op, al)
#define OPS(X)                                                                           \
    ORDS(X, ldadd) ORDS(X, ldclr) ORDS(X, ldeor) ORDS(X, ldset) ORDS(X, ldsmax)          \
    ORDS(X, ldsmin) ORDS(X, ldumax) ORDS(X, ldumin) ORDS(X, swp)
OPS(AMO)

#define AMO_ENT(op, ord, sfx, R, T, tag) {#op #ord #sfx "_" #tag, op##ord##sfx##_##tag, tag},
static const struct {
    const char *name;
    amo_fn fn;
    unsigned bits;
} amos[] = {OPS(AMO_ENT)};

/* st<op>: no result register (it is the zero register), only none/l orderings. */
#define STOP(name, text, T)                                                              \
    static uint64_t name(uint64_t *mem, uint64_t v)                                      \
    {                                                                                    \
        __asm__ volatile(text : : "r"(v), "r"((T *)mem) : "memory");                     \
        return 0;                                                                        \
    }
STOP(stadd_x, "stadd %0, [%1]", uint64_t)
STOP(staddl_w, "staddl %w0, [%1]", uint32_t)
STOP(stclrb, "stclrb %w0, [%1]", uint8_t)
STOP(steorlh, "steorlh %w0, [%1]", uint16_t)
STOP(stset_w, "stset %w0, [%1]", uint32_t)
STOP(stsmaxl_x, "stsmaxl %0, [%1]", uint64_t)
STOP(stsminh, "stsminh %w0, [%1]", uint16_t)
STOP(stumaxlb, "stumaxlb %w0, [%1]", uint8_t)
STOP(stumin_x, "stumin %0, [%1]", uint64_t)
static const struct {
    const char *name;
    amo_fn fn;
    unsigned bits;
} stops[] = {
    {"stadd_x", stadd_x, 64},   {"staddl_w", staddl_w, 32},   {"stclrb", stclrb, 8},
    {"steorlh", steorlh, 16},   {"stset_w", stset_w, 32},     {"stsmaxl_x", stsmaxl_x, 64},
    {"stsminh", stsminh, 16},   {"stumaxlb", stumaxlb, 8},    {"stumin_x", stumin_x, 64},
};

/* cas: %0 is Rs (compare value in, old value out), %1 is Rt (new value). */
#define CAS(ord, sfx, R, T, tag)                                                         \
    static uint64_t cas##ord##sfx##_##tag(uint64_t *mem, uint64_t cmp, uint64_t nv)      \
    {                                                                                    \
        uint64_t s = cmp;                                                                \
        __asm__ volatile("cas" #ord #sfx " %" R "0, %" R "1, [%2]"                       \
                         : "+&r"(s) : "r"(nv), "r"((T *)mem) : "memory");                \
        return s;                                                                        \
    }
#define CAS_SIZES(X, ord)                                                                \
    X(ord, b, "w", uint8_t, 8) X(ord, h, "w", uint16_t, 16) X(ord, , "w", uint32_t, 32)  \
    X(ord, , "", uint64_t, 64)
#define CAS_ALL(X) CAS_SIZES(X, ) CAS_SIZES(X, a) CAS_SIZES(X, l) CAS_SIZES(X, al)
CAS_ALL(CAS)
#define CAS_ENT(ord, sfx, R, T, tag) {"cas" #ord #sfx "_" #tag, cas##ord##sfx##_##tag, tag},
static const struct {
    const char *name;
    uint64_t (*fn)(uint64_t *, uint64_t, uint64_t);
    unsigned bits;
} cases[] = {CAS_ALL(CAS_ENT)};

/* casp needs even/odd register pairs, so the registers are fixed. */
#define CASP(ord, R)                                                                     \
    static void casp##ord##_##R(uint64_t *mem, const uint64_t cmp[2], const uint64_t nv[2], \
                                uint64_t out[2])                                         \
    {                                                                                    \
        register uint64_t s0 __asm__("x4") = cmp[0];                                     \
        register uint64_t s1 __asm__("x5") = cmp[1];                                     \
        register uint64_t t0 __asm__("x6") = nv[0];                                      \
        register uint64_t t1 __asm__("x7") = nv[1];                                      \
        __asm__ volatile("casp" #ord " " #R "4, " #R "5, " #R "6, " #R "7, [%4]"         \
                         : "+r"(s0), "+r"(s1) : "r"(t0), "r"(t1), "r"(mem) : "memory");  \
        out[0] = s0;                                                                     \
        out[1] = s1;                                                                     \
    }
CASP(, x) CASP(a, x) CASP(l, x) CASP(al, x) CASP(, w) CASP(a, w) CASP(l, w) CASP(al, w)
static const struct {
    const char *name;
    void (*fn)(uint64_t *, const uint64_t[2], const uint64_t[2], uint64_t[2]);
    unsigned bits;
} casps[] = {
    {"casp_x", casp_x, 64},   {"caspa_x", caspa_x, 64}, {"caspl_x", caspl_x, 64},
    {"caspal_x", caspal_x, 64}, {"casp_w", casp_w, 32}, {"caspa_w", caspa_w, 32},
    {"caspl_w", caspl_w, 32}, {"caspal_w", caspal_w, 32},
};

static const uint64_t mems[] = {0x8000000000000080ull, 0x7fffffffffff7fffull,
                                0x00000000ffffffffull, 0x5a5a5a5a5a5a5a5aull};
static const uint64_t opnds[] = {0xffffffffffffffffull, 0x0000000000000001ull,
                                 0x800000007fff8001ull, 0x3c3c3c3ca5a5a5a5ull};

static uint64_t trunc(uint64_t v, unsigned bits)
{
    return bits == 64 ? v : v & ((1ull << bits) - 1);
}

/* Memory beyond the access size must be untouched: fill the cell with a canary first. */
static void set_cell(uint64_t v, unsigned bits)
{
    cell[0] = (0xc0ffee00c0ffee00ull & ~trunc(~0ull, bits)) | trunc(v, bits);
    cell[1] = 0xc0ffee11c0ffee11ull;
}

int main(uint64_t arg)
{
    for (unsigned i = 0; i < SDK_ARRAY_SIZE(amos); i++) {
        DIFF_OUT("%-12s", amos[i].name);
        for (unsigned j = 0; j < SDK_ARRAY_SIZE(mems); j++) {
            set_cell(mems[j], amos[i].bits);
            uint64_t old = amos[i].fn(cell, opnds[j]);
            DIFF_OUT(" %lx>%lx", old, cell[0]);
        }
        DIFF_OUT("\n");
    }
    for (unsigned i = 0; i < SDK_ARRAY_SIZE(stops); i++) {
        DIFF_OUT("%-12s", stops[i].name);
        for (unsigned j = 0; j < SDK_ARRAY_SIZE(mems); j++) {
            set_cell(mems[j], stops[i].bits);
            stops[i].fn(cell, opnds[(j + 1) % 4]);
            DIFF_OUT(" %lx", cell[0]);
        }
        DIFF_OUT("\n");
    }
    for (unsigned i = 0; i < SDK_ARRAY_SIZE(cases); i++) {
        unsigned bits = cases[i].bits;
        DIFF_OUT("%-12s", cases[i].name);
        for (unsigned j = 0; j < SDK_ARRAY_SIZE(mems); j++) {
            /* Once with a matching compare value (stores), once without (no store). */
            set_cell(mems[j], bits);
            uint64_t old = cases[i].fn(cell, trunc(mems[j], bits), opnds[j]);
            DIFF_OUT(" hit %lx>%lx", old, cell[0]);
            set_cell(mems[j], bits);
            old = cases[i].fn(cell, trunc(mems[j] + 1, bits), opnds[j]);
            DIFF_OUT(" miss %lx>%lx", old, cell[0]);
        }
        DIFF_OUT("\n");
    }
    for (unsigned i = 0; i < SDK_ARRAY_SIZE(casps); i++) {
        unsigned bits = casps[i].bits;
        uint64_t *m = cell;
        uint64_t init[2] = {0x1122334455667788ull, 0x99aabbccddeeff00ull};
        uint64_t nv[2] = {0x0f0f0f0f0f0f0f0full, 0xf0f0f0f0f0f0f0f0ull};
        uint64_t out[2];
        /* casp w operates on two adjacent 32-bit words, i.e. the first doubleword. */
        uint64_t cmp_hit[2] = {bits == 64 ? init[0] : (init[0] & 0xffffffff),
                               bits == 64 ? init[1] : (init[0] >> 32)};
        uint64_t cmp_miss[2] = {cmp_hit[0], cmp_hit[1] ^ 1};
        m[0] = init[0];
        m[1] = init[1];
        casps[i].fn(m, cmp_miss, nv, out);
        DIFF_OUT("%-12s miss %lx %lx > %lx %lx", casps[i].name, out[0], out[1], m[0], m[1]);
        casps[i].fn(m, cmp_hit, nv, out);
        DIFF_OUT(" hit %lx %lx > %lx %lx\n", out[0], out[1], m[0], m[1]);
    }
    return 0;
}
