/* Timing-model microbenchmarks measured with the PMU (tests/fidelity/run_fidelity checks the
 * figures against the core's catalogue entry). Every measured loop is assembly with a known
 * instruction mix; the guest reports raw counter differences, one line per benchmark:
 *
 *   dep_add     cycles insts        a chain of dependent ADDs: CPI = ALU latency
 *   indep_alu   cycles insts        ADDs over 12 independent registers: IPC = issue width
 *   chase_l1    cycles loads        pointer chase, working set L1D/2: load-to-use latency
 *   chase_l2    cycles loads        working set 2 x L1D (fits L2): L2 latency
 *   chase_mem   cycles loads        working set 4 x L2: L2 + memory latency
 *   stream      cycles bytes refills l1d   8-byte loads over 4 x L1D of cold memory
 *   branch_pred cycles mispred insts       a data-dependent branch that always goes one way
 *   branch_rand cycles mispred insts       the same branch on random data
 *
 * x0 (--arg) describes the core: bits [7:0] log2 of the L1D line size, [23:8] L1D KiB,
 * [47:24] L2 KiB. Buffers live above the SDK's stacks (RAM base + 64 MiB .. + 128 MiB). */
#include "fidelity.h"

#define BUF_BASE 0x44000000ull      /* pointer chases: up to 32 MiB */
#define STREAM_BASE 0x46000000ull   /* the streaming loop: never touched before */
#define BUF_END 0x48000000ull

static uint64_t line_bytes, l1_bytes, l2_bytes;

static void report(const char *name, const struct fid_counts *d, const char *k1, uint64_t v1, const char *k2,
                   uint64_t v2, const char *k3, uint64_t v3)
{
    sdk_printf("%s cycles=%lu %s=%lu", name, (unsigned long)d->cycles, k1, (unsigned long)v1);
    if (k2) sdk_printf(" %s=%lu", k2, (unsigned long)v2);
    if (k3) sdk_printf(" %s=%lu", k3, (unsigned long)v3);
    sdk_printf("\n");
}

/* The measured loops are functions of their own (called once to warm the instruction cache,
 * then measured) so every call runs the same code. */
SDK_NOINLINE static void dep_add_loop(uint64_t n)
{
    uint64_t x = 0;
    __asm__ volatile("1:\n\t"
                     ".rept 100\n\t add %0, %0, #1\n\t .endr\n\t"
                     "subs %1, %1, #1\n\t"
                     "b.ne 1b"
                     : "+r"(x), "+r"(n) : : "cc");
}

