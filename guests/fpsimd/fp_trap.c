/* CPACR_EL1.FPEN traps (Arm ARM D19.2.30): with FPEN = 0b00 every SIMD&FP instruction at
   EL1 (scalar FP, vector, load/store, MRS FPCR) raises an exception with EC 0x07 at the
   instruction itself and leaves its destination untouched; FPEN = 0b01 traps EL0 but not
   EL1; FPEN = 0b11 traps nothing. Prints ESR, the offset of ELR from the trapping
   instruction and whether the instruction took effect. */
#include "fpsimd.h"

static volatile unsigned traps;
static volatile uint64_t last_esr, last_elr;

static int on_sync(struct sdk_frame *f)
{
    if (sdk_esr_ec(f->esr) != 0x07) return 0;
    traps++;
    last_esr = f->esr;
    last_elr = f->elr;
    /* Enable FP for EL0 and EL1 and retry the instruction, as a lazy FP context switch does. */
    sdk_write_sysreg(cpacr_el1, sdk_read_sysreg(cpacr_el1) | (3u << 20));
    return 1;
}

static void set_fpen(unsigned v)
{
    uint64_t c = sdk_read_sysreg(cpacr_el1);
    sdk_write_sysreg(cpacr_el1, (c & ~(3ull << 20)) | ((uint64_t)v << 20));
    sdk_isb();
}

static uint64_t where;
#define TRY(name, insn_asm)                                                                    \
    do {                                                                                       \
        set_fpen(0);                                                                           \
        traps = 0;                                                                             \
        uint64_t pc, res = 0;                                                                  \
        __asm__ volatile("adr %0, 1f\n" "mov x9, #0x4010\n" "fmov d1, x9\n" "1: " insn_asm "\n" \
                         "fmov %1, d0\n"                                                       \
                         : "=&r"(pc), "=r"(res)                                                \
                         : "r"(&where)                                                         \
                         : "x9", "v0", "v1", "memory");                                        \
        sdk_printf("%-10s traps %u ec %02x iss %x elr-pc %lld result %llx\n", name, traps,     \
                   sdk_esr_ec(last_esr), sdk_esr_iss(last_esr), (long long)(last_elr - pc),    \
                   (unsigned long long)res);                                                   \
    } while (0)

static uint64_t el0_fp(uint64_t x)
{
    double d = (double)x;
    __asm__ volatile("" : "+w"(d));
    return f64_bits(d * 2.0);
}

int fp_main(uint64_t arg)
{
    sdk_set_sync_handler(on_sync);
    /* The first trap happens on "fmov d1, x9" itself (FPEN = 0 from set_fpen); the handler
       re-enables, so each TRY reports the first trapping instruction, which is the setup
       FMOV: run the instruction under test with FP disabled by doing the setup first. */
    TRY("fmov", "fmov d0, d1");
    where = 0x1234;
    set_fpen(3);
    double one = 1.0;
    OPAQUE(one);
    /* Now each instruction class alone: setup with FP on, then disable, then execute. */
    static const char *names[] = {"fadd", "add.16b", "ldr d", "mrs fpcr", "aese"};
    for (unsigned k = 0; k < 5; k++) {
        uint64_t pc, res;
        __asm__ volatile("movi d0, #0\n" "fmov d1, #1.0\n" ::: "v0", "v1");
        set_fpen(0);
        traps = 0;
        last_esr = last_elr = 0;
        switch (k) {
        case 0: __asm__ volatile("adr %0, 1f\n 1: fadd d0, d1, d1\n fmov %1, d0" : "=&r"(pc), "=r"(res) :: "v0"); break;
        case 1: __asm__ volatile("adr %0, 1f\n 1: add v0.16b, v1.16b, v1.16b\n fmov %1, d0" : "=&r"(pc), "=r"(res) :: "v0"); break;
        case 2: __asm__ volatile("adr %0, 1f\n 1: ldr d0, [%2]\n fmov %1, d0" : "=&r"(pc), "=r"(res) : "r"(&where) : "v0"); break;
        case 3: __asm__ volatile("adr %0, 1f\n 1: mrs %1, fpcr" : "=&r"(pc), "=r"(res)); break;
        default: __asm__ volatile("adr %0, 1f\n 1: aese v0.16b, v1.16b\n fmov %1, d0" : "=&r"(pc), "=r"(res) :: "v0"); break;
        }
        sdk_printf("%-10s traps %u ec %02x iss %x elr-pc %lld result %llx\n", names[k], traps, sdk_esr_ec(last_esr),
                   sdk_esr_iss(last_esr), (long long)(last_elr - pc), (unsigned long long)res);
    }
    /* FPEN = 0b01: EL1 runs FP, EL0 traps once and is resumed by the handler. */
    set_fpen(1);
    traps = 0;
    last_esr = 0;
    double at_el1 = one * 3.0;
    OPAQUE(at_el1);
    uint64_t r = sdk_run_el0(el0_fp, 21, sdk_el0_stack_top(8));
    sdk_printf("fpen01 el1 %llx el0 %llx traps %u ec %02x\n", (unsigned long long)f64_bits(at_el1),
               (unsigned long long)r, traps, sdk_esr_ec(last_esr));
    /* FPEN = 0b11: nothing traps at EL0 either. */
    set_fpen(3);
    traps = 0;
    r = sdk_run_el0(el0_fp, 5, sdk_el0_stack_top(8));
    sdk_printf("fpen11 el0 %llx traps %u\n", (unsigned long long)r, traps);
    return 0;
}
