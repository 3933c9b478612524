// The VMM's console input: bytes from a host file descriptor (stdin) for the guest's UART.
// Reads never block unless asked to, so the guest keeps running while nothing is typed.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pmuemu::devices {

// A terminal on the console's input is put in raw mode for the run, as a serial line: no
// line editing and no local echo (the guest's tty echoes what it receives), bytes passed as
// typed (Enter is CR, which the guest's tty turns into a newline). ISIG stays on so Ctrl-C
// still stops pmuemu. The saved mode comes back at restore() or destruction. Nothing
// happens for a descriptor that is not a terminal.
class TerminalMode {
 public:
  TerminalMode() = default;
  explicit TerminalMode(int fd);
  ~TerminalMode() { restore(); }
  TerminalMode(const TerminalMode&) = delete;
  TerminalMode& operator=(const TerminalMode&) = delete;
  bool active() const { return active_; }
  void restore();

 private:
  int fd_ = -1;
  bool active_ = false;
  unsigned char saved_[64] = {};  // struct termios, kept opaque to the header
};

class HostInput {
 public:
  explicit HostInput(int fd) : fd_(fd), eof_(fd < 0) {}
  bool at_eof() const { return eof_; }
  // Up to `max` bytes into buf; 0 when nothing is ready (or at EOF). Waits up to
  // timeout_ms for the first byte (0: not at all, -1: until a byte or EOF).
  size_t read(uint8_t* buf, size_t max, int timeout_ms);

 private:
  int fd_;
  bool eof_;
};

}  // namespace pmuemu::devices
