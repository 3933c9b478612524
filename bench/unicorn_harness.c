/* unicorn_harness: runs a pmuemu bench guest (bare-metal AArch64 ELF built with the guest
 * SDK) under the Unicorn engine, for bench/run's comparison rows.
 *
 *   unicorn_harness [--ram-mib N] [--count-insns] GUEST.elf
 *
 * The ELF's PT_LOAD segments are copied by physical address into RAM at 0x4000_0000 (128
 * MiB by default, as on pmuemu and QEMU virt); execution starts at the ELF entry in EL1h
 * with x0 = 0, the state crt0 expects. Unicorn has no semihosting, so the harness provides
 * the subset the SDK uses: the guest's HLT #0xF000 raises an exception that Unicorn hands
 * to the UC_HOOK_INTR hook below (instead of taking it to the guest's vectors); the hook
 * performs SYS_WRITEC, SYS_WRITE0, SYS_EXIT and SYS_EXIT_EXTENDED and steps over the
 * HLT. SYS_EXIT stops emulation, so the guest runs to its real end: no end address is
 * needed, and the benchmarked loops run without any hook in the translated code.
 *
 * stdout: the guest's output. stderr, last line:
 *   unicorn_harness: status=S elapsed_ns=T [insns=I]
 * where T is the time spent in uc_emu_start (start-up and ELF loading excluded). Exit
 * status: the guest's (SYS_EXIT ApplicationExit subcode, 1 for other reasons), 70 when
 * the guest cannot go on (unexpected exception, unmapped access) or the harness fails.
 * --count-insns counts instructions with a code hook (slow: only to check the instruction
 * count bench/run takes from pmuemu).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unicorn/unicorn.h>

#define RAM_BASE 0x40000000ull
#define HLT_SEMIHOST 0xd45e0000u /* HLT #0xF000 */
#define SYS_WRITEC 0x03
#define SYS_WRITE0 0x04
#define SYS_EXIT 0x18
#define SYS_EXIT_EXTENDED 0x20
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

static int exit_status = -1;
static const char *failure;
static uint64_t insn_count;

static void die(const char *what, uc_err err)
{
    fprintf(stderr, "unicorn_harness: error: %s: %s\n", what, err == UC_ERR_OK ? "failed" : uc_strerror(err));
    exit(70);
}

static uint64_t get_reg(uc_engine *uc, int reg)
{
    uint64_t v = 0;
    uc_reg_read(uc, reg, &v);
    return v;
}

static void set_reg(uc_engine *uc, int reg, uint64_t v) { uc_reg_write(uc, reg, &v); }

/* Semihosting: x0 = operation, x1 = parameter; result in x0. */
static int semihost(uc_engine *uc)
{
    const uint64_t op = get_reg(uc, UC_ARM64_REG_X0) & 0xffffffffu;
    const uint64_t param = get_reg(uc, UC_ARM64_REG_X1);
    switch (op) {
    case SYS_WRITEC: {
        char c;
        if (uc_mem_read(uc, param, &c, 1) != UC_ERR_OK)
            return 0;
        fputc(c, stdout);
        return 1;
    }
    case SYS_WRITE0: {
        char c;
        for (uint64_t a = param;; ++a) {
            if (uc_mem_read(uc, a, &c, 1) != UC_ERR_OK)
                return 0;
            if (!c)
                break;
            fputc(c, stdout);
        }
        return 1;
    }
    case SYS_EXIT:
    case SYS_EXIT_EXTENDED: {
        uint64_t block[2];
        if (uc_mem_read(uc, param, block, sizeof block) != UC_ERR_OK)
            return 0;
        exit_status = block[0] == ADP_STOPPED_APPLICATION_EXIT ? (int)(block[1] & 0xff) : 1;
        uc_emu_stop(uc);
        return 1;
    }
    default:
        return 0;
    }
}

