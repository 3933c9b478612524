/*
 * Guest entry (see docs/guest-abi.md). The loader enters at _start in EL1h with DAIF
 * masked, the MMU off and x0 = the run's --arg; that x0 is handed to main() unchanged.
 */
#include "sdk_asm.h"

    .section .text.boot, "ax"
    .global _start
    .type _start, %function
_start:
    /* Keep x0 in a callee-saved register: the BSS loop below needs scratch registers. */
    mov     x19, x0

    /* EL1h uses SP_EL1; selecting it explicitly makes the ABI hold even if a loader
       left SPSel = 0. */
    msr     spsel, #1
    ldr     x1, =__stack_top
    mov     sp, x1

    /* FP/SIMD on at EL0 and EL1 (CPACR_EL1.FPEN = 0b11) before any C code runs: guests
       are compiled with ordinary flags, so the compiler may use V registers anywhere
       (memcpy, struct copies, vectorised loops). Out of reset FPEN traps both ELs. */
    mov     x1, #(3 << 20)
    msr     cpacr_el1, x1
    isb

    /* With the MMU off every access is Device memory, which faults on misalignment:
       the BSS bounds are 16-byte aligned by link.ld so 8-byte stores are always legal. */
    ldr     x1, =__bss_start
    ldr     x2, =__bss_end
1:  cmp     x1, x2
    b.hs    2f
    str     xzr, [x1], #8
    b       1b
2:
    ldr     x1, =sdk_vectors
    msr     vbar_el1, x1
    /* The new VBAR must be in effect before anything can raise an exception. */
    isb

    mov     x29, xzr
    mov     x30, xzr
    mov     x0, x19
    bl      main
    /* main's return value is the ApplicationExit subcode, i.e. the run's exit status. */
    bl      sdk_exit
3:  b       3b
    .size _start, . - _start

/*
 * Entry point for vCPUs started with sdk_cpu_start(): PSCI CPU_ON enters here in
 * EL1 with x0 = the context id, which sdk_cpu_start() made point at a
 * struct sdk_cpu_boot {fn, arg} placed at the top of the new vCPU's stack.
 */
    .global sdk_secondary_entry
    .type sdk_secondary_entry, %function
sdk_secondary_entry:
    msr     spsel, #1
    /* Each vCPU has its own CPACR_EL1: enable FP/SIMD here too, before C code. */
    mov     x1, #(3 << 20)
    msr     cpacr_el1, x1
    isb
    /* The boot block sits at the stack top, so the stack grows down from just below it. */
    mov     sp, x0
    ldr     x1, =sdk_vectors
    msr     vbar_el1, x1
    isb
    ldp     x2, x0, [sp]          /* x2 = fn, x0 = arg */
    mov     x29, xzr
    mov     x30, xzr
    blr     x2
    bl      sdk_psci_cpu_off
4:  b       4b
    .size sdk_secondary_entry, . - sdk_secondary_entry

    .ltorg
