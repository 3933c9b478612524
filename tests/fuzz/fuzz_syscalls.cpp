// The system-call layer of `pmuemu user`: random system calls with random arguments (biased
// toward the program's own addresses and small fds) on a live process. Never a crash, a
// sanitizer report or an exception; the "kernel" pages (vectors, page tables) are out of
// the program's reach whatever it asks for.
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <string>
#include <vector>

#include "emu/config/host_config.h"
#include "emu/user/process.h"
#include "tests/support/minimal_user_elf.h"

namespace {

// A minimal static aarch64 executable (tests/support/minimal_user_elf.h).
std::string write_program() {
  const std::vector<uint8_t> f = ::test::minimal_user_elf();
  char path[] = "/tmp/pmuemu-fuzz-syscalls-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0 || write(fd, f.data(), f.size()) != static_cast<ssize_t>(f.size())) __builtin_trap();
  close(fd);
  return path;
}

const std::string& program() {
  static const std::string p = write_program();
  return p;
}

const pmuemu::config::Host& host() {
  static const pmuemu::config::Host h =
      pmuemu::config::load_host_file(std::string(PMUEMU_SOURCE_DIR) + "/configs/big-little.yaml");
  return h;
}

}  // namespace

// Values no random argument would hit: the userfaultfd ioctls (UFFDIO_API, REGISTER,
// UNREGISTER, WAKE, COPY, ZEROPAGE, WRITEPROTECT, CONTINUE), O_NONBLOCK, the register
// modes, and epoll_ctl's EPOLLIN/EPOLLEXCLUSIVE.
constexpr uint64_t kRequests[] = {0xc018aa3f, 0xc020aa00, 0x8010aa01, 0x8010aa02, 0xc028aa03, 0xc020aa04,
                                  0xc018aa06, 0xc018aa07, 04000, 1, 2, 4, 0x10000001};

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  pmuemu::user::UserOptions o;
  o.program = program();
  o.argv = {"fuzz"};
  o.sandbox = true;
  pmuemu::user::Process p(host(), o);
  std::array<uint8_t, 4096> vectors_before;
  std::memcpy(vectors_before.data(), p.mem().host(p.mem().vectors()), 4096);
  // Records of 1 + 6 x 5 bytes: the number, then per argument a kind byte and 4 value bytes.
  constexpr size_t kRec = 31;
  for (size_t off = 0; off + kRec <= size && !p.ended(); off += kRec) {
    const uint8_t* r = data + off;
    // 0-239, 278-289 (getrandom .. userfaultfd .. rseq's neighbours) and the table's end.
    const uint64_t nr = r[0] < 240 ? r[0] : r[0] < 252 ? 278 + (r[0] - 240) : 256 + r[0];
    std::array<uint64_t, 6> a{};
    for (int i = 0; i < 6; ++i) {
      uint32_t v;
      std::memcpy(&v, r + 1 + 5 * i + 1, 4);
      switch (r[1 + 5 * i] % 7) {
        case 0: a[i] = v % 8; break;                                   // small numbers, fds
        case 1: a[i] = 0x400000 + (v % 0x3000); break;                 // the program's pages
        case 2: a[i] = pmuemu::user::kStackTop - 1 - (v % 0x10000); break;  // its stack
        case 3: a[i] = pmuemu::user::kKernelBase + (v % 0x100000); break;   // the kernel pages
        case 4: a[i] = static_cast<uint64_t>(static_cast<int32_t>(v)); break;
        case 5: a[i] = (uint64_t{v} << 32) | v; break;
        default: a[i] = kRequests[v % std::size(kRequests)]; break;  // ioctl requests, flags
      }
    }
    p.do_syscall(nr, a);
  }
  if (std::memcmp(vectors_before.data(), p.mem().host(p.mem().vectors()), 4096) != 0) __builtin_trap();
  return 0;
}
