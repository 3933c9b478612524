// `pmuemu conformance --host HOST.yaml [--kvm ERA[,ERA...]] [--tests T[,T...]] [--vmm-cpu N]
// [--selftests DIR] [--jobs N] [--timeout S] [--verbose]`: Linux's own KVM selftests and the
// model's era cases, one column per era (docs/conformance.md explains the table).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "emu/cli/commands.h"
#include "emu/common/errors.h"
#include "emu/config/host_config.h"
#include "emu/conformance/era_cases.h"
#include "emu/conformance/selftests.h"
#include "emu/vmm/host_check.h"
#include "kvm_model/vpmu/era.h"

namespace vp = kvm_model::vpmu;

namespace pmuemu::cli {
namespace {

using conformance::Outcome;

// The PMU selftests of the 6.12 tree: vpmu_counter_access is the test the 6.7 series was
// written for (PMCR_EL0.N, the counter bitmaps, the vCPU re-init); get-reg-list checks
// that KVM_GET_REG_LIST names every PMU register of its blessed lists.
constexpr const char* kDefaultTests = "vpmu_counter_access,get-reg-list";
constexpr const char* kDefaultEras = "6.6,6.7,6.16";

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  size_t p = 0;
  for (;;) {
    const size_t c = text.find(',', p);
    out.push_back(text.substr(p, c == std::string::npos ? std::string::npos : c - p));
    if (c == std::string::npos) break;
    p = c + 1;
  }
  return out;
}

uint64_t parse_number(const std::string& opt, const std::string& text) {
  size_t used = 0;
  uint64_t v = 0;
  try {
    if (text.empty() || text[0] == '-') throw std::invalid_argument("negative");
    v = std::stoull(text, &used, 0);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size()) throw UsageError("--" + opt + ": expected a number, got '" + text + "'");
  return v;
}

std::filesystem::path self_exe() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot read /proc/self/exe: " + ec.message());
  return exe;
}

// Installed: <prefix>/share/pmuemu/selftests; build tree: <build>/selftests/bin.
std::string default_selftest_dir(const std::filesystem::path& exe) {
  std::error_code ec;
  const auto installed = exe.parent_path().parent_path() / "share" / "pmuemu" / "selftests";
  if (std::filesystem::is_directory(installed, ec)) return installed.string();
  return (exe.parent_path().parent_path() / "selftests" / "bin").string();
}

struct Era {
  std::string name;  // as the user wrote it
  vp::Era era;
};

std::vector<Era> parse_eras(const std::string& text) {
  std::vector<std::string> names = text == "all" ? std::vector<std::string>{} : split_list(text);
  if (text == "all")
    for (vp::Era e : vp::kAllEras) names.emplace_back(vp::era_name(e));
  std::vector<Era> eras;
  for (const std::string& n : names) {
    const auto e = vp::parse_era(n);
    if (!e) throw UsageError("--kvm: unknown kernel era '" + n + "' (known: " + vp::known_era_names() + ", or all)");
    if (std::any_of(eras.begin(), eras.end(), [&](const Era& x) { return x.name == n; }))
      throw UsageError("--kvm: era '" + n + "' is named twice");
    eras.push_back({n, *e});
  }
  return eras;
}

// One table: rows of cells, footnotes for every cell that is not a pass.
class Table {
 public:
  explicit Table(const std::vector<Era>& eras) {
    for (const Era& e : eras) header_.push_back("KVM " + e.name);
  }
  void section(std::string title) { rows_.push_back({std::move(title), {}}); }
  void row(std::string name) { rows_.push_back({std::move(name), {}}); }
  // A cell of the last row; a non-empty note becomes a numbered footnote.
  void cell(const std::string& text, const std::string& note_prefix, const std::string& note) {
    std::string c = text;
    if (!note.empty()) {
      notes_.push_back(note_prefix + note);
      c += " [" + std::to_string(notes_.size()) + "]";
    }
    rows_.back().second.push_back(std::move(c));
  }
  void print() const {
    size_t first = 0;
    for (const auto& r : rows_) first = std::max(first, r.first.size());
    std::vector<size_t> w;
    for (const std::string& h : header_) w.push_back(h.size());
    for (const auto& r : rows_)
      for (size_t i = 0; i < r.second.size(); ++i) w[i] = std::max(w[i], r.second[i].size());
    auto line = [&](const std::string& name, const std::vector<std::string>& cells) {
      std::string s = name + std::string(first - name.size(), ' ');
      for (size_t i = 0; i < cells.size(); ++i) s += "  " + cells[i] + std::string(w[i] - cells[i].size(), ' ');
      while (!s.empty() && s.back() == ' ') s.pop_back();
      std::printf("%s\n", s.c_str());
    };
    line("", header_);
    for (const auto& r : rows_) line(r.first, r.second);
    if (!notes_.empty()) std::printf("\n");
    for (size_t i = 0; i < notes_.size(); ++i) std::printf("[%zu] %s\n", i + 1, notes_[i].c_str());
  }

 private:
  std::vector<std::string> header_;
  std::vector<std::pair<std::string, std::vector<std::string>>> rows_;
  std::vector<std::string> notes_;
};

}  // namespace

