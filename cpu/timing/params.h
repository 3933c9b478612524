// Timing parameters of one core type, as the timing model consumes them. Plain data: the
// YAML catalogue is parsed in emu/config and converted to this struct there.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace cpu::timing {

struct CacheGeometry {
  uint32_t size_bytes = 32 * 1024;
  uint32_t ways = 4;
  uint32_t line_bytes = 64;
  uint32_t latency_cycles = 4;  // load-to-use on a hit at this level
};

enum class PredictorKind : uint8_t { kStatic, kBimodal, kGshare, kTournament, kTage };

struct CoreTimingParams {
  bool out_of_order = false;
  uint32_t frequency_mhz = 2000;
  uint32_t issue_width = 2;       // instructions issued (in-order) or dispatched (OoO) per cycle
  uint32_t pipeline_depth = 8;
  uint32_t rob_entries = 0;       // OoO window; 0 for in-order
  uint32_t alu_latency = 1;
  uint32_t mul_latency = 3;
  uint32_t div_latency = 12;
  uint32_t load_to_use = 3;
  // SIMD&FP execution latencies (the core's Software Optimization Guide, cited in its
  // catalogue entry): FP add/convert, FP multiply/FMA, FP divide/sqrt (double), Advanced
  // SIMD integer, Advanced SIMD integer multiply, Crypto (AES/SHA round).
  uint32_t fp_latency = 2;
  uint32_t fp_mul_latency = 4;
  uint32_t fp_div_latency = 12;
  uint32_t simd_latency = 2;
  uint32_t simd_mul_latency = 4;
  uint32_t crypto_latency = 3;       // L1D hit latency as seen by a dependent instruction
  CacheGeometry l1i{32 * 1024, 4, 64, 1};
  CacheGeometry l1d{32 * 1024, 4, 64, 3};
  CacheGeometry l2{256 * 1024, 8, 64, 12};
  uint32_t memory_latency_cycles = 200;
  PredictorKind predictor = PredictorKind::kGshare;
  uint32_t history_bits = 12;
  uint32_t btb_entries = 1024;
  uint32_t ras_entries = 8;
  uint32_t mispredict_penalty = 8;

  // Cross-parameter checks, once at construction: throws
  // std::invalid_argument naming the parameter.
  void validate() const;
};

}  // namespace cpu::timing
