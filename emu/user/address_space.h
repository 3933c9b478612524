// The address space of a Linux program run by `pmuemu user`: one host mapping placed at the
// very host addresses the program uses, so that a program pointer is also a valid host
// pointer to the same bytes (the /dev/kvm ABI layer dereferences the pointers inside ioctl
// structs as Linux's copy_from_user would, and the guest RAM a program hands to
// KVM_SET_USER_MEMORY_REGION is its own memory). The emulated core reaches it through a
// stage-1 translation that this class maintains at 4 KiB granularity, so unmapped pages and
// PROT_NONE fault exactly as under Linux.
//
// Layout (all inside [kBase, kEnd), which must be free in the host process and below the
// AddressSanitizer shadow at 0x7fff8000):
//   [kBase, kKernelBase)     program pages: ELF segments, brk heap, mmap area, stack
//   [kKernelBase, kEnd)      "kernel" pages: exception vectors (EL1 only) and page tables
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "cpu/phys_mem.h"

namespace pmuemu::user {

inline constexpr uint64_t kBase = 0x10000;            // the lowest address Linux lets a process map
inline constexpr uint64_t kEnd = 0x7ff00000;          // ASan's low shadow starts at 0x7fff8000
inline constexpr uint64_t kKernelBase = 0x7c000000;   // 64 MiB of tables and vectors
inline constexpr uint64_t kStackTop = 0x7bff0000;     // one guard gap below the kernel pages
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

  // Establishes [va, va+len) with prot (page-aligned va; len rounded up). New pages read as
  // zero. False if the range leaves the program area.
  bool map(uint64_t va, uint64_t len, int prot);
  bool unmap(uint64_t va, uint64_t len);
  // [va, va+len) is now backed by a shared host mapping (a vCPU's kvm_run page); unmapping
  // or remapping it puts the program's private anonymous memory back.
  void mark_shared(uint64_t va, uint64_t len);
  // -ENOMEM if a page of the range is not mapped (Linux's mprotect).
  int protect(uint64_t va, uint64_t len, int prot);
  // A free range of len bytes for mmap without MAP_FIXED, top-down below kMmapTop; 0 if none.
  uint64_t find_free(uint64_t len) const;

  // Whether every page of [va, va+len) is mapped with at least `prot`.
  bool accessible(uint64_t va, uint64_t len, int prot) const;
  bool mapped(uint64_t va) const { return va >= kBase && va < kKernelBase && prot_[page(va)] != kUnmapped; }

  uint8_t* host(uint64_t va) const { return reinterpret_cast<uint8_t*>(va); }

  // The program break (brk): set by the loader past the last segment.
  uint64_t brk_start = 0, brk_cur = 0;

 private:
  static constexpr uint8_t kUnmapped = 0xff;
  static uint64_t page(uint64_t va) { return (va - kBase) >> 12; }
  void write_pte(uint64_t va, int prot);
  uint64_t table_for(uint64_t va);  // the level-3 table holding va's descriptor
  uint64_t alloc_table();

  uint8_t* host_ = nullptr;
  std::unique_ptr<cpu::PhysMem> phys_;
  std::vector<uint8_t> prot_;  // per program page: kUnmapped or its PROT_* bits
  std::vector<bool> shared_;   // per program page: backed by a foreign shared mapping
  void restore_private(uint64_t va, uint64_t len);
  uint64_t pgd_ = 0;
  uint64_t next_table_ = 0;
};

}  // namespace pmuemu::user
