// The data access an A64 instruction is about to make, for gdb's read and access
// watchpoints: decoded from the instruction word and the registers before it executes (the
// base register's value then, so writeback does not disturb it).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

namespace pmuemu::gdb {

struct DataAccess {
  uint64_t va;     // first byte, guest virtual address
  uint64_t len;    // bytes
  bool read, write;
};

// `xreg(n)` gives X[n] for n < 31 and SP for n == 31 (the stack pointer PSTATE selects).
// Covers the general-purpose and FP/SIMD register loads and stores (immediate, unscaled,
// pre/post-index, register offset, literal, pairs), exclusives and load-acquire/store-
// release, and the atomic memory operations (LDADD..., SWP, CAS). nullopt: no data access,
// or one of a class not covered (SIMD structure loads and stores, prefetches).
std::optional<DataAccess> data_access(uint32_t insn, uint64_t pc, const std::function<uint64_t(unsigned)>& xreg);

}  // namespace pmuemu::gdb
