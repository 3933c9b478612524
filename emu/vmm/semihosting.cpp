#include "emu/vmm/semihosting.h"

#include <array>
#include <cstring>

namespace pmuemu::vmm {
namespace {

constexpr uint32_t kSysWritec = 0x03;
constexpr uint32_t kSysWrite0 = 0x04;
constexpr uint32_t kSysWrite = 0x05;
constexpr uint32_t kSysErrno = 0x13;
constexpr uint32_t kSysExit = 0x18;
constexpr uint32_t kSysExitExtended = 0x20;
// ADP_Stopped_ApplicationExit: the only exit reason that carries the program's status.
constexpr uint64_t kApplicationExit = 0x20026;
constexpr int kStdout = 1, kStderr = 2;

using Op = SemihostingResult (*)(const GuestRam&, uint64_t, std::FILE*);

SemihostingResult fail(std::string msg) {
  SemihostingResult r;
  r.error = std::move(msg);
  return r;
}

SemihostingResult op_writec(const GuestRam& ram, uint64_t param, std::FILE* out) {
  if (!ram.contains(param, 1)) return fail("SYS_WRITEC: character address outside guest RAM");
  std::fputc(ram.host[param - ram.base], out);
  return {};
}

SemihostingResult op_write0(const GuestRam& ram, uint64_t param, std::FILE* out) {
  if (!ram.contains(param, 1)) return fail("SYS_WRITE0: string address outside guest RAM");
  const uint8_t* p = ram.host + (param - ram.base);
  const uint64_t max = ram.size - (param - ram.base);
  const void* nul = std::memchr(p, 0, max);
  if (nul == nullptr) return fail("SYS_WRITE0: string runs past the end of guest RAM");
  std::fwrite(p, 1, static_cast<const uint8_t*>(nul) - p, out);
  return {};
}

// SYS_WRITE: block {handle, buffer, length}; returns the number of bytes NOT written.
SemihostingResult op_write(const GuestRam& ram, uint64_t param, std::FILE* out) {
  uint64_t fd, buf, len;
  if (!ram.read_u64(param, fd) || !ram.read_u64(param + 8, buf) || !ram.read_u64(param + 16, len))
    return fail("SYS_WRITE: parameter block outside guest RAM");
  if (!ram.contains(buf, len)) return fail("SYS_WRITE: buffer outside guest RAM");
  if (fd != kStdout && fd != kStderr) {
    SemihostingResult r;
    r.x0 = len;  // nothing written: only the console handles exist
    return r;
  }
  std::fwrite(ram.host + (buf - ram.base), 1, len, out);
  return {};
}

SemihostingResult op_errno(const GuestRam&, uint64_t, std::FILE*) { return {}; }

// On AArch64 both SYS_EXIT and SYS_EXIT_EXTENDED take a block {reason, subcode}.
SemihostingResult op_exit(const GuestRam& ram, uint64_t param, std::FILE*) {
  uint64_t reason, subcode;
  if (!ram.read_u64(param, reason) || !ram.read_u64(param + 8, subcode))
    return fail("SYS_EXIT: parameter block outside guest RAM");
  SemihostingResult r;
  r.exit_status = reason == kApplicationExit ? static_cast<int>(subcode & 0xff) : 1;
  return r;
}

SemihostingResult op_snapshot(const GuestRam&, uint64_t, std::FILE*) {
  SemihostingResult r;
  r.snapshot = true;
  return r;
}

struct OpRow {
  uint32_t op;
  Op fn;
};
constexpr std::array kOps{
    OpRow{kSysWritec, &op_writec}, OpRow{kSysWrite0, &op_write0}, OpRow{kSysWrite, &op_write},
    OpRow{kSysErrno, &op_errno},   OpRow{kSysExit, &op_exit},     OpRow{kSysExitExtended, &op_exit},
    OpRow{kSysPmuemuSnapshot, &op_snapshot},
};

}  // namespace

bool GuestRam::read_u64(uint64_t gpa, uint64_t& out) const {
  if (!contains(gpa, 8)) return false;
  std::memcpy(&out, host + (gpa - base), 8);
  return true;
}

SemihostingResult semihosting_call(const GuestRam& ram, uint32_t op, uint64_t param, std::FILE* out) {
  for (const auto& row : kOps) {
    if (row.op == op) return row.fn(ram, param, out);
  }
  char buf[96];
  std::snprintf(buf, sizeof buf, "unsupported semihosting operation 0x%x", op);
  return fail(buf);
}

}  // namespace pmuemu::vmm
