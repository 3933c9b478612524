// Guest physical RAM as one contiguous host buffer, shared by every core of a VM, with
// the per-page "holds decoded code" flags that make self-modifying code work: a write to
// such a page tells every core to drop the blocks decoded from it.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <mutex>
#include <cstdint>
#include <memory>
#include <unordered_set>
#include <vector>

namespace cpu {

class Core;

// Plain accesses to guest RAM. With --threads, vCPUs access guest memory concurrently exactly
// as the guest's code says; when two of them race on a location, that is the guest's own
// race, defined by the Arm memory model (the host's stronger x86 ordering is a legal
// implementation of it), not a data race of the emulator's state. These are the only plain
// accesses to guest RAM, so they are the ones ThreadSanitizer is told to leave alone (its
// no_sanitize attribute also keeps them from being inlined into instrumented code);
// exclusives and atomics use host atomic operations instead and stay checked.
#if defined(__clang__) || defined(__GNUC__)
#define PMUEMU_GUEST_RAM_ACCESS __attribute__((no_sanitize("thread")))
#else
#define PMUEMU_GUEST_RAM_ACCESS
#endif
template <typename T>
PMUEMU_GUEST_RAM_ACCESS inline T guest_load(const uint8_t* h) {
  T v;
  __builtin_memcpy(&v, h, sizeof(T));
  return v;
}
template <typename T>
PMUEMU_GUEST_RAM_ACCESS inline void guest_store(uint8_t* h, T v) {
  __builtin_memcpy(h, &v, sizeof(T));
}
// Variable-length copies and zeroing of guest RAM. Under ThreadSanitizer they go a byte at a
// time through a volatile pointer, so the compiler cannot turn them back into a memcpy call
// (which would reach the sanitizer's interceptor); elsewhere they are memcpy/memset.
#if defined(__SANITIZE_THREAD__)
#define PMUEMU_TSAN_BUILD 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PMUEMU_TSAN_BUILD 1
#endif
#endif
PMUEMU_GUEST_RAM_ACCESS inline void guest_copy(void* dst, const void* src, uint64_t n) {
#ifdef PMUEMU_TSAN_BUILD
  volatile uint8_t* d = static_cast<uint8_t*>(dst);
  const volatile uint8_t* s = static_cast<const uint8_t*>(src);
  for (uint64_t i = 0; i < n; ++i) d[i] = s[i];
#else
  if (n != 0) __builtin_memcpy(dst, src, n);
#endif
}
PMUEMU_GUEST_RAM_ACCESS inline void guest_zero(uint8_t* h, uint64_t n) {
#ifdef PMUEMU_TSAN_BUILD
  volatile uint8_t* d = h;
  for (uint64_t i = 0; i < n; ++i) d[i] = 0;
#else
  __builtin_memset(h, 0, n);
#endif
}

inline constexpr unsigned kPageShift = 12;
inline constexpr uint64_t kPageSize = uint64_t{1} << kPageShift;

// The dirty-page log of one memory slot (KVM_MEM_LOG_DIRTY_PAGES): one bit per 4 KiB page,
// in 64-bit words as Linux's unsigned long bitmap on arm64 (bit n of word w is page 64w+n).
// Shared by the ABI layer, which reads and clears it (KVM_GET_DIRTY_LOG,
// KVM_CLEAR_DIRTY_LOG), and the cores, which set bits on guest writes.
class DirtyBitmap {
 public:
  explicit DirtyBitmap(uint64_t pages, bool all_set = false)
      : pages_(pages), words_(new std::atomic<uint64_t>[(pages + 63) / 64]) {
    for (uint64_t w = 0; w < word_count(); ++w) words_[w].store(all_set ? full_word(w) : 0, std::memory_order_relaxed);
  }
  uint64_t pages() const { return pages_; }
  uint64_t word_count() const { return (pages_ + 63) / 64; }
  // The bits of word w that name pages of the slot (the last word may be partial).
  uint64_t full_word(uint64_t w) const {
    const uint64_t left = pages_ - w * 64;
    return left >= 64 ? ~uint64_t{0} : (uint64_t{1} << left) - 1;
  }
  std::atomic<uint64_t>& word(uint64_t w) { return words_[w]; }
  void mark(uint64_t page) {
    if (page < pages_) words_[page / 64].fetch_or(uint64_t{1} << (page % 64), std::memory_order_relaxed);
  }
  void mark_range(uint64_t first, uint64_t last) {
    for (uint64_t p = first; p <= last; ++p) mark(p);
  }

