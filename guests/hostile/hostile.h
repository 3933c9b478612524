/* Helpers shared by the hostile guests: code placed at fixed addresses, so the PCs and
 * ELRs in pmuemu's diagnostics do not depend on how the compiler laid the guest out. */
#ifndef PMUEMU_HOSTILE_H
#define PMUEMU_HOSTILE_H

#include "sdk.h"

/* Fixed places in RAM (above the stacks at RAM base + 64 MiB, inside 128 MiB). */
#define HOSTILE_STUB 0x46000000ull   /* code copied by hostile_put_code() */
#define HOSTILE_VECTORS 0x46001000ull /* a vector table built by the guest (2 KiB aligned) */

/* A64 encodings used to build code at run time. */
#define A64_NOP 0xd503201fu
#define A64_RET 0xd65f03c0u
#define A64_ERET 0xd69f03e0u
#define A64_B_SELF 0x14000000u
#define A64_WFI 0xd503207fu
#define A64_WFE 0xd503205fu
#define A64_UDF(imm) ((uint32_t)(imm)&0xffffu)
#define A64_SVC(imm) (0xd4000001u | ((uint32_t)(imm) << 5))
#define A64_HVC(imm) (0xd4000002u | ((uint32_t)(imm) << 5))
#define A64_MOVZ(rd, imm, hw) (0xd2800000u | ((uint32_t)(hw) << 21) | ((uint32_t)(imm) << 5) | (rd))
#define A64_MOVK(rd, imm, hw) (0xf2800000u | ((uint32_t)(hw) << 21) | ((uint32_t)(imm) << 5) | (rd))
#define A64_MSR_VBAR_EL1(rt) (0xd518c000u | (rt))
#define A64_MOV_SP(rn) (0x9100001fu | ((uint32_t)(rn) << 5)) /* mov sp, xn */
#define A64_SUB_SP_SP(imm) (0xd10003ffu | ((uint32_t)(imm) << 10))
#define A64_STP_X0_X1_SP 0xa90007e0u /* stp x0, x1, [sp] */
#define A64_LDR_X0_SP 0xf94003e0u    /* ldr x0, [sp] */

/* Copies `n` instruction words to `addr` and makes them visible to instruction fetch. */
static inline void hostile_put_code(uint64_t addr, const uint32_t *words, unsigned n)
{
    for (unsigned i = 0; i < n; ++i) *(volatile uint32_t *)(addr + 4 * i) = words[i];
    for (uint64_t a = addr & ~63ull; a < addr + 4 * n; a += 64)
        __asm__ volatile("dc cvau, %0\n\tdsb ish\n\tic ivau, %0" ::"r"(a) : "memory");
    __asm__ volatile("dsb ish\n\tisb" ::: "memory");
}

/* Loads a 64-bit constant into xN with four instructions; returns the words written. */
static inline unsigned hostile_mov64(uint32_t *out, unsigned rd, uint64_t v)
{
    out[0] = A64_MOVZ(rd, v & 0xffff, 0);
    out[1] = A64_MOVK(rd, (v >> 16) & 0xffff, 1);
    out[2] = A64_MOVK(rd, (v >> 32) & 0xffff, 2);
    out[3] = A64_MOVK(rd, (v >> 48) & 0xffff, 3);
    return 4;
}

/* Branches to the stub at HOSTILE_STUB; the stubs of the hostile guests never return. */
static inline SDK_NORETURN void hostile_jump_to_stub(void)
{
    __asm__ volatile("br %0" ::"r"(HOSTILE_STUB) : "memory");
    __builtin_unreachable();
}

#endif
