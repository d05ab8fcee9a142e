// Text helpers shared by the loader's error messages: numbers as users wrote
// them (shortest round-trip form, so `-5` not `-5.000000`) and quoted names.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace spikeq::netdef {

// Shortest text that reads back to exactly `value`; "nan", "inf", "-inf" for
// non-finite values.
std::string format_number(double value);
std::string format_number(std::uint64_t value);
std::string format_number(std::int64_t value);
inline std::string format_number(std::uint32_t value) { return format_number(std::uint64_t{value}); }
inline std::string format_number(std::int32_t value) { return format_number(std::int64_t{value}); }

// `"text"` with control characters, quotes and backslashes escaped, so a
// hostile name cannot break the one-line message.
std::string quote(std::string_view text);

// A name that --set and projections can refer to: [A-Za-z][A-Za-z0-9_]*.
bool is_identifier(std::string_view text);

}  // namespace spikeq::netdef
