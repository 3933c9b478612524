#include "emu/user/files.h"
#include "emu/user/uffd.h"
#include "emu/user/signals.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <string_view>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace pmuemu::user {
namespace {

long err(int e) { return -static_cast<long>(e); }
constexpr int kAtFdCwd = -100;
constexpr int kAtEmptyPath = 0x1000;

std::string cpu_online(const Process& p) {
  const uint32_t n = p.host().num_pcpus();
  return n == 1 ? "0\n" : "0-" + std::to_string(n - 1) + "\n";
}

// Linux prints the system-wide capabilities (the program's AT_HWCAP and AT_HWCAP2) on
// every processor's Features line, and each processor's own MIDR fields.
std::string cpuinfo(const Process& p) {
  std::string s;
  const std::string features = hwcap_features(p.hwcaps());
  for (uint32_t c = 0; c < p.host().num_pcpus(); ++c) {
    const auto& core = p.host().cluster_of(c).core;
    char b[1024];
    std::snprintf(b, sizeof b,
                  "processor\t: %u\nBogoMIPS\t: 50.00\nFeatures\t: %s\nCPU implementer\t: 0x%02x\n"
                  "CPU architecture: 8\nCPU variant\t: 0x%x\nCPU part\t: 0x%03x\nCPU revision\t: %u\n\n",
                  c, features.c_str(), static_cast<unsigned>((core.midr >> 24) & 0xff), static_cast<unsigned>((core.midr >> 20) & 0xf),
                  static_cast<unsigned>((core.midr >> 4) & 0xfff), static_cast<unsigned>(core.midr & 0xf));
    s += b;
  }
  return s;
}

// A /proc task directory of this process: "self", "thread-self", or a number.
std::optional<int> proc_id(const Process& p, const std::string& name) {
  if (name == "self") return p.pid();
  if (name == "thread-self") return p.thread().tid;
  if (name.empty() || name.size() > 9 || name.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::stoi(name);
}

// /proc/<id>/schedstat, /proc/<id>/task/<tid>/schedstat: a thread of this process as
// proc_pid_schedstat() prints it. /proc/<tid> reaches any thread of the process, as in
// Linux (it is only left out of the directory listing); other processes are not visible.
std::optional<std::string> schedstat(const Process& p, const std::string& path) {
  constexpr std::string_view kProc = "/proc/", kFile = "/schedstat";
  if (path.rfind(kProc, 0) != 0 || path.size() <= kProc.size() + kFile.size() ||
      path.compare(path.size() - kFile.size(), kFile.size(), kFile) != 0)
    return std::nullopt;
  const std::string dir = path.substr(kProc.size(), path.size() - kProc.size() - kFile.size());
  const size_t slash = dir.find('/');
  std::optional<int> tid;
  if (slash == std::string::npos) {
    tid = proc_id(p, dir);
  } else {
    const std::string rest = dir.substr(slash + 1);
    if (rest.rfind("task/", 0) != 0 || proc_id(p, dir.substr(0, slash)) != std::optional<int>(p.pid())) return std::nullopt;
    tid = proc_id(p, rest.substr(5));
  }
  if (!tid) return std::nullopt;
  const auto st = p.sched_stat(*tid);
  if (!st) return std::nullopt;
  char b[96];
  std::snprintf(b, sizeof b, "%" PRIu64 " %" PRIu64 " %" PRIu64 "\n", st->on_cpu_ns, st->run_delay_ns, st->timeslices);
  return std::string(b);
}

// Paths whose contents describe the emulated machine rather than the host. Nothing else
// under /proc and /sys is visible: the host's would describe the wrong machine.
std::optional<std::string> pseudo_file(const Process& p, const std::string& path) {
  if (path == "/sys/devices/system/cpu/online" || path == "/sys/devices/system/cpu/possible" ||
      path == "/sys/devices/system/cpu/present")
    return cpu_online(p);
  if (path == "/proc/cpuinfo") return cpuinfo(p);
  return schedstat(p, path);
}

bool hidden_host_path(const std::string& path) {
  return path.rfind("/proc/", 0) == 0 || path.rfind("/sys/", 0) == 0 || path == "/proc" || path == "/sys";
}

std::string resolve(const Process& p, int dirfd, const std::string& path) {
  if (path == "/proc/self/exe") return std::filesystem::absolute(p.options().program).string();
  if (!path.empty() && path[0] == '/') return host_path(p.options(), path);
  if (dirfd != kAtFdCwd) {
    auto it = p.files().find(dirfd);
    if (it != p.files().end() && !it->second->path.empty()) return it->second->path + "/" + path;
  }
  return path;
}

}  // namespace

std::string host_path(const UserOptions& o, const std::string& path) {
  if (o.sysroot.empty() || path.empty() || path[0] != '/' || hidden_host_path(path)) return path;
  // lstat: a symbolic link in the sysroot counts as there, dangling or not.
  const std::string under = o.sysroot.string() + path;
  struct stat st;
  return ::lstat(under.c_str(), &st) == 0 ? under : path;
}

long open_file(Process& p, int dirfd, const std::string& in_path, int flags, unsigned mode) {
  if (in_path.empty()) return err(ENOENT);
  if (in_path == "/dev/kvm") {
    const int k = p.kvm().open_system();
    if (k < 0) return k;
    auto f = std::make_shared<OpenFile>();
    f->kind = OpenFile::Kind::kKvm;
    f->kvm_fd = k;
    f->path = in_path;
    return p.new_fd(f);
  }
  if (auto bytes = pseudo_file(p, in_path)) {
    auto f = std::make_shared<OpenFile>();
    f->kind = OpenFile::Kind::kBytes;
    f->bytes = *bytes;
    f->path = in_path;
    return p.new_fd(f);
  }
  const std::string path = resolve(p, dirfd, in_path);
  if (hidden_host_path(path)) return err(ENOENT);
  if (p.options().sandbox && (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND))) return err(EACCES);
  const int fd = ::open(path.c_str(), (flags & ~O_CLOEXEC) | O_CLOEXEC, mode);
  if (fd < 0) return -errno;
  auto f = std::make_shared<OpenFile>();
  f->host_fd = fd;
  f->path = path;
  return p.new_fd(f);
}

