// The address space of a Linux program run by `pmuemu user`: one host mapping placed at the
// very host addresses the program uses, so that a program pointer is also a valid host
// pointer to the same bytes (the /dev/kvm ABI layer dereferences the pointers inside ioctl
// structs as Linux's copy_from_user would, and the guest RAM a program hands to
// KVM_SET_USER_MEMORY_REGION is its own memory). The emulated core reaches it through a
// stage-1 translation that this class maintains at 4 KiB granularity, filled on demand as
// Linux fills its page tables: a mapping is a region (VMA) first, and a page gets its
// descriptor at the first access that faults on it, so an untouched NORESERVE gigabyte
// costs nothing. Unmapped pages and PROT_NONE fault exactly as under Linux.
//
// Layout (all inside [kBase, kEnd), which must be free in the host process):
//   [kBase, kKernelBase)     program pages: ELF segments, brk heap, mmap area, stack
//   [kKernelBase, kEnd)      "kernel" pages: exception vectors (EL1 only) and page tables
// kEnd is 128 GiB, or 2 GiB in AddressSanitizer builds, whose shadow starts at 0x7fff8000.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "cpu/phys_mem.h"

#if defined(__SANITIZE_ADDRESS__)
#define PMUEMU_USER_SMALL_SPACE 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PMUEMU_USER_SMALL_SPACE 1
#endif
#endif

namespace pmuemu::user {

inline constexpr uint64_t kBase = 0x10000;  // the lowest address Linux lets a process map
#ifdef PMUEMU_USER_SMALL_SPACE
inline constexpr uint64_t kEnd = 0x7ff00000;
#else
inline constexpr uint64_t kEnd = 0x2000000000;  // 128 GiB
#endif
inline constexpr uint64_t kKernelSize = 256ull << 20;  // vectors and page tables
inline constexpr uint64_t kKernelBase = kEnd - kKernelSize;
inline constexpr uint64_t kStackTop = kKernelBase - 0x10000;  // a guard gap below the kernel pages
inline constexpr uint64_t kStackSize = 8u << 20;
inline constexpr uint64_t kMmapTop = kStackTop - kStackSize - 0x100000;

// PROT_* bits as Linux numbers them.
inline constexpr int kProtRead = 1, kProtWrite = 2, kProtExec = 4;

class AddressSpace {
 public:
  // Reserves the host range; throws std::runtime_error naming the range if it is taken.
  AddressSpace();
  ~AddressSpace();
  AddressSpace(const AddressSpace&) = delete;
  AddressSpace& operator=(const AddressSpace&) = delete;

  cpu::PhysMem& phys() { return *phys_; }

  // Page-table state (TTBR0_EL1) and the vector base (VBAR_EL1, EL1-only page).
  uint64_t ttbr0() const { return pgd_; }
  uint64_t vectors() const { return kKernelBase; }

  // Establishes [va, va+len) with prot (page-aligned va; len rounded up), replacing what
  // was there. New pages read as zero. False if the range leaves the program area.
  bool map(uint64_t va, uint64_t len, int prot);
  bool unmap(uint64_t va, uint64_t len);
  // -ENOMEM if a page of the range is not mapped (Linux's mprotect), -EINVAL if unaligned.
  int protect(uint64_t va, uint64_t len, int prot);
  // A free range of len bytes for mmap without MAP_FIXED, top-down below kMmapTop; 0 if none.
  uint64_t find_free(uint64_t len) const;
  // [va, va+len) is now backed by a shared host mapping (a vCPU's kvm_run page); unmapping
  // or remapping it puts the program's private anonymous memory back.
  void mark_shared(uint64_t va, uint64_t len);

  // A translation or access-flag fault of the program at va: if its region allows the
  // access, the page gets its descriptor and true is returned (the access is retried);
  // false means the program really faulted.
  bool fault_in(uint64_t va, bool is_write, bool is_exec);

  // The mappings inside [va, end), clipped to it, lowest first.
  struct Run {
    uint64_t start, end;
    int prot;
    bool shared;
  };
  std::vector<Run> regions_in(uint64_t va, uint64_t end) const;
  // Forgets the descriptors of [va, va+len) (the pages stay mapped): the next access
  // faults and fault_in fills them again. The caller flushes the TLBs.
  void drop_descriptors(uint64_t va, uint64_t len) { clear_descriptors(va, va + round_up_page(len)); }
  static uint64_t round_up_page(uint64_t len) { return (len + 0xfff) & ~0xfffull; }

  // Whether every page of [va, va+len) is mapped with at least `prot`.
  bool accessible(uint64_t va, uint64_t len, int prot) const;
  bool mapped(uint64_t va) const { return prot_at(va) >= 0; }
  // Whether [va, va+len) is a page-aligned range of program pages, which map() takes.
  static bool fits(uint64_t va, uint64_t len);

  uint8_t* host(uint64_t va) const { return reinterpret_cast<uint8_t*>(va); }

  // The program break (brk): set by the loader past the last segment.
  uint64_t brk_start = 0, brk_cur = 0;

 private:
  struct Region {
    uint64_t end;
    int prot;
    bool shared;  // backed by a foreign shared mapping (kvm_run)
  };
  int prot_at(uint64_t va) const;  // -1: unmapped
  // Splits regions so that va is a boundary.
  void split_at(uint64_t va);
  // Removes the regions of [va, end) and their descriptors; restores private memory where
  // a shared mapping was.
  void clear(uint64_t va, uint64_t end);
  void clear_descriptors(uint64_t va, uint64_t end);
  uint64_t* pte_slot(uint64_t va, bool create);  // nullptr if absent and !create
  uint64_t alloc_table();

  uint8_t* host_ = nullptr;
  std::unique_ptr<cpu::PhysMem> phys_;
  std::map<uint64_t, Region> regions_;  // start -> region, non-overlapping
  uint64_t pgd_ = 0;
  uint64_t next_table_ = 0;
};

}  // namespace pmuemu::user
