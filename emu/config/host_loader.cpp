// Host files and core catalogue: YAML -> validated plain structs.
//
// Every problem is reported once, as InputError("<file>:<line>: <key path>: <what>"), and the
// first problem ends the load: callers either get a complete Host or nothing.
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <system_error>

#include "emu/common/errors.h"
#include "emu/common/file_io.h"
#include "emu/common/text.h"
#include "emu/config/host_config.h"
#include "emu/config/schema.h"
#include "pmu/events.h"

#ifndef PMUEMU_SOURCE_CONFIG_DIR
#error "PMUEMU_SOURCE_CONFIG_DIR must be defined by the build (emu/CMakeLists.txt)"
#endif

namespace pmuemu::config {

namespace {

using schema::Param;

// ---------------------------------------------------------------------------------------
// Error reporting

[[noreturn]] void fail(std::string_view file, const YAML::Mark& mark, std::string_view path,
                       const std::string& what) {
  std::string msg(file);
  // yaml-cpp lines are 0-based; editors and people count from 1.
  if (!mark.is_null()) msg += ":" + std::to_string(mark.line + 1);
  msg += ": ";
  if (!path.empty()) {
    msg += path;
    msg += ": ";
  }
  msg += what;
  throw InputError(msg);
}

// Keys are user input: printable() keeps a message on one line whatever the key contains.
std::string child_path(std::string_view path, std::string_view key) {
  return path.empty() ? text::printable(key) : std::string(path) + "." + text::printable(key);
}

std::string index_path(std::string_view path, std::size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

// Indexed by YAML::NodeType::value: Undefined, Null, Scalar, Sequence, Map.
constexpr std::string_view kNodeKindNames[] = {"nothing", "nothing", "a scalar", "a list", "a map"};

std::string got(const YAML::Node& n) {
  if (n.IsScalar()) return text::quoted(n.Scalar());
  return std::string(kNodeKindNames[n.Type()]);
}

// ---------------------------------------------------------------------------------------
// YAML documents

// Counts documents without building them. yaml-cpp 0.7's LoadAll() never returns on some
// malformed inputs (e.g. a line of bare ',' flow indicators: each HandleNextDocument() call
// "succeeds" without consuming anything); counting at most two documents with a parser we
// drive ourselves avoids that loop, which the host-YAML fuzzer found.
struct NullHandler : YAML::EventHandler {
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// Line (1-based) of the first document marker ("---" or "...") after line 1, or 0.
int second_document_line(std::string_view text) {
  int line = 1;
  bool seen_content = false;
  for (size_t pos = 0; pos < text.size();) {
    const size_t eol = std::min(text.find('\n', pos), text.size());
    const std::string_view l = text.substr(pos, eol - pos);
    const bool marker = l.starts_with("---") || l.starts_with("...");
    if (marker && seen_content) return line;
    if (!l.empty() && l.front() != '#' && !marker) seen_content = true;
    pos = eol + 1;
    ++line;
  }
  return 0;
}

YAML::Node load_yaml(std::string_view yaml_text, std::string_view file) {
  const std::string text(yaml_text);
  YAML::Node doc;
  int docs = 0;
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    NullHandler handler;
    while (docs < 2 && parser.HandleNextDocument(handler)) ++docs;
    doc = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    fail(file, e.mark, "", "malformed YAML: " + e.msg);
  }
  if (docs > 1) {
    const int line = second_document_line(yaml_text);
    if (line == 0) {
      // More "documents" than document markers: yaml-cpp is stuck on stray flow indicators.
      fail(file, YAML::Mark::null_mark(), "", "malformed YAML: unexpected flow indicator outside a flow collection");
    }
    YAML::Mark m = YAML::Mark::null_mark();
    m.line = line - 1;
    fail(file, m, "", "contains more than one YAML document; expected one");
  }
  return doc;
}

// ---------------------------------------------------------------------------------------
// Scalars

struct ParsedInteger {
  bool negative = false;
  bool overflow = false;
  uint64_t magnitude = 0;
};

// Decimal or 0x-prefixed hex, optional leading '-'. Deliberately not yaml-cpp's conversion,
// which reads "010" as octal and wraps "-1" into an unsigned type.
std::optional<ParsedInteger> parse_integer(std::string_view s) {
  ParsedInteger r;
  if (!s.empty() && s.front() == '-') {
    r.negative = true;
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  if (s.empty() || !std::isxdigit(static_cast<unsigned char>(s.front()))) return std::nullopt;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), r.magnitude, base);
  if (ptr != s.data() + s.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range)
    r.overflow = true;
  else if (ec != std::errc())
    return std::nullopt;
  return r;
}

std::string range_text(uint32_t min, uint32_t max, bool hex) {
  return hex ? text::hex(min, 1) + ".." + text::hex(max, 8)
             : std::to_string(min) + ".." + std::to_string(max);
}

uint32_t read_u32(const YAML::Node& v, uint32_t min, uint32_t max, bool hex, std::string_view file,
                  std::string_view path) {
  const std::string expect = "expected an integer " + range_text(min, max, hex);
  if (!v.IsScalar()) fail(file, v.Mark(), path, expect + ", got " + got(v));
  const auto n = parse_integer(v.Scalar());
  if (!n) fail(file, v.Mark(), path, expect + ", got " + got(v));
  const bool in_range = !n->overflow && (!n->negative || n->magnitude == 0) &&
                        n->magnitude >= min && n->magnitude <= max;
  if (!in_range) {
    const std::string& s = v.Scalar();
    fail(file, v.Mark(), path,
         (s.size() > 24 ? text::quoted(s) : s) + " is out of range " + range_text(min, max, hex));
  }
  return static_cast<uint32_t>(n->magnitude);
}

uint64_t read_u64(const YAML::Node& v, std::string_view file, std::string_view path) {
  const std::string expect = "expected a 64-bit integer (0x-prefixed hex or decimal)";
  if (!v.IsScalar()) fail(file, v.Mark(), path, expect + ", got " + got(v));
  const auto n = parse_integer(v.Scalar());
  if (!n) fail(file, v.Mark(), path, expect + ", got " + got(v));
  if (n->overflow || (n->negative && n->magnitude != 0)) {
    const std::string& s = v.Scalar();
    fail(file, v.Mark(), path, (s.size() > 24 ? text::quoted(s) : s) + " does not fit in 64 bits");
  }
  return n->magnitude;
}

std::size_t read_choice(const YAML::Node& v, std::span<const std::string_view> choices,
                        std::string_view file, std::string_view path) {
  const std::string expect = "expected one of " + text::join(choices);
  if (!v.IsScalar()) fail(file, v.Mark(), path, expect + ", got " + got(v));
  const auto it = std::find(choices.begin(), choices.end(), v.Scalar());
  if (it == choices.end()) {
    fail(file, v.Mark(), path,
         got(v) + " is not valid; " + expect + text::did_you_mean(v.Scalar(), choices));
  }
  return static_cast<std::size_t>(it - choices.begin());
}

// ---------------------------------------------------------------------------------------
// PMU event lists

constexpr auto kEventNames = [] {
  std::array<std::string_view, pmu::kCommonEvents.size()> names{};
  for (std::size_t i = 0; i < names.size(); ++i) names[i] = pmu::kCommonEvents[i].name;
  return names;
}();

// The PMU stores 0x0000-0x007F and 0x4000-0x403F; PMCEID0/1 describe 0x0000-0x003F and
// 0x4000-0x403F only (Arm ARM D17.11.1), so 0x0040-0x007F count without being advertised.
bool storable(uint64_t ev) { return ev < arch::kNumEvents || (ev >= 0x4000 && ev < 0x4040); }

uint16_t read_event(const YAML::Node& e, std::string_view file, std::string_view path) {
  if (!e.IsScalar()) fail(file, e.Mark(), path, "expected an event name or number, got " + got(e));
  const std::string& s = e.Scalar();
  if (!s.empty() && std::isdigit(static_cast<unsigned char>(s.front()))) {
    const auto n = parse_integer(s);
    if (!n || n->negative)
      fail(file, e.Mark(), path, "expected an event name or number, got " + got(e));
    if (n->overflow || !storable(n->magnitude)) {
      fail(file, e.Mark(), path,
           "event " + s + " is outside the common-event ranges 0x0000-0x007f and 0x4000-0x403f");
    }
    return static_cast<uint16_t>(n->magnitude);
  }
  if (const auto ev = pmu::event_by_name(s)) return *ev;
  std::string upper = s;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  fail(file, e.Mark(), path,
       "unknown PMU event " + text::quoted(s) + text::did_you_mean(upper, kEventNames));
}

std::vector<uint16_t> read_events(const YAML::Node& v, std::string_view file,
                                  std::string_view path) {
  if (!v.IsSequence()) {
    fail(file, v.Mark(), path, "expected a list of event names or numbers, got " + got(v));
  }
  std::vector<uint16_t> events;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string item_path = index_path(path, i);
    const uint16_t ev = read_event(v[i], file, item_path);
    if (std::find(events.begin(), events.end(), ev) != events.end()) {
      const auto name = pmu::event_name(ev);
      fail(file, v[i].Mark(), item_path,
           "event " + (name.empty() ? text::hex(ev, 4) : std::string(name)) + " is listed twice");
    }
    events.push_back(ev);
  }
  std::sort(events.begin(), events.end());
  return events;
}

// ---------------------------------------------------------------------------------------
// Walking a map of core parameters (a core file, or a cluster's overrides)

struct ParamWalk {
  ParamWalk(std::string_view f, CoreType& c, std::span<const std::string_view> keys)
      : file(f), core(c), caller_keys(keys), row_marks(schema::core_params().size()) {}

