// Parser and generators over the command tables (spec.h). Nothing here names a particular
// command: the rows in command_table.cpp are the only description of the command line.
#include "emu/cli/spec.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "emu/common/errors.h"
#include "emu/common/text.h"

namespace pmuemu::cli {
namespace {

constexpr size_t kWidth = 80;

// Greedy word wrap of `text` (which may hold paragraphs separated by "\n") with `indent`
// spaces before every line; the first line's indent is `first` (it may already be used).
std::string wrap(std::string_view text, size_t indent, size_t first_used = 0) {
  std::string out;
  size_t col = first_used;
  bool line_start = true;
  auto newline = [&] {
    out += '\n';
    col = 0;
    line_start = true;
  };
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '\n') {
      newline();
      ++i;
      continue;
    }
    if (text[i] == ' ') {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() && text[j] != ' ' && text[j] != '\n') ++j;
    const std::string_view word = text.substr(i, j - i);
    if (!line_start && col + 1 + word.size() > kWidth) newline();
    if (line_start) {
      if (col < indent) out.append(indent - col, ' '), col = indent;
    } else {
      out += ' ';
      ++col;
    }
    out += word;
    col += word.size();
    line_start = false;
    i = j;
  }
  if (!line_start || out.empty() || out.back() != '\n') out += '\n';
  return out;
}

std::string option_label(const OptionSpec& o) {
  std::string s = "--" + std::string(o.name);
  if (!o.metavar.empty()) s += " " + std::string(o.metavar);
  return s;
}

const ExitStatusSpec* find_status(std::string_view code) {
  for (const auto& e : exit_statuses())
    if (e.code == code) return &e;
  return nullptr;
}

std::vector<std::string_view> command_names(std::span<const CommandSpec> cmds) {
  std::vector<std::string_view> names;
  for (const auto& c : cmds) names.push_back(c.name);
  return names;
}

// roff: a backslash, a minus (so that options copy and paste as ASCII) and a line that
// would start with a control character.
std::string roff(std::string_view s) {
  std::string out;
  bool at_line_start = true;
  for (char c : s) {
    if (at_line_start && (c == '.' || c == '\'')) out += "\\&";
    if (c == '\\') out += "\\e";
    else if (c == '-') out += "\\-";
    else out += c;
    at_line_start = c == '\n';
  }
  return out;
}

void man_command(std::string& out, const CommandSpec& c, const std::string& path) {
  out += ".SS \"" + roff(path) + "\"\n";
  out += ".B pmuemu " + roff(path);
  if (!c.synopsis.empty()) out += "\n" + roff(c.synopsis);
  out += "\n.PP\n" + roff(c.summary) + ".\n";
  if (!c.description.empty()) {
    std::string d(c.description);
    // Paragraphs of the description become .PP; single newlines are reflowed by roff.
    size_t pos = 0;
    while ((pos = d.find("\n\n", pos)) != std::string::npos) d.replace(pos, 2, "\n.PP\n"), pos += 5;
    out += ".PP\n" + roff(d) + "\n";
  }
  for (const auto& o : c.options) {
    out += ".TP\n";
    if (o.metavar.empty()) out += ".B \\-\\-" + roff(o.name) + "\n";
    else out += ".BI \"\\-\\-" + roff(o.name) + " \" \"" + roff(o.metavar) + "\"\n";
    out += roff(o.help) + "\n";
  }
  if (!c.exit_codes.empty()) {
    out += ".PP\nExit status:";
    for (size_t i = 0; i < c.exit_codes.size(); ++i) out += std::string(i ? ", " : " ") + roff(c.exit_codes[i]);
    out += ".\n";
  }
  for (const auto& s : c.subcommands) man_command(out, s, path + " " + std::string(s.name));
}

