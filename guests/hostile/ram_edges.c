/* Hostile guest: loads, stores and instruction fetches at every edge of guest RAM and
 * beyond it (just below RAM, the last byte, the first byte past the end, the top of the
 * 48-bit physical address space, addresses above it, "negative" addresses), with huge and
 * negative register offsets and base writeback. A sync hook records each fault and steps
 * over it, so the guest prints one line per probe and exits 0.
 *
 * --arg: bits [7:0] select the mode, bits [63:8] the RAM size in MiB (0: 128):
 *   0  every probe above, exit 0
 *   1  LDADD (an atomic) just past the end of RAM: no syndrome for KVM, the run ends (3)
 *   2  LDXR just past the end of RAM (likewise)
 *   3  LDR with pre-index writeback just below RAM (likewise: writeback has no syndrome)
 *   4  LDP just past the end of RAM (likewise: a pair has no syndrome)
 *   5  STP just below RAM (likewise)
 * docs/reliability.md lists the expected output of each mode. */
#include "sdk.h"

static volatile uint64_t g_faults;
static volatile uint64_t g_esr, g_far;

static int on_sync(struct sdk_frame *f)
{
    const unsigned ec = sdk_esr_ec(f->esr);
    g_faults++;
    g_esr = f->esr;
    g_far = f->far;
    if (ec == ESR_EC_IABT_CUR || ec == ESR_EC_PC_ALIGN) {
        f->elr = f->x[30]; /* a probe branched with BLR: return to its caller */
        return 1;
    }
    if (ec == ESR_EC_DABT_CUR || ec == ESR_EC_SP_ALIGN) {
        f->elr += 4; /* step over the faulting load/store */
        return 1;
    }
    return 0;
}

#define SENTINEL 0x5a5a5a5a5a5a5a5aull

static void report(const char *what, uint64_t addr, uint64_t before, uint64_t value)
{
    if (g_faults != before)
        sdk_printf("%-28s 0x%016lx: fault ESR 0x%lx FAR 0x%lx\n", what, addr, g_esr, g_far);
    else
        sdk_printf("%-28s 0x%016lx: 0x%lx\n", what, addr, value);
}

static void ld8(uint64_t a)
{
    uint64_t v = SENTINEL, n = g_faults;
    __asm__ volatile("ldrb %w0, [%1]" : "+r"(v) : "r"(a) : "memory");
    report("ldrb", a, n, v);
}
static void ld16(uint64_t a)
{
    uint64_t v = SENTINEL, n = g_faults;
    __asm__ volatile("ldrh %w0, [%1]" : "+r"(v) : "r"(a) : "memory");
    report("ldrh", a, n, v);
}
static void ld32(uint64_t a)
{
    uint64_t v = SENTINEL, n = g_faults;
    __asm__ volatile("ldr %w0, [%1]" : "+r"(v) : "r"(a) : "memory");
    report("ldr w", a, n, v);
}
static void ld64(uint64_t a)
{
    uint64_t v = SENTINEL, n = g_faults;
    __asm__ volatile("ldr %0, [%1]" : "+r"(v) : "r"(a) : "memory");
    report("ldr x", a, n, v);
}
static void st64(uint64_t a, uint64_t v)
{
    uint64_t n = g_faults;
    __asm__ volatile("str %0, [%1]" ::"r"(v), "r"(a) : "memory");
    report("str x (value stored)", a, n, v);
}
static void st8(uint64_t a, uint64_t v)
{
    uint64_t n = g_faults;
    __asm__ volatile("strb %w0, [%1]" ::"r"(v), "r"(a) : "memory");
    report("strb (value stored)", a, n, v & 0xff);
}

