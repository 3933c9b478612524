/* Hostile guest: CPU_ON and SYSTEM_RESET storms. Run with --vcpus 4. --arg selects:
 *   0  CPU_ON storm: 300 rounds of CPU_ON to vCPUs 1..3 (whose entry is CPU_OFF), 1000
 *      CPU_ONs of itself, then a ring of 1000 CPU_ON/CPU_OFF hops between vCPUs 1..3;
 *      prints the tally of results and exits 0
 *   1  SYSTEM_RESET from vCPU 0 on every boot, forever
 *   2  on every boot vCPU 0 starts vCPUs 1..3 and each of them requests SYSTEM_RESET
 *   3  SYSTEM_RESET while vCPU 1 is in WFI and vCPU 2's CPU_ON is pending; after three
 *      boots every secondary is checked OFF and the guest exits 0
 * The boot count lives in the SDK's no-init area, which survives a reset.
 * docs/reliability.md gives each outcome. */
#include "hostile.h"

#define MAGIC 0x57a12e5eed000000ull

static volatile uint64_t *boots(void)
{
    volatile uint64_t *b = (volatile uint64_t *)sdk_noinit_area();
    if ((b[0] & ~0xffffffull) != MAGIC) b[0] = MAGIC;
    return b;
}

static volatile uint64_t g_hops, g_retries;

static void hop(uint64_t self)
{
    g_hops++;
    if (g_hops >= 1000) return;
    const uint64_t next = self == 3 ? 1 : self + 1;
    while (sdk_cpu_start(next, hop, next, sdk_cpu_stack_top(next)) != PSCI_SUCCESS) g_retries++;
}

static void request_reset(uint64_t arg)
{
    sdk_psci_system_reset();
}

static void park(uint64_t arg)
{
    for (;;) sdk_wfi();
}

static void tally(const char *what, int64_t *counts)
{
    sdk_printf("%-32s SUCCESS %ld, ALREADY_ON %ld, ON_PENDING %ld, INVALID_PARAMETERS %ld, other %ld\n", what,
               counts[0], counts[1], counts[2], counts[3], counts[4]);
}

static void count(int64_t *counts, int64_t r)
{
    counts[r == PSCI_SUCCESS ? 0 : r == PSCI_ALREADY_ON ? 1 : r == PSCI_ON_PENDING ? 2 : r == PSCI_INVALID_PARAMETERS ? 3 : 4]++;
}

int main(uint64_t arg)
{
    volatile uint64_t *b = boots();
    const uint64_t boot = (b[0] & 0xffffff) + 1;
    b[0] = MAGIC | boot;
    sdk_printf("storm %lu, boot %lu\n", arg, boot);

    switch (arg) {
    case 0: {
        static const uint32_t off_stub[3] = {A64_MOVZ(0, 0x0002, 0), A64_MOVK(0, 0x8400, 1), A64_HVC(0)};
        hostile_put_code(HOSTILE_STUB + 0x100, off_stub, 3);
        int64_t c[5] = {0};
        for (unsigned round = 0; round < 300; ++round)
            for (uint64_t t = 1; t <= 3; ++t) count(c, sdk_psci_cpu_on(t, HOSTILE_STUB + 0x100, round));
        tally("300 x CPU_ON(1..3):", c);
        int64_t s[5] = {0};
        for (unsigned i = 0; i < 1000; ++i) count(s, sdk_psci_cpu_on(0, HOSTILE_STUB + 0x100, 0));
        tally("1000 x CPU_ON(self):", s);
        int64_t n[5] = {0};
        for (uint64_t t = 4; t < 68; ++t) count(n, sdk_psci_cpu_on(t, HOSTILE_STUB + 0x100, 0));
        tally("CPU_ON(4..67):", n);
        for (uint64_t t = 1; t <= 3; ++t)
            while (sdk_psci_affinity_info(t, 0) != PSCI_AFFINITY_OFF) {
            }
        while (sdk_cpu_start(1, hop, 1, sdk_cpu_stack_top(1)) != PSCI_SUCCESS) g_retries++;
        while (g_hops < 1000) {
        }
        for (uint64_t t = 1; t <= 3; ++t)
            while (sdk_psci_affinity_info(t, 0) != PSCI_AFFINITY_OFF) {
            }
        sdk_printf("ring: %lu hops, %lu refused CPU_ONs retried\n", g_hops, g_retries);
        return 0;
    }
    case 1:
        sdk_psci_system_reset();
        break;
    case 2:
        for (uint64_t t = 1; t <= 3; ++t) sdk_cpu_start(t, request_reset, 0, sdk_cpu_stack_top(t));
        for (;;) {
        }
    case 3:
        if (boot > 1) {
            for (uint64_t t = 1; t <= 3; ++t) sdk_printf("  vCPU %lu: AFFINITY_INFO %ld\n", t, sdk_psci_affinity_info(t, 0));
        }
        if (boot == 3) {
            b[0] = 0;
            return 0;
        }
        sdk_cpu_start(1, park, 0, sdk_cpu_stack_top(1));
        for (volatile int i = 0; i < 30000; ++i) {
        }
        {
            /* CPU_ON and SYSTEM_RESET with no exit in between: vCPU 2 never runs. */
            const int64_t r = sdk_psci_cpu_on(2, (uint64_t)(uintptr_t)sdk_secondary_entry, 0);
            (void)r;
            sdk_psci_system_reset();
        }
        break;
    default:
        return 2;
    }
    sdk_puts("SYSTEM_RESET returned\n");
    return 1;
}