// Bash completion tables: one `case` arm per command path.
void completion_rows(const CommandSpec& c, const std::string& path, std::string& subs, std::string& opts,
                     std::string& vals, std::string& pos) {
  if (!c.subcommands.empty()) {
    subs += "    \"" + path + "\") echo \"";
    for (size_t i = 0; i < c.subcommands.size(); ++i) subs += (i ? " " : "") + std::string(c.subcommands[i].name);
    subs += "\" ;;\n";
  }
  opts += "    \"" + path + "\") echo \"--help";
  for (const auto& o : c.options) {
    opts += " --" + std::string(o.name);
    if (o.metavar.empty()) continue;
    const std::string what = o.complete == "file" ? "@file" : o.complete == "dir" ? "@dir"
                             : o.complete.empty() ? "@none" : std::string(o.complete);
    vals += "    \"" + path + ":--" + std::string(o.name) + "\") echo \"" + what + "\" ;;\n";
  }
  opts += "\" ;;\n";
  if (c.max_positional != 0 && !c.positional_complete.empty()) {
    const std::string what = c.positional_complete == "file" ? "@file" : std::string(c.positional_complete);
    pos += "    \"" + path + "\") echo \"" + what + "\" ;;\n";
  }
  for (const auto& s : c.subcommands) completion_rows(s, path + " " + std::string(s.name), subs, opts, vals, pos);
}

}  // namespace

ParsedArgs parse_args(const CommandSpec& spec, std::string_view path, const Args& args) {
  ParsedArgs p;
  p.spec = &spec;
  p.path = std::string(path);
  std::vector<std::string> names{"--help"};
  for (const auto& o : spec.options) names.push_back("--" + std::string(o.name));
  const std::vector<std::string_view> candidates(names.begin(), names.end());
  const std::string try_help = " (try 'pmuemu " + p.path + " --help')";
  bool only_positional = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (only_positional || a == "-" || a.empty() || a[0] != '-') {
      p.positional.push_back(a);
      if (spec.options_end_at_positional) only_positional = true;
      continue;
    }
    if (a == "--") {
      only_positional = true;
      continue;
    }
    if (a == "-h" || a == "--help") {
      p.options["help"].push_back("");
      continue;
    }
    const size_t eq = a.find('=');
    const std::string name = a.substr(0, eq);
    const OptionSpec* o = nullptr;
    for (const auto& c : spec.options)
      if ((name.starts_with("--") && c.name == std::string_view(name).substr(2)) ||
          (name.size() == 2 && c.short_name != 0 && name[1] == c.short_name))
        o = &c;
    if (o == nullptr)
      throw UsageError(p.path + ": unknown option " + text::quoted(name) + text::did_you_mean(name, candidates) +
                       try_help);
    std::string value;
    if (o->metavar.empty()) {
      if (eq != std::string::npos) throw UsageError(p.path + ": option '" + name + "' takes no value");
    } else if (eq != std::string::npos) {
      value = a.substr(eq + 1);
    } else {
      if (i + 1 == args.size())
        throw UsageError(p.path + ": option '" + name + "' needs a value (" + std::string(o->metavar) + ")");
      value = args[++i];
    }
    auto& slot = p.options[std::string(o->name)];
    if (!slot.empty() && !o->repeatable) throw UsageError(p.path + ": option '" + name + "' given more than once");
    slot.push_back(std::move(value));
  }
  if (p.has("help")) return p;  // help needs no arguments
  const int n = static_cast<int>(p.positional.size());
  if (spec.max_positional >= 0 && n > spec.max_positional) {
    const std::string& extra = p.positional[static_cast<size_t>(spec.max_positional)];
    throw UsageError(p.path + ": unexpected argument " + text::quoted(extra) +
                     (spec.max_positional == 0 ? " (it takes no arguments)"
                                               : " (at most " + std::to_string(spec.max_positional) + " " +
                                                     std::string(spec.positional) + ")"));
  }
  if (n < spec.min_positional) throw UsageError(p.path + ": missing " + std::string(spec.positional) + try_help);
  return p;
}

