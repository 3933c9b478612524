/* Conditional select (csel/csinc/csinv/csneg and the cset/csetm/cinc/cinv/cneg aliases)
   under all 16 condition codes (al and nv both mean "always") and all 16 NZCV values. */
#include "diff.h"

#define CONDS(X)                                                                         \
    X(eq) X(ne) X(cs) X(cc) X(mi) X(pl) X(vs) X(vc) X(hi) X(ls) X(ge) X(lt) X(gt) X(le) X(al) X(nv)
/* The aliases cannot encode al/nv (they invert the condition), so they get 14. */
#define CONDS14(X)                                                                       \
    X(eq) X(ne) X(cs) X(cc) X(mi) X(pl) X(vs) X(vc) X(hi) X(ls) X(ge) X(lt) X(gt) X(le)

#define SEL(insn, c)                                                                     \
    static uint64_t insn##_##c(uint64_t a, uint64_t b, uint64_t f)                       \
    {                                                                                    \
        uint64_t r;                                                                      \
        __asm__ volatile("msr nzcv, %3\n\t" #insn " %0, %1, %2, " #c                     \
                         : "=r"(r) : "r"(a), "r"(b), "r"(f) : "cc");                     \
        return r;                                                                        \
    }
#define SELW(insn, c)                                                                    \
    static uint64_t insn##_w_##c(uint64_t a, uint64_t b, uint64_t f)                     \
    {                                                                                    \
        uint64_t r;                                                                      \
        __asm__ volatile("msr nzcv, %3\n\t" #insn " %w0, %w1, %w2, " #c                  \
                         : "=r"(r) : "r"(a), "r"(b), "r"(f) : "cc");                     \
        return r;                                                                        \
    }
#define ALIAS1(insn, c)                                                                  \
    static uint64_t insn##_##c(uint64_t a, uint64_t b, uint64_t f)                       \
    {                                                                                    \
        uint64_t r;                                                                      \
        __asm__ volatile("msr nzcv, %3\n\t" #insn " %0, %1, " #c                         \
                         : "=r"(r) : "r"(a), "r"(b), "r"(f) : "cc");                     \
        return r;                                                                        \
    }
#define ALIAS0(insn, c)                                                                  \
    static uint64_t insn##_##c(uint64_t a, uint64_t b, uint64_t f)                       \
    {                                                                                    \
        uint64_t r;                                                                      \
        __asm__ volatile("msr nzcv, %3\n\t" #insn " %0, " #c                             \
                         : "=r"(r) : "r"(a), "r"(b), "r"(f) : "cc");                     \
        return r;                                                                        \
    }

#define DEF_ALL(c) SEL(csel, c) SEL(csinc, c) SEL(csinv, c) SEL(csneg, c) SELW(csinc, c) SELW(csneg, c)
CONDS(DEF_ALL)
#define DEF_ALIAS(c) ALIAS0(cset, c) ALIAS0(csetm, c) ALIAS1(cinc, c) ALIAS1(cinv, c) ALIAS1(cneg, c)
CONDS14(DEF_ALIAS)

typedef uint64_t (*fn_t)(uint64_t, uint64_t, uint64_t);
struct op {
    const char *name;
    fn_t fn;
};
#define ENT(c) {"csel_" #c, csel_##c}, {"csinc_" #c, csinc_##c}, {"csinv_" #c, csinv_##c},  \
               {"csneg_" #c, csneg_##c}, {"csinc_w_" #c, csinc_w_##c}, {"csneg_w_" #c, csneg_w_##c},
#define ENT_ALIAS(c) {"cset_" #c, cset_##c}, {"csetm_" #c, csetm_##c}, {"cinc_" #c, cinc_##c}, \
                     {"cinv_" #c, cinv_##c}, {"cneg_" #c, cneg_##c},
static const struct op ops[] = {CONDS(ENT) CONDS14(ENT_ALIAS)};

int main(uint64_t arg)
{
    const uint64_t a = 0x8000000000000005ull, b = 0x00000000fffffff0ull;
    for (unsigned o = 0; o < SDK_ARRAY_SIZE(ops); o++) {
        DIFF_OUT("%-12s", ops[o].name);
        for (uint64_t f = 0; f < 16; f++)
            DIFF_OUT(" %lx", ops[o].fn(a, b, f << 28));
        DIFF_OUT("\n");
    }
    return 0;
}
