/* Portable system registers: thread ID registers (TPIDR_EL0/EL1, TPIDRRO_EL0, also by
   generic encoding), NZCV, DAIF (daifset/daifclr immediates and msr daif), SPSel,
   CurrentEL, VBAR_EL1, SP_EL0, ELR_EL1 and SPSR_EL1 write/read-back. Only fields whose
   read-back value the architecture fixes are printed. */
#include "diff.h"

int main(uint64_t arg)
{
    static const uint64_t pats[] = {0, ~0ull, 0x0123456789abcdefull, 0x8000000000000001ull};
    for (unsigned i = 0; i < SDK_ARRAY_SIZE(pats); i++) {
        uint64_t v = pats[i];
        sdk_write_sysreg(tpidr_el0, v);
        sdk_write_sysreg(tpidr_el1, ~v);
        sdk_write_sysreg(tpidrro_el0, v ^ 0x5a5a);
        DIFF_OUT("tpidr_el0 %lx tpidr_el1 %lx tpidrro_el0 %lx\n", sdk_read_sysreg(tpidr_el0),
                 sdk_read_sysreg(tpidr_el1), sdk_read_sysreg(tpidrro_el0));
    }
    /* TPIDR_EL0 is S3_3_C13_C0_2, TPIDR_EL1 is S3_0_C13_C0_4. */
    sdk_write_sysreg(S3_3_C13_C0_2, 0xfeedfacecafebeefull);
    sdk_write_sysreg(S3_0_C13_C0_4, 0x0ddba11ull);
    DIFF_OUT("generic encodings: %lx %lx\n", sdk_read_sysreg(tpidr_el0), sdk_read_sysreg(tpidr_el1));

    DIFF_OUT("nzcv:");
    for (uint64_t f = 0; f < 16; f++) {
        /* Bits other than [31:28] are RES0 and must read as zero. */
        sdk_write_sysreg(nzcv, (f << 28) | 0x0fffffffull);
        DIFF_OUT(" %lx", sdk_read_sysreg(nzcv));
    }
    DIFF_OUT("\n");

    DIFF_OUT("daif at entry %lx\n", sdk_read_sysreg(daif));
    __asm__ volatile("msr daifclr, #0xf" ::: "memory");
    uint64_t d0 = sdk_read_sysreg(daif);
    __asm__ volatile("msr daifset, #0x8" ::: "memory");
    uint64_t d1 = sdk_read_sysreg(daif);
    __asm__ volatile("msr daifset, #0x3" ::: "memory");
    uint64_t d2 = sdk_read_sysreg(daif);
    __asm__ volatile("msr daifclr, #0x9" ::: "memory");
    uint64_t d3 = sdk_read_sysreg(daif);
    sdk_write_sysreg(daif, 0x140);
    uint64_t d4 = sdk_read_sysreg(daif);
    sdk_write_sysreg(daif, 0xffffffffull); /* only bits [9:6] are writable */
    uint64_t d5 = sdk_read_sysreg(daif);
    DIFF_OUT("daif: clr-all %lx set-D %lx set-IF %lx clr-DF %lx msr-0x140 %lx msr-ones %lx\n",
             d0, d1, d2, d3, d4, d5);

    DIFF_OUT("CurrentEL %lx (EL%u)\n", sdk_read_sysreg(CurrentEL), sdk_current_el());
    uint64_t s0 = sdk_read_sysreg(spsel), s1, s2, sp_el0;
    /* With SPSel = 0, SP is SP_EL0: nothing may touch the stack until it is 1 again. */
    __asm__ volatile("msr sp_el0, %3\n\t"
                     "msr spsel, #0\n\t"
                     "mrs %0, spsel\n\t"
                     "mov %2, sp\n\t"
                     "msr spsel, #1\n\t"
                     "mrs %1, spsel"
                     : "=&r"(s1), "=&r"(s2), "=&r"(sp_el0)
                     : "r"(0x43f00000ull)
                     : "memory");
    DIFF_OUT("spsel %lx -> %lx -> %lx, sp while SPSel=0 %lx\n", s0, s1, s2, sp_el0);
    sdk_write_sysreg(sp_el0, 0x123450ull);
    DIFF_OUT("sp_el0 readback %lx\n", sdk_read_sysreg(sp_el0));

    uint64_t vbar = sdk_read_sysreg(vbar_el1);
    DIFF_OUT("vbar_el1 == sdk_vectors: %d, low 11 bits %lx\n",
             vbar == (uint64_t)(uintptr_t)sdk_vectors, vbar & 0x7ff);
    /* No exception can happen in between, so a scratch VBAR is harmless. */
    sdk_write_sysreg(vbar_el1, 0x40200800ull);
    uint64_t vbar2 = sdk_read_sysreg(vbar_el1);
    sdk_write_sysreg(vbar_el1, vbar);
    sdk_isb();
    DIFF_OUT("vbar_el1 scratch readback %lx, restored %d\n", vbar2,
             sdk_read_sysreg(vbar_el1) == vbar);

    sdk_write_sysreg(elr_el1, 0xffff000012345678ull);
    DIFF_OUT("elr_el1 readback %lx\n", sdk_read_sysreg(elr_el1));
    static const uint64_t spsrs[] = {0x3c5, 0x600003c4, 0xf0000000, 0x90000005, 0x3c0};
    for (unsigned i = 0; i < SDK_ARRAY_SIZE(spsrs); i++) {
        sdk_write_sysreg(spsr_el1, spsrs[i]);
        /* NZCV, DAIF and M[3:0] only: other bits depend on implemented features. */
        DIFF_OUT("spsr_el1 %lx -> %lx\n", spsrs[i], sdk_read_sysreg(spsr_el1) & (uint64_t)0xf00003cf);
    }
    return 0;
}
