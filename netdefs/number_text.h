// Text -> number, strictly: the rules of --set values, shared with every
// numeric command-line flag (tools/spikeq/flags.h), so `--seed X` and
// `--set seed=X` accept and refuse the same texts with the same words.
//
// The whole text must be one number of the type in std::from_chars syntax (no
// spaces, no leading '+', no hex, no trailing unit); a value beyond the type's
// range is refused, never saturated or wrapped; a '-' before an unsigned type is
// refused as negative. Floating-point text may spell nan and inf: the caller
// decides (a netdef field is then refused by validation as "must be finite",
// a flag at once).
#pragma once

#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

#include "netdefs/format.h"

namespace spikeq::netdef {

// Parses `text` into `out`; returns the problem (`"abc" is not a number`), or
// nullopt. `what` names the field or flag and `type_name` its type ("double",
// "uint64", ...) in the problem: `"-1" is negative, but seed is a uint64`.
template <typename T>
std::optional<std::string> parse_number(std::string_view text, T& out, std::string_view what,
                                        std::string_view type_name) {
  static_assert(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>);
  if constexpr (std::is_unsigned_v<T>) {
    if (!text.empty() && text.front() == '-') {
      return quote(text) + " is negative, but " + std::string(what) + " is a " + std::string(type_name);
    }
  }
  T value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error == std::errc::result_out_of_range) return quote(text) + " is out of range for " + std::string(type_name);
  if (error != std::errc{} || end != text.data() + text.size()) {
    return quote(text) + (std::is_floating_point_v<T> ? " is not a number" : " is not an integer");
  }
  out = value;
  return std::nullopt;
}

}  // namespace spikeq::netdef
