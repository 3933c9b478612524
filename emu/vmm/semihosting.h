// A64 semihosting (Arm IHI 0057, "Semihosting for AArch32 and AArch64"), served by the VMM
// the way QEMU serves it: operation in W0, parameter in X1, result in X0.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace pmuemu::vmm {

// Guest RAM as the VMM sees it (it owns the buffer, as with KVM_SET_USER_MEMORY_REGION).
struct GuestRam {
  uint8_t* host = nullptr;
  uint64_t base = 0;
  uint64_t size = 0;
  bool contains(uint64_t gpa, uint64_t len) const {
    const uint64_t off = gpa - base;
    return off < size && size - off >= len;
  }
  bool read_u64(uint64_t gpa, uint64_t& out) const;
};

// pmuemu's own operation, in the range the semihosting specification leaves to users
// (0x100-0x1FF): the guest asks for a snapshot of the VM (`run --save-on-request`,
// docs/guest-abi.md). No parameter; X0 = 0 when the snapshot was written, -1 when the run
// has no --save-on-request.
inline constexpr uint32_t kSysPmuemuSnapshot = 0x100;

struct SemihostingResult {
  uint64_t x0 = 0;                // value returned to the guest
  bool snapshot = false;          // kSysPmuemuSnapshot: the VMM writes it and sets x0
  std::optional<int> exit_status; // set when the call ends the run
  std::string error;              // non-empty: the call was malformed (reported, run ends)
};

// Executes one call. Output goes to `out` (prefixed by `tag` at line starts if non-empty).
SemihostingResult semihosting_call(const GuestRam& ram, uint32_t op, uint64_t param, std::FILE* out);

}  // namespace pmuemu::vmm