Resolved resolve(const Args& words) {
  Resolved r;
  std::span<const CommandSpec> level = commands();
  while (r.used < words.size() && !level.empty()) {
    const std::string& w = words[r.used];
    if (w.starts_with("-")) break;
    const CommandSpec* found = nullptr;
    for (const auto& c : level)
      if (c.name == w) found = &c;
    if (found == nullptr) {
      const auto names = command_names(level);
      if (r.spec == nullptr)
        throw UsageError("unknown command " + text::quoted(w) + text::did_you_mean(w, names) + " (try 'pmuemu --help')");
      throw UsageError(r.path + ": unknown sub-command " + text::quoted(w) + text::did_you_mean(w, names) +
                       " (try 'pmuemu " + r.path + " --help')");
    }
    r.spec = found;
    r.path += (r.path.empty() ? "" : " ") + std::string(found->name);
    ++r.used;
    level = found->subcommands;
  }
  return r;
}

std::string help_text(const CommandSpec* spec, std::string_view path) {
  std::string out;
  if (spec == nullptr) {
    out += "usage: pmuemu COMMAND [OPTIONS]\n       pmuemu --version\n       pmuemu help COMMAND\n\ncommands:\n";
    for (const auto& c : commands()) {
      std::string label = "  " + std::string(c.name);
      label.resize(std::max<size_t>(label.size() + 1, 15), ' ');
      out += label + wrap(c.summary, 15, label.size());
    }
    out += "\n'pmuemu COMMAND --help' or 'pmuemu help COMMAND' describes a command's options.\n";
    out += "'pmuemu help --man' prints the manual page; 'pmuemu completion bash' the bash completion.\n";
    out += "\nExit status: every command's statuses are listed in its help; they are:\n";
    for (const auto& e : exit_statuses()) {
      std::string label = "  " + std::string(e.code);
      label.resize(std::max<size_t>(label.size() + 1, 15), ' ');
      out += label + wrap(e.meaning, 15, label.size());
    }
    return out;
  }
  out += "usage: pmuemu " + std::string(path);
  if (!spec->synopsis.empty()) out += " " + std::string(spec->synopsis);
  out += "\n\n" + wrap(std::string(spec->summary) + ".", 0);
  if (!spec->description.empty()) out += "\n" + wrap(spec->description, 0);
  if (!spec->subcommands.empty()) {
    out += "\ncommands:\n";
    for (const auto& c : spec->subcommands) {
      std::string label = "  " + std::string(c.name) + (c.synopsis.empty() ? "" : " " + std::string(c.synopsis));
      label.resize(std::max<size_t>(label.size() + 1, 28), ' ');
      out += label + wrap(c.summary, 28, label.size());
    }
  }
  out += "\noptions:\n";
  std::vector<const OptionSpec*> opts;
  static constexpr OptionSpec kHelp{"help", "", "print this help and exit 0"};
  opts.push_back(&kHelp);
  for (const auto& o : spec->options) opts.push_back(&o);
  for (const OptionSpec* o : opts) {
    std::string label = "  " + option_label(*o) + (o->name == "help" ? ", -h" : "") +
                        (o->short_name ? std::string(", -") + o->short_name : "");
    if (label.size() + 2 > 28) {
      out += label + "\n";
      label.clear();
    }
    label.resize(28, ' ');
    out += label + wrap(o->help, 28, 28);
  }
  if (!spec->exit_codes.empty()) {
    out += "\nexit status:\n";
    for (std::string_view code : spec->exit_codes) {
      const ExitStatusSpec* e = find_status(code);
      std::string label = "  " + std::string(code);
      label.resize(std::max<size_t>(label.size() + 1, 15), ' ');
      out += label + wrap(e ? e->meaning : "", 15, label.size());
    }
  }
  return out;
}

