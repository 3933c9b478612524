// A set-associative cache with true LRU replacement: tags only, no data (the functional
// core owns the data). Used for L1I, L1D and L2 of each core.
//
// Each set keeps its tags in recency order (way 0 the most recently used, invalid entries
// at the end), so a hit on the MRU line changes nothing and a miss evicts the last entry:
// an empty way while there is one, else the least recently used line. A one-line filter in
// front (the last line accessed, which is the MRU line of its set) answers repeated
// accesses to the same line without touching the set.
#pragma once

#include <cstdint>
#include <vector>

#include "cpu/timing/mod_index.h"
#include "cpu/timing/params.h"

namespace cpu::timing {

class Cache {
 public:
  explicit Cache(const CacheGeometry& g);
  // Looks up the line holding `addr`; on a miss the line is filled (evicting the LRU way).
  // Returns true on a hit.
  [[gnu::always_inline]] bool access(uint64_t addr) {
    const uint64_t line = addr >> line_shift_;
    if (line == last_line_) return true;
    return access_line(line);
  }
  // The same for a line number (addr >> log2(line_bytes)).
  [[gnu::always_inline]] bool access_line(uint64_t line) {
    last_line_ = line;
    uint64_t* const tags = &tags_[set_of(line) * ways_];
    if (tags[0] == line) return true;
    return access_slow(tags, line);
  }
  // Whether the line is present, without changing replacement state.
  bool contains(uint64_t addr) const;
  void flush();
  const CacheGeometry& geometry() const { return g_; }
  uint32_t sets() const { return sets_; }
  unsigned line_shift() const { return line_shift_; }

 private:
  static constexpr uint64_t kInvalid = ~uint64_t{0};
  size_t set_of(uint64_t line) const { return static_cast<size_t>(set_index_(line)); }
  bool access_slow(uint64_t* tags, uint64_t line);

  CacheGeometry g_;
  uint32_t sets_;
  uint32_t ways_;
  unsigned line_shift_;
  ModIndex set_index_;
  uint64_t last_line_ = kInvalid;
  // tags_[set * ways + k]: the set's lines, most recently used first; kInvalid = empty.
  std::vector<uint64_t> tags_;
};

}  // namespace cpu::timing
