// pmuemu: thin entry point. Dispatches to a sub-command and turns host errors into the
// documented exit codes with one `pmuemu: error:` line.
#include <array>
#include <cstdio>
#include <exception>
#include <string_view>

#include "emu/cli/commands.h"
#include "emu/common/errors.h"

namespace {

struct Command {
  std::string_view name;
  int (*fn)(const pmuemu::cli::Args&);
  std::string_view help;
};

constexpr std::array kCommands{
    Command{"run", pmuemu::cli::cmd_run, "run a guest ELF on an emulated host"},
    Command{"host", pmuemu::cli::cmd_host, "inspect a host file: host show FILE"},
    Command{"plan", pmuemu::cli::cmd_plan, "PMCR_EL0.N limits and migration matrix for a fleet of hosts"},
    Command{"user", pmuemu::cli::cmd_user, "run a static aarch64 Linux program (a VMM: its /dev/kvm is the KVM model)"},
    Command{"conformance", pmuemu::cli::cmd_conformance, "run the KVM selftest vpmu_counter_access catalogue on a host"},
};

void print_usage(std::FILE* out) {
  std::fprintf(out, "usage: pmuemu COMMAND [OPTIONS]\n\ncommands:\n");
  for (const auto& c : kCommands) {
    std::fprintf(out, "  %-12.*s %.*s\n", static_cast<int>(c.name.size()), c.name.data(),
                 static_cast<int>(c.help.size()), c.help.data());
  }
  std::fprintf(out, "\n'pmuemu COMMAND --help' describes a command's options.\n");
}

}  // namespace

int main(int argc, char** argv) {
  using namespace pmuemu;
  if (argc < 2) {
    print_usage(stderr);
    return kExitUsage;
  }
  const std::string_view name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    print_usage(stdout);
    return kExitOk;
  }
  const cli::Args args(argv + 2, argv + argc);
  try {
    for (const auto& c : kCommands) {
      if (c.name == name) return c.fn(args);
    }
    throw UsageError("unknown command '" + std::string(name) + "' (try 'pmuemu --help')");
  } catch (const UsageError& e) {
    std::fprintf(stderr, "pmuemu: error: %s\n", e.what());
    return kExitUsage;
  } catch (const InputError& e) {
    std::fprintf(stderr, "pmuemu: error: %s\n", e.what());
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pmuemu: error: internal: %s\n", e.what());
    return kExitInternal;
  }
}
