/*
 * PMUv3 system-register accessors for pmuemu guests.
 *
 * Every register is spelled with its generic S<op0>_<op1>_C<n>_C<m>_<op2> encoding so
 * the header assembles for any -march (clang only knows PMMIR_EL1 by name from v8.4).
 * Accessors only issue the MRS/MSR; callers add an ISB where the architecture needs
 * the write to take effect before a following instruction (e.g. after enabling
 * counters and before the code being measured).
 */
#ifndef PMUEMU_PMU_H
#define PMUEMU_PMU_H

#include "sdk.h"

/* ------------------------------------------------------- PMCR_EL0 fields */
#define PMCR_E (1ull << 0)      /* enable all counters */
#define PMCR_P (1ull << 1)      /* event counter reset (write-only, reads 0) */
#define PMCR_C (1ull << 2)      /* cycle counter reset (write-only, reads 0) */
#define PMCR_D (1ull << 3)      /* cycle counter counts every 64th cycle */
#define PMCR_X (1ull << 4)      /* export enable */
#define PMCR_DP (1ull << 5)     /* disable cycle counter when prohibited */
#define PMCR_LC (1ull << 6)     /* 64-bit cycle counter overflow */
#define PMCR_LP (1ull << 7)     /* 64-bit event counter overflow (FEAT_PMUv3p5) */
#define PMCR_N_SHIFT 11
#define PMCR_N_MASK 0x1full
#define PMCR_IDCODE_SHIFT 16
#define PMCR_IMP_SHIFT 24
static inline unsigned pmcr_n(uint64_t pmcr) { return (unsigned)((pmcr >> PMCR_N_SHIFT) & PMCR_N_MASK); }

/* Bit 31 of PMCNTEN*, PMINTEN*, PMOVS* and PMSWINC selects the cycle counter. */
#define PMU_CYCLE_COUNTER_BIT (1ull << 31)
#define PMU_CYCLE_COUNTER_IDX 31

/* ------------------------------------- PMEVTYPER<n>_EL0 / PMCCFILTR_EL0 fields */
#define PMEVTYPER_P (1ull << 31)   /* don't count at EL1 */
#define PMEVTYPER_U (1ull << 30)   /* don't count at EL0 */
#define PMEVTYPER_NSK (1ull << 29)
#define PMEVTYPER_NSU (1ull << 28)
#define PMEVTYPER_NSH (1ull << 27) /* count at EL2 */
#define PMEVTYPER_M (1ull << 26)
#define PMEVTYPER_MT (1ull << 25)
#define PMEVTYPER_SH (1ull << 24)
/* evtCount is [9:0] before FEAT_PMUv3p1 and [15:0] from it on. */
#define PMEVTYPER_EVTCOUNT_MASK 0xffffull

/* -------------------------------------------------- PMUSERENR_EL0 fields */
#define PMUSERENR_EN (1ull << 0)  /* EL0 access to everything */
#define PMUSERENR_SW (1ull << 1)  /* EL0 writes to PMSWINC_EL0 */
#define PMUSERENR_CR (1ull << 2)  /* EL0 reads of PMCCNTR_EL0 */
#define PMUSERENR_ER (1ull << 3)  /* EL0 reads of event counters, PMSELR writes */

