/* Thread names and --thread-cpu under `pmuemu user` (dynamically linked against Debian's
 * cross glibc). Run with --vmm-cpu 0 --thread-cpu worker=5:
 *   - a process starts named after its program's file (prctl PR_GET_NAME);
 *   - pthread_setname_np on the calling thread (prctl PR_SET_NAME) and pthread_getname_np
 *     round-trip; a name of 16 characters or more is ERANGE in glibc, and prctl itself keeps
 *     15 characters;
 *   - a new thread starts with its creator's name and pCPU (0), and once it names itself
 *     "worker" it runs on pCPU 5 (getcpu) with an affinity of pCPU 5 alone
 *     (sched_getaffinity), while the main thread stays on pCPU 0;
 *   - another name does not move a thread.
 * Prints "thread_names: all checks passed" and exits 0, or names each failure and exits 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define CHECK_NAME "thread_names"
#include "check.h"

struct seen {
  char inherited[16];
  int cpu_before, cpu_after;
  cpu_set_t mask;
};

static void* worker(void* arg) {
  struct seen* s = arg;
  prctl(PR_GET_NAME, s->inherited);
  s->cpu_before = sched_getcpu();
  pthread_setname_np(pthread_self(), "worker");
  s->cpu_after = sched_getcpu();
  CPU_ZERO(&s->mask);
  sched_getaffinity(0, sizeof s->mask, &s->mask);
  return 0;
}

static void* bystander(void* arg) {
  pthread_setname_np(pthread_self(), "bystander");
  *(int*)arg = sched_getcpu();
  return 0;
}

int main(void) {
  char name[16] = {0};
  CHECK(prctl(PR_GET_NAME, name) == 0 && strcmp(name, "thread_names") == 0, "initial name '%s'", name);
  CHECK(pthread_setname_np(pthread_self(), "main-thread") == 0, "pthread_setname_np on self");
  char got[16] = {0};
  CHECK(pthread_getname_np(pthread_self(), got, sizeof got) == 0 && strcmp(got, "main-thread") == 0,
        "pthread_getname_np gave '%s'", got);
  CHECK(pthread_setname_np(pthread_self(), "a-name-of-16-chr") == ERANGE, "a 16-character name is ERANGE");
  CHECK(prctl(PR_SET_NAME, "exactly-sixteen-chars-and-more") == 0, "PR_SET_NAME with a long name");
  CHECK(prctl(PR_GET_NAME, name) == 0 && strcmp(name, "exactly-sixteen") == 0, "long name kept as '%s'", name);
  CHECK(sched_getcpu() == 0, "main thread on pCPU %d before", sched_getcpu());

  struct seen s;
  memset(&s, 0, sizeof s);
  pthread_t t;
  CHECK(pthread_create(&t, 0, worker, &s) == 0, "pthread_create");
  pthread_join(t, 0);
  CHECK(strcmp(s.inherited, "exactly-sixteen") == 0, "new thread named '%s', not its creator's name", s.inherited);
  CHECK(s.cpu_before == 0, "worker on pCPU %d before naming itself", s.cpu_before);
  CHECK(s.cpu_after == 5, "worker on pCPU %d after naming itself 'worker' (--thread-cpu worker=5)", s.cpu_after);
  CHECK(CPU_COUNT(&s.mask) == 1 && CPU_ISSET(5, &s.mask), "worker's affinity is not pCPU 5 alone");
  CHECK(sched_getcpu() == 0, "main thread moved to pCPU %d", sched_getcpu());

  int other = -1;
  CHECK(pthread_create(&t, 0, bystander, &other) == 0, "pthread_create");
  pthread_join(t, 0);
  CHECK(other == 0, "a thread named 'bystander' moved to pCPU %d", other);

  if (failures == 0) printf("thread_names: all checks passed\n");
  return failures != 0;
}
