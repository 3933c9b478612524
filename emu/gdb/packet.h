// The framing of gdb's remote serial protocol: "$payload#cc" packets with a two-digit hex
// checksum (the sum of the payload bytes modulo 256), '}' escapes (the next byte XOR 0x20)
// for '$', '#', '}' and '*', run-length encoding ("X*n": X repeated n - 29 more times), '+'
// and '-' acknowledgements and the 0x03 interrupt byte. Pure functions and a byte-at-a-time
// reader, so the protocol layer is testable without a socket.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pmuemu::gdb {

// The largest packet payload the stub accepts and announces in qSupported (PacketSize, in
// hex there): a 'G' of every register (68 registers, 33 of them 16 bytes) is under 1.5 KiB
// as hex, an 'M' of 8 KiB of memory 16 KiB.
inline constexpr size_t kMaxPacket = 0x4000;

// One framed packet ready to send: '$', the payload with '$', '#', '}' and '*' escaped and
// runs of other bytes longer than 4 run-length encoded, '#', the checksum of the bytes as
// sent.
std::string frame(std::string_view payload);

// The protocol's checksum: the sum of the bytes modulo 256.
uint8_t checksum(std::string_view bytes);

// What arrives from gdb, one event at a time.
struct Event {
  enum Kind : uint8_t {
    kPacket,     // a complete packet with a good checksum: payload decoded (escapes, RLE)
    kBadPacket,  // checksum mismatch, bad escape or run length, or too long: answer '-'
    kAck,        // '+'
    kNak,        // '-': resend the last packet
    kInterrupt,  // 0x03 outside a packet (Ctrl-C)
  };
  Kind kind;
  std::string payload;  // kPacket: the decoded payload; kBadPacket: why, for diagnostics
};

// Assembles events from the byte stream. Bytes between packets other than '+', '-' and
// 0x03 are ignored (line noise), as gdb itself does.
class Reader {
 public:
  // Feeds one byte; returns an event when one is complete.
  std::optional<Event> feed(uint8_t byte);
  // Feeds a buffer and appends every complete event.
  void feed(std::string_view bytes, std::vector<Event>& out);

 private:
  enum class State : uint8_t { kIdle, kBody, kCsum1, kCsum2 };
  State state_ = State::kIdle;
  std::string raw_;     // the payload as received (still escaped), for the checksum
  uint8_t csum_hi_ = 0;
  bool overflow_ = false;
};

// The payload of a received packet decoded: escapes removed and runs expanded. nullopt and
// a reason for a malformed one (an escape or run length at the end, a run with nothing
// before it, a run count below 3 or above 97 repeats, a result over kMaxPacket).
std::optional<std::string> decode_payload(std::string_view raw, std::string* why = nullptr);

// Hex helpers of the protocol: lower-case two digits per byte.
std::string to_hex(const uint8_t* bytes, size_t n);
std::string to_hex(std::string_view bytes);
// Decodes exactly 2*n hex digits; nullopt on any other character or an odd length.
std::optional<std::vector<uint8_t>> from_hex(std::string_view hex);
// A hexadecimal number (no prefix, at least one digit, at most 16); nullopt otherwise.
std::optional<uint64_t> parse_hex_u64(std::string_view text);

}  // namespace pmuemu::gdb
