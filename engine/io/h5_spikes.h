// spikes.h5: a SONATA spike report, readable by h5py, bmtk and libsonata/bluepysnap.
//
//   /                      attrs magic = 0x0A7A (uint32), version = [0, 1] (uint32)
//   /spikes/<population>   attr sorting = by_time (SONATA enum: none 0, by_id 1, by_time 2)
//     timestamps           float64 [n], attr units = "ms", non-decreasing
//     node_ids             uint64 [n], population-local ids
//
// One group per recorded population (in netdef order), present even when it has
// no spikes. Ties in time keep the run's order (node id). Written in two streaming
// passes over the source (count, then write in chunks), so memory stays at a few
// MB whatever the number of spikes; datasets are contiguous and exactly sized.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/io/run_data.h"

namespace spikeq::inline io {

// Writes `path` whole or not at all (PendingFile); returns spikes per population.
// Throws Error (Runtime) naming the file on failure.
std::vector<std::uint64_t> write_spike_report(const std::string& path, const RunLayout& layout, SpikeSource& source);

// Reads a spike report back as one time-ordered stream (time, then population in
// `layout` order, then node): a merge of the per-population datasets, chunk by chunk.
// Every row is checked (Error, BadInput, naming file, dataset and index): groups
// only of the layout's populations and every recorded one present, timestamps
// floating-point and node_ids integer of equal lengths and really stored, ids
// below the population size (64-bit, never truncated), times finite, >= 0 and
// non-decreasing in each population whatever the `sorting` attribute says (it is
// not read: HDF5 1.10.8 can crash decoding a damaged attribute).
class H5SpikeSource : public SpikeSource {
 public:
  H5SpikeSource(std::string path, RunLayout layout);
  void read(const Chunk& chunk) override;

 private:
  std::string path_;
  RunLayout layout_;
};

}  // namespace spikeq::io
