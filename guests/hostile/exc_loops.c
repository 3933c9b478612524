/* Hostile guest: exceptions that never end. The code that takes them is copied to fixed
 * addresses (hostile.h), so the diagnostics are the same whatever the compiler did.
 * --arg selects the loop:
 *   0  VBAR_EL1 points at a table of UDF #0 (zeroed RAM): every vector entry faults
 *   1  VBAR_EL1 = 0 (outside RAM): every exception's vector fetch aborts
 *   2  VBAR_EL1 = 0xffff_ffff_ffff_f800 (above the PA space)
 *   3  the sync vector ERETs to the faulting UDF: one instruction (ERET) retires per round
 *   4  the sync vector pushes 256 bytes and issues SVC again: unbounded nesting until the
 *      stack runs below RAM
 *   5  an interrupt storm: the virtual timer fires forever (CVAL 0), the IRQ vector ERETs
 *      without acknowledging or disabling it
 * docs/reliability.md gives each outcome. */
#include "gic.h"
#include "hostile.h"

int main(uint64_t arg)
{
    uint32_t code[32], vec[8];
    unsigned n = 0;
    sdk_printf("exception loop %lu\n", arg);
    switch (arg) {
    case 0:
    case 1:
    case 2: {
        const uint64_t vbar = arg == 0 ? HOSTILE_VECTORS : arg == 1 ? 0 : 0xfffffffffffff800ull;
        n += hostile_mov64(code + n, 1, vbar);
        code[n++] = A64_MSR_VBAR_EL1(1);
        code[n++] = 0xd5033fdfu; /* isb */
        code[n++] = A64_UDF(0x2a);
        break;
    }
    case 3:
        vec[0] = A64_ERET;
        hostile_put_code(HOSTILE_VECTORS + 0x200, vec, 1);
        n += hostile_mov64(code + n, 1, HOSTILE_VECTORS);
        code[n++] = A64_MSR_VBAR_EL1(1);
        code[n++] = 0xd5033fdfu;
        code[n++] = A64_UDF(0x2a);
        break;
    case 4:
        vec[0] = A64_SUB_SP_SP(0x100);
        vec[1] = A64_STP_X0_X1_SP;
        vec[2] = A64_SVC(1);
        hostile_put_code(HOSTILE_VECTORS + 0x200, vec, 3);
        n += hostile_mov64(code + n, 1, HOSTILE_VECTORS);
        code[n++] = A64_MSR_VBAR_EL1(1);
        code[n++] = 0xd5033fdfu;
        n += hostile_mov64(code + n, 2, 0x41800000ull);
        code[n++] = A64_MOV_SP(2);
        code[n++] = A64_SVC(1);
        break;
    case 5:
        vec[0] = A64_ERET;
        hostile_put_code(HOSTILE_VECTORS + 0x280, vec, 1); /* current EL, SPx, IRQ */
        gic_init_dist();
        gic_init_cpu();
        gic_enable_private(INTID_VTIMER, 0x80);
        sdk_write_sysreg(CNTV_CVAL_EL0, 0);
        sdk_write_sysreg(CNTV_CTL_EL0, 1); /* enabled, not masked: the condition always holds */
        sdk_isb();
        n += hostile_mov64(code + n, 1, HOSTILE_VECTORS);
        code[n++] = A64_MSR_VBAR_EL1(1);
        code[n++] = 0xd5033fdfu;
        code[n++] = 0xd50342ffu; /* msr daifclr, #2: unmask IRQ */
        code[n++] = A64_B_SELF;
        break;
    default:
        return 2;
    }
    hostile_put_code(HOSTILE_STUB, code, n);
    hostile_jump_to_stub();
}
