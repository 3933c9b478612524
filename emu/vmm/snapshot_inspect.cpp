#include "emu/vmm/snapshot_inspect.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <string_view>

#include "cpu/arch/sysreg_key.h"
#include "cpu/sysreg/sysregs.h"
#include "emu/common/text.h"
#include "emu/vmm/report.h"
#include "kvm_model/vpmu/era.h"
#include "kvm_model/uapi.h"
#include "kvm_model/vpmu/sys_regs.h"
#include "pmu/pmuv3_fields.h"

namespace pmuemu::vmm {
namespace {

using text::hex;

std::string hx(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

// The timer ONE_REG ids. KVM_REG_ARM_TIMER_CNT and KVM_REG_ARM_TIMER_CVAL are defined with
// each other's encodings in Linux's uapi (a historical mistake kept for ABI stability), so
// their names cannot come from the architectural encoding table.
struct NamedKey {
  arch::SysRegKey key;
  std::string_view name;
};
constexpr NamedKey kKvmTimerNames[] = {
    {{3, 3, 14, 3, 1}, "CNTV_CTL_EL0"},  {{3, 3, 14, 3, 2}, "CNTVCT_EL0"},
    {{3, 3, 14, 0, 2}, "CNTV_CVAL_EL0"}, {{3, 3, 14, 2, 1}, "CNTP_CTL_EL0"},
    {{3, 3, 14, 0, 1}, "CNTPCT_EL0"},    {{3, 3, 14, 2, 2}, "CNTP_CVAL_EL0"},
};

// struct kvm_regs in 32-bit units: user_pt_regs {regs[31], sp, pc, pstate}, sp_el1, elr_el1,
// spsr[5] (EL1, ABT, UND, IRQ, FIQ), then user_fpsimd_state {vregs[32] (128 bits each),
// fpsr, fpcr}.
std::string core_reg_name(uint64_t off) {
  static constexpr std::string_view kSpsr[] = {"SPSR_EL1", "SPSR_ABT", "SPSR_UND", "SPSR_IRQ", "SPSR_FIQ"};
  if (off < 62 && off % 2 == 0) return "X" + std::to_string(off / 2);
  switch (off) {
    case 62: return "SP";
    case 64: return "PC";
    case 66: return "PSTATE";
    case 68: return "SP_EL1";
    case 70: return "ELR_EL1";
    default: break;
  }
  if (off >= 72 && off < 82 && off % 2 == 0) return std::string(kSpsr[(off - 72) / 2]);
  if (off >= 84 && off < 84 + 32 * 4 && (off - 84) % 4 == 0) return "V" + std::to_string((off - 84) / 4);
  if (off == 84 + 128) return "FPSR";
  if (off == 84 + 129) return "FPCR";
  return "";
}

const char* mp_state_name(uint32_t s) {
  switch (s) {
    case kvm_model::KVM_MP_STATE_RUNNABLE: return "runnable";
    case kvm_model::KVM_MP_STATE_HALTED: return "halted (WFI)";
    case kvm_model::KVM_MP_STATE_STOPPED: return "powered off";
    default: return "unknown";
  }
}

constexpr uint64_t kPmcrId = arch::SysRegKey{3, 3, 9, 12, 0}.to_one_reg_id();

const uint64_t* find_reg(const SnapshotVcpu& c, uint64_t id) {
  for (const auto& [rid, v] : c.regs)
    if (rid == id) return &v.lo;
  return nullptr;
}

// A register value at its ONE_REG size: a U128 (V0-V31) with its upper half when non-zero.
std::string reg_text(uint64_t id, const RegValue& v) {
  constexpr uint64_t kSizeU128 = 4;  // KVM_REG_SIZE_U128 >> KVM_REG_SIZE_SHIFT (52)
  if (((id >> 52) & 0xf) == kSizeU128 && v.hi != 0) {
    char b[40];
    std::snprintf(b, sizeof b, "0x%llx%016llx", static_cast<unsigned long long>(v.hi),
                  static_cast<unsigned long long>(v.lo));
    return b;
  }
  return hx(v.lo);
}

// Interrupt numbers with a property set, as "23, 27, 30" (or "none").
template <typename Pred>
std::string irq_list(const std::vector<kvm_model::vgic::IrqState>& irqs, unsigned base, Pred pred) {
  std::string out;
  for (size_t i = 0; i < irqs.size(); ++i)
    if (pred(irqs[i])) out += (out.empty() ? "" : ", ") + std::to_string(base + i);
  return out.empty() ? "none" : out;
}

std::vector<kvm_model::vgic::IrqState> private_irqs(const kvm_model::vgic::RedistState& r) {
  return {r.irqs.begin(), r.irqs.end()};
}

size_t nonzero_pages(const std::vector<uint8_t>& ram) {
  size_t n = 0;
  for (size_t off = 0; off < ram.size(); off += 4096) {
    const size_t len = std::min<size_t>(4096, ram.size() - off);
    if (std::any_of(ram.begin() + static_cast<long>(off), ram.begin() + static_cast<long>(off + len),
                    [](uint8_t b) { return b != 0; }))
      ++n;
  }
  return n;
}

std::string pmu_choice(const Snapshot& s) {
  if (!s.pmu) return "none (vCPUs created without KVM_ARM_VCPU_PMU_V3)";
  const std::string who = s.pmu_core.empty() ? std::string("default PMU (the VMM thread's cluster at the first "
                                                           "KVM_ARM_VCPU_INIT)")
                                             : "KVM_ARM_VCPU_PMU_V3_SET_PMU " + s.pmu_core;
  return who + ", overflow PPI " + std::to_string(s.pmu_irq);
}

void irq_json(JsonWriter& w, const std::vector<kvm_model::vgic::IrqState>& irqs, unsigned base) {
  auto list = [&](const char* key, auto pred) {
    w.key(key).begin_array();
    for (size_t i = 0; i < irqs.size(); ++i)
      if (pred(irqs[i])) w.value(static_cast<uint64_t>(base + i));
    w.end_array();
  };
  list("enabled", [](const auto& q) { return q.enabled; });
  list("pending", [](const auto& q) { return q.pending(); });
  list("active", [](const auto& q) { return q.active; });
  list("edge", [](const auto& q) { return q.edge; });
}

}  // namespace

std::string one_reg_name(uint64_t id) {
  using namespace kvm_model;
  if ((id & 0xff00000000000000ull) == KVM_REG_ARM64 && ((id >> 16) & 0xfff) == (KVM_REG_ARM_CORE >> 16)) {
    const std::string n = core_reg_name(id & 0xffff);
    if (!n.empty()) return n;
  }
  if (const auto key = arch::SysRegKey::from_one_reg_id(id)) {
    for (const auto& t : kKvmTimerNames)
      if (t.key.index() == key->index()) return std::string(t.name);
    if (const auto* row = vpmu::find_pmu_sys_reg(*key)) return std::string(row->name);
    if (const int i = cpu::sysreg::find(*key); i >= 0) return std::string(cpu::sysreg::at(i).name);
    char b[40];
    std::snprintf(b, sizeof b, "S%u_%u_C%u_C%u_%u", key->op0, key->op1, key->crn, key->crm, key->op2);
    return b;
  }
  return hx(id);
}

bool is_pmu_one_reg(uint64_t id) {
  const auto key = arch::SysRegKey::from_one_reg_id(id);
  return key && kvm_model::vpmu::find_pmu_sys_reg(*key) != nullptr;
}

std::string describe_snapshot(const Snapshot& s, const std::string& name) {
  std::string o;
  auto line = [&](const std::string& l) { o += l + "\n"; };
  line("snapshot " + name + " (format version " + std::to_string(s.format_version) + ")");
  line("  KVM era          " + s.kvm_era +
       (kvm_model::vpmu::parse_era(s.kvm_era) ? "" : " (not modelled by this pmuemu: --restore refuses it)"));
  line("  source host      " + s.source_host);
  line("  PMU              " + pmu_choice(s));
  line("  vCPUs            " + std::to_string(s.vcpus) +
       " (placement on pCPUs is not part of a snapshot: the restoring VMM places them)");
  line("  memory           " + std::to_string(s.ram_size >> 20) + " MiB at IPA " + hx(s.ram_base) + ", " +
       std::to_string(nonzero_pages(s.ram)) + " non-zero 4 KiB pages");
  line("  guest progress   " + std::to_string(s.instructions) + " instructions, " + std::to_string(s.resets) +
       " system resets");
  for (const auto& c : s.cpus) {
    line("");
    const uint64_t* pc = find_reg(c, kvm_model::kRegPc);
    const uint64_t* pstate = find_reg(c, kvm_model::kRegPstate);
    std::string head = "vCPU " + std::to_string(c.id) + ": " + mp_state_name(c.mp_state);
    if (pc) head += ", PC " + hx(*pc);
    if (pstate) head += ", PSTATE " + hx(*pstate) + " (EL" + std::to_string((*pstate >> 2) & 3) + ")";
    head += ", " + std::to_string(c.regs.size()) + " registers";
    line(head);
    if (const uint64_t* pmcr = find_reg(c, kPmcrId))
      line("  PMCR_EL0.N = " + std::to_string(pmu::pmcr::N(*pmcr)) + " (event counters the VM sees)");
    bool any = false;
    for (const auto& [id, v] : c.regs) {
      if (!is_pmu_one_reg(id)) continue;
      if (!any) line("  PMU registers:");
      any = true;
      std::string n = "    " + one_reg_name(id);
      n.resize(std::max<size_t>(n.size() + 1, 24), ' ');
      line(n + hex(v.lo, 16));
    }
    if (!any) line("  no PMU registers (no vPMU)");
  }
  line("");
  const auto& g = s.vgic;
  line("vGIC (GICv3): distributor Group 1 " + std::string(g.enable_grp1 ? "enabled" : "disabled") + ", " +
       std::to_string(g.spis.size()) + " SPIs (INTID 32.." + std::to_string(31 + g.spis.size()) + ")");
  line("  SPIs enabled:  " + irq_list(g.spis, 32, [](const auto& q) { return q.enabled; }));
  line("  SPIs pending:  " + irq_list(g.spis, 32, [](const auto& q) { return q.pending(); }));
  line("  SPIs active:   " + irq_list(g.spis, 32, [](const auto& q) { return q.active; }));
  for (size_t v = 0; v < g.cpus.size(); ++v) {
    const auto& r = g.cpus[v];
    const auto irqs = private_irqs(r);
    line("  redistributor " + std::to_string(v) + ": " + (r.processor_sleep ? "asleep" : "awake") + ", ICC_PMR " +
         hx(r.cpuif.pmr) + ", ICC_IGRPEN1 " + (r.cpuif.igrpen1 ? "1" : "0") + ", ICC_AP1R0 " + hx(r.cpuif.ap1r0));
    line("    enabled: " + irq_list(irqs, 0, [](const auto& q) { return q.enabled; }) +
         "; pending: " + irq_list(irqs, 0, [](const auto& q) { return q.pending(); }) +
         "; active: " + irq_list(irqs, 0, [](const auto& q) { return q.active; }));
  }
  return o;
}

std::string snapshot_json(const Snapshot& s, const std::string& name) {
  JsonWriter w;
  w.begin_object();
  w.key("format").value("pmuemu-snapshot");
  w.newline().key("version").value(1);
  w.newline().key("file").value(name);
  w.newline().key("snapshot_version").value(s.format_version);
  w.newline().key("kvm_era").value(s.kvm_era);
  w.newline().key("source_host").value(s.source_host);
  w.newline().key("pmu").begin_object();
  w.key("enabled").value(s.pmu).key("core").value(s.pmu_core).key("irq").value(s.pmu_irq).end_object();
  w.newline().key("memory").begin_object();
  w.key("base").value(hx(s.ram_base)).key("size").value(s.ram_size);
  w.key("nonzero_pages").value(static_cast<uint64_t>(nonzero_pages(s.ram))).end_object();
  w.newline().key("instructions").value(s.instructions);
  w.newline().key("resets").value(s.resets);
  w.newline().key("vcpus").begin_array();
  for (const auto& c : s.cpus) {
    w.newline().begin_object();
    w.key("id").value(c.id).key("mp_state").value(mp_state_name(c.mp_state));
    if (const uint64_t* pmcr = find_reg(c, kPmcrId)) w.key("pmcr_n").value(uint64_t{pmu::pmcr::N(*pmcr)});
    w.key("pmu_registers").begin_object();
    for (const auto& [id, v] : c.regs)
      if (is_pmu_one_reg(id)) w.key(one_reg_name(id)).value(reg_text(id, v));
    w.end_object();
    w.key("registers").begin_object();
    for (const auto& [id, v] : c.regs)
      if (!is_pmu_one_reg(id)) w.key(one_reg_name(id)).value(reg_text(id, v));
    w.end_object();
    w.end_object();
  }
  w.end_array();
  const auto& g = s.vgic;
  w.newline().key("vgic").begin_object();
  w.key("enable_grp1").value(g.enable_grp1).key("spis").value(static_cast<uint64_t>(g.spis.size()));
  w.key("spi").begin_object();
  irq_json(w, g.spis, 32);
  w.end_object();
  w.key("redistributors").begin_array();
  for (const auto& r : g.cpus) {
    w.newline().begin_object();
    w.key("processor_sleep").value(r.processor_sleep);
    w.key("icc_pmr").value(static_cast<uint64_t>(r.cpuif.pmr)).key("icc_igrpen1").value(r.cpuif.igrpen1);
    w.key("icc_ap1r0").value(static_cast<uint64_t>(r.cpuif.ap1r0));
    irq_json(w, private_irqs(r), 0);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  w.end_object();
  return w.str() + "\n";
}

std::vector<std::string> diff_snapshots(const Snapshot& a, const Snapshot& b) {
  std::vector<std::string> d;
  auto field = [&](const std::string& what, const std::string& x, const std::string& y) {
    if (x != y) d.push_back(what + ": " + x + " -> " + y);
  };
  field("KVM era", a.kvm_era, b.kvm_era);
  field("source host", a.source_host, b.source_host);
  field("PMU", pmu_choice(a), pmu_choice(b));
  field("vCPUs", std::to_string(a.vcpus), std::to_string(b.vcpus));
  field("memory base", hx(a.ram_base), hx(b.ram_base));
  field("memory size", hx(a.ram_size), hx(b.ram_size));
  field("instructions", std::to_string(a.instructions), std::to_string(b.instructions));
  field("system resets", std::to_string(a.resets), std::to_string(b.resets));
  const size_t n = std::max(a.cpus.size(), b.cpus.size());
  for (size_t i = 0; i < n; ++i) {
    const std::string who = "vCPU " + std::to_string(i);
    if (i >= a.cpus.size() || i >= b.cpus.size()) {
      d.push_back(who + ": only in " + std::string(i < a.cpus.size() ? "A" : "B"));
      continue;
    }
    const auto& x = a.cpus[i];
    const auto& y = b.cpus[i];
    field(who + " state", mp_state_name(x.mp_state), mp_state_name(y.mp_state));
    std::map<uint64_t, RegValue> yr(y.regs.begin(), y.regs.end());
    for (const auto& [id, v] : x.regs) {
      const auto it = yr.find(id);
      if (it == yr.end()) {
        d.push_back(who + " " + one_reg_name(id) + ": only in A (" + reg_text(id, v) + ")");
        continue;
      }
      if (!(it->second == v))
        d.push_back(who + " " + one_reg_name(id) + ": " + reg_text(id, v) + " -> " + reg_text(id, it->second));
      yr.erase(it);
    }
    for (const auto& [id, v] : y.regs)
      if (yr.count(id)) d.push_back(who + " " + one_reg_name(id) + ": only in B (" + reg_text(id, v) + ")");
  }
  const auto& ga = a.vgic;
  const auto& gb = b.vgic;
  field("vGIC distributor Group 1", ga.enable_grp1 ? "enabled" : "disabled", gb.enable_grp1 ? "enabled" : "disabled");
  auto irq_diff = [&](const std::string& where, const std::vector<kvm_model::vgic::IrqState>& x,
                      const std::vector<kvm_model::vgic::IrqState>& y, unsigned base) {
    field(where + " interrupts", std::to_string(x.size()), std::to_string(y.size()));
    for (size_t i = 0; i < std::min(x.size(), y.size()); ++i) {
      const auto& p = x[i];
      const auto& q = y[i];
      auto bits = [](const kvm_model::vgic::IrqState& s) {
        return std::string(s.enabled ? "enabled " : "") + (s.pending() ? "pending " : "") + (s.active ? "active " : "") +
               (s.edge ? "edge " : "level ") + "priority " + hx(s.priority);
      };
      if (bits(p) != bits(q) || p.latch != q.latch || p.line != q.line)
        d.push_back(where + " INTID " + std::to_string(base + i) + ": " + bits(p) + " -> " + bits(q));
    }
  };
  irq_diff("vGIC SPI", ga.spis, gb.spis, 32);
  for (size_t v = 0; v < std::min(ga.irouter.size(), gb.irouter.size()); ++v)
    if (ga.irouter[v] != gb.irouter[v])
      d.push_back("vGIC GICD_IROUTER" + std::to_string(32 + v) + ": " + hx(ga.irouter[v]) + " -> " + hx(gb.irouter[v]));
  for (size_t v = 0; v < std::min(ga.cpus.size(), gb.cpus.size()); ++v) {
    const std::string who = "vGIC redistributor " + std::to_string(v);
    const auto& x = ga.cpus[v];
    const auto& y = gb.cpus[v];
    irq_diff(who, private_irqs(x), private_irqs(y), 0);
    field(who + " ProcessorSleep", x.processor_sleep ? "1" : "0", y.processor_sleep ? "1" : "0");
    field(who + " ICC_PMR_EL1", hx(x.cpuif.pmr), hx(y.cpuif.pmr));
    field(who + " ICC_BPR0_EL1", hx(x.cpuif.bpr0), hx(y.cpuif.bpr0));
    field(who + " ICC_BPR1_EL1", hx(x.cpuif.bpr1), hx(y.cpuif.bpr1));
    field(who + " ICC_CTLR_EL1.CBPR", x.cpuif.cbpr ? "1" : "0", y.cpuif.cbpr ? "1" : "0");
    field(who + " ICC_CTLR_EL1.EOImode", x.cpuif.eoimode ? "1" : "0", y.cpuif.eoimode ? "1" : "0");
    field(who + " ICC_IGRPEN1_EL1", x.cpuif.igrpen1 ? "1" : "0", y.cpuif.igrpen1 ? "1" : "0");
    field(who + " ICC_AP1R0_EL1", hx(x.cpuif.ap1r0), hx(y.cpuif.ap1r0));
  }
  if (ga.cpus.size() != gb.cpus.size())
    field("vGIC redistributors", std::to_string(ga.cpus.size()), std::to_string(gb.cpus.size()));
  // RAM: the differing 4 KiB pages, as IPA ranges.
  if (a.ram_base == b.ram_base && a.ram.size() == b.ram.size()) {
    size_t pages = 0;
    std::vector<std::pair<uint64_t, uint64_t>> ranges;  // [first, last] page index
    for (size_t off = 0; off < a.ram.size(); off += 4096) {
      const size_t len = std::min<size_t>(4096, a.ram.size() - off);
      if (std::equal(a.ram.begin() + static_cast<long>(off), a.ram.begin() + static_cast<long>(off + len),
                     b.ram.begin() + static_cast<long>(off)))
        continue;
      ++pages;
      const uint64_t p = off / 4096;
      if (!ranges.empty() && ranges.back().second + 1 == p) ranges.back().second = p;
      else ranges.emplace_back(p, p);
    }
    if (pages) {
      std::string l = "memory: " + std::to_string(pages) + " of " + std::to_string(a.ram.size() / 4096) +
                      " pages differ:";
      constexpr size_t kShown = 16;
      for (size_t i = 0; i < std::min(ranges.size(), kShown); ++i)
        l += " " + hx(a.ram_base + ranges[i].first * 4096) + "-" + hx(a.ram_base + ranges[i].second * 4096 + 4095);
      if (ranges.size() > kShown) l += " ... (" + std::to_string(ranges.size() - kShown) + " more ranges)";
      d.push_back(l);
    }
  }
  return d;
}

}  // namespace pmuemu::vmm
