/*
 * vpmu_counter_access: the guest half of the Linux KVM selftest of the same name
 * (tools/testing/selftests/kvm/aarch64/vpmu_counter_access.c, spec section 6.4), run by
 * `pmuemu conformance` once per PMCR_EL0.N the VMM configured.
 *
 * x0 = the expected N. Boot 1 runs the checks; then PSCI SYSTEM_RESET makes the VMM
 * re-initialise the vCPU (KVM_ARM_VCPU_INIT on an initialised vCPU, no PMU attributes,
 * no first-run reload: the selftest's run_access_test step 4) and boot 2 runs the same
 * checks again. A failed check ends its run, so the second run happens either way.
 *
 *   G1  expected N <= 31
 *   G2  PMCR_EL0.N == expected N
 *   G3  bits [30:N] of the six bitmap registers read 0 (reset / first-run RAZ)
 *   G4  implemented counters i < N, four accessor combinations: bitmap bit i can be
 *       cleared/set/cleared in PMCNTEN, PMINTEN, PMOVS; type write/readback
 *       0x80000008; counter reads 0 after PMCR.P; counter write/readback i + 0x12345
 *   G5  unimplemented counters N <= i <= 30, four accessor combinations: counter
 *       read/write and type read/write UNDEF (EC 0x00); with PMSELR = i the PMSELR
 *       write itself does not fault; bitmap bit i is RAZ/WI
 *   G6  (spec 1.2/1.5, not in the selftest) PMSELR = 31: PMXEVTYPER is PMCCFILTR_EL0
 *       and PMXEVCNTR is PMCCNTR_EL0, without UNDEF; the would-be PMEVCNTR31
 *       encoding S3_3_C14_C11_7 UNDEFs
 *   G7  an exception other than an expected UNDEF
 *
 * Output, one line per run (the host parses it):
 *   vpmu_counter_access: run R: pass (N=n, U UNDEFs)
 *   vpmu_counter_access: run R: FAIL G<k>.<step>: <detail>
 * Exit status: 0 if both runs passed, else 10 * R + k of the first failed check.
 */
#include "pmu.h"
#include "sdk.h"

#define MAX_GENERAL_COUNTERS 31u
#define EVTYPE_TEST_VALUE (PMEVTYPER_P | PMU_EV_INST_RETIRED) /* 0x80000008 */
#define RECORD_MAGIC 0x76706d7563746121ull                   /* "vpmucta!" */

/* Kept across the system reset (sdk_noinit_area). */
struct record {
    uint64_t magic;
    uint64_t run;     /* 1 or 2: the run in progress */
    uint64_t code[2]; /* 0 = pass, else 10 * run + check */
};

static struct record *rec(void) { return (struct record *)sdk_noinit_area(); }

/* ------------------------------------------------------------ ending a run */

static SDK_NORETURN void finish(void)
{
    const struct record *r = rec();
    sdk_exit((int)(r->code[0] ? r->code[0] : r->code[1]));
}

/* The current run is over: reset into run 2, or end the program after run 2. */
static SDK_NORETURN void end_run(void)
{
    if (rec()->run == 1) {
        rec()->run = 2;
        sdk_psci_system_reset();
    }
    finish();
}

static SDK_NORETURN SDK_PRINTF(3, 4) void fail(unsigned check, const char *step, const char *fmt, ...)
{
    struct record *r = rec();
    char buf[192];
    va_list ap;
    va_start(ap, fmt);
    sdk_vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    sdk_printf("vpmu_counter_access: run %lu: FAIL G%u.%s: %s\n", (unsigned long)r->run, check, step, buf);
    r->code[r->run - 1] = 10 * r->run + check;
    end_run();
}

/* --------------------------------------------------------- UNDEF catching */

static volatile int expect_undef; /* the next exception must be an UNDEF */
static volatile int undef_taken;
static volatile unsigned undef_count;

static int sync_hook(struct sdk_frame *f)
{
    const unsigned ec = sdk_esr_ec(f->esr);
    if (!expect_undef || ec != ESR_EC_UNKNOWN || sdk_vec_group(f) != SDK_VEC_GROUP_CUR_SPX)
        fail(7, "exc", "unexpected exception: vector %lu, ESR_EL1 0x%lx (EC 0x%x), ELR_EL1 0x%lx%s",
             (unsigned long)f->vector, (unsigned long)f->esr, ec, (unsigned long)f->elr,
             expect_undef ? " (an UNDEF was expected)" : "");
    expect_undef = 0;
    undef_taken = 1;
    undef_count = undef_count + 1;
    f->elr += 4; /* step over the faulting MRS/MSR */
    return 1;
}

