// What crosses between the SteppedDriver's blocks, and between processes, at
// an epoch's end (engine/stepped/stepped_driver.h, "Processes"): the epoch's
// LIF spikes, merged in (step, node) order for every block's fan-out in the
// next epoch; the recorded spikes and samples, to rank 0; the stop flag.
#include "engine/stepped/stepped_driver.h"
#include "engine/stepped/stepped_driver_parts.h"
#include "netdefs/error.h"

namespace spikeq::inline stepped {

bool SteppedDriver::gather_epoch_spikes(std::uint64_t k0, std::uint64_t k1) {
  const std::uint64_t steps = k1 - k0 + 1;
  // This process's blocks are contiguous in node order, so step by step, block
  // by block is (step, node) order.
  EpochSpikes& mine = exchange_ ? rank_spikes_[exchange_->rank()] : epoch_spikes_;
  mine.fired.clear();
  mine.fired_at.resize(steps + 1);
  for (std::uint64_t i = 0; i < steps; ++i) {
    mine.fired_at[i] = static_cast<std::uint32_t>(mine.fired.size());
    for (const Block& b : blocks_)
      mine.fired.insert(mine.fired.end(), b.current.fired.begin() + b.current.fired_at[i],
                        b.current.fired.begin() + b.current.fired_at[i + 1]);
  }
  mine.fired_at[steps] = static_cast<std::uint32_t>(mine.fired.size());
  const bool stop_here = stop_ && stop_->load(std::memory_order_relaxed);
  if (!exchange_) return stop_here;

  // Rank 0 keeps its own recorded output in its blocks (flush() hands it over);
  // the others send theirs, and keep nothing.
  const unsigned rank = exchange_->rank();
  const bool root = rank == 0;
  outbox_spikes_.clear();
  outbox_samples_.clear();
  if (!root)
    for (Block& b : blocks_) {
      outbox_spikes_.insert(outbox_spikes_.end(), b.spikes.begin(), b.spikes.end());
      outbox_samples_.insert(outbox_samples_.end(), b.samples.begin(), b.samples.end());
      b.spikes.clear();
      b.samples.clear();
    }
  exchange_->begin(EpochFlags{stop_here, false});
  exchange_->put(mine.fired);
  exchange_->put(mine.fired_at);
  exchange_->put(outbox_spikes_);
  exchange_->put(outbox_samples_);
  const EpochFlags flags = exchange_->trade();

  Block& keep = blocks_.front();
  for (unsigned r = 0; r < exchange_->ranks(); ++r) {
    EpochSpikes& theirs = rank_spikes_[r];
    if (r == rank) {  // already in place
      exchange_->take<NodeId>(r, nullptr);
      exchange_->take<std::uint32_t>(r, nullptr);
    } else {
      theirs.fired.clear();
      theirs.fired_at.clear();
      exchange_->take(r, &theirs.fired);
      exchange_->take(r, &theirs.fired_at);
      if (theirs.fired_at.size() != steps + 1 || theirs.fired_at.back() != theirs.fired.size())
        throw Error("epoch exchange: a process sent the spikes of another epoch", Error::Kind::Runtime);
    }
    exchange_->take(r, root ? &keep.spikes : nullptr);
    exchange_->take(r, root ? &keep.samples : nullptr);
  }
  merge_ranks(steps);
  return flags.stop;
}

// Every process's spikes into epoch_spikes_: step by step, process by process
// (the processes' node ranges ascend with their rank), which is (step, node) order.
void SteppedDriver::merge_ranks(std::uint64_t steps) {
  EpochSpikes& all = epoch_spikes_;
  all.fired.clear();
  all.fired_at.resize(steps + 1);
  for (std::uint64_t i = 0; i < steps; ++i) {
    all.fired_at[i] = static_cast<std::uint32_t>(all.fired.size());
    for (const EpochSpikes& r : rank_spikes_)
      all.fired.insert(all.fired.end(), r.fired.begin() + r.fired_at[i], r.fired.begin() + r.fired_at[i + 1]);
  }
  all.fired_at[steps] = static_cast<std::uint32_t>(all.fired.size());
}

}  // namespace spikeq::stepped
