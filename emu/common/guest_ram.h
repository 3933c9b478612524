// Guest RAM for the VMM and the bare-metal machine: an anonymous private mapping, so
// untouched pages cost nothing and read as zero.
#pragma once

#include <sys/mman.h>

#include <cstdint>
#include <stdexcept>

namespace pmuemu {

class GuestRamBuffer {
 public:
  explicit GuestRamBuffer(uint64_t size) : size_(size) {
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("cannot map guest RAM");
    // Huge pages where the host allows them (QEMU asks the same for guest RAM): a guest
    // kernel touches its RAM everywhere while it boots, and one fault per 2 MiB instead of
    // per 4 KiB takes most of the page-fault time out of the boot. Only a hint: without
    // transparent huge pages it fails harmlessly.
    madvise(p, size, MADV_HUGEPAGE);
    ptr_ = static_cast<uint8_t*>(p);
  }
  ~GuestRamBuffer() { munmap(ptr_, size_); }
  GuestRamBuffer(const GuestRamBuffer&) = delete;
  GuestRamBuffer& operator=(const GuestRamBuffer&) = delete;
  uint8_t* data() const { return ptr_; }

 private:
  uint8_t* ptr_ = nullptr;
  uint64_t size_;
};

}  // namespace pmuemu
