// Stage-1 translation: builds a 3-level table for a 39-bit VA space (4 KiB granule), maps
// RAM with 2 MiB blocks plus one 4 KiB-page region holding a read-only page, a page with
// the access flag clear and an unmapped page, enables the MMU, runs code from the TTBR1
// high-VA alias of RAM, and reports the ESR/FAR of each fault it provokes.
#include "sdk.h"

#define PAGE 4096ul
#define RAM_BASE 0x40000000ul
#define HIGH_ALIAS 0xFFFFFF8000000000ul  // TTBR1 with T1SZ = 25 walks the same tables

#define DESC_VALID 1ul
#define DESC_TABLE 3ul      // table (levels 1-2) or page (level 3)
#define DESC_BLOCK 1ul
#define DESC_AF (1ul << 10)
#define DESC_SH_INNER (3ul << 8)
#define DESC_AP_RO (2ul << 6)   // AP[2:1] = 0b10: read-only at EL1, no EL0 access
#define ATTR_NORMAL (0ul << 2)  // MAIR index 0

static uint64_t l1[512] __attribute__((aligned(4096)));
static uint64_t l2[512] __attribute__((aligned(4096)));
static uint64_t l3[512] __attribute__((aligned(4096)));
static uint8_t test_region[2 * 1024 * 1024] __attribute__((aligned(2 * 1024 * 1024)));

static volatile uint64_t last_esr, last_far;
static volatile unsigned faults;

static int on_sync(struct sdk_frame* f) {
  const unsigned ec = (unsigned)(f->esr >> 26);
  if (ec != 0x25) return 0;  // only data aborts from EL1 are expected
  last_esr = f->esr;
  last_far = f->far;
  ++faults;
  f->elr += 4;  // step over the faulting access
  return 1;
}

static uint64_t normal(uint64_t pa) { return pa | DESC_AF | DESC_SH_INNER | ATTR_NORMAL; }

__attribute__((noinline)) static uint64_t from_high_alias(uint64_t x) { return x * 3 + 1; }

static void report(const char* what) {
  sdk_printf("%-34s ESR_EL1 0x%lx FAR_EL1 0x%lx\n", what, (unsigned long)last_esr, (unsigned long)last_far);
}

int main(uint64_t arg) {
  (void)arg;
  sdk_set_sync_handler(on_sync);
  const uint64_t region = (uint64_t)test_region;
  // L1[1] covers 0x4000_0000..0x7fff_ffff through L2; every other L1 entry is invalid.
  l1[RAM_BASE >> 30] = (uint64_t)l2 | DESC_TABLE;
  for (uint64_t i = 0; i < 512; ++i) l2[i] = normal(RAM_BASE + (i << 21)) | DESC_BLOCK;
  // The test region's 2 MiB goes through L3 pages: page 0 read-only, page 1 without the
  // access flag, page 2 unmapped, the rest ordinary.
  for (uint64_t i = 0; i < 512; ++i) l3[i] = normal(region + i * PAGE) | DESC_TABLE;
  l3[0] |= DESC_AP_RO;
  l3[1] &= ~DESC_AF;
  l3[2] = 0;
  l2[(region - RAM_BASE) >> 21] = (uint64_t)l3 | DESC_TABLE;

  sdk_write_sysreg(mair_el1, 0x00fful);  // attr0 Normal write-back, attr1 Device-nGnRnE
  // T0SZ = T1SZ = 25 (39-bit VA), 4 KiB granules (TG0 0b00, TG1 0b10), inner-shareable
  // write-back walks, IPS 40 bits.
  const uint64_t tcr = 25ul | (1ul << 8) | (1ul << 10) | (3ul << 12) | (25ul << 16) | (1ul << 24) | (1ul << 26) |
                       (3ul << 28) | (2ul << 30) | (2ul << 32);
  sdk_write_sysreg(tcr_el1, tcr);
  sdk_write_sysreg(ttbr0_el1, (uint64_t)l1);
  sdk_write_sysreg(ttbr1_el1, (uint64_t)l1);
  __asm__ volatile("dsb ish; tlbi vmalle1; dsb ish; isb");
  sdk_write_sysreg(sctlr_el1, sdk_read_sysreg(sctlr_el1) | 1ul | (1ul << 2) | (1ul << 12));  // M, C, I
  __asm__ volatile("isb");
  sdk_printf("MMU on: SCTLR_EL1.M = %lu\n", (unsigned long)(sdk_read_sysreg(sctlr_el1) & 1));

  uint64_t (*high)(uint64_t) = (uint64_t(*)(uint64_t))((uint64_t)from_high_alias + HIGH_ALIAS);
  sdk_printf("code at the TTBR1 alias computed %lu\n", (unsigned long)high(41));
  volatile uint64_t* high_data = (volatile uint64_t*)((uint64_t)&l2[1] + HIGH_ALIAS);
  sdk_printf("data read through the alias matches: %s\n", *high_data == l2[1] ? "yes" : "no");

  volatile uint64_t* p;
  p = (volatile uint64_t*)0x10000000ul;  // L1 entry 0 is invalid
  (void)*p;
  report("translation fault, level 1:");
  p = (volatile uint64_t*)(region + 2 * PAGE + 8);
  (void)*p;
  report("translation fault, level 3:");
  p = (volatile uint64_t*)(region + PAGE + 16);
  (void)*p;
  report("access flag fault, level 3:");
  p = (volatile uint64_t*)(region + 24);
  (void)*p;  // reading a read-only page is fine
  *p = 1;
  report("permission fault (write), level 3:");
  sdk_printf("faults taken: %u\n", faults);
  return faults == 4 ? 0 : 1;
}
