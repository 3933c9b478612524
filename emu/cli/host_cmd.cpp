// `pmuemu host ...`: inspect host files without running anything.
//   host show FILE   every pCPU with its core type, MIDR, PMU version, N and PMCEID0/1
//   host schema      the host/core file key reference (configs/README.md embeds it)
#include <array>
#include <cstdio>
#include <string>
#include <string_view>

#include "emu/cli/commands.h"
#include "emu/common/errors.h"
#include "emu/config/host_config.h"

namespace pmuemu::cli {

namespace {

constexpr std::string_view kUsage =
    "usage: pmuemu host show FILE\n"
    "       pmuemu host schema\n"
    "\n"
    "  show FILE   load host file FILE and print its pCPUs and clusters\n"
    "  schema      print the reference of host-file and core-file keys (Markdown)\n"
    "\n"
    "Bad input exits with status 65 and one 'pmuemu: error:' line.\n";

void print(std::string_view s) { std::fwrite(s.data(), 1, s.size(), stdout); }

int show(const Args& args) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    print(kUsage);
    return kExitOk;
  }
  if (!args.empty() && args[0].starts_with("-")) {
    throw UsageError("host show: unknown option '" + args[0] + "' (try 'pmuemu host --help')");
  }
  if (args.size() != 1) {
    throw UsageError(args.empty() ? "host show: missing FILE (try 'pmuemu host --help')"
                                  : "host show: expected one FILE, got " +
                                        std::to_string(args.size()) + " arguments");
  }
  print(config::describe_host(config::load_host_file(args[0])));
  return kExitOk;
}

int schema(const Args& args) {
  if (!args.empty()) throw UsageError("host schema: takes no arguments");
  print(config::schema_reference_markdown());
  return kExitOk;
}

struct SubCommand {
  std::string_view name;
  int (*fn)(const Args&);
};
constexpr std::array kSubCommands{SubCommand{"show", show}, SubCommand{"schema", schema}};

}  // namespace

int cmd_host(const Args& args) {
  if (args.empty()) throw UsageError("host: missing sub-command (try 'pmuemu host --help')");
  const std::string_view sub = args[0];
  if (sub == "--help" || sub == "-h" || sub == "help") {
    print(kUsage);
    return kExitOk;
  }
  for (const auto& c : kSubCommands) {
    if (c.name == sub) return c.fn(Args(args.begin() + 1, args.end()));
  }
  throw UsageError("host: unknown sub-command '" + std::string(sub) +
                   "' (try 'pmuemu host --help')");
}

}  // namespace pmuemu::cli
