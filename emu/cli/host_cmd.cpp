// `pmuemu host ...`: inspect host files without running anything.
//   host show FILE   every pCPU with its core type, MIDR, PMU version, N and PMCEID0/1
//   host schema      the host/core file key reference (configs/README.md embeds it)
#include <cstdio>
#include <string>
#include <string_view>

#include "emu/cli/commands.h"
#include "emu/common/errors.h"
#include "emu/config/host_config.h"

namespace pmuemu::cli {
namespace {
void print(std::string_view s) { std::fwrite(s.data(), 1, s.size(), stdout); }
}  // namespace

int cmd_host_show(const ParsedArgs& args) {
  print(config::describe_host(config::load_host_file(args.positional[0])));
  return kExitOk;
}

int cmd_host_schema(const ParsedArgs&) {
  print(config::schema_reference_markdown());
  return kExitOk;
}

}  // namespace pmuemu::cli
