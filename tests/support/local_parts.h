// The R parts of one network (engine/core/network.h, "Parts"), built as R MPI
// ranks would build them, by R threads of one process: the parts' collectives
// (sum_over_ranks, max_over_ranks) meet at a std::barrier.
#pragma once

#include <algorithm>
#include <atomic>
#include <barrier>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "engine/core/network.h"
#include "engine/core/rank_share.h"
#include "engine/core/stop_check.h"
#include "local_exchange.h"

namespace spikeq::test {

class LocalReduceGroup {
 public:
  explicit LocalReduceGroup(unsigned ranks) : barrier_(ranks), slots_(ranks) {}

  // Rank `rank`'s part of `spec` (rank_share's range), its collectives in this group.
  NetworkPart part(const NetworkSpec& spec, unsigned rank) {
    const RankShare share = rank_share(spec, rank, slots_.size());
    NetworkPart p;
    p.target_begin = share.node_begin;
    p.target_end = share.node_end;
    p.sum_over_ranks = [this, rank](std::vector<std::uint64_t>& v) { reduce(rank, v, false); };
    p.max_over_ranks = [this, rank](std::vector<std::uint64_t>& v) { reduce(rank, v, true); };
    return p;
  }

 private:
  void reduce(unsigned rank, std::vector<std::uint64_t>& v, bool max) {
    slots_[rank] = v;
    barrier_.arrive_and_wait();
    for (std::size_t i = 0; i < v.size(); ++i) {
      v[i] = 0;
      for (const std::vector<std::uint64_t>& s : slots_) v[i] = max ? std::max(v[i], s.at(i)) : v[i] + s.at(i);
    }
    barrier_.arrive_and_wait();  // every slot is read before anyone refills it
  }

  std::barrier<> barrier_;
  std::vector<std::vector<std::uint64_t>> slots_;
};

// The `ranks` parts of `spec`, each built by its own thread with `threads`
// threads; `stops[r]` (when given) is rank r's stop flag. A part whose build
// was stopped is null.
inline std::vector<std::unique_ptr<const Network>> build_parts(const NetworkSpec& spec, unsigned ranks,
                                                               unsigned threads = 1,
                                                               const std::vector<std::atomic<bool>>* stops = nullptr) {
  LocalReduceGroup group(ranks);
  std::vector<std::unique_ptr<const Network>> parts(ranks);
  std::vector<std::thread> builders;
  for (unsigned r = 0; r < ranks; ++r)
    builders.emplace_back([&, r] {
      const NetworkPart part = group.part(spec, r);
      try {
        parts[r] = std::make_unique<const Network>(spec, 0, stops ? &(*stops)[r] : nullptr, threads, &part);
      } catch (const Stopped&) {
      }
    });
  for (std::thread& b : builders) b.join();
  return parts;
}

// Runs run(rank, network, exchange) on `ranks` threads standing for as many
// processes, which trade through one LocalExchangeGroup: each first builds its
// part of `spec` with the others, as MPI ranks do, or, given `whole`, they all
// use that whole network.
template <class Run>
void run_as_processes(const NetworkSpec& spec, unsigned ranks, const Network* whole, const Run& run) {
  LocalExchangeGroup group(ranks);
  LocalReduceGroup build_group(ranks);
  std::vector<std::thread> processes;
  for (unsigned r = 0; r < ranks; ++r)
    processes.emplace_back([&, r] {
      std::unique_ptr<const Network> part;
      if (whole == nullptr) {
        const NetworkPart p = build_group.part(spec, r);
        part = std::make_unique<const Network>(spec, 0, nullptr, 1, &p);
      }
      LocalExchangeGroup::Member member(group, r);
      run(r, whole ? *whole : *part, member);
    });
  for (std::thread& p : processes) p.join();
}

}  // namespace spikeq::test