/* ------------------------------------------ common architectural event numbers */
#define PMU_EV_SW_INCR 0x0000
#define PMU_EV_L1I_CACHE_REFILL 0x0001
#define PMU_EV_L1I_TLB_REFILL 0x0002
#define PMU_EV_L1D_CACHE_REFILL 0x0003
#define PMU_EV_L1D_CACHE 0x0004
#define PMU_EV_L1D_TLB_REFILL 0x0005
#define PMU_EV_LD_RETIRED 0x0006
#define PMU_EV_ST_RETIRED 0x0007
#define PMU_EV_INST_RETIRED 0x0008
#define PMU_EV_EXC_TAKEN 0x0009
#define PMU_EV_EXC_RETURN 0x000a
#define PMU_EV_CID_WRITE_RETIRED 0x000b
#define PMU_EV_PC_WRITE_RETIRED 0x000c
#define PMU_EV_BR_IMMED_RETIRED 0x000d
#define PMU_EV_BR_RETURN_RETIRED 0x000e
#define PMU_EV_UNALIGNED_LDST_RETIRED 0x000f
#define PMU_EV_BR_MIS_PRED 0x0010
#define PMU_EV_CPU_CYCLES 0x0011
#define PMU_EV_BR_PRED 0x0012
#define PMU_EV_MEM_ACCESS 0x0013
#define PMU_EV_L1I_CACHE 0x0014
#define PMU_EV_L1D_CACHE_WB 0x0015
#define PMU_EV_L2D_CACHE 0x0016
#define PMU_EV_L2D_CACHE_REFILL 0x0017
#define PMU_EV_L2D_CACHE_WB 0x0018
#define PMU_EV_BUS_ACCESS 0x0019
#define PMU_EV_MEMORY_ERROR 0x001a
#define PMU_EV_INST_SPEC 0x001b
#define PMU_EV_TTBR_WRITE_RETIRED 0x001c
#define PMU_EV_BUS_CYCLES 0x001d
#define PMU_EV_CHAIN 0x001e
#define PMU_EV_BR_RETIRED 0x0021
#define PMU_EV_BR_MIS_PRED_RETIRED 0x0022
#define PMU_EV_STALL_FRONTEND 0x0023
#define PMU_EV_STALL_BACKEND 0x0024
#define PMU_EV_LL_CACHE_RD 0x0036
#define PMU_EV_LL_CACHE_MISS_RD 0x0037
#define PMU_EV_STALL 0x003c
#define PMU_EV_STALL_SLOT 0x003f

/* ------------------------------------------------ named register accessors */
static inline uint64_t read_pmcr_el0(void) { return sdk_read_sysreg(S3_3_C9_C12_0); }
static inline void write_pmcr_el0(uint64_t v) { sdk_write_sysreg(S3_3_C9_C12_0, v); }
static inline uint64_t read_pmcntenset_el0(void) { return sdk_read_sysreg(S3_3_C9_C12_1); }
static inline void write_pmcntenset_el0(uint64_t v) { sdk_write_sysreg(S3_3_C9_C12_1, v); }
static inline uint64_t read_pmcntenclr_el0(void) { return sdk_read_sysreg(S3_3_C9_C12_2); }
static inline void write_pmcntenclr_el0(uint64_t v) { sdk_write_sysreg(S3_3_C9_C12_2, v); }
static inline uint64_t read_pmovsclr_el0(void) { return sdk_read_sysreg(S3_3_C9_C12_3); }
static inline void write_pmovsclr_el0(uint64_t v) { sdk_write_sysreg(S3_3_C9_C12_3, v); }
static inline void write_pmswinc_el0(uint64_t v) { sdk_write_sysreg(S3_3_C9_C12_4, v); }
static inline uint64_t read_pmselr_el0(void) { return sdk_read_sysreg(S3_3_C9_C12_5); }
static inline void write_pmselr_el0(uint64_t v) { sdk_write_sysreg(S3_3_C9_C12_5, v); }
static inline uint64_t read_pmceid0_el0(void) { return sdk_read_sysreg(S3_3_C9_C12_6); }
static inline uint64_t read_pmceid1_el0(void) { return sdk_read_sysreg(S3_3_C9_C12_7); }
static inline uint64_t read_pmccntr_el0(void) { return sdk_read_sysreg(S3_3_C9_C13_0); }
static inline void write_pmccntr_el0(uint64_t v) { sdk_write_sysreg(S3_3_C9_C13_0, v); }
static inline uint64_t read_pmxevtyper_el0(void) { return sdk_read_sysreg(S3_3_C9_C13_1); }
static inline void write_pmxevtyper_el0(uint64_t v) { sdk_write_sysreg(S3_3_C9_C13_1, v); }
static inline uint64_t read_pmxevcntr_el0(void) { return sdk_read_sysreg(S3_3_C9_C13_2); }
static inline void write_pmxevcntr_el0(uint64_t v) { sdk_write_sysreg(S3_3_C9_C13_2, v); }
static inline uint64_t read_pmuserenr_el0(void) { return sdk_read_sysreg(S3_3_C9_C14_0); }
static inline void write_pmuserenr_el0(uint64_t v) { sdk_write_sysreg(S3_3_C9_C14_0, v); }
static inline uint64_t read_pmintenset_el1(void) { return sdk_read_sysreg(S3_0_C9_C14_1); }
static inline void write_pmintenset_el1(uint64_t v) { sdk_write_sysreg(S3_0_C9_C14_1, v); }
static inline uint64_t read_pmintenclr_el1(void) { return sdk_read_sysreg(S3_0_C9_C14_2); }
static inline void write_pmintenclr_el1(uint64_t v) { sdk_write_sysreg(S3_0_C9_C14_2, v); }
static inline uint64_t read_pmovsset_el0(void) { return sdk_read_sysreg(S3_3_C9_C14_3); }
static inline void write_pmovsset_el0(uint64_t v) { sdk_write_sysreg(S3_3_C9_C14_3, v); }
static inline uint64_t read_pmccfiltr_el0(void) { return sdk_read_sysreg(S3_3_C14_C15_7); }
static inline void write_pmccfiltr_el0(uint64_t v) { sdk_write_sysreg(S3_3_C14_C15_7, v); }
static inline uint64_t read_pmmir_el1(void) { return sdk_read_sysreg(S3_0_C9_C14_6); }

