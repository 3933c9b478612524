// PL011 UART (Arm DDI 0183, r1p5) at the QEMU virt address 0x0900_0000: transmit, a
// 16-entry receive FIFO fed by the VMM, and the interrupt (UARTINTR, the OR of the masked
// sources) as a level the VMM wires to SPI 1. The VMM owns it: guest accesses arrive as
// KVM_EXIT_MMIO exits.
//
// Transmission is instant (the byte goes to the sink at the DR write), so the transmit
// FIFO is always empty: FR.TXFE = 1, TXFF = 0, and the transmit interrupt (RIS.TXRIS) is
// raised by every DR write, the FIFO having just drained to below any trigger level, until
// ICR clears it. The receive interrupt (RXRIS) and the receive timeout (RTRIS) are both
// asserted while the receive FIFO holds data: the guest reads DR until FR.RXFE, which is
// what the timeout would make it do once the line went quiet.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>

namespace pmuemu::devices {

class Pl011 {
 public:
  static constexpr uint64_t kBase = 0x09000000;
  static constexpr uint64_t kSize = 0x1000;
  static constexpr unsigned kSpi = 1;          // INTID 33, QEMU virt's wiring
  // 16 entries, as the ID registers' revision 1 implies: only revision 3 (r1p5) has
  // 32-entry FIFOs, and drivers size theirs from that field.
  static constexpr size_t kFifoDepth = 16;

  // Called with each transmitted byte and the vCPU that wrote it.
  using Sink = std::function<void(unsigned vcpu, char c)>;
  // Called when UARTINTR changes level.
  using IrqLine = std::function<void(bool level)>;
  explicit Pl011(Sink sink) : sink_(std::move(sink)) {}
  void set_irq_line(IrqLine line) { irq_ = std::move(line); }

  bool owns(uint64_t gpa) const { return gpa - kBase < kSize; }
  uint64_t read(uint64_t offset);
  void write(unsigned vcpu, uint64_t offset, uint64_t value);

  // Receive side: is the guest listening (UART and receiver enabled, receive interrupt
  // unmasked) with room in the FIFO? receive() puts one byte in; false when full.
  size_t rx_room() const;
  bool receive(uint8_t byte);
  uint32_t raw_interrupts() const;

 private:
  void update_irq();
  Sink sink_;
  IrqLine irq_;
  bool level_ = false;
  uint32_t cr_ = 0x300;    // UARTCR: TXE | RXE out of reset
  uint32_t lcr_h_ = 0;
  uint32_t ibrd_ = 0, fbrd_ = 0, imsc_ = 0, ifls_ = 0x12;
  bool tx_ris_ = false;
  std::deque<uint8_t> rx_;
};

}  // namespace pmuemu::devices
