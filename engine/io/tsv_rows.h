// The text formats of a run directory (README "Output of spikeq run"), read and
// written as row streams, for `spikeq convert`, `spikeq recover` and the analysis:
//   spikes.tsv    population  node_id  time_ms              (header line first)
//   voltages.tsv  probe  population  node_id  time_ms  v_mv
// Times with 17 significant digits, so a double survives the round trip exactly;
// the lines are byte-identical to what engine/io/tsv_sink.h writes during a run.
//
// Readers check every line against the run's layout and refuse the first bad one
// (Error, BadInput) in one line naming the file, the line and the value:
// `DIR/spikes.tsv: line 17: node_id 9223372036854775808: not below the size 100
// of population "a"`. A line is bad if it is not the header's number of
// tab-separated fields, names an unknown population or probe, has a node id that
// is not a number below its population's size (64-bit: never truncated), a time
// that is not finite and >= 0 or earlier than the line before (the files are
// sorted by time), a voltage that is not finite, or is longer than kMaxLineBytes
// (the bound on the memory a line takes). A last line without its newline (a
// killed run's) is refused too: `spikeq recover` cuts it.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "engine/io/run_data.h"

namespace spikeq::inline io {

inline constexpr std::size_t kMaxLineBytes = 4096;

class TsvSpikeSource : public SpikeSource {
 public:
  TsvSpikeSource(std::string path, RunLayout layout) : path_(std::move(path)), layout_(std::move(layout)) {}
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

enum class TsvKind { Spikes, Voltages };

// What a killed run's streamed TSV holds, for `spikeq recover`. After a kill the
// file may end inside a line, and inside a batch (the driver's time-sorted output
// of one epoch), so the rows at its last time may be incomplete; damage (a line
// that breaks the rules above) ends what can be trusted the same way. What is
// kept is every whole, valid line before the last instant of the valid prefix:
// every row with a time before `complete_before_ms`.
struct TsvScan {
  std::uint64_t file_bytes = 0;
  std::uint64_t keep_bytes = 0;        // cut the file here
  std::uint64_t rows = 0;              // kept
  std::uint64_t dropped_rows = 0;      // valid lines at the last (maybe partial) instant
  double complete_before_ms = 0;       // 0 if nothing is kept
  double last_kept_ms = 0;             // time of the last kept row
  bool header_ok = true;               // false: missing, torn or wrong (rewritten by the cut)
  std::uint64_t torn_bytes = 0;        // an unfinished last line
  std::string damage;                  // "" or "line N (byte B): reason", the first bad line
  std::uint64_t damage_offset = 0;     // where it starts
  std::uint64_t lines_after_damage = 0;  // complete lines after the damaged one (dropped with it)
  bool damaged() const { return !damage.empty(); }
};
// `before_ms`: also stop at the first row at or after this time (to cut several
// files at one time). Reads only; the file is changed by cut_tsv.
TsvScan scan_tsv_for_recovery(const std::string& path, const RunLayout& layout, TsvKind kind,
                              double before_ms = std::numeric_limits<double>::infinity());

// Cuts `path` to scan.keep_bytes (writing the header if it was not whole), synced.
// `keep_original`: rename the file to `keep_as` first and copy the kept part, so
// the bytes past the cut stay on disk. Throws Error (Runtime) on failure.
void cut_tsv(const std::string& path, const TsvScan& scan, TsvKind kind, const std::string& keep_as = "");

}  // namespace spikeq::io