/* ------------------------------- PMEVCNTR<n>_EL0 / PMEVTYPER<n>_EL0 by index */
/* MRS/MSR encode the register in the instruction, so a run-time index needs one
   instruction per register: PMEVCNTR<n> is S3_3_C14_C(8+n/8)_(n%8), PMEVTYPER<n> is
   S3_3_C14_C(12+n/8)_(n%8). n must be 0..30; other values read 0 / are ignored
   (index 31 of the PMEVTYPER space is PMCCFILTR_EL0: use its own accessor). */
static inline uint64_t pmu_read_evcntr(unsigned n)
{
    switch (n) {
    case 0: return sdk_read_sysreg(S3_3_C14_C8_0);
    case 1: return sdk_read_sysreg(S3_3_C14_C8_1);
    case 2: return sdk_read_sysreg(S3_3_C14_C8_2);
    case 3: return sdk_read_sysreg(S3_3_C14_C8_3);
    case 4: return sdk_read_sysreg(S3_3_C14_C8_4);
    case 5: return sdk_read_sysreg(S3_3_C14_C8_5);
    case 6: return sdk_read_sysreg(S3_3_C14_C8_6);
    case 7: return sdk_read_sysreg(S3_3_C14_C8_7);
    case 8: return sdk_read_sysreg(S3_3_C14_C9_0);
    case 9: return sdk_read_sysreg(S3_3_C14_C9_1);
    case 10: return sdk_read_sysreg(S3_3_C14_C9_2);
    case 11: return sdk_read_sysreg(S3_3_C14_C9_3);
    case 12: return sdk_read_sysreg(S3_3_C14_C9_4);
    case 13: return sdk_read_sysreg(S3_3_C14_C9_5);
    case 14: return sdk_read_sysreg(S3_3_C14_C9_6);
    case 15: return sdk_read_sysreg(S3_3_C14_C9_7);
    case 16: return sdk_read_sysreg(S3_3_C14_C10_0);
    case 17: return sdk_read_sysreg(S3_3_C14_C10_1);
    case 18: return sdk_read_sysreg(S3_3_C14_C10_2);
    case 19: return sdk_read_sysreg(S3_3_C14_C10_3);
    case 20: return sdk_read_sysreg(S3_3_C14_C10_4);
    case 21: return sdk_read_sysreg(S3_3_C14_C10_5);
    case 22: return sdk_read_sysreg(S3_3_C14_C10_6);
    case 23: return sdk_read_sysreg(S3_3_C14_C10_7);
    case 24: return sdk_read_sysreg(S3_3_C14_C11_0);
    case 25: return sdk_read_sysreg(S3_3_C14_C11_1);
    case 26: return sdk_read_sysreg(S3_3_C14_C11_2);
    case 27: return sdk_read_sysreg(S3_3_C14_C11_3);
    case 28: return sdk_read_sysreg(S3_3_C14_C11_4);
    case 29: return sdk_read_sysreg(S3_3_C14_C11_5);
    case 30: return sdk_read_sysreg(S3_3_C14_C11_6);
    default: return 0;
    }
}

