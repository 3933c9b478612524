// close(2), mmap(2) and kcmp(2) as raw system calls. In the preload shim the libc names are the
// shim's own interposers, which would come back into the ABI layer. Compiled apart from the
// arm64 UAPI include directory: its asm/unistd.h has arm64's system call numbers.
#pragma once

#include <cstddef>

namespace kvm_model::abi {
int sys_close(int fd);
void* sys_mmap(void* addr, size_t len, int prot, int flags, int fd, long off);
// kcmp(KCMP_FILE): whether two fds of this process name one open file.
bool sys_same_file(int fd1, int fd2);
}  // namespace kvm_model::abi
