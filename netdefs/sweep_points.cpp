#include "netdefs/sweep_points.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "netdefs/error.h"
#include "netdefs/format.h"
#include "netdefs/limits.h"

namespace spikeq::netdef {
namespace {

double round12(double x) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.12g", x);
  return std::strtod(buf, nullptr);
}

// A whole-string number, or nullopt.
bool parse_double(const std::string& text, double& out) {
  if (text.empty()) return false;
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && std::isfinite(out);
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::size_t begin = 0;
  for (std::size_t at = text.find(sep); at != std::string::npos; at = text.find(sep, begin)) {
    parts.push_back(text.substr(begin, at - begin));
    begin = at + 1;
  }
  parts.push_back(text.substr(begin));
  return parts;
}

}  // namespace

std::vector<double> range_values(double from, double to, std::size_t count) {
  std::vector<double> values;
  for (std::size_t i = 0; i < count; ++i) {
    const double f = count == 1 ? 0.0 : static_cast<double>(i) / static_cast<double>(count - 1);
    values.push_back(i + 1 == count && count > 1 ? to : round12(from + (to - from) * f));
  }
  return values;
}

std::string default_sweep_name(const std::string& path) {
  std::string name;
  for (char c : path) name += (c == '.' || c == '[' || c == ']') ? '_' : c;
  while (!name.empty() && name.back() == '_') name.pop_back();
  return name;
}

SweepSpec parse_sweep_argument(const std::string& text) {
  const auto fail = [&](const std::string& problem) -> SweepSpec {
    throw Error("--sweep " + text + ": " + problem);
  };
  const std::size_t equals = text.find('=');
  if (equals == std::string::npos || equals == 0) return fail("expected PATH=FROM:TO:COUNT or PATH=V1,V2,...");
  SweepSpec sweep;
  sweep.paths = split(text.substr(0, equals), '+');
  for (const std::string& path : sweep.paths)
    if (path.empty()) return fail("empty path");
  sweep.name = default_sweep_name(sweep.paths.front());
  const std::string spec = text.substr(equals + 1);
  if (spec.find(':') != std::string::npos) {
    const auto parts = split(spec, ':');
    double from = 0, to = 0, count = 0;
    if (parts.size() != 3 || !parse_double(parts[0], from) || !parse_double(parts[1], to) ||
        !parse_double(parts[2], count) || count < 1 || count != std::floor(count) || count > kMaxSweepPoints)
      return fail("expected FROM:TO:COUNT with COUNT a whole number >= 1");
    sweep.values = range_values(from, to, static_cast<std::size_t>(count));
  } else {
    for (const std::string& part : split(spec, ',')) {
      double v = 0;
      if (!parse_double(part, v)) return fail(quote(part) + " is not a finite number");
      sweep.values.push_back(v);
    }
  }
  return sweep;
}

std::size_t sweep_point_count(const std::vector<SweepSpec>& sweeps) {
  std::size_t n = 1;
  for (const SweepSpec& s : sweeps) {
    if (s.values.empty()) return 0;
    if (n > kMaxSweepPoints / s.values.size()) return kMaxSweepPoints + 1;
    n *= s.values.size();
  }
  return n;
}

void check_sweep_size(std::size_t points, std::size_t entries, const std::string& origin) {
  const double total = static_cast<double>(points) * static_cast<double>(entries);
  if (total > limits::kMaxSweepEntries) {
    throw Error(origin + ": sweep: " + std::to_string(points) + " points x " + std::to_string(entries) +
                " populations and projections = " + format_number(total) + ": must be <= " +
                format_number(limits::kMaxSweepEntries) + " (each point is a whole network, kept while the sweep runs)");
  }
}

std::vector<double> sweep_point_values(const std::vector<SweepSpec>& sweeps, std::size_t point) {
  std::vector<double> values(sweeps.size());
  for (std::size_t i = sweeps.size(); i-- > 0;) {  // last sweep varies fastest
    values[i] = sweeps[i].values[point % sweeps[i].values.size()];
    point /= sweeps[i].values.size();
  }
  return values;
}

std::vector<std::string> sweep_point_overrides(const std::vector<SweepSpec>& sweeps, std::size_t point) {
  const std::vector<double> values = sweep_point_values(sweeps, point);
  std::vector<std::string> sets;
  for (std::size_t i = 0; i < sweeps.size(); ++i) {
    const double value = sweeps[i].scale == 1 ? values[i] : round12(values[i] * sweeps[i].scale);
    for (const std::string& path : sweeps[i].paths) sets.push_back(path + "=" + format_number(value));
  }
  return sets;
}

}  // namespace spikeq::netdef