static inline void pmu_write_evcntr(unsigned n, uint64_t v)
{
    switch (n) {
    case 0: sdk_write_sysreg(S3_3_C14_C8_0, v); return;
    case 1: sdk_write_sysreg(S3_3_C14_C8_1, v); return;
    case 2: sdk_write_sysreg(S3_3_C14_C8_2, v); return;
    case 3: sdk_write_sysreg(S3_3_C14_C8_3, v); return;
    case 4: sdk_write_sysreg(S3_3_C14_C8_4, v); return;
    case 5: sdk_write_sysreg(S3_3_C14_C8_5, v); return;
    case 6: sdk_write_sysreg(S3_3_C14_C8_6, v); return;
    case 7: sdk_write_sysreg(S3_3_C14_C8_7, v); return;
    case 8: sdk_write_sysreg(S3_3_C14_C9_0, v); return;
    case 9: sdk_write_sysreg(S3_3_C14_C9_1, v); return;
    case 10: sdk_write_sysreg(S3_3_C14_C9_2, v); return;
    case 11: sdk_write_sysreg(S3_3_C14_C9_3, v); return;
    case 12: sdk_write_sysreg(S3_3_C14_C9_4, v); return;
    case 13: sdk_write_sysreg(S3_3_C14_C9_5, v); return;
    case 14: sdk_write_sysreg(S3_3_C14_C9_6, v); return;
    case 15: sdk_write_sysreg(S3_3_C14_C9_7, v); return;
    case 16: sdk_write_sysreg(S3_3_C14_C10_0, v); return;
    case 17: sdk_write_sysreg(S3_3_C14_C10_1, v); return;
    case 18: sdk_write_sysreg(S3_3_C14_C10_2, v); return;
    case 19: sdk_write_sysreg(S3_3_C14_C10_3, v); return;
    case 20: sdk_write_sysreg(S3_3_C14_C10_4, v); return;
    case 21: sdk_write_sysreg(S3_3_C14_C10_5, v); return;
    case 22: sdk_write_sysreg(S3_3_C14_C10_6, v); return;
    case 23: sdk_write_sysreg(S3_3_C14_C10_7, v); return;
    case 24: sdk_write_sysreg(S3_3_C14_C11_0, v); return;
    case 25: sdk_write_sysreg(S3_3_C14_C11_1, v); return;
    case 26: sdk_write_sysreg(S3_3_C14_C11_2, v); return;
    case 27: sdk_write_sysreg(S3_3_C14_C11_3, v); return;
    case 28: sdk_write_sysreg(S3_3_C14_C11_4, v); return;
    case 29: sdk_write_sysreg(S3_3_C14_C11_5, v); return;
    case 30: sdk_write_sysreg(S3_3_C14_C11_6, v); return;
    default: return;
    }
}

static inline uint64_t pmu_read_evtyper(unsigned n)
{
    switch (n) {
    case 0: return sdk_read_sysreg(S3_3_C14_C12_0);
    case 1: return sdk_read_sysreg(S3_3_C14_C12_1);
    case 2: return sdk_read_sysreg(S3_3_C14_C12_2);
    case 3: return sdk_read_sysreg(S3_3_C14_C12_3);
    case 4: return sdk_read_sysreg(S3_3_C14_C12_4);
    case 5: return sdk_read_sysreg(S3_3_C14_C12_5);
    case 6: return sdk_read_sysreg(S3_3_C14_C12_6);
    case 7: return sdk_read_sysreg(S3_3_C14_C12_7);
    case 8: return sdk_read_sysreg(S3_3_C14_C13_0);
    case 9: return sdk_read_sysreg(S3_3_C14_C13_1);
    case 10: return sdk_read_sysreg(S3_3_C14_C13_2);
    case 11: return sdk_read_sysreg(S3_3_C14_C13_3);
    case 12: return sdk_read_sysreg(S3_3_C14_C13_4);
    case 13: return sdk_read_sysreg(S3_3_C14_C13_5);
    case 14: return sdk_read_sysreg(S3_3_C14_C13_6);
    case 15: return sdk_read_sysreg(S3_3_C14_C13_7);
    case 16: return sdk_read_sysreg(S3_3_C14_C14_0);
    case 17: return sdk_read_sysreg(S3_3_C14_C14_1);
    case 18: return sdk_read_sysreg(S3_3_C14_C14_2);
    case 19: return sdk_read_sysreg(S3_3_C14_C14_3);
    case 20: return sdk_read_sysreg(S3_3_C14_C14_4);
    case 21: return sdk_read_sysreg(S3_3_C14_C14_5);
    case 22: return sdk_read_sysreg(S3_3_C14_C14_6);
    case 23: return sdk_read_sysreg(S3_3_C14_C14_7);
    case 24: return sdk_read_sysreg(S3_3_C14_C15_0);
    case 25: return sdk_read_sysreg(S3_3_C14_C15_1);
    case 26: return sdk_read_sysreg(S3_3_C14_C15_2);
    case 27: return sdk_read_sysreg(S3_3_C14_C15_3);
    case 28: return sdk_read_sysreg(S3_3_C14_C15_4);
    case 29: return sdk_read_sysreg(S3_3_C14_C15_5);
    case 30: return sdk_read_sysreg(S3_3_C14_C15_6);
    default: return 0;
    }
}

