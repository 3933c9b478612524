// The emulated host: which physical CPUs exist, what core type each one is, and that core's
// architectural identity (MIDR, PMU version, PMCR_EL0.N, implemented events) and timing
// parameters. Loaded from a host YAML file plus the core catalogue (configs/cores/*.yaml).
//
// Everything here is plain data: yaml-cpp never appears outside emu/config/*.cpp, so the
// models receive these structs and never parse anything themselves.
// Values are validated once, at load time; a loaded Host is immutable by convention.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace pmuemu::config {

struct CacheParams {
  uint32_t size_kib = 0;
  uint32_t ways = 0;
  uint32_t line_bytes = 0;
  uint32_t latency_cycles = 0;  // load-to-use on a hit at this level
  bool operator==(const CacheParams&) const = default;
};

struct BranchPredictorParams {
  std::string kind;  // one of kBranchPredictorKinds
  uint32_t history_bits = 0;
  uint32_t btb_entries = 0;
  uint32_t ras_entries = 0;
  bool operator==(const BranchPredictorParams&) const = default;
};

enum class CoreClass : uint8_t { kInOrder, kOutOfOrder };

// Names as written in YAML, indexed by CoreClass.
inline constexpr std::string_view kCoreClassNames[] = {"in-order", "out-of-order"};
inline constexpr std::string_view kBranchPredictorKinds[] = {"static", "bimodal", "gshare",
                                                             "tournament", "tage"};

struct TimingParams {
  CoreClass core_class = CoreClass::kInOrder;
  uint32_t frequency_mhz = 0;
  uint32_t issue_width = 0;     // instructions decoded/issued per cycle
  uint32_t pipeline_depth = 0;  // stages, fetch to writeback
  uint32_t rob_entries = 0;     // 0 for in-order cores
  uint32_t alu_latency_cycles = 0;
  uint32_t mul_latency_cycles = 0;
  uint32_t div_latency_cycles = 0;
  uint32_t load_to_use_cycles = 0;
  // SIMD&FP execution latencies (optional keys: absent means these defaults).
  uint32_t fp_latency_cycles = 2;        // FP add/compare/convert/move
  uint32_t fp_mul_latency_cycles = 4;    // FP multiply, fused multiply-add
  uint32_t fp_div_latency_cycles = 12;   // FP divide/square root (double)
  uint32_t simd_latency_cycles = 2;      // Advanced SIMD integer
  uint32_t simd_mul_latency_cycles = 4;  // Advanced SIMD integer multiply
  uint32_t crypto_latency_cycles = 3;    // AES/SHA round
  CacheParams l1i, l1d, l2;
  uint32_t memory_latency_ns = 0;
  BranchPredictorParams branch_predictor;
  uint32_t mispredict_penalty_cycles = 0;
  bool operator==(const TimingParams&) const = default;
};

// PMU versions a core file may name, with their ID_AA64DFR0_EL1.PMUVer encoding:
// 0b0001 PMUv3, 0b0100 PMUv3p1, 0b0101 PMUv3p4, 0b0110 PMUv3p5, 0b0111 PMUv3p7.
struct PmuVersion {
  std::string_view name;
  uint8_t pmuver;
};
inline constexpr PmuVersion kPmuVersions[] = {
    {"3.0", 0x1}, {"3.1", 0x4}, {"3.4", 0x5}, {"3.5", 0x6}, {"3.7", 0x7}};

// PMCR_EL0.N is a 5-bit field.
inline constexpr uint32_t kMaxPmuCounters = 31;
// Upper bound on a host's physical CPUs; keeps a typo like `cpus: 40000` from allocating.
inline constexpr uint32_t kMaxPcpus = 256;

