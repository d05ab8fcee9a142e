// voltages.h5: the samples of each voltage probe as a matrix.
//
//   /probes/<k>            k = probe index in the netdef; attrs population (string),
//                          interval_ms, start_ms
//     node_ids             uint64 [n], population-local, sorted (the columns)
//     time_ms              float64 [T], attr units = "ms"
//     v_mv                 float64 [T, n], attr units = "mV": V of node_ids[i] at time_ms[j]
//
// In event-driven mode a probe's times are exact (start + j * interval); in
// stepped mode they are grid times, and two rows may share one when the interval
// is shorter than dt. Written in two streaming passes, like spikes.h5.
#pragma once

#include <string>

#include "engine/io/run_data.h"

namespace spikeq::inline io {

// Writes `path` whole or not at all; throws Error (Runtime) naming it on failure.
void write_voltage_report(const std::string& path, const RunLayout& layout, SampleSource& source);

// Reads it back in the run's order: time, then probe, then node (rows that share
// a time are interleaved node by node, as the run emitted them).
class H5SampleSource : public SampleSource {
 public:
  H5SampleSource(std::string path, RunLayout layout);
  void read(const Chunk& chunk) override;

 private:
  std::string path_;
  RunLayout layout_;
};

}  // namespace spikeq::io
