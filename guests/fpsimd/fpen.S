/*
 * Entry of the SIMD&FP guests: main() sets CPACR_EL1.FPEN = 0b11 before any SIMD&FP
 * instruction can run (the compiler may place them anywhere in C code built without
 * -mgeneral-regs-only), then calls fp_main(arg). Harmless once crt0 enables FP itself.
 */
    .text
    .global main
    .type main, %function
main:
    mrs     x1, cpacr_el1
    orr     x1, x1, #(3 << 20)
    msr     cpacr_el1, x1
    isb
    b       fp_main
    .size main, . - main