long read_file(Process& p, OpenFile& f, uint8_t* dst, uint64_t len, int64_t offset) {
  switch (f.kind) {
    case OpenFile::Kind::kHost: {
      const ssize_t r = offset < 0 ? ::read(f.host_fd, dst, len) : ::pread(f.host_fd, dst, len, offset);
      if (r > 0) p.mem().phys().note_write(reinterpret_cast<uint64_t>(dst), static_cast<uint64_t>(r));
      return r < 0 ? -errno : r;
    }
    case OpenFile::Kind::kBytes: {
      const uint64_t pos = offset < 0 ? f.offset : static_cast<uint64_t>(offset);
      if (pos >= f.bytes.size()) return 0;
      const uint64_t n = std::min<uint64_t>(len, f.bytes.size() - pos);
      std::memcpy(dst, f.bytes.data() + pos, n);
      if (offset < 0) f.offset += n;
      return static_cast<long>(n);
    }
    case OpenFile::Kind::kKvm:
      return err(EINVAL);
    case OpenFile::Kind::kPipe:
      return offset >= 0 ? err(ESPIPE) : pipe_read(p, f, dst, len);
    case OpenFile::Kind::kUffd:
      return offset >= 0 ? err(ESPIPE) : uffd_read(p, f, reinterpret_cast<uint64_t>(dst), len);
    case OpenFile::Kind::kEventfd:
      return offset >= 0 ? err(ESPIPE) : eventfd_read(p, f, dst, len);
    case OpenFile::Kind::kSignalfd:
      return offset >= 0 ? err(ESPIPE) : signalfd_read(p, f, dst, len);
    case OpenFile::Kind::kEpoll:
      return err(EINVAL);
  }
  return err(EINVAL);
}

long write_file(Process& p, OpenFile& f, const uint8_t* src, uint64_t len) {
  if (f.kind == OpenFile::Kind::kPipe) return pipe_write(p, f, src, len);
  if (f.kind == OpenFile::Kind::kEventfd) return eventfd_write(p, f, src, len);
  if (f.kind != OpenFile::Kind::kHost) return err(EINVAL);
  if (p.options().sandbox && f.host_fd <= 2) return static_cast<long>(len);  // the fuzzer's output stays clean
  if (f.host_fd == 1 || f.host_fd == 2) {
    // The program's stdout/stderr go through the same FILE streams as pmuemu's own output,
    // so a trace and the program's text keep their order.
    std::FILE* out = f.host_fd == 1 ? stdout : stderr;
    const size_t n = std::fwrite(src, 1, len, out);
    std::fflush(out);
    return static_cast<long>(n);
  }
  const ssize_t r = ::write(f.host_fd, src, len);
  return r < 0 ? -errno : r;
}

