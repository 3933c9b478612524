// Builders of boot-protocol inputs for the unit_boot tests, written from the protocol's
// layout (Linux's Documentation/arch/arm64/booting.rst), not from the parser.
#pragma once

#include <zlib.h>

#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "emu/common/errors.h"

namespace pmuemu::boot::test {

inline void put_le(std::vector<uint8_t>& b, size_t off, uint64_t v, unsigned bytes) {
  for (unsigned i = 0; i < bytes; ++i) b[off + i] = static_cast<uint8_t>(v >> (8 * i));
}

// An Image of `file_size` bytes whose 64-byte header holds the given fields: code0/code1 at
// 0x00/0x04, text_offset at 0x08, image_size at 0x10, flags at 0x18, res2..4, the magic
// "ARM\x64" at 0x38, res5 at 0x3c.
inline std::vector<uint8_t> make_image(size_t file_size, uint64_t text_offset, uint64_t image_size, uint64_t flags) {
  std::vector<uint8_t> b(file_size);
  for (size_t i = 64; i < file_size; ++i) b[i] = static_cast<uint8_t>(i * 7 + 3);  // a recognisable body
  if (file_size < 64) return b;
  put_le(b, 0x00, 0x91005a4d, 4);  // code0: the usual "MZ" branch-free first word
  put_le(b, 0x08, text_offset, 8);
  put_le(b, 0x10, image_size, 8);
  put_le(b, 0x18, flags, 8);
  b[0x38] = 'A';
  b[0x39] = 'R';
  b[0x3a] = 'M';
  b[0x3b] = 0x64;
  return b;
}

// gzip (RFC 1952) of `in` with zlib's deflate, as `gzip -9` or `make Image.gz` would produce.
inline std::vector<uint8_t> gzip(const std::vector<uint8_t>& in) {
  z_stream z{};
  BOOST_REQUIRE_EQUAL(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::vector<uint8_t> out(deflateBound(&z, in.size()) + 64);
  z.next_in = const_cast<Bytef*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  BOOST_REQUIRE_EQUAL(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// Runs `f`, which must throw InputError whose text starts with "<name>: " and contains `what`.
inline void expect_input_error(const std::function<void()>& f, const std::string& name, const std::string& what) {
  try {
    f();
  } catch (const InputError& e) {
    const std::string msg = e.what();
    BOOST_TEST_INFO("message: " << msg);
    BOOST_TEST(msg.rfind(name + ": ", 0) == 0);
    BOOST_TEST(msg.find(what) != std::string::npos);
    return;
  }
  BOOST_ERROR("no InputError for " << name << " (expected one mentioning '" << what << "')");
}

}  // namespace pmuemu::boot::test
