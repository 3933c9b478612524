/*
 * pmuemu guest SDK: freestanding support for bare-metal AArch64 test guests that run
 * unchanged on pmuemu and on QEMU's virt board. The ABI is in docs/guest-abi.md.
 */
#ifndef PMUEMU_SDK_H
#define PMUEMU_SDK_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "sdk_asm.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SDK_NORETURN __attribute__((noreturn))
#define SDK_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define SDK_NOINLINE __attribute__((noinline))
#define SDK_USED __attribute__((used))
#define SDK_ALIGNED(n) __attribute__((aligned(n)))
#define SDK_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- entry / exit */

/* Provided by the guest; x0 at entry (pmuemu --arg, 0 on QEMU) is `arg`. Its return
   value becomes the run's exit status (the ApplicationExit subcode). */
int main(uint64_t arg);

/* Ends the run with `code` as exit status (SYS_EXIT, reason ApplicationExit). */
SDK_NORETURN void sdk_exit(int code);
/* Ends the run with an arbitrary ADP reason: not ApplicationExit means status 1. */
SDK_NORETURN void sdk_exit_reason(uint64_t reason, uint64_t subcode);

/* --------------------------------------------------------------- semihosting */

#define SEMIHOST_SYS_WRITEC 0x03
#define SEMIHOST_SYS_WRITE0 0x04
#define SEMIHOST_SYS_EXIT 0x18
#define SEMIHOST_SYS_EXIT_EXTENDED 0x20
#define ADP_STOPPED_APPLICATION_EXIT 0x20026
#define ADP_STOPPED_RUNTIME_ERROR_UNKNOWN 0x20023

/* One semihosting call: HLT #0xF000 with the operation in w0 and the parameter in x1.
   Semihosting is only available at EL1: QEMU treats HLT at EL0 as UNDEFINED unless
   started with userspace=on, so EL0 code must return to EL1 to print. */
static inline uint64_t sdk_semihost(uint64_t op, uint64_t param)
{
    register uint64_t x0 __asm__("x0") = op;
    register uint64_t x1 __asm__("x1") = param;
    __asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
    return x0;
}

void sdk_putc(char c);
void sdk_puts(const char *s);           /* no newline appended */
void sdk_print_u64(uint64_t v);         /* decimal */
void sdk_print_i64(int64_t v);          /* decimal */
void sdk_print_hex64(uint64_t v);       /* 0x + 16 digits */
void sdk_print_hex(uint64_t v);         /* 0x + minimal digits */
/* printf subset: %d %i %u %x %X %p %s %c %%, with l/ll/z/h/hh length modifiers,
   '-', '+' and '0' flags and a field width ("%016lx"). Output is buffered per call. */
