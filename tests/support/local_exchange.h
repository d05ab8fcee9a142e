// EpochExchange between R drivers running in R threads of one process: the
// MPI exchange's contract (engine/core/epoch_exchange.h) without MPI, so tests
// can check that a run split over "processes" gives the single-process output.
#pragma once

#include <barrier>
#include <cstdint>
#include <vector>

#include "engine/core/epoch_exchange.h"

namespace spikeq::test {

class LocalExchangeGroup {
 public:
  explicit LocalExchangeGroup(unsigned ranks) : ranks_(ranks), barrier_(ranks), slots_(ranks) {}

  class Member : public EpochExchange {
   public:
    Member(LocalExchangeGroup& group, unsigned rank) : group_(group), rank_(rank) {}
    unsigned rank() const override { return rank_; }
    unsigned ranks() const override { return group_.ranks_; }
    void sum(std::vector<std::uint64_t>& counts) override {
      group_.slots_[rank_].counts = counts;
      group_.barrier_.arrive_and_wait();
      for (std::size_t i = 0; i < counts.size(); ++i) {
        counts[i] = 0;
        for (const Slot& s : group_.slots_) counts[i] += s.counts[i];
      }
      group_.barrier_.arrive_and_wait();
    }

   protected:
    void all_gather(std::span<const char> mine, std::vector<char>& all, std::vector<std::size_t>& counts) override {
      group_.slots_[rank_].bytes.assign(mine.begin(), mine.end());
      group_.barrier_.arrive_and_wait();
      all.clear();
      counts.clear();
      for (const Slot& s : group_.slots_) {
        all.insert(all.end(), s.bytes.begin(), s.bytes.end());
        counts.push_back(s.bytes.size());
      }
      group_.barrier_.arrive_and_wait();  // the slots are read before anyone refills them
    }

   private:
    LocalExchangeGroup& group_;
    unsigned rank_;
  };

 private:
  struct Slot {
    std::vector<char> bytes;
    std::vector<std::uint64_t> counts;
  };
  unsigned ranks_;
  std::barrier<> barrier_;
  std::vector<Slot> slots_;
};

}  // namespace spikeq::test
