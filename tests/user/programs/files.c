/* Writing a host file at offsets under `pmuemu user` (dynamically linked against Debian's
 * cross glibc), as QEMU's file: migration does: pwrite(2) at an offset past the end,
 * ftruncate(2) shrinking and growing the file, pread(2) of what was written and of the
 * zeros a growth adds, fstat's size after each; and the errors Linux gives on a pipe
 * (pwrite: ESPIPE, ftruncate: EINVAL) and on a closed descriptor (EBADF).
 * Usage: files PATH (created or truncated). Prints "files: all checks passed" and exits 0,
 * or names each failure and exits 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHECK_NAME "files"
#include "check.h"

static long size_of(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 ? (long)st.st_size : -1;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    printf("usage: files PATH\n");
    return 2;
  }
  int fd = open(argv[1], O_CREAT | O_RDWR | O_TRUNC, 0600);
  CHECK(fd >= 0, "open %s: errno %d", argv[1], errno);
  const char msg[] = "pmuemu";
  CHECK(pwrite(fd, msg, 6, 100) == 6, "pwrite at 100");
  CHECK(size_of(fd) == 106, "size %ld after pwrite at 100, want 106", size_of(fd));
  CHECK(lseek(fd, 0, SEEK_CUR) == 0, "pwrite moved the offset");
  char buf[8] = {0};
  CHECK(pread(fd, buf, 6, 100) == 6 && memcmp(buf, msg, 6) == 0, "pread at 100 gave '%s'", buf);
  CHECK(ftruncate(fd, 103) == 0, "ftruncate to 103");
  CHECK(size_of(fd) == 103, "size %ld after ftruncate 103", size_of(fd));
  CHECK(ftruncate(fd, 4096) == 0, "ftruncate to 4096");
  memset(buf, 'x', sizeof buf);
  CHECK(pread(fd, buf, 6, 100) == 6 && memcmp(buf, "pmu\0\0\0", 6) == 0, "the cut bytes did not come back as zeros");
  CHECK(size_of(fd) == 4096, "size %ld after ftruncate 4096", size_of(fd));
  int p[2];
  CHECK(pipe(p) == 0, "pipe");
  CHECK(pwrite(p[1], msg, 6, 0) == -1 && errno == ESPIPE, "pwrite on a pipe: errno %d, want ESPIPE", errno);
  CHECK(ftruncate(p[1], 0) == -1 && errno == EINVAL, "ftruncate on a pipe: errno %d, want EINVAL", errno);
  close(fd);
  CHECK(ftruncate(fd, 0) == -1 && errno == EBADF, "ftruncate on a closed fd: errno %d", errno);
  CHECK(pwrite(fd, msg, 6, 0) == -1 && errno == EBADF, "pwrite on a closed fd: errno %d", errno);
  unlink(argv[1]);
  if (failures == 0) printf("files: all checks passed\n");
  return failures != 0;
}
