#include "kvm_model/abi/sys.h"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace kvm_model::abi {

int sys_close(int fd) { return static_cast<int>(syscall(SYS_close, fd)); }

void* sys_mmap(void* addr, size_t len, int prot, int flags, int fd, long off) {
  const long r = syscall(SYS_mmap, addr, len, prot, flags, fd, off);
  return r == -1 ? MAP_FAILED : reinterpret_cast<void*>(r);  // syscall() has set errno
}

bool sys_same_file(int fd1, int fd2) {
  constexpr int kKcmpFile = 0;  // KCMP_FILE (linux/kcmp.h)
  const long pid = syscall(SYS_getpid);
  return syscall(SYS_kcmp, pid, pid, kKcmpFile, fd1, fd2) == 0;
}

}  // namespace kvm_model::abi
