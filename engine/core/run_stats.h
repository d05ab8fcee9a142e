// What a run did, as both drivers report it: spikes per population, pulse and
// event counts, the time reached and whether it was interrupted. The manifest,
// the progress line and the benchmarks read it.
#pragma once

#include <cstdint>
#include <vector>

namespace spikeq {

struct RunStats {
  std::vector<std::uint64_t> spikes_per_population;
  // false for Poisson populations that only feed independent trains and are not
  // recorded: their own spikes are never generated, so they have no count.
  std::vector<bool> population_simulated;
  std::uint64_t recurrent_pulses = 0;   // pulses delivered through the graph
  std::uint64_t external_pulses = 0;    // arrivals of independent Poisson input trains
  std::uint64_t queue_entries = 0;      // deliveries pushed to the global queue
  double simulated_ms = 0;              // time reached (the duration unless interrupted)
  bool interrupted = false;
  std::uint64_t events() const { return recurrent_pulses + external_pulses; }
};

}  // namespace spikeq
