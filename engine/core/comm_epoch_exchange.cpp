#include "engine/core/comm_epoch_exchange.h"

namespace spikeq {

void CommEpochExchange::sum(std::vector<std::uint64_t>& counts) {
  comm_.all_gather<std::uint64_t>(std::span<const std::uint64_t>(counts), all_counts_, counts_);
  for (std::size_t i = 0; i < counts.size(); ++i) {
    counts[i] = 0;
    for (std::size_t r = 0; r < counts_.size(); ++r) counts[i] += all_counts_[r * counts.size() + i];
  }
}

}  // namespace spikeq
