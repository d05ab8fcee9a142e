// The text formats of a run directory (README "Output of spikeq run"), read and
// written as row streams, for `spikeq convert` and `spikeq recover`:
//   spikes.tsv    population  node_id  time_ms              (header line first)
//   voltages.tsv  probe  population  node_id  time_ms  v_mv
// Times with 17 significant digits, so a double survives the round trip exactly;
// the lines are byte-identical to what engine/tsv_sink.h writes during a run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/run_data.h"

namespace spikeq {

class TsvSpikeSource : public SpikeSource {
 public:
  TsvSpikeSource(std::string path, RunLayout layout) : path_(std::move(path)), layout_(std::move(layout)) {}
  // A last line without its newline (cut by a kill) is ignored.
  void read(const Chunk& chunk) override;

 private:
  std::string path_;
  RunLayout layout_;
};

class TsvSampleSource : public SampleSource {
 public:
  TsvSampleSource(std::string path, RunLayout layout) : path_(std::move(path)), layout_(std::move(layout)) {}
  void read(const Chunk& chunk) override;

 private:
  std::string path_;
  RunLayout layout_;
};

// Write whole or not at all (PendingFile); spikes per population are returned.
std::vector<std::uint64_t> write_spikes_tsv(const std::string& path, const RunLayout& layout, SpikeSource& source);
void write_voltages_tsv(const std::string& path, const RunLayout& layout, SampleSource& source);

// After a kill a streamed TSV may end inside a line, and inside a batch (the
// driver's time-sorted output of one epoch), so the rows at its last time may be
// incomplete. Cuts the file after the last rows of an earlier time: what remains
// is every row before `complete_before_ms`. Returns that time (0 if nothing is left).
double cut_tsv_to_whole_times(const std::string& path, int time_column);

}  // namespace spikeq
