/* PSCI SYSTEM_RESET: the first boot resets the system, the second powers it off. The
   boot count lives in the SDK's no-init area (outside every PT_LOAD segment): QEMU
   re-copies the image on reset, reverting .data, while pmuemu keeps all of RAM, so only
   memory outside the image behaves the same on both. BSS is zeroed again by crt0 on
   every boot, on both. */
#include "diff.h"

#define MAGIC 0x626f6f74636e7421ull /* "boot cnt!" */

struct persist {
    uint64_t magic;
    uint64_t boots;
    uint64_t arg_seen;
};

static uint64_t bss_marker;

int main(uint64_t arg)
{
    struct persist *p = sdk_noinit_area();
    if (p->magic != MAGIC) {
        p->magic = MAGIC;
        p->boots = 0;
    }
    p->boots++;
    DIFF_OUT("boot %lu: bss_marker %lx\n", p->boots, bss_marker);
    bss_marker = 0xb55;
    if (p->boots == 1) {
        DIFF_OUT("SYSTEM_RESET\n");
        sdk_psci_system_reset();
        DIFF_OUT("SYSTEM_RESET returned\n");
        return 1;
    }
    DIFF_OUT("SYSTEM_OFF after %lu boots\n", p->boots);
    /* Leave no magic behind in case the RAM image is ever reused. */
    p->magic = 0;
    sdk_psci_system_off();
    return 2;
}
