// userfaultfd with the program's own accesses: a second thread touches registered pages
// that are missing and waits in the fault while the main thread, as the handler, waits in
// epoll_pwait on the uffd and a pipe, reads each struct uffd_msg (address, WRITE flag,
// thread id) and answers with UFFDIO_COPY or UFFDIO_ZEROPAGE. A page dropped with
// MADV_DONTNEED faults again; UFFDIO_ZEROPAGE with DONTWAKE leaves the thread waiting
// until UFFDIO_WAKE.
#include "raw.h"
PROGRAM_MAIN

enum { SYS_futex = 98, SYS_gettid = 178, SYS_nanosleep = 101, SYS_exit_group = 94, SYS_ioctl = 29,
       SYS_userfaultfd = 282, SYS_pipe2 = 59, SYS_epoll_create1 = 20, SYS_epoll_ctl = 21, SYS_epoll_pwait = 22,
       SYS_madvise = 233 };
#define CLONE_FLAGS (0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000 | 0x100000 | 0x200000)
// <linux/userfaultfd.h>
#define UFFDIO_API 0xc018aa3ful
#define UFFDIO_REGISTER 0xc020aa00ul
#define UFFDIO_WAKE 0x8010aa02ul
#define UFFDIO_COPY 0xc028aa03ul
#define UFFDIO_ZEROPAGE 0xc020aa04ul
#define PAGE 4096

long spawn(void (*fn)(long), long arg, void* sp, volatile int* ctid);
__asm__(".globl spawn\nspawn:\n"
        " mov x9, x0\n mov x10, x1\n mov x1, x2\n mov x4, x3\n mov x2, x3\n mov x3, #0\n"
        " movz x0, #0x0f00\n movk x0, #0x0035, lsl #16\n"
        " mov x8, #220\n svc #0\n cbnz x0, 1f\n mov x0, x10\n blr x9\n"
        " mov x0, #0\n mov x8, #93\n svc #0\n1: ret\n");

static void nap(long ns) {
  long ts[2] = {0, ns};
  sys(SYS_nanosleep, ts, 0, 0);
}

static char stack[16384] __attribute__((aligned(16)));
static char src[PAGE] __attribute__((aligned(PAGE)));
static volatile unsigned long* mem;
static volatile unsigned long seen[4];
static volatile int step, child_tid;

static void toucher(long unused) {
  (void)unused;
  child_tid = (int)sys(SYS_gettid, 0, 0, 0);
  seen[0] = mem[0];                 // read fault on page 0: copied in
  mem[PAGE / 8] = 7;                // write fault on page 1: zero page in, then the store
  seen[1] = mem[PAGE / 8];
  step = 1;
  while (step != 2) nap(100000);
  seen[2] = mem[0];                 // page 0 was dropped: faults again, zero-filled
  seen[3] = mem[2 * PAGE / 8];      // page 2: zero page with DONTWAKE, then UFFDIO_WAKE
}

struct msg { unsigned char event, r1; unsigned short r2; unsigned r3; unsigned long flags, address; unsigned ptid, pad; };

static long wait_fault(long ep, long uffd, struct msg* m) {
  struct { unsigned events; unsigned pad; unsigned long data; } ev;
  for (;;) {
    long n = sys6(SYS_epoll_pwait, ep, (long)&ev, 1, -1, 0, 0);
    check(n == 1, "epoll_pwait returns one ready file");
    check(ev.data == 1, "the ready file is the uffd");
    long r = sys(SYS_read, uffd, m, sizeof *m);
    if (r == -11) continue;  // EAGAIN: woken before it was read
    check(r == sizeof *m, "read returns one struct uffd_msg");
    check(m->event == 0x12, "a page-fault message");
    return r;
  }
}

