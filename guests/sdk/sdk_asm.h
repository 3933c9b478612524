/* Constants shared by the SDK's assembly and C (keep in sync with struct sdk_frame). */
#ifndef PMUEMU_SDK_ASM_H
#define PMUEMU_SDK_ASM_H

/* struct sdk_frame layout: x0..x30, sp, elr, spsr, esr, far, vector, pad. */
#define SDK_FRAME_X0      0
#define SDK_FRAME_SP      248
#define SDK_FRAME_ELR     256
#define SDK_FRAME_SPSR    264
#define SDK_FRAME_ESR     272
#define SDK_FRAME_FAR     280
#define SDK_FRAME_VECTOR  288
/* Multiple of 16: SP must stay 16-byte aligned at EL1 (SCTLR_EL1.SA may be set). */
#define SDK_FRAME_SIZE    304
/* Below the frame: the interrupted SIMD&FP state (Q0-Q31, FPSR, FPCR) and whether it was
   saved (only when CPACR_EL1.FPEN lets EL1 use FP/SIMD). */
#define SDK_FP_Q0         0
#define SDK_FP_FPSR       512
#define SDK_FP_SAVED      528
#define SDK_FP_SIZE       544

/* SVC immediate reserved by sdk_run_el0() for "EL0 function returned". */
#define SDK_SVC_EL0_RETURN 0xFFFF

/* Bytes sdk_run_el0() keeps on the EL1 stack while EL0 runs. */
#define SDK_EL0_CTX_SIZE  112

#endif
