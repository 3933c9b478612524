#include "emu/user/address_space.h"

#include <sys/mman.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

namespace pmuemu::user {
namespace {

// Stage-1 descriptors, 4 KiB granule (Arm ARM D8.3): bits [1:0] 11 = table (levels 0-2) or
// page (level 3). Page attributes: AttrIndx 0 (MAIR attr 0 = Normal write-back), SH inner
// shareable, AF set (the page is being accessed: that is why it is filled in), AP[2:1]
// from the protection, UXN/PXN from PROT_EXEC.
constexpr uint64_t kValidTable = 3;
constexpr uint64_t kAf = 1ull << 10, kShInner = 3ull << 8, kApEl0 = 1ull << 6, kApRo = 1ull << 7;
constexpr uint64_t kPxn = 1ull << 53, kUxn = 1ull << 54;
constexpr uint64_t kOutputMask = 0x0000fffffffff000ull;
constexpr uint64_t kTablesBase = kKernelBase + 0x1000;

uint64_t page_descriptor(uint64_t pa, int prot, bool el1_only) {
  uint64_t d = (pa & ~0xfffull) | kValidTable | kAf | kShInner;
  if (el1_only) return d | kApRo | kUxn;  // vectors: EL1 read-only, executable at EL1 only
  d |= kApEl0 | kPxn;                      // program pages are never executed by the "kernel"
  if (!(prot & kProtWrite)) d |= kApRo;
  if (!(prot & kProtExec)) d |= kUxn;
  return d;
}

uint64_t round_up(uint64_t len) { return (len + 0xfff) & ~0xfffull; }

bool in_program(uint64_t va, uint64_t len) {
  return (va & 0xfff) == 0 && va >= kBase && va <= kKernelBase && len <= kKernelBase - va;
}

}  // namespace

AddressSpace::AddressSpace() {
  void* want = reinterpret_cast<void*>(kBase);
  void* p = mmap(want, kEnd - kBase, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
  if (p == MAP_FAILED || p != want) {
    if (p != MAP_FAILED) munmap(p, kEnd - kBase);
    char range[64];
    std::snprintf(range, sizeof range, "[0x%llx, 0x%llx)", static_cast<unsigned long long>(kBase),
                  static_cast<unsigned long long>(kEnd));
    throw std::runtime_error(std::string("cannot reserve the program address space ") + range +
                             " in the host process: " + std::strerror(errno));
  }
  host_ = static_cast<uint8_t*>(p);
  phys_ = std::make_unique<cpu::PhysMem>(host_, kBase, kEnd - kBase);
  next_table_ = kTablesBase;
  pgd_ = alloc_table();
  // The vector page: EL1 only, so a program cannot read or jump into it.
  *pte_slot(vectors(), true) = page_descriptor(vectors(), 0, true);
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

uint64_t* AddressSpace::pte_slot(uint64_t va, bool create) {
  uint64_t table = pgd_;
  for (unsigned shift : {39u, 30u, 21u}) {
    auto* slot = reinterpret_cast<uint64_t*>(host(table + ((va >> shift) & 511) * 8));
    if ((*slot & 3) != kValidTable) {
      if (!create) return nullptr;
      *slot = alloc_table() | kValidTable;
    }
    table = *slot & kOutputMask;
  }
  return reinterpret_cast<uint64_t*>(host(table + ((va >> 12) & 511) * 8));
}

int AddressSpace::prot_at(uint64_t va) const {
  auto it = regions_.upper_bound(va);
  if (it == regions_.begin()) return -1;
  --it;
  return va < it->second.end ? it->second.prot : -1;
}

bool AddressSpace::fits(uint64_t va, uint64_t len) { return in_program(va, round_up(len)); }

void AddressSpace::split_at(uint64_t va) {
  auto it = regions_.upper_bound(va);
  if (it == regions_.begin()) return;
  --it;
  if (it->first == va || va >= it->second.end) return;
  Region tail = it->second;
  it->second.end = va;
  regions_[va] = tail;
}

void AddressSpace::clear_descriptors(uint64_t va, uint64_t end) {
  // Only where tables exist: a large untouched range is skipped a 2 MiB table at a time.
  for (uint64_t a = va; a < end;) {
    uint64_t* slot = pte_slot(a, false);
    if (slot == nullptr) {
      a = (a | 0x1fffff) + 1;
      continue;
    }
    *slot = 0;
    a += 0x1000;
  }
}

void AddressSpace::clear(uint64_t va, uint64_t end) {
  split_at(va);
  split_at(end);
  for (auto it = regions_.lower_bound(va); it != regions_.end() && it->first < end;) {
    if (it->second.shared)
      mmap(host(it->first), it->second.end - it->first, PROT_READ | PROT_WRITE,
           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
    it = regions_.erase(it);
  }
  clear_descriptors(va, end);
}

bool AddressSpace::map(uint64_t va, uint64_t len, int prot) {
  len = round_up(len);
  if (!in_program(va, len)) return false;
  if (len == 0) return true;
  clear(va, va + len);
  // Fresh pages read as zero, whatever an earlier mapping left there.
  madvise(host(va), len, MADV_DONTNEED);
  regions_[va] = Region{va + len, prot & 7, false};
  return true;
}

bool AddressSpace::unmap(uint64_t va, uint64_t len) {
  len = round_up(len);
  if (!in_program(va, len)) return false;
  if (len == 0) return true;
  clear(va, va + len);
  madvise(host(va), len, MADV_DONTNEED);
  return true;
}

int AddressSpace::protect(uint64_t va, uint64_t len, int prot) {
  len = round_up(len);
  if ((va & 0xfff) != 0) return -EINVAL;
  if (!in_program(va, len)) return -ENOMEM;
  if (!accessible(va, len, 0)) return -ENOMEM;
  split_at(va);
  split_at(va + len);
  for (auto it = regions_.lower_bound(va); it != regions_.end() && it->first < va + len; ++it) it->second.prot = prot & 7;
  // Descriptors are filled again, with the new permissions, at the next access.
  clear_descriptors(va, va + len);
  return 0;
}

void AddressSpace::mark_shared(uint64_t va, uint64_t len) {
  split_at(va);
  split_at(va + round_up(len));
  for (auto it = regions_.lower_bound(va); it != regions_.end() && it->first < va + len; ++it) it->second.shared = true;
}

uint64_t AddressSpace::find_free(uint64_t len) const {
  len = round_up(len);
  // The heap may grow up to 64 MiB past its current end before mmap takes the space.
  const uint64_t floor = std::max<uint64_t>(kBase, brk_cur + (64ull << 20));
  if (len == 0 || len > kMmapTop - floor) return 0;
  uint64_t top = kMmapTop;
  // Walk regions from the highest one below kMmapTop down, looking for a gap.
  auto it = regions_.lower_bound(kMmapTop);
  while (true) {
    uint64_t gap_lo = floor;
    auto prev = it;
    if (prev != regions_.begin()) {
      --prev;
      gap_lo = std::max(floor, prev->second.end);
    }
    if (top >= gap_lo && top - gap_lo >= len) return top - len;
    if (it == regions_.begin() || prev == it) return 0;
    it = prev;
    top = std::min(top, it->first);
    if (top <= floor) return 0;
  }
}

bool AddressSpace::fault_in(uint64_t va, bool is_write, bool is_exec) {
  const int prot = prot_at(va);
  if (prot < 0 || va >= kKernelBase) return false;
  if (is_write && !(prot & kProtWrite)) return false;
  if (is_exec && !(prot & kProtExec)) return false;
  if (!is_write && !is_exec && !(prot & (kProtRead | kProtWrite | kProtExec))) return false;
  uint64_t* slot = pte_slot(va, true);
  const uint64_t want = page_descriptor(va, prot, false);
  if (*slot == want) return false;  // already as allowed: the fault is real
  *slot = want;
  return true;
}

std::vector<AddressSpace::Run> AddressSpace::regions_in(uint64_t va, uint64_t end) const {
  std::vector<Run> out;
  auto it = regions_.upper_bound(va);
  if (it != regions_.begin()) --it;
  for (; it != regions_.end() && it->first < end; ++it) {
    if (it->second.end <= va) continue;
    out.push_back(Run{std::max(it->first, va), std::min(it->second.end, end), it->second.prot, it->second.shared});
  }
  return out;
}

bool AddressSpace::accessible(uint64_t va, uint64_t len, int prot) const {
  if (len == 0) return true;
  if (va < kBase || va >= kKernelBase || len > kKernelBase - va) return false;
  uint64_t a = va & ~0xfffull;
  while (a < va + len) {
    auto it = regions_.upper_bound(a);
    if (it == regions_.begin()) return false;
    --it;
    if (a >= it->second.end || (it->second.prot & prot) != prot) return false;
    a = it->second.end;
  }
  return true;
}

}  // namespace pmuemu::user