static void on_interrupt(uc_engine *uc, uint32_t intno, void *user)
{
    const uint64_t pc = get_reg(uc, UC_ARM64_REG_PC);
    uint32_t insn = 0;
    if (uc_mem_read(uc, pc, &insn, 4) == UC_ERR_OK && insn == HLT_SEMIHOST) {
        if (semihost(uc)) {
            set_reg(uc, UC_ARM64_REG_PC, pc + 4);
            return;
        }
        failure = "unsupported or malformed semihosting call";
    } else {
        static char msg[128];
        snprintf(msg, sizeof msg, "unexpected exception %u at pc 0x%" PRIx64 " (insn 0x%08x, ESR_EL1 0x%" PRIx64
                 ", FAR_EL1 0x%" PRIx64 ")", intno, pc, insn, get_reg(uc, UC_ARM64_REG_ESR_EL1),
                 get_reg(uc, UC_ARM64_REG_FAR_EL1));
        failure = msg;
    }
    uc_emu_stop(uc);
}

static bool on_unmapped(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value, void *user)
{
    static char msg[128];
    snprintf(msg, sizeof msg, "guest accessed unmapped address 0x%" PRIx64 " (pc 0x%" PRIx64 ")", addr,
             get_reg(uc, UC_ARM64_REG_PC));
    failure = msg;
    return false;
}

static void on_code(uc_engine *uc, uint64_t addr, uint32_t size, void *user) { ++insn_count; }

/* ------------------------------------------------------------------ ELF64 loading */

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(70);
    }
    size_t cap = 1 << 20, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (n == cap)
            buf = realloc(buf, cap *= 2);
        const size_t got = fread(buf + n, 1, cap - n, f);
        if (!got)
            break;
        n += got;
    }
    fclose(f);
    *len = n;
    return buf;
}

/* Copies the PT_LOAD segments into guest RAM; returns the entry point. */
static uint64_t load_elf(uc_engine *uc, const char *path, uint64_t ram_size)
{
    size_t len;
    uint8_t *img = read_file(path, &len);
    if (len < 64 || memcmp(img, "\177ELF", 4) != 0 || img[4] != 2 /* ELFCLASS64 */ || img[5] != 1 /* LE */ ||
        rd16(img + 18) != 183 /* EM_AARCH64 */) {
        fprintf(stderr, "unicorn_harness: error: %s: not an ELF64 little-endian AArch64 file\n", path);
        exit(70);
    }
    const uint64_t entry = rd64(img + 24), phoff = rd64(img + 32);
    const unsigned phentsize = rd16(img + 54), phnum = rd16(img + 56);
    for (unsigned i = 0; i < phnum; ++i) {
        const uint64_t off = phoff + (uint64_t)i * phentsize;
        if (off + 56 > len)
            goto bad;
        const uint8_t *ph = img + off;
        if (rd32(ph) != 1 /* PT_LOAD */)
            continue;
        const uint64_t foff = rd64(ph + 8), paddr = rd64(ph + 24), filesz = rd64(ph + 32), memsz = rd64(ph + 40);
        if (foff + filesz > len || filesz > memsz || paddr < RAM_BASE || paddr + memsz > RAM_BASE + ram_size)
            goto bad;
        /* RAM is zero when mapped, so BSS needs no clearing. */
        if (filesz && uc_mem_write(uc, paddr, img + foff, filesz) != UC_ERR_OK)
            goto bad;
    }
    free(img);
    return entry;
bad:
    fprintf(stderr, "unicorn_harness: error: %s: a PT_LOAD segment lies outside guest RAM or the file\n", path);
    exit(70);
}

