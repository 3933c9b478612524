#include "emu/config/schema.h"

#include <algorithm>
#include <array>

namespace pmuemu::config::schema {

namespace {

// Field accessors are captureless lambdas so the table stays constexpr.
#define PMUEMU_U32(member) U32Field{+[](CoreType& c) -> uint32_t& { return c.member; }}
#define PMUEMU_U64(member) U64Field{+[](CoreType& c) -> uint64_t& { return c.member; }}
#define PMUEMU_ID(key, member, what)                                                              \
  Param {                                                                                        \
    "id." key, PMUEMU_U64(id.member), "", 0, 0, {}, true, false,                                 \
        what " as the core's TRM gives it; masked to what pmuemu implements (docs/configs.md)" \
  }
#define PMUEMU_STR(member) StringField{+[](CoreType& c) -> std::string& { return c.member; }}

constexpr std::array<std::string_view, std::size(kPmuVersions)> pmu_version_names() {
  std::array<std::string_view, std::size(kPmuVersions)> names{};
  for (std::size_t i = 0; i < names.size(); ++i) names[i] = kPmuVersions[i].name;
  return names;
}
constexpr auto kPmuVersionNames = pmu_version_names();

// Cache geometry rows are identical for every level; only the prefix differs.
#define PMUEMU_CACHE_ROWS(level, what)                                                         \
  Param{#level ".size_kib", PMUEMU_U32(timing.level.size_kib), "KiB", 1, 65536, {}, false,    \
        true, what " capacity"},                                                               \
      Param{#level ".ways", PMUEMU_U32(timing.level.ways), "", 1, 64, {}, false, true,         \
            what " associativity"},                                                            \
      Param{#level ".line_bytes", PMUEMU_U32(timing.level.line_bytes), "bytes", 16, 1024, {},  \
            false, true, what " line size (a power of two)"},                                  \
      Param{#level ".latency_cycles", PMUEMU_U32(timing.level.latency_cycles), "cycles", 1,    \
            1000, {}, false, true, what " hit latency"}

// Order matters twice: it is the order of catalogue dumps and docs, and the rows of one
// group (pmu.*, l1d.*, ...) must be contiguous (checked below).
constexpr Param kCoreParams[] = {
    {"midr", PMUEMU_U32(midr), "", 0, 0xffffffffu, {}, true, true,
     "MIDR_EL1 the guest reads: implementer, variant, part number, revision"},
    PMUEMU_ID("revidr", revidr, "REVIDR_EL1"),
    PMUEMU_ID("aa64pfr0", aa64pfr0, "ID_AA64PFR0_EL1"),
    PMUEMU_ID("aa64pfr1", aa64pfr1, "ID_AA64PFR1_EL1"),
    PMUEMU_ID("aa64isar0", aa64isar0, "ID_AA64ISAR0_EL1"),
    PMUEMU_ID("aa64isar1", aa64isar1, "ID_AA64ISAR1_EL1"),
    PMUEMU_ID("aa64isar2", aa64isar2, "ID_AA64ISAR2_EL1"),
    PMUEMU_ID("aa64mmfr0", aa64mmfr0, "ID_AA64MMFR0_EL1"),
    PMUEMU_ID("aa64mmfr1", aa64mmfr1, "ID_AA64MMFR1_EL1"),
    PMUEMU_ID("aa64mmfr2", aa64mmfr2, "ID_AA64MMFR2_EL1"),
    PMUEMU_ID("aa64dfr0", aa64dfr0, "ID_AA64DFR0_EL1"),
    PMUEMU_ID("aa64zfr0", aa64zfr0, "ID_AA64ZFR0_EL1"),
    PMUEMU_ID("ctr", ctr, "CTR_EL0"),
    PMUEMU_ID("dczid", dczid, "DCZID_EL0"),
    {"pmu.version", PMUEMU_STR(pmu_version), "", 0, 0, kPmuVersionNames, false, true,
     "PMUv3 version; sets ID_AA64DFR0_EL1.PMUVer"},
    {"pmu.counters", PMUEMU_U32(pmu_counters), "", 0, kMaxPmuCounters, {}, false, true,
     "PMCR_EL0.N: number of event counters, not counting the cycle counter"},
    {"pmu.events", EventsField{+[](CoreType& c) -> std::vector<uint16_t>& { return c.pmu_events; }},
     "", 0, 0, {}, false, true,
     "Common events the core implements, by name (INST_RETIRED) or number (0x08); sets PMCEID0/1"},
    {"class", ClassField{+[](CoreType& c) -> CoreClass& { return c.timing.core_class; }}, "", 0, 0,
     kCoreClassNames, false, true, "Pipeline organisation"},
    {"frequency_mhz", PMUEMU_U32(timing.frequency_mhz), "MHz", 1, 10000, {}, false, true,
     "Core clock"},
    {"issue_width", PMUEMU_U32(timing.issue_width), "instructions", 1, 16, {}, false, true,
     "Instructions decoded and issued per cycle"},
    {"pipeline_depth", PMUEMU_U32(timing.pipeline_depth), "stages", 1, 64, {}, false, true,
     "Pipeline stages from fetch to writeback"},
    {"rob_entries", PMUEMU_U32(timing.rob_entries), "entries", 0, 4096, {}, false, false,
     "Reorder-buffer capacity; required (>= 1) for out-of-order cores, 0 or absent for in-order"},
    {"alu_latency_cycles", PMUEMU_U32(timing.alu_latency_cycles), "cycles", 1, 64, {}, false, true,
     "Simple integer ALU result latency"},
    {"mul_latency_cycles", PMUEMU_U32(timing.mul_latency_cycles), "cycles", 1, 64, {}, false, true,
     "Integer multiply latency"},
    {"div_latency_cycles", PMUEMU_U32(timing.div_latency_cycles), "cycles", 1, 256, {}, false, true,
     "Integer divide latency (typical, 64-bit)"},
    {"load_to_use_cycles", PMUEMU_U32(timing.load_to_use_cycles), "cycles", 1, 64, {}, false, true,
     "Integer load-to-use latency on an L1D hit"},
    {"fp_latency_cycles", PMUEMU_U32(timing.fp_latency_cycles), "cycles", 1, 64, {}, false, false,
     "FP add/compare/convert latency (default 2)"},
    {"fp_mul_latency_cycles", PMUEMU_U32(timing.fp_mul_latency_cycles), "cycles", 1, 64, {}, false, false,
     "FP multiply and fused multiply-add latency (default 4)"},
    {"fp_div_latency_cycles", PMUEMU_U32(timing.fp_div_latency_cycles), "cycles", 1, 256, {}, false, false,
     "FP divide/square root latency, double precision (default 12)"},
    {"simd_latency_cycles", PMUEMU_U32(timing.simd_latency_cycles), "cycles", 1, 64, {}, false, false,
     "Advanced SIMD integer latency (default 2)"},
    {"simd_mul_latency_cycles", PMUEMU_U32(timing.simd_mul_latency_cycles), "cycles", 1, 64, {}, false, false,
     "Advanced SIMD integer multiply latency (default 4)"},
    {"crypto_latency_cycles", PMUEMU_U32(timing.crypto_latency_cycles), "cycles", 1, 64, {}, false, false,
     "AES/SHA instruction latency (default 3)"},
    PMUEMU_CACHE_ROWS(l1i, "L1 instruction cache"),
    PMUEMU_CACHE_ROWS(l1d, "L1 data cache"),
    PMUEMU_CACHE_ROWS(l2, "L2 cache"),
    {"memory_latency_ns", PMUEMU_U32(timing.memory_latency_ns), "ns", 1, 10000, {}, false, true,
     "Load latency to DRAM after an L2 miss"},
    {"branch_predictor.kind", PMUEMU_STR(timing.branch_predictor.kind), "", 0, 0,
     kBranchPredictorKinds, false, true, "Direction predictor the timing model uses"},
    {"branch_predictor.history_bits", PMUEMU_U32(timing.branch_predictor.history_bits), "bits", 0,
     4096, {}, false, true, "Global history length"},
    {"branch_predictor.btb_entries", PMUEMU_U32(timing.branch_predictor.btb_entries), "entries",
     0, 1u << 20, {}, false, true, "Branch target buffer capacity (largest level)"},
    {"branch_predictor.ras_entries", PMUEMU_U32(timing.branch_predictor.ras_entries), "entries",
     0, 1024, {}, false, true, "Return address stack depth"},
    {"mispredict_penalty_cycles", PMUEMU_U32(timing.mispredict_penalty_cycles), "cycles", 1, 100,
     {}, false, true, "Cycles lost on a branch mispredict"},
};

#undef PMUEMU_CACHE_ROWS
#undef PMUEMU_STR
#undef PMUEMU_U32
#undef PMUEMU_U64
#undef PMUEMU_ID

constexpr std::string_view group_of(std::string_view key) {
  const auto dot = key.find('.');
  return dot == std::string_view::npos ? std::string_view{} : key.substr(0, dot);
}

constexpr bool keys_unique() {
  for (std::size_t i = 0; i < std::size(kCoreParams); ++i) {
    for (std::size_t j = i + 1; j < std::size(kCoreParams); ++j) {
      if (kCoreParams[i].key == kCoreParams[j].key) return false;
    }
  }
  return true;
}

// A group that reappears after another group would be split in dumps and docs.
constexpr bool groups_contiguous() {
  for (std::size_t i = 1; i < std::size(kCoreParams); ++i) {
    const auto g = group_of(kCoreParams[i].key);
    if (g.empty() || g == group_of(kCoreParams[i - 1].key)) continue;
    for (std::size_t j = 0; j + 1 < i; ++j) {
      if (group_of(kCoreParams[j].key) == g) return false;
    }
  }
  return true;
}

// A leaf key must not also be a group ("pmu" and "pmu.counters" cannot both be rows).
constexpr bool leaves_are_not_groups() {
  for (const auto& p : kCoreParams) {
    for (const auto& q : kCoreParams) {
      if (group_of(q.key) == p.key) return false;
    }
  }
  return true;
}

constexpr bool ranges_valid() {
  for (const auto& p : kCoreParams) {
    if (std::holds_alternative<U32Field>(p.field) && (p.min > p.max || !p.choices.empty())) {
      return false;
    }
    if ((std::holds_alternative<StringField>(p.field) || std::holds_alternative<ClassField>(p.field)) &&
        p.choices.empty()) {
      return false;
    }
  }
  return true;
}

static_assert(keys_unique(), "kCoreParams: duplicate key");
static_assert(groups_contiguous(), "kCoreParams: rows of one group must be contiguous");
static_assert(leaves_are_not_groups(), "kCoreParams: a key is both a value and a group");
static_assert(ranges_valid(), "kCoreParams: integer rows need min <= max, string rows need choices");
static_assert(std::size(kCoreClassNames) == 2, "one name per CoreClass enumerator");

constexpr HostKey kHostKeys[] = {
    {"name", "string", "Host name, shown by `pmuemu host show`"},
    {"clusters", "list of maps", "Clusters in pCPU order; at least one"},
    {"clusters[].core", "string", "Core catalogue entry: configs/cores/<core>.yaml"},
    {"clusters[].cpus", "integer 1..256",
     "Physical CPUs in this cluster; numbered from 0 in cluster order, 256 in total at most"},
    {"clusters[].<core key>", "as in the core file",
     "Per-cluster override of any core parameter, nested the same way (e.g. `pmu: { counters: 4 }`)"},
    {"clusters[].pmmir_slots", "integer 0..255",
     "Optional, default 0: PMMIR_EL1.SLOTS of this cluster; KVM era 7.3-strict shows it to STRICT guests"},
    {"clusters[].reserved_host_counters", "integer 0..pmu.counters",
     "Optional, default 0: PMU counters the host keeps (arm_pmuv3.reserved_host_counters); era proposal-partition"},
    {"clusters[].feat_hpmn0", "true/false",
     "Optional, default false: FEAT_HPMN0, so a partitioned PMU may leave the guest 0 counters"},
    {"vhe", "true/false",
     "Optional, default true: the host kernel runs at EL2 (VHE); era proposal-partition needs it"},
};

}  // namespace

std::span<const Param> core_params() { return kCoreParams; }

const Param* find_core_param(std::string_view key) {
  const auto it = std::find_if(std::begin(kCoreParams), std::end(kCoreParams),
                               [&](const Param& p) { return p.key == key; });
  return it == std::end(kCoreParams) ? nullptr : &*it;
}

std::span<const HostKey> host_keys() { return kHostKeys; }

std::string describe_type(const Param& p) {
  struct Describe {
    const Param& p;
    std::string operator()(U32Field) const {
      if (p.hex) return "integer (hex)";
      return "integer " + std::to_string(p.min) + ".." + std::to_string(p.max);
    }
    std::string operator()(U64Field) const { return "64-bit integer (hex)"; }
    std::string operator()(StringField) const { return choices(); }
    std::string operator()(ClassField) const { return choices(); }
    std::string operator()(EventsField) const { return "list of event names or numbers"; }
    std::string choices() const {
      std::string out = "one of ";
      for (std::size_t i = 0; i < p.choices.size(); ++i) {
        if (i) out += ", ";
        out += p.choices[i];
      }
      return out;
    }
  };
  return std::visit(Describe{p}, p.field);
}

}  // namespace pmuemu::config::schema
