/* EL0 round trips: ERET from EL1 into EL0t code, computation and system calls there
   (svc handled at EL1 with a value returned in x0), EL0-accessible system registers
   (TPIDR_EL0 read/write, TPIDRRO_EL0 read, NZCV), UNDEFINED instructions taken from
   EL0 (an EL1 register, CurrentEL which EL0 cannot read) and brk, all reported through
   the "lower EL, AArch64" vector with SPSR.M = EL0t, then the SVC that returns to EL1. */
#include "diff.h"

static volatile uint64_t last_vec, last_ec, last_iss, last_m, last_sp_ok, svc_count;
static uint64_t el0_stack;

static int hook(struct sdk_frame *f)
{
    last_vec = f->vector;
    last_ec = sdk_esr_ec(f->esr);
    last_iss = sdk_esr_iss(f->esr);
    last_m = f->spsr & 0xf;
    /* The interrupted SP is SP_EL0, somewhere in the EL0 stack's top page. */
    last_sp_ok = f->sp <= el0_stack && f->sp > el0_stack - 4096;
    switch (last_ec) {
    case ESR_EC_SVC64:
        svc_count++;
        /* A tiny "syscall" table: 1 = add, 2 = current EL of the caller (from SPSR). */
        if ((f->esr & 0xffff) == 1)
            f->x[0] = f->x[0] + f->x[1];
        else if ((f->esr & 0xffff) == 2)
            f->x[0] = (f->spsr >> 2) & 3;
        else
            f->x[0] = ~0ull;
        return 1;
    case ESR_EC_UNKNOWN:
        f->x[0] = 0xbad0;
        f->elr += 4;
        return 1;
    case ESR_EC_BRK64:
        f->x[0] = 0xb4b4;
        f->elr += 4;
        return 1;
    default:
        return 0;
    }
}

/* Everything below runs at EL0: no semihosting here (QEMU forbids it from EL0 by
   default), only computation and traps. */
static uint64_t el0_sum(uint64_t n)
{
    uint64_t s = 0;
    for (uint64_t i = 1; i <= n; i++)
        s += i * i;
    return s;
}

static uint64_t el0_syscall_add(uint64_t a)
{
    register uint64_t x0 __asm__("x0") = a;
    register uint64_t x1 __asm__("x1") = 0x1000;
    __asm__ volatile("svc #1" : "+r"(x0) : "r"(x1) : "memory");
    return x0;
}

static uint64_t el0_which_el(uint64_t unused)
{
    register uint64_t x0 __asm__("x0") = 0;
    __asm__ volatile("svc #2" : "+r"(x0) : : "memory");
    return x0;
}

static uint64_t el0_tpidr(uint64_t v)
{
    uint64_t old, now, ro;
    __asm__ volatile("mrs %0, tpidr_el0\n\t"
                     "msr tpidr_el0, %3\n\t"
                     "mrs %1, tpidr_el0\n\t"
                     "mrs %2, tpidrro_el0"
                     : "=&r"(old), "=&r"(now), "=&r"(ro) : "r"(v));
    return old ^ (now << 1) ^ (ro << 2);
}

static uint64_t el0_nzcv(uint64_t v)
{
    uint64_t out;
    __asm__ volatile("msr nzcv, %1\n\tmrs %0, nzcv" : "=r"(out) : "r"(v << 28) : "cc");
    return out >> 28;
}

static uint64_t el0_read_el1_reg(uint64_t unused)
{
    register uint64_t x0 __asm__("x0") = 0;
    __asm__ volatile("mrs x0, vbar_el1" : "+r"(x0));
    return x0;
}

static uint64_t el0_read_currentel(uint64_t unused)
{
    register uint64_t x0 __asm__("x0") = 0;
    __asm__ volatile("mrs x0, CurrentEL" : "+r"(x0));
    return x0;
}

static uint64_t el0_brk(uint64_t unused)
{
    register uint64_t x0 __asm__("x0") = 0;
    __asm__ volatile("brk #0x77" : "+r"(x0));
    return x0;
}

static void report(const char *what, uint64_t r)
{
    DIFF_OUT("%-20s -> %lx  [vec=%lu ec=%02lx iss=%lx spsr.m=%lu sp_el0 ok=%lu] now EL%u\n", what,
             r, last_vec, last_ec, last_iss, last_m, last_sp_ok, sdk_current_el());
    last_vec = last_ec = last_iss = last_m = last_sp_ok = 0;
}

int main(uint64_t arg)
{
    sdk_set_sync_handler(hook);
    el0_stack = sdk_el0_stack_top(0);
    sdk_write_sysreg(tpidr_el0, 0x1111222233334444ull);
    sdk_write_sysreg(tpidrro_el0, 0x00000000abcd0000ull);
    DIFF_OUT("start at EL%u\n", sdk_current_el());

    report("sum of squares", sdk_run_el0(el0_sum, 1000, el0_stack));
    report("svc add", sdk_run_el0(el0_syscall_add, 0x234, el0_stack));
    report("svc which-el", sdk_run_el0(el0_which_el, 0, el0_stack));
    report("tpidr", sdk_run_el0(el0_tpidr, 0x5555aaaa5555aaaaull, el0_stack));
    DIFF_OUT("TPIDR_EL0 at EL1 after EL0 wrote it: %lx\n", sdk_read_sysreg(tpidr_el0));
    report("nzcv", sdk_run_el0(el0_nzcv, 0xa, el0_stack));
    report("mrs vbar_el1 @EL0", sdk_run_el0(el0_read_el1_reg, 0, el0_stack));
    report("mrs CurrentEL @EL0", sdk_run_el0(el0_read_currentel, 0, el0_stack));
    report("brk @EL0", sdk_run_el0(el0_brk, 0, el0_stack));

    uint64_t acc = 0;
    for (int i = 0; i < 200; i++)
        acc = acc * 7 + sdk_run_el0(el0_syscall_add, (uint64_t)i, el0_stack);
    DIFF_OUT("200 round trips: acc %lx svcs %lu\n", acc, svc_count);
    DIFF_OUT("DAIF after return: %lx\n", sdk_read_sysreg(daif) >> 6);
    return 0;
}