/* ldr x, [base, offset]: the address wraps modulo 2^64. */
static void ld_regoff(uint64_t base, uint64_t off)
{
    uint64_t v = SENTINEL, n = g_faults;
    __asm__ volatile("ldr %0, [%1, %2]" : "+r"(v) : "r"(base), "r"(off) : "memory");
    report("ldr x [base, off]", base + off, n, v);
}
static void ld_regoff_lsl3(uint64_t base, uint64_t idx)
{
    uint64_t v = SENTINEL, n = g_faults;
    __asm__ volatile("ldr %0, [%1, %2, lsl #3]" : "+r"(v) : "r"(base), "r"(idx) : "memory");
    report("ldr x [base, idx, lsl 3]", base + (idx << 3), n, v);
}
static void ld_sxtw(uint64_t base, uint32_t idx)
{
    uint64_t v = SENTINEL, n = g_faults;
    __asm__ volatile("ldr %0, [%1, %w2, sxtw]" : "+r"(v) : "r"(base), "r"(idx) : "memory");
    report("ldr x [base, w, sxtw]", base + (uint64_t)(int64_t)(int32_t)idx, n, v);
}
static void ldur_neg(uint64_t base)
{
    uint64_t v = SENTINEL, n = g_faults;
    __asm__ volatile("ldur %0, [%1, #-256]" : "+r"(v) : "r"(base) : "memory");
    report("ldur x [base, #-256]", base - 256, n, v);
}
/* Pre-index writeback: on a fault the base register must keep its old value. */
static void ld_preindex(uint64_t base)
{
    uint64_t v = SENTINEL, b = base, n = g_faults;
    __asm__ volatile("ldr %0, [%1, #-8]!" : "+r"(v), "+r"(b) : : "memory");
    report("ldr x [base, #-8]!", base - 8, n, v);
    sdk_printf("%-28s 0x%016lx\n", "  base register after", b);
}
static void ldp_ok(uint64_t a)
{
    uint64_t v0 = SENTINEL, v1 = SENTINEL, n = g_faults;
    __asm__ volatile("ldp %0, %1, [%2]" : "+r"(v0), "+r"(v1) : "r"(a) : "memory");
    report("ldp (first)", a, n, v0);
    report("ldp (second)", a + 8, n, v1);
}

/* Executes the code at `a` with BLR; an instruction abort returns here (hook: ELR = x30). */
static void exec_at(const char *what, uint64_t a)
{
    uint64_t n = g_faults;
    register uint64_t target __asm__("x9") = a;
    __asm__ volatile("blr x9" : "+r"(target) : : "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x10",
                     "x11", "x12", "x13", "x14", "x15", "x16", "x17", "x30", "memory", "cc");
    if (g_faults != n)
        sdk_printf("%-28s 0x%016lx: fault ESR 0x%lx FAR 0x%lx\n", what, a, g_esr, g_far);
    else
        sdk_printf("%-28s 0x%016lx: returned\n", what, a);
}

static void put_code(uint64_t a, const uint32_t *words, unsigned n)
{
    for (unsigned i = 0; i < n; ++i) {
        *(volatile uint32_t *)(a + 4 * i) = words[i];
        __asm__ volatile("dc cvau, %0\n\tdsb ish\n\tic ivau, %0" ::"r"(a + 4 * i) : "memory");
    }
    __asm__ volatile("dsb ish\n\tisb" ::: "memory");
}

