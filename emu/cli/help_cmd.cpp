// `pmuemu help`, `pmuemu completion` and `pmuemu --version`: texts generated from the
// command tables (spec.h) and the build.
#include <algorithm>
#include <cstdio>
#include <string>

#include "emu/cli/commands.h"
#include "emu/common/errors.h"
#include "emu/common/text.h"
#include "kvm_model/vpmu/era.h"

#ifndef PMUEMU_VERSION
#error "PMUEMU_VERSION must be defined by the build (the CMake project version)"
#endif

namespace pmuemu::cli {

std::string_view build_commit();  // generated at build time (version_info.cmake)

namespace {

void print(const std::string& s) { std::fwrite(s.data(), 1, s.size(), stdout); }

}  // namespace

std::string_view project_version() { return PMUEMU_VERSION; }

std::string version_text() {
  std::string out = "pmuemu " + std::string(project_version()) + " (commit " + std::string(build_commit()) + ")\n";
  out += "KVM arm64 PMU eras modelled (--kvm):\n";
  for (const auto era : kvm_model::vpmu::kAllEras) {
    const std::string_view name = kvm_model::vpmu::era_name(era);
    std::string line = "  " + std::string(name);
    line.resize(std::max(line.size() + 2, std::size_t{8}), ' ');
    line += kvm_model::vpmu::policy(era).summary;
    out += line + "\n";
  }
  return out;
}

int cmd_help(const ParsedArgs& args) {
  if (args.has("man")) {
    if (!args.positional.empty()) throw UsageError("help: --man prints the whole manual: it takes no COMMAND");
    print(man_page(project_version()));
    return kExitOk;
  }
  if (args.positional.empty()) {
    print(help_text(nullptr, ""));
    return kExitOk;
  }
  const Resolved r = resolve(args.positional);
  if (r.used != args.positional.size())
    throw UsageError("help: " + text::quoted(args.positional[r.used]) + " is not a command");
  print(help_text(r.spec, r.path));
  return kExitOk;
}

int cmd_completion(const ParsedArgs& args) {
  if (args.positional[0] != "bash")
    throw UsageError("completion: unknown shell " + text::quoted(args.positional[0]) + " (known: bash)");
  print(bash_completion());
  return kExitOk;
}

}  // namespace pmuemu::cli