static inline void arm_undef(void)
{
    undef_taken = 0;
    expect_undef = 1;
    __asm__ volatile("dsb ish" ::: "memory");
}

/* Whether the access since arm_undef() took an UNDEF. */
static inline int took_undef(void)
{
    __asm__ volatile("" ::: "memory");
    const int t = undef_taken;
    expect_undef = 0;
    return t;
}

/* ------------------------------------------------------------- accessors */

static uint64_t read_cntr_direct(unsigned i) { return pmu_read_evcntr(i); }
static void write_cntr_direct(unsigned i, uint64_t v)
{
    pmu_write_evcntr(i, v);
    sdk_isb();
}
static uint64_t read_type_direct(unsigned i) { return pmu_read_evtyper(i); }
static void write_type_direct(unsigned i, uint64_t v)
{
    pmu_write_evtyper(i, v);
    sdk_isb();
}
static uint64_t read_cntr_sel(unsigned i)
{
    write_pmselr_el0(i);
    sdk_isb();
    return read_pmxevcntr_el0();
}
static void write_cntr_sel(unsigned i, uint64_t v)
{
    write_pmselr_el0(i);
    sdk_isb();
    write_pmxevcntr_el0(v);
    sdk_isb();
}
static uint64_t read_type_sel(unsigned i)
{
    write_pmselr_el0(i);
    sdk_isb();
    return read_pmxevtyper_el0();
}
static void write_type_sel(unsigned i, uint64_t v)
{
    write_pmselr_el0(i);
    sdk_isb();
    write_pmxevtyper_el0(v);
    sdk_isb();
}

struct accessor {
    const char *name;
    uint64_t (*read_cntr)(unsigned);
    void (*write_cntr)(unsigned, uint64_t);
    uint64_t (*read_type)(unsigned);
    void (*write_type)(unsigned, uint64_t);
};

/* The selftest's order: direct, indirect, read direct + write indirect, the reverse. */
static const struct accessor accessors[4] = {
    {"direct", read_cntr_direct, write_cntr_direct, read_type_direct, write_type_direct},
    {"indirect", read_cntr_sel, write_cntr_sel, read_type_sel, write_type_sel},
    {"read direct/write indirect", read_cntr_direct, write_cntr_sel, read_type_direct, write_type_sel},
    {"read indirect/write direct", read_cntr_sel, write_cntr_direct, read_type_sel, write_type_direct},
};

/* -------------------------------------------------------- bitmap registers */

struct bitmaps {
    uint64_t v[6];
};
static const char *const bitmap_names[6] = {"PMCNTENSET_EL0", "PMCNTENCLR_EL0", "PMINTENSET_EL1",
                                            "PMINTENCLR_EL1", "PMOVSSET_EL0",   "PMOVSCLR_EL0"};

static struct bitmaps read_bitmaps(void)
{
    struct bitmaps b;
    b.v[0] = read_pmcntenset_el0();
    b.v[1] = read_pmcntenclr_el0();
    b.v[2] = read_pmintenset_el1();
    b.v[3] = read_pmintenclr_el1();
    b.v[4] = read_pmovsset_el0();
    b.v[5] = read_pmovsclr_el0();
    return b;
}

/* The selftest's check_bitmap_pmu_regs(): each register has some bit of `mask` set
   (set_expected) or none (!set_expected). */
static void check_bitmaps(unsigned check, const char *step, uint64_t mask, int set_expected, const char *ctx)
{
    const struct bitmaps b = read_bitmaps();
    for (unsigned r = 0; r < 6; ++r) {
        const int any = (b.v[r] & mask) != 0;
        if (any != set_expected)
            fail(check, step, "%s = 0x%lx, mask 0x%lx: expected %s%s", bitmap_names[r], (unsigned long)b.v[r],
                 (unsigned long)mask, set_expected ? "set" : "clear", ctx);
    }
}

/* The selftest's test_bitmap_pmu_regs(): write bit i to the SET (or CLR) registers, then
   bit i must be set iff i < PMCR_EL0.N (SET), or clear (CLR). */
