// The one switch between the two engines: runs `net` (trial `trial`) with the
// driver its spec's simulation.mode names, into `sink`. `spikeq run`, trials,
// converge and the benchmarks all go through here.
#pragma once

#include <atomic>
#include <cstdint>

#include "engine/core/network.h"
#include "engine/core/recording.h"
#include "engine/core/run_stats.h"
#include "engine/core/epoch_exchange.h"

namespace spikeq::inline batch {

// `threads` (>= 1): how many threads the one network is split over (min-delay
// epochs, node blocks); the output is identical for every value. `exchange`:
// this process is one of several running the network together (MPI ranks,
// engine/core/epoch_exchange.h); only rank 0's sink receives output.
RunStats simulate(const Network& net, std::uint64_t trial, RunSink& sink, const std::atomic<bool>* stop = nullptr,
                  unsigned threads = 1, EpochExchange* exchange = nullptr);

}  // namespace spikeq::batch
