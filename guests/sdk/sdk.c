/* pmuemu guest SDK runtime: semihosting I/O, printf, exception dispatch, PSCI. */
#include "sdk.h"

#include <stdbool.h>

/* ------------------------------------------------------------------ exit */

void sdk_exit_reason(uint64_t reason, uint64_t subcode)
{
    /* AArch64 SYS_EXIT takes a pointer to {reason, subcode}; both QEMU and pmuemu map
       ApplicationExit to "exit status = subcode" and any other reason to status 1. */
    volatile uint64_t block[2] = {reason, subcode};
    sdk_semihost(SEMIHOST_SYS_EXIT, (uint64_t)(uintptr_t)block);
    /* Only reached if semihosting is unavailable: nothing sensible is left to do. */
    for (;;)
        sdk_wfi();
}

void sdk_exit(int code)
{
    sdk_exit_reason(ADP_STOPPED_APPLICATION_EXIT, (uint64_t)(uint32_t)code);
}

void sdk_check_failed(const char *what, const char *file, int line)
{
    sdk_printf("FAIL: %s %s:%d\n", what, file, line);
    sdk_exit(98);
}

/* ------------------------------------------------------------------ output */

void sdk_putc(char c)
{
    volatile char ch = c;
    sdk_semihost(SEMIHOST_SYS_WRITEC, (uint64_t)(uintptr_t)&ch);
}

void sdk_puts(const char *s)
{
    sdk_semihost(SEMIHOST_SYS_WRITE0, (uint64_t)(uintptr_t)s);
}

static char *fmt_u64(char *end, uint64_t v, unsigned base, bool upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    *--end = '\0';
    do {
        *--end = digits[v % base];
        v /= base;
    } while (v);
    return end;
}

void sdk_print_u64(uint64_t v)
{
    char buf[24];
    sdk_puts(fmt_u64(buf + sizeof buf, v, 10, false));
}

void sdk_print_i64(int64_t v)
{
    char buf[24];
    /* Negate in unsigned arithmetic so INT64_MIN does not overflow. */
    uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    char *p = fmt_u64(buf + sizeof buf, mag, 10, false);
    if (v < 0)
        *--p = '-';
    sdk_puts(p);
}

void sdk_print_hex(uint64_t v)
{
    char buf[24];
    char *p = fmt_u64(buf + sizeof buf, v, 16, false);
    *--p = 'x';
    *--p = '0';
    sdk_puts(p);
}

void sdk_print_hex64(uint64_t v)
{
    char buf[19];
    buf[0] = '0';
    buf[1] = 'x';
    for (int i = 0; i < 16; i++)
        buf[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 0xf];
    buf[18] = '\0';
    sdk_puts(buf);
}

/* A sink that either fills a caller buffer or flushes through SYS_WRITE0 in chunks, so
   one printf call costs a handful of semihosting traps rather than one per character. */
struct sink {
    char *buf;
    size_t size;
    size_t len;
    size_t total;
    bool flush;
};

static void sink_flush(struct sink *s)
{
    if (s->flush && s->len) {
        s->buf[s->len] = '\0';
        sdk_puts(s->buf);
        s->len = 0;
    }
}

static void sink_put(struct sink *s, char c)
{
    s->total++;
    if (s->len + 1 < s->size) {
        s->buf[s->len++] = c;
        return;
    }
    if (s->flush) {
        sink_flush(s);
        s->buf[s->len++] = c;
    }
}

static void sink_field(struct sink *s, const char *str, size_t n, int width, bool left, char pad)
{
    int padn = width > (int)n ? width - (int)n : 0;
    /* Zero padding goes after a sign so "-0042" comes out right. */
    if (!left && pad == '0' && n && (*str == '-' || *str == '+')) {
        sink_put(s, *str++);
        n--;
    }
    if (!left)
        while (padn-- > 0)
            sink_put(s, pad);
    while (n--)
        sink_put(s, *str++);
    if (left)
        while (padn-- > 0)
            sink_put(s, ' ');
}

