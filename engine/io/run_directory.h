// A run directory (`spikeq run -o DIR`) from the first spike to the final files,
// including after a crash.
//
//   manifest.json      written atomically at the start (status "running") and at
//                      the end ("complete" | "interrupted" | "failed"); lists the files
//   spikes.h5          SONATA spike report (engine/io/h5_spikes.h)   --format h5|both
//   voltages.h5        probe samples (engine/io/h5_voltages.h)       with probes
//   spikes.tsv, voltages.tsv   text (engine/io/tsv_rows.h)           --format tsv|both
//
// How a run stays safe. HDF5 files are not crash-safe while written, so during
// the run spikes and samples go to append-only journals (engine/io/journal_sink.h):
// blocks with CRCs, written as batches arrive and synced about once a second.
// When the run ends (complete, SIGINT/SIGTERM, or an error), the .h5 files are
// built from the journals in two streaming passes, written under NAME.tmp and
// renamed, and the journals removed. After SIGKILL or power loss the journals
// remain: `spikeq recover DIR` builds the files from them (all batches synced
// before the kill, so at most ~1 s of wall time is lost) and marks the manifest
// "interrupted" with the time of the last record kept (engine/io/recover.h: what it
// keeps and drops, damaged journals, gaps, trial and sweep layouts). TSV output
// is streamed directly (flushed and synced about once a second too); a TSV-only
// run is recovered by cutting the file after the last whole instant.
// Memory for recording: the journal buffers (1 MiB each) while running, and a few
// MB of buffers while building the files, whatever the number of spikes.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/io/journal_reader.h"
#include "engine/core/recording.h"
#include "engine/io/run_data.h"

namespace spikeq::inline io {

class JournalSink;
class TsvSink;

enum class OutputFormat { H5, Tsv, Both };
OutputFormat parse_output_format(const std::string& text);  // "h5" | "tsv" | "both"; throws Error
const char* format_name(OutputFormat format);

// The sink of `spikeq run`: journals and/or streamed TSV in `dir`.
class RunRecorder : public RunSink {
 public:
  RunRecorder(const Network& network, std::string dir, OutputFormat format);
  ~RunRecorder() override;
  RunRecorder(const RunRecorder&) = delete;
  RunRecorder& operator=(const RunRecorder&) = delete;

  void spikes(std::span<const SpikeRecord> batch) override;
  void samples(std::span<const VoltageSample> batch) override;

  // After the driver has returned: closes the streams and builds the final files.
  // Throws Error (Runtime) naming the file on failure (the journals then stay).
  // `abandon` set during the build (a signal while the .h5 files are written)
  // throws Stopped: the journals stay, closed and whole, for `spikeq recover`, and
  // no partial file is left (files already built stay; recover rebuilds them).
  void finish(const std::atomic<bool>* abandon = nullptr);
  // After an error: saves what can be saved and never throws; journals that
  // cannot be turned into files stay for `spikeq recover`. When the spike files
  // could be built, returns what they hold: spikes per population and the time
  // of the last record.
  struct Saved {
    std::vector<std::uint64_t> spikes;
    double last_ms = 0;
  };
  std::optional<Saved> finish_after_failure() noexcept;
  // The data files now in the directory.
  std::vector<std::string> files() const;

 private:
  std::string dir_;
  OutputFormat format_;
  RunLayout layout_;
  std::unique_ptr<JournalSink> journal_;
  std::unique_ptr<TsvSink> tsv_;
};

// DIR/manifest.json as JSON; Error (BadInput) if missing or not JSON.
nlohmann::json read_run_manifest(const std::string& dir);

// The data files (spikes.h5, ..., the journals) present in `dir`, in a fixed order.
std::vector<std::string> run_data_files(const std::string& dir);

// The journals of `dir` (read against `layout`, engine/io/journal_reader.h) turned
// into the final files of `format` (and the TSV files too if `tsv_too`). The
// journals stay; the caller removes or keeps them. Reading errors are BadInput
// (a damaged journal), writing errors Runtime.
struct JournalBuild {
  std::vector<std::uint64_t> spikes;  // per population; empty if there was no spike journal
  double last_ms = 0;                 // of the last record kept
  std::optional<JournalScan> spikes_scan, voltages_scan;
};
JournalBuild build_from_journals(const std::string& dir, const RunLayout& layout, OutputFormat format, bool tsv_too,
                                 const std::atomic<bool>* stop = nullptr);

// `spikeq convert DIR --to h5|tsv`: writes spikes (and voltages) in the other
// format from the ones present; returns the files written.
std::vector<std::string> convert_run_directory(const std::string& dir, OutputFormat to);

}  // namespace spikeq::io
