// A recorded run in memory, as the analysis sees it: per population its spike
// times and node ids, its size, and the voltage samples of its probed nodes, plus
// what manifest.json says about the run (duration, engine, seed, resolved netdef).
// Everything in engine/analysis/summary.h and engine/analysis/compare.h works on this, so
// the file formats stay behind one loading function, load_run(DIR).
//
// Run directories: DIR itself (manifest.json), or trials DIR/trial-KKKK/, or sweep
// points DIR/point-PPPP/ each a run or trials of its own (discover_runs).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "engine/core/network.h"
#include "engine/core/recording.h"

namespace spikeq::analysis {

struct PopulationSpikes {
  std::string name;
  std::uint64_t size = 0;
  bool lif = false;
  bool recorded = false;  // false: no spikes of it in the run (not recorded, or not generated)
  std::vector<double> times_ms;         // time order
  std::vector<std::uint32_t> node_ids;  // local to the population, parallel to times_ms

  // Spike times of each node (local index), ascending.
  std::vector<std::vector<double>> trains() const;
};

// Voltage samples of one population's probed nodes (all probes pooled).
struct PopulationVoltages {
  std::vector<double> times_ms;
  std::vector<std::uint32_t> node_ids;  // local
  std::vector<double> v_mv;
  bool empty() const { return v_mv.empty(); }
};

struct RecordedRun {
  std::string dir;     // where it was loaded from (empty: in memory)
  std::string name;    // the netdef's name
  SimMode mode = SimMode::Event;
  double dt_ms = 0;    // stepped runs
  std::string integrator;
  std::uint64_t seed = 0;
  std::uint64_t trial = 0;
  std::string status;  // "complete", "interrupted", ...
  double duration_ms = 0;   // requested
  double simulated_ms = 0;  // reached: the end of the observation interval
  std::string netdef_resolved;  // protobuf text: theory is recomputed from it
  std::vector<PopulationSpikes> populations;    // netdef order
  std::vector<PopulationVoltages> voltages;     // one per population (empty if unprobed)

  // Index of the population called `name`, or -1.
  int population_index(const std::string& name) const;
};

// Reads DIR/manifest.json, then the spikes from DIR/spikes.h5 (SONATA) or
// DIR/spikes.tsv and the voltage samples from DIR/voltages.h5 or voltages.tsv,
// through the format readers of engine/h5_*.h and engine/io/tsv_rows.h, which check
// every row (ids below the population size, finite sorted times). Throws Error
// (BadInput) naming the file, and the dataset or line and index, for a missing,
// corrupt or malformed one.
RecordedRun load_run(const std::string& dir);

// Collects a driver's output into a RecordedRun in memory (converge, tests).
class RecordingSink : public RunSink {
 public:
  // Fills the run's metadata and populations from the network's spec.
  RecordingSink(const Network& network, std::uint64_t trial);
  void spikes(std::span<const SpikeRecord> batch) override;
  void samples(std::span<const VoltageSample> batch) override;
  // The run so far; `simulated_ms` is set from the driver's RunStats by finish().
  RecordedRun finish(double simulated_ms, bool complete);

 private:
  const Network& net_;
  RecordedRun run_;
};

// The runs under DIR: one point of one or more trials, or several points.
struct RunPoint {
  std::string label;                   // "" for DIR itself, else "point-0003"
  std::vector<std::string> trial_dirs;  // DIR, or DIR/trial-0000, DIR/trial-0001, ...
};
// Throws Error (BadInput) when DIR holds no run.
std::vector<RunPoint> discover_runs(const std::string& dir);

}  // namespace spikeq::analysis