static inline void pmu_write_evtyper(unsigned n, uint64_t v)
{
    switch (n) {
    case 0: sdk_write_sysreg(S3_3_C14_C12_0, v); return;
    case 1: sdk_write_sysreg(S3_3_C14_C12_1, v); return;
    case 2: sdk_write_sysreg(S3_3_C14_C12_2, v); return;
    case 3: sdk_write_sysreg(S3_3_C14_C12_3, v); return;
    case 4: sdk_write_sysreg(S3_3_C14_C12_4, v); return;
    case 5: sdk_write_sysreg(S3_3_C14_C12_5, v); return;
    case 6: sdk_write_sysreg(S3_3_C14_C12_6, v); return;
    case 7: sdk_write_sysreg(S3_3_C14_C12_7, v); return;
    case 8: sdk_write_sysreg(S3_3_C14_C13_0, v); return;
    case 9: sdk_write_sysreg(S3_3_C14_C13_1, v); return;
    case 10: sdk_write_sysreg(S3_3_C14_C13_2, v); return;
    case 11: sdk_write_sysreg(S3_3_C14_C13_3, v); return;
    case 12: sdk_write_sysreg(S3_3_C14_C13_4, v); return;
    case 13: sdk_write_sysreg(S3_3_C14_C13_5, v); return;
    case 14: sdk_write_sysreg(S3_3_C14_C13_6, v); return;
    case 15: sdk_write_sysreg(S3_3_C14_C13_7, v); return;
    case 16: sdk_write_sysreg(S3_3_C14_C14_0, v); return;
    case 17: sdk_write_sysreg(S3_3_C14_C14_1, v); return;
    case 18: sdk_write_sysreg(S3_3_C14_C14_2, v); return;
    case 19: sdk_write_sysreg(S3_3_C14_C14_3, v); return;
    case 20: sdk_write_sysreg(S3_3_C14_C14_4, v); return;
    case 21: sdk_write_sysreg(S3_3_C14_C14_5, v); return;
    case 22: sdk_write_sysreg(S3_3_C14_C14_6, v); return;
    case 23: sdk_write_sysreg(S3_3_C14_C14_7, v); return;
    case 24: sdk_write_sysreg(S3_3_C14_C15_0, v); return;
    case 25: sdk_write_sysreg(S3_3_C14_C15_1, v); return;
    case 26: sdk_write_sysreg(S3_3_C14_C15_2, v); return;
    case 27: sdk_write_sysreg(S3_3_C14_C15_3, v); return;
    case 28: sdk_write_sysreg(S3_3_C14_C15_4, v); return;
    case 29: sdk_write_sysreg(S3_3_C14_C15_5, v); return;
    case 30: sdk_write_sysreg(S3_3_C14_C15_6, v); return;
    default: return;
    }
}

/* Long-hand names for the same accessors, matching the architectural register names. */
static inline uint64_t read_pmevcntr_el0(unsigned n) { return pmu_read_evcntr(n); }
static inline void write_pmevcntr_el0(unsigned n, uint64_t v) { pmu_write_evcntr(n, v); }
static inline uint64_t read_pmevtyper_el0(unsigned n) { return pmu_read_evtyper(n); }
static inline void write_pmevtyper_el0(unsigned n, uint64_t v) { pmu_write_evtyper(n, v); }

/* Number of event counters PMCR_EL0.N advertises. */
static inline unsigned pmu_num_counters(void) { return pmcr_n(read_pmcr_el0()); }

/* Whether common event `ev` (0x0000-0x003f or 0x4000-0x403f) is implemented. */
static inline int pmu_event_implemented(unsigned ev)
{
    unsigned idx = ev & 0x3f;
    uint64_t mask;
    if (ev < 0x40)
        mask = (read_pmceid0_el0() & 0xffffffffull) | (read_pmceid1_el0() << 32);
    else if (ev >= 0x4000 && ev < 0x4040)
        mask = (read_pmceid0_el0() >> 32) | (read_pmceid1_el0() & 0xffffffff00000000ull);
    else
        return 0;
    return (int)((mask >> idx) & 1);
}

#endif
