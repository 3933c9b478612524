// Machine-readable outputs of `pmuemu run`: the --json result (docs/json-output.md) and the
// --timeline trace-event file (Chrome/Perfetto). A small hand-written JSON writer: keys are
// written in the order the caller gives them, so the same run gives the same bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pmuemu::vmm {

class JsonWriter {
 public:
  // Objects and arrays; `key` before each member of an object.
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);
  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(uint64_t v);
  JsonWriter& value(int64_t v);
  JsonWriter& value(int v) { return value(static_cast<int64_t>(v)); }
  JsonWriter& value(uint32_t v) { return value(static_cast<uint64_t>(v)); }
  JsonWriter& value(bool b);
  // A number already formatted (e.g. "12.345"): written as is.
  JsonWriter& raw_number(std::string_view text);
  // Starts the next array element or object member on a new line (readability only).
  JsonWriter& newline();
  const std::string& str() const { return out_; }

  static std::string quote(std::string_view s);

 private:
  void before_value();
  std::string out_;
  // Per open container: true once it has an element.
  std::vector<bool> has_element_;
  bool after_key_ = false;
  bool pending_newline_ = false;
};

// Microseconds with three decimals from a count of nanoseconds (deterministic formatting).
std::string ns_to_us(uint64_t ns);

// Writes `text` to `path`; returns an empty string or the error message ("PATH: strerror").
std::string write_text_file(const std::string& path, const std::string& text);
// Checks up front that `path` can be created for writing (it is created, empty).
std::string check_writable(const std::string& path);

}  // namespace pmuemu::vmm
