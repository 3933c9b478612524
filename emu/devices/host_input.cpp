#include "emu/devices/host_input.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace pmuemu::devices {

size_t HostInput::read(uint8_t* buf, size_t max, bool block) {
  if (eof_ || max == 0) return 0;
  pollfd p{fd_, POLLIN, 0};
  int rc;
  do rc = ::poll(&p, 1, block ? -1 : 0);
  while (rc < 0 && errno == EINTR);
  if (rc <= 0) {
    if (rc < 0) eof_ = true;  // an unusable descriptor: no input, ever
    return 0;
  }
  ssize_t n;
  do n = ::read(fd_, buf, max);
  while (n < 0 && errno == EINTR);
  if (n <= 0) {
    eof_ = true;  // end of file, or an error: the line goes quiet
    return 0;
  }
  return static_cast<size_t>(n);
}

}  // namespace pmuemu::devices
