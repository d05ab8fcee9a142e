// `spikeq recover DIR`: turns what a killed run left into valid files and says
// exactly what it kept and what it dropped. Recovery never destroys evidence.
//
// One run directory (DIR/manifest.json with status "running" or "failed"):
//   - journals (engine/io/journal_reader.h) become spikes.h5 / voltages.h5 (and the
//     TSV files of a `--format both` run); intact blocks after a damaged one are
//     salvaged, and the time range lost in between is a gap, listed in the
//     manifest ("gaps": [{"file", "from_ms", "to_ms"}]) and the report;
//   - a journal that was damaged (not merely cut short by the kill) is kept,
//     renamed spikes.journal.damaged (then .damaged.2, ...), unless
//     `discard_damaged`; an undamaged one is removed once the files are built;
//   - a TSV-only run's spikes.tsv / voltages.tsv are cut after the last whole,
//     valid instant (engine/io/tsv_rows.h); when a line is damaged (not merely torn)
//     the original is kept as spikes.tsv.damaged unless `discard_damaged`;
//   - the manifest says "interrupted" with `simulated_ms` the time up to which the
//     record is whole (for a TSV run with damage: the earliest cut), spike counts
//     and rates from the files (rates over the simulated time minus the gaps),
//     "recovered_utc", and "recovery": per file what was kept and dropped.
// A finished run is left as it is.
//
// A tree of runs (DIR/trial-KKKK/, DIR/point-PPPP/[trial-KKKK/]): every run
// directory below DIR is recovered in one call (an error in one is reported and
// the others still recovered), then the indexes that are missing or stale are
// rewritten in the formats engine/batch/trials.h and engine/batch/sweep.h define: each
// point's trials.json, and for a sweep sweep.json and sweep.tsv. A sweep's
// definition is taken from sweep.json, or when that is missing from the netdef
// named in the manifests if it reproduces every point's netdef; else sweep.json
// and sweep.tsv cannot be rebuilt and the report says so.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/io/journal_reader.h"
#include "engine/io/tsv_rows.h"

namespace spikeq::inline io {

struct RecoverOptions {
  bool discard_damaged = false;  // remove damaged journals and TSV originals instead of keeping them
};

// One journal or streamed TSV file that recover read.
struct RecoveredFile {
  std::string name;                    // "spikes.journal", "voltages.tsv", ...
  std::string unit;                    // "spikes" | "samples"
  std::optional<JournalScan> journal;  // for a journal
  std::optional<TsvScan> tsv;          // for a TSV file
  std::string kept_as;                 // the damaged original's new name ("" if none)
  bool damaged() const;
};

struct RecoverGap {
  std::string file;
  double from_ms = 0, to_ms = 0;
};

struct RecoverReport {
  std::string dir;
  std::string status_before, status;  // as the manifest words them (engine/core/run_status.h)
  bool changed = false;         // anything rebuilt or rewritten
  double simulated_ms = 0;      // as the manifest now says
  std::uint64_t spikes = 0;     // recorded spikes in the files
  std::vector<std::string> files;
  std::vector<RecoveredFile> sources;
  std::vector<RecoverGap> gaps;  // records lost inside the kept time range
};

// One run directory. Throws Error: BadInput if DIR is not a run directory or its
// files are unreadable in a way recovery cannot skip, Runtime on I/O failure.
RecoverReport recover_run_directory(const std::string& dir, const RecoverOptions& options = {});

}  // namespace spikeq::io
