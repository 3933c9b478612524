/* Hostile guest: self-modifying code. Patches a function with and without cache
 * maintenance, the very next instruction of the running block, a loop that rewrites its
 * own body, thousands of generated functions, the vector table, and code erased with
 * DC ZVA; with --arg 1 (and --vcpus 2) vCPU 1 rewrites a loop vCPU 0 is spinning in.
 * Every result is printed; docs/reliability.md has the expected output. */
#include "sdk.h"

#define MOVZ_X0(imm) (0xd2800000u | ((uint32_t)(imm) << 5)) /* movz x0, #imm (imm < 65536) */
#define RET 0xd65f03c0u
#define NOP 0xd503201fu
#define B_SELF 0x14000000u /* b . */

/* A function in .text that returns 1; the guest patches its first instruction. */
__asm__(".text\n"
        ".balign 64\n"
        ".globl patchme\n"
        "patchme:\n"
        "  mov x0, #1\n"
        "  ret\n");
extern uint64_t patchme(void);

static uint32_t code_buf[8192] SDK_ALIGNED(4096);
static volatile uint32_t spin_buf[16] SDK_ALIGNED(64);

static void sync_code(volatile void *p, uint64_t bytes)
{
    for (uint64_t a = (uint64_t)p & ~63ull; a < (uint64_t)p + bytes; a += 64)
        __asm__ volatile("dc cvau, %0\n\tdsb ish\n\tic ivau, %0" ::"r"(a) : "memory");
    __asm__ volatile("dsb ish\n\tisb" ::: "memory");
}

static uint64_t call(volatile void *fn)
{
    return ((uint64_t(*)(void))(uintptr_t)fn)();
}

static volatile uint64_t g_undef;
static int on_sync(struct sdk_frame *f)
{
    if (sdk_esr_ec(f->esr) == ESR_EC_UNKNOWN) { /* executed a zeroed word (UDF #0) */
        g_undef++;
        f->x[0] = 0xbad;
        f->elr = f->x[30];
        return 1;
    }
    return 0;
}

static void cross_vcpu_writer(uint64_t arg)
{
    /* Let vCPU 0 spin for a while, then replace its `b .` with `ret`. */
    for (volatile int i = 0; i < 50000; ++i) {
    }
    spin_buf[0] = RET;
    sync_code(spin_buf, 4);
}

int main(uint64_t arg)
{
    sdk_set_sync_handler(on_sync);
    if (arg == 1) {
        spin_buf[0] = B_SELF;
        sync_code(spin_buf, 4);
        int64_t r = sdk_cpu_start(1, cross_vcpu_writer, 0, sdk_cpu_stack_top(1));
        sdk_printf("CPU_ON(1) = %ld\n", r);
        call(spin_buf); /* returns once vCPU 1 has rewritten the loop */
        sdk_puts("vCPU 0 left the loop vCPU 1 rewrote\n");
        return 0;
    }

    volatile uint32_t *p = (volatile uint32_t *)(uintptr_t)patchme;
    sdk_printf("patchme() = %lu\n", patchme());
    p[0] = MOVZ_X0(2);
    sync_code(p, 4);
    sdk_printf("after patch with DC CVAU/IC IVAU/ISB: %lu\n", patchme());
    p[0] = MOVZ_X0(3);
    sdk_printf("after patch with no maintenance: %lu\n", patchme());

    /* Store over the very next instruction of the running block. */
    register uint64_t x0 __asm__("x0");
    __asm__ volatile("adr x1, 1f\n\t"
                     "str %w1, [x1]\n"
                     "1: mov x0, #5\n"
                     : "=&r"(x0)
                     : "r"(MOVZ_X0(7))
                     : "x1", "memory");
    const uint64_t in_flight = x0;
    sdk_printf("next instruction overwritten in flight: x0 = %lu (5 old, 7 new)\n", in_flight);

    /* A loop that rewrites the function it calls on every iteration. */
    uint64_t sum = 0;
    for (unsigned i = 0; i < 1000; ++i) {
        code_buf[0] = MOVZ_X0(i);
        code_buf[1] = RET;
        sync_code(code_buf, 8);
        sum += call(code_buf);
    }
    sdk_printf("1000 rewrites of one function: sum %lu\n", sum);

    /* 4096 generated functions, run, regenerated, run again. */
    for (unsigned pass = 1; pass <= 2; ++pass) {
        for (unsigned k = 0; k < 4096; ++k) {
            code_buf[2 * k] = MOVZ_X0(k * pass);
            code_buf[2 * k + 1] = RET;
        }
        sync_code(code_buf, sizeof code_buf);
        sum = 0;
        for (unsigned k = 0; k < 4096; ++k) sum += call(&code_buf[2 * k]);
        sdk_printf("4096 generated functions, pass %u: sum %lu\n", pass, sum);
    }

    /* Functions erased with DC ZVA: the zero word is UDF #0. */
    for (unsigned k = 0; k < 16; ++k) code_buf[k] = k & 1 ? RET : MOVZ_X0(9);
    sync_code(code_buf, 64);
    sdk_printf("before DC ZVA: %lu\n", call(code_buf));
    __asm__ volatile("dc zva, %0" ::"r"(code_buf) : "memory");
    sync_code(code_buf, 64);
    sdk_printf("after DC ZVA: 0x%lx, %lu UNDEFINED\n", call(code_buf), g_undef);

    /* The current-EL synchronous vector entry rewritten to set x0 = 0x77 and skip BRK. */
    volatile uint32_t *vec = (volatile uint32_t *)(sdk_read_sysreg(VBAR_EL1) + 0x200);
    uint32_t saved[5];
    static const uint32_t entry[5] = {
        0xd5384029, /* mrs x9, elr_el1 */
        0x91001129, /* add x9, x9, #4 */
        0xd5184029, /* msr elr_el1, x9 */
        0xd2800ee0, /* mov x0, #0x77 */
        0xd69f03e0, /* eret */
    };
    for (unsigned k = 0; k < 5; ++k) {
        saved[k] = vec[k];
        vec[k] = entry[k];
    }
    sync_code(vec, 20);
    register uint64_t r0 __asm__("x0") = 0;
    __asm__ volatile("brk #1" : "+r"(r0) : : "x9", "memory");
    for (unsigned k = 0; k < 5; ++k) vec[k] = saved[k];
    sync_code(vec, 20);
    sdk_printf("rewritten vector entry: x0 = 0x%lx\n", (uint64_t)r0);
    return 0;
}