static void test_bitmap(unsigned check, const char *step, unsigned i, int set_op, const char *ctx)
{
    const uint64_t bit = 1ull << i;
    int set_expected = 0;
    if (set_op) {
        write_pmcntenset_el0(bit);
        write_pmintenset_el1(bit);
        write_pmovsset_el0(bit);
        set_expected = i < pmcr_n(read_pmcr_el0());
    } else {
        write_pmcntenclr_el0(bit);
        write_pmintenclr_el1(bit);
        write_pmovsclr_el0(bit);
    }
    check_bitmaps(check, step, bit, set_expected, ctx);
}

/* ------------------------------------------------------------------ checks */

static char ctx_buf[96];
static const char *ctx(const struct accessor *a, unsigned i)
{
    sdk_snprintf(ctx_buf, sizeof ctx_buf, " (counter %u, %s accessors)", i, a->name);
    return ctx_buf;
}

/* G4: counter i < N. */
static void implemented_counter(const struct accessor *a, unsigned i)
{
    const char *c = ctx(a, i);
    /* a. disable all counters and reset the event counters */
    const uint64_t pmcr = read_pmcr_el0() & ~PMCR_E;
    write_pmcr_el0(pmcr | PMCR_P);
    sdk_isb();
    /* b.-d. */
    test_bitmap(4, "b", i, 0, c);
    test_bitmap(4, "c", i, 1, c);
    test_bitmap(4, "d", i, 0, c);
    /* e. event type */
    a->write_type(i, EVTYPE_TEST_VALUE);
    const uint64_t type = a->read_type(i);
    if (type != EVTYPE_TEST_VALUE)
        fail(4, "e", "type read 0x%lx after writing 0x%lx%s", (unsigned long)type,
             (unsigned long)EVTYPE_TEST_VALUE, c);
    /* f. disabled and reset: 0 */
    const uint64_t count = a->read_cntr(i);
    if (count != 0)
        fail(4, "f", "counter reads 0x%lx after PMCR.P, expected 0%s", (unsigned long)count, c);
    /* g. counter write/readback */
    const uint64_t want = count + i + 0x12345;
    a->write_cntr(i, want);
    const uint64_t got = a->read_cntr(i);
    if (got != want)
        fail(4, "g", "counter read 0x%lx after writing 0x%lx%s", (unsigned long)got, (unsigned long)want, c);
}

#define EXPECT_UNDEF(check, step, what, op)                                                   \
    do {                                                                                      \
        arm_undef();                                                                          \
        op;                                                                                   \
        if (!took_undef())                                                                    \
            fail(check, step, "%s did not UNDEF%s", what, c);                                 \
    } while (0)

/* G5: counter N <= i <= 30. For the indirect accessors the PMSELR write happens before
   arm_undef(): a fault there would be an unexpected exception (G7). */
static void unimplemented_counter(const struct accessor *a, unsigned i)
{
    const char *c = ctx(a, i);
    const int rd_sel = a->read_cntr == read_cntr_sel, wr_sel = a->write_cntr == write_cntr_sel;
    if (rd_sel) {
        write_pmselr_el0(i);
        sdk_isb();
        EXPECT_UNDEF(5, "a", "counter read (PMXEVCNTR_EL0)", (void)read_pmxevcntr_el0());
    } else {
        EXPECT_UNDEF(5, "a", "counter read (PMEVCNTR<i>_EL0)", (void)pmu_read_evcntr(i));
    }
    if (wr_sel) {
        write_pmselr_el0(i);
        sdk_isb();
        EXPECT_UNDEF(5, "b", "counter write (PMXEVCNTR_EL0)", write_pmxevcntr_el0(0));
    } else {
        EXPECT_UNDEF(5, "b", "counter write (PMEVCNTR<i>_EL0)", pmu_write_evcntr(i, 0));
    }
    if (rd_sel) {
        write_pmselr_el0(i);
        sdk_isb();
        EXPECT_UNDEF(5, "c", "type read (PMXEVTYPER_EL0)", (void)read_pmxevtyper_el0());
    } else {
        EXPECT_UNDEF(5, "c", "type read (PMEVTYPER<i>_EL0)", (void)pmu_read_evtyper(i));
    }
    if (wr_sel) {
        write_pmselr_el0(i);
        sdk_isb();
        EXPECT_UNDEF(5, "d", "type write (PMXEVTYPER_EL0)", write_pmxevtyper_el0(0));
    } else {
        EXPECT_UNDEF(5, "d", "type write (PMEVTYPER<i>_EL0)", pmu_write_evtyper(i, 0));
    }
    sdk_isb();
    /* e./f. the bit of an unimplemented counter is RAZ/WI */
    test_bitmap(5, "e", i, 1, c);
    test_bitmap(5, "f", i, 0, c);
}