SDK_NOINLINE static void indep_alu_loop(uint64_t n)
{
    __asm__ volatile("1:\n\t"
                     ".rept 8\n\t"
                     "add x1, x1, #1\n\t add x2, x2, #1\n\t add x3, x3, #1\n\t add x4, x4, #1\n\t"
                     "add x5, x5, #1\n\t add x6, x6, #1\n\t add x7, x7, #1\n\t add x8, x8, #1\n\t"
                     "add x9, x9, #1\n\t add x10, x10, #1\n\t add x11, x11, #1\n\t add x12, x12, #1\n\t"
                     ".endr\n\t"
                     "subs %0, %0, #1\n\t"
                     "b.ne 1b"
                     : "+r"(n) : : "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "cc");
}

static void bench_alu(const char *name, void (*loop)(uint64_t))
{
    static const uint16_t ev[] = {PMU_EV_INST_RETIRED};
    struct fid_counts a, b, d;
    loop(10);
    fid_pmu_start(ev, 1);
    fid_snap(&a);
    loop(1000);
    fid_snap(&b);
    fid_diff(&d, &a, &b);
    report(name, &d, "insts", d.ev[0], 0, 0, 0, 0);
}

/* A ring of one pointer per cache line over `bytes` at BUF_BASE, in address order. */
static uint64_t make_ring(uint64_t bytes)
{
    const uint64_t nodes = bytes / line_bytes;
    for (uint64_t i = 0; i < nodes; ++i) {
        const uint64_t next = BUF_BASE + ((i + 1) % nodes) * line_bytes;
        *(volatile uint64_t *)(BUF_BASE + i * line_bytes) = next;
    }
    return nodes;
}

static uint64_t chase(uint64_t p, uint64_t iters)
{
    __asm__ volatile("1:\n\t"
                     ".rept 100\n\t ldr %0, [%0]\n\t .endr\n\t"
                     "subs %1, %1, #1\n\t"
                     "b.ne 1b"
                     : "+r"(p), "+r"(iters) : : "cc", "memory");
    return p;
}

static void bench_chase(const char *name, uint64_t bytes)
{
    static const uint16_t ev[] = {PMU_EV_INST_RETIRED, PMU_EV_L1D_CACHE_REFILL, PMU_EV_L2D_CACHE_REFILL};
    struct fid_counts a, b, d;
    const uint64_t nodes = make_ring(bytes);
    /* Warm up: two passes over every line (rounded up to whole iterations of 100 loads). */
    uint64_t p = chase(BUF_BASE, (2 * nodes + 99) / 100);
    const uint64_t iters = 100;
    fid_pmu_start(ev, 3);
    fid_snap(&a);
    p = chase(p, iters);
    fid_snap(&b);
    fid_diff(&d, &a, &b);
    report(name, &d, "loads", iters * 100, "l1d_refills", d.ev[1], "ws", bytes);
    (void)p;
}

static void bench_stream(void)
{
    static const uint16_t ev[] = {PMU_EV_L1D_CACHE_REFILL, PMU_EV_L1D_CACHE, PMU_EV_INST_RETIRED};
    struct fid_counts a, b, d;
    const uint64_t bytes = 4 * l1_bytes;
    uint64_t p = STREAM_BASE, n = bytes / 64;
    fid_pmu_start(ev, 3);
    fid_snap(&a);
    __asm__ volatile("1:\n\t"
                     ".rept 8\n\t ldr x9, [%0], #8\n\t .endr\n\t"
                     "subs %1, %1, #1\n\t"
                     "b.ne 1b"
                     : "+r"(p), "+r"(n) : : "x9", "cc", "memory");
    fid_snap(&b);
    fid_diff(&d, &a, &b);
    report("stream", &d, "bytes", bytes, "refills", d.ev[0], "l1d", d.ev[1]);
}

/* One conditional branch per iteration on bit 63 of a xorshift64 state kept in x9: on the
 * random bit itself (branch_rand) or on x10 = 0 (branch_pred, always taken). Both variants
 * execute the same instructions with the same dependences. The state is updated at the top
 * of the iteration and 16 independent ADDs separate it from the branch, so the loop is bound
 * by issue width, not by the state's dependence chain, and the branch's operand is ready when
 * it issues: the cycle difference between the variants is what the mispredicts cost. Both
 * paths of the branch are two instructions long. */
#define BRANCH_LOOP(reg)                                                                         \
    __asm__ volatile("mov  x9, %3\n\t"                                                         \
                     "mov  x10, xzr\n"                                                          \
                     "1:\n\t"                                                                  \
                     "eor  x9, x9, x9, lsl #13\n\t"                                            \
                     "eor  x9, x9, x9, lsr #7\n\t"                                             \
                     "eor  x9, x9, x9, lsl #17\n\t"                                            \
                     ".rept 2\n\t"                                                             \
                     "add x1, x1, #1\n\t add x2, x2, #1\n\t add x3, x3, #1\n\t"            \
                     "add x4, x4, #1\n\t add x5, x5, #1\n\t add x6, x6, #1\n\t"            \
                     "add x7, x7, #1\n\t add x8, x8, #1\n\t"                                 \
                     ".endr\n\t"                                                               \
                     "tbz  " reg ", #63, 2f\n\t"                                               \
                     "add  %1, %1, #1\n\t"                                                     \
                     "b    3f\n"                                                                \
                     "2:\n\t"                                                                  \
                     "add  %2, %2, #1\n\t"                                                     \
                     "b    3f\n"                                                                \
                     "3:\n\t"                                                                  \
                     "subs %0, %0, #1\n\t"                                                     \
                     "b.ne 1b"                                                                  \
                     : "+r"(n), "+r"(t0), "+r"(t1)                                              \
                     : "r"(0x9e3779b97f4a7c15ull)                                               \
                     : "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "cc")

static void bench_branch(const char *name, int random)
{
    static const uint16_t ev[] = {PMU_EV_BR_MIS_PRED, PMU_EV_INST_RETIRED};
    struct fid_counts a, b, d;
    for (int pass = 0; pass < 2; ++pass) {  /* the first pass trains the predictor */
        uint64_t n = 8192, t0 = 0, t1 = 0;
        fid_pmu_start(ev, 2);
        fid_snap(&a);
        if (random) BRANCH_LOOP("x9"); else BRANCH_LOOP("x10");
        fid_snap(&b);
    }
    fid_diff(&d, &a, &b);
    report(name, &d, "mispred", d.ev[0], "insts", d.ev[1], 0, 0);
}

int main(uint64_t arg)
{
    line_bytes = 1ull << (arg & 0xff);
    l1_bytes = ((arg >> 8) & 0xffff) * 1024;
    l2_bytes = ((arg >> 24) & 0xffffff) * 1024;
    SDK_CHECK(line_bytes >= 16 && l1_bytes >= 4096 && l2_bytes >= l1_bytes);
    SDK_CHECK(BUF_BASE + 4 * l2_bytes <= STREAM_BASE && STREAM_BASE + 4 * l1_bytes <= BUF_END);
    sdk_printf("micro line=%lu l1d=%lu l2=%lu\n", (unsigned long)line_bytes, (unsigned long)l1_bytes,
               (unsigned long)l2_bytes);
    bench_alu("dep_add", dep_add_loop);
    bench_alu("indep_alu", indep_alu_loop);
    bench_chase("chase_l1", l1_bytes / 2);
    bench_chase("chase_l2", 2 * l1_bytes);
    bench_chase("chase_mem", 4 * l2_bytes);
    bench_stream();
    bench_branch("branch_pred", 0);
    bench_branch("branch_rand", 1);
    return 0;
}
