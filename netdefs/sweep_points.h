// Sweep points as --set overrides: the Cartesian product of the sweeps' values,
// first sweep varying slowest (point p's values are the digits of p in the
// mixed radix of the sweeps' sizes). Shared by validation, which loads every
// point, and by `spikeq run`, which runs them.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "netdefs/spec.h"

namespace spikeq::netdef {

// `count` values from `from` to `to`, both included, each rounded to 12
// significant digits (so -0.3:-0.8:6 gives -0.3, -0.4, ..., -0.8 exactly as typed).
std::vector<double> range_values(double from, double to, std::size_t count);

// The sweep.tsv column for a path: '.', '[' and ']' become '_' (no trailing '_').
std::string default_sweep_name(const std::string& path);

// `spikeq run --sweep PATH=FROM:TO:COUNT` or `PATH=V1,V2,...` (PATH may be
// PATH+PATH+... for paths that move together); throws Error
// "--sweep TEXT: problem" (BadInput). The path itself is checked when the points load.
SweepSpec parse_sweep_argument(const std::string& text);

// Number of points (the product of the sweeps' sizes; 1 for no sweep).
std::size_t sweep_point_count(const std::vector<SweepSpec>& sweeps);
// Point p's value of each sweep.
std::vector<double> sweep_point_values(const std::vector<SweepSpec>& sweeps, std::size_t point);
// Point p as "PATH=VALUE" overrides (VALUE = value * scale), in sweep order.
std::vector<std::string> sweep_point_overrides(const std::vector<SweepSpec>& sweeps, std::size_t point);

// More points than this are refused (a typo in a count, not a study).
inline constexpr std::size_t kMaxSweepPoints = 100000;

// Every point is a whole network, validated, loaded and kept while the sweep
// runs: points x (populations + projections) must stay within
// limits::kMaxSweepEntries. Throws Error "origin: sweep: ..." (BadInput).
void check_sweep_size(std::size_t points, std::size_t entries, const std::string& origin);

}  // namespace spikeq::netdef
