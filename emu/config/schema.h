// The schema registry: every core-file parameter declared once, with its key, the CoreType
// member it fills, unit, range and description (configuration is data, declared once). The same rows drive
// parsing, range checks, unknown-key hints, catalogue dumps and configs/README.md.
//
// Adding a timing parameter = one member in TimingParams + one row in kCoreParams
// (schema.cpp). Nothing else in the loader changes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "emu/config/host_config.h"

namespace pmuemu::config::schema {

// Where a row's value lives. The alternative also decides how the YAML value is read:
// integer, one string out of `choices`, the core class, or a list of PMU events.
using U32Field = uint32_t& (*)(CoreType&);
using U64Field = uint64_t& (*)(CoreType&);  // any 64-bit value, written in hex (ID registers)
using StringField = std::string& (*)(CoreType&);
using ClassField = CoreClass& (*)(CoreType&);
using EventsField = std::vector<uint16_t>& (*)(CoreType&);
using Field = std::variant<U32Field, StringField, ClassField, EventsField, U64Field>;

struct Param {
  std::string_view key;  // dotted path inside a core file, e.g. "l1d.size_kib"
  Field field;
  std::string_view unit;  // "" when unitless
  uint32_t min = 0;       // inclusive range, integer fields only
  uint32_t max = 0;
  std::span<const std::string_view> choices;  // accepted spellings, string/class fields only
  bool hex = false;                           // written and shown in hex (MIDR)
  bool required = true;                       // optional rows default to 0 / empty
  std::string_view description;
};

std::span<const Param> core_params();
const Param* find_core_param(std::string_view key);  // nullptr when unknown

// Keys of a host file that are not core parameters. Each cluster entry additionally accepts
// every core parameter as a per-cluster override.
struct HostKey {
  std::string_view key;  // "name", "clusters", "clusters[].core", ...
  std::string_view type;
  std::string_view description;
};
std::span<const HostKey> host_keys();

// "integer 0..31", "one of: in-order, out-of-order", ...: the type column of the docs and
// the expectation half of type errors.
std::string describe_type(const Param& p);

}  // namespace pmuemu::config::schema
