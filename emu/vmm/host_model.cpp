#include "emu/vmm/host_model.h"

#include <algorithm>
#include <array>

#include "cpu/id_regs.h"
#include "pmu/events.h"

namespace pmuemu::vmm {
namespace {

cpu::timing::CacheGeometry cache(const config::CacheParams& c) {
  return {c.size_kib * 1024, c.ways, c.line_bytes, c.latency_cycles};
}

// Indexed like config::kBranchPredictorKinds.
constexpr std::array kPredictorKinds{cpu::timing::PredictorKind::kStatic, cpu::timing::PredictorKind::kBimodal,
                                     cpu::timing::PredictorKind::kGshare, cpu::timing::PredictorKind::kTournament,
                                     cpu::timing::PredictorKind::kTage};
static_assert(kPredictorKinds.size() == std::size(config::kBranchPredictorKinds));

// Longest global history the timing model's direction tables use (64 Ki entries each).
constexpr uint32_t kMaxHistoryBits = 16;

}  // namespace

cpu::timing::CoreTimingParams timing_params(const config::CoreType& core) {
  const config::TimingParams& t = core.timing;
  cpu::timing::CoreTimingParams p;
  p.out_of_order = t.core_class == config::CoreClass::kOutOfOrder;
  p.frequency_mhz = t.frequency_mhz;
  p.issue_width = t.issue_width;
  p.pipeline_depth = t.pipeline_depth;
  p.rob_entries = t.rob_entries;
  p.alu_latency = t.alu_latency_cycles;
  p.mul_latency = t.mul_latency_cycles;
  p.div_latency = t.div_latency_cycles;
  p.load_to_use = t.load_to_use_cycles;
  p.fp_latency = t.fp_latency_cycles;
  p.fp_mul_latency = t.fp_mul_latency_cycles;
  p.fp_div_latency = t.fp_div_latency_cycles;
  p.simd_latency = t.simd_latency_cycles;
  p.simd_mul_latency = t.simd_mul_latency_cycles;
  p.crypto_latency = t.crypto_latency_cycles;
  p.l1i = cache(t.l1i);
  p.l1d = cache(t.l1d);
  p.l2 = cache(t.l2);
  // The catalogue gives DRAM latency in ns; the model counts core cycles at this clock.
  p.memory_latency_cycles = static_cast<uint32_t>(uint64_t{t.memory_latency_ns} * t.frequency_mhz / 1000);
  for (size_t i = 0; i < kPredictorKinds.size(); ++i)
    if (t.branch_predictor.kind == config::kBranchPredictorKinds[i]) p.predictor = kPredictorKinds[i];
  // The direction tables are indexed by (PC ^ global history) with 2^history_bits entries,
  // so the catalogue's history length (64 for a TAGE, whose tagged tables are not indexed
  // by the full history) is folded to what a table of that size can use: at most
  // kMaxHistoryBits (the model adds 4 more for "tage"), at least 1.
  p.history_bits = std::clamp<uint32_t>(t.branch_predictor.history_bits, 1, kMaxHistoryBits);
  p.btb_entries = t.branch_predictor.btb_entries;
  p.ras_entries = t.branch_predictor.ras_entries;
  p.mispredict_penalty = t.mispredict_penalty_cycles;
  return p;
}

pmu::PmuConfig pmu_config(const config::CoreType& core, bool cycle_timing) {
  pmu::PmuConfig c;
  c.num_counters = core.pmu_counters;
  c.pmuver = core.pmuver;
  c.events = pmu::counted_events(core.pmu_events, cycle_timing);
  c.pmcr_imp = (core.midr >> 24) & 0xff;
  // The emulated cores implement AArch64 only, with no EL2 or EL3 visible to the software
  // that owns this PMU (ID_AA64PFR0_EL1 = 0x11): NSH, NSK, NSU, M are RES0 and LC is RES1.
  c.has_el2 = false;
  c.has_el3 = false;
  c.has_aarch32 = false;
  return c;
}

cpu::IdRegs id_regs(const config::CoreType& core) {
  const config::IdValues& v = core.id;
  cpu::CatalogueIds cat;
  cat.midr = core.midr;
  cat.revidr = v.revidr;
  cat.aa64pfr0 = v.aa64pfr0;
  cat.aa64pfr1 = v.aa64pfr1;
  cat.aa64isar0 = v.aa64isar0;
  cat.aa64isar1 = v.aa64isar1;
  cat.aa64isar2 = v.aa64isar2;
  cat.aa64mmfr0 = v.aa64mmfr0;
  cat.aa64mmfr1 = v.aa64mmfr1;
  cat.aa64mmfr2 = v.aa64mmfr2;
  cat.aa64dfr0 = v.aa64dfr0;
  cat.aa64zfr0 = v.aa64zfr0;
  cat.ctr = v.ctr;
  cat.dczid = v.dczid;
  cpu::IdRegs ids = cpu::sanitise_ids(cat);
  // PMUVer is the one the PMU model implements for this core (pmu.version).
  ids.id_aa64dfr0 = (ids.id_aa64dfr0 & ~uint64_t{0xf00}) | (uint64_t{core.pmuver} << 8);
  return ids;
}

kvm_model::HostDesc host_desc(const config::Host& host, bool cycle_timing) {
  kvm_model::HostDesc d;
  for (uint32_t c = 0; c < host.clusters.size(); ++c) {
    const auto& cl = host.clusters[c];
    kvm_model::vpmu::ClusterPmuDesc pmu;
    pmu.name = cl.core.name;
    pmu.num_counters = cl.core.pmu_counters;
    pmu.pmuver = cl.core.pmuver;
    // The PMCEID the host's PMU reports: without the timing model only what the
    // instruction clock counts (pmu::kInstructionClockEvents).
    const std::vector<uint16_t> counted = pmu::counted_events(cl.core.pmu_events, cycle_timing);
    const pmu::Pmceid ids = pmu::pmceid_of(counted);
    pmu.pmceid0 = ids.pmceid0;
    pmu.pmceid1 = ids.pmceid1;
    pmu.events_40_7f = pmu::events_40_7f_of(counted);
    pmu.pmmir_slots = static_cast<uint8_t>(cl.pmmir_slots);
    pmu.reserved_host_counters = cl.reserved_host_counters;
    pmu.feat_hpmn0 = cl.feat_hpmn0;
    for (uint32_t i = 0; i < cl.cpus; ++i) {
      kvm_model::HostCpu cpu;
      cpu.ids = id_regs(cl.core);
      cpu.cluster = c;
      cpu.frequency_mhz = cl.core.timing.frequency_mhz;
      cpu.timing = timing_params(cl.core);
      pmu.cpus.push_back(cl.first_pcpu + i);
      d.cpus.push_back(cpu);
    }
    d.pmus.push_back(std::move(pmu));
  }
  // The emulated cores are AArch64-only (PMCR_EL0.LC is RES1 for guests); a KVM host runs
  // at EL2 and has no EL3 visible.
  d.features.supports_32bit_el0 = false;
  d.features.pfr0_el2 = 1;
  d.features.pfr0_el3 = 0;
  d.features.vhe = host.vhe;
  d.cycle_timing = cycle_timing;
  return d;
}

}  // namespace pmuemu::vmm
