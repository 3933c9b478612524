// `pmuemu kvm eras`: every KVM era the model reproduces, where it comes from, and what each
// one changes relative to the era before it (or, with --markdown, the whole behaviour table
// that docs/kvm-model.md embeds). Everything is read from the era table (EraPolicy).
#include <cstdio>
#include <string>
#include <string_view>

#include "emu/cli/commands.h"
#include "emu/common/errors.h"
#include "kvm_model/vpmu/era.h"

namespace pmuemu::cli {
namespace {

namespace vp = kvm_model::vpmu;

void print(std::string_view s) { std::fwrite(s.data(), 1, s.size(), stdout); }

std::string era_header(const vp::EraPolicy& p) {
  std::string out = std::string(p.name);
  if (!p.alias.empty()) out += " (also " + std::string(p.alias) + ")";
  out += " [" + std::string(vp::era_status_name(p.status)) + "]\n";
  out += "  " + std::string(p.summary) + "\n";
  out += "  source: " + std::string(p.source) + "\n";
  return out;
}

std::string text_listing() {
  std::string out;
  const vp::EraPolicy* prev = nullptr;
  for (vp::Era e : vp::kAllEras) {
    const vp::EraPolicy& p = vp::policy(e);
    out += era_header(p);
    out += prev ? "  differs from " + std::string(prev->name) + ":\n" : "  behaviours:\n";
    bool any = false;
    for (const vp::BehaviourRow& r : vp::behaviour_rows()) {
      const std::string v = r.value(p);
      if (prev && v == r.value(*prev)) continue;
      out += "    " + std::string(r.what) + ": " + v + "\n";
      any = true;
    }
    if (!any) out += "    nothing\n";
    out += "\n";
    prev = &p;
  }
  return out;
}

std::string md_cell(std::string s) {
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

std::string markdown_table() {
  std::string out = "| behaviour (`EraPolicy` field) |";
  std::string rule = "|---|";
  for (vp::Era e : vp::kAllEras) {
    out += " " + std::string(vp::era_name(e)) + " |";
    rule += "---|";
  }
  out += "\n" + rule + "\n";
  const auto row = [&](std::string_view what, auto value) {
    out += "| " + std::string(what) + " |";
    for (vp::Era e : vp::kAllEras) out += " " + md_cell(value(vp::policy(e))) + " |";
    out += "\n";
  };
  row("status", [](const vp::EraPolicy& p) { return std::string(vp::era_status_name(p.status)); });
  row("source", [](const vp::EraPolicy& p) { return std::string(p.source); });
  for (const vp::BehaviourRow& r : vp::behaviour_rows())
    row(std::string(r.what) + " (`" + std::string(r.field) + "`)", r.value);
  return out;
}

}  // namespace

int cmd_kvm_eras(const ParsedArgs& args) {
  print(args.has("markdown") ? markdown_table() : text_listing());
  return kExitOk;
}

}  // namespace pmuemu::cli