long seek_file(OpenFile& f, int64_t off, int whence) {
  if (f.kind == OpenFile::Kind::kHost) {
    const off_t r = ::lseek(f.host_fd, off, whence);
    return r < 0 ? -errno : r;
  }
  if (f.kind != OpenFile::Kind::kBytes) return err(ESPIPE);
  int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? static_cast<int64_t>(f.offset)
               : whence == SEEK_END ? static_cast<int64_t>(f.bytes.size()) : -1;
  if (base < 0 || base + off < 0) return err(EINVAL);
  f.offset = static_cast<uint64_t>(base + off);
  return static_cast<long>(f.offset);
}

namespace {
void fill(LinuxStat& st, const struct stat& h) {
  st = LinuxStat{};
  st.st_dev = h.st_dev;
  st.st_ino = h.st_ino;
  st.st_mode = h.st_mode;
  st.st_nlink = static_cast<uint32_t>(h.st_nlink);
  st.st_uid = h.st_uid;
  st.st_gid = h.st_gid;
  st.st_rdev = h.st_rdev;
  st.st_size = h.st_size;
  st.st_blksize = static_cast<int32_t>(h.st_blksize);
  st.st_blocks = h.st_blocks;
  st.st_atime_ = h.st_atim.tv_sec;
  st.st_atime_nsec = h.st_atim.tv_nsec;
  st.st_mtime_ = h.st_mtim.tv_sec;
  st.st_mtime_nsec = h.st_mtim.tv_nsec;
  st.st_ctime_ = h.st_ctim.tv_sec;
  st.st_ctime_nsec = h.st_ctim.tv_nsec;
}
}  // namespace

long stat_file(Process& p, int dirfd, const std::string& path, int flags, LinuxStat& st) {
  if (path.empty() && (flags & kAtEmptyPath)) {
    auto it = p.files().find(dirfd);
    if (it == p.files().end()) return err(EBADF);
    const OpenFile& f = *it->second;
    if (f.kind == OpenFile::Kind::kHost) {
      struct stat h;
      if (::fstat(f.host_fd, &h) != 0) return -errno;
      fill(st, h);
      // stdio is shown as a pipe whatever it is on the host, so output buffering does not
      // depend on how pmuemu was started (runs stay byte-identical).
      if (f.host_fd <= 2) st.st_mode = S_IFIFO | 0600;
      return 0;
    }
    st = LinuxStat{};
    st.st_mode = f.kind == OpenFile::Kind::kBytes ? (S_IFREG | 0444)
                 : f.kind == OpenFile::Kind::kPipe ? (S_IFIFO | 0600)
                 : (S_IFCHR | 0666);
    st.st_size = static_cast<int64_t>(f.bytes.size());
    st.st_blksize = 4096;
    return 0;
  }
  if (path == "/dev/kvm") {
    st = LinuxStat{};
    st.st_mode = S_IFCHR | 0666;
    st.st_rdev = (10u << 8) | 232;  // misc major 10, KVM minor 232
    return 0;
  }
  if (auto bytes = pseudo_file(p, path)) {
    st = LinuxStat{};
    st.st_mode = S_IFREG | 0444;
    st.st_blksize = 4096;
    return 0;
  }
  const std::string real = resolve(p, dirfd, path);
  if (hidden_host_path(real)) return err(ENOENT);
  struct stat h;
  if (::stat(real.c_str(), &h) != 0) return -errno;
  fill(st, h);
  return 0;
}

long readlink_path(Process& p, const std::string& path, std::string& target) {
  if (path == "/proc/self/exe") {
    target = std::filesystem::absolute(p.options().program).string();
    return 0;
  }
  if (hidden_host_path(path)) return err(ENOENT);
  char buf[4096];
  const ssize_t r = ::readlink(host_path(p.options(), path).c_str(), buf, sizeof buf);
  if (r < 0) return -errno;
  target.assign(buf, static_cast<size_t>(r));
  return 0;
}

long pread_into(Process& p, OpenFile& f, uint8_t* dst, uint64_t len, uint64_t offset) {
  uint64_t done = 0;
  while (done < len) {
    const long r = read_file(p, f, dst + done, len - done, static_cast<int64_t>(offset + done));
    if (r < 0) return r;
    if (r == 0) break;  // past the end of the file: the rest of the mapping stays zero
    done += static_cast<uint64_t>(r);
  }
  return static_cast<long>(done);
}

}  // namespace pmuemu::user
