// Whether the test runs under AddressSanitizer, and the iteration count of the random FP
// sweeps. GCC defines __SANITIZE_ADDRESS__ under -fsanitize=address; clang 14 (the CI's
// sanitizer compiler) only answers __has_feature, so both are asked.
#pragma once

#include <cstdlib>

#if defined(__SANITIZE_ADDRESS__)
#define PMUEMU_TEST_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PMUEMU_TEST_UNDER_ASAN 1
#endif
#endif

namespace test {

#if defined(PMUEMU_TEST_UNDER_ASAN)
inline constexpr bool kUnderAsan = true;
#else
inline constexpr bool kUnderAsan = false;
#endif

// PMUEMU_FP_ITERS when set; otherwise `full`, or `short_run` under AddressSanitizer, whose
// run looks for memory and UB errors rather than numeric coverage.
inline int fp_iters(int full, int short_run) {
  if (const char* e = std::getenv("PMUEMU_FP_ITERS")) return std::atoi(e);
  return kUnderAsan ? short_run : full;
}

}  // namespace test
