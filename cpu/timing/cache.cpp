#include "cpu/timing/cache.h"

#include <bit>

namespace cpu::timing {

Cache::Cache(const CacheGeometry& g)
    : g_(g),
      sets_(g.size_bytes / (g.line_bytes * g.ways)),
      line_shift_(static_cast<unsigned>(std::countr_zero(g.line_bytes))),
      tags_(static_cast<size_t>(sets_) * g.ways, ~uint64_t{0}),
      stamp_(static_cast<size_t>(sets_) * g.ways, 0) {}

bool Cache::access(uint64_t addr) {
  const uint64_t line = addr >> line_shift_;
  // A mask instead of a 64-bit division when the set count is a power of two.
  const uint32_t set = static_cast<uint32_t>((sets_ & (sets_ - 1)) == 0 ? (line & (sets_ - 1)) : line % sets_);
  uint64_t* tags = &tags_[static_cast<size_t>(set) * g_.ways];
  uint64_t* stamps = &stamp_[static_cast<size_t>(set) * g_.ways];
  ++clock_;
  uint32_t victim = 0;
  for (uint32_t w = 0; w < g_.ways; ++w) {
    if (tags[w] == line) {
      stamps[w] = clock_;
      return true;
    }
    if (stamps[w] < stamps[victim]) victim = w;
  }
  tags[victim] = line;
  stamps[victim] = clock_;
  return false;
}

bool Cache::contains(uint64_t addr) const {
  const uint64_t line = addr >> line_shift_;
  const uint32_t set = static_cast<uint32_t>(line % sets_);
  for (uint32_t w = 0; w < g_.ways; ++w)
    if (tags_[static_cast<size_t>(set) * g_.ways + w] == line) return true;
  return false;
}

void Cache::flush() {
  std::fill(tags_.begin(), tags_.end(), ~uint64_t{0});
  std::fill(stamp_.begin(), stamp_.end(), 0);
}

}  // namespace cpu::timing
