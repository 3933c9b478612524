// pmuemu: thin entry point. Resolves the command from the command table, parses its
// arguments against the table's row, dispatches, and turns host errors into the documented
// exit codes with one `pmuemu: error:` line.
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

#include "emu/cli/commands.h"
#include "emu/common/errors.h"
#include "emu/common/text.h"

namespace {

void print(const std::string& s, std::FILE* out = stdout) { std::fwrite(s.data(), 1, s.size(), out); }

int dispatch(const pmuemu::cli::Args& all) {
  using namespace pmuemu;
  if (all.empty()) {
    print(cli::help_text(nullptr, ""), stderr);
    return kExitUsage;
  }
  const std::string& first = all[0];
  if (first == "--help" || first == "-h") {
    if (all.size() > 1) throw UsageError("unexpected argument " + text::quoted(all[1]) + " after " + first);
    print(cli::help_text(nullptr, ""));
    return kExitOk;
  }
  if (first == "--version" || first == "-V") {
    if (all.size() > 1) throw UsageError("unexpected argument " + text::quoted(all[1]) + " after " + first);
    print(cli::version_text());
    return kExitOk;
  }
  if (first.starts_with("-")) {
    static constexpr std::string_view kTop[] = {"--help", "--version"};
    throw UsageError("unknown option " + text::quoted(first) + text::did_you_mean(first, kTop) +
                     " (try 'pmuemu --help')");
  }
  const cli::Resolved r = cli::resolve(all);
  const cli::Args rest(all.begin() + static_cast<long>(r.used), all.end());
  const cli::CommandSpec& spec = *r.spec;
  if (spec.handler == nullptr) {
    // A group (host, snapshot): only --help, or a sub-command.
    if (!rest.empty() && (rest[0] == "--help" || rest[0] == "-h")) {
      print(cli::help_text(&spec, r.path));
      return kExitOk;
    }
    std::vector<std::string_view> names;
    for (const auto& s : spec.subcommands) names.push_back(s.name);
    if (rest.empty())
      throw UsageError(r.path + ": missing sub-command, one of " + text::join(names) + " (try 'pmuemu " + r.path +
                       " --help')");
    throw UsageError(r.path + ": unknown option " + text::quoted(rest[0]) + " (try 'pmuemu " + r.path + " --help')");
  }
  const cli::ParsedArgs args = cli::parse_args(spec, r.path, rest);
  if (args.has("help")) {
    print(cli::help_text(&spec, r.path));
    return kExitOk;
  }
  return spec.handler(args);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace pmuemu;
  try {
    return dispatch(cli::Args(argv + 1, argv + argc));
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
