// How many descriptors this process has open (/proc/self/fd; the directory's own descriptor
// counts, the same in every call), for tests that check nothing leaks or stays held.
#pragma once

#include <dirent.h>

#include <cstddef>

#include <boost/test/unit_test.hpp>

namespace test {

inline size_t open_fds() {
  size_t n = 0;
  DIR* d = opendir("/proc/self/fd");
  BOOST_REQUIRE(d != nullptr);
  while (const dirent* e = readdir(d))
    if (e->d_name[0] != '.') ++n;
  closedir(d);
  return n;
}

}  // namespace test
