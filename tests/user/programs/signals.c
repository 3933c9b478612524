/* Signals under `pmuemu user` (dynamically linked against Debian's cross glibc), each
 * expectation from POSIX and Linux's documented behaviour:
 *   - a handler installed with signal() returns (glibc on arm64 gives no sa_restorer: the
 *     return goes through the kernel's trampoline);
 *   - masks are per thread: a signal sent with tgkill to a thread that blocks it stays
 *     pending for that thread (sigpending), and runs its handler in that thread once the
 *     thread unblocks it;
 *   - a thread blocked in read() on a pipe: without SA_RESTART the read fails with EINTR;
 *     with SA_RESTART it runs again and returns the data written later;
 *   - nanosleep and a futex wait end with EINTR;
 *   - sigtimedwait takes a blocked pending signal, and times out with EAGAIN;
 *   - signalfd: poll() sees it readable while a signal of its mask is pending, and read()
 *     returns that signal's number;
 *   - SIGPIPE ignored: the write fails with EPIPE; SIGCHLD and SIGURG ignored by default;
 *   - KVM_RUN of a vCPU spinning in its guest: a signal that KVM_SET_SIGNAL_MASK lets
 *     through ends it with EINTR and exit reason KVM_EXIT_INTR; one the thread does not
 *     block runs its handler, which sets immediate_exit as QEMU's does.
 * Prints "signals: all checks passed" and exits 0, or names each failure and exits 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/kvm.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define CHECK_NAME "signals"
#include "check.h"

static volatile sig_atomic_t hits;
static volatile pid_t handler_tid;
static void on_signal(int sig) {
  (void)sig;
  ++hits;
  handler_tid = gettid();
}

static void install(int sig, int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sa.sa_flags = flags;
  sigaction(sig, &sa, NULL);
}

/* Spins (yielding) until *flag is set by another thread. */
static void wait_for(atomic_int* flag) {
  while (!atomic_load(flag)) sched_yield();
}

/* ---- per-thread masks ---- */
static atomic_int masked_ready, masked_go;
static volatile int masked_pending_seen;
static volatile pid_t masked_tid;
static void* masked_thread(void* arg) {
  (void)arg;
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &s, NULL);
  masked_tid = gettid();
  atomic_store(&masked_ready, 1);
  wait_for(&masked_go);
  sigset_t p;
  sigpending(&p);
  masked_pending_seen = sigismember(&p, SIGUSR2);
  pthread_sigmask(SIG_UNBLOCK, &s, NULL); /* the handler runs here, in this thread */
  return NULL;
}

/* ---- interrupted waits ---- */
struct waiter {
  int what;  /* 0 read, 1 nanosleep, 2 futex */
  int fd;
  atomic_int started;
  long result;
  int err;
  char buf[8];
};
static atomic_int futex_word;
static void* waiter_thread(void* arg) {
  struct waiter* w = arg;
  w->result = 0;
  atomic_store(&w->started, 1);
  if (w->what == 0) {
    w->result = read(w->fd, w->buf, sizeof w->buf);
  } else if (w->what == 1) {
    struct timespec ts = {1000, 0};
    w->result = nanosleep(&ts, NULL);
  } else {
    w->result = syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
  }
  w->err = errno;
  return NULL;
}

static void interrupted(const char* name, int what, int sa_flags, int write_after, long want, int want_errno) {
  int pfd[2];
  pipe(pfd);
  install(SIGUSR1, sa_flags);
  struct waiter w = {.what = what, .fd = pfd[0]};
  pthread_t t;
  pthread_create(&t, NULL, waiter_thread, &w);
  wait_for(&w.started);
  for (int i = 0; i < 50; ++i) sched_yield(); /* let it block */
  const int before = hits;
  pthread_kill(t, SIGUSR1);
  for (int i = 0; i < 50; ++i) sched_yield();
  if (write_after) write(pfd[1], "abc", 3);
  pthread_join(t, NULL);
  CHECK(hits == before + 1, "%s: the handler ran %d times", name, hits - before);
  CHECK(w.result == want && (want >= 0 || w.err == want_errno), "%s: returned %ld errno %d, expected %ld errno %d",
        name, w.result, w.err, want, want_errno);
  close(pfd[0]);
  close(pfd[1]);
}

