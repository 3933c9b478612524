// `pmuemu user`: run a static aarch64 Linux program at EL0 on an emulated pCPU, with a Linux
// system-call layer; its /dev/kvm is the KVM model (emu/user).
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "emu/cli/commands.h"
#include "emu/common/errors.h"
#include "emu/config/host_config.h"
#include "emu/user/kvm_bridge.h"
#include "emu/user/process.h"

namespace pmuemu::cli {
namespace {

constexpr std::string_view kUsage =
    "usage: pmuemu user --host HOST.yaml [OPTIONS] [--] PROGRAM [ARGS...]\n"
    "\n"
    "Runs PROGRAM, a static aarch64 Linux executable, at EL0 on an emulated pCPU of the host\n"
    "with a Linux system-call layer. Its open(\"/dev/kvm\") reaches the KVM model: the program\n"
    "is a VMM, and its KVM_RUN runs the vCPU on the emulated host.\n"
    "\n"
    "  --host FILE        host description (required)\n"
    "  --kvm ERA          kernel era of the KVM model (6.6, v5, 6.7, 6.16; default 6.7)\n"
    "  --kvm-uapi WHICH   era: the era's own ioctls and capabilities (default); newest:\n"
    "                     those of the newest era (USER_MEMORY2, writable ID masks) over the\n"
    "                     era's KVM behaviour, which Linux 6.12's selftests need to run\n"
    "  --vmm-cpu N        the pCPU the program starts on (default 0)\n"
    "  --trace WHAT       syscall: print every system call strace-style on stderr\n"
    "  --max-insns N      stop after N program instructions (exit 3)\n"
    "  --timeout SECONDS  stop after this much wall-clock time (exit 3)\n"
    "  --seed N           seed of getrandom and AT_RANDOM (default 0)\n"
    "\n"
    "Exit status: the program's; 128+N when signal N killed it (as a shell reports it);\n"
    "3 when a limit stopped it; 64 bad command line; 65 the program is not a static\n"
    "aarch64 ELF or the host file is invalid.\n";

uint64_t parse_u64(const std::string& opt, const std::string& v) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long x = std::strtoull(v.c_str(), &end, 0);
  if (v.empty() || *end != 0 || errno != 0 || v[0] == '-')
    throw UsageError(opt + ": '" + v + "' is not a non-negative integer");
  return x;
}

}  // namespace

int cmd_user(const Args& args) {
  user::UserOptions opts;
  std::vector<std::string> envp;
  bool env_given = false;
  std::string host_file, era = "6.7";
  size_t i = 0;
  auto value = [&](const std::string& opt) -> std::string {
    if (i + 1 >= args.size()) throw UsageError(opt + " needs a value (try 'pmuemu user --help')");
    return args[++i];
  };
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::fwrite(kUsage.data(), 1, kUsage.size(), stdout);
      return kExitOk;
    }
    if (a == "--") {
      ++i;
      break;
    }
    if (!a.starts_with("-")) break;
    if (a == "--host") host_file = value(a);
    else if (a == "--kvm") era = value(a);
    else if (a == "--kvm-uapi") {
      const std::string v = value(a);
      if (v == "newest") opts.newest_uapi = true;
      else if (v != "era") throw UsageError("--kvm-uapi: '" + v + "' is not 'era' or 'newest'");
    }
    else if (a == "--vmm-cpu") opts.vmm_cpu = static_cast<uint32_t>(parse_u64(a, value(a)));
    else if (a == "--max-insns") opts.max_insns = parse_u64(a, value(a));
    else if (a == "--seed") opts.seed = parse_u64(a, value(a));
    else if (a == "--pid") opts.pid = static_cast<int>(parse_u64(a, value(a)));  // set by execve
    else if (a == "--env") envp.push_back(value(a));  // set by execve
    else if (a == "--timeout") {
      const std::string v = value(a);
      char* end = nullptr;
      opts.timeout_seconds = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != 0 || opts.timeout_seconds <= 0) throw UsageError("--timeout: '" + v + "' is not a positive number of seconds");
    } else if (a == "--trace") {
      const std::string v = value(a);
      size_t pos = 0;
      while (pos <= v.size()) {
        const size_t comma = v.find(',', pos);
        const std::string item = v.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        if (item == "syscall") opts.trace_syscall = true;
        else if (item == "vmm") opts.trace_vmm = true;
        else throw UsageError("--trace: unknown item '" + item + "' (syscall, vmm)");
        if (comma == std::string::npos) break;
        pos = comma + 1;
      }
    } else {
      throw UsageError("user: unknown option '" + a + "' (try 'pmuemu user --help')");
    }
  }
  if (host_file.empty()) throw UsageError("user: --host is required (try 'pmuemu user --help')");
  if (i >= args.size()) throw UsageError("user: missing PROGRAM (try 'pmuemu user --help')");
  opts.program = args[i];
  for (size_t k = i; k < args.size(); ++k) opts.argv.push_back(args[k]);
  env_given = !envp.empty();
  opts.envp = env_given ? envp : std::vector<std::string>{"PATH=/usr/bin:/bin", "HOME=/", "LANG=C"};
  // execve starts pmuemu user again with the same options (argv[0] of the host is not
  // needed: execve runs /proc/self/exe).
  opts.reexec = {"pmuemu", "user"};
  for (size_t k = 0; k < i; ++k) {
    if (args[k] == "--pid" || args[k] == "--env") {
      ++k;
      continue;
    }
    if (args[k] != "--") opts.reexec.push_back(args[k]);
  }
  const config::Host host = config::load_host_file(host_file);
  user::Process proc(host, opts, user::make_kvm_backend(host, era, opts));
  const user::Outcome out = proc.run();
  if (out.signal || !out.reason.empty())
    std::fprintf(stderr, "pmuemu: %s: %s\n", opts.program.string().c_str(), out.reason.c_str());
  std::fflush(nullptr);
  if (out.signal && (proc.is_forked_child() || opts.pid != 1)) {
    // A child dies by its signal so that the parent's wait4 sees what Linux would show.
    const rlimit no_core{0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    std::signal(*out.signal, SIG_DFL);
    std::raise(*out.signal);
  }
  return out.exit_status;
}

}  // namespace pmuemu::cli
