#include "emu/devices/host_input.h"

#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace pmuemu::devices {

static_assert(sizeof(termios) <= 64, "TerminalMode keeps struct termios in 64 bytes");

TerminalMode::TerminalMode(int fd) : fd_(fd) {
  termios t{};
  if (fd < 0 || !::isatty(fd) || ::tcgetattr(fd, &t) != 0) return;
  std::memcpy(saved_, &t, sizeof t);
  // cfmakeraw() without clearing ISIG: no canonical mode, echo, input or output
  // translation; reads return each byte as it comes.
  t.c_iflag &= ~static_cast<tcflag_t>(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
  t.c_lflag &= ~static_cast<tcflag_t>(ECHO | ECHONL | ICANON | IEXTEN);
  t.c_cflag = (t.c_cflag & ~static_cast<tcflag_t>(CSIZE | PARENB)) | CS8;
  t.c_cc[VMIN] = 1;
  t.c_cc[VTIME] = 0;
  active_ = ::tcsetattr(fd, TCSANOW, &t) == 0;
}

void TerminalMode::restore() {
  if (!active_) return;
  termios t{};
  std::memcpy(&t, saved_, sizeof t);
  ::tcsetattr(fd_, TCSANOW, &t);
  active_ = false;
}

size_t HostInput::read(uint8_t* buf, size_t max, int timeout_ms) {
  if (eof_ || max == 0) return 0;
  pollfd p{fd_, POLLIN, 0};
  int rc;
  do rc = ::poll(&p, 1, timeout_ms);
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