int cmd_conformance(const ParsedArgs& vm) {
  if (!vm.count("host")) throw UsageError("conformance: --host HOST.yaml is required");
  const std::vector<Era> eras = parse_eras(vm.count("kvm") ? vm.get("kvm") : kDefaultEras);
  const std::vector<std::string> tests = split_list(vm.count("tests") ? vm.get("tests") : kDefaultTests);
  for (const std::string& t : tests)
    if (t.empty() || t.find('/') != std::string::npos || t == "." || t == "..")
      throw UsageError("--tests: '" + t + "' is not the name of a selftest binary");

  const std::string host_file = vm.get("host");
  const config::Host host = config::load_host_file(host_file);
  conformance::SelftestOptions so;
  const std::filesystem::path exe = self_exe();
  so.pmuemu = exe.string();
  so.host_file = host_file;
  so.bin_dir = vm.count("selftests") ? vm.get("selftests") : default_selftest_dir(exe);
  uint32_t pcpu = 0;
  if (vm.count("vmm-cpu")) {
    const uint64_t c = parse_number("vmm-cpu", vm.get("vmm-cpu"));
    if (c >= host.num_pcpus())
      throw UsageError("--vmm-cpu: host '" + host.name + "' has pCPUs 0.." + std::to_string(host.num_pcpus() - 1) +
                       ", not " + std::to_string(c));
    pcpu = static_cast<uint32_t>(c);
    so.vmm_cpu = pcpu;
  }
  so.jobs = vm.count("jobs") ? static_cast<unsigned>(parse_number("jobs", vm.get("jobs")))
                             : std::max(1u, std::thread::hardware_concurrency());
  if (so.jobs == 0) throw UsageError("--jobs: must be at least 1");
  if (vm.count("timeout")) so.timeout_seconds = positive_seconds("", "timeout", vm.get("timeout"));
  for (const std::string& t : tests) {
    const std::string path = so.bin_dir + "/" + t;
    if (access(path.c_str(), X_OK) != 0)
      throw InputError(path + ": no such selftest binary (the build's kvm_selftests target builds them into "
                              "<build>/selftests/bin; or pass --selftests DIR)");
  }

  const uint32_t cluster = host.cluster_index_of(pcpu);
  const auto& core = host.clusters[cluster].core;
  std::printf("conformance: host %s, VMM on pCPU %u (cluster %u, %s, %u counters)\n\n", host.name.c_str(), pcpu,
              cluster, core.name.c_str(), core.pmu_counters);

  std::vector<std::string> era_names;
  for (const Era& e : eras) era_names.push_back(e.name);
  const std::vector<conformance::SelftestRun> runs = conformance::run_selftests(so, tests, era_names);
  const bool verbose = vm.count("verbose") > 0;

  Table table(eras);
  unsigned passed = 0, failed = 0, skipped = 0;
  auto count = [&](Outcome o) { (o == Outcome::kPass ? passed : o == Outcome::kSkip ? skipped : failed)++; };
  table.section("upstream selftests");
  for (size_t t = 0; t < tests.size(); ++t) {
    table.row(tests[t]);
    for (size_t e = 0; e < eras.size(); ++e) {
      const conformance::SelftestRun& r = runs[t * eras.size() + e];
      count(r.outcome);
      table.cell(conformance::outcome_name(r.outcome), "KVM " + r.era + ", " + r.test + ": ", r.reason);
    }
  }

  // The era cases: the union of what the eras define, in the order they first appear.
  const std::string no_vpmu = vmm::no_vpmu_reason(host);
  std::vector<std::vector<conformance::EraCase>> per_era;
  std::vector<std::string> names;
  for (const Era& e : eras) {
    per_era.push_back(conformance::run_era_cases(host, e.era, pcpu));
    for (const auto& c : per_era.back())
      if (std::find(names.begin(), names.end(), c.name) == names.end()) names.push_back(c.name);
  }
  if (!names.empty()) table.section("era cases");
  for (const std::string& n : names) {
    table.row(n);
    for (size_t e = 0; e < eras.size(); ++e) {
      const auto it = std::find_if(per_era[e].begin(), per_era[e].end(),
                                   [&](const conformance::EraCase& c) { return c.name == n; });
      if (it == per_era[e].end()) {
        table.cell("-", "", "");
        continue;
      }
      const std::string prefix = "KVM " + eras[e].name + ", " + n + ": ";
      if (!no_vpmu.empty()) {
        count(Outcome::kSkip);
        table.cell("skip", prefix, no_vpmu);
      } else {
        count(it->pass ? Outcome::kPass : Outcome::kFail);
        table.cell(it->pass ? "pass" : "FAIL", prefix, it->pass ? (verbose ? it->detail : "") : it->detail);
      }
    }
  }
  table.print();

  if (verbose)
    for (const conformance::SelftestRun& r : runs)
      if (r.outcome != Outcome::kPass) {
        std::printf("\n---- KVM %s, %s: exit status %d, output:\n%s", r.era.c_str(), r.test.c_str(), r.status,
                    r.output.c_str());
        if (!r.output.empty() && r.output.back() != '\n') std::printf("\n");
      }
  std::printf("\nconformance: %u passed, %u failed, %u skipped\n", passed, failed, skipped);
  std::fflush(stdout);
  if (failed) return 1;                               // some run failed or timed out
  if (passed == 0 && skipped > 0) return kExitSkipped;  // e.g. a host without a vPMU
  return kExitOk;
}

}  // namespace pmuemu::cli
