// The one switch between the two engines: runs `net` (trial `trial`) with the
// driver its spec's simulation.mode names, into `sink`. `spikeq run`, trials,
// converge and the benchmarks all go through here.
#pragma once

#include <atomic>
#include <cstdint>

#include "engine/core/network.h"
#include "engine/core/recording.h"
#include "engine/core/run_stats.h"

namespace spikeq::inline batch {

// `threads`: how many threads the one network is split over (>= 1; stepped engine).
RunStats simulate(const Network& net, std::uint64_t trial, RunSink& sink, const std::atomic<bool>* stop = nullptr,
                  unsigned threads = 1);

}  // namespace spikeq::batch
