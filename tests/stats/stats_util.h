// Shared helpers of the statistical tests (tests/stats/): run a spec through the
// event-driven engine into memory, split the output per node, and the few
// estimators the tests need, each with its standard error, so every tolerance in
// the tests is a stated number of standard errors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/analysis/statistics.h"
#include "engine/event/event_driver.h"
#include "engine/core/network.h"
#include "engine/core/recording.h"
#include "netdefs/spec.h"

namespace spikeq::stats {

// Parses an inline netdef (protobuf text) through the real loader. Every test
// has a fixed seed; the environment variable SPIKEQ_STATS_SEED, when set,
// overrides it (for looking at the spread of results over seeds by hand).
NetworkSpec load_text(const std::string& text, const std::vector<std::string>& overrides = {});

// Everything one event-driven trial produced, kept in memory.
struct RunOutput {
  std::vector<SpikeRecord> spikes;      // time order, as the driver hands them over
  std::vector<VoltageSample> samples;   // time order
  RunStats stats;
  std::vector<PopulationTable> populations;  // maps global node ids back
  double wall_s = 0;                    // build + run
};

// An in-memory RunSink; also checks the batch-order promise of engine/core/recording.h.
class CollectingSink : public RunSink {
 public:
  void spikes(std::span<const SpikeRecord> batch) override;
  void samples(std::span<const VoltageSample> batch) override;
  std::vector<SpikeRecord> spike_records;
  std::vector<VoltageSample> sample_records;
  bool order_ok = true;  // false if a batch went back in time
};

// Builds the Network and runs one trial of the event-driven engine.
RunOutput run_event(const NetworkSpec& spec, std::uint64_t trial = 0);

// Spike times of each node of a population (local index), ascending.
std::vector<std::vector<double>> spike_times_by_node(const RunOutput& out, std::size_t population);

// Voltage samples of one probe, per node of `population` (local index), in time
// order; `times` receives the sample times of the first node.
std::vector<std::vector<double>> voltage_series(const RunOutput& out, std::size_t population,
                                                std::uint32_t probe, std::vector<double>* times = nullptr);

// The estimators live in the library (engine/analysis/statistics.h), shared with
// `spikeq stats`: isis, counts_in_windows, Moments, moments, ks_statistic,
// ks_p_value, ks_critical. Intervals and windows are left-open (from < t <= to);
// for event-driven spike times the difference from closed ones has probability 0.
using analysis::counts_in_windows;
using analysis::isis;
using analysis::ks_critical;
using analysis::ks_p_value;
using analysis::ks_statistic;
using analysis::Moments;
using analysis::moments;

// isis() of each node, pooled, counting only spikes at t > t_from.
std::vector<double> pooled_isis(const std::vector<std::vector<double>>& times_by_node, double t_from = 0);

// Prints one result line "[stats] name: measured vs expected (z SE)" to stdout and
// returns whether |measured - expected| <= k_se * se.
bool within_se(const std::string& name, double measured, double expected, double se, double k_se);

// Seconds since an arbitrary origin (for runtime lines in the output).
double now_s();

}  // namespace spikeq::stats
