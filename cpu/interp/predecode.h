// What every predecode function is written with: F<'n'> is the field of its row's pattern
// marked n (cpu/decoder/fields.h), with_fields<pattern::X>() hands row X's fields to a
// predecode in pattern order (checked at compile time), and pattern:: names the rows.
#pragma once

#include "cpu/decoder/fields.h"

namespace cpu::interp {

template <char L>
using F = decoder::Field<L>;
using decoder::with_fields;
namespace pattern = decoder::pattern;

}  // namespace cpu::interp
