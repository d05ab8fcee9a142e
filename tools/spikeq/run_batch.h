// `spikeq run` with several trials or a sweep: the nested layout
// DIR/[point-PPPP/]trial-KKKK/, run on a TBB arena (engine/batch/trials.h).
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "engine/io/run_directory.h"
#include "engine/batch/progress.h"
#include "engine/comm/comm.h"
#include "netdefs/spec.h"

namespace spikeq::cli {

struct BatchRunOptions {
  std::string netdef;
  std::string dir;
  OutputFormat format = OutputFormat::H5;
  std::string format_text;
  unsigned threads = 0;
  bool redraw_connectivity = false;
  bool quiet = false;
  std::uint64_t memory_limit_bytes = 0;
  // Set by the signal handler to abandon the trials' file builds (engine/batch/trials.h).
  const std::atomic<bool>* abandon_builds = nullptr;
  // As RunOptions::watch_progress (run_command.h): sees the batch's meter.
  std::function<void(const ProgressMeter*)> watch_progress;
  // The ranks of an MPI job (engine/batch/batch_ranks.h); null: this process alone.
  comm::Comm* comm = nullptr;
};

// Runs spec.simulation.trials trials at each point of spec.sweeps (one point
// without sweeps); `stop` is the signal handlers' flag. Returns the exit code
// (0, or 130/143 interrupted: `signal` says which); throws Error for a failed task.
// `prepare_dir` creates (and locks) DIR once every point has been validated.
// Interrupted or not, every point gets its trials.json and a sweep its sweep.json
// and sweep.tsv, with each point's status: complete, interrupted, not_started
// (or failed).
// Over MPI ranks (options.comm of several ranks), every rank calls it: all
// validate the points and agree (engine/comm/agree.h), rank 0 alone prepares and
// locks DIR, then the tasks are spread over the ranks; rank 0 alone shows the
// progress, writes the indexes, prints and returns the batch's exit code (the
// others return 0 once their tasks are done). A signal another rank reports is
// stored in `signal`.
int run_batch_command(const NetworkSpec& spec, const BatchRunOptions& options, std::atomic<bool>& stop,
                      std::atomic<int>& signal, const std::function<void()>& prepare_dir);

}  // namespace spikeq::cli
