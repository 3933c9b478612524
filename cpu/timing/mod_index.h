// x % n for a divisor fixed at construction, without a 64-bit division per use: a mask
// when n is a power of two, otherwise the round-up multiply of Granlund and Montgomery
// ("Division by invariant integers using multiplication", PLDI 1994, figure 4.1), which is
// exact for every 64-bit x. Used for cache set and BTB indices whose counts come from the
// catalogue (a 6144-entry BTB is not a power of two).
#pragma once

#include <bit>
#include <cstdint>

namespace cpu::timing {

class ModIndex {
 public:
  explicit ModIndex(uint32_t n = 1) : n_(n == 0 ? 1 : n) {
    pow2_ = (n_ & (n_ - 1)) == 0;
    mask_ = n_ - 1;
    if (!pow2_) {
      const unsigned l = 32u - static_cast<unsigned>(std::countl_zero(n_ - 1));  // ceil(log2 n), 2..32
      const unsigned __int128 two64 = static_cast<unsigned __int128>(1) << 64;
      m_ = static_cast<uint64_t>(two64 * ((uint64_t{1} << l) - n_) / n_ + 1);
      sh1_ = 1;
      sh2_ = l - 1;
    }
  }
  uint64_t operator()(uint64_t x) const {
    if (pow2_) [[likely]] return x & mask_;
    const uint64_t t1 = static_cast<uint64_t>((static_cast<unsigned __int128>(m_) * x) >> 64);
    const uint64_t q = (t1 + ((x - t1) >> sh1_)) >> sh2_;
    return x - q * n_;
  }
  uint32_t divisor() const { return n_; }

 private:
  uint32_t n_;
  bool pow2_ = true;
  uint64_t mask_ = 0;
  uint64_t m_ = 0;
  unsigned sh1_ = 0, sh2_ = 0;
};

}  // namespace cpu::timing
