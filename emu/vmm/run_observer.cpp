// The --json and --timeline documents and the samples behind them (run_observer.h).
#include "emu/vmm/run_observer.h"

#include <algorithm>
#include <cinttypes>
#include <functional>

#include "cpu/arch/sysreg_key.h"
#include "emu/common/errors.h"
#include "kvm_model/abi/abi.h"
#include "kvm_model/uapi.h"
#include "pmu/events.h"

namespace pmuemu::vmm {
namespace {

// ---- --json and --timeline documents (docs/json-output.md) ----
const char* timing_name(Timing t) { return t == Timing::kCycle ? "cycle" : "functional"; }

// The exit reason of a run that did not end in a served exit (limits, refusals, snapshot).
std::string fallback_exit_reason(const RunOptions& opts, const RunOutcome& r) {
  switch (r.exit_status) {
    case kExitFailEntry: return "fail-entry";
    case kExitKvmRefused: return "kvm-refused";
    case kExitMigrationRefused: return "migration-refused";
    case kExitInternal: return "internal-error";
    default: break;
  }
  if (r.error.rfind("instruction limit", 0) == 0) return "insn-limit";
  if (r.error.rfind("wall-clock limit", 0) == 0) return "timeout";
  if (r.error.rfind("stopped by SIG", 0) == 0) return "signal";
  if (r.error.rfind("killed by the debugger", 0) == 0) return "debugger-kill";
  if (r.error.rfind("every vCPU", 0) == 0) return "no-runnable-vcpu";
  if (!opts.save_path.empty() && r.exit_status == 0 && r.error.empty()) return "snapshot-saved";
  return "guest-fault";
}

std::string pcpu_core(const config::Host& host, uint32_t pcpu) {
  for (const auto& cl : host.clusters)
    if (pcpu >= cl.first_pcpu && pcpu < cl.first_pcpu + cl.cpus) return cl.core.name;
  return "?";
}

std::string render_json(const config::Host& host, const RunOptions& opts, const RunOutcome& r, const std::string& reason,
                        uint32_t runs, const std::function<void(JsonWriter&)>& vcpus,
                        const std::function<void(JsonWriter&, uint32_t)>& pcpu_totals = {}) {
  JsonWriter w;
  w.begin_object();
  w.key("format").value("pmuemu-run");
  w.newline().key("version").value(1);
  w.newline().key("host").value(host.name);
  w.newline().key("kvm_era").value(opts.kvm_era);
  w.newline().key("timing").value(timing_name(opts.timing));
  w.newline().key("runs").value(runs);
  w.newline().key("exit").begin_object();
  w.key("reason").value(reason).key("status").value(r.exit_status).key("message").value(r.error).end_object();
  w.newline().key("vcpus").begin_array();
  vcpus(w);
  w.end_array();
  w.newline().key("pcpus").begin_array();
  for (uint32_t c = 0; c < host.clusters.size(); ++c) {
    const auto& cl = host.clusters[c];
    for (uint32_t i = 0; i < cl.cpus; ++i) {
      w.newline().begin_object();
      w.key("id").value(cl.first_pcpu + i).key("cluster").value(c).key("core").value(cl.core.name);
      w.key("pmu_totals").begin_object();
      if (pcpu_totals) pcpu_totals(w, cl.first_pcpu + i);
      w.end_object();
      w.end_object();
    }
  }
  w.end_array();
  w.end_object();
  return w.str() + "\n";
}

std::string render_timeline(const config::Host& host, const std::set<uint32_t>& tids,
                            const std::vector<std::string>& events) {
  std::vector<std::string> all;
  {
    JsonWriter w;
    w.begin_object().key("name").value("process_name").key("ph").value("M").key("pid").value(1);
    w.key("args").begin_object().key("name").value("pmuemu VM on " + host.name).end_object().end_object();
    all.push_back(w.str());
  }
  for (uint32_t p : tids) {
    JsonWriter w;
    w.begin_object().key("name").value("thread_name").key("ph").value("M").key("pid").value(1).key("tid").value(p);
    w.key("args").begin_object().key("name").value("pCPU " + std::to_string(p) + " (" + pcpu_core(host, p) + ")");
    w.end_object().end_object();
    all.push_back(w.str());
    JsonWriter s;
    s.begin_object().key("name").value("thread_sort_index").key("ph").value("M").key("pid").value(1).key("tid").value(p);
    s.key("args").begin_object().key("sort_index").value(p).end_object().end_object();
    all.push_back(s.str());
  }
  all.insert(all.end(), events.begin(), events.end());
  std::string out = "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
  for (size_t i = 0; i < all.size(); ++i) out += all[i] + (i + 1 < all.size() ? ",\n" : "\n");
  out += "]}\n";
  return out;
}

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%" PRIx64, v);
  return b;
}

// PMU registers in KVM_GET_REG_LIST: op0 3, op1 0 or 3, CRn 9 or 14 (not the CRn 14 timer rows).
bool is_pmu_reg(const arch::SysRegKey& k) {
  if (k.op0 != 3 || (k.op1 != 0 && k.op1 != 3) || (k.crn != 9 && k.crn != 14)) return false;
  return (k.crn == 9 && (k.crm >= 12 || (k.op1 == 0 && k.crm == 14))) || (k.crn == 14 && k.crm >= 8);
}

// The events the pCPU's core produced (its timing model's totals, by common-event name);
// empty with functional timing or for a pCPU nothing ran on.
void write_pcpu_totals(const ObservedVm* vm, JsonWriter& w, uint32_t pcpu) {
  const cpu::timing::TimingModel* t = vm ? vm->observed_timing(pcpu) : nullptr;
  if (t == nullptr) return;
  for (unsigned e = 0; e < arch::kNumEvents; ++e) {
    if (t->totals()[e] == 0) continue;
    const std::string_view name = pmu::event_name(static_cast<uint16_t>(e));
    w.key(std::string(name)).value(t->totals()[e]);
  }
}

}  // namespace