/* G6: PMSELR = 31 selects the cycle counter's registers; PMEVCNTR31 does not exist. */
static void cycle_counter_alias(void)
{
    const char *c = " (PMSELR_EL0 = 31)";
    const uint64_t filt = PMEVTYPER_P; /* storable in every era's PMCCFILTR write mask */

    write_pmselr_el0(31);
    sdk_isb();
    const uint64_t sel = read_pmselr_el0();
    if (sel != 31)
        fail(6, "a", "PMSELR_EL0 reads %lu after writing 31", (unsigned long)sel);

    write_pmccfiltr_el0(0);
    sdk_isb();
    write_type_sel(31, filt);
    uint64_t v = read_pmccfiltr_el0();
    if (v != filt)
        fail(6, "b", "PMCCFILTR_EL0 = 0x%lx after writing 0x%lx to PMXEVTYPER_EL0%s", (unsigned long)v,
             (unsigned long)filt, c);
    write_pmccfiltr_el0(0);
    sdk_isb();
    v = read_type_sel(31);
    if (v != 0)
        fail(6, "c", "PMXEVTYPER_EL0 = 0x%lx after writing 0 to PMCCFILTR_EL0%s", (unsigned long)v, c);

    /* PMCR.E is clear (G4.a, or the reset value): the cycle counter does not count. */
    const uint64_t cnt = 0x1234567890abcull;
    write_cntr_sel(31, cnt);
    v = read_pmccntr_el0();
    if (v != cnt)
        fail(6, "d", "PMCCNTR_EL0 = 0x%lx after writing 0x%lx to PMXEVCNTR_EL0%s", (unsigned long)v,
             (unsigned long)cnt, c);
    write_pmccntr_el0(cnt + 1);
    sdk_isb();
    v = read_cntr_sel(31);
    if (v != cnt + 1)
        fail(6, "e", "PMXEVCNTR_EL0 = 0x%lx after writing 0x%lx to PMCCNTR_EL0%s", (unsigned long)v,
             (unsigned long)(cnt + 1), c);
    write_pmccntr_el0(0);
    sdk_isb();

    c = "";
    EXPECT_UNDEF(6, "f", "read of S3_3_C14_C11_7 (would-be PMEVCNTR31_EL0)",
                 (void)sdk_read_sysreg(S3_3_C14_C11_7));
    EXPECT_UNDEF(6, "g", "write of S3_3_C14_C11_7 (would-be PMEVCNTR31_EL0)", sdk_write_sysreg(S3_3_C14_C11_7, 0));
}

/* The selftest's guest_code(expected_n), plus G6. */
static void guest_code(uint64_t expected_n)
{
    if (expected_n > MAX_GENERAL_COUNTERS)
        fail(1, "a", "expected N %lu is above %u", (unsigned long)expected_n, MAX_GENERAL_COUNTERS);

    const unsigned n = pmcr_n(read_pmcr_el0());
    if (n != expected_n)
        fail(2, "a", "PMCR_EL0.N = %u, expected %lu", n, (unsigned long)expected_n);

    /* GENMASK(30, N): N <= 31 here, and N == 31 gives an empty mask. */
    const uint64_t unimp = ((1ull << MAX_GENERAL_COUNTERS) - 1) & ~((1ull << n) - 1);
    check_bitmaps(3, "a", unimp, 0, " (bits of unimplemented counters after reset)");

    for (unsigned a = 0; a < 4; ++a)
        for (unsigned i = 0; i < n; ++i)
            implemented_counter(&accessors[a], i);
    for (unsigned a = 0; a < 4; ++a)
        for (unsigned i = n; i < MAX_GENERAL_COUNTERS; ++i)
            unimplemented_counter(&accessors[a], i);

    cycle_counter_alias();
}

int main(uint64_t expected_n)
{
    struct record *r = rec();
    if (r->magic != RECORD_MAGIC || r->run != 2) {
        r->magic = RECORD_MAGIC;
        r->run = 1;
        r->code[0] = r->code[1] = 0;
    }
    sdk_set_sync_handler(sync_hook);
    undef_count = 0;
    guest_code(expected_n);
    sdk_printf("vpmu_counter_access: run %lu: pass (N=%lu, %u UNDEFs)\n", (unsigned long)r->run,
               (unsigned long)expected_n, undef_count);
    end_run();
}