// The core's identification registers as its TRM gives them (`id.*` in a core file);
// cpu::sanitise_ids masks them to what pmuemu implements. A core file without them gets
// these defaults: AArch64 EL0/EL1, FP and AdvSIMD, LSE, a 48-bit PA and 4 KiB granules.
struct IdValues {
  uint64_t revidr = 0;
  uint64_t aa64pfr0 = 0x11, aa64pfr1 = 0;
  uint64_t aa64isar0 = 0x00200000, aa64isar1 = 0, aa64isar2 = 0;
  uint64_t aa64mmfr0 = 0x0F000025, aa64mmfr1 = 0, aa64mmfr2 = 0;
  uint64_t aa64dfr0 = 0x406, aa64zfr0 = 0;
  uint64_t ctr = 0x84448004, dczid = 0x4;
  bool operator==(const IdValues&) const = default;
};

struct CoreType {
  std::string name;                   // "cortex-a55": the catalogue file's stem
  uint32_t midr = 0;                  // MIDR_EL1
  IdValues id;                        // id.* keys
  std::string pmu_version;            // "3.1"
  uint8_t pmuver = 0;                 // ID_AA64DFR0_EL1.PMUVer encoding of pmu_version
  uint32_t pmu_counters = 0;          // PMCR_EL0.N, 0..31
  std::vector<uint16_t> pmu_events;   // sorted, unique common-event numbers
  uint64_t pmceid0 = 0, pmceid1 = 0;  // pmu::pmceid_of(pmu_events)
  TimingParams timing;
  bool operator==(const CoreType&) const = default;
};

struct Cluster {
  CoreType core;  // catalogue entry with this cluster's overrides applied
  uint32_t cpus = 0;
  uint32_t first_pcpu = 0;
  // Optional; only the KVM eras after 6.16 read them (docs/configs.md).
  uint32_t reserved_host_counters = 0;  // counters of this PMU the host keeps (partitioned PMU)
  bool feat_hpmn0 = false;              // FEAT_HPMN0: MDCR_EL2.HPMN may be 0
  uint32_t pmmir_slots = 0;             // PMMIR_EL1.SLOTS, 0..255 (0: not implemented)
  bool operator==(const Cluster&) const = default;
};

struct Host {
  std::string name;
  std::string file;  // the path it was loaded from, as given
  std::vector<Cluster> clusters;
  bool vhe = true;  // the host kernel runs at EL2 (VHE); optional key `vhe`

  uint32_t num_pcpus() const;
  const Cluster& cluster_of(uint32_t pcpu) const;  // throws std::out_of_range
  uint32_t cluster_index_of(uint32_t pcpu) const;  // throws std::out_of_range
};

// Loads a host file. Core files come from `<dir of file>/cores/` if that directory exists,
// else from default_cores_dir(). Throws pmuemu::InputError with one line naming the file,
// the line, the key path and the problem.
Host load_host_file(const std::filesystem::path& file);

// Parses host YAML text; `file_name_for_errors` prefixes every message and becomes Host::file.
Host parse_host(std::string_view yaml_text, std::string_view file_name_for_errors,
                const std::filesystem::path& cores_dir);

// One catalogue entry, `<cores_dir>/<name>.yaml`. Throws InputError.
CoreType load_core(const std::filesystem::path& cores_dir, std::string_view name);
// Parses core YAML text (the catalogue file format). Throws InputError.
CoreType parse_core(std::string_view yaml_text, std::string_view core_name,
                    std::string_view file_name_for_errors);

// Sorted names of the catalogue entries in `cores_dir` ("" entries never appear).
std::vector<std::string> known_cores(const std::filesystem::path& cores_dir);

// The compiled-in catalogue: <source tree>/configs/cores.
std::filesystem::path default_cores_dir();

// The text `pmuemu host show` prints: every pCPU with its identity, then a per-cluster summary.
std::string describe_host(const Host&);

// A core as catalogue YAML; parse_core() of the result gives back an equal CoreType.
std::string core_to_yaml(const CoreType&);

// Markdown reference of every host-file and core-file key, generated from the schema
// registry (configs/README.md embeds it; a unit test keeps the two in step).
std::string schema_reference_markdown();

}  // namespace pmuemu::config
