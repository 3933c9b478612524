/* eventfd(2) under `pmuemu user` (dynamically linked against Debian's cross glibc), every
 * expectation from eventfd(2)'s documented semantics:
 *   - the initial value, a read that takes the whole count and resets it, writes adding up;
 *   - EFD_SEMAPHORE: each read takes 1;
 *   - EFD_NONBLOCK: EAGAIN from a read at 0 and from a write that would pass 2^64 - 2;
 *   - EINVAL for a buffer shorter than 8 bytes and for a write of 2^64 - 1;
 *   - poll(): POLLIN only while the count is non-zero, POLLOUT while a write fits;
 *   - a blocking read in one thread woken by another thread's write;
 * and ioctl(2)'s request argument being an unsigned int: a request with its upper 32 bits
 * set (what a caller passing it through an int gets) reaches /dev/kvm as the low half.
 * Prints "eventfd: all checks passed" and exits 0, or names each failure and exits 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CHECK_NAME "eventfd"
#include "check.h"

static short revents(int fd) {
  struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT};
  return poll(&p, 1, 0) < 0 ? -1 : p.revents;
}

static void* writer(void* arg) {
  int fd = *(int*)arg;
  for (volatile int i = 0; i < 200000; ++i) {
  }  /* let the reader block first */
  uint64_t v = 9;
  return (void*)(long)write(fd, &v, 8);
}

int main(void) {
  uint64_t v = 0;
  int fd = eventfd(3, 0);
  CHECK(fd >= 0, "eventfd(3, 0): %m");
  CHECK(read(fd, &v, 8) == 8 && v == 3, "first read %lu, expected the initial 3", (unsigned long)v);
  v = 5;
  CHECK(write(fd, &v, 8) == 8, "write 5");
  v = 6;
  CHECK(write(fd, &v, 8) == 8, "write 6");
  CHECK(read(fd, &v, 8) == 8 && v == 11, "read %lu after writes of 5 and 6", (unsigned long)v);
  CHECK(revents(fd) == POLLOUT, "poll at 0: revents 0x%x, expected POLLOUT only", revents(fd));
  CHECK(read(fd, &v, 4) == -1 && errno == EINVAL, "4-byte read: expected EINVAL");
  v = UINT64_MAX;
  CHECK(write(fd, &v, 8) == -1 && errno == EINVAL, "write of 2^64-1: expected EINVAL");

  int nb = eventfd(0, EFD_NONBLOCK | EFD_SEMAPHORE | EFD_CLOEXEC);
  CHECK(nb >= 0, "eventfd(0, NONBLOCK|SEMAPHORE|CLOEXEC): %m");
  CHECK(read(nb, &v, 8) == -1 && errno == EAGAIN, "non-blocking read at 0: expected EAGAIN");
  v = 2;
  CHECK(write(nb, &v, 8) == 8, "write 2");
  CHECK(revents(nb) == (POLLIN | POLLOUT), "poll at 2: revents 0x%x", revents(nb));
  CHECK(read(nb, &v, 8) == 8 && v == 1, "semaphore read 1 of 2: got %lu", (unsigned long)v);
  CHECK(read(nb, &v, 8) == 8 && v == 1, "semaphore read 2 of 2: got %lu", (unsigned long)v);
  CHECK(read(nb, &v, 8) == -1 && errno == EAGAIN, "semaphore read at 0: expected EAGAIN");
  v = UINT64_MAX - 1;  /* the maximum the counter holds */
  CHECK(write(nb, &v, 8) == 8, "write 2^64-2");
  CHECK(revents(nb) == POLLIN, "poll at the maximum: revents 0x%x, expected POLLIN only", revents(nb));
  v = 1;
  CHECK(write(nb, &v, 8) == -1 && errno == EAGAIN, "write past the maximum: expected EAGAIN");
  CHECK(eventfd(0, 0x4) == -1 && errno == EINVAL, "unknown flag: expected EINVAL");

  /* A blocking read, woken by another thread. */
  pthread_t t;
  CHECK(pthread_create(&t, NULL, writer, &fd) == 0, "pthread_create");
  CHECK(read(fd, &v, 8) == 8 && v == 9, "blocking read got %lu, expected the thread's 9", (unsigned long)v);
  void* r = NULL;
  pthread_join(t, &r);
  CHECK((long)r == 8, "the thread's write returned %ld", (long)r);

  /* ioctl's request is 32 bits: KVM_GET_API_VERSION (0xae00) with junk above. */
  int kvm = open("/dev/kvm", O_RDWR);
  CHECK(kvm >= 0, "open /dev/kvm: %m");
  long api = syscall(SYS_ioctl, kvm, 0xdeadbeef0000ae00ul, 0);
  CHECK(api == 12, "KVM_GET_API_VERSION with the upper half set: %ld, expected 12", api);

  if (failures == 0) printf("eventfd: all checks passed\n");
  return failures == 0 ? 0 : 1;
}
