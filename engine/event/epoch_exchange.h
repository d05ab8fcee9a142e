// One run split over several processes (MPI ranks; engine/cluster implements
// this over MPI). Each process owns a range of nodes and simulates only those;
// at every epoch end the processes trade what crosses between them. The min-delay
// epoch makes this enough: no spike of an epoch reaches anyone before its end.
//
// What is traded (EventDriver, "Processes"): the deliveries each process's spikes
// cause (everyone needs everyone's: a row reaches targets everywhere), the
// recorded spikes and voltage samples (to the root, which alone writes files),
// and two flags, so that every process stops at the same epoch.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/core/recording.h"
#include "engine/event/delivery_queue.h"

namespace spikeq::inline event {

struct EpochFlags {
  bool stop = false;     // a stop was requested: end the run after this epoch
  bool abandon = false;  // a stop was seen inside the epoch: drop it, end at its start
};

class EpochExchange {
 public:
  virtual ~EpochExchange() = default;
  virtual unsigned rank() const = 0;
  virtual unsigned ranks() const = 0;
  // Collective: every process calls it once per epoch. In: this process's
  // deliveries, recorded spikes and samples, and flags. Out: everyone's
  // deliveries (in any order: they go into the heap); on rank 0 everyone's spikes
  // and samples (in any order: they are sorted), elsewhere none; the flags OR-ed
  // over the processes.
  virtual EpochFlags trade(std::vector<Delivery>& deliveries, std::vector<SpikeRecord>& spikes,
                           std::vector<VoltageSample>& samples, EpochFlags flags) = 0;
  // Collective, once at the end: element-wise sums over the processes.
  virtual void sum(std::vector<std::uint64_t>& counts) = 0;
};

}  // namespace spikeq::event
