// eventfd(2) of `pmuemu user`: a 64-bit counter behind a descriptor, the notification
// primitive of event loops (QEMU's main loop and AIO contexts wake each other with it).
// Reads and writes move 8 bytes; readiness is in uffd.cpp's poll_mask().
#include <cerrno>
#include <cstring>

#include "emu/user/uffd.h"

namespace pmuemu::user {
namespace {
long err(int e) { return -static_cast<long>(e); }
constexpr uint64_t kEfdSemaphore = 1, kEfdNonblock = 0x800, kEfdCloexec = 0x80000;
constexpr uint64_t kMax = UINT64_MAX - 1;  // the largest value the counter may hold
// EFD_SEMAPHORE hands out one unit per read; otherwise the whole count, which resets.
uint64_t consume(OpenFile& f) {
  const uint64_t v = f.event_semaphore ? 1 : f.event_count;
  f.event_count -= v;
  return v;
}
}  // namespace

long sys_eventfd2(Process& p, const SysArgs& a) {
  if (a[1] & ~(kEfdSemaphore | kEfdNonblock | kEfdCloexec)) return err(EINVAL);
  auto f = std::make_shared<OpenFile>();
  f->kind = OpenFile::Kind::kEventfd;
  f->event_count = static_cast<uint32_t>(a[0]);  // the initial value is an unsigned int
  f->event_semaphore = (a[1] & kEfdSemaphore) != 0;
  f->nonblock = (a[1] & kEfdNonblock) != 0;
  f->path = "anon_inode:[eventfd]";
  return p.new_fd(f);
}

long eventfd_read(Process& p, OpenFile& f, uint8_t* dst, uint64_t len) {
  if (len < 8) return err(EINVAL);
  if (f.event_count == 0) return f.nonblock ? err(EAGAIN) : p.block_io(UINT64_MAX);
  const uint64_t v = consume(f);
  std::memcpy(dst, &v, 8);
  p.mem().phys().note_write(reinterpret_cast<uint64_t>(dst), 8);
  p.wake_io();
  return 8;
}

long eventfd_write(Process& p, OpenFile& f, const uint8_t* src, uint64_t len) {
  if (len < 8) return err(EINVAL);
  uint64_t v;
  std::memcpy(&v, src, 8);
  if (v == UINT64_MAX) return err(EINVAL);
  // A write that would take the counter past the maximum waits for a read to lower it.
  if (v > kMax - f.event_count) return f.nonblock ? err(EAGAIN) : p.block_io(UINT64_MAX);
  f.event_count += v;
  if (v != 0) p.wake_io();
  return 8;
}

void eventfd_signal(Process& p, OpenFile& f) {
  if (f.event_count < kMax) ++f.event_count;
  p.wake_io();
}

bool eventfd_take(Process& p, OpenFile& f) {
  if (f.event_count == 0) return false;
  consume(f);
  p.wake_io();
  return true;
}

}  // namespace pmuemu::user
