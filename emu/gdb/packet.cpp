#include "emu/gdb/packet.h"

#include <algorithm>
#include <cstdio>

namespace pmuemu::gdb {
namespace {

constexpr bool needs_escape(char c) { return c == '$' || c == '#' || c == '}' || c == '*'; }

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A run-length count character stands for (c - 29) repeats of the byte before it; the
// protocol forbids '#' and '$' as counts and anything above '~'.
constexpr int kRunBias = 29;
constexpr bool usable_count(int repeats) {
  const int c = repeats + kRunBias;
  return c >= ' ' && c <= '~' && c != '#' && c != '$';
}

}  // namespace

uint8_t checksum(std::string_view bytes) {
  unsigned sum = 0;
  for (const char c : bytes) sum += static_cast<uint8_t>(c);
  return static_cast<uint8_t>(sum);
}

std::string frame(std::string_view payload) {
  // The body: special bytes escaped, runs of other bytes run-length encoded ("X*n").
  std::string body;
  body.reserve(payload.size() + 8);
  for (size_t i = 0; i < payload.size();) {
    const char c = payload[i];
    if (needs_escape(c)) {
      body.push_back('}');
      body.push_back(static_cast<char>(c ^ 0x20));
      ++i;
      continue;
    }
    size_t n = 1;
    while (i + n < payload.size() && payload[i + n] == c) ++n;
    i += n;
    while (n > 0) {
      body.push_back(c);
      --n;
      // Repeats after that byte: the largest usable count up to what is left (a run of 3
      // or fewer costs no more written out).
      int rep = static_cast<int>(std::min<size_t>(n, 126 - kRunBias));
      while (rep > 3 && !usable_count(rep)) --rep;
      if (rep > 3) {
        body.push_back('*');
        body.push_back(static_cast<char>(rep + kRunBias));
        n -= static_cast<size_t>(rep);
      }
    }
  }
  char tail[4];
  std::snprintf(tail, sizeof tail, "#%02x", checksum(body));
  return "$" + body + tail;
}

std::optional<std::string> decode_payload(std::string_view raw, std::string* why) {
  auto fail = [&](const char* reason) -> std::optional<std::string> {
    if (why) *why = reason;
    return std::nullopt;
  };
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c == '}') {
      if (i + 1 >= raw.size()) return fail("escape at the end of the packet");
      out.push_back(static_cast<char>(raw[++i] ^ 0x20));
    } else if (c == '*') {
      if (out.empty()) return fail("run-length count with no byte before it");
      if (i + 1 >= raw.size()) return fail("run-length marker at the end of the packet");
      const int rep = static_cast<uint8_t>(raw[++i]) - kRunBias;
      if (rep < 3 || rep > 126 - kRunBias) return fail("run-length count out of range");
      out.append(static_cast<size_t>(rep), out.back());
    } else {
      out.push_back(c);
    }
    if (out.size() > kMaxPacket) return fail("packet longer than PacketSize");
  }
  return out;
}

std::optional<Event> Reader::feed(uint8_t byte) {
  const char c = static_cast<char>(byte);
  switch (state_) {
    case State::kIdle:
      if (c == '$') {
        raw_.clear();
        overflow_ = false;
        state_ = State::kBody;
      } else if (c == '+') {
        return Event{Event::kAck, {}};
      } else if (c == '-') {
        return Event{Event::kNak, {}};
      } else if (byte == 0x03) {
        return Event{Event::kInterrupt, {}};
      }
      return std::nullopt;
    case State::kBody:
      if (c == '#') {
        state_ = State::kCsum1;
      } else if (c == '$') {
        // A new packet start inside a packet: the first one was cut short.
        raw_.clear();
        overflow_ = false;
      } else if (raw_.size() < 2 * kMaxPacket) {
        raw_.push_back(c);
      } else {
        overflow_ = true;  // keep reading to the '#', then refuse it whole
      }
      return std::nullopt;
    case State::kCsum1: {
      const int d = hex_digit(c);
      csum_hi_ = static_cast<uint8_t>(d < 0 ? 0xff : d);
      if (d < 0) {
        state_ = State::kIdle;
        return Event{Event::kBadPacket, "checksum is not hex"};
      }
      state_ = State::kCsum2;
      return std::nullopt;
    }
    case State::kCsum2: {
      state_ = State::kIdle;
      const int d = hex_digit(c);
      if (d < 0) return Event{Event::kBadPacket, "checksum is not hex"};
      if (overflow_) return Event{Event::kBadPacket, "packet longer than PacketSize"};
      if (static_cast<uint8_t>(csum_hi_ * 16 + d) != checksum(raw_)) return Event{Event::kBadPacket, "checksum mismatch"};
      std::string why;
      auto payload = decode_payload(raw_, &why);
      if (!payload) return Event{Event::kBadPacket, why};
      return Event{Event::kPacket, std::move(*payload)};
    }
  }
  return std::nullopt;
}

void Reader::feed(std::string_view bytes, std::vector<Event>& out) {
  for (const char c : bytes)
    if (auto e = feed(static_cast<uint8_t>(c))) out.push_back(std::move(*e));
}

std::string to_hex(const uint8_t* bytes, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    s.push_back(kDigits[bytes[i] >> 4]);
    s.push_back(kDigits[bytes[i] & 15]);
  }
  return s;
}

std::string to_hex(std::string_view bytes) {
  return to_hex(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

std::optional<std::vector<uint8_t>> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::vector<uint8_t> out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return out;
}

std::optional<uint64_t> parse_hex_u64(std::string_view text) {
  if (text.empty() || text.size() > 16) return std::nullopt;
  uint64_t v = 0;
  for (const char c : text) {
    const int d = hex_digit(c);
    if (d < 0) return std::nullopt;
    v = v * 16 + static_cast<uint64_t>(d);
  }
  return v;
}

}  // namespace pmuemu::gdb
