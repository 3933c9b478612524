/* Conditional compare: ccmp/ccmn with immediate and register operands, both widths,
   for every condition and every incoming NZCV; the printed value is the outgoing NZCV. */
#include "diff.h"

#define CONDS(X)                                                                         \
    X(eq) X(ne) X(cs) X(cc) X(mi) X(pl) X(vs) X(vc) X(hi) X(ls) X(ge) X(lt) X(gt) X(le) X(al) X(nv)

#define CC(name, text)                                                                   \
    static uint64_t name(uint64_t a, uint64_t b, uint64_t f)                             \
    {                                                                                    \
        uint64_t r;                                                                      \
        __asm__ volatile("msr nzcv, %3\n\t" text "\n\tmrs %0, nzcv"                      \
                         : "=r"(r) : "r"(a), "r"(b), "r"(f) : "cc");                     \
        return r >> 28;                                                                  \
    }
#define DEF(c)                                                                           \
    CC(ccmp_r_##c, "ccmp %1, %2, #0x5, " #c)                                             \
    CC(ccmn_r_##c, "ccmn %1, %2, #0xa, " #c)                                             \
    CC(ccmp_i_##c, "ccmp %1, #31, #0xf, " #c)                                            \
    CC(ccmn_i_##c, "ccmn %1, #1, #0x0, " #c)                                             \
    CC(ccmp_wr_##c, "ccmp %w1, %w2, #0x3, " #c)                                          \
    CC(ccmn_wi_##c, "ccmn %w1, #0, #0xc, " #c)
CONDS(DEF)

typedef uint64_t (*fn_t)(uint64_t, uint64_t, uint64_t);
#define ENT(c) {"ccmp_r_" #c, ccmp_r_##c}, {"ccmn_r_" #c, ccmn_r_##c}, {"ccmp_i_" #c, ccmp_i_##c}, \
               {"ccmn_i_" #c, ccmn_i_##c}, {"ccmp_wr_" #c, ccmp_wr_##c}, {"ccmn_wi_" #c, ccmn_wi_##c},
static const struct {
    const char *name;
    fn_t fn;
} ops[] = {CONDS(ENT)};

static const uint64_t pairs[][2] = {
    {0, 0}, {1, 0}, {0, 1}, {31, 31}, {0x7fffffffffffffffull, 0xffffffffffffffffull},
    {0x8000000000000000ull, 1}, {0xffffffffffffffffull, 1}, {0x80000000ull, 0x7fffffffull},
};

int main(uint64_t arg)
{
    for (unsigned o = 0; o < SDK_ARRAY_SIZE(ops); o++) {
        DIFF_OUT("%s\n", ops[o].name);
        for (unsigned p = 0; p < SDK_ARRAY_SIZE(pairs); p++) {
            DIFF_OUT(" %lx,%lx:", pairs[p][0], pairs[p][1]);
            for (uint64_t f = 0; f < 16; f++)
                DIFF_OUT("%lx", ops[o].fn(pairs[p][0], pairs[p][1], f << 28));
            DIFF_OUT("\n");
        }
    }
    return 0;
}
