/* The SDK's printf itself as a workload: decimal/hex conversion of edge values (div and
   mod by constants, sign handling), padding and alignment, strings and characters. */
#include "diff.h"

/* %h and %hh deliberately receive ints wider than the length modifier says. */
#pragma clang diagnostic ignored "-Wformat"

int main(uint64_t arg)
{
    DIFF_OUT("[%d] [%d] [%d] [%d]\n", 0, -1, 2147483647, (int)0x80000000u);
    DIFF_OUT("[%u] [%u] [%x] [%X]\n", 0u, 4294967295u, 0xdeadbeefu, 0xdeadbeefu);
    DIFF_OUT("[%ld] [%ld] [%lu]\n", (long)0x7fffffffffffffffll, (long)(-0x7fffffffffffffffll - 1),
             (unsigned long)~0ull);
    DIFF_OUT("[%lx] [%016lx] [%lX]\n", 0x123456789abcdefull, 0xabcull, 0xfedcba9876543210ull);
    DIFF_OUT("[%8d] [%-8d] [%08d] [%+d] [%+d] [%+05d]\n", 42, 42, -42, 7, -7, 3);
    DIFF_OUT("[%hd] [%hu] [%hhd] [%hhx]\n", 0x18000, 0x18000, 0x1ff, 0x1ff);
    DIFF_OUT("[%s] [%10s] [%-10s] [%c%c%c] [%%]\n", "str", "right", "left", 'a', 'b', 'c');
    DIFF_OUT("[%*d] [%p] [%zu]\n", 6, 99, (void *)0x40001000, (size_t)12345);
    char buf[16];
    int n = sdk_snprintf(buf, sizeof buf, "%s-%d-%x-%s", "truncate", 123456, 0xabcdef, "me");
    DIFF_OUT("snprintf -> %d [%s]\n", n, buf);
    sdk_puts("puts without newline");
    sdk_putc('\n');
    sdk_print_u64(18446744073709551615ull);
    sdk_putc(' ');
    sdk_print_i64(-9223372036854775807ll - 1);
    sdk_putc(' ');
    sdk_print_hex(0);
    sdk_putc(' ');
    sdk_print_hex64(0x1234);
    sdk_putc('\n');
    /* Powers of ten through the 64-bit range exercise every division step. */
    uint64_t p = 1;
    for (int i = 0; i < 20; i++, p *= 10)
        DIFF_OUT("%lu %lu %ld\n", p, p - 1, -(int64_t)(p / 3));
    return 0;
}
