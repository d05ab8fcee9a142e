// EpochExchange over the ranks of an MPI job (engine/comm/comm.h): one network
// split over processes. Each trade is one all-gather of a byte message per rank
// (MPI_Allgatherv): one collective per epoch keeps the latency to one round.
//
// Only the thread that made the MPI session may call it (the drivers call it
// from the thread that runs them, between their parallel phases).
#pragma once

#include <cstdint>
#include <vector>

#include "engine/comm/comm.h"
#include "engine/core/epoch_exchange.h"

namespace spikeq {

class CommEpochExchange : public EpochExchange {
 public:
  explicit CommEpochExchange(comm::Comm& comm) : comm_(comm) {}
  unsigned rank() const override { return static_cast<unsigned>(comm_.rank()); }
  unsigned ranks() const override { return static_cast<unsigned>(comm_.size()); }
  void sum(std::vector<std::uint64_t>& counts) override;

 protected:
  void all_gather(std::span<const char> mine, std::vector<char>& all, std::vector<std::size_t>& counts) override {
    comm_.all_gather<char>(mine, all, counts);
  }

 private:
  comm::Comm& comm_;
  std::vector<std::uint64_t> all_counts_;
  std::vector<std::size_t> counts_;
};

}  // namespace spikeq
