// A set-associative cache with true LRU replacement: tags only, no data (the functional
// core owns the data). Used for L1I, L1D and L2 of each core.
#pragma once

#include <cstdint>
#include <vector>

#include "cpu/timing/params.h"

namespace cpu::timing {

class Cache {
 public:
  explicit Cache(const CacheGeometry& g);
  // Looks up the line holding `addr`; on a miss the line is filled (evicting the LRU way).
  // Returns true on a hit.
  bool access(uint64_t addr);
  // Whether the line is present, without changing replacement state.
  bool contains(uint64_t addr) const;
  void flush();
  const CacheGeometry& geometry() const { return g_; }
  uint32_t sets() const { return sets_; }

 private:
  CacheGeometry g_;
  uint32_t sets_;
  unsigned line_shift_;
  // tags_[set * ways + way]; ~0 = invalid. stamp_ holds the last-use time for LRU.
  std::vector<uint64_t> tags_;
  std::vector<uint64_t> stamp_;
  uint64_t clock_ = 0;
};

}  // namespace cpu::timing
