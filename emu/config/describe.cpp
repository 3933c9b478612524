// Text renderings of loaded configs: `pmuemu host show`, catalogue dumps and the schema
// reference. All output is deterministic (no addresses, times or locale-dependent formats)
// so tests and docs can compare it byte for byte.
#include <algorithm>
#include <cstdio>
#include <string>
#include <variant>

#include "emu/common/text.h"
#include "emu/config/host_config.h"
#include "emu/config/schema.h"
#include "pmu/events.h"

namespace pmuemu::config {

namespace {

// printf into a std::string; the formats here are all short.
template <typename... Args>
std::string fmt(const char* format, Args... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, format, args...);
  return buf;
}

std::string pcpu_range(const Cluster& c) {
  const uint32_t last = c.first_pcpu + c.cpus - 1;
  return c.cpus == 1 ? std::to_string(c.first_pcpu)
                     : std::to_string(c.first_pcpu) + "-" + std::to_string(last);
}

std::string event_token(uint16_t ev) {
  const auto name = pmu::event_name(ev);
  return name.empty() ? text::hex(ev, 4) : std::string(name);
}

// Rendering of one schema row's value, as it would be written in a core file.
struct ValueText {
  const schema::Param& p;
  CoreType& core;
  std::string operator()(schema::U32Field f) const {
    return p.hex ? text::hex(f(core), 8) : std::to_string(f(core));
  }
  std::string operator()(schema::U64Field f) const { return text::hex(f(core), 16); }
  // Quoted so that "3.0" stays a string for any YAML reader.
  std::string operator()(schema::StringField f) const { return "\"" + f(core) + "\""; }
  std::string operator()(schema::ClassField f) const {
    return std::string(kCoreClassNames[static_cast<std::size_t>(f(core))]);
  }
  std::string operator()(schema::EventsField f) const {
    std::string out = "[";
    for (std::size_t i = 0; i < f(core).size(); ++i) {
      if (i) out += ", ";
      out += event_token(f(core)[i]);
    }
    return out + "]";
  }
};

std::string md_cell(std::string_view s) {
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

}  // namespace

std::string describe_host(const Host& host) {
  std::string out;
  out += "host " + host.name + " (" + host.file + ")\n";
  out += fmt("%u pCPUs in %zu cluster%s\n\n", host.num_pcpus(), host.clusters.size(),
             host.clusters.size() == 1 ? "" : "s");

  std::size_t core_width = 4;  // "core"
  for (const auto& c : host.clusters) core_width = std::max(core_width, c.core.name.size());
  const int cw = static_cast<int>(core_width);

  out += fmt("%-5s %-8s %-*s %-10s %-5s %-3s %-18s %s\n", "pCPU", "cluster", cw, "core", "MIDR",
             "PMU", "N", "PMCEID0", "PMCEID1");
  for (std::size_t ci = 0; ci < host.clusters.size(); ++ci) {
    const auto& c = host.clusters[ci];
    for (uint32_t i = 0; i < c.cpus; ++i) {
      out += fmt("%-5u %-8zu %-*s %-10s %-5s %-3u %-18s %s\n", c.first_pcpu + i, ci, cw,
                 c.core.name.c_str(), text::hex(c.core.midr, 8).c_str(),
                 ("v" + c.core.pmu_version).c_str(), c.core.pmu_counters,
                 text::hex(c.core.pmceid0, 16).c_str(), text::hex(c.core.pmceid1, 16).c_str());
    }
  }

  out += "\nclusters:\n";
  for (std::size_t ci = 0; ci < host.clusters.size(); ++ci) {
    const auto& c = host.clusters[ci];
    const auto& t = c.core.timing;
    out +=
        fmt("  %zu: %u x %s, pCPU%s %s, PMUv%s N=%u, %zu events, %s, %u MHz, "
            "L1I %u KiB, L1D %u KiB, L2 %u KiB\n",
            ci, c.cpus, c.core.name.c_str(), c.cpus == 1 ? "" : "s", pcpu_range(c).c_str(),
            c.core.pmu_version.c_str(), c.core.pmu_counters, c.core.pmu_events.size(),
            std::string(kCoreClassNames[static_cast<std::size_t>(t.core_class)]).c_str(),
            t.frequency_mhz, t.l1i.size_kib, t.l1d.size_kib, t.l2.size_kib);
  }
  return out;
}

std::string core_to_yaml(const CoreType& core_in) {
  CoreType core = core_in;  // schema accessors take a mutable core
  std::string out = "# " + core.name + " (generated from the schema registry)\n";
  std::string_view group;
  for (const auto& p : schema::core_params()) {
    const auto dot = p.key.find('.');
    const std::string_view g =
        dot == std::string_view::npos ? std::string_view{} : p.key.substr(0, dot);
    const std::string_view leaf = dot == std::string_view::npos ? p.key : p.key.substr(dot + 1);
    if (g != group && !g.empty()) out += std::string(g) + ":\n";
    group = g;
    out += (g.empty() ? "" : "  ") + std::string(leaf) + ": " +
           std::visit(ValueText{p, core}, p.field) + "\n";
  }
  return out;
}

std::string schema_reference_markdown() {
  std::string out;
  out += "### Host file keys\n\n";
  out += "| Key | Type | Description |\n|---|---|---|\n";
  for (const auto& k : schema::host_keys()) {
    out += "| `" + std::string(k.key) + "` | " + md_cell(k.type) + " | " + md_cell(k.description) +
           " |\n";
  }
  out += "\n### Core file keys\n\n";
  out += "Dotted keys are nested maps: `l1d.size_kib` is written `l1d: { size_kib: 64 }`.\n\n";
  out += "| Key | Type | Unit | Required | Description |\n|---|---|---|---|---|\n";
  for (const auto& p : schema::core_params()) {
    out += "| `" + std::string(p.key) + "` | " + md_cell(schema::describe_type(p)) + " | " +
           md_cell(p.unit) + " | " + (p.required ? "yes" : "no") + " | " + md_cell(p.description) +
           " |\n";
  }
  return out;
}

}  // namespace pmuemu::config
