// The system-call layer of `pmuemu user`: random system calls with random arguments (biased
// toward the program's own addresses and small fds) on a live process. Never a crash, a
// sanitizer report or an exception; the "kernel" pages (vectors, page tables) are out of
// the program's reach whatever it asks for.
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "emu/config/host_config.h"
#include "emu/user/process.h"

namespace {

// A minimal static aarch64 executable: one PT_LOAD page at 0x400000 holding `b .`.
std::string write_program() {
  std::vector<uint8_t> f(0x1004, 0);
  auto put = [&](size_t off, uint64_t v, int n) { std::memcpy(&f[off], &v, n); };
  const uint8_t ident[16] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0};
  std::memcpy(&f[0], ident, 16);
  put(16, 2, 2);          // ET_EXEC
  put(18, 183, 2);        // EM_AARCH64
  put(20, 1, 4);
  put(24, 0x401000, 8);   // entry
  put(32, 64, 8);         // phoff
  put(52, 64, 2);         // ehsize
  put(54, 56, 2);         // phentsize
  put(56, 1, 2);          // phnum
  put(64, 1, 4);          // PT_LOAD
  put(68, 5, 4);          // R+X
  put(72, 0, 8);          // offset
  put(80, 0x400000, 8);   // vaddr
  put(88, 0x400000, 8);
  put(96, 0x1004, 8);     // filesz
  put(104, 0x2000, 8);    // memsz
  put(112, 0x1000, 8);
  put(0x1000, 0x14000000, 4);  // b .
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
    const uint64_t nr = r[0] < 240 ? r[0] : 256 + r[0];  // the whole table and a bit past it
    std::array<uint64_t, 6> a{};
    for (int i = 0; i < 6; ++i) {
      uint32_t v;
      std::memcpy(&v, r + 1 + 5 * i + 1, 4);
      switch (r[1 + 5 * i] % 6) {
        case 0: a[i] = v % 8; break;                                   // small numbers, fds
        case 1: a[i] = 0x400000 + (v % 0x3000); break;                 // the program's pages
        case 2: a[i] = pmuemu::user::kStackTop - 1 - (v % 0x10000); break;  // its stack
        case 3: a[i] = pmuemu::user::kKernelBase + (v % 0x100000); break;   // the kernel pages
        case 4: a[i] = static_cast<uint64_t>(static_cast<int32_t>(v)); break;
        default: a[i] = (uint64_t{v} << 32) | v; break;
      }
    }
    p.do_syscall(nr, a);
  }
  if (std::memcmp(vectors_before.data(), p.mem().host(p.mem().vectors()), 4096) != 0) __builtin_trap();
  return 0;
}
