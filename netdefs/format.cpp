#include "netdefs/format.h"

#include <array>
#include <charconv>
#include <cmath>

namespace spikeq::netdef {

std::string format_number(double value) {
  // to_chars spells infinities "inf"/"-inf" and NaNs "nan"/"-nan"; a NaN's sign
  // means nothing to a user, so drop it.
  if (std::isnan(value)) return "nan";
  std::array<char, 32> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  return std::string(buffer.data(), result.ptr);
}

std::string format_number(std::uint64_t value) { return std::to_string(value); }

std::string format_number(std::int64_t value) { return std::to_string(value); }

std::string quote(std::string_view text) {
  static constexpr char hex_digits[] = "0123456789abcdef";
  std::string out = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte == 0x7f) {
      out += "\\x";
      out += hex_digits[byte >> 4];
      out += hex_digits[byte & 0xf];
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

bool is_identifier(std::string_view text) {
  const auto is_letter = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); };
  const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  if (text.empty() || !is_letter(text.front())) return false;
  for (const char c : text) {
    if (!is_letter(c) && !is_digit(c) && c != '_') return false;
  }
  return true;
}

}  // namespace spikeq::netdef
