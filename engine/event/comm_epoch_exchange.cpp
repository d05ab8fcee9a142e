#include "engine/event/comm_epoch_exchange.h"

#include <cstring>
#include <span>

#include "netdefs/error.h"

namespace spikeq::inline event {
namespace {

struct Header {
  std::uint64_t deliveries, spikes, samples;
  std::uint8_t stop, abandon;
};

template <typename T>
void append(std::vector<char>& bytes, const T* data, std::size_t n) {
  const std::size_t at = bytes.size();
  bytes.resize(at + n * sizeof(T));
  if (n > 0) std::memcpy(bytes.data() + at, data, n * sizeof(T));
}

// Reads n elements of T at `at` (advanced), appending them to `out` when given.
template <typename T>
void take(const std::vector<char>& bytes, std::size_t& at, std::size_t end, std::uint64_t n, std::vector<T>* out) {
  if (n > (end - at) / sizeof(T)) throw Error("epoch exchange: a rank's message is shorter than its header says",
                                              Error::Kind::Runtime);
  if (out) {
    const std::size_t old = out->size();
    out->resize(old + n);
    if (n > 0) std::memcpy(out->data() + old, bytes.data() + at, n * sizeof(T));
  }
  at += n * sizeof(T);
}

}  // namespace

EpochFlags CommEpochExchange::trade(std::vector<Delivery>& deliveries, std::vector<SpikeRecord>& spikes,
                                    std::vector<VoltageSample>& samples, EpochFlags flags) {
  Header mine;
  std::memset(&mine, 0, sizeof mine);  // no indeterminate padding on the wire
  mine.deliveries = deliveries.size();
  mine.spikes = spikes.size();
  mine.samples = samples.size();
  mine.stop = flags.stop;
  mine.abandon = flags.abandon;
  send_.clear();
  append(send_, &mine, 1);
  append(send_, deliveries.data(), deliveries.size());
  append(send_, spikes.data(), spikes.size());
  append(send_, samples.data(), samples.size());
  bytes_sent_ += send_.size();
  comm_.all_gather<char>(std::span<const char>(send_), received_, counts_);
  deliveries.clear();
  spikes.clear();
  samples.clear();
  const bool root = comm_.rank() == 0;
  EpochFlags all;
  std::size_t at = 0;
  for (const std::size_t bytes : counts_) {
    const std::size_t end = at + bytes;
    Header h;
    if (bytes < sizeof h) throw Error("epoch exchange: a rank sent no header", Error::Kind::Runtime);
    std::memcpy(&h, received_.data() + at, sizeof h);
    at += sizeof h;
    all.stop |= h.stop != 0;
    all.abandon |= h.abandon != 0;
    take(received_, at, end, h.deliveries, &deliveries);
    take(received_, at, end, h.spikes, root ? &spikes : nullptr);
    take(received_, at, end, h.samples, root ? &samples : nullptr);
    at = end;
  }
  return all;
}

void CommEpochExchange::sum(std::vector<std::uint64_t>& counts) {
  comm_.all_gather<std::uint64_t>(std::span<const std::uint64_t>(counts), all_counts_, counts_);
  for (std::size_t i = 0; i < counts.size(); ++i) {
    counts[i] = 0;
    for (std::size_t r = 0; r < counts_.size(); ++r) counts[i] += all_counts_[r * counts.size() + i];
  }
}

}  // namespace spikeq::event
