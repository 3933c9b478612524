// Four vCPUs hammer shared memory at once with every atomic primitive the A64 ISA has:
// LDXR/STXR (W and X), LDXP/STXP (a pair of X registers), LDADD, CAS, CASP, SWP, and
// message passing with STLR/LDAR. Under `pmuemu run --threads` the vCPUs really run in
// parallel on host threads, so a primitive that is not atomic on the host loses updates
// and the totals come out short; on the deterministic scheduler and on QEMU the same
// totals must come out. Every print is ordered by the guest, so the output is the same
// on any scheduler.
#include "sdk.h"

#define NCPUS 4
#define ROUNDS 50000

static uint32_t excl_w;
static uint64_t excl_x;
static uint64_t pair[2] __attribute__((aligned(16)));
static uint64_t lse_add;
static uint64_t cas_count;
static uint64_t casp_pair[2] __attribute__((aligned(16)));
static uint64_t swp_token;     // passed around with SWP: the sum of what everyone took
static uint64_t swp_seen[NCPUS];
static uint64_t mailbox[NCPUS];  // plain data published with a release store
static uint64_t ready;
static uint64_t arrived;  // start barrier: the work starts when every vCPU is up

static void inc_excl_w(uint32_t* p) {
  uint32_t v, fail;
  do {
    __asm__ volatile("ldxr %w0, [%2]\n\tadd %w0, %w0, #1\n\tstxr %w1, %w0, [%2]"
                     : "=&r"(v), "=&r"(fail) : "r"(p) : "memory");
  } while (fail);
}
static void inc_excl_x(uint64_t* p) {
  uint64_t v;
  uint32_t fail;
  do {
    __asm__ volatile("ldxr %0, [%2]\n\tadd %0, %0, #3\n\tstxr %w1, %0, [%2]"
                     : "=&r"(v), "=&r"(fail) : "r"(p) : "memory");
  } while (fail);
}
static void inc_pair(uint64_t* p) {
  uint64_t a, b;
  uint32_t fail;
  do {
    __asm__ volatile("ldxp %0, %1, [%3]\n\tadd %0, %0, #1\n\tadd %1, %1, #2\n\tstxp %w2, %0, %1, [%3]"
                     : "=&r"(a), "=&r"(b), "=&r"(fail) : "r"(p) : "memory");
  } while (fail);
}
static void inc_cas(uint64_t* p) {
  uint64_t old = __atomic_load_n(p, __ATOMIC_RELAXED);
  for (;;) {
    uint64_t expected = old;
    __asm__ volatile("cas %0, %2, [%1]" : "+&r"(expected) : "r"(p), "r"(old + 1) : "memory");
    if (expected == old) return;
    old = expected;
  }
}
static void inc_casp(uint64_t* p) {
  register uint64_t s0 __asm__("x4");
  register uint64_t s1 __asm__("x5");
  register uint64_t t0 __asm__("x6");
  register uint64_t t1 __asm__("x7");
  uint64_t o0 = p[0], o1 = p[1];
  for (;;) {
    s0 = o0;
    s1 = o1;
    t0 = o0 + 1;
    t1 = o1 + 5;
    __asm__ volatile("casp %0, %1, %2, %3, [%4]" : "+&r"(s0), "+&r"(s1) : "r"(t0), "r"(t1), "r"(p) : "memory");
    if (s0 == o0 && s1 == o1) return;
    o0 = s0;
    o1 = s1;
  }
}

static void work(uint64_t id) {
  __atomic_fetch_add(&arrived, 1, __ATOMIC_ACQ_REL);
  while (__atomic_load_n(&arrived, __ATOMIC_ACQUIRE) != NCPUS) {
  }
  for (int i = 0; i < ROUNDS; ++i) {
    inc_excl_w(&excl_w);
    inc_excl_x(&excl_x);
    inc_pair(pair);
    __atomic_fetch_add(&lse_add, 7, __ATOMIC_RELAXED);
    inc_cas(&cas_count);
    inc_casp(casp_pair);
  }
  // SWP: take the token, add one, put it back: every vCPU sees a distinct value.
  uint64_t t;
  while ((t = __atomic_exchange_n(&swp_token, ~0ull, __ATOMIC_ACQ_REL)) == ~0ull) {
  }
  swp_seen[id] = t;
  __atomic_store_n(&swp_token, t + 1, __ATOMIC_RELEASE);
  mailbox[id] = 1000 + id;  // plain store, published by the release below
  __atomic_fetch_add(&ready, 1, __ATOMIC_RELEASE);
}

static void secondary(uint64_t id) {
  work(id);
  sdk_psci_cpu_off();
}

int main(uint64_t arg) {
  for (unsigned id = 1; id < NCPUS; ++id) sdk_cpu_start(id, secondary, id, sdk_cpu_stack_top(id));
  work(0);
  while (__atomic_load_n(&ready, __ATOMIC_ACQUIRE) != NCPUS) {
  }
  uint64_t mail = 0, seen = 0;
  for (unsigned id = 0; id < NCPUS; ++id) {
    mail += mailbox[id];
    seen += swp_seen[id];
  }
  const uint64_t n = (uint64_t)NCPUS * ROUNDS;
  const int ok = excl_w == n && excl_x == 3 * n && pair[0] == n && pair[1] == 2 * n && lse_add == 7 * n &&
                 cas_count == n && casp_pair[0] == n && casp_pair[1] == 5 * n && swp_token == NCPUS &&
                 seen == NCPUS * (NCPUS - 1) / 2 && mail == 4000 + NCPUS * (NCPUS - 1) / 2;
  sdk_printf("ldxr/stxr w %u x %lu, ldxp/stxp %lu %lu, ldadd %lu, cas %lu, casp %lu %lu, swp %lu, mail %lu\n",
             excl_w, excl_x, pair[0], pair[1], lse_add, cas_count, casp_pair[0], casp_pair[1], swp_token, mail);
  sdk_printf("%s: %d vCPUs x %d rounds\n", ok ? "all totals exact" : "LOST UPDATES", NCPUS, ROUNDS);
  return ok ? 0 : 1;
}
