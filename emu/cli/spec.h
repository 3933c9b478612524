// The command line as data: every command, its options, its positional arguments and the
// exit statuses it can return are rows of the tables in command_table.cpp. The parser,
// `--help`, `pmuemu help COMMAND`, the manual page pmuemu.1 and the bash completion are all
// generated from those rows, so they cannot disagree with each other.
#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pmuemu::cli {

using Args = std::vector<std::string>;

struct OptionSpec {
  std::string_view name;     // without the leading "--"
  std::string_view metavar;  // "" for a flag that takes no value
  std::string_view help;     // one sentence; the default value is part of it
  // What bash completion offers for the value: "file", "dir" or a list of words
  // separated by spaces ("cycle functional"); "" offers nothing.
  std::string_view complete = "";
  bool repeatable = false;   // may be given more than once (values accumulate)
  char short_name = 0;       // a one-letter alias ("-v"), 0 for none
};

// One documented exit status: `code` is a number or a phrase ("guest's code").
struct ExitStatusSpec {
  std::string_view code;
  std::string_view meaning;
};

struct ParsedArgs;
using Handler = int (*)(const ParsedArgs&);

struct CommandSpec {
  std::string_view name = {};        // "run", or "show" under "host"
  std::string_view summary = {};     // one line for the command list
  std::string_view synopsis = {};    // after "pmuemu <path> ": "--host HOST.yaml --guest GUEST.elf [OPTIONS]"
  std::string_view description = {}; // paragraphs, already wrapped at 80 columns
  std::span<const OptionSpec> options = {};
  std::span<const std::string_view> exit_codes = {};  // codes of kExitStatuses that apply
  std::string_view positional = {};  // "" none, else the metavar ("FILE", "HOST.yaml")
  std::string_view positional_complete = "";     // as OptionSpec::complete
  int min_positional = 0;
  int max_positional = 0;       // -1: no upper bound
  // Options end at the first positional argument: the rest belong to it (a program and
  // its own arguments, as with env(1)).
  bool options_end_at_positional = false;
  Handler handler = nullptr;    // null for a command that only groups sub-commands
  std::span<const CommandSpec> subcommands = {};
};

// The result of parsing one command's arguments against its spec.
struct ParsedArgs {
  const CommandSpec* spec = nullptr;
  std::string path;  // "host show": for messages
  std::map<std::string, std::vector<std::string>, std::less<>> options;
  std::vector<std::string> positional;

  size_t count(std::string_view opt) const {
    const auto it = options.find(opt);
    return it == options.end() ? 0 : it->second.size();
  }
  bool has(std::string_view opt) const { return count(opt) != 0; }
  // The value of an option given once (a repeated non-repeatable option is a usage error).
  const std::string& get(std::string_view opt) const { return options.find(opt)->second.back(); }
  // Every value of an option, in command-line order; none when it was not given.
  const std::vector<std::string>& all(std::string_view opt) const {
    static const std::vector<std::string> kNone;
    const auto it = options.find(opt);
    return it == options.end() ? kNone : it->second;
  }
};

// Every exit status pmuemu documents, in the order of the tables.
std::span<const ExitStatusSpec> exit_statuses();
// The top-level commands.
std::span<const CommandSpec> commands();

// Parses `args` for `spec` (found at `path`). Throws UsageError for an unknown option (with a
// "did you mean"), a missing value, a value given to a flag, a repeated option, or a
// positional argument count outside the spec. `--help`/`-h` are recorded as option "help".
ParsedArgs parse_args(const CommandSpec& spec, std::string_view path, const Args& args);

// The value of an option that is a number of seconds greater than 0 (e.g. "2.5"); otherwise
// a UsageError "<context>--<option>: '<value>' is not a positive number of seconds".
double positive_seconds(std::string_view context, std::string_view option, const std::string& value);

// Resolves `words` (["host", "show", ...]) to the deepest command; returns it and how many
// words named it. Throws UsageError with a "did you mean" for an unknown command name.
struct Resolved {
  const CommandSpec* spec = nullptr;  // nullptr: the top level
  std::string path;
  size_t used = 0;
};
Resolved resolve(const Args& words);

// `--help` text of a command (nullptr: the top level), ending with its exit statuses.
std::string help_text(const CommandSpec* spec, std::string_view path);
// The manual page pmuemu.1 (roff, man(7) macros). `version` goes in the footer.
std::string man_page(std::string_view version);
// A bash completion script for pmuemu (defines and registers the function _pmuemu).
std::string bash_completion();

}  // namespace pmuemu::cli
