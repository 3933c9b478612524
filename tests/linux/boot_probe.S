// A minimal arm64 Image (the boot protocol's 64-byte header, then code) that checks what
// the protocol promises at entry and reports over the PL011, then powers off with PSCI
// SYSTEM_OFF:
//   "probe: el1 mmu-off x0-dtb x1-x3-zero ok\n"  everything as booting.rst requires, else
//   "probe: FAIL <what>\n"
// Position independent: it runs wherever the loader places it.
    .section .text
    .globl _head
_head:
    b       start                   // code0
    .long   0                       // code1
    .quad   0                       // text_offset
    .quad   _image_end - _head      // image_size
    .quad   0xa                     // flags: little-endian, 4K pages, anywhere
    .quad   0, 0, 0                 // res2-res4
    .ascii  "ARM\x64"               // magic
    .long   0                       // res5

start:
    mov     x19, x0                 // the DTB
    mov     x20, x1
    orr     x20, x20, x2
    orr     x20, x20, x3
    mrs     x21, CurrentEL
    mrs     x22, SCTLR_EL1
    mrs     x23, DAIF
    adr     x0, msg_prefix
    bl      puts
    cmp     x21, #(1 << 2)
    adr     x0, fail_el
    b.ne    fail
    tst     x22, #1                 // SCTLR_EL1.M
    adr     x0, fail_mmu
    b.ne    fail
    and     x23, x23, #0x3c0        // DAIF all masked
    cmp     x23, #0x3c0
    adr     x0, fail_daif
    b.ne    fail
    ldr     w24, [x19]              // the DTB's magic, big-endian 0xd00dfeed
    movz    w25, #0xfeed
    movk    w25, #0xd00d, lsl #16
    rev     w24, w24
    cmp     w24, w25
    adr     x0, fail_dtb
    b.ne    fail
    tst     x19, #7                 // 8-byte aligned
    b.ne    fail
    cbnz    x20, fail_regs
    adr     x0, msg_ok
    bl      puts
    b       off
fail_regs:
    adr     x0, fail_x
fail:
    bl      puts
off:
    movz    w0, #0x0008
    movk    w0, #0x8400, lsl #16    // PSCI SYSTEM_OFF
    hvc     #0
1:  b       1b

// puts(x0): bytes up to NUL to the PL011 data register at 0x09000000.
puts:
    movz    x1, #0x0900, lsl #16
2:  ldrb    w2, [x0], #1
    cbz     w2, 3f
    strb    w2, [x1]
    b       2b
3:  ret

msg_prefix: .asciz "probe: "
msg_ok:     .asciz "el1 mmu-off daif-masked x0-dtb x1-x3-zero ok\n"
fail_el:    .asciz "FAIL not at EL1\n"
fail_mmu:   .asciz "FAIL MMU on\n"
fail_daif:  .asciz "FAIL DAIF not masked\n"
fail_dtb:   .asciz "FAIL x0 is not an 8-byte aligned DTB\n"
fail_x:     .asciz "FAIL x1-x3 not zero\n"
    .balign 8
    .space  4096                    // a BSS-like tail the loader must zero
_image_end:
