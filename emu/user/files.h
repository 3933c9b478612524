// Files of `pmuemu user`: host files by path, the pseudo files that describe the emulated
// machine (/proc/self/exe, /proc/cpuinfo, /sys/devices/system/cpu/online), /dev/kvm, and the
// vCPU kvm_run pages a program maps.
#pragma once

#include <cstdint>
#include <string>

#include "emu/user/process.h"

namespace pmuemu::user {

// struct stat of arm64 Linux (asm-generic/stat.h): 128 bytes.
struct LinuxStat {
  uint64_t st_dev, st_ino;
  uint32_t st_mode, st_nlink, st_uid, st_gid;
  uint64_t st_rdev, pad1;
  int64_t st_size;
  int32_t st_blksize, pad2;
  int64_t st_blocks;
  int64_t st_atime_, st_atime_nsec, st_mtime_, st_mtime_nsec, st_ctime_, st_ctime_nsec;
  uint32_t unused4, unused5;
};
static_assert(sizeof(LinuxStat) == 128);

// The host path behind a path the program names: under --sysroot first when it is absolute
// and exists there, else the path itself.
std::string host_path(const UserOptions& o, const std::string& path);

long open_file(Process& p, int dirfd, const std::string& path, int flags, unsigned mode);
long read_file(Process& p, OpenFile& f, uint8_t* dst, uint64_t len, int64_t offset);  // offset < 0: current
long write_file(Process& p, OpenFile& f, const uint8_t* src, uint64_t len);
long seek_file(OpenFile& f, int64_t off, int whence);
long stat_file(Process& p, int dirfd, const std::string& path, int flags, LinuxStat& st);
long readlink_path(Process& p, const std::string& path, std::string& target);
long pread_into(Process& p, OpenFile& f, uint8_t* dst, uint64_t len, uint64_t offset);


}  // namespace pmuemu::user
