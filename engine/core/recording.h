// What a run produces, handed to a sink in batches (one batch per epoch), so the
// drivers never know about files and a sink never knows about models.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "engine/core/network.h"

namespace spikeq {

struct SpikeRecord {
  double time_ms;
  NodeId node;  // global id; Network::populations() maps it back
};

struct VoltageSample {
  double time_ms;
  std::uint32_t probe;  // index into NetworkSpec::recording.voltage_probes
  NodeId node;          // global id
  double v_mv;
};

// Receives a run's output. Batches arrive in time order: every spike of a batch
// is later than (or equal in time and later in node order than) every spike of
// the previous batch. Called once per epoch, never per event.
class RunSink {
 public:
  virtual ~RunSink() = default;
  virtual void spikes(std::span<const SpikeRecord> batch) = 0;
  virtual void samples(std::span<const VoltageSample> batch) = 0;
};

// Sorts a driver's batch into the order sinks expect — spikes by (time, node),
// samples by (time, probe, node) — hands it over, and empties the buffers (their
// capacity stays, so steady state allocates nothing).
inline void hand_over_batch(RunSink& sink, std::vector<SpikeRecord>& spikes,
                            std::vector<VoltageSample>& samples) {
  std::sort(spikes.begin(), spikes.end(), [](const SpikeRecord& a, const SpikeRecord& b) {
    return a.time_ms != b.time_ms ? a.time_ms < b.time_ms : a.node < b.node;
  });
  std::sort(samples.begin(), samples.end(), [](const VoltageSample& a, const VoltageSample& b) {
    if (a.time_ms != b.time_ms) return a.time_ms < b.time_ms;
    if (a.probe != b.probe) return a.probe < b.probe;
    return a.node < b.node;
  });
  sink.spikes(spikes);
  sink.samples(samples);
  spikes.clear();
  samples.clear();
}

}  // namespace spikeq
