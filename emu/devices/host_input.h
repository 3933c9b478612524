// The VMM's console input: bytes from a host file descriptor (stdin) for the guest's UART.
// Reads never block unless asked to, so the guest keeps running while nothing is typed.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pmuemu::devices {

class HostInput {
 public:
  explicit HostInput(int fd) : fd_(fd), eof_(fd < 0) {}
  bool at_eof() const { return eof_; }
  // Up to `max` bytes into buf; 0 when nothing is ready (or at EOF). With `block`, waits
  // until at least one byte or EOF.
  size_t read(uint8_t* buf, size_t max, bool block);

 private:
  int fd_;
  bool eof_;
};

}  // namespace pmuemu::devices
