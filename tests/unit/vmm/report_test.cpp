// The --json writer and the report helpers (docs/json-output.md): separators and nesting,
// string escaping that a JSON reader undoes exactly, deterministic microsecond formatting,
// and write errors that name the file.
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "emu/vmm/report.h"

namespace vm = pmuemu::vmm;
namespace fs = std::filesystem;

namespace {

// A JSON string literal decoder written from RFC 8259 section 7, independent of the writer:
// returns the decoded bytes, or throws on anything the grammar does not allow.
std::string decode_json_string(const std::string& lit) {
  if (lit.size() < 2 || lit.front() != '"' || lit.back() != '"') throw std::invalid_argument("not a string");
  std::string out;
  for (size_t i = 1; i + 1 < lit.size(); ++i) {
    const auto c = static_cast<unsigned char>(lit[i]);
    if (c < 0x20) throw std::invalid_argument("raw control character");
    if (c == '"') throw std::invalid_argument("unescaped quote");
    if (c != '\\') {
      out.push_back(static_cast<char>(c));
      continue;
    }
    const char e = lit.at(++i);
    switch (e) {
      case '"': out.push_back('"'); break;
      case '\\': out.push_back('\\'); break;
      case '/': out.push_back('/'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'u': {
        const unsigned v = static_cast<unsigned>(std::stoul(lit.substr(i + 1, 4), nullptr, 16));
        if (v > 0x7f) throw std::invalid_argument("non-ASCII escape");
        out.push_back(static_cast<char>(v));
        i += 4;
        break;
      }
      default: throw std::invalid_argument("bad escape");
    }
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(report)

BOOST_AUTO_TEST_CASE(objects_and_arrays_get_their_separators) {
  vm::JsonWriter w;
  w.begin_object();
  w.key("a").value(uint64_t{1});
  w.key("b").begin_array().value(true).value(false).value(int64_t{-3}).end_array();
  w.key("c").begin_object().end_object();
  w.key("d").begin_array().begin_object().key("x").value("y").end_object().begin_array().end_array().end_array();
  w.key("e").raw_number("12.345");
  w.end_object();
  BOOST_TEST(w.str() == R"({"a":1,"b":[true,false,-3],"c":{},"d":[{"x":"y"},[]],"e":12.345})");
}

BOOST_AUTO_TEST_CASE(newline_starts_the_next_member_on_its_own_line) {
  vm::JsonWriter w;
  w.begin_object();
  w.newline().key("a").value(1);
  w.newline().key("b").value(2);
  w.end_object();
  // Each marked member starts a line, the first one too; the comma stays on the line before.
  BOOST_TEST(w.str() == "{\n\"a\":1,\n\"b\":2}");
}

BOOST_AUTO_TEST_CASE(integers_keep_their_full_range) {
  vm::JsonWriter w;
  w.begin_array().value(UINT64_MAX).value(INT64_MIN).value(uint32_t{4000000000u}).end_array();
  BOOST_TEST(w.str() == "[18446744073709551615,-9223372036854775808,4000000000]");
}

BOOST_AUTO_TEST_CASE(every_byte_survives_quoting) {
  std::string all;
  for (int c = 1; c < 256; ++c) all.push_back(static_cast<char>(c));
  all.push_back('\0');
  const std::string q = vm::JsonWriter::quote(all);
  BOOST_TEST((decode_json_string(q) == all));
  // Keys are quoted the same way.
  vm::JsonWriter w;
  w.begin_object().key("k\"\n").value("v\\\t").end_object();
  BOOST_TEST(w.str() == R"({"k\"\n":"v\\\t"})");
}

BOOST_AUTO_TEST_CASE(microseconds_have_three_decimals) {
  BOOST_TEST(vm::ns_to_us(0) == "0.000");
  BOOST_TEST(vm::ns_to_us(7) == "0.007");
  BOOST_TEST(vm::ns_to_us(1000) == "1.000");
  BOOST_TEST(vm::ns_to_us(1234567) == "1234.567");
  BOOST_TEST(vm::ns_to_us(UINT64_MAX) == "18446744073709551.615");
}

BOOST_AUTO_TEST_CASE(write_text_file_writes_exactly_and_names_the_file_on_error) {
  std::string tmpl = (fs::temp_directory_path() / "pmuemu_unit_vmm_XXXXXX").string();
  BOOST_REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  const fs::path dir = tmpl;
  const std::string p = (dir / "out.json").string();
  BOOST_TEST(vm::check_writable(p) == "");
  BOOST_TEST(fs::file_size(p) == 0u);
  const std::string text = "{\"a\":1}\n";
  BOOST_TEST(vm::write_text_file(p, text) == "");
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  BOOST_TEST(ss.str() == text);
  const std::string missing = (dir / "no-dir" / "out.json").string();
  BOOST_TEST(vm::write_text_file(missing, text) == missing + ": cannot write: No such file or directory");
  BOOST_TEST(vm::check_writable(missing) == missing + ": cannot write: No such file or directory");
  // A full disk is reported, not a silently short file.
  BOOST_TEST(vm::write_text_file("/dev/full", std::string(1 << 16, 'x')) ==
             "/dev/full: cannot write: No space left on device");
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
