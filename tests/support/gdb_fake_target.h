// A scripted gdb::Target for the stub's unit tests and its fuzzer: two vCPUs whose ONE_REG
// registers live in a map (any id reads back what was written, zero before), and 64 KiB of
// guest RAM at 0x4000_0000. The fuzzer asks that a write outside RAM trap, so a stub bug that
// writes there is found rather than silently ignored.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <map>
#include <set>
#include <vector>

#include "cpu/phys_mem.h"
#include "emu/gdb/stub.h"
#include "kvm_model/uapi.h"

namespace pmuemu::gdb::testing {

class FakeTarget final : public Target {
 public:
  static constexpr uint64_t kRamBase = 0x40000000, kRamSize = 64 * 1024;
  static constexpr unsigned kVcpus = 2;

  FakeTarget() : ram_(kRamSize), mem_(ram_.data(), kRamBase, kRamSize) {}
  unsigned vcpu_count() const override { return kVcpus; }
  bool get_reg(unsigned v, uint64_t id, void* value) override {
    if (v >= kVcpus || refused_.count(id)) return false;
    std::memcpy(value, regs_[v][id].data(), kvm_model::one_reg_size(id));
    return true;
  }
  bool set_reg(unsigned v, uint64_t id, const void* value) override {
    if (v >= kVcpus || refused_.count(id)) return false;
    auto& r = regs_[v][id];
    r.fill(0);
    std::memcpy(r.data(), value, kvm_model::one_reg_size(id));
    return true;
  }
  bool powered_off(unsigned v) override { return v < kVcpus && off_[v]; }
  const cpu::PhysMem& phys() override { return mem_; }
  void write_phys(uint64_t pa, const void* src, uint64_t len) override {
    if (!mem_.contains(pa, len)) __builtin_trap();  // the stub must never write outside RAM
    std::memcpy(mem_.ptr(pa), src, len);
  }

  uint64_t reg64(unsigned v, uint64_t id) {
    uint64_t x = 0;
    std::memcpy(&x, regs_[v][id].data(), 8);
    return x;
  }
  void set64(unsigned v, uint64_t id, uint64_t x) { set_reg(v, id, &x); }

  std::vector<uint8_t> ram_;
  cpu::PhysMem mem_;
  std::map<uint64_t, std::array<uint8_t, 16>> regs_[kVcpus];
  std::array<bool, kVcpus> off_{};
  std::set<uint64_t> refused_;  // ids whose ONE_REG calls fail (a register KVM does not have)
};

}  // namespace pmuemu::gdb::testing
