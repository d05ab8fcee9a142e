// EpochExchange between R EventDrivers running in R threads of one process: the
// MPI exchange's contract (engine/event/epoch_exchange.h) without MPI, so tests
// can check that a run split over "processes" gives the single-process output.
#pragma once

#include <barrier>
#include <cstdint>
#include <vector>

#include "engine/event/epoch_exchange.h"

namespace spikeq::test {

class LocalExchangeGroup {
 public:
  explicit LocalExchangeGroup(unsigned ranks) : ranks_(ranks), barrier_(ranks), slots_(ranks) {}

  class Member : public EpochExchange {
   public:
    Member(LocalExchangeGroup& group, unsigned rank) : group_(group), rank_(rank) {}
    unsigned rank() const override { return rank_; }
    unsigned ranks() const override { return group_.ranks_; }
    EpochFlags trade(std::vector<Delivery>& deliveries, std::vector<SpikeRecord>& spikes,
                     std::vector<VoltageSample>& samples, EpochFlags flags) override {
      Slot& mine = group_.slots_[rank_];
      mine.deliveries = deliveries;
      mine.spikes = spikes;
      mine.samples = samples;
      mine.flags = flags;
      group_.barrier_.arrive_and_wait();
      deliveries.clear();
      spikes.clear();
      samples.clear();
      EpochFlags all;
      // Everyone's deliveries, in reverse rank order: the heap must not care.
      for (unsigned r = group_.ranks_; r-- > 0;) {
        const Slot& s = group_.slots_[r];
        deliveries.insert(deliveries.end(), s.deliveries.begin(), s.deliveries.end());
        if (rank_ == 0) {
          spikes.insert(spikes.end(), s.spikes.begin(), s.spikes.end());
          samples.insert(samples.end(), s.samples.begin(), s.samples.end());
        }
        all.stop |= s.flags.stop;
        all.abandon |= s.flags.abandon;
      }
      group_.barrier_.arrive_and_wait();  // the slots are read before anyone refills them
      return all;
    }
    void sum(std::vector<std::uint64_t>& counts) override {
      group_.slots_[rank_].counts = counts;
      group_.barrier_.arrive_and_wait();
      for (std::size_t i = 0; i < counts.size(); ++i) {
        counts[i] = 0;
        for (const Slot& s : group_.slots_) counts[i] += s.counts[i];
      }
      group_.barrier_.arrive_and_wait();
    }

   private:
    LocalExchangeGroup& group_;
    unsigned rank_;
  };

 private:
  struct Slot {
    std::vector<Delivery> deliveries;
    std::vector<SpikeRecord> spikes;
    std::vector<VoltageSample> samples;
    std::vector<std::uint64_t> counts;
    EpochFlags flags;
  };
  unsigned ranks_;
  std::barrier<> barrier_;
  std::vector<Slot> slots_;
};

}  // namespace spikeq::test
