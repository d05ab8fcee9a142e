// Recording checks: what is recorded must exist, and probes must sample a LIF
// population's real nodes at a sensible schedule.
#include <map>
#include <string>

#include "netdefs/validate_scope.h"

namespace spikeq::netdef {
namespace {

void validate_probe(const pb::Network& network, int index, const PopulationIndex& populations,
                    const Scope& top) {
  const pb::VoltageProbe& probe = network.recording().voltage_probes(index);
  const std::string field = "recording.voltage_probes[" + std::to_string(index) + "].";
  const auto found = populations.find(probe.population());
  if (found == populations.end()) {
    top.fail(field + "population = " + quote(probe.population()) + ": no such population");
  }
  const pb::Population& population = network.populations(static_cast<int>(found->second));
  if (!population.has_lif()) {
    top.fail(field + "population = " + quote(probe.population()) +
             ": must be a LIF population (it is Poisson)");
  }
  std::map<std::uint64_t, int> listed;  // node -> its first index, to refuse repeats
  for (int i = 0; i < probe.node_ids_size(); ++i) {
    if (probe.node_ids(i) >= population.size()) {
      top.fail(field + "node_ids[" + std::to_string(i) + "]", probe.node_ids(i),
               "must be < " + format_number(population.size()) + " (size of " +
                   quote(population.name()) + ")");
    }
    // A node listed twice would be sampled twice into one column set.
    if (const auto [at, added] = listed.emplace(probe.node_ids(i), i); !added) {
      top.fail(field + "node_ids[" + std::to_string(i) + "]", probe.node_ids(i),
               "already listed at node_ids[" + std::to_string(at->second) + "]");
    }
  }
  top.require_positive(field + "interval_ms", probe.interval_ms());
  top.require_at_most(field + "interval_ms", probe.interval_ms(), limits::kMaxTimeMs);
  if (probe.has_start_ms()) {
    top.require_non_negative(field + "start_ms", probe.start_ms());
    top.require_at_most(field + "start_ms", probe.start_ms(), limits::kMaxTimeMs);
  }
}

}  // namespace

void validate_recording(const pb::Network& network, const PopulationIndex& populations,
                        const std::string& origin) {
  const Scope top(origin, "");
  const pb::Recording& recording = network.recording();
  for (int i = 0; i < recording.spikes_from_size(); ++i) {
    const std::string& name = recording.spikes_from(i);
    if (!populations.contains(name)) {
      top.fail("recording.spikes_from[" + std::to_string(i) + "] = " + quote(name) +
               ": no such population");
    }
  }
  for (int i = 0; i < recording.voltage_probes_size(); ++i) validate_probe(network, i, populations, top);
}

}  // namespace spikeq::netdef