int main(uint64_t arg)
{
    sdk_set_sync_handler(on_sync);
    const unsigned mode = arg & 0xff;
    const uint64_t mib = (arg >> 8) ? (arg >> 8) : 128;
    const uint64_t base = 0x40000000ull, end = base + (mib << 20);
    sdk_printf("RAM 0x%lx..0x%lx (%lu MiB), mode %u\n", base, end - 1, mib, mode);

    if (mode != 0) {
        uint64_t v0 = SENTINEL, v1 = SENTINEL, b = base;
        switch (mode) {
        case 1:
            __asm__ volatile(".arch_extension lse\n\tldadd %1, %0, [%2]" : "+r"(v0) : "r"(1ull), "r"(end) : "memory");
            break;
        case 2:
            __asm__ volatile("ldxr %0, [%1]" : "+r"(v0) : "r"(end) : "memory");
            break;
        case 3:
            __asm__ volatile("ldr %0, [%1, #-8]!" : "+r"(v0), "+r"(b) : : "memory");
            break;
        case 4:
            __asm__ volatile("ldp %0, %1, [%2]" : "+r"(v0), "+r"(v1) : "r"(end) : "memory");
            break;
        case 5:
            __asm__ volatile("stp %0, %1, [%2]" : : "r"(v0), "r"(v1), "r"(base - 16) : "memory");
            break;
        default:
            return 2;
        }
        sdk_printf("mode %u carried on: 0x%lx 0x%lx, %lu faults\n", mode, v0, v1, g_faults);
        return 1;
    }

    sdk_puts("-- loads at the edges\n");
    ld64(base);
    ld64(base - 8);
    ld8(base - 1);
    ld64(end - 8);
    ld8(end - 1);
    ld8(end);
    ld64(end);
    ld64(end + 0x1000);
    ld16(end - 1); /* misaligned, straddles the end */
    ld32(end - 2);
    ld64(end - 4);
    ld64(0);
    ld64(0x0000fffffffffff8ull); /* last doubleword of the 48-bit PA space */
    ld64(0x0001000000000000ull); /* first address above it */
    ld64(0x8000000000000000ull);
    ld64(0xfffffffffffffff8ull); /* "-8" */

    sdk_puts("-- stores at the edges (read back)\n");
    st64(end - 8, 0x1122334455667788ull);
    ld64(end - 8);
    st8(end - 1, 0xee);
    ld8(end - 1);
    st64(end, 0xdeadbeefull);
    ld64(end);
    st64(base - 8, 0xdeadbeefull);
    ld64(base - 8);
    st64(0x0001000000000000ull, 1);
    st64(0xfffffffffffffff8ull, 1);

    sdk_puts("-- huge and negative offsets\n");
    ld_regoff(base, (uint64_t)-8);
    ld_regoff(end, (uint64_t)-8);
    ld_regoff(base, 0x8000000000000000ull);
    ld_regoff(end - 8, 0xffff000000000000ull);
    ld_regoff_lsl3(base, (uint64_t)-1);
    ld_regoff_lsl3(base, 0x1fffffffffffffffull);
    ld_sxtw(base, 0x80000000u);
    ld_sxtw(end, 0xffffffffu);
    ldur_neg(base);
    ldur_neg(end + 256);
    ld_preindex(base + 64);
    ld_preindex(0x0001000000000008ull);
    ldp_ok(end - 16);
    ldp_ok(end - 8); /* straddles the end */

    sdk_puts("-- instruction fetch at the edges\n");
    static const uint32_t ret_insn[] = {0xd65f03c0};            /* ret */
    static const uint32_t nop_then_fall[] = {0xd503201f};       /* nop, then off the end */
    static const uint32_t mov_ret[] = {0xd2800540, 0xd65f03c0}; /* mov x0, #42; ret */
    put_code(end - 4, ret_insn, 1);
    exec_at("ret in the last word", end - 4);
    put_code(end - 8, mov_ret, 2);
    exec_at("mov+ret in the last words", end - 8);
    put_code(end - 4, nop_then_fall, 1);
    exec_at("nop, falls off the end", end - 4);
    exec_at("first byte past the end", end);
    exec_at("below RAM", base - 4);
    exec_at("address 0", 0);
    exec_at("UART (device)", 0x09000000);
    exec_at("GIC distributor (device)", 0x08000000);
    exec_at("above the PA space", 0x0001000000000000ull);
    exec_at("top of the address space", 0xfffffffffffffffcull);
    exec_at("misaligned PC", base + 0x80002);

    sdk_printf("%lu faults, all handled\n", g_faults);
    return 0;
}
