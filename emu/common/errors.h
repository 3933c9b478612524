// Host-side error types and the process exit codes pmuemu documents in docs/cli.md.
// Guest faults are never thrown: they are values returned by the models. These exceptions
// are for host, configuration and input errors only, and their messages name the input.
#pragma once

#include <stdexcept>
#include <string>

namespace pmuemu {

// Exit codes are part of the CLI contract (docs/cli.md); tests assert them.
enum ExitCode : int {
  kExitOk = 0,           // guest exited 0 / PSCI SYSTEM_OFF
  kExitGuestFailure = 1, // semihosting exit with a reason other than ApplicationExit
  kExitGuestFault = 3,   // the guest wedged: unhandled exception loop, jump outside RAM, --max-insns
  kExitFailEntry = 4,    // KVM_RUN returned FAIL_ENTRY (vCPU on a pCPU its PMU does not cover)
  kExitKvmRefused = 5,   // a KVM-API call of the VMM failed (the errno is in the message)
  kExitMigrationRefused = 6,  // --restore: the destination cannot take the VM as saved
  kExitSkipped = 77,     // conformance: the host offers no vPMU, the selftest would skip
  kExitUsage = 64,       // EX_USAGE: bad command line
  kExitBadInput = 65,    // EX_DATAERR: unreadable or invalid config, ELF or snapshot
  kExitInternal = 70,    // EX_SOFTWARE: a bug in pmuemu
};

// Bad command line: unknown option, missing value, value out of range.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Bad input file: the message starts with the file name (and line/key where known).
struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace pmuemu
