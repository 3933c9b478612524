// What a run that ends on a guest fault or a limit (--max-insns, --timeout) prints under
// --trace insn: each vCPU's registers and the last instructions it executed, kept in a small
// ring per vCPU by the instruction trace hook (so a run without --trace insn pays nothing).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace pmuemu {

struct InsnRecord {
  uint64_t pc;
  uint32_t insn;
  uint8_t el;
};

class InsnRing {
 public:
  static constexpr size_t kSize = 16;
  void push(uint64_t pc, uint32_t insn, uint8_t el) {
    r_[next_] = {pc, insn, el};
    next_ = (next_ + 1) % kSize;
    if (count_ < kSize) ++count_;
  }
  // Oldest first.
  std::vector<InsnRecord> in_order() const;

 private:
  std::array<InsnRecord, kSize> r_{};
  size_t next_ = 0, count_ = 0;
};

// The dump of one vCPU: `get(one_reg_id, value)` reads a register (false: unavailable),
// `line(record)` formats an instruction as --trace insn does.
std::string format_vcpu_dump(unsigned vcpu, const std::function<bool(uint64_t, uint64_t&)>& get,
                             const std::vector<InsnRecord>& last, const std::function<std::string(const InsnRecord&)>& line);

}  // namespace pmuemu