  std::string_view file;
  CoreType& core;
  std::span<const std::string_view> caller_keys;     // top-level keys the caller handles itself
  std::vector<std::optional<YAML::Mark>> row_marks;  // where each row was written, if it was
  std::map<std::string, YAML::Mark, std::less<>> group_marks;
};

std::size_t row_index(const Param* p) {
  return static_cast<std::size_t>(p - schema::core_params().data());
}

bool is_group(std::string_view full) {
  const auto params = schema::core_params();
  return std::any_of(params.begin(), params.end(), [&](const Param& p) {
    return p.key.size() > full.size() && p.key.starts_with(full) && p.key[full.size()] == '.';
  });
}

// Names valid directly under `prefix` ("" = top level of a core file).
std::vector<std::string_view> child_keys(std::string_view prefix,
                                         std::span<const std::string_view> extra) {
  std::vector<std::string_view> out(extra.begin(), extra.end());
  for (const Param& p : schema::core_params()) {
    std::string_view rest = p.key;
    if (!prefix.empty()) {
      if (!(p.key.size() > prefix.size() && p.key.starts_with(prefix) &&
            p.key[prefix.size()] == '.'))
        continue;
      rest = p.key.substr(prefix.size() + 1);
    }
    const auto child = rest.substr(0, rest.find('.'));
    if (std::find(out.begin(), out.end(), child) == out.end()) out.push_back(child);
  }
  return out;
}

std::string unknown_key_hint(std::string_view key, std::string_view prefix,
                             std::span<const std::string_view> extra) {
  const auto siblings = child_keys(prefix, extra);
  std::string hint = text::did_you_mean(key, siblings);
  if (!hint.empty()) return hint;
  // A leaf written at the wrong level, e.g. `counters: 4` instead of `pmu: { counters: 4 }`.
  for (const Param& p : schema::core_params()) {
    const auto dot = p.key.rfind('.');
    if (dot != std::string_view::npos && p.key.substr(dot + 1) == key) {
      return "; did you mean '" + std::string(p.key) + "' (nested under '" +
             std::string(p.key.substr(0, dot)) + ":')?";
    }
  }
  return "; valid keys here: " + text::join(siblings);
}

struct FieldReader {
  const Param& p;
  const YAML::Node& v;
  std::string_view file;
  std::string_view path;
  CoreType& core;

