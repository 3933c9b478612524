#include "emu/gdb/events.h"

#include <cinttypes>
#include <cstdio>
#include <iterator>

#include "emu/gdb/stub.h"
#include "kvm_model/kvm.h"

namespace pmuemu::gdb {
namespace {

// PSCI functions by number (PSCI 1.1, Arm DEN 0022, table 5-1): the SMC32 ids are
// 0x8400_0000 + number, the SMC64 ones 0xC400_0000 + number.
constexpr const char* kPsciFunctions[] = {
    "PSCI_VERSION",     "CPU_SUSPEND",         "CPU_OFF",          "CPU_ON",
    "AFFINITY_INFO",    "MIGRATE",             "MIGRATE_INFO_TYPE", "MIGRATE_INFO_UP_CPU",
    "SYSTEM_OFF",       "SYSTEM_RESET",        "PSCI_FEATURES",    "CPU_FREEZE",
    "CPU_DEFAULT_SUSPEND", "NODE_HW_STATE",    "SYSTEM_SUSPEND",   "PSCI_SET_SUSPEND_MODE",
    "PSCI_STAT_RESIDENCY", "PSCI_STAT_COUNT",  "SYSTEM_RESET2",    "MEM_PROTECT",
    "MEM_PROTECT_CHECK_RANGE"};
constexpr uint32_t kPsciBase = 0x84000000, kSmc64 = 1u << 30, kPsciNumberMask = 0x1f;

}  // namespace

std::optional<std::string> psci_function_name(uint32_t fid) {
  if ((fid & ~(kSmc64 | kPsciNumberMask)) != kPsciBase) return std::nullopt;
  const uint32_t n = fid & kPsciNumberMask;
  if (n < std::size(kPsciFunctions)) return std::string(kPsciFunctions[n]);
  return "function " + std::to_string(n);
}

void report_vcpu_events(Stub& stub, std::span<kvm_model::Vcpu* const> vcpus) {
  using E = kvm_model::Vcpu::DebugEvent;
  for (kvm_model::Vcpu* v : vcpus) {
    v->set_debug_event([&stub, v](unsigned id, E e, const char* cause, uint64_t detail) {
      std::string text = "vCPU " + std::to_string(id) + ": ";
      StopOn what;
      switch (e) {
        case E::kReset:
          what = StopOn::kReset;
          text += std::string("reset (") + cause + ")";
          break;
        case E::kSmccc: {
          // SMCCC: the function id is W0; the upper half of X0 is ignored.
          const auto name = psci_function_name(static_cast<uint32_t>(detail));
          if (!name) return;
          char id_text[16];
          std::snprintf(id_text, sizeof id_text, "0x%08" PRIx32, static_cast<uint32_t>(detail));
          what = StopOn::kPsci;
          text += "PSCI " + *name + " (" + cause + " #0, function id " + id_text + ")";
          break;
        }
        case E::kPmuIrq:
          what = StopOn::kPmuOverflow;
          text += cause;
          break;
        default: return;
      }
      if (stub.note_event(id, what, std::move(text))) v->request_immediate_exit();
    });
  }
}

}  // namespace pmuemu::gdb