/* ---- KVM_RUN and signals ---- */
static struct kvm_run* run;
static void kick(int sig) {
  (void)sig;
  run->immediate_exit = 1; /* as QEMU's SIG_IPI handler does */
}
struct vcpu_arg {
  int fd, block_ipi;
  atomic_int ready;
  long rc;
  int err;
  unsigned reason;
};
static void* vcpu_thread(void* arg) {
  struct vcpu_arg* v = arg;
  if (v->block_ipi) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
  }
  atomic_store(&v->ready, 1);
  v->rc = ioctl(v->fd, KVM_RUN, 0);
  v->err = errno;
  v->reason = run->exit_reason;
  return NULL;
}

static void kvm_checks(void) {
  int kvm = open("/dev/kvm", O_RDWR);
  CHECK(kvm >= 0, "open /dev/kvm: %m");
  if (kvm < 0) return;
  int vm = ioctl(kvm, KVM_CREATE_VM, 0);
  uint32_t* mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  mem[0] = 0x14000000u; /* b . */
  struct kvm_userspace_memory_region slot = {0, 0, 0x40000000, 0x10000, (uint64_t)(uintptr_t)mem};
  CHECK(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &slot) == 0, "KVM_SET_USER_MEMORY_REGION: %m");
  int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
  struct kvm_vcpu_init init;
  ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init);
  CHECK(ioctl(vcpu, KVM_ARM_VCPU_INIT, &init) == 0, "KVM_ARM_VCPU_INIT: %m");
  uint64_t pc = 0x40000000;
  struct kvm_one_reg reg = {0x6030000000100040ull, (uint64_t)(uintptr_t)&pc}; /* core regs.pc */
  CHECK(ioctl(vcpu, KVM_SET_ONE_REG, &reg) == 0, "KVM_SET_ONE_REG(pc): %m");
  run = mmap(NULL, ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
  CHECK(run != MAP_FAILED, "mmap kvm_run: %m");
  if (run == MAP_FAILED) return;

  /* The thread blocks SIGUSR1; KVM_SET_SIGNAL_MASK lets it through during KVM_RUN. */
  struct kvm_signal_mask* km = calloc(1, sizeof *km + 8);
  km->len = 8;
  CHECK(ioctl(vcpu, KVM_SET_SIGNAL_MASK, km) == 0, "KVM_SET_SIGNAL_MASK: %m");
  install(SIGUSR1, 0);
  struct vcpu_arg a = {.fd = vcpu, .block_ipi = 1};
  pthread_t t;
  pthread_create(&t, NULL, vcpu_thread, &a);
  wait_for(&a.ready);
  for (int i = 0; i < 20; ++i) sched_yield(); /* the guest spins in KVM_RUN */
  int before = hits;
  pthread_kill(t, SIGUSR1);
  pthread_join(t, NULL);
  CHECK(a.rc == -1 && a.err == EINTR && a.reason == KVM_EXIT_INTR,
        "KVM_RUN with the signal let through by KVM_SET_SIGNAL_MASK: rc %ld errno %d exit %u", a.rc, a.err,
        a.reason);
  CHECK(hits == before, "the handler of a signal the thread blocks ran");

  /* QEMU's way: no signal mask for the vCPU, SIGUSR1 unblocked, the handler sets
   * immediate_exit. */
  ioctl(vcpu, KVM_SET_SIGNAL_MASK, NULL);
  install(SIGUSR1, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = kick;
  sigaction(SIGUSR1, &sa, NULL);
  struct vcpu_arg b = {.fd = vcpu, .block_ipi = 0};
  run->immediate_exit = 0;
  pthread_create(&t, NULL, vcpu_thread, &b);
  wait_for(&b.ready);
  for (int i = 0; i < 20; ++i) sched_yield();
  pthread_kill(t, SIGUSR1);
  pthread_join(t, NULL);
  CHECK(b.rc == -1 && b.err == EINTR && b.reason == KVM_EXIT_INTR && run->immediate_exit == 1,
        "KVM_RUN interrupted by a handled signal: rc %ld errno %d exit %u immediate_exit %u", b.rc, b.err, b.reason,
        run->immediate_exit);
  b.ready = 0;
  pthread_create(&t, NULL, vcpu_thread, &b);
  pthread_join(t, NULL);
  CHECK(b.rc == -1 && b.err == EINTR, "KVM_RUN with immediate_exit set: rc %ld errno %d", b.rc, b.err);
  run->immediate_exit = 0;
}

int main(void) {
  /* A handler without SA_RESTORER returns. */
  signal(SIGUSR1, on_signal);
  raise(SIGUSR1);
  CHECK(hits == 1 && handler_tid == gettid(), "raise(SIGUSR1): handler ran %d times", hits);

  /* Per-thread masks. */
  install(SIGUSR2, 0);
  pthread_t t;
  pthread_create(&t, NULL, masked_thread, NULL);
  wait_for(&masked_ready);
  int before = hits;
  CHECK(syscall(SYS_tgkill, getpid(), masked_tid, SIGUSR2) == 0, "tgkill: %m");
  CHECK(hits == before, "a signal the target thread blocks ran its handler at once");
  atomic_store(&masked_go, 1);
  pthread_join(t, NULL);
  CHECK(masked_pending_seen == 1, "sigpending() in the target thread lacks SIGUSR2");
  CHECK(hits == before + 1 && handler_tid == masked_tid, "after unblocking: %d handler runs, in tid %d (target %d)",
        hits - before, (int)handler_tid, (int)masked_tid);
  CHECK(syscall(SYS_tgkill, getpid(), 99999, SIGUSR2) == -1 && errno == ESRCH, "tgkill of no thread: expected ESRCH");

  /* Interrupted waits. */
  interrupted("read without SA_RESTART", 0, 0, 0, -1, EINTR);
  interrupted("read with SA_RESTART", 0, SA_RESTART, 1, 3, 0);
  interrupted("nanosleep", 1, SA_RESTART, 0, -1, EINTR);
  interrupted("futex wait", 2, 0, 0, -1, EINTR);

  /* sigtimedwait and signalfd on blocked signals. */
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  sigaddset(&s, SIGUSR2);
  sigprocmask(SIG_BLOCK, &s, NULL);
  kill(getpid(), SIGUSR1);
  siginfo_t info;
  struct timespec zero = {0, 0}, short_wait = {0, 5000000};
  CHECK(sigtimedwait(&s, &info, &zero) == SIGUSR1 && info.si_signo == SIGUSR1, "sigtimedwait did not take SIGUSR1");
  CHECK(sigtimedwait(&s, &info, &short_wait) == -1 && errno == EAGAIN, "sigtimedwait with nothing pending: expected EAGAIN");
  sigset_t only2;
  sigemptyset(&only2);
  sigaddset(&only2, SIGUSR2);
  int sfd = signalfd(-1, &only2, SFD_NONBLOCK);
  CHECK(sfd >= 0, "signalfd: %m");
  struct pollfd pf = {.fd = sfd, .events = POLLIN};
  CHECK(poll(&pf, 1, 0) == 0, "signalfd readable with nothing pending");
  kill(getpid(), SIGUSR2);
  CHECK(poll(&pf, 1, 0) == 1 && (pf.revents & POLLIN), "signalfd not readable with SIGUSR2 pending");
  struct signalfd_siginfo si;
  CHECK(read(sfd, &si, sizeof si) == sizeof si && si.ssi_signo == SIGUSR2, "signalfd read: signo %u", si.ssi_signo);
  CHECK(read(sfd, &si, sizeof si) == -1 && errno == EAGAIN, "signalfd read with nothing pending: expected EAGAIN");
  close(sfd);
  sigprocmask(SIG_UNBLOCK, &s, NULL);

  /* Ignored signals. */
  signal(SIGPIPE, SIG_IGN);
  int pfd[2];
  pipe(pfd);
  close(pfd[0]);
  CHECK(write(pfd[1], "x", 1) == -1 && errno == EPIPE, "write to a pipe nobody reads: expected EPIPE");
  close(pfd[1]);
  kill(getpid(), SIGCHLD);
  kill(getpid(), SIGURG);

  kvm_checks();

  if (failures == 0) printf("signals: all checks passed\n");
  return failures == 0 ? 0 : 1;
}
