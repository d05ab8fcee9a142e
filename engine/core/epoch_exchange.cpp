#include "engine/core/epoch_exchange.h"

#include <algorithm>

#include "netdefs/error.h"

namespace spikeq {
namespace {

struct Header {
  std::uint8_t stop, abandon;
};

}  // namespace

void EpochExchange::begin(EpochFlags flags) {
  const Header h{static_cast<std::uint8_t>(flags.stop), static_cast<std::uint8_t>(flags.abandon)};
  send_.resize(sizeof h);
  std::memcpy(send_.data(), &h, sizeof h);
}

// A section: its item count, then its items' bytes.
void EpochExchange::append(std::uint64_t count, const void* data, std::size_t bytes) {
  const std::size_t at = send_.size();
  send_.resize(at + sizeof count + bytes);
  std::memcpy(send_.data() + at, &count, sizeof count);
  if (bytes > 0) std::memcpy(send_.data() + at + sizeof count, data, bytes);
}

EpochFlags EpochExchange::trade() {
  bytes_sent_ += send_.size();
  all_gather(std::span<const char>(send_), received_, counts_);
  cursor_.resize(counts_.size());
  end_.resize(counts_.size());
  EpochFlags all;
  std::size_t at = 0;
  for (std::size_t r = 0; r < counts_.size(); ++r) {
    if (counts_[r] < sizeof(Header)) throw Error("epoch exchange: a process sent no header", Error::Kind::Runtime);
    Header h;
    std::memcpy(&h, received_.data() + at, sizeof h);
    all.stop |= h.stop != 0;
    all.abandon |= h.abandon != 0;
    cursor_[r] = at + sizeof h;
    end_[r] = at + counts_[r];
    at = end_[r];
  }
  return all;
}

std::uint64_t EpochExchange::next_count(unsigned from, std::size_t item_bytes) {
  std::uint64_t n;
  if (from >= cursor_.size() || end_[from] - cursor_[from] < sizeof n)
    throw Error("epoch exchange: a process's message ends early", Error::Kind::Runtime);
  std::memcpy(&n, received_.data() + cursor_[from], sizeof n);
  cursor_[from] += sizeof n;
  if (n > (end_[from] - cursor_[from]) / item_bytes)
    throw Error("epoch exchange: a process's message is shorter than its section says", Error::Kind::Runtime);
  return n;
}

void sum_counts_over_processes(EpochExchange& exchange, RunStats& stats) {
  std::vector<std::uint64_t> counts = stats.spikes_per_population;
  counts.push_back(stats.recurrent_pulses);
  counts.push_back(stats.external_pulses);
  counts.push_back(stats.queue_entries);
  exchange.sum(counts);
  const std::size_t pops = stats.spikes_per_population.size();
  std::copy_n(counts.begin(), pops, stats.spikes_per_population.begin());
  stats.recurrent_pulses = counts[pops];
  stats.external_pulses = counts[pops + 1];
  stats.queue_entries = counts[pops + 2];
}

}  // namespace spikeq
