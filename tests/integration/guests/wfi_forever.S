// Waits for an interrupt with nothing that could ever raise one.
  .globl _start
_start:
  wfi
  b _start