static void format(struct sink *s, const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            sink_put(s, *fmt);
            continue;
        }
        fmt++;
        bool left = false, plus = false;
        char pad = ' ';
        for (;; fmt++) {
            if (*fmt == '-')
                left = true;
            else if (*fmt == '+')
                plus = true;
            else if (*fmt == '0')
                pad = '0';
            else
                break;
        }
        int width = 0;
        if (*fmt == '*') {
            width = va_arg(ap, int);
            fmt++;
        } else {
            while (*fmt >= '0' && *fmt <= '9')
                width = width * 10 + (*fmt++ - '0');
        }
        int lng = 0; /* 0 int, 1 long, -1 short, -2 char */
        for (;; fmt++) {
            if (*fmt == 'l' || *fmt == 'z' || *fmt == 'j' || *fmt == 't')
                lng = 1;
            else if (*fmt == 'h')
                lng = lng == -1 ? -2 : -1;
            else
                break;
        }
        char tmp[24];
        char *p;
        switch (*fmt) {
        case 'd':
        case 'i': {
            int64_t v = lng > 0 ? va_arg(ap, long) : va_arg(ap, int);
            if (lng == -1)
                v = (short)v;
            else if (lng == -2)
                v = (signed char)v;
            uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
            p = fmt_u64(tmp + sizeof tmp, mag, 10, false);
            if (v < 0)
                *--p = '-';
            else if (plus)
                *--p = '+';
            sink_field(s, p, strlen(p), width, left, pad);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            uint64_t v = lng > 0 ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
            if (lng == -1)
                v = (unsigned short)v;
            else if (lng == -2)
                v = (unsigned char)v;
            p = fmt_u64(tmp + sizeof tmp, v, *fmt == 'u' ? 10 : 16, *fmt == 'X');
            sink_field(s, p, strlen(p), width, left, pad);
            break;
        }
        case 'p': {
            uint64_t v = (uint64_t)(uintptr_t)va_arg(ap, void *);
            p = fmt_u64(tmp + sizeof tmp, v, 16, false);
            *--p = 'x';
            *--p = '0';
            sink_field(s, p, strlen(p), width, left, pad);
            break;
        }
        case 's': {
            const char *str = va_arg(ap, const char *);
            if (!str)
                str = "(null)";
            sink_field(s, str, strlen(str), width, left, ' ');
            break;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);
            sink_field(s, &c, 1, width, left, ' ');
            break;
        }
        case '%':
            sink_put(s, '%');
            break;
        case '\0':
            return;
        default:
            /* Unknown conversions are echoed so a typo is visible in the output. */
            sink_put(s, '%');
            sink_put(s, *fmt);
            break;
        }
    }
}

int sdk_vprintf(const char *fmt, va_list ap)
{
    char buf[256];
    struct sink s = {buf, sizeof buf, 0, 0, true};
    format(&s, fmt, ap);
    sink_flush(&s);
    return (int)s.total;
}

int sdk_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = sdk_vprintf(fmt, ap);
    va_end(ap);
    return n;
}

int sdk_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct sink s = {buf, size, 0, 0, false};
    format(&s, fmt, ap);
    if (size)
        buf[s.len] = '\0';
    return (int)s.total;
}

int sdk_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = sdk_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

/* -------------------------------------------------------------- exceptions */

static volatile sdk_exc_hook hooks[4];

void sdk_set_sync_handler(sdk_exc_hook fn) { hooks[SDK_VEC_KIND_SYNC] = fn; }
void sdk_set_irq_handler(sdk_exc_hook fn) { hooks[SDK_VEC_KIND_IRQ] = fn; }
void sdk_set_fiq_handler(sdk_exc_hook fn) { hooks[SDK_VEC_KIND_FIQ] = fn; }
void sdk_set_serror_handler(sdk_exc_hook fn) { hooks[SDK_VEC_KIND_SERROR] = fn; }

static const char *const vector_names[16] = {
    "cur_sp0_sync", "cur_sp0_irq", "cur_sp0_fiq", "cur_sp0_serror",
    "cur_spx_sync", "cur_spx_irq", "cur_spx_fiq", "cur_spx_serror",
    "lower_a64_sync", "lower_a64_irq", "lower_a64_fiq", "lower_a64_serror",
    "lower_a32_sync", "lower_a32_irq", "lower_a32_fiq", "lower_a32_serror",
};

void sdk_unhandled_exception(const struct sdk_frame *f)
{
    sdk_printf("unhandled exception: vector=%lu (%s) ESR=0x%lx ELR=0x%lx FAR=0x%lx\n",
               (unsigned long)f->vector, vector_names[f->vector & 15], (unsigned long)f->esr,
               (unsigned long)f->elr, (unsigned long)f->far);
    sdk_exit(99);
}

void sdk_exception_dispatch(struct sdk_frame *f)
{
    unsigned kind = sdk_vec_kind(f);
    if (kind == SDK_VEC_KIND_SYNC && f->vector == 8 && sdk_esr_ec(f->esr) == ESR_EC_SVC64 &&
        (f->esr & 0xffff) == SDK_SVC_EL0_RETURN) {
        /* sdk_run_el0_daif() left SP_EL1 at its save area, so the frame sits right below. */
        sdk_el0_resume(f->x[0], (char *)f + SDK_FRAME_SIZE);
    }
    sdk_exc_hook hook = hooks[kind];
    if (hook && hook(f))
        return;
    sdk_unhandled_exception(f);
}

