// `pmuemu user`: run an aarch64 Linux program (static, or dynamic with --sysroot) at EL0 on an emulated pCPU, with a Linux
// system-call layer; its /dev/kvm is the KVM model (emu/user). Options: command_table.cpp.
#include <sys/resource.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "emu/cli/commands.h"
#include "emu/common/errors.h"
#include "emu/config/host_config.h"
#include "emu/user/kvm_bridge.h"
#include "emu/user/process.h"

namespace pmuemu::cli {
namespace {

uint64_t parse_u64(const std::string& opt, const std::string& v) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long x = std::strtoull(v.c_str(), &end, 0);
  if (v.empty() || *end != 0 || errno != 0 || v[0] == '-')
    throw UsageError("user: --" + opt + ": '" + v + "' is not a non-negative integer");
  return x;
}

}  // namespace

int cmd_user(const ParsedArgs& args) {
  user::UserOptions opts;
  if (!args.has("host")) throw UsageError("user: --host is required (try 'pmuemu user --help')");
  const std::string host_file = args.get("host");
  const std::string era = args.has("kvm") ? args.get("kvm") : "6.7";
  if (args.has("kvm-uapi")) {
    const std::string& v = args.get("kvm-uapi");
    if (v == "newest") opts.newest_uapi = true;
    else if (v != "era") throw UsageError("user: --kvm-uapi: '" + v + "' is not 'era' or 'newest'");
  }
  if (args.has("vmm-cpu")) opts.vmm_cpu = static_cast<uint32_t>(parse_u64("vmm-cpu", args.get("vmm-cpu")));
  if (args.has("thread-cpu")) {
    for (const std::string& v : args.all("thread-cpu")) {
      const size_t eq = v.rfind('=');
      if (eq == std::string::npos || eq == 0)
        throw UsageError("user: --thread-cpu: '" + v + "' is not NAME=CPU");
      const std::string name = v.substr(0, eq);
      // Linux keeps TASK_COMM_LEN - 1 characters of a name: a longer one never matches.
      if (name.size() > 15)
        throw UsageError("user: --thread-cpu: '" + name + "' is longer than a thread name (15 characters)");
      opts.thread_cpus.emplace_back(name, static_cast<uint32_t>(parse_u64("thread-cpu", v.substr(eq + 1))));
    }
  }
  if (args.has("max-insns")) opts.max_insns = parse_u64("max-insns", args.get("max-insns"));
  if (args.has("seed")) opts.seed = parse_u64("seed", args.get("seed"));
  if (args.has("pid")) opts.pid = static_cast<int>(parse_u64("pid", args.get("pid")));
  if (args.has("timeout")) opts.timeout_seconds = positive_seconds("user: ", "timeout", args.get("timeout"));
  if (args.has("trace")) {
    const std::string& v = args.get("trace");
    size_t pos = 0;
    for (;;) {
      const size_t comma = v.find(',', pos);
      const std::string item = v.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      if (item == "syscall") opts.trace_syscall = true;
      else if (item == "vmm") opts.trace_vmm = true;
      else throw UsageError("user: --trace: unknown item '" + item + "' (syscall, vmm)");
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
  }
  if (args.has("sysroot")) {
    opts.sysroot = args.get("sysroot");
    std::error_code ec;
    if (!std::filesystem::is_directory(opts.sysroot, ec))
      throw UsageError("user: --sysroot: '" + opts.sysroot.string() + "' is not a directory");
    // Absolute, so that a program that changes its working directory still finds it.
    opts.sysroot = std::filesystem::absolute(opts.sysroot);
  }
  opts.program = args.positional.at(0);
  opts.argv = args.positional;
  opts.envp = args.has("env") ? args.all("env") : std::vector<std::string>{"PATH=/usr/bin:/bin", "HOME=/", "LANG=C"};
  // execve starts pmuemu user again with the same options on the new program.
  opts.reexec = {"pmuemu", "user", "--host", host_file, "--kvm", era};
  if (opts.newest_uapi) opts.reexec.insert(opts.reexec.end(), {"--kvm-uapi", "newest"});
  if (!opts.sysroot.empty()) opts.reexec.insert(opts.reexec.end(), {"--sysroot", opts.sysroot.string()});
  for (const char* o : {"vmm-cpu", "max-insns", "seed", "timeout", "trace"})
    if (args.has(o)) opts.reexec.insert(opts.reexec.end(), {std::string("--") + o, args.get(o)});
  if (args.has("thread-cpu"))
    for (const std::string& v : args.all("thread-cpu")) opts.reexec.insert(opts.reexec.end(), {"--thread-cpu", v});
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