int main(int argc, char **argv)
{
    uint64_t ram_mib = 128;
    int count = 0;
    const char *elf = NULL;
    for (int i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "--ram-mib") && i + 1 < argc)
            ram_mib = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--count-insns"))
            count = 1;
        else if (argv[i][0] != '-' && !elf)
            elf = argv[i];
        else {
            fprintf(stderr, "usage: unicorn_harness [--ram-mib N] [--count-insns] GUEST.elf\n");
            return 64;
        }
    }
    if (!elf || ram_mib == 0 || ram_mib > 4096) {
        fprintf(stderr, "usage: unicorn_harness [--ram-mib N] [--count-insns] GUEST.elf\n");
        return 64;
    }
    const uint64_t ram_size = ram_mib << 20;

    uc_engine *uc;
    uc_err err = uc_open(UC_ARCH_ARM64, UC_MODE_ARM, &uc);
    if (err != UC_ERR_OK)
        die("uc_open", err);
    /* The same CPU model as QEMU's -cpu max. */
    if ((err = uc_ctl_set_cpu_model(uc, UC_CPU_ARM64_MAX)) != UC_ERR_OK)
        die("uc_ctl_set_cpu_model(MAX)", err);
    if ((err = uc_mem_map(uc, RAM_BASE, ram_size, UC_PROT_ALL)) != UC_ERR_OK)
        die("uc_mem_map(RAM)", err);
    const uint64_t entry = load_elf(uc, elf, ram_size);

    uc_hook h_intr, h_mem, h_code;
    if ((err = uc_hook_add(uc, &h_intr, UC_HOOK_INTR, (void *)on_interrupt, NULL, 1, 0)) != UC_ERR_OK)
        die("uc_hook_add(INTR)", err);
    if ((err = uc_hook_add(uc, &h_mem, UC_HOOK_MEM_UNMAPPED, (void *)on_unmapped, NULL, 1, 0)) != UC_ERR_OK)
        die("uc_hook_add(MEM_UNMAPPED)", err);
    if (count && (err = uc_hook_add(uc, &h_code, UC_HOOK_CODE, (void *)on_code, NULL, 1, 0)) != UC_ERR_OK)
        die("uc_hook_add(CODE)", err);

    /* Unicorn resets the CPU with EL3 present and SCR_EL3 = 0, i.e. EL1 in Secure state:
       with the MMU on, its table walks and accesses would then target the Secure physical
       address space, where nothing is mapped. QEMU's virt board (without secure=on) and
       pmuemu run the guest in Non-secure EL1, so set SCR_EL3.NS and SCR_EL3.RW. Even so,
       Unicorn 2.0.1 raises a prefetch abort as soon as a guest sets SCTLR_EL1.M (with an
       identity map that QEMU 7.2 and pmuemu run), so bench/run uses Unicorn for MMU-off
       guests only. */
    uc_arm64_cp_reg scr = {.crn = 1, .crm = 1, .op0 = 3, .op1 = 6, .op2 = 0, .val = (1u << 10) | 1u};
    if ((err = uc_reg_write(uc, UC_ARM64_REG_CP_REG, &scr)) != UC_ERR_OK)
        die("write SCR_EL3", err);
    set_reg(uc, UC_ARM64_REG_X0, 0);
    /* EL1h, DAIF masked: the state in which pmuemu and QEMU enter a bare-metal ELF. */
    set_reg(uc, UC_ARM64_REG_PSTATE, 0x3c5);

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    err = uc_emu_start(uc, entry, 0 /* no end address: SYS_EXIT stops */, 0, 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    fflush(stdout);
    const long long ns = (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);

    if (!failure && err != UC_ERR_OK) {
        static char msg[160];
        snprintf(msg, sizeof msg, "uc_emu_start: %s (pc 0x%" PRIx64 ")", uc_strerror(err), get_reg(uc, UC_ARM64_REG_PC));
        failure = msg;
    }
    if (!failure && exit_status < 0)
        failure = "emulation stopped before the guest exited";
    if (failure) {
        fprintf(stderr, "unicorn_harness: error: %s\n", failure);
        uc_close(uc);
        return 70;
    }
    if (count)
        fprintf(stderr, "unicorn_harness: status=%d elapsed_ns=%lld insns=%" PRIu64 "\n", exit_status, ns, insn_count);
    else
        fprintf(stderr, "unicorn_harness: status=%d elapsed_ns=%lld\n", exit_status, ns);
    uc_close(uc);
    return exit_status;
}
