// One run split over several processes (MPI ranks: engine/core/comm_epoch_exchange.h;
// threads of one process in the tests). Each process owns a range of nodes
// (engine/core/rank_share.h) and simulates only those; at every epoch end the
// processes trade what crosses between them. The min-delay epoch makes this
// enough: no spike of an epoch reaches anyone before its end.
//
// What is traded is the engine's business (EventDriver and SteppedDriver,
// "Processes"): each puts sections of plain values, in an order of its own, and
// reads everyone's back in that order. Here: the flags, so that every process
// stops at the same epoch, and the framing. A trade is one collective call: one
// round of latency per epoch, however many sections.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>
#include <vector>

#include "engine/core/run_stats.h"

namespace spikeq {

struct EpochFlags {
  bool stop = false;     // a stop was requested: end the run after this epoch
  bool abandon = false;  // a stop was seen inside the epoch: drop it, end at its start
};

class EpochExchange {
 public:
  virtual ~EpochExchange() = default;
  virtual unsigned rank() const = 0;
  virtual unsigned ranks() const = 0;
  // Collective, once at the end: element-wise sums over the processes.
  virtual void sum(std::vector<std::uint64_t>& counts) = 0;

  // One trade: begin(), put() this process's sections, trade() (collective:
  // every process calls it once per epoch; returns the flags OR-ed over the
  // processes), then take() each process's sections in the order they were put.
  // The buffers are kept from trade to trade: no allocation once grown.
  void begin(EpochFlags flags);
  template <class T>
  void put(std::span<const T> items) {
    static_assert(std::is_trivially_copyable_v<T>);
    append(items.size(), items.data(), items.size_bytes());
  }
  template <class T>
  void put(const std::vector<T>& items) {
    put(std::span<const T>(items));
  }
  EpochFlags trade();
  // Process `from`'s next section, appended to `out` (null: skipped).
  template <class T>
  void take(unsigned from, std::vector<T>* out) {
    static_assert(std::is_trivially_copyable_v<T>);
    const std::uint64_t n = next_count(from, sizeof(T));
    if (out != nullptr && n > 0) {
      const std::size_t old = out->size();
      out->resize(old + n);
      std::memcpy(out->data() + old, received_.data() + cursor_[from], n * sizeof(T));
    }
    cursor_[from] += n * sizeof(T);
  }
  // Bytes this process sent in all trades so far (the exchange volume).
  std::uint64_t bytes_sent() const { return bytes_sent_; }

 protected:
  // Collective: every process's `mine`, concatenated in rank order into `all`,
  // counts[r] bytes from process r.
  virtual void all_gather(std::span<const char> mine, std::vector<char>& all, std::vector<std::size_t>& counts) = 0;

 private:
  void append(std::uint64_t count, const void* data, std::size_t bytes);
  std::uint64_t next_count(unsigned from, std::size_t item_bytes);

  std::vector<char> send_, received_;
  std::vector<std::size_t> counts_;
  std::vector<std::size_t> cursor_, end_;  // per process: next section, end of its message
  std::uint64_t bytes_sent_ = 0;
};

// Collective, once at a run's end: each process counted its own nodes' part of
// `stats` (spikes per population, pulses, queue entries); afterwards every
// process holds the sums, the run's counts.
void sum_counts_over_processes(EpochExchange& exchange, RunStats& stats);

}  // namespace spikeq
