// PL011 UART (Arm DDI 0183), transmit side only, at the QEMU virt address 0x0900_0000.
// The VMM owns it: guest accesses arrive as KVM_EXIT_MMIO exits.
#pragma once

#include <cstdint>
#include <functional>

namespace pmuemu::devices {

class Pl011 {
 public:
  static constexpr uint64_t kBase = 0x09000000;
  static constexpr uint64_t kSize = 0x1000;

  // Called with each transmitted byte and the vCPU that wrote it.
  using Sink = std::function<void(unsigned vcpu, char c)>;
  explicit Pl011(Sink sink) : sink_(std::move(sink)) {}

  bool owns(uint64_t gpa) const { return gpa - kBase < kSize; }
  uint64_t read(uint64_t offset) const;
  void write(unsigned vcpu, uint64_t offset, uint64_t value);

 private:
  Sink sink_;
  uint32_t cr_ = 0x300;    // UARTCR: TXE | RXE out of reset
  uint32_t lcr_h_ = 0;
  uint32_t ibrd_ = 0, fbrd_ = 0, imsc_ = 0;
};

}  // namespace pmuemu::devices
