// Guest physical RAM as one contiguous host buffer, shared by every core of a VM, with
// the per-page "holds decoded code" flags that make self-modifying code work: a write to
// such a page tells every core to drop the blocks decoded from it.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <mutex>
#include <cstdint>
#include <vector>

namespace cpu {

class Core;

inline constexpr unsigned kPageShift = 12;
inline constexpr uint64_t kPageSize = uint64_t{1} << kPageShift;

class PhysMem {
 public:
  // host is not owned (the VMM owns guest RAM, as with KVM_SET_USER_MEMORY_REGION).
  PhysMem(uint8_t* host, uint64_t base, uint64_t size)
      : host_(host), base_(base), size_(size), code_pages_((size + kPageSize - 1) >> kPageShift) {}

  uint8_t* host() const { return host_; }
  uint64_t base() const { return base_; }
  uint64_t size() const { return size_; }

  // Overflow-safe: [pa, pa+len) inside RAM.
  bool contains(uint64_t pa, uint64_t len) const {
    const uint64_t off = pa - base_;
    return off < size_ && size_ - off >= len;
  }
  uint8_t* ptr(uint64_t pa) const { return host_ + (pa - base_); }

  void attach(Core* c) { cores_.push_back(c); }
  void detach(Core* c) { cores_.erase(std::remove(cores_.begin(), cores_.end(), c), cores_.end()); }

  void mark_code_page(uint64_t pa) { code_pages_[(pa - base_) >> kPageShift].store(1, std::memory_order_relaxed); }

  // One host thread per core (--threads): invalidations of other cores' decoded code are
  // posted to them instead of applied in place. Set before any core runs.
  void set_threaded(bool on) { threaded_ = on; }
  bool threaded() const { return threaded_; }

  // Striped locks for the 16-byte read-modify-writes (CASP, LDXP/STXP) the host has no
  // lock-free instruction for; every such access to one location takes the same stripe.
  std::mutex& pair_lock(uint64_t pa) { return pair_locks_[(pa >> 4) % pair_locks_.size()]; }

  // Call after a guest or host write of [pa, pa+len) (inside RAM). Returns whether the
  // write hit a page holding decoded code (whose blocks are now dropped).
  bool note_write(uint64_t pa, uint64_t len) {
    const uint64_t off = pa - base_;
    const uint64_t first = off >> kPageShift, last = (off + len - 1) >> kPageShift;
    // The common case, inline: one page without decoded code.
    if (first == last && code_pages_[first].load(std::memory_order_relaxed) == 0) [[likely]] return false;
    return note_write_pages(first, last);
  }
  // The same for a write through a host address inside RAM (the interpreter's fast path).
  bool note_write_host(const uint8_t* h, uint64_t len) {
    return note_write(base_ + static_cast<uint64_t>(h - host_), len);
  }
  bool is_code_page(uint64_t pa) const { return code_pages_[(pa - base_) >> kPageShift].load(std::memory_order_relaxed) != 0; }

  // Host-side write (loader, VMM): copies and invalidates decoded code.
  void write(uint64_t pa, const void* src, uint64_t len);

 private:
  bool note_write_pages(uint64_t first, uint64_t last);
  void invalidate(uint64_t page_index);

  uint8_t* host_;
  uint64_t base_;
  uint64_t size_;
  // Read by every core's stores, written by the core that decodes a page: atomic bytes
  // (plain loads and stores on the host, but race-free when cores run on threads).
  std::vector<std::atomic<uint8_t>> code_pages_;
  std::vector<Core*> cores_;
  bool threaded_ = false;
  std::array<std::mutex, 64> pair_locks_;
};

}  // namespace cpu