std::string write_reports_without_vm(const config::Host& host, const RunOptions& opts, const RunOutcome& r) {
  return RunObserver(host, opts).write_reports(nullptr, r, "", 1);
}

void print_reset(std::FILE* out, const RunOptions& opts, unsigned id, uint32_t pcpu, const char* cause,
                 const kvm_model::vpmu::ResetTrace& t) {
  if (!opts.trace_reset) {
    size_t changed = 0;
    const kvm_model::vpmu::ResetStep* pmcr = nullptr;
    for (const auto& step : t) {
      changed += step.before != step.after;
      if (step.reg == "PMCR_EL0") pmcr = &step;
    }
    std::fprintf(out, "reset: vCPU %u on pCPU %u (%s), era %s: %zu steps, %zu values changed", id, pcpu,
                 cause, opts.kvm_era.c_str(), t.size(), changed);
    if (pmcr) std::fprintf(out, ", PMCR_EL0 0x%016" PRIx64, pmcr->after);
    std::fprintf(out, "\n");
    return;
  }
  std::fprintf(out, "reset: vCPU %u on pCPU %u (%s), era %s\n", id, pcpu, cause, opts.kvm_era.c_str());
  for (const auto& step : t)
    std::fprintf(out, "reset:   %-34s %-22s 0x%016" PRIx64 " -> 0x%016" PRIx64 "\n", step.step.c_str(),
                 step.reg.c_str(), step.before, step.after);
}

void RunObserver::set_vcpus(unsigned n) {
  const std::lock_guard g(m_);
  vcpu_pcpus_.resize(n);
  vcpu_insns_.resize(n);
  vcpu_cycles_.resize(n);
  last_pcpu_.assign(n, -1);
}

void RunObserver::reset(unsigned id, uint32_t pcpu, const char* cause, const kvm_model::vpmu::ResetTrace& t) {
  if (opts_.trace_reset || opts_.trace_reset_summary) print_reset(opts_.trace, opts_, id, pcpu, cause, t);
  instant(pcpu, "vCPU " + std::to_string(id) + " reset (" + cause + ")");
}

void RunObserver::instant(uint32_t tid, const std::string& name) {
  const std::lock_guard g(m_);
  JsonWriter w;
  w.begin_object().key("name").value(name).key("ph").value("i").key("s").value("t").key("pid").value(1);
  w.key("tid").value(tid).key("ts").raw_number(ns_to_us(tl_now_)).end_object();
  tl_events_.push_back(w.str());
  tl_tids_.insert(tid);
}

void RunObserver::quantum(ObservedVm& vm, unsigned id, uint32_t pcpu, uint64_t n,
                          std::optional<uint32_t> fail_entry_cpu) {
  if (!active()) return;
  const std::lock_guard g(m_);
  auto& used = vcpu_pcpus_[id];
  if (std::find(used.begin(), used.end(), pcpu) == used.end()) used.push_back(pcpu);
  vcpu_insns_[id] += n;
  // The quantum's cycles: the growth of the pCPU's timing model since the last quantum
  // that ran there (one vCPU runs on a pCPU at a time); functional timing counts one
  // cycle per instruction.
  if (const cpu::timing::TimingModel* t = vm.observed_timing(pcpu)) {
    if (pcpu >= pcpu_cycles_seen_.size()) pcpu_cycles_seen_.resize(pcpu + 1, 0);
    vcpu_cycles_[id] += t->cycles() - pcpu_cycles_seen_[pcpu];
    pcpu_cycles_seen_[pcpu] = t->cycles();
  } else {
    vcpu_cycles_[id] += n;
  }
  const bool tl = timeline();
  if (tl && last_pcpu_[id] >= 0 && static_cast<uint32_t>(last_pcpu_[id]) != pcpu)
    instant(pcpu, "vCPU " + std::to_string(id) + " migrated from pCPU " + std::to_string(last_pcpu_[id]) +
                      " to pCPU " + std::to_string(pcpu));
  last_pcpu_[id] = pcpu;
  if (tl && n > 0) {
    JsonWriter w;
    w.begin_object().key("name").value("vCPU " + std::to_string(id)).key("ph").value("X").key("pid").value(1);
    w.key("tid").value(pcpu).key("ts").raw_number(ns_to_us(tl_now_)).key("dur").raw_number(ns_to_us(n));
    w.key("args").begin_object().key("vcpu").value(id).key("instructions").value(n).end_object().end_object();
    tl_events_.push_back(w.str());
    tl_tids_.insert(pcpu);
  }
  tl_now_ += n;
  if (!tl) return;
  if (fail_entry_cpu) instant(*fail_entry_cpu, "vCPU " + std::to_string(id) + " FAIL_ENTRY (CPU_UNSUPPORTED)");
  sample_counters(vm, id);
  sample_physical(vm, pcpu);
}

