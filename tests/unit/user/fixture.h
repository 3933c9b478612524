// A live `pmuemu user` process on a minimal static program, for driving the system-call
// layer without running anything.
#pragma once

#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "emu/config/host_config.h"
#include "emu/user/process.h"
#include "tests/support/minimal_user_elf.h"

namespace pmuemu::user::test {

// Linux arm64 system-call numbers (include/uapi/asm-generic/unistd.h).
enum Nr : uint64_t {
  kDup = 23, kOpenat = 56, kClose = 57, kLseek = 62, kRead = 63, kReadlinkat = 78, kNewfstatat = 79,
  kFstat = 80, kBrk = 214, kMunmap = 215, kMmap = 222, kMprotect = 226,
};
constexpr uint64_t kMapShared = 0x01, kMapPrivate = 0x02, kMapFixed = 0x10, kMapAnon = 0x20,
                   kMapFixedNoreplace = 0x100000;
constexpr int64_t kAtFdcwd = -100;

// The program: tests/support/minimal_user_elf.h (`b .` at its entry).
constexpr uint64_t kLoadVa = ::test::kMinimalElfLoadVa, kEntry = ::test::kMinimalElfEntry,
                   kLoadEnd = ::test::kMinimalElfLoadEnd;

inline std::string write_program() {
  const std::vector<uint8_t> f = ::test::minimal_user_elf();
  char path[] = "/tmp/pmuemu-unit-user-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  const bool ok = ::write(fd, f.data(), f.size()) == static_cast<ssize_t>(f.size());
  ::close(fd);
  if (!ok) throw std::runtime_error(std::string(path) + ": short write");
  return path;
}

inline const config::Host& host(const std::string& name = "big-little") {
  static const config::Host big_little =
      config::load_host_file(std::string(PMUEMU_SOURCE_DIR) + "/configs/big-little.yaml");
  if (name != "big-little") throw std::logic_error("unknown test host " + name);
  return big_little;
}

struct ProgramFile {
  std::string path = write_program();
  ~ProgramFile() { ::unlink(path.c_str()); }
};

struct Proc {
  ProgramFile prog;
  Process p;
  // A read/write scratch page for strings and buffers handed to system calls.
  static constexpr uint64_t kScratch = 0x20000000;

  explicit Proc(std::vector<std::string> argv = {"prog"}, std::vector<std::string> envp = {})
      : p(host(), options(prog.path, std::move(argv), std::move(envp))) {
    if (sys(kMmap, kScratch, 0x2000, 3, kMapPrivate | kMapAnon | kMapFixed, ~0ull, 0) != static_cast<long>(kScratch))
      throw std::runtime_error("scratch mmap failed");
  }
  static UserOptions options(const std::string& program, std::vector<std::string> argv, std::vector<std::string> envp) {
    UserOptions o;
    o.program = program;
    o.argv = std::move(argv);
    o.envp = std::move(envp);
    o.sandbox = true;
    return o;
  }
  long sys(uint64_t nr, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a3 = 0, uint64_t a4 = 0,
           uint64_t a5 = 0) {
    return p.do_syscall(nr, {a0, a1, a2, a3, a4, a5});
  }
  // Puts a NUL-terminated string in the scratch page (at `slot` * 1 KiB) and returns its address.
  uint64_t str(const std::string& s, unsigned slot = 0) {
    const uint64_t va = kScratch + slot * 1024;
    if (!p.write(va, s.c_str(), s.size() + 1)) throw std::runtime_error("scratch write failed");
    return va;
  }
  long openat(const std::string& path, int flags = 0, int64_t dirfd = kAtFdcwd) {
    return sys(kOpenat, static_cast<uint64_t>(dirfd), str(path), static_cast<uint64_t>(flags), 0);
  }
  // read(fd) of up to `max` bytes into the scratch page's second half.
  std::string read(long fd, size_t max = 4096, long* rc = nullptr) {
    const uint64_t buf = kScratch + 0x1000;
    const long r = sys(kRead, static_cast<uint64_t>(fd), buf, max);
    if (rc) *rc = r;
    if (r <= 0) return "";
    std::string out(static_cast<size_t>(r), '\0');
    p.read(buf, out.data(), out.size());
    return out;
  }
};

}  // namespace pmuemu::user::test
