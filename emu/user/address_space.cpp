#include "emu/user/address_space.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace pmuemu::user {
namespace {

// Stage-1 descriptors, 4 KiB granule (Arm ARM D8.3): bits [1:0] 11 = table (levels 0-2) or
// page (level 3). Page attributes: AttrIndx 0 (MAIR attr 0 = Normal write-back), SH inner
// shareable, AF set (no access-flag faults: the "kernel" sets it up front), AP[2:1] from the
// protection, UXN/PXN from PROT_EXEC.
constexpr uint64_t kValidTable = 3;
constexpr uint64_t kAf = 1ull << 10, kShInner = 3ull << 8, kApEl0 = 1ull << 6, kApRo = 1ull << 7;
constexpr uint64_t kPxn = 1ull << 53, kUxn = 1ull << 54;
constexpr uint64_t kVectorsPage = kKernelBase;
constexpr uint64_t kTablesBase = kKernelBase + 0x1000;

uint64_t page_descriptor(uint64_t pa, int prot, bool el1_only) {
  uint64_t d = (pa & ~0xfffull) | kValidTable | kAf | kShInner;
  if (el1_only) return d | kApRo | kUxn;  // vectors: EL1 read-only, executable at EL1 only
  d |= kApEl0 | kPxn;                      // EL0 pages are never executed by the "kernel"
  if (!(prot & kProtWrite)) d |= kApRo;
  if (!(prot & kProtExec)) d |= kUxn;
  return d;
}

}  // namespace

AddressSpace::AddressSpace() : prot_((kKernelBase - kBase) >> 12, kUnmapped), shared_(prot_.size(), false) {
  void* want = reinterpret_cast<void*>(kBase);
  void* p = mmap(want, kEnd - kBase, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
  if (p == MAP_FAILED || p != want) {
    if (p != MAP_FAILED) munmap(p, kEnd - kBase);
    throw std::runtime_error("cannot reserve the program address space [0x10000, 0x7ff00000) in the host process: " +
                             std::string(std::strerror(errno)));
  }
  host_ = static_cast<uint8_t*>(p);
  phys_ = std::make_unique<cpu::PhysMem>(host_, kBase, kEnd - kBase);
  next_table_ = kTablesBase;
  pgd_ = alloc_table();
  // The vector page: EL1 only, so a program cannot read or jump into it.
  const uint64_t l3 = table_for(kVectorsPage);
  cpu::guest_store<uint64_t>(host(l3 + ((kVectorsPage >> 12) & 511) * 8), page_descriptor(kVectorsPage, 0, true));
}

AddressSpace::~AddressSpace() {
  if (host_ != nullptr) munmap(host_, kEnd - kBase);
}

uint64_t AddressSpace::alloc_table() {
  if (next_table_ + 0x1000 > kEnd) throw std::runtime_error("user address space: page-table pool exhausted");
  const uint64_t t = next_table_;
  next_table_ += 0x1000;
  std::memset(host(t), 0, 0x1000);
  return t;
}

uint64_t AddressSpace::table_for(uint64_t va) {
  uint64_t table = pgd_;
  for (unsigned shift : {39u, 30u, 21u}) {
    uint8_t* slot = host(table + ((va >> shift) & 511) * 8);
    uint64_t d = cpu::guest_load<uint64_t>(slot);
    if ((d & 3) != kValidTable) {
      d = alloc_table() | kValidTable;
      cpu::guest_store<uint64_t>(slot, d);
    }
    table = d & 0x0000fffffffff000ull;
  }
  return table;
}

void AddressSpace::write_pte(uint64_t va, int prot) {
  const uint64_t l3 = table_for(va);
  const uint64_t d = prot < 0 || (prot & (kProtRead | kProtWrite | kProtExec)) == 0 ? 0 : page_descriptor(va, prot, false);
  cpu::guest_store<uint64_t>(host(l3 + ((va >> 12) & 511) * 8), d);
}

void AddressSpace::mark_shared(uint64_t va, uint64_t len) {
  for (uint64_t a = va; a < va + len; a += 0x1000) shared_[page(a)] = true;
}

void AddressSpace::restore_private(uint64_t va, uint64_t len) {
  for (uint64_t a = va; a < va + len; a += 0x1000) {
    if (!shared_[page(a)]) continue;
    shared_[page(a)] = false;
    mmap(host(a), 0x1000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
  }
}

bool AddressSpace::map(uint64_t va, uint64_t len, int prot) {
  len = (len + 0xfff) & ~0xfffull;
  if ((va & 0xfff) != 0 || va < kBase || va > kKernelBase || len > kKernelBase - va) return false;
  restore_private(va, len);
  // Fresh pages read as zero, whatever an earlier mapping left there.
  if (len != 0) madvise(host(va), len, MADV_DONTNEED);
  for (uint64_t a = va; a < va + len; a += 0x1000) {
    prot_[page(a)] = static_cast<uint8_t>(prot & 7);
    write_pte(a, prot);
  }
  return true;
}

bool AddressSpace::unmap(uint64_t va, uint64_t len) {
  len = (len + 0xfff) & ~0xfffull;
  if ((va & 0xfff) != 0 || va < kBase || va > kKernelBase || len > kKernelBase - va) return false;
  for (uint64_t a = va; a < va + len; a += 0x1000) {
    if (prot_[page(a)] == kUnmapped) continue;
    prot_[page(a)] = kUnmapped;
    write_pte(a, -1);
  }
  restore_private(va, len);
  if (len != 0) madvise(host(va), len, MADV_DONTNEED);
  return true;
}

int AddressSpace::protect(uint64_t va, uint64_t len, int prot) {
  len = (len + 0xfff) & ~0xfffull;
  if ((va & 0xfff) != 0) return -EINVAL;
  if (va < kBase || va > kKernelBase || len > kKernelBase - va) return -ENOMEM;
  for (uint64_t a = va; a < va + len; a += 0x1000)
    if (prot_[page(a)] == kUnmapped) return -ENOMEM;
  for (uint64_t a = va; a < va + len; a += 0x1000) {
    prot_[page(a)] = static_cast<uint8_t>(prot & 7);
    write_pte(a, prot);
  }
  return 0;
}

uint64_t AddressSpace::find_free(uint64_t len) const {
  len = (len + 0xfff) & ~0xfffull;
  if (len == 0 || len > kMmapTop - kBase) return 0;
  uint64_t run = 0;
  for (uint64_t a = kMmapTop; a > kBase;) {
    a -= 0x1000;
    if (prot_[page(a)] == kUnmapped && a >= brk_cur + (64u << 20)) {
      run += 0x1000;
      if (run == len) return a;
    } else {
      run = 0;
    }
  }
  return 0;
}

bool AddressSpace::accessible(uint64_t va, uint64_t len, int prot) const {
  if (len == 0) return true;
  if (va < kBase || va >= kKernelBase || len > kKernelBase - va) return false;
  for (uint64_t a = va & ~0xfffull; a < va + len; a += 0x1000) {
    const uint8_t p = prot_[page(a)];
    if (p == kUnmapped || (p & prot) != prot) return false;
  }
  return true;
}

}  // namespace pmuemu::user
