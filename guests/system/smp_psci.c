// Four vCPUs: vCPU 0 brings up vCPUs 1-3 with PSCI CPU_ON; each counts into a shared
// counter with an LSE atomic, prints in its turn, and powers itself off with CPU_OFF;
// vCPU 0 then checks AFFINITY_INFO and the PSCI error codes. Deterministic on any
// scheduler because every print happens in an order the guest enforces.
#include "sdk.h"

#define NCPUS 4
#define ROUNDS 1000

static volatile uint64_t turn;  // 0 until vCPU 0 has printed its own lines
static volatile uint64_t done;
static uint64_t counter;

static uint64_t mpidr_of(unsigned id) { return id; /* Aff0 = vCPU id, as KVM and QEMU virt number them */ }

static void secondary(uint64_t id) {
  for (int i = 0; i < ROUNDS; ++i) __atomic_fetch_add(&counter, id, __ATOMIC_RELAXED);
  while (__atomic_load_n(&turn, __ATOMIC_ACQUIRE) != id) {
  }
  sdk_printf("cpu%lu: hello, context id %lu, MPIDR aff0 %lu\n", id, id, sdk_mpidr_affinity() & 0xff);
  __atomic_store_n(&turn, id + 1, __ATOMIC_RELEASE);
  __atomic_fetch_add(&done, 1, __ATOMIC_RELEASE);
  sdk_psci_cpu_off();
}

int main(uint64_t arg) {
  sdk_printf("cpu0: PSCI version 0x%x\n", sdk_psci_version());
  for (unsigned id = 1; id < NCPUS; ++id) {
    const int64_t r = sdk_cpu_start(mpidr_of(id), secondary, id, sdk_cpu_stack_top(id));
    sdk_printf("cpu0: CPU_ON(%u) = %ld\n", id, (long)r);
  }
  sdk_printf("cpu0: CPU_ON(nonexistent) = %ld\n", (long)sdk_psci_cpu_on(0x77, 0x40080000, 0));
  sdk_printf("cpu0: CPU_ON(self) = %ld\n", (long)sdk_psci_cpu_on(0, 0x40080000, 0));
  __atomic_store_n(&turn, 1, __ATOMIC_RELEASE);
  while (__atomic_load_n(&done, __ATOMIC_ACQUIRE) != NCPUS - 1) {
  }
  // A vCPU that has called CPU_OFF may still be finishing it: wait until PSCI agrees.
  for (unsigned id = 1; id < NCPUS; ++id) {
    while (sdk_psci_affinity_info(mpidr_of(id), 0) != 1) {
    }
  }
  sdk_printf("cpu0: all secondaries off; counter = %lu (expected %d)\n", counter, ROUNDS * (1 + 2 + 3));
  return counter == ROUNDS * 6 ? 0 : 1;
}
