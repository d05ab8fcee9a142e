// Helpers of the stepped engine's statistical tests (tests/stats/test_stepped_*.cpp):
// run a spec on the grid into memory, and per-neuron rate estimates with their
// standard errors.
#pragma once

#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/stepped/stepped_driver.h"
#include "netdefs/loader.h"
#include "tests/stats/stats_util.h"

namespace spikeq::stats {

// Builds the Network and runs one trial of the stepped engine at the spec's
// simulation.dt_ms and integrator (mode is forced to STEPPED).
inline RunOutput run_stepped(NetworkSpec spec, std::uint64_t trial = 0) {
  spec.simulation.mode = SimMode::Stepped;
  const double t0 = now_s();
  const Network net(spec);
  CollectingSink sink;
  SteppedDriver driver(net, trial, sink);
  RunOutput out;
  out.stats = driver.run();
  out.wall_s = now_s() - t0;
  if (!sink.order_ok) throw std::runtime_error("RunSink batches out of time order");
  out.spikes = std::move(sink.spike_records);
  out.samples = std::move(sink.sample_records);
  out.populations = net.populations();
  return out;
}

inline NetworkSpec with_grid(NetworkSpec spec, double dt_ms, Integrator integrator) {
  spec.simulation.mode = SimMode::Stepped;
  spec.simulation.dt_ms = dt_ms;
  spec.simulation.integrator = integrator;
  return spec;
}

// An example netdef from netdefs/, through the real loader.
inline NetworkSpec load_example(const std::string& name, const std::vector<std::string>& overrides = {}) {
  return load_netdef_file(std::string(SPIKEQ_SOURCE_DIR) + "/netdefs/" + name, overrides);
}

// Mean rate of a population's nodes over spikes with t_from < t <= t_to (Hz) and
// its standard error from the spread of the per-node counts: right when nodes are
// independent (no recurrent coupling), as in every use here.
struct RateEstimate {
  double rate_hz = 0;
  double se_hz = 0;
};
inline RateEstimate node_rate(const RunOutput& out, std::size_t population, double t_from_ms, double t_to_ms) {
  const PopulationTable& pop = out.populations.at(population);
  std::vector<double> counts(pop.size, 0.0);
  for (const SpikeRecord& s : out.spikes)
    if (s.node >= pop.first && s.node < pop.first + pop.size && s.time_ms > t_from_ms && s.time_ms <= t_to_ms)
      counts[s.node - pop.first] += 1;
  const Moments m = moments(counts);
  const double seconds = (t_to_ms - t_from_ms) * 1e-3;
  return {m.mean / seconds, m.se_mean() / seconds};
}

}  // namespace spikeq::stats