std::string man_page(std::string_view version) {
  std::string out;
  out += ".\\\" Generated by 'pmuemu help --man' from the command tables of pmuemu; do not edit.\n";
  out += ".TH PMUEMU 1 \"\" \"pmuemu " + roff(version) + "\" \"User Commands\"\n";
  out += ".SH NAME\npmuemu \\- arm64 full-system emulator with a PMUv3 and KVM arm64 PMU model\n";
  out += ".SH SYNOPSIS\n";
  for (const auto& c : commands()) {
    out += ".B pmuemu " + roff(c.name) + "\n";
    if (!c.synopsis.empty()) out += roff(c.synopsis) + "\n";
    out += ".br\n";
  }
  out += ".B pmuemu \\-\\-version\n";
  out += ".SH DESCRIPTION\n"
         "pmuemu runs bare-metal arm64 guests on an emulated host (clusters of cores with their own "
         "PMUs, described by a host YAML file) under an in-process model of Linux's KVM arm64 PMU "
         "virtualisation, in several kernel eras. Each command below answers \\-\\-help; "
         "\\fBpmuemu help\\fR \\fICOMMAND\\fR prints the same text.\n";
  out += ".SH COMMANDS\n";
  for (const auto& c : commands()) man_command(out, c, std::string(c.name));
  out += ".SH \"EXIT STATUS\"\n";
  for (const auto& e : exit_statuses()) out += ".TP\n.B " + roff(e.code) + "\n" + roff(e.meaning) + "\n";
  out += ".SH FILES\n.TP\n.I configs/\nhost and core catalogue files (installed under share/pmuemu/configs).\n";
  out += ".SH \"SEE ALSO\"\n.BR qemu\\-system\\-aarch64 (1),\n.BR perf (1)\n";
  return out;
}

std::string bash_completion() {
  std::string subs = "    \"\") echo \"";
  for (size_t i = 0; i < commands().size(); ++i) subs += (i ? " " : "") + std::string(commands()[i].name);
  subs += "\" ;;\n";
  std::string opts = "    \"\") echo \"--help --version\" ;;\n", vals, pos;
  for (const auto& c : commands()) completion_rows(c, std::string(c.name), subs, opts, vals, pos);
  std::string out;
  out += "# bash completion for pmuemu. Generated by 'pmuemu completion bash' from the command\n"
         "# tables of pmuemu; do not edit.\n";
  out += "_pmuemu_subcommands() {\n  case \"$1\" in\n" + subs + "  esac\n}\n";
  out += "_pmuemu_options() {\n  case \"$1\" in\n" + opts + "  esac\n}\n";
  out += "_pmuemu_value() {\n  case \"$1:$2\" in\n" + vals + "    *) echo \"@flag\" ;;\n  esac\n}\n";
  out += "_pmuemu_positional() {\n  case \"$1\" in\n" + pos + "  esac\n}\n";
  out += R"BASH(_pmuemu() {
  local cur="${COMP_WORDS[COMP_CWORD]}" path="" i w subs what
  COMPREPLY=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="${COMP_WORDS[i]}"
    subs=" $(_pmuemu_subcommands "$path") "
    if [[ $w != -* && $subs == *" $w "* ]]; then path="${path:+$path }$w"; else break; fi
  done
  if ((COMP_CWORD > 1)) && [[ ${COMP_WORDS[COMP_CWORD-1]} == --* ]]; then
    what="$(_pmuemu_value "$path" "${COMP_WORDS[COMP_CWORD-1]}")"
    case "$what" in
      @flag) ;;
      @file) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
      @dir) COMPREPLY=($(compgen -d -- "$cur")); return 0 ;;
      @none) return 0 ;;
      *) COMPREPLY=($(compgen -W "$what" -- "$cur")); return 0 ;;
    esac
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(_pmuemu_options "$path")" -- "$cur"))
    return 0
  fi
  subs="$(_pmuemu_subcommands "$path")"
  if [[ -n $subs ]]; then
    COMPREPLY=($(compgen -W "$subs" -- "$cur"))
    return 0
  fi
  what="$(_pmuemu_positional "$path")"
  case "$what" in
    "") ;;
    @file) COMPREPLY=($(compgen -f -- "$cur")) ;;
    *) COMPREPLY=($(compgen -W "$what" -- "$cur")) ;;
  esac
  return 0
}
complete -o filenames -F _pmuemu pmuemu
)BASH";
  return out;
}

double positive_seconds(std::string_view context, std::string_view option, const std::string& value) {
  char* end = nullptr;
  const double s = std::strtod(value.c_str(), &end);
  if (value.empty() || *end != 0 || !(s > 0))
    throw UsageError(std::string(context) + "--" + std::string(option) + ": '" + value +
                     "' is not a positive number of seconds");
  return s;
}

}  // namespace pmuemu::cli
