// What a run produces, handed to a sink in batches (one batch per epoch), so the
// drivers never know about files and a sink never knows about models.
#pragma once

#include <cstdint>
#include <span>

#include "engine/network.h"

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

}  // namespace spikeq
