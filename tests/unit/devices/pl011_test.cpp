// The PL011 UART's registers as the PrimeCell UART TRM (Arm DDI 0183) defines them,
// driven the way a driver does: through read()/write() at register offsets.
#include <boost/test/unit_test.hpp>

#include <string>
#include <utility>
#include <vector>

#include "emu/devices/pl011.h"

namespace pmuemu::devices {
namespace {

// Register offsets (DDI 0183 table 3-1).
constexpr uint64_t UARTDR = 0x000, UARTRSR = 0x004, UARTFR = 0x018, UARTIBRD = 0x024, UARTFBRD = 0x028,
                   UARTLCR_H = 0x02c, UARTCR = 0x030, UARTIFLS = 0x034, UARTIMSC = 0x038, UARTRIS = 0x03c,
                   UARTMIS = 0x040, UARTICR = 0x044;
// UARTFR bits: BUSY 3, RXFE 4, TXFF 5, RXFF 6, TXFE 7.
constexpr uint32_t BUSY = 1u << 3, RXFE = 1u << 4, TXFF = 1u << 5, RXFF = 1u << 6, TXFE = 1u << 7;
// Interrupt bits of IMSC/RIS/MIS/ICR: RX 4, TX 5, RT (receive timeout) 6.
constexpr uint32_t RXIM = 1u << 4, TXIM = 1u << 5, RTIM = 1u << 6;
// UARTCR: UARTEN 0, TXE 8, RXE 9.
constexpr uint32_t UARTEN = 1u << 0, TXE = 1u << 8, RXE = 1u << 9;

struct Uart {
  Uart() : dev([this](unsigned vcpu, char c) { out.emplace_back(vcpu, c); }) {
    dev.set_irq_line([this](bool level) { edges.push_back(level); });
  }
  uint32_t r(uint64_t off) { return static_cast<uint32_t>(dev.read(off)); }
  std::vector<std::pair<unsigned, char>> out;
  std::vector<bool> edges;  // every change of UARTINTR
  Pl011 dev;
};

BOOST_AUTO_TEST_SUITE(pl011)

BOOST_AUTO_TEST_CASE(owns_its_4k_window_only) {
  Uart u;
  BOOST_TEST(u.dev.owns(0x09000000));
  BOOST_TEST(u.dev.owns(0x09000fff));
  BOOST_TEST(!u.dev.owns(0x09001000));
  BOOST_TEST(!u.dev.owns(0x08ffffff));
}

BOOST_AUTO_TEST_CASE(dr_write_transmits_the_low_byte_tagged_with_the_vcpu) {
  Uart u;
  u.dev.write(0, UARTDR, 'h');
  u.dev.write(3, UARTDR, 0x1200 | 'i');  // bits above 7 are not data
  BOOST_REQUIRE_EQUAL(u.out.size(), 2u);
  BOOST_TEST(u.out[0].first == 0u);
  BOOST_TEST(u.out[0].second == 'h');
  BOOST_TEST(u.out[1].first == 3u);
  BOOST_TEST(u.out[1].second == 'i');
  // Other registers do not transmit.
  u.dev.write(0, UARTIBRD, 'x');
  BOOST_TEST(u.out.size() == 2u);
}

BOOST_AUTO_TEST_CASE(flags_transmit_always_empty_and_not_busy) {
  Uart u;
  const uint32_t fr = u.r(UARTFR);
  BOOST_TEST((fr & TXFE) != 0u);
  BOOST_TEST((fr & TXFF) == 0u);
  BOOST_TEST((fr & BUSY) == 0u);
  BOOST_TEST((fr & RXFE) != 0u);
  BOOST_TEST((fr & RXFF) == 0u);
  // Right after a transmission: still empty and idle (the byte left at once).
  u.dev.write(0, UARTDR, 'a');
  BOOST_TEST((u.r(UARTFR) & (TXFE | BUSY | TXFF)) == TXFE);
}

BOOST_AUTO_TEST_CASE(receive_fifo_is_filled_from_input_and_read_in_order) {
  Uart u;
  // Out of reset UARTEN is 0 and no receive interrupt is unmasked: nobody is listening.
  BOOST_TEST(u.dev.rx_room() == 0u);
  u.dev.write(0, UARTCR, UARTEN | TXE | RXE);
  BOOST_TEST(u.dev.rx_room() == 0u);  // still masked: a polling driver would not drain it
  u.dev.write(0, UARTIMSC, RXIM | RTIM);
  BOOST_TEST(u.dev.rx_room() == Pl011::kFifoDepth);

  for (size_t i = 0; i < Pl011::kFifoDepth; ++i) {
    BOOST_TEST(u.dev.receive(static_cast<uint8_t>('A' + i)));
    BOOST_TEST((u.r(UARTFR) & RXFE) == 0u);
    BOOST_TEST(u.dev.rx_room() == Pl011::kFifoDepth - i - 1);
  }
  BOOST_TEST((u.r(UARTFR) & RXFF) != 0u);
  BOOST_TEST(!u.dev.receive('!'));  // the FIFO holds 16 entries
  for (size_t i = 0; i < Pl011::kFifoDepth; ++i) BOOST_TEST(u.r(UARTDR) == 'A' + i);
  BOOST_TEST((u.r(UARTFR) & (RXFE | RXFF)) == RXFE);
  BOOST_TEST(u.r(UARTRSR) == 0u);  // no framing, parity, break or overrun errors
}

BOOST_AUTO_TEST_CASE(rx_interrupt_raised_while_data_waits_masked_by_imsc) {
  Uart u;
  u.dev.write(0, UARTCR, UARTEN | TXE | RXE);
  // Masked: the raw status shows the source, the masked status and the line do not.
  BOOST_TEST(u.dev.receive('x'));
  BOOST_TEST((u.r(UARTRIS) & RXIM) != 0u);
  BOOST_TEST((u.r(UARTMIS) & RXIM) == 0u);
  BOOST_TEST(u.edges.empty());
  // Unmasking raises UARTINTR at once (the OR of the masked sources).
  u.dev.write(0, UARTIMSC, RXIM);
  BOOST_TEST(u.r(UARTIMSC) == RXIM);
  BOOST_TEST(u.r(UARTMIS) == RXIM);
  BOOST_TEST(u.edges == std::vector<bool>{true});
  // More data: the level stays high, no new edge.
  BOOST_TEST(u.dev.receive('y'));
  BOOST_TEST(u.edges.size() == 1u);
  // Reading the FIFO empty clears the source and drops the line.
  BOOST_TEST(u.r(UARTDR) == 'x');
  BOOST_TEST(u.edges.size() == 1u);
  BOOST_TEST(u.r(UARTDR) == 'y');
  BOOST_TEST(u.edges == (std::vector<bool>{true, false}));
  BOOST_TEST((u.r(UARTRIS) & (RXIM | RTIM)) == 0u);
  BOOST_TEST(u.r(UARTMIS) == 0u);
  // Masking again while data waits drops the line too.
  BOOST_TEST(u.dev.receive('z'));
  BOOST_TEST(u.edges.back() == true);
  u.dev.write(0, UARTIMSC, 0);
  BOOST_TEST(u.edges.back() == false);
  BOOST_TEST((u.r(UARTRIS) & RXIM) != 0u);
}

BOOST_AUTO_TEST_CASE(tx_interrupt_raised_by_a_transmission_cleared_through_icr) {
  Uart u;
  u.dev.write(0, UARTIMSC, TXIM);
  BOOST_TEST(u.r(UARTRIS) == 0u);
  BOOST_TEST(u.edges.empty());
  u.dev.write(0, UARTDR, 'a');
  BOOST_TEST((u.r(UARTRIS) & TXIM) != 0u);
  BOOST_TEST(u.r(UARTMIS) == TXIM);
  BOOST_TEST(u.edges == std::vector<bool>{true});
  // ICR writes of other bits leave it; writing its bit clears it.
  u.dev.write(0, UARTICR, RXIM);
  BOOST_TEST(u.r(UARTMIS) == TXIM);
  u.dev.write(0, UARTICR, TXIM);
  BOOST_TEST(u.r(UARTMIS) == 0u);
  BOOST_TEST((u.r(UARTRIS) & TXIM) == 0u);
  BOOST_TEST(u.edges == (std::vector<bool>{true, false}));
  // ICR cannot clear a receive source while the FIFO holds data.
  u.dev.write(0, UARTIMSC, RXIM);
  BOOST_TEST(u.dev.receive('q'));
  u.dev.write(0, UARTICR, RXIM | RTIM);
  BOOST_TEST(u.r(UARTMIS) == RXIM);
  // RIS and MIS are read-only.
  u.dev.write(0, UARTRIS, 0);
  u.dev.write(0, UARTMIS, 0);
  BOOST_TEST(u.r(UARTMIS) == RXIM);
}

BOOST_AUTO_TEST_CASE(identification_registers) {
  Uart u;
  // UARTPeriphID0..3 at 0xFE0..0xFEC hold the 32-bit peripheral ID a byte each:
  // part number 0x011 (bits 11:0), designer 0x41 = Arm (bits 19:12). Linux's amba-pl011
  // driver matches (id & 0x000fffff) == 0x00041011.
  uint32_t periph = 0, cell = 0;
  for (unsigned i = 0; i < 4; ++i) {
    periph |= (u.r(0xfe0 + 4 * i) & 0xff) << (8 * i);
    cell |= (u.r(0xff0 + 4 * i) & 0xff) << (8 * i);
  }
  BOOST_TEST((periph & 0x000fffffu) == 0x00041011u);
  BOOST_TEST((periph >> 24) == 0u);  // configuration: none
  // Revision (bits 23:20): 3 (r1p5) would announce 32-entry FIFOs to the driver; the model
  // has 16, so it must report an earlier revision.
  BOOST_TEST(((periph >> 20) & 0xf) < 3u);
  BOOST_TEST(Pl011::kFifoDepth == 16u);
  // UARTPCellID0..3: the PrimeCell identification 0xB105F00D.
  BOOST_TEST(cell == 0xb105f00du);
}

BOOST_AUTO_TEST_CASE(control_registers_keep_their_implemented_bits) {
  Uart u;
  // Reset values (DDI 0183): UARTCR 0x300 (TXE, RXE), UARTIFLS 0x12 (both at half full).
  BOOST_TEST(u.r(UARTCR) == (TXE | RXE));
  BOOST_TEST(u.r(UARTIFLS) == 0x12u);
  // IBRD is 16 bits, FBRD 6, LCR_H 8: wider writes are truncated.
  u.dev.write(0, UARTIBRD, 0x12345);
  u.dev.write(0, UARTFBRD, 0xff);
  u.dev.write(0, UARTLCR_H, 0x170);
  BOOST_TEST(u.r(UARTIBRD) == 0x2345u);
  BOOST_TEST(u.r(UARTFBRD) == 0x3fu);
  BOOST_TEST(u.r(UARTLCR_H) == 0x70u);
  // Reserved offsets read as zero and ignore writes.
  u.dev.write(0, 0x800, 0xffffffff);
  BOOST_TEST(u.r(0x800) == 0u);
  BOOST_TEST(u.out.empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace pmuemu::devices
