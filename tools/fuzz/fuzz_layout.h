// The run layout every recording fuzz target reads against (tools/fuzz/), and the
// invariants every row a reader hands out must satisfy: a reader either refuses
// its input with spikeq::Error or gives rows that pass these checks.
#pragma once

#include <cmath>
#include <span>

#include "engine/io/run_data.h"

namespace spikeq::fuzz {

// Three populations (one not recorded) and two probes, as tools/fuzz/make_seeds.py writes.
inline RunLayout layout() {
  RunLayout l;
  l.populations = {{"a", 100, true}, {"b", 10, true}, {"c", 5, false}};
  l.probes = {{0, {3, 1, 1}, 0.5, 0}, {1, {}, 1, 0}};
  return l;
}

// Checks time order across calls; traps (a crash for libFuzzer) on a violation.
class RowChecker {
 public:
  explicit RowChecker(const RunLayout& layout) : layout_(layout) {}
  void spikes(std::span<const SpikeRow> rows) {
    for (const SpikeRow& r : rows) {
      time(r.time_ms);
      if (r.population >= layout_.populations.size() || r.node >= layout_.populations[r.population].size)
        __builtin_trap();
    }
  }
  void samples(std::span<const SampleRow> rows) {
    for (const SampleRow& r : rows) {
      time(r.time_ms);
      if (!std::isfinite(r.v_mv) || r.probe >= layout_.probes.size() ||
          r.node >= layout_.populations[layout_.probes[r.probe].population].size)
        __builtin_trap();
    }
  }
  std::size_t rows() const { return rows_; }

 private:
  void time(double t) {
    if (!std::isfinite(t) || t < 0 || (rows_ > 0 && t < previous_)) __builtin_trap();
    previous_ = t;
    ++rows_;
  }
  const RunLayout& layout_;
  double previous_ = 0;
  std::size_t rows_ = 0;
};

}  // namespace spikeq::fuzz