int sdk_printf(const char *fmt, ...) SDK_PRINTF(1, 2);
int sdk_vprintf(const char *fmt, va_list ap);
int sdk_snprintf(char *buf, size_t size, const char *fmt, ...) SDK_PRINTF(3, 4);
int sdk_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* Prints "FAIL: <msg> file:line" and exits with status 98 when cond is false. */
#define SDK_CHECK(cond)                                                                  \
    do {                                                                                 \
        if (!(cond))                                                                     \
            sdk_check_failed(#cond, __FILE__, __LINE__);                                 \
    } while (0)
SDK_NORETURN void sdk_check_failed(const char *what, const char *file, int line);

/* ---------------------------------------------------------------- exceptions */

/* Saved by every vector entry; a hook may modify any field, and the modified frame is
   what ERET returns to. `sp` is the interrupted SP; changing it only takes effect when
   the exception came from EL0t or EL1t (SP_EL0), since SP_EL1 holds the frame itself. */
struct sdk_frame {
    uint64_t x[31];
    uint64_t sp;
    uint64_t elr;
    uint64_t spsr;
    uint64_t esr;
    uint64_t far;
    uint64_t vector; /* 0..15, architectural vector-table order */
    uint64_t pad;
};
_Static_assert(sizeof(struct sdk_frame) == SDK_FRAME_SIZE, "sdk_asm.h out of sync");
_Static_assert(__builtin_offsetof(struct sdk_frame, sp) == SDK_FRAME_SP, "frame sp");
_Static_assert(__builtin_offsetof(struct sdk_frame, elr) == SDK_FRAME_ELR, "frame elr");
_Static_assert(__builtin_offsetof(struct sdk_frame, vector) == SDK_FRAME_VECTOR, "frame vec");

/* Vector numbers: group * 4 + kind. */
#define SDK_VEC_GROUP_CUR_SP0 0
#define SDK_VEC_GROUP_CUR_SPX 1
#define SDK_VEC_GROUP_LOWER_A64 2
#define SDK_VEC_GROUP_LOWER_A32 3
#define SDK_VEC_KIND_SYNC 0
#define SDK_VEC_KIND_IRQ 1
#define SDK_VEC_KIND_FIQ 2
#define SDK_VEC_KIND_SERROR 3
static inline unsigned sdk_vec_group(const struct sdk_frame *f) { return (unsigned)(f->vector >> 2); }
static inline unsigned sdk_vec_kind(const struct sdk_frame *f) { return (unsigned)(f->vector & 3); }

/* ESR_ELx fields and the exception classes guests commonly see. */
static inline unsigned sdk_esr_ec(uint64_t esr) { return (unsigned)((esr >> 26) & 0x3f); }
static inline uint32_t sdk_esr_iss(uint64_t esr) { return (uint32_t)(esr & 0x1ffffff); }
#define ESR_EC_UNKNOWN 0x00
#define ESR_EC_WFX 0x01
#define ESR_EC_ILLEGAL_STATE 0x0e
#define ESR_EC_SVC64 0x15
#define ESR_EC_HVC64 0x16
#define ESR_EC_SMC64 0x17
#define ESR_EC_SYSREG 0x18
#define ESR_EC_IABT_LOWER 0x20
#define ESR_EC_IABT_CUR 0x21
#define ESR_EC_PC_ALIGN 0x22
#define ESR_EC_DABT_LOWER 0x24
#define ESR_EC_DABT_CUR 0x25
#define ESR_EC_SP_ALIGN 0x26
#define ESR_EC_SERROR 0x2f
#define ESR_EC_BRK64 0x3c

/* A hook returns nonzero when it handled the exception; zero falls through to the
   default handler, which prints "unhandled exception: ..." and exits with status 99. */
typedef int (*sdk_exc_hook)(struct sdk_frame *f);
void sdk_set_sync_handler(sdk_exc_hook fn);
void sdk_set_irq_handler(sdk_exc_hook fn);
void sdk_set_fiq_handler(sdk_exc_hook fn);
void sdk_set_serror_handler(sdk_exc_hook fn);
/* The dispatcher the vector table calls; exposed for tests that chain handlers. */
void sdk_exception_dispatch(struct sdk_frame *f);
SDK_NORETURN void sdk_unhandled_exception(const struct sdk_frame *f);
extern char sdk_vectors[];

/* --------------------------------------------------------------------- EL0 */

/* Runs fn(arg) in EL0t on the given stack (16-byte aligned top) and returns its
   result once it returns (the SDK's trampoline issues SVC #SDK_SVC_EL0_RETURN, which
   the dispatcher consumes before any sync hook sees it). Other SVCs, UNDEFs etc. from
   EL0 reach the sync hook as usual (vector 8). `daif` selects SPSR.{D,A,I,F} for EL0;
   sdk_run_el0 masks all four. */
uint64_t sdk_run_el0_daif(uint64_t (*fn)(uint64_t), uint64_t arg, uint64_t el0_stack_top,
                          uint64_t daif);
static inline uint64_t sdk_run_el0(uint64_t (*fn)(uint64_t), uint64_t arg, uint64_t el0_stack_top)
{
    return sdk_run_el0_daif(fn, arg, el0_stack_top, 0x3c0);
}
SDK_NORETURN void sdk_el0_resume(uint64_t ret, void *ctx);

/* Stack layout below __stack_top (RAM base + 64 MiB): slots of __stack_size bytes.
   vCPU stacks use slots 0..7 (the boot vCPU runs on slot 0), EL0 stacks slots 8..15. */
uint64_t sdk_cpu_stack_top(unsigned slot);
uint64_t sdk_el0_stack_top(unsigned slot);

/* Memory outside every PT_LOAD segment, kept across PSCI SYSTEM_RESET by both pmuemu
   and QEMU (QEMU re-copies the image, pmuemu keeps all of RAM). 4 KiB. Contents are
   unspecified on the first boot: validate them with a magic value. */
void *sdk_noinit_area(void);
size_t sdk_noinit_size(void);

/* -------------------------------------------------------------------- PSCI */

#define PSCI_VERSION 0x84000000u
#define PSCI_CPU_SUSPEND_64 0xC4000001u
#define PSCI_CPU_OFF 0x84000002u
#define PSCI_CPU_ON_64 0xC4000003u
#define PSCI_AFFINITY_INFO_64 0xC4000004u
#define PSCI_SYSTEM_OFF 0x84000008u
#define PSCI_SYSTEM_RESET 0x84000009u
#define PSCI_FEATURES 0x8400000Au

#define PSCI_SUCCESS 0
#define PSCI_NOT_SUPPORTED (-1)
#define PSCI_INVALID_PARAMETERS (-2)
#define PSCI_DENIED (-3)
#define PSCI_ALREADY_ON (-4)
#define PSCI_ON_PENDING (-5)
#define PSCI_INTERNAL_FAILURE (-6)

#define PSCI_AFFINITY_ON 0
#define PSCI_AFFINITY_OFF 1
#define PSCI_AFFINITY_ON_PENDING 2

/* SMCCC call through HVC #0. x4..x17 are declared clobbered because SMCCC 1.0 lets
   the callee use them. */
int64_t sdk_hvc_call(uint32_t fid, uint64_t a1, uint64_t a2, uint64_t a3);

uint32_t sdk_psci_version(void);
int64_t sdk_psci_cpu_on(uint64_t target_mpidr, uint64_t entry, uint64_t context_id);
void sdk_psci_cpu_off(void); /* returns only if the call failed */
int64_t sdk_psci_affinity_info(uint64_t target_mpidr, uint32_t lowest_level);
SDK_NORETURN void sdk_psci_system_off(void);
SDK_NORETURN void sdk_psci_system_reset(void);

/* Starts fn(arg) on the vCPU with the given MPIDR (affinity fields only), on a stack
   whose top is stack_top, via sdk_secondary_entry (which installs the SDK vectors).
   When fn returns, that vCPU calls CPU_OFF. Returns the PSCI CPU_ON result. */
int64_t sdk_cpu_start(uint64_t target_mpidr, void (*fn)(uint64_t), uint64_t arg,
                      uint64_t stack_top);
void sdk_secondary_entry(void);

/* ---------------------------------------------------------- system registers */

#define SDK_STR_(x) #x
#define SDK_STR(x) SDK_STR_(x)
/* Accept architectural names or the generic S<op0>_<op1>_C<n>_C<m>_<op2> spelling. */
#define sdk_read_sysreg(reg)                                                             \
    ({                                                                                   \
        uint64_t sdk_v_;                                                                 \
        __asm__ volatile("mrs %0, " SDK_STR(reg) : "=r"(sdk_v_));                       \
        sdk_v_;                                                                          \
    })
#define sdk_write_sysreg(reg, v)                                                         \
    do {                                                                                 \
        uint64_t sdk_v_ = (uint64_t)(v);                                                 \
        __asm__ volatile("msr " SDK_STR(reg) ", %0" ::"r"(sdk_v_) : "memory");          \
    } while (0)

static inline void sdk_isb(void) { __asm__ volatile("isb" ::: "memory"); }
static inline void sdk_dsb_sy(void) { __asm__ volatile("dsb sy" ::: "memory"); }
static inline void sdk_dmb_sy(void) { __asm__ volatile("dmb sy" ::: "memory"); }
static inline void sdk_dmb_ish(void) { __asm__ volatile("dmb ish" ::: "memory"); }
static inline void sdk_wfi(void) { __asm__ volatile("wfi" ::: "memory"); }
static inline void sdk_wfe(void) { __asm__ volatile("wfe" ::: "memory"); }
static inline void sdk_sev(void) { __asm__ volatile("sev" ::: "memory"); }
static inline void sdk_irq_enable(void) { __asm__ volatile("msr daifclr, #2" ::: "memory"); }
static inline void sdk_irq_disable(void) { __asm__ volatile("msr daifset, #2" ::: "memory"); }

static inline unsigned sdk_current_el(void) { return (unsigned)((sdk_read_sysreg(CurrentEL) >> 2) & 3); }
/* MPIDR_EL1 affinity fields (Aff3 at [39:32], Aff2..Aff0 at [23:0]), as PSCI wants them. */
static inline uint64_t sdk_mpidr_affinity(void) { return sdk_read_sysreg(mpidr_el1) & 0xff00ffffffull; }

/* ---------------------------------------------------------- string functions */

/* Defined because clang emits calls to them for struct copies and large
   initializers even in freestanding mode. */
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

#ifdef __cplusplus
}
#endif

#endif
