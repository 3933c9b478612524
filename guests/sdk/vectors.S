/*
 * The SDK's EL1 exception vector table and the EL0 round-trip helpers.
 *
 * Every entry saves the full interrupted context in a struct sdk_frame on SP_EL1,
 * calls sdk_exception_dispatch(frame) and restores the (possibly modified) frame
 * before ERET, so a C hook can step ELR, set return values, or change SPSR.
 */
#include "sdk_asm.h"

/* An entry has 32 instructions of room; spill two registers and branch out. */
.macro vector_entry idx
    .balign 128
    sub     sp, sp, #SDK_FRAME_SIZE
    stp     x0, x1, [sp, #SDK_FRAME_X0]
    mov     x0, #\idx
    b       sdk_exc_common
.endm

    .section .vectors, "ax"
    .balign 2048
    .global sdk_vectors
sdk_vectors:
    /* Order fixed by the architecture: {current EL SP0, current EL SPx, lower EL
       AArch64, lower EL AArch32} x {sync, IRQ, FIQ, SError}. */
    vector_entry 0
    vector_entry 1
    vector_entry 2
    vector_entry 3
    vector_entry 4
    vector_entry 5
    vector_entry 6
    vector_entry 7
    vector_entry 8
    vector_entry 9
    vector_entry 10
    vector_entry 11
    vector_entry 12
    vector_entry 13
    vector_entry 14
    vector_entry 15

    .text
    .type sdk_exc_common, %function
sdk_exc_common:
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x19, [sp, #144]
    stp     x20, x21, [sp, #160]
    stp     x22, x23, [sp, #176]
    stp     x24, x25, [sp, #192]
    stp     x26, x27, [sp, #208]
    stp     x28, x29, [sp, #224]
    str     x30, [sp, #240]
    str     x0, [sp, #SDK_FRAME_VECTOR]
    mrs     x1, elr_el1
    mrs     x2, spsr_el1
    stp     x1, x2, [sp, #SDK_FRAME_ELR]
    mrs     x3, esr_el1
    mrs     x4, far_el1
    stp     x3, x4, [sp, #SDK_FRAME_ESR]
    /* The interrupted SP is SP_EL1 only if SPSR.M says EL1h; EL0t and EL1t ran on SP_EL0. */
    and     x5, x2, #0xf
    cmp     x5, #5
    b.ne    1f
    add     x6, sp, #SDK_FRAME_SIZE
    b       2f
1:  mrs     x6, sp_el0
2:  str     x6, [sp, #SDK_FRAME_SP]

    /* The interrupted SIMD&FP state, below the frame (the frame itself must stay right
       under an EL0 round trip's save area, see sdk_run_el0_daif). A C handler may use
       any V register (and clobbers the upper halves of V8-V15 even under AAPCS64), so
       all of Q0-Q31, FPSR and FPCR are kept -- when FPEN lets EL1 touch them at all:
       with FPEN trapping EL1, saving them would trap in the handler itself. */
    sub     sp, sp, #SDK_FP_SIZE
    str     xzr, [sp, #SDK_FP_SAVED]
    mrs     x1, cpacr_el1
    tbz     x1, #20, 4f
    stp     q0, q1, [sp, #0]
    stp     q2, q3, [sp, #32]
    stp     q4, q5, [sp, #64]
    stp     q6, q7, [sp, #96]
    stp     q8, q9, [sp, #128]
    stp     q10, q11, [sp, #160]
    stp     q12, q13, [sp, #192]
    stp     q14, q15, [sp, #224]
    stp     q16, q17, [sp, #256]
    stp     q18, q19, [sp, #288]
    stp     q20, q21, [sp, #320]
    stp     q22, q23, [sp, #352]
    stp     q24, q25, [sp, #384]
    stp     q26, q27, [sp, #416]
    stp     q28, q29, [sp, #448]
    stp     q30, q31, [sp, #480]
    mrs     x2, fpsr
    mrs     x3, fpcr
    str     x2, [sp, #SDK_FP_FPSR]
    str     x3, [sp, #SDK_FP_FPSR + 8]
    mov     x2, #1
    str     x2, [sp, #SDK_FP_SAVED]
4:
    add     x0, sp, #SDK_FP_SIZE
    mov     x29, xzr
    bl      sdk_exception_dispatch

    /* Back only what was saved, and only if EL1 may still touch it (a handler may have
       changed CPACR_EL1). */
    ldr     x2, [sp, #SDK_FP_SAVED]
    cbz     x2, 5f
    mrs     x1, cpacr_el1
    tbz     x1, #20, 5f
    ldp     q0, q1, [sp, #0]
    ldp     q2, q3, [sp, #32]
    ldp     q4, q5, [sp, #64]
    ldp     q6, q7, [sp, #96]
    ldp     q8, q9, [sp, #128]
    ldp     q10, q11, [sp, #160]
    ldp     q12, q13, [sp, #192]
    ldp     q14, q15, [sp, #224]
    ldp     q16, q17, [sp, #256]
    ldp     q18, q19, [sp, #288]
    ldp     q20, q21, [sp, #320]
    ldp     q22, q23, [sp, #352]
    ldp     q24, q25, [sp, #384]
    ldp     q26, q27, [sp, #416]
    ldp     q28, q29, [sp, #448]
    ldp     q30, q31, [sp, #480]
    ldr     x2, [sp, #SDK_FP_FPSR]
    ldr     x3, [sp, #SDK_FP_FPSR + 8]
    msr     fpsr, x2
    msr     fpcr, x3
5:
    add     sp, sp, #SDK_FP_SIZE

    ldp     x1, x2, [sp, #SDK_FRAME_ELR]
    msr     elr_el1, x1
    msr     spsr_el1, x2
    /* A hook may move the interrupted SP only when that SP is SP_EL0; SP_EL1 holds
       this very frame. */
    and     x5, x2, #0xf
    cmp     x5, #5
    b.eq    3f
    ldr     x6, [sp, #SDK_FRAME_SP]
    msr     sp_el0, x6
3:
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x19, [sp, #144]
    ldp     x20, x21, [sp, #160]
    ldp     x22, x23, [sp, #176]
    ldp     x24, x25, [sp, #192]
    ldp     x26, x27, [sp, #208]
    ldp     x28, x29, [sp, #224]
    ldr     x30, [sp, #240]
    ldp     x0, x1, [sp, #SDK_FRAME_X0]
    add     sp, sp, #SDK_FRAME_SIZE
    eret
    .size sdk_exc_common, . - sdk_exc_common

/*
 * uint64_t sdk_run_el0_daif(uint64_t (*fn)(uint64_t), uint64_t arg,
 *                           uint64_t el0_stack_top, uint64_t daif);
 *
 * Saves the AAPCS64 callee-saved state on SP_EL1 and ERETs to fn(arg) in EL0t.
 * SP_EL1 is left pointing at that save area, so when EL0 issues
 * SVC #SDK_SVC_EL0_RETURN the exception frame lands right below it and the
 * dispatcher finds it at frame + SDK_FRAME_SIZE (no global state, so it is per-vCPU).
 */
    .global sdk_run_el0_daif
    .type sdk_run_el0_daif, %function
sdk_run_el0_daif:
    sub     sp, sp, #SDK_EL0_CTX_SIZE
    stp     x19, x20, [sp, #0]
    stp     x21, x22, [sp, #16]
    stp     x23, x24, [sp, #32]
    stp     x25, x26, [sp, #48]
    stp     x27, x28, [sp, #64]
    stp     x29, x30, [sp, #80]
    mrs     x9, daif
    str     x9, [sp, #96]
    msr     sp_el0, x2
    adr     x9, sdk_el0_trampoline
    msr     elr_el1, x9
    /* SPSR.M = 0b0000 is EL0t; only the D, A, I, F bits of the caller's choice. */
    and     x9, x3, #0x3c0
    msr     spsr_el1, x9
    mov     x9, x0
    mov     x0, x1
    mov     x1, x9
    eret
    .size sdk_run_el0_daif, . - sdk_run_el0_daif

    .type sdk_el0_trampoline, %function
sdk_el0_trampoline:
    blr     x1
    svc     #SDK_SVC_EL0_RETURN
1:  b       1b
    .size sdk_el0_trampoline, . - sdk_el0_trampoline

/*
 * void sdk_el0_resume(uint64_t ret, void *ctx)  -- noreturn
 * Called from the dispatcher at EL1: abandons the exception frame and returns
 * `ret` from the sdk_run_el0_daif() call whose save area is ctx.
 */
    .global sdk_el0_resume
    .type sdk_el0_resume, %function
sdk_el0_resume:
    mov     sp, x1
    ldp     x19, x20, [sp, #0]
    ldp     x21, x22, [sp, #16]
    ldp     x23, x24, [sp, #32]
    ldp     x25, x26, [sp, #48]
    ldp     x27, x28, [sp, #64]
    ldp     x29, x30, [sp, #80]
    ldr     x9, [sp, #96]
    add     sp, sp, #SDK_EL0_CTX_SIZE
    msr     daif, x9
    ret
    .size sdk_el0_resume, . - sdk_el0_resume
