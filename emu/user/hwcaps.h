// The ELF hardware capabilities Linux gives an arm64 program (AT_HWCAP, AT_HWCAP2 and the
// "Features" line of /proc/cpuinfo), from a core's ID registers by the kernel's rules
// (each capability is an ID register field at or above a value).
#pragma once

#include <cstdint>
#include <string>

#include "cpu/core.h"

namespace pmuemu::user {

struct Hwcaps {
  uint64_t hwcap = 0;   // AT_HWCAP
  uint64_t hwcap2 = 0;  // AT_HWCAP2
};

// HWCAP_EVTSTRM is set: Linux enables the generic timer's event stream by default
// (CONFIG_ARM_ARCH_TIMER_EVTSTREAM) so that a WFE is never stuck for longer than its
// period, and under pmuemu user a WFE never waits at all (it completes at once), which
// keeps that promise. HWCAP_CPUID is set: EL0 reads of the ID registers are emulated.
Hwcaps hwcaps_of(const cpu::IdRegs& ids);

// The names Linux's /proc/cpuinfo prints for caps, space-separated, in its order (every
// AT_HWCAP bit, then every AT_HWCAP2 bit).
std::string hwcap_features(const Hwcaps& caps);

}  // namespace pmuemu::user
