/* Variable shifts (lslv/lsrv/asrv/rorv and their lsl/lsr/asr/ror aliases): only the low
   5 (W) or 6 (X) bits of the shift register count, so amounts >= the width wrap. */
#include "diff.h"

#define OP(fn, text)                                                                     \
    static uint64_t fn(uint64_t a, uint64_t b)                                           \
    {                                                                                    \
        uint64_t r;                                                                      \
        __asm__ volatile(text : "=r"(r) : "r"(a), "r"(b));                              \
        return r;                                                                        \
    }
OP(lslv_x, "lslv %0, %1, %2")
OP(lsrv_x, "lsrv %0, %1, %2")
OP(asrv_x, "asrv %0, %1, %2")
OP(rorv_x, "rorv %0, %1, %2")
OP(lslv_w, "lslv %w0, %w1, %w2")
OP(lsrv_w, "lsrv %w0, %w1, %w2")
OP(asrv_w, "asrv %w0, %w1, %w2")
OP(rorv_w, "rorv %w0, %w1, %w2")
OP(lsl_alias, "lsl %0, %1, %2")
OP(ror_w_alias, "ror %w0, %w1, %w2")

static const struct {
    const char *name;
    uint64_t (*fn)(uint64_t, uint64_t);
} ops[] = {
    {"lslv_x", lslv_x}, {"lsrv_x", lsrv_x}, {"asrv_x", asrv_x}, {"rorv_x", rorv_x},
    {"lslv_w", lslv_w}, {"lsrv_w", lsrv_w}, {"asrv_w", asrv_w}, {"rorv_w", rorv_w},
    {"lsl_alias", lsl_alias}, {"ror_w_alias", ror_w_alias},
};

static const uint64_t amounts[] = {0, 1, 4, 31, 32, 33, 63, 64, 65, 127, 0xffffffffffffffc1ull, 0x100000020ull};

int main(uint64_t arg)
{
    for (unsigned o = 0; o < SDK_ARRAY_SIZE(ops); o++) {
        DIFF_OUT("%s\n", ops[o].name);
        for (unsigned i = 0; i < DIFF_NVALS; i++) {
            DIFF_OUT(" %016lx:", diff_vals[i]);
            for (unsigned j = 0; j < SDK_ARRAY_SIZE(amounts); j++)
                DIFF_OUT(" %lx", ops[o].fn(diff_vals[i], amounts[j]));
            DIFF_OUT("\n");
        }
    }
    return 0;
}
