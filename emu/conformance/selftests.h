// Runs Linux's own arm64 KVM selftest binaries (built from Debian's linux-source-6.12 by
// the build's kvm_selftests target) under `pmuemu user`, one child process per test and
// era, and reads kselftest's outcome from each: the exit status (0 pass, 4 KSFT_SKIP,
// anything else a failure) and the reason the output gives. `pmuemu conformance` builds
// its table from these runs (docs/conformance.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pmuemu::conformance {

enum class Outcome { kPass, kFail, kSkip, kTimeout };
const char* outcome_name(Outcome o);  // "pass", "FAIL", "skip", "timeout"

// Where and how the binaries run: `pmuemu user --host HOST --kvm ERA --kvm-uapi newest
// [--vmm-cpu N] --timeout T -- BIN_DIR/TEST`. The 6.12 selftests need the 6.8 userspace
// ABI (KVM_SET_USER_MEMORY_REGION2), which every era gets over its own KVM behaviour.
struct SelftestOptions {
  std::string pmuemu;  // the pmuemu executable the children run
  std::string host_file;
  std::string bin_dir;
  std::optional<uint32_t> vmm_cpu;
  double timeout_seconds = 120;
  unsigned jobs = 1;  // runs at the same time
};

struct SelftestRun {
  std::string test;
  std::string era;
  Outcome outcome = Outcome::kFail;
  int status = 0;      // exit status; 128+N when a signal ended the child
  std::string reason;  // why it failed or skipped, from the output ("" for a pass)
  std::string output;  // stdout and stderr, interleaved as written
};

// Runs test x era for every pair (tests outer, eras inner), `jobs` at a time; the result
// is in that order whatever the order of completion. A child that cannot be started is a
// host error (std::runtime_error).
std::vector<SelftestRun> run_selftests(const SelftestOptions& o, const std::vector<std::string>& tests,
                                       const std::vector<std::string>& eras);

// kselftest's outcome of one run, from its exit status and output.
Outcome classify(int status, const std::string& output);
// The one-line reason the output gives: a TEST_ASSERT failure's location, expression and
// message; a "# SKIP" line; a "not ok" result; pmuemu's own message; else the status.
std::string outcome_reason(Outcome o, int status, const std::string& output);

}  // namespace pmuemu::conformance
