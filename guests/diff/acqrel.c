/* Load-acquire / store-release: ldar/ldarb/ldarh (W and X), stlr/stlrb/stlrh, together
   with every barrier form (dmb/dsb domains and types, isb). Single-threaded, so the
   check is the data path: sizes, zero extension and which bytes a store writes. */
#include "diff.h"

static uint64_t mem[4] SDK_ALIGNED(16);

int main(uint64_t arg)
{
    mem[0] = 0x8877665544332211ull;
    mem[1] = 0xffeeddccbbaa9988ull;
    uint64_t a, b, c, d, e;
    __asm__ volatile("mov %0, #-1\n\tmov %1, #-1\n\tmov %2, #-1\n\tmov %3, #-1\n\t"
                     "ldar %0, [%5]\n\t"
                     "ldar %w1, [%6]\n\t"
                     "ldarh %w2, [%6]\n\t"
                     "ldarb %w3, [%6]\n\t"
                     "ldar %4, [%6]"
                     : "=&r"(a), "=&r"(b), "=&r"(c), "=&r"(d), "=&r"(e)
                     : "r"(&mem[0]), "r"(&mem[1])
                     : "memory");
    DIFF_OUT("ldar x %lx, ldar w %lx, ldarh %lx, ldarb %lx, ldar x2 %lx\n", a, b, c, d, e);

    uint64_t v = 0x0102030405060708ull;
    __asm__ volatile("stlrb %w0, [%1]\n\t"
                     "dmb ish\n\t"
                     "stlrh %w0, [%2]\n\t"
                     "dmb ishst\n\t"
                     "stlr %w0, [%3]\n\t"
                     "dsb sy\n\t"
                     "stlr %0, [%4]\n\t"
                     "isb"
                     :
                     : "r"(v), "r"((uint8_t *)&mem[0] + 1), "r"((uint8_t *)&mem[0] + 2),
                       "r"((uint8_t *)&mem[0] + 4), "r"(&mem[2])
                     : "memory");
    DIFF_OUT("after stlr*: %016lx %016lx %016lx\n", mem[0], mem[1], mem[2]);

    /* Every barrier option that has a name; they have no architectural data effect. */
    __asm__ volatile("dmb sy\n\tdmb st\n\tdmb ld\n\tdmb ish\n\tdmb ishst\n\tdmb ishld\n\t"
                     "dmb nsh\n\tdmb nshst\n\tdmb nshld\n\tdmb osh\n\tdmb oshst\n\tdmb oshld\n\t"
                     "dsb sy\n\tdsb st\n\tdsb ld\n\tdsb ish\n\tdsb ishst\n\tdsb ishld\n\t"
                     "dsb nsh\n\tdsb nshst\n\tdsb nshld\n\tdsb osh\n\tdsb oshst\n\tdsb oshld\n\t"
                     "isb\n\tisb sy" ::: "memory");

    /* A release store followed by an acquire load of the same location. */
    uint64_t r;
    __asm__ volatile("stlr %1, [%2]\n\tldar %0, [%2]" : "=&r"(r) : "r"(0xa5a5a5a5a5a5a5a5ull), "r"(&mem[3]) : "memory");
    DIFF_OUT("stlr/ldar round trip %lx\n", r);
    return 0;
}