void RunObserver::sample_physical(ObservedVm& vm, uint32_t pcpu) {
  const cpu::timing::TimingModel* t = vm.observed_timing(pcpu);
  if (t == nullptr) return;
  for (const uint16_t ev : {arch::event::INST_RETIRED, arch::event::CPU_CYCLES}) {
    const std::string_view name = pmu::event_name(ev);
    JsonWriter w;
    w.begin_object().key("name").value("pCPU " + std::to_string(pcpu) + " " + std::string(name));
    w.key("ph").value("C").key("pid").value(1).key("ts").raw_number(ns_to_us(tl_now_));
    w.key("args").begin_object().key("value").value(t->totals()[ev]).end_object().end_object();
    tl_events_.push_back(w.str());
  }
}

void RunObserver::sample_counters(ObservedVm& vm, unsigned id) {
  static constexpr uint64_t kPmcntensetId = arch::SysRegKey{3, 3, 9, 12, 1}.to_one_reg_id();
  uint64_t en = 0;
  if (!vm.observed_reg(id, kPmcntensetId, en)) return;
  for (unsigned b = 0; b < 32; ++b) {
    if (!((en >> b) & 1)) continue;
    const arch::SysRegKey key = b == 31 ? arch::sysreg(3, 3, 9, 13, 0)
                                        : arch::sysreg(3, 3, 14, static_cast<uint8_t>(8 | (b >> 3)),
                                                       static_cast<uint8_t>(b & 7));
    uint64_t value = 0;
    if (!vm.observed_reg(id, key.to_one_reg_id(), value)) continue;
    JsonWriter w;
    w.begin_object().key("name").value("vCPU " + std::to_string(id) +
                                       (b == 31 ? std::string(" PMCCNTR") : " PMEVCNTR" + std::to_string(b)));
    w.key("ph").value("C").key("pid").value(1).key("ts").raw_number(ns_to_us(tl_now_));
    w.key("args").begin_object().key("value").value(value).end_object().end_object();
    tl_events_.push_back(w.str());
  }
}

void RunObserver::write_vcpus_json(ObservedVm& vm, JsonWriter& w) {
  for (unsigned id = 0; id < vcpu_pcpus_.size(); ++id) {
    w.newline().begin_object();
    w.key("id").value(id);
    w.key("pcpus").begin_array();
    for (uint32_t p : vcpu_pcpus_[id]) w.value(p);
    w.end_array();
    w.key("instructions").value(vcpu_insns_[id]);
    w.key("cycles").value(vcpu_cycles_[id]);
    uint64_t pc = 0;
    vm.observed_reg(id, kvm_model::kRegPc, pc);
    w.key("pc").value(hex(pc));
    w.key("registers").begin_object();
    std::vector<uint64_t> ids;
    if (vm.observed_reg_list(id, ids)) {
      for (uint64_t rid : ids) {
        const auto key = arch::SysRegKey::from_one_reg_id(rid);
        if (!key || !is_pmu_reg(*key)) continue;
        uint64_t value = 0;
        if (!vm.observed_reg(id, rid, value)) continue;
        w.key(kvm_model::abi::reg_name(rid)).value(hex(value));
      }
    }
    w.end_object();
    w.end_object();
  }
}

std::string RunObserver::write_reports(ObservedVm* vm, const RunOutcome& r, const std::string& exit_reason,
                                       uint32_t runs) {
  const std::lock_guard g(m_);
  std::string err;
  if (!opts_.json_path.empty()) {
    const std::string reason = exit_reason.empty() ? fallback_exit_reason(opts_, r) : exit_reason;
    auto vcpus = [&](JsonWriter& w) {
      if (vm) write_vcpus_json(*vm, w);
    };
    err = write_text_file(opts_.json_path, render_json(host_, opts_, r, reason, runs, vcpus,
                                                       [&](JsonWriter& w, uint32_t pcpu) { write_pcpu_totals(vm, w, pcpu); }));
  }
  if (!opts_.timeline_path.empty()) {
    const std::string e = write_text_file(opts_.timeline_path, render_timeline(host_, tl_tids_, tl_events_));
    if (err.empty()) err = e;
  }
  return err;
}

}  // namespace pmuemu::vmm
