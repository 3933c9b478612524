// Spins forever: only --max-insns ends it.
  .globl _start
_start:
  b _start
