#include "cpu/timing/cache.h"

#include <algorithm>
#include <bit>

namespace cpu::timing {

Cache::Cache(const CacheGeometry& g)
    : g_(g),
      sets_(g.size_bytes / (g.line_bytes * g.ways)),
      ways_(g.ways),
      line_shift_(static_cast<unsigned>(std::countr_zero(g.line_bytes))),
      set_index_(sets_),
      tags_(static_cast<size_t>(sets_) * g.ways, kInvalid) {}

bool Cache::access_slow(uint64_t* tags, uint64_t line) {
  // tags[0] != line. A hit at k moves the line to the front; a miss drops the last entry
  // (an empty way if the set has one: empty entries never move forward) and fills the front.
  uint32_t k = 1;
  while (k < ways_ && tags[k] != line) ++k;
  const bool hit = k < ways_;
  if (!hit) k = ways_ - 1;
  std::copy_backward(tags, tags + k, tags + k + 1);
  tags[0] = line;
  return hit;
}

bool Cache::contains(uint64_t addr) const {
  const uint64_t line = addr >> line_shift_;
  const uint64_t* tags = &tags_[set_of(line) * ways_];
  return std::find(tags, tags + ways_, line) != tags + ways_;
}

void Cache::flush() {
  std::fill(tags_.begin(), tags_.end(), kInvalid);
  last_line_ = kInvalid;
}

}  // namespace cpu::timing
