// An UNDEFINED instruction with no vector table installed.
  .globl _start
_start:
  udf #0
