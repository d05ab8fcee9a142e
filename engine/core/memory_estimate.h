// Estimates a run's memory before anything is allocated, so that a netdef too
// large for the machine is refused with a clear message (exit 2) instead of an
// out-of-memory kill halfway through the build or the run.
//
// Counted: the graph and its build transient (the final arrays and little
// more, engine/core/network_build.h; the build's threads are the run's); one trial's state (membranes,
// noise streams, merged input trains, Poisson source trains, pulse counters,
// probe cursors, the stepped engine's delay ring); the buffers of one epoch
// (expected Poisson spikes and probe samples of that span, a spike per LIF
// node); the recording buffers. A batch (trials, sweep points) multiplies these
// by what is in flight at once: networks (one per point in flight when frozen,
// one per running trial when redrawn), running trials (each also reads its run
// back for the summary: its samples and expected Poisson spikes), and keeps a
// record per trial. All arithmetic saturates at 2^64 - 1 bytes instead of
// wrapping, so a network too large to count is refused like any other.
#pragma once

#include <cstdint>
#include <string>

#include "netdefs/spec.h"

namespace spikeq {

// How a spec will run: `trials` per point at `points` sweep points on `threads`
// workers (engine/batch/trials.h). The default is one run alone.
struct RunShape {
  std::uint64_t points = 1;
  std::uint64_t trials = 1;
  std::uint64_t threads = 1;
  bool redraw_connectivity = false;
  // One network over `ranks` processes: the estimate of process `rank`, which
  // builds the part of the graph with the edges into its own nodes
  // (engine/core/network.h, "Parts"; engine/core/rank_share.h).
  std::uint64_t rank = 0, ranks = 1;
};

// The shape of `spikeq run` with --threads `threads` (0: every core).
RunShape batch_shape(const NetworkSpec& spec, std::uint64_t points, std::uint64_t threads, bool redraw_connectivity);

struct MemoryEstimate {
  double edges = 0;                     // expected number of synapses (independent-train inputs included)
  double stored_edges = 0;              // expected edges stored in the graph (or in this rank's part)
  std::uint64_t graph_bytes = 0;        // the graph and per-node tables kept for the run
  std::uint64_t build_peak_bytes = 0;   // transient peak while building it
  std::uint64_t state_bytes = 0;        // one trial's simulation state and buffers
  std::uint64_t readback_bytes = 0;     // batch: one finished trial read back for its summary
  std::uint64_t record_bytes = 0;       // batch: bookkeeping kept for every trial
  std::uint64_t networks_in_flight = 1;
  std::uint64_t trials_in_flight = 1;
  std::uint64_t trials_total = 1;
  std::uint64_t peak_bytes() const;  // saturating
};

MemoryEstimate estimate_memory(const NetworkSpec& spec, const RunShape& shape = {});

// The machine's available memory (MemAvailable), the default limit.
std::uint64_t available_memory_bytes();
// The limit a --memory-limit-mb value sets: `mb` MiB, or the available memory for 0.
std::uint64_t memory_limit_bytes(double mb);

// Throws Error (BadInput) when the estimate exceeds limit_bytes; `origin` names the
// netdef in the message. Without a shape: the spec's simulation.trials, each on
// its own core as far as the machine has them, one frozen network.
void check_memory(const NetworkSpec& spec, const std::string& origin, std::uint64_t limit_bytes);
void check_memory(const NetworkSpec& spec, const std::string& origin, std::uint64_t limit_bytes,
                  const RunShape& shape);

std::string format_bytes(double bytes);

}  // namespace spikeq
