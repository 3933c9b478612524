// Small text helpers shared by the input parsers: "did you mean" hints and hex formatting.
// They exist so every error message in the project suggests and prints things the same way.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace pmuemu::text {

// Optimal-string-alignment distance (Levenshtein plus adjacent transposition), so that
// "countres" is one edit away from "counters".
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, if it is close enough to be a plausible typo.
std::optional<std::string_view> closest_match(std::string_view word,
                                              std::span<const std::string_view> candidates);

// "; did you mean 'x'?" or "" when nothing is close.
std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates);

// "a, b, c"
std::string join(std::span<const std::string_view> items, std::string_view sep = ", ");

// "0x0000abcd" with exactly `digits` lower-case hex digits.
std::string hex(uint64_t value, int digits);

// A user-supplied string made safe for a one-line message: control characters become \xNN
// and anything past 64 characters is cut to "...".
std::string printable(std::string_view s);

// printable(s) in single quotes.
std::string quoted(std::string_view s);

}  // namespace pmuemu::text