  void operator()(schema::U32Field f) const {
    f(core) = read_u32(v, p.min, p.max, p.hex, file, path);
  }
  void operator()(schema::U64Field f) const { f(core) = read_u64(v, file, path); }
  void operator()(schema::StringField f) const {
    f(core) = std::string(p.choices[read_choice(v, p.choices, file, path)]);
  }
  void operator()(schema::ClassField f) const {
    f(core) = static_cast<CoreClass>(read_choice(v, p.choices, file, path));
  }
  void operator()(schema::EventsField f) const { f(core) = read_events(v, file, path); }
};

void walk(ParamWalk& w, const YAML::Node& map, std::string_view prefix, const std::string& path) {
  std::set<std::string, std::less<>> seen_here;
  for (const auto& kv : map) {
    // Copies: yaml-cpp iterators hand out temporaries, so references would dangle.
    const YAML::Node k = kv.first;
    const YAML::Node v = kv.second;
    if (!k.IsScalar()) fail(w.file, k.Mark(), path, "keys must be plain names, got " + got(k));
    const std::string& key = k.Scalar();
    if (!seen_here.insert(key).second) {
      fail(w.file, k.Mark(), child_path(path, key), "key appears twice");
    }
    if (prefix.empty() &&
        std::find(w.caller_keys.begin(), w.caller_keys.end(), key) != w.caller_keys.end()) {
      continue;
    }
    const std::string full = prefix.empty() ? key : std::string(prefix) + "." + key;
    const std::string full_path = child_path(path, key);
    if (const Param* p = schema::find_core_param(full)) {
      std::visit(FieldReader{*p, v, w.file, full_path, w.core}, p->field);
      w.row_marks[row_index(p)] = v.Mark();
    } else if (is_group(full)) {
      if (!v.IsMap()) {
        fail(w.file, v.Mark(), full_path, "expected a map of " + full + ".* keys, got " + got(v));
      }
      w.group_marks.emplace(full, k.Mark());
      walk(w, v, full, full_path);
    } else {
      fail(w.file, k.Mark(),
           path.empty() ? std::string_view("(top level)") : std::string_view(path),
           "unknown key " + text::quoted(key) +
               unknown_key_hint(
                   key, prefix,
                   prefix.empty() ? w.caller_keys : std::span<const std::string_view>{}));
    }
  }
}

// The best line for a problem with `key`: where it was written, else its enclosing group.
std::optional<YAML::Mark> mark_for(const ParamWalk& w, std::string_view key) {
  if (const Param* p = schema::find_core_param(key)) {
    if (const auto& m = w.row_marks[row_index(p)]) return m;
  }
  for (std::string_view g = key; !g.empty();) {
    const auto dot = g.rfind('.');
    if (dot == std::string_view::npos) break;
    g = g.substr(0, dot);
    if (const auto it = w.group_marks.find(g); it != w.group_marks.end()) return it->second;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------
// Cross-parameter checks, run after the catalogue entry and again after a cluster's overrides

struct Problem {
  std::string key;  // the row key to blame
  std::string what;
};

bool is_power_of_two(uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

std::optional<Problem> check_cache(std::string_view level, const CacheParams& c) {
  const std::string l(level);
  if (!is_power_of_two(c.line_bytes)) {
    return Problem{l + ".line_bytes", std::to_string(c.line_bytes) + " is not a power of two"};
  }
  const uint64_t set_bytes = uint64_t{c.ways} * c.line_bytes;
  if ((uint64_t{c.size_kib} * 1024) % set_bytes != 0) {
    return Problem{l + ".size_kib", std::to_string(c.size_kib) + " KiB is not a whole number of " +
                                        std::to_string(c.ways) + "-way sets of " +
                                        std::to_string(c.line_bytes) + "-byte lines"};
  }
  return std::nullopt;
}

using CoreCheck = std::optional<Problem> (*)(const CoreType&);

constexpr CoreCheck kCoreChecks[] = {
    [](const CoreType& c) -> std::optional<Problem> {
      const auto& t = c.timing;
      if (t.core_class == CoreClass::kOutOfOrder && t.rob_entries == 0) {
        return Problem{"rob_entries", "an out-of-order core needs rob_entries >= 1"};
      }
      if (t.core_class == CoreClass::kInOrder && t.rob_entries != 0) {
        return Problem{"rob_entries",
                       "an in-order core has no reorder buffer; remove rob_entries or set it to 0"};
      }
      return std::nullopt;
    },
    [](const CoreType& c) { return check_cache("l1i", c.timing.l1i); },
    [](const CoreType& c) { return check_cache("l1d", c.timing.l1d); },
    [](const CoreType& c) { return check_cache("l2", c.timing.l2); },
    [](const CoreType& c) -> std::optional<Problem> {
      const auto& t = c.timing;
      const uint32_t l1 = std::max(t.l1i.latency_cycles, t.l1d.latency_cycles);
      if (t.l2.latency_cycles < l1) {
        return Problem{"l2.latency_cycles", std::to_string(t.l2.latency_cycles) +
                                                " is below the L1 latency (" + std::to_string(l1) +
                                                ")"};
      }
      return std::nullopt;
    },
};

std::optional<Problem> check_core(const CoreType& c) {
  for (const CoreCheck check : kCoreChecks) {
    if (auto p = check(c)) return p;
  }
  return std::nullopt;
}

// Derived identity: computed, never written in YAML, so it cannot disagree with its source.
void finalize(CoreType& c) {
  for (const auto& v : kPmuVersions) {
    if (v.name == c.pmu_version) c.pmuver = v.pmuver;
  }
  const auto ids = pmu::pmceid_of(c.pmu_events);
  c.pmceid0 = ids.pmceid0;
  c.pmceid1 = ids.pmceid1;
}

// ---------------------------------------------------------------------------------------
// Host file

constexpr std::string_view kHostTopKeys[] = {"name", "clusters", "vhe"};
constexpr std::string_view kClusterKeys[] = {"core", "cpus", "reserved_host_counters", "feat_hpmn0", "pmmir_slots"};

bool read_bool(const YAML::Node& v, std::string_view file, std::string_view path) {
  if (v.IsScalar() && (v.Scalar() == "true" || v.Scalar() == "false")) return v.Scalar() == "true";
  fail(file, v.Mark(), path, "expected true or false, got " + got(v));
}

void check_top_keys(const YAML::Node& root, std::string_view file) {
  std::set<std::string, std::less<>> seen;
  for (const auto& kv : root) {
    const YAML::Node k = kv.first;  // a copy; see walk()
    if (!k.IsScalar()) fail(file, k.Mark(), "", "keys must be plain names, got " + got(k));
    if (!seen.insert(k.Scalar()).second) {
      fail(file, k.Mark(), child_path("", k.Scalar()), "key appears twice");
    }
    if (std::find(std::begin(kHostTopKeys), std::end(kHostTopKeys), k.Scalar()) ==
        std::end(kHostTopKeys)) {
      std::string hint = text::did_you_mean(k.Scalar(), kHostTopKeys);
      if (hint.empty() && schema::find_core_param(k.Scalar())) {
        hint = "; core parameters are overridden per cluster, inside a 'clusters' entry";
      }
      if (hint.empty()) hint = "; valid keys here: " + text::join(kHostTopKeys);
      fail(file, k.Mark(), "(top level)", "unknown key " + text::quoted(k.Scalar()) + hint);
    }
  }
}

bool valid_core_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '.' || name.front() == '-') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

YAML::Node required_child(const YAML::Node& map, std::string_view key, std::string_view file,
                          std::string_view path) {
  const YAML::Node v = map[std::string(key)];
  if (!v.IsDefined()) {
    fail(file, map.Mark(), path, "missing required key '" + std::string(key) + "'");
  }
  return v;
}

class CoreCatalogue {
 public:
  CoreCatalogue(std::filesystem::path dir, std::string_view host_file)
      : dir_(std::move(dir)), host_file_(host_file) {}

  const CoreType& get(const YAML::Node& name_node, std::string_view path) {
    if (!name_node.IsScalar()) {
      fail(host_file_, name_node.Mark(), path, "expected a core name, got " + got(name_node));
    }
    const std::string& name = name_node.Scalar();
    if (const auto it = cores_.find(name); it != cores_.end()) return it->second;
    std::error_code ec;
    if (!valid_core_name(name) || !std::filesystem::is_regular_file(dir_ / (name + ".yaml"), ec)) {
      fail(host_file_, name_node.Mark(), path,
           "unknown core " + text::quoted(name) + known_list(name));
    }
    try {
      return cores_.emplace(name, load_core(dir_, name)).first->second;
    } catch (const InputError& e) {
      // The catalogue file is what is wrong; say which host entry led there.
      const auto line = name_node.Mark().is_null()
                            ? std::string()
                            : ":" + std::to_string(name_node.Mark().line + 1);
      throw InputError(std::string(e.what()) + " (core " + text::quoted(name) + " named at " +
                       std::string(host_file_) + line + ")");
    }
  }

 private:
  std::string known_list(std::string_view name) const {
    const auto known = known_cores(dir_);
    std::error_code ec;
    if (!std::filesystem::is_directory(dir_, ec)) {
      return "; the core catalogue directory " + dir_.string() + " does not exist";
    }
    if (known.empty()) return "; the core catalogue " + dir_.string() + " has no entries";
    const std::vector<std::string_view> views(known.begin(), known.end());
    return "; known cores: " + text::join(views) + text::did_you_mean(name, views);
  }

  std::filesystem::path dir_;
  std::string_view host_file_;
  std::map<std::string, CoreType, std::less<>> cores_;
};

Cluster parse_cluster(const YAML::Node& node, std::size_t index, uint32_t first_pcpu,
                      CoreCatalogue& catalogue, std::string_view file) {
  const std::string path = index_path("clusters", index);
  if (!node.IsMap()) {
    fail(file, node.Mark(), path, "expected a map with keys 'core' and 'cpus', got " + got(node));
  }
  // Keys and override values are checked before anything else, so that `cpu: 4` is reported
  // as a misspelling of `cpus` rather than as a missing `cpus`.
  CoreType scratch;
  ParamWalk key_check(file, scratch, kClusterKeys);
  walk(key_check, node, "", path);

  const YAML::Node core_node = required_child(node, "core", file, path);
  const YAML::Node cpus_node = required_child(node, "cpus", file, path);

  Cluster cluster;
  cluster.core = catalogue.get(core_node, path + ".core");
  cluster.cpus = read_u32(cpus_node, 1, kMaxPcpus, false, file, path + ".cpus");
  cluster.first_pcpu = first_pcpu;
  if (first_pcpu + cluster.cpus > kMaxPcpus) {
    fail(file, cpus_node.Mark(), path + ".cpus",
         "the host would have " + std::to_string(first_pcpu + cluster.cpus) + " pCPUs; at most " +
             std::to_string(kMaxPcpus) + " are supported");
  }

  // The host-side PMU facts of the eras after 6.16, all optional.
  if (const YAML::Node n = node["pmmir_slots"]; n.IsDefined())
    cluster.pmmir_slots = read_u32(n, 0, 255, false, file, path + ".pmmir_slots");
  if (const YAML::Node n = node["feat_hpmn0"]; n.IsDefined())
    cluster.feat_hpmn0 = read_bool(n, file, path + ".feat_hpmn0");
  const YAML::Node reserved = node["reserved_host_counters"];
  if (reserved.IsDefined()) cluster.reserved_host_counters = read_u32(reserved, 0, 31, false, file, path + ".reserved_host_counters");

  ParamWalk w(file, cluster.core, kClusterKeys);
  walk(w, node, "", path);
  if (cluster.reserved_host_counters > cluster.core.pmu_counters) {
    fail(file, reserved.Mark(), path + ".reserved_host_counters",
         std::to_string(cluster.reserved_host_counters) + " is more than the " +
             std::to_string(cluster.core.pmu_counters) + " PMU counters of this cluster");
  }
  if (const auto problem = check_core(cluster.core)) {
    const auto mark = mark_for(w, problem->key);
    const std::string origin =
        mark ? "" : " (core " + text::quoted(cluster.core.name) + " with this cluster's overrides)";
    fail(file, mark.value_or(node.Mark()), path + "." + problem->key, problem->what + origin);
  }
  finalize(cluster.core);
  return cluster;
}

}  // namespace

// -----------------------------------------------------------------------------------------
// Public API

uint32_t Host::num_pcpus() const {
  return clusters.empty() ? 0 : clusters.back().first_pcpu + clusters.back().cpus;
}

uint32_t Host::cluster_index_of(uint32_t pcpu) const {
  for (std::size_t i = 0; i < clusters.size(); ++i) {
    if (pcpu >= clusters[i].first_pcpu && pcpu - clusters[i].first_pcpu < clusters[i].cpus) {
      return static_cast<uint32_t>(i);
    }
  }
  throw std::out_of_range("pCPU " + std::to_string(pcpu) + " does not exist on host '" + name +
                          "' (" + std::to_string(num_pcpus()) + " pCPUs)");
}

const Cluster& Host::cluster_of(uint32_t pcpu) const { return clusters[cluster_index_of(pcpu)]; }

std::filesystem::path default_cores_dir() {
  // An installed pmuemu (cmake --install, the .deb) finds the catalogue beside itself in
  // <prefix>/share/pmuemu/configs/cores, wherever the prefix was moved; a build-tree binary
  // uses the source tree's.
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto installed = exe.parent_path().parent_path() / "share" / "pmuemu" / "configs" / "cores";
    if (std::filesystem::is_directory(installed, ec)) return installed;
  }
  return std::filesystem::path(PMUEMU_SOURCE_CONFIG_DIR) / "cores";
}

std::vector<std::string> known_cores(const std::filesystem::path& cores_dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(cores_dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    const auto& p = it->path();
    if (p.extension() == ".yaml" && it->is_regular_file(ec) && valid_core_name(p.stem().string())) {
      names.push_back(p.stem().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

CoreType parse_core(std::string_view yaml_text, std::string_view core_name,
                    std::string_view file_name_for_errors) {
  const std::string_view file = file_name_for_errors;
  try {
    const YAML::Node root = load_yaml(yaml_text, file);
    if (!root.IsMap()) {
      fail(file, root.Mark(), "", "top level must be a map of core parameters, got " + got(root));
    }
    CoreType core;
    core.name = std::string(core_name);
    ParamWalk w(file, core, {});
    walk(w, root, "", "");
    for (const Param& p : schema::core_params()) {
      if (p.required && !w.row_marks[row_index(&p)]) {
        // A whole missing group is one omission, not four.
        const auto group = p.key.substr(0, p.key.find('.'));
        const bool group_missing = group != p.key && !w.group_marks.contains(group);
        fail(file, mark_for(w, p.key).value_or(root.Mark()), "",
             "missing required key '" + std::string(group_missing ? group : p.key) + "'");
      }
    }
    if (const auto problem = check_core(core)) {
      fail(file, mark_for(w, problem->key).value_or(root.Mark()), problem->key, problem->what);
    }
    finalize(core);
    return core;
  } catch (const YAML::Exception& e) {
    // Not expected (the walk avoids throwing accessors); kept so no yaml-cpp type escapes.
    fail(file, e.mark, "", "malformed YAML: " + e.msg);
  }
}

CoreType load_core(const std::filesystem::path& cores_dir, std::string_view name) {
  const auto file = cores_dir / (std::string(name) + ".yaml");
  return parse_core(read_file_text(file), name, file.string());
}

Host parse_host(std::string_view yaml_text, std::string_view file_name_for_errors,
                const std::filesystem::path& cores_dir) {
  const std::string_view file = file_name_for_errors;
  try {
    const YAML::Node root = load_yaml(yaml_text, file);
    if (!root.IsMap()) {
      fail(file, root.Mark(), "",
           "top level must be a map with keys 'name' and 'clusters', got " + got(root));
    }
    check_top_keys(root, file);

    Host host;
    host.file = std::string(file);
    const YAML::Node name = required_child(root, "name", file, "");
    if (!name.IsScalar() || name.Scalar().empty()) {
      fail(file, name.Mark(), "name", "expected a non-empty host name, got " + got(name));
    }
    host.name = name.Scalar();

    const YAML::Node clusters = required_child(root, "clusters", file, "");
    if (!clusters.IsSequence()) {
      fail(file, clusters.Mark(), "clusters", "expected a list of clusters, got " + got(clusters));
    }
    if (clusters.size() == 0) {
      fail(file, clusters.Mark(), "clusters", "at least one cluster is required");
    }
    if (const YAML::Node vhe = root["vhe"]; vhe.IsDefined()) host.vhe = read_bool(vhe, file, "vhe");
    CoreCatalogue catalogue(cores_dir, file);
    uint32_t next_pcpu = 0;
    for (std::size_t i = 0; i < clusters.size(); ++i) {
      host.clusters.push_back(parse_cluster(clusters[i], i, next_pcpu, catalogue, file));
      next_pcpu += host.clusters.back().cpus;
    }
    return host;
  } catch (const YAML::Exception& e) {
    fail(file, e.mark, "", "malformed YAML: " + e.msg);
  }
}

Host load_host_file(const std::filesystem::path& file) {
  const std::string text = read_file_text(file);
  std::error_code ec;
  const auto local =
      (file.has_parent_path() ? file.parent_path() : std::filesystem::path(".")) / "cores";
  const auto cores_dir = std::filesystem::is_directory(local, ec) ? local : default_cores_dir();
  return parse_host(text, file.string(), cores_dir);
}

}  // namespace pmuemu::config
