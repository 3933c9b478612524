/* GICv3 helpers for guests: the QEMU virt layout (distributor 0x0800_0000, redistributors
 * from 0x080A_0000, 128 KiB each), the system-register CPU interface, everything Group 1.
 * The same code runs on pmuemu's vGIC and on qemu-system-aarch64 -M virt,gic-version=3. */
#ifndef PMUEMU_SDK_GIC_H
#define PMUEMU_SDK_GIC_H

#include "sdk.h"

#define GICD_BASE 0x08000000ul
#define GICR_BASE 0x080A0000ul
#define GICR_STRIDE 0x20000ul
#define GICR_SGI_OFFSET 0x10000ul

#define GICD_CTLR 0x0000
#define GICD_CTLR_ENABLE_G1NS (1u << 1)
#define GICD_CTLR_ARE (1u << 4)
#define GICR_WAKER 0x0014
#define GICR_WAKER_PROCESSOR_SLEEP (1u << 1)
#define GICR_WAKER_CHILDREN_ASLEEP (1u << 2)
#define GICR_IGROUPR0 0x0080
#define GICR_ISENABLER0 0x0100
#define GICR_IPRIORITYR 0x0400

#define INTID_SPURIOUS 1023u
#define INTID_PMU 23u
#define INTID_VTIMER 27u

static inline void gic_w32(uint64_t addr, uint32_t v) { *(volatile uint32_t *)addr = v; }
static inline uint32_t gic_r32(uint64_t addr) { return *(volatile uint32_t *)addr; }
static inline void gic_w8(uint64_t addr, uint8_t v) { *(volatile uint8_t *)addr = v; }

/* Distributor: affinity routing, Group 1 enabled. Call once, from one vCPU. */
static inline void gic_init_dist(void) {
  gic_w32(GICD_BASE + GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_ENABLE_G1NS);
}

/* This vCPU's redistributor (by its Aff0) and CPU interface: awake, every private interrupt
 * Group 1, priority mask open, Group 1 enabled. */
static inline void gic_init_cpu(void) {
  const uint64_t rd = GICR_BASE + (sdk_mpidr_affinity() & 0xff) * GICR_STRIDE;
  gic_w32(rd + GICR_WAKER, gic_r32(rd + GICR_WAKER) & ~GICR_WAKER_PROCESSOR_SLEEP);
  while (gic_r32(rd + GICR_WAKER) & GICR_WAKER_CHILDREN_ASLEEP) {
  }
  gic_w32(rd + GICR_SGI_OFFSET + GICR_IGROUPR0, 0xffffffffu);
  __asm__ volatile("msr S3_0_C12_C12_5, %0" ::"r"(1ul));  /* ICC_SRE_EL1.SRE */
  __asm__ volatile("isb");
  __asm__ volatile("msr S3_0_C4_C6_0, %0" ::"r"(0xfful)); /* ICC_PMR_EL1: allow every priority */
  __asm__ volatile("msr S3_0_C12_C12_3, %0" ::"r"(0ul));  /* ICC_BPR1_EL1 */
  __asm__ volatile("msr S3_0_C12_C12_7, %0" ::"r"(1ul));  /* ICC_IGRPEN1_EL1 */
  __asm__ volatile("isb");
}

/* Enables a private interrupt (SGI/PPI 0..31) of this vCPU with the given priority. */
static inline void gic_enable_private(unsigned intid, uint8_t prio) {
  const uint64_t sgi = GICR_BASE + (sdk_mpidr_affinity() & 0xff) * GICR_STRIDE + GICR_SGI_OFFSET;
  gic_w8(sgi + GICR_IPRIORITYR + intid, prio);
  gic_w32(sgi + GICR_ISENABLER0, 1u << intid);
}

static inline uint32_t gic_ack(void) {
  uint64_t v;
  __asm__ volatile("mrs %0, S3_0_C12_C12_0" : "=r"(v)); /* ICC_IAR1_EL1 */
  return (uint32_t)v & 0xffffff;
}
static inline void gic_eoi(uint32_t intid) {
  __asm__ volatile("msr S3_0_C12_C12_1, %0" ::"r"((uint64_t)intid)); /* ICC_EOIR1_EL1 */
  __asm__ volatile("isb");
}
/* SGI `intid` to the vCPUs of Aff1 = 0 in `targets` (bit n = Aff0 n). */
static inline void gic_send_sgi(unsigned intid, uint16_t targets) {
  const uint64_t v = ((uint64_t)intid << 24) | targets;
  __asm__ volatile("msr S3_0_C12_C11_5, %0" ::"r"(v)); /* ICC_SGI1R_EL1 */
  __asm__ volatile("isb");
}

#endif