/* ------------------------------------------------------------ memory layout */

extern char __stack_top[];
extern char __stack_size[];
extern char __noinit_start[];
extern char __noinit_end[];

uint64_t sdk_cpu_stack_top(unsigned slot)
{
    return (uint64_t)(uintptr_t)__stack_top - (uint64_t)slot * (uint64_t)(uintptr_t)__stack_size;
}

uint64_t sdk_el0_stack_top(unsigned slot)
{
    return sdk_cpu_stack_top(8 + slot);
}

void *sdk_noinit_area(void) { return __noinit_start; }
size_t sdk_noinit_size(void) { return (size_t)(__noinit_end - __noinit_start); }

/* -------------------------------------------------------------------- PSCI */

int64_t sdk_hvc_call(uint32_t fid, uint64_t a1, uint64_t a2, uint64_t a3)
{
    register uint64_t x0 __asm__("x0") = fid;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x2 __asm__("x2") = a2;
    register uint64_t x3 __asm__("x3") = a3;
    __asm__ volatile("hvc #0"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
                     :
                     : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14",
                       "x15", "x16", "x17", "memory");
    return (int64_t)x0;
}

/* PSCI results are 32-bit signed values even for the SMC64 functions. */
uint32_t sdk_psci_version(void) { return (uint32_t)sdk_hvc_call(PSCI_VERSION, 0, 0, 0); }

int64_t sdk_psci_cpu_on(uint64_t target_mpidr, uint64_t entry, uint64_t context_id)
{
    return (int32_t)sdk_hvc_call(PSCI_CPU_ON_64, target_mpidr, entry, context_id);
}

void sdk_psci_cpu_off(void) { sdk_hvc_call(PSCI_CPU_OFF, 0, 0, 0); }

int64_t sdk_psci_affinity_info(uint64_t target_mpidr, uint32_t lowest_level)
{
    return (int32_t)sdk_hvc_call(PSCI_AFFINITY_INFO_64, target_mpidr, lowest_level, 0);
}

void sdk_psci_system_off(void)
{
    sdk_hvc_call(PSCI_SYSTEM_OFF, 0, 0, 0);
    for (;;)
        sdk_wfi();
}

void sdk_psci_system_reset(void)
{
    sdk_hvc_call(PSCI_SYSTEM_RESET, 0, 0, 0);
    for (;;)
        sdk_wfi();
}

struct sdk_cpu_boot {
    uint64_t fn;
    uint64_t arg;
};

int64_t sdk_cpu_start(uint64_t target_mpidr, void (*fn)(uint64_t), uint64_t arg,
                      uint64_t stack_top)
{
    /* The boot block lives at the top of the new stack; 16 bytes keep SP aligned. */
    struct sdk_cpu_boot *boot = (struct sdk_cpu_boot *)(uintptr_t)((stack_top & ~15ull) - 16);
    boot->fn = (uint64_t)(uintptr_t)fn;
    boot->arg = arg;
    /* The new vCPU runs with caches off: make the block visible before it can start. */
    sdk_dsb_sy();
    return sdk_psci_cpu_on(target_mpidr, (uint64_t)(uintptr_t)sdk_secondary_entry,
                           (uint64_t)(uintptr_t)boot);
}

/* ---------------------------------------------------------- string functions */

/* With the MMU off all memory is Device memory, where unaligned accesses fault: only
   take the 8-byte path when every access it makes is aligned. The volatile stores
   keep the compiler from turning these loops back into calls to themselves. */
void *memset(void *dst, int c, size_t n)
{
    volatile unsigned char *d = dst;
    if ((((uintptr_t)d) & 7) == 0) {
        uint64_t w = 0x0101010101010101ull * (unsigned char)c;
        for (; n >= 8; n -= 8, d += 8)
            *(volatile uint64_t *)d = w;
    }
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
    volatile unsigned char *d = dst;
    const unsigned char *s = src;
    if ((((uintptr_t)d | (uintptr_t)s) & 7) == 0) {
        for (; n >= 8; n -= 8, d += 8, s += 8)
            *(volatile uint64_t *)d = *(const uint64_t *)s;
    }
    while (n--)
        *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    volatile unsigned char *d = dst;
    const unsigned char *s = src;
    if (d < s) {
        while (n--)
            *d++ = *s++;
    } else {
        d += n;
        s += n;
        while (n--)
            *--d = *--s;
    }
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x < *y ? -1 : 1;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}