int main(long argc, char** argv, char** envp) {
  mem = (volatile unsigned long*)sys6(SYS_mmap, 0, 4 * PAGE, 3, 0x22, -1, 0);
  check((long)mem > 0, "mmap");
  for (int i = 0; i < PAGE / 8; ++i) ((unsigned long*)src)[i] = 0xabc000 + i;
  long uffd = sys(SYS_userfaultfd, 04000 /* O_NONBLOCK */, 0, 0);
  check(uffd >= 3, "userfaultfd");
  unsigned long api[3] = {0xaa, 1 << 8 /* THREAD_ID */, 0};
  check(sys(SYS_ioctl, uffd, UFFDIO_API, api) == 0, "UFFDIO_API");
  unsigned long reg[4] = {(unsigned long)mem, 4 * PAGE, 1 /* MISSING */, 0};
  check(sys(SYS_ioctl, uffd, UFFDIO_REGISTER, reg) == 0, "UFFDIO_REGISTER");
  int pipefd[2];
  check(sys(SYS_pipe2, pipefd, 04000, 0) == 0, "pipe2");
  long ep = sys(SYS_epoll_create1, 0, 0, 0);
  struct { unsigned events; unsigned pad; unsigned long data; } ev = {1, 0, 1};
  check(sys6(SYS_epoll_ctl, ep, 1, uffd, (long)&ev, 0, 0) == 0, "epoll_ctl uffd");
  ev.data = 2;
  check(sys6(SYS_epoll_ctl, ep, 1, pipefd[0], (long)&ev, 0, 0) == 0, "epoll_ctl pipe");

  volatile int ctid = 0;
  long tid = spawn(toucher, 0, stack + sizeof stack, &ctid);
  check(tid > 1, "clone");
  struct msg m;
  wait_fault(ep, uffd, &m);
  check(m.address == (unsigned long)mem && m.flags == 0, "a read fault on page 0");
  check(m.ptid == (unsigned)tid, "from the second thread (UFFD_FEATURE_THREAD_ID)");
  unsigned long copy[5] = {(unsigned long)mem, (unsigned long)src, PAGE, 0, 0};
  check(sys(SYS_ioctl, uffd, UFFDIO_COPY, copy) == 0 && copy[4] == PAGE, "UFFDIO_COPY");
  check(sys(SYS_ioctl, uffd, UFFDIO_COPY, copy) == -17, "a second copy is EEXIST");
  wait_fault(ep, uffd, &m);
  check(m.address == (unsigned long)mem + PAGE && m.flags == 1, "a write fault on page 1");
  unsigned long zero[4] = {(unsigned long)mem + PAGE, PAGE, 0, 0};
  check(sys(SYS_ioctl, uffd, UFFDIO_ZEROPAGE, zero) == 0, "UFFDIO_ZEROPAGE");
  while (step != 1) nap(100000);
  check(seen[0] == 0xabc000 && seen[1] == 7, "the thread saw the copied page and its own store");
  // Drop page 0: it is missing again.
  check(sys(SYS_madvise, mem, PAGE, 4 /* MADV_DONTNEED */) == 0, "madvise");
  step = 2;
  wait_fault(ep, uffd, &m);
  check(m.address == (unsigned long)mem && m.flags == 0, "the dropped page faults again");
  zero[0] = (unsigned long)mem;
  check(sys(SYS_ioctl, uffd, UFFDIO_ZEROPAGE, zero) == 0, "UFFDIO_ZEROPAGE page 0");
  wait_fault(ep, uffd, &m);
  check(m.address == (unsigned long)mem + 2 * PAGE, "page 2 faults");
  zero[0] = (unsigned long)mem + 2 * PAGE;
  zero[2] = 1;  // UFFDIO_ZEROPAGE_MODE_DONTWAKE
  check(sys(SYS_ioctl, uffd, UFFDIO_ZEROPAGE, zero) == 0, "UFFDIO_ZEROPAGE with DONTWAKE");
  nap(2000000);
  check(ctid != 0, "the thread still waits after DONTWAKE");
  unsigned long wake[2] = {(unsigned long)mem + 2 * PAGE, PAGE};
  check(sys(SYS_ioctl, uffd, UFFDIO_WAKE, wake) == 0, "UFFDIO_WAKE");
  while (ctid != 0) sys6(SYS_futex, (long)&ctid, 0, ctid, 0, 0, 0);
  check(seen[2] == 0 && seen[3] == 0, "zero-filled pages read as zero");
  // The pipe wakes the handler's epoll_pwait, as the selftests stop their readers.
  check(sys(SYS_write, pipefd[1], "x", 1) == 1, "write to the pipe");
  check(sys6(SYS_epoll_pwait, ep, (long)&ev, 1, -1, 0, 0) == 1 && ev.data == 2, "the pipe is ready");
  puts_("uffd: all checks passed\n");
  sys(SYS_exit_group, 0, 0, 0);
  return 0;
}
