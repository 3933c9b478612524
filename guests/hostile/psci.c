/* Hostile guest: PSCI and SMCCC calls with garbage arguments, CPU_ON of running,
 * pending, nonexistent and garbage vCPUs, conduits KVM does not offer. Run with
 * --vcpus 2. --arg selects:
 *   0  the table of calls below (each result printed), then SYSTEM_OFF with garbage in
 *      x1..x17: status 0
 *   1  CPU_ON of vCPU 1 with its entry point outside RAM (0x1000)
 *   2  CPU_ON of vCPU 1 with a misaligned entry point
 *   3  CPU_ON of vCPU 1 with an entry point above the PA space
 *   4  CPU_OFF of the only running vCPU
 * docs/reliability.md gives each outcome. */
#include "hostile.h"

static volatile uint64_t g_last_ec = ~0ull;
static int on_sync(struct sdk_frame *f)
{
    const unsigned ec = sdk_esr_ec(f->esr);
    g_last_ec = ec;
    if (ec == ESR_EC_UNKNOWN) { /* SMC/HVC that UNDEFs: step over it */
        f->elr += 4;
        f->x[0] = 0xdead;
        return 1;
    }
    return 0;
}

/* HVC #imm with every argument register set; returns x0. */
#define HVC_IMM(imm, fid, a1, a2, a3)                                                                   \
    ({                                                                                                  \
        register uint64_t x0 __asm__("x0") = (fid);                                                     \
        register uint64_t x1 __asm__("x1") = (a1);                                                      \
        register uint64_t x2 __asm__("x2") = (a2);                                                      \
        register uint64_t x3 __asm__("x3") = (a3);                                                      \
        __asm__ volatile("hvc #" #imm                                                                  \
                         : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)                                       \
                         :                                                                              \
                         : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15", \
                           "x16", "x17", "memory");                                                     \
        x0;                                                                                             \
    })
#define SMC_IMM(imm, fid)                                                                               \
    ({                                                                                                  \
        register uint64_t x0 __asm__("x0") = (fid);                                                     \
        __asm__ volatile("smc #" #imm : "+r"(x0) : : "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", \
                         "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", "memory");           \
        x0;                                                                                             \
    })

static void show(const char *what, uint64_t r)
{
    sdk_printf("%-52s = %ld\n", what, (int64_t)r);
}

static volatile uint64_t g_secondary_runs, g_secondary_started, g_secondary_release;
static void secondary(uint64_t arg)
{
    g_secondary_runs++;
    g_secondary_started = 1;
    while (!g_secondary_release) {
    }
}

static uint64_t el0_hvc(uint64_t fid)
{
    return HVC_IMM(0, fid, 0, 0, 0);
}

static uint64_t el0_smc(uint64_t fid)
{
    return SMC_IMM(0, fid);
}

static int on_sync_el0(struct sdk_frame *f)
{
    g_last_ec = sdk_esr_ec(f->esr);
    if (sdk_vec_group(f) == SDK_VEC_GROUP_LOWER_A64 && g_last_ec == ESR_EC_UNKNOWN) {
        f->elr += 4;
        f->x[0] = 0xdead;
        return 1;
    }
    return 0;
}

int main(uint64_t arg)
{
    sdk_set_sync_handler(on_sync);
        sdk_printf("psci %lu\n", arg);
    if (arg >= 1 && arg <= 3) {
        const uint64_t bad = arg == 1 ? 0x1000 : arg == 2 ? HOSTILE_STUB + 2 : 0x0001000000000000ull;
        show("CPU_ON(vCPU 1, bad entry)", sdk_psci_cpu_on(1, bad, 0));
        for (;;) sdk_wfi();
    }
    if (arg == 4) {
        sdk_psci_cpu_off();
        sdk_puts("CPU_OFF returned\n");
        return 1;
    }

    /* Entry point for CPU_ONs that must not run SDK code: CPU_OFF at once. */
    static const uint32_t off_stub[3] = {A64_MOVZ(0, 0x0002, 0), A64_MOVK(0, 0x8400, 1), A64_HVC(0)};
    hostile_put_code(HOSTILE_STUB + 0x100, off_stub, 3);
    const uint64_t off_entry = HOSTILE_STUB + 0x100;

    sdk_puts("-- function ids\n");
    show("PSCI_VERSION", HVC_IMM(0, PSCI_VERSION, 0, 0, 0));
    show("PSCI_VERSION, garbage in x0[63:32] and x1..x3", HVC_IMM(0, 0xdeadbeef00000000ull | PSCI_VERSION, ~0ull, ~0ull, ~0ull));
    show("function id 0", HVC_IMM(0, 0, 0, 0, 0));
    show("function id 0xffffffff", HVC_IMM(0, 0xffffffffull, 0, 0, 0));
    /* CPU_SUSPEND is offered (KVM treats it as WFI: with no interrupt to wake the caller it
     * would never return), so only its discovery is probed. */
    show("PSCI_FEATURES(CPU_SUSPEND)", HVC_IMM(0, PSCI_FEATURES, PSCI_CPU_SUSPEND_64, 0, 0));
    show("CPU_ON, 32-bit id 0x84000003, no vCPU 2", HVC_IMM(0, 0x84000003ull, 2, off_entry, 0));
    show("MIGRATE_INFO_TYPE 0x84000006", HVC_IMM(0, 0x84000006ull, 0, 0, 0));
    show("SYSTEM_RESET2 0xC4000012, reserved type 1", HVC_IMM(0, 0xC4000012ull, 1, 0, 0));
    show("SMCCC_VERSION", HVC_IMM(0, 0x80000000ull, 0, 0, 0));
    show("SMCCC_ARCH_FEATURES(garbage)", HVC_IMM(0, 0x80000001ull, ~0ull, 0, 0));
    show("vendor hypervisor service 0x86000000", HVC_IMM(0, 0x86000000ull, 0, 0, 0));
    show("PSCI_FEATURES(CPU_ON)", HVC_IMM(0, PSCI_FEATURES, PSCI_CPU_ON_64, 0, 0));
    show("PSCI_FEATURES(0x12345678)", HVC_IMM(0, PSCI_FEATURES, 0x12345678, 0, 0));
    show("PSCI_FEATURES(~0)", HVC_IMM(0, PSCI_FEATURES, ~0ull, 0, 0));
    show("HVC #0x1234 PSCI_VERSION", HVC_IMM(0x1234, PSCI_VERSION, 0, 0, 0));

    sdk_puts("-- AFFINITY_INFO\n");
    show("AFFINITY_INFO(self, level 0)", sdk_psci_affinity_info(0, 0));
    show("AFFINITY_INFO(vCPU 1, level 0)", sdk_psci_affinity_info(1, 0));
    show("AFFINITY_INFO(vCPU 2 (none), level 0)", sdk_psci_affinity_info(2, 0));
    show("AFFINITY_INFO(~0, level 0)", sdk_psci_affinity_info(~0ull, 0));
    show("AFFINITY_INFO(self, level 3)", sdk_psci_affinity_info(0, 3));
    show("AFFINITY_INFO(self, level 4)", sdk_psci_affinity_info(0, 4));
    show("AFFINITY_INFO(self, level ~0)", HVC_IMM(0, PSCI_AFFINITY_INFO_64, 0, ~0ull, 0));

    sdk_puts("-- CPU_ON\n");
    show("CPU_ON(self)", sdk_psci_cpu_on(0, off_entry, 0));
    show("CPU_ON(vCPU 2, none)", sdk_psci_cpu_on(2, off_entry, 0));
    show("CPU_ON(MPIDR 0xff00ffffff)", sdk_psci_cpu_on(0xff00ffffffull, off_entry, 0));
    show("CPU_ON(MPIDR ~0)", sdk_psci_cpu_on(~0ull, off_entry, 0));
    /* Three calls with no exit to the VMM in between, so vCPU 1 cannot run meanwhile. */
    const int64_t on1 = sdk_psci_cpu_on(1, off_entry, 0);
    const int64_t on2 = sdk_psci_cpu_on(1, off_entry, 0);
    const int64_t aff = sdk_psci_affinity_info(1, 0);
    show("CPU_ON(vCPU 1)", on1);
    show("CPU_ON(vCPU 1) again, before it ran", on2);
    show("AFFINITY_INFO(vCPU 1) while pending", aff);
    while (sdk_psci_affinity_info(1, 0) != PSCI_AFFINITY_OFF) {
    }
    show("AFFINITY_INFO(vCPU 1) after its CPU_OFF", sdk_psci_affinity_info(1, 0));
    show("CPU_ON(vCPU 1) running a loop", sdk_cpu_start(1, secondary, 0, sdk_cpu_stack_top(1)));
    while (!g_secondary_started) {
    }
    show("CPU_ON(vCPU 1) while it runs", sdk_psci_cpu_on(1, off_entry, 0));
    g_secondary_release = 1;
    while (sdk_psci_affinity_info(1, 0) != PSCI_AFFINITY_OFF) {
    }
    show("vCPU 1 ran (times)", g_secondary_runs);
    /* Bits outside Aff3..Aff0 (31 is RES1, 40 is above Aff3) are reserved: KVM refuses
       the MPIDR (kvm_psci_valid_affinity) in CPU_ON and AFFINITY_INFO alike. */
    show("CPU_ON(MPIDR 1 | bit 31 | bit 40)", sdk_psci_cpu_on(1 | (1ull << 31) | (1ull << 40), off_entry, 0));
    show("AFFINITY_INFO(MPIDR 1 | bit 40, level 0)", sdk_psci_affinity_info(1 | (1ull << 40), 0));
    /* An entry point outside the VM's 40-bit IPA space: INVALID_ADDRESS (PSCI >= 1.0). */
    show("CPU_ON(vCPU 1, entry 1 << 40)", sdk_psci_cpu_on(1, 1ull << 40, 0));
    show("AFFINITY_INFO(vCPU 1) after refused CPU_ONs", sdk_psci_affinity_info(1, 0));

    sdk_puts("-- other conduits\n");
    /* Under KVM (HCR_EL2.TSC) SMC #0 is an SMCCC call like HVC #0; a non-zero immediate
       is reserved and returns NOT_SUPPORTED. No exception reaches the guest (class stays -1). */
    g_last_ec = ~0ull;
    show("SMC #0 PSCI_VERSION", SMC_IMM(0, PSCI_VERSION));
    show("  exception class", g_last_ec);
    show("SMC #1 PSCI_VERSION", SMC_IMM(1, PSCI_VERSION));
    show("  exception class", g_last_ec);
    sdk_set_sync_handler(on_sync_el0);
    g_last_ec = ~0ull;
    show("HVC from EL0", sdk_run_el0(el0_hvc, PSCI_VERSION, sdk_el0_stack_top(8)));
    show("  exception class", g_last_ec);
    g_last_ec = ~0ull;
    show("SMC #0 from EL0", sdk_run_el0(el0_smc, PSCI_VERSION, sdk_el0_stack_top(8)));
    show("  exception class", g_last_ec);

    sdk_puts("-- SYSTEM_OFF with garbage arguments\n");
    HVC_IMM(0, 0xffffffff00000000ull | PSCI_SYSTEM_OFF, ~0ull, ~0ull, ~0ull);
    sdk_puts("SYSTEM_OFF returned\n");
    return 1;
}
