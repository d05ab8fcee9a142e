// EpochExchange over the ranks of an MPI job (engine/comm/comm.h): one network
// split over processes. Each epoch end is one all-gather of a byte message per
// rank: a header (flags and counts), the rank's deliveries, then its recorded
// spikes and samples. Every rank keeps everyone's deliveries; rank 0 also keeps
// the spikes and samples. One collective per epoch keeps the latency to one
// round, and the bytes per epoch are 16 per delivery (a spike and a delay group)
// plus 16 per recorded spike and 24 per voltage sample.
//
// Only the thread that made the MPI session may call it (EventDriver calls it
// from the thread that runs it, between its parallel phases).
#pragma once

#include <cstdint>
#include <vector>

#include "engine/comm/comm.h"
#include "engine/event/epoch_exchange.h"

namespace spikeq::inline event {

class CommEpochExchange : public EpochExchange {
 public:
  explicit CommEpochExchange(comm::Comm& comm) : comm_(comm) {}
  unsigned rank() const override { return static_cast<unsigned>(comm_.rank()); }
  unsigned ranks() const override { return static_cast<unsigned>(comm_.size()); }
  EpochFlags trade(std::vector<Delivery>& deliveries, std::vector<SpikeRecord>& spikes,
                   std::vector<VoltageSample>& samples, EpochFlags flags) override;
  void sum(std::vector<std::uint64_t>& counts) override;
  // Bytes this rank sent in all trades so far (the benchmark's exchange volume).
  std::uint64_t bytes_sent() const { return bytes_sent_; }

 private:
  comm::Comm& comm_;
  std::vector<char> send_, received_;  // reused: no allocation once grown
  std::vector<std::size_t> counts_;
  std::vector<std::uint64_t> all_counts_;
  std::uint64_t bytes_sent_ = 0;
};

}  // namespace spikeq::event