 private:
  uint64_t pages_;
  std::unique_ptr<std::atomic<uint64_t>[]> words_;
};

// A memory slot other than RAM (KVM_SET_USER_MEMORY_REGION's further slots, read-only
// ones included). The core reaches these only on its slow paths (table walks, fetches that
// miss, data accesses the fast TLB does not map), so RAM keeps its single-range fast path.
struct SlotRegion {
  uint64_t base = 0, size = 0;
  uint8_t* host = nullptr;  // not owned: the VMM's memory
  bool read_only = false;   // KVM_MEM_READONLY: reads and fetches see it, writes exit as MMIO
  // KVM_MEM_LOG_DIRTY_PAGES: the slot's log, null when it does not log; not owned (the
  // slot's owner keeps it until the slots are replaced). Slot writes always take the slow
  // path, which marks it. A plain pointer: a VM with 32764 slots copies the list on every
  // slot change, and reference counting there made that quadratic update five times slower.
  DirtyBitmap* dirty = nullptr;
  bool covers(uint64_t pa, uint64_t len) const {
    const uint64_t off = pa - base;
    return off < size && size - off >= len;
  }
  uint8_t* ptr(uint64_t pa) const { return host + (pa - base); }
};

// Which host pages behind the memory slots are there. Under KVM a guest access to a slot
// page that the VMM's process has not populated faults at stage 2, and KVM asks the host
// mm for the page, which may make the vCPU thread wait (a userfaultfd-registered range
// whose page is missing). A gate answers for the slots (not RAM, which has fast paths that
// never ask); when it says a page is not there the core leaves run() with
// ExitReason::kHostPage before the access, and the gate remembers which page and access it
// was. Without a gate every slot page is there.
class HostPageGate {
 public:
  virtual ~HostPageGate() = default;
  // Whether the page holding host byte h may be accessed now (write: the access writes).
  virtual bool present(const uint8_t* h, bool write) = 0;
};

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

  // Each page's flag byte: kCodeFlag, it holds decoded code; kLogFlag, RAM logs dirty pages
  // and this one has not been written since its bit was last cleared (KVM's write
  // protection for dirty logging). Every store path tests the byte against 0 after the
  // store, so either flag sends the store to note_write_pages and a page that is neither
  // costs the fast path nothing.
  static constexpr uint8_t kCodeFlag = 1, kLogFlag = 2;
  void mark_code_page(uint64_t pa) { code_pages_[(pa - base_) >> kPageShift].fetch_or(kCodeFlag, std::memory_order_relaxed); }

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
  // The same for a write through a host address inside RAM (the interpreter's fast path)
  // or inside another slot (what the slow path resolved an atomic or DC ZVA to).
  bool note_write_host(const uint8_t* h, uint64_t len) {
    const uint64_t off = reinterpret_cast<uintptr_t>(h) - reinterpret_cast<uintptr_t>(host_);
    if (off >= size_) [[unlikely]] return note_slot_write_host(h, len);
    return note_write(base_ + off, len);
  }
  // The per-page "holds decoded code" flags, indexed by (pa - base) >> kPageShift, for
  // the interpreter's inline store check.
  const std::atomic<uint8_t>* code_page_flags() const { return code_pages_.data(); }
  bool is_code_page(uint64_t pa) const {
    return (code_pages_[(pa - base_) >> kPageShift].load(std::memory_order_relaxed) & kCodeFlag) != 0;
  }

