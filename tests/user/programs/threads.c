// Threads: clone(CLONE_VM|CLONE_THREAD|...), futex wait/wake, CLONE_CHILD_CLEARTID as
// pthread_join uses it, sleeping in emulated time, gettid, and exit of one thread; a thread
// that makes a system call every few instructions still hands its pCPU to a runnable one.
#include "raw.h"
PROGRAM_MAIN

enum { SYS_futex = 98, SYS_gettid = 178, SYS_nanosleep = 101, SYS_clock_gettime = 113, SYS_exit_group = 94 };
#define CLONE_FLAGS (0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000 | 0x100000 | 0x200000)

static volatile int counter;
static volatile int tids[4];
static char stacks[4][16384] __attribute__((aligned(16)));

// Starts fn(arg) on a new thread with stack top sp; returns the new tid in the parent.
long spawn(void (*fn)(long), long arg, void* sp, volatile int* ctid);
__asm__(".globl spawn\nspawn:\n"
        " mov x9, x0\n mov x10, x1\n"          // fn, arg survive in the child's registers
        " mov x1, x2\n"                        // newsp
        " mov x4, x3\n"                        // child_tid
        " mov x2, x3\n mov x3, #0\n"           // parent_tid, tls
        " movz x0, #0x0f00\n movk x0, #0x0035, lsl #16\n"  // CLONE_FLAGS
        " mov x8, #220\n svc #0\n"
        " cbnz x0, 1f\n"
        " mov x0, x10\n blr x9\n"
        " mov x0, #0\n mov x8, #93\n svc #0\n"  // exit(0): this thread only
        "1: ret\n");

static volatile int flag;
static void set_flag(long n) { flag = (int)n; }

static void worker(long n) {
  struct { long s, ns; } ts = {0, 1000000 * (n + 1)};  // 1..4 ms of emulated time
  sys(SYS_nanosleep, &ts, 0, 0);
  tids[n] = (int)sys(SYS_gettid, 0, 0, 0);
  __atomic_fetch_add(&counter, 1, __ATOMIC_SEQ_CST);
}

int main(long argc, char** argv, char** envp) {
  volatile int ctid[4];
  long t[4];
  struct { long s, ns; } before, after;
  sys(SYS_clock_gettime, 1, &before, 0);
  for (int i = 0; i < 4; ++i) {
    ctid[i] = 0;
    t[i] = spawn(worker, i, stacks[i] + sizeof stacks[i], &ctid[i]);
    check(t[i] > 1, "clone returns the new thread id");
  }
  // pthread_join: wait until the kernel clears the child tid at thread exit.
  for (int i = 0; i < 4; ++i)
    while (ctid[i] != 0) sys6(SYS_futex, (long)&ctid[i], 0 /* FUTEX_WAIT */, ctid[i], 0, 0, 0);
  check(counter == 4, "every thread ran");
  for (int i = 0; i < 4; ++i) check(tids[i] == t[i], "gettid in the thread is what clone returned");
  sys(SYS_clock_gettime, 1, &after, 0);
  long elapsed = (after.s - before.s) * 1000000000 + (after.ns - before.ns);
  check(elapsed >= 4000000, "the sleeps took emulated time");
  check(elapsed < 1000000000, "and no more than they asked");
  // A quantum is a thread's turn, not the stretch between two of its system calls: this
  // loop makes one every few instructions, and the new thread must still get to run (a
  // million calls are about a hundred quanta).
  volatile int ctid2 = 0;
  spawn(set_flag, 7, stacks[0] + sizeof stacks[0], &ctid2);
  long calls = 0;
  while (flag != 7 && calls < 1000000) {
    sys(SYS_gettid, 0, 0, 0);
    ++calls;
  }
  check(flag == 7, "a runnable thread runs beside one that keeps making system calls");
  while (ctid2 != 0) sys6(SYS_futex, (long)&ctid2, 0 /* FUTEX_WAIT */, ctid2, 0, 0, 0);
  puts_("threads: all checks passed\n");
  sys(SYS_exit_group, 0, 0, 0);
  return 0;
}
