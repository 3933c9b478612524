/* Synchronous exceptions taken to EL1 and returned from with ERET: svc (immediate read
   back from ESR, return value through the frame), brk (ELR points at the brk, so the
   hook steps it), UNDEFINED encodings (udf, the all-zeroes word, an EL2 register
   accessed from EL1 with no EL2), a nested exception taken inside a hook, a hook that
   redirects ELR, exceptions from EL1t (SPSel = 0, the "current EL with SP0" vector) and
   hvc reaching PSCI. Printed: vector, EC, IL, ISS, ELR relative to the faulting
   instruction, and the SPSR fields that every implementation defines identically. */
#include "diff.h"

struct rec {
    uint64_t vector, ec, il, iss, spsr_m, spsr_nzcv, spsr_daif, elr, sp;
};
static volatile struct rec last;
static volatile unsigned count;

static void record(const struct sdk_frame *f)
{
    last.vector = f->vector;
    last.ec = sdk_esr_ec(f->esr);
    last.il = (f->esr >> 25) & 1;
    last.iss = sdk_esr_iss(f->esr);
    last.spsr_m = f->spsr & 0xf;
    last.spsr_nzcv = f->spsr >> 28 & 0xf;
    last.spsr_daif = f->spsr >> 6 & 0xf;
    last.elr = f->elr;
    last.sp = f->sp;
    count++;
}

static int hook(struct sdk_frame *f)
{
    record(f);
    switch (sdk_esr_ec(f->esr)) {
    case ESR_EC_SVC64: {
        unsigned imm = f->esr & 0xffff;
        if (imm == 0x42) {
            /* Redirect: resume at the address the test left in x1. */
            f->elr = f->x[1];
            return 1;
        }
        if (imm == 0x55) {
            /* Nested: take another exception from inside this handler. */
            uint64_t inner;
            __asm__ volatile("mov x0, #5\n\tsvc #0x7\n\tmov %0, x0" : "=r"(inner) : : "x0", "memory");
            f->x[0] = inner + 1000;
            /* Report the outer exception, not the inner one. */
            count--;
            record(f);
            return 1;
        }
        /* The preferred return address of an SVC is already the next instruction. */
        f->x[0] = f->x[0] * 3 + imm;
        return 1;
    }
    case ESR_EC_BRK64:
        /* BRK reports its own address: step over it. */
        f->x[0] = (f->esr & 0xffff) + 0x10000;
        f->elr += 4;
        return 1;
    case ESR_EC_UNKNOWN:
        f->x[0] = 0xdead;
        f->elr += 4;
        return 1;
    default:
        return 0;
    }
}

static void show(const char *what, uint64_t result, uint64_t insn_addr)
{
    DIFF_OUT("%-16s x0=%lx vec=%lu ec=%02lx il=%lu iss=%lx elr%+ld spsr.m=%lx nzcv=%lx daif=%lx\n",
             what, result, last.vector, last.ec, last.il, last.iss,
             (int64_t)(last.elr - insn_addr), last.spsr_m, last.spsr_nzcv, last.spsr_daif);
}

/* Runs one faulting instruction with x0 = in and NZCV = C|V; returns x0 afterwards and
   the instruction's address in *at. */
#define TRAP(fn, insn)                                                                   \
    static uint64_t fn(uint64_t in, uint64_t *at)                                        \
    {                                                                                    \
        register uint64_t x0 __asm__("x0") = in;                                         \
        uint64_t addr;                                                                   \
        __asm__ volatile("msr nzcv, %2\n\t"                                              \
                         "adr %1, 1f\n"                                                  \
                         "1: " insn                                                      \
                         : "+r"(x0), "=&r"(addr) : "r"(0x30000000ull) : "memory", "cc"); \
        *at = addr;                                                                      \
        return x0;                                                                       \
    }
TRAP(t_svc0, "svc #0")
TRAP(t_svc1234, "svc #0x1234")
TRAP(t_svcfffe, "svc #0xfffe")
TRAP(t_brk0, "brk #0")
TRAP(t_brk3e8, "brk #0x3e8")
TRAP(t_udf, "udf #0x55")
TRAP(t_zero, ".inst 0x00000000")
TRAP(t_el2reg, "mrs x0, hcr_el2")
TRAP(t_el2reg_w, "msr vbar_el2, x0")
TRAP(t_nested, "svc #0x55")

static const struct {
    const char *name;
    uint64_t (*fn)(uint64_t, uint64_t *);
} traps[] = {
    {"svc #0", t_svc0},       {"svc #0x1234", t_svc1234}, {"svc #0xfffe", t_svcfffe},
    {"brk #0", t_brk0},       {"brk #0x3e8", t_brk3e8},   {"udf #0x55", t_udf},
    {".inst 0", t_zero},      {"mrs hcr_el2", t_el2reg},  {"msr vbar_el2", t_el2reg_w},
    {"nested svc", t_nested},
};

int main(uint64_t arg)
{
    sdk_set_sync_handler(hook);
    for (unsigned i = 0; i < SDK_ARRAY_SIZE(traps); i++) {
        uint64_t at;
        uint64_t r = traps[i].fn(100 + i, &at);
        show(traps[i].name, r, at);
    }

    /* ELR redirect: the hook resumes at label 2, skipping the mov. */
    uint64_t skipped, at;
    __asm__ volatile("msr nzcv, %2\n\t"
                     "mov %0, #1\n\t"
                     "adr x1, 2f\n\t"
                     "adr %1, 1f\n"
                     "1: svc #0x42\n\t"
                     "mov %0, #2\n"
                     "2:"
                     : "=&r"(skipped), "=&r"(at) : "r"(0x60000000ull) : "x1", "memory", "cc");
    show("svc redirect", skipped, at);

    /* From EL1t: SP_EL0 becomes the stack pointer, nothing touches memory through it,
       and the exception goes to the SP0 vectors while the handler runs on SP_EL1. */
    uint64_t sp0 = sdk_el0_stack_top(0), r0;
    __asm__ volatile("msr nzcv, %3\n\t"
                     "msr sp_el0, %2\n\t"
                     "mov x0, #9\n\t"
                     "msr spsel, #0\n\t"
                     "adr %1, 1f\n"
                     "1: svc #0x21\n\t"
                     "msr spsel, #1\n\t"
                     "mov %0, x0"
                     : "=&r"(r0), "=&r"(at) : "r"(sp0), "r"(0x90000000ull) : "x0", "memory", "cc");
    show("svc from EL1t", r0, at);
    DIFF_OUT("EL1t frame sp == SP_EL0: %d\n", last.sp == sp0);

    /* Exceptions with DAIF partly unmasked are reported in SPSR.DAIF. */
    __asm__ volatile("msr daifclr, #0xc" ::: "memory"); /* unmask D and A only */
    uint64_t r1 = t_svc0(1, &at);
    __asm__ volatile("msr daifset, #0xf" ::: "memory");
    show("svc D,A unmasked", r1, at);

    /* 1000 round trips through the vector table. */
    unsigned before = count;
    uint64_t acc = 0;
    for (int i = 0; i < 1000; i++)
        acc += t_svc1234((uint64_t)i, &at);
    DIFF_OUT("1000 svcs: taken %u acc %lx\n", count - before, acc);

    /* HVC at EL1 is the PSCI conduit and does not reach the EL1 vectors. */
    before = count;
    DIFF_OUT("hvc PSCI_VERSION = %x, exceptions taken %u\n", sdk_psci_version(), count - before);
    return 0;
}
