// One child `pmuemu user` per selftest run: a run that crashes, hangs or exhausts memory
// ends only its own cell of the table, and runs proceed in parallel without sharing any
// emulator state.
#include "emu/conformance/selftests.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <thread>

extern char** environ;

namespace pmuemu::conformance {
namespace {

constexpr int kKsftSkip = 4;
constexpr int kUserWedged = 3;  // pmuemu user: --max-insns or --timeout reached

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const size_t e = text.find('\n');
    out.push_back(text.substr(0, e));
    if (e == std::string_view::npos) break;
    text.remove_prefix(e + 1);
  }
  return out;
}

bool is_backtrace_line(std::string_view l) {
  // test_assert()'s backtrace: "     1\t0x412345: func at file.c:12"
  l = trim(l);
  size_t i = 0;
  while (i < l.size() && l[i] >= '0' && l[i] <= '9') ++i;
  if (i == 0 || i >= l.size() || (l[i] != '\t' && l[i] != ' ')) return false;
  return trim(l.substr(i)).starts_with("0x");
}

// A TEST_ASSERT failure: "==== Test Assertion Failure ====", then "  FILE:LINE: EXPR", then
// "  pid=.. tid=.. errno=..", an optional backtrace, and the message.
std::string assertion_reason(const std::vector<std::string_view>& lines, size_t at) {
  std::string where, message;
  for (size_t i = at + 1; i < lines.size(); ++i) {
    const std::string_view l = trim(lines[i]);
    if (l.empty() || l.starts_with("pid=") || is_backtrace_line(lines[i])) continue;
    if (l.starts_with("====") || l.starts_with("pmuemu:")) break;
    if (where.empty()) {
      where = l;
    } else {
      message = l;
      break;
    }
  }
  return message.empty() ? where : where + ": " + message;
}

std::string spawn_and_wait(const std::vector<std::string>& argv, int& status) {
  const int fd = memfd_create("pmuemu-selftest", MFD_CLOEXEC);
  if (fd < 0) throw std::runtime_error(std::string("memfd_create: ") + std::strerror(errno));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, fd, 1);
  posix_spawn_file_actions_adddup2(&fa, fd, 2);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    close(fd);
    throw std::runtime_error(argv[0] + ": cannot start: " + std::strerror(rc));
  }
  int ws = 0;
  while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
  }
  status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
  std::string out;
  char buf[65536];
  for (off_t off = 0;;) {
    const ssize_t n = pread(fd, buf, sizeof buf, off);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    off += n;
  }
  close(fd);
  return out;
}

}  // namespace

const char* outcome_name(Outcome o) {
  constexpr const char* kNames[] = {"pass", "FAIL", "skip", "timeout"};
  return kNames[static_cast<int>(o)];
}

Outcome classify(int status, const std::string& output) {
  if (status == 0) return Outcome::kPass;
  if (status == kKsftSkip) return Outcome::kSkip;
  if (status == kUserWedged && output.find("wall-clock limit") != std::string::npos) return Outcome::kTimeout;
  return Outcome::kFail;
}

std::string outcome_reason(Outcome o, int status, const std::string& output) {
  if (o == Outcome::kPass) return "";
  const auto lines = lines_of(output);
  if (o == Outcome::kSkip) {
    for (std::string_view l : lines)
      if (const size_t at = l.find("# SKIP"); at != std::string_view::npos) {
        std::string_view r = trim(l.substr(at + 6));
        if (r.starts_with("- ")) r.remove_prefix(2);
        return std::string(r);
      }
    return "exit status 4 (KSFT_SKIP)";
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    if (trim(lines[i]) != "==== Test Assertion Failure ====") continue;
    // A kselftest-style test that reported results first: name the last one that passed.
    std::string after;
    for (size_t j = 0; j < i; ++j)
      if (lines[j].starts_with("ok ")) after = " (after " + std::string(trim(lines[j])) + ")";
    return assertion_reason(lines, i) + after;
  }
  for (std::string_view l : lines)
    if (l.starts_with("not ok ")) return std::string(trim(l));
  for (std::string_view l : lines)
    if (l.starts_with("pmuemu: ")) {
      // "pmuemu: PROGRAM: reason": the program's path is the test's name already.
      l.remove_prefix(8);
      const size_t colon = l.find(": ");
      return std::string(colon == std::string_view::npos ? l : l.substr(colon + 2));
    }
  return "exit status " + std::to_string(status);
}

std::vector<SelftestRun> run_selftests(const SelftestOptions& o, const std::vector<std::string>& tests,
                                       const std::vector<std::string>& eras) {
  std::vector<SelftestRun> runs;
  for (const std::string& t : tests)
    for (const std::string& e : eras) {
      SelftestRun r;
      r.test = t;
      r.era = e;
      runs.push_back(std::move(r));
    }
  std::atomic<size_t> next{0};
  std::vector<std::string> errors(runs.size());
  auto worker = [&] {
    for (size_t i; (i = next++) < runs.size();) {
      SelftestRun& r = runs[i];
      std::vector<std::string> argv{o.pmuemu, "user", "--host", o.host_file, "--kvm", r.era, "--kvm-uapi", "newest",
                                    "--timeout", std::to_string(o.timeout_seconds)};
      if (o.vmm_cpu) argv.insert(argv.end(), {"--vmm-cpu", std::to_string(*o.vmm_cpu)});
      argv.insert(argv.end(), {"--", o.bin_dir + "/" + r.test});
      try {
        r.output = spawn_and_wait(argv, r.status);
      } catch (const std::exception& e) {
        errors[i] = e.what();
        continue;
      }
      r.outcome = classify(r.status, r.output);
      r.reason = outcome_reason(r.outcome, r.status, r.output);
    }
  };
  const unsigned jobs = std::max(1u, std::min<unsigned>(o.jobs, static_cast<unsigned>(runs.size())));
  std::vector<std::thread> pool;
  for (unsigned j = 1; j < jobs; ++j) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  for (const std::string& e : errors)
    if (!e.empty()) throw std::runtime_error(e);
  return runs;
}

}  // namespace pmuemu::conformance