  // Dirty-page logging of RAM (the slot the model's RAM is). `log` null: logging off (every
  // page's kLogFlag cleared). Otherwise every page whose bit in `log` is clear is protected
  // (the next write sets the bit), or every page when protect_all (KVM write-protects the
  // whole slot when logging starts without KVM_DIRTY_LOG_INITIALLY_SET).
  void set_dirty_log(std::shared_ptr<DirtyBitmap> log, bool protect_all);
  const std::shared_ptr<DirtyBitmap>& dirty_log() const { return ram_dirty_; }
  // After bits of the log were cleared (KVM_GET_DIRTY_LOG, KVM_CLEAR_DIRTY_LOG): protects
  // the pages 64 * word + n for each bit n of mask again.
  void protect_for_log(uint64_t word, uint64_t mask);

  // Host-side write (loader, VMM): copies and invalidates decoded code.
  void write(uint64_t pa, const void* src, uint64_t len);

  // The other memory slots. Replacing them drops every block decoded from the old ones
  // (their memory may be gone, or another slot may now answer at the same address). Called
  // with no core running, as KVM's memslot updates wait for every vCPU to leave the guest.
  void set_slots(std::vector<SlotRegion> slots);
  const std::vector<SlotRegion>& slots() const { return slots_; }
  // The slot holding all of [pa, pa+len), or nullptr. RAM is looked up first by callers.
  const SlotRegion* slot(uint64_t pa, uint64_t len) const {
    for (const SlotRegion& s : slots_)
      if (s.covers(pa, len)) return &s;
    return nullptr;
  }
  // The host dropped the pages of [h, h+len) (MADV_DONTNEED: they read as zero, or wait
  // behind the gate, from now on): blocks decoded from them in RAM or a slot are dropped,
  // as Linux's MMU notifier unmaps them from stage 2. Not a guest write: nothing is logged.
  void host_pages_dropped(const uint8_t* h, uint64_t len);
  // The gate of the slots' host pages (not owned; null: every page is there).
  void set_gate(HostPageGate* g) { gate_ = g; }
  bool slot_page_present(const uint8_t* h, bool write) const { return gate_ == nullptr || gate_->present(h, write); }
  // The key under which cores file blocks decoded from pa: the RAM page index for RAM, and
  // the same arithmetic (modulo 2^64, still one key per page) for a slot.
  uint64_t page_key(uint64_t pa) const { return (pa - base_) >> kPageShift; }
  // mark_code_page for a page of a slot.
  void mark_slot_code_page(uint64_t pa);
  // note_write for a guest write of [pa, pa+len) inside a slot.
  bool note_slot_write(uint64_t pa, uint64_t len);
  bool note_slot_write_host(const uint8_t* h, uint64_t len);

 private:
  bool note_write_pages(uint64_t first, uint64_t last);
  void invalidate(uint64_t page_index);
  void invalidate_cores(uint64_t page_key);

  uint8_t* host_;
  uint64_t base_;
  uint64_t size_;
  // Read by every core's stores, written by the core that decodes a page: atomic bytes
  // (plain loads and stores on the host, but race-free when cores run on threads).
  std::vector<std::atomic<uint8_t>> code_pages_;
  std::vector<Core*> cores_;
  bool threaded_ = false;
  std::array<std::mutex, 64> pair_locks_;
  std::vector<SlotRegion> slots_;
  bool slots_log_ = false;  // some slot logs dirty pages
  HostPageGate* gate_ = nullptr;
  std::shared_ptr<DirtyBitmap> ram_dirty_;
  // Keys of slot pages holding decoded code (rare: a slot is code only for guests that put
  // it there), behind a lock since cores may decode on their own threads.
  std::mutex slot_code_m_;
  std::unordered_set<uint64_t> slot_code_pages_;
};

}  // namespace cpu
