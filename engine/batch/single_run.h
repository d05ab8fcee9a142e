// One run into its directory: the sequence `spikeq run` and every trial of a
// batch share, so that their manifests and files cannot drift apart.
//
//   "running" manifest (what `spikeq recover` finds after a kill) -> the driver
//   (engine/batch/simulate.h) into a RunRecorder -> the files built from the
//   journals -> the final manifest ("complete" or "interrupted").
// A failure (out of memory, a full disk) builds the files from what was recorded
// and writes a "failed" manifest naming the error, then throws Error (Runtime).
// `stop` ends the simulation at an epoch boundary (the files hold the run up to
// there); `abandon_build` set while the .h5 files are built abandons them and
// keeps the journals for recover (status "interrupted", files_built false).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/batch/progress.h"
#include "engine/core/network.h"
#include "engine/core/run_stats.h"
#include "engine/core/epoch_exchange.h"
#include "engine/io/manifest.h"
#include "engine/io/run_directory.h"

namespace spikeq::inline batch {

struct SingleRun {
  OutputFormat format = OutputFormat::H5;
  const std::atomic<bool>* stop = nullptr;
  const std::atomic<bool>* abandon_build = nullptr;
  // Optional: set once the simulation is over and the files are being built (a
  // signal handler uses it to turn the next signal into abandon_build).
  std::atomic<bool>* building = nullptr;
  // Optional: the run is task `task` of this meter, which sees its spikes (the
  // caller marks the task started and finished).
  ProgressMeter* progress = nullptr;
  std::size_t task = 0;
  unsigned threads = 1;  // the one network split over this many threads (same output for any)
  EpochExchange* exchange = nullptr;  // rank 0 of a network split over MPI ranks (simulate.h)
};

struct SingleRunResult {
  RunStats stats;
  nlohmann::json manifest;  // as written
  bool files_built = true;  // false: abandoned, the journals kept for recover
};

// Runs `net` (trial info.trial) into DIR, which must exist, be empty and be owned
// by the caller. `info` arrives with netdef_path, started_utc, trial and build_s
// filled in; it leaves with the final status, files, wall_s (build included) and
// finished_utc.
SingleRunResult record_run(const Network& net, const std::string& dir, const SingleRun& how, RunInfo& info);

}  // namespace spikeq::batch
