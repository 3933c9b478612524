#include <boost/test/unit_test.hpp>

#include <random>
#include <string>
#include <vector>

#include "emu/gdb/packet.h"

using namespace pmuemu::gdb;

namespace {

// Everything a reader makes of a byte string.
std::vector<Event> read_all(std::string_view bytes) {
  Reader r;
  std::vector<Event> out;
  r.feed(bytes, out);
  return out;
}

// The checksum the protocol defines, computed independently of checksum(): two lower-case
// hex digits of the byte sum modulo 256.
std::string csum_text(std::string_view body) {
  unsigned sum = 0;
  for (unsigned char c : body) sum = (sum + c) & 0xff;
  char b[3];
  std::snprintf(b, sizeof b, "%02x", sum);
  return b;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(gdb_packet)

BOOST_AUTO_TEST_CASE(frame_adds_the_checksum_of_the_body) {
  BOOST_TEST(frame("OK") == "$OK#9a");  // 'O' 0x4f + 'K' 0x4b = 0x9a
  BOOST_TEST(frame("") == "$#00");
  const std::string p = "T05thread:1;";
  BOOST_TEST(frame(p) == "$" + p + "#" + csum_text(p));
}

BOOST_AUTO_TEST_CASE(frame_escapes_the_four_special_bytes) {
  // '$' 0x24, '#' 0x23, '}' 0x7d, '*' 0x2a become '}' and the byte XOR 0x20.
  const std::string f = frame(std::string("a$b#c}d*e"));
  const std::string body = "a}\x04" "b}\x03" "c}\x5d" "d}\x0a" "e";
  BOOST_TEST(f == "$" + body + "#" + csum_text(body));
}

BOOST_AUTO_TEST_CASE(frame_run_length_encodes_long_runs_only) {
  // 4 bytes stay as they are (an encoded run of 3 repeats saves nothing).
  BOOST_TEST(frame("0000") == "$0000#" + csum_text("0000"));
  // 5 zeros: '0' then 4 repeats ('*' and the count 4 + 29 = '!').
  BOOST_TEST(frame("00000") == "$0*!#" + csum_text("0*!"));
  // 8 repeats would be '%' ... and 7 ('$') and 6 ('#') are forbidden counts: a run of 7
  // bytes (6 repeats) is written as a run of 5 repeats and one byte.
  const std::string seven(7, 'f');
  const std::string f = frame(seven);
  BOOST_TEST(f.find('#') == f.size() - 3);
  BOOST_TEST(f.find('$', 1) == std::string::npos);
  BOOST_TEST(*decode_payload(f.substr(1, f.size() - 4)) == seven);
}

BOOST_AUTO_TEST_CASE(frame_and_reader_round_trip_random_payloads) {
  std::mt19937 rng(1234);
  for (int round = 0; round < 500; ++round) {
    std::string p;
    const size_t n = rng() % 300;
    for (size_t i = 0; i < n; ++i) {
      // Long runs and every special byte, often.
      const unsigned pick = rng() % 8;
      const char c = pick == 0 ? '$' : pick == 1 ? '#' : pick == 2 ? '}' : pick == 3 ? '*' : static_cast<char>(rng());
      p.append(rng() % 4 == 0 ? rng() % 200 + 1 : 1, c);
    }
    if (p.size() > kMaxPacket) p.resize(kMaxPacket);
    const auto events = read_all(frame(p));
    BOOST_TEST_REQUIRE(events.size() == 1u);
    BOOST_TEST(events[0].kind == Event::kPacket);
    BOOST_TEST(events[0].payload == p);
  }
}

BOOST_AUTO_TEST_CASE(reader_reports_acks_interrupts_and_ignores_noise) {
  const auto e = read_all(std::string("+-\x03xyz$g#67\x03", 13));
  BOOST_TEST_REQUIRE(e.size() == 5u);
  BOOST_TEST(e[0].kind == Event::kAck);
  BOOST_TEST(e[1].kind == Event::kNak);
  BOOST_TEST(e[2].kind == Event::kInterrupt);
  BOOST_TEST(e[3].kind == Event::kPacket);
  BOOST_TEST(e[3].payload == "g");
  BOOST_TEST(e[4].kind == Event::kInterrupt);
}

BOOST_AUTO_TEST_CASE(reader_accepts_upper_case_checksums_and_bytes_split_anywhere) {
  Reader r;
  std::vector<Event> out;
  for (const char c : std::string("$qSupported#37")) r.feed(std::string_view(&c, 1), out);
  BOOST_TEST_REQUIRE(out.size() == 1u);
  BOOST_TEST(out[0].payload == "qSupported");
  BOOST_TEST(read_all("$OK#9A")[0].kind == Event::kPacket);
}

BOOST_AUTO_TEST_CASE(reader_refuses_malformed_packets) {
  // Wrong checksum, a non-hex checksum, an escape or run marker at the end, a run with no
  // byte before it, a run count out of range.
  const std::string bad[] = {"$g#68", "$g#6z", "$g#z7",
                             "$a}#" + csum_text("a}"),
                             "$a*#" + csum_text("a*"),
                             "$*!#" + csum_text("*!"),
                             std::string("$a*\x01#") + csum_text("a*\x01"),
                             "$a*\x7f#" + csum_text("a*\x7f")};
  for (const auto& b : bad) {
    const auto e = read_all(b);
    BOOST_TEST_REQUIRE(e.size() == 1u, b);
    BOOST_TEST(e[0].kind == Event::kBadPacket, b);
    BOOST_TEST(!e[0].payload.empty());
  }
  // A reader recovers after a bad packet.
  const auto e = read_all("$g#00$g#67");
  BOOST_TEST_REQUIRE(e.size() == 2u);
  BOOST_TEST(e[0].kind == Event::kBadPacket);
  BOOST_TEST(e[1].kind == Event::kPacket);
}

BOOST_AUTO_TEST_CASE(reader_refuses_a_packet_over_packet_size_whole) {
  const std::string big(3 * kMaxPacket, 'a');
  const auto e = read_all("$" + big + "#" + csum_text(big) + "$g#67");
  BOOST_TEST_REQUIRE(e.size() == 2u);
  BOOST_TEST(e[0].kind == Event::kBadPacket);
  BOOST_TEST(e[1].kind == Event::kPacket);
  // Run-length expansion past the limit is refused too (a small packet that decodes large).
  std::string body;
  for (size_t i = 0; i < kMaxPacket / 90; ++i) body += "a*~";
  const auto e2 = read_all("$" + body + "#" + csum_text(body));
  BOOST_TEST_REQUIRE(e2.size() == 1u);
  BOOST_TEST(e2[0].kind == Event::kBadPacket);
}

BOOST_AUTO_TEST_CASE(a_dollar_inside_a_packet_starts_a_new_one) {
  const auto e = read_all("$qSupp$g#67");
  BOOST_TEST_REQUIRE(e.size() == 1u);
  BOOST_TEST(e[0].payload == "g");
}

BOOST_AUTO_TEST_CASE(hex_helpers) {
  const uint8_t b[] = {0x00, 0x7f, 0xa5, 0xff};
  BOOST_TEST(to_hex(b, 4) == "007fa5ff");
  const auto back = from_hex("007FA5ff");
  BOOST_TEST_REQUIRE(back.has_value());
  BOOST_TEST((*back == std::vector<uint8_t>{0x00, 0x7f, 0xa5, 0xff}));
  BOOST_TEST(!from_hex("abc").has_value());
  BOOST_TEST(!from_hex("zz").has_value());
  BOOST_TEST(parse_hex_u64("ffffffff80000000").value() == 0xffffffff80000000ull);
  BOOST_TEST(!parse_hex_u64("").has_value());
  BOOST_TEST(!parse_hex_u64("10000000000000000").has_value());  // 17 digits
  BOOST_TEST(!parse_hex_u64("-1").has_value());
  BOOST_TEST(!parse_hex_u64("0x10").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
