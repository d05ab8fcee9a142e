// printf-style formatting into a std::string, for report text (one line at a time).
#pragma once

#include <cstdarg>
#include <cstdio>
#include <string>

namespace spikeq {

std::string strprintf(const char* format, ...) __attribute__((format(printf, 1, 2)));
inline std::string strprintf(const char* format, ...) {
  char buf[512];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buf, sizeof buf, format, args);
  va_end(args);
  return buf;
}

}  // namespace spikeq
