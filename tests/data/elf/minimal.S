    .section .text.boot, "ax"
    .global _start
_start:
    mov x0, #0x18          // angel SYS_EXIT
    ldr x1, =0x20026       // ADP_Stopped_ApplicationExit
    hlt #0xf000
1:  b 1b
    .data
counter: .quad 0
    .bss
buffer: .space 256
