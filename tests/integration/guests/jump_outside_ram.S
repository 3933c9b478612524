// No vector table (VBAR_EL1 = 0): jumping to an address outside RAM raises an instruction
// abort whose vector is outside RAM too, so the guest can never make progress.
  .globl _start
_start:
  mov x0, #0x1000
  br x0
