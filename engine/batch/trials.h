// Many independent runs at once: N trials of a network, at one or many sweep
// points, as points × trials tasks spread over a oneTBB task arena of T threads.
//
// Determinism. Trial k's driver gets trial index k, so every stream it draws is
// keyed (seed, k) (engine/core/rng.h): its spikes do not depend on T, on which thread
// runs it, nor on the order tasks finish. Each task has its own sink and its own
// files (DIR/[point-PPPP/]trial-KKKK/), so nothing is shared or locked while
// simulating; the shared state is the read-only Network and a few atomics.
//
// Connectivity. Frozen (default): a point's Network is built once (per process),
// from the connectivity streams of trial 0, by the first of its trials to start,
// shared read-only by the others and freed when its last trial ends — so memory holds
// about one graph per point in flight, never one per trial. Redrawn
// (--redraw-connectivity): trial k builds its own from trial k's streams and
// frees it when done (at most T graphs at a time).
//
// Scheduling. T workers in one task_group take tasks in order (point-major,
// then trial) from a TaskSource — by default an atomic counter over every task;
// over MPI ranks (engine/batch/batch_ranks.h) the tasks rank 0 hands this rank,
// still in increasing order — so points finish roughly in order and unstarted
// tasks are a tail. A point's frozen network is freed once every task of the
// point has been handed out (to this process or another) and none of this
// process's trials of it is still running. Stop (SIGINT, or a task that failed): running
// drivers end within milliseconds (EventDriver: at the epoch reached) with their
// files finished and their manifests "interrupted"; tasks not started, and tasks
// stopped while their network was being built (they have no directory), are
// listed as "not_started"; a point none of whose trials started is "not_started".
// `abandon_builds` set while a trial builds its .h5 files abandons that build:
// its journals stay for `spikeq recover`, its manifest says "interrupted".
// An out-of-memory failure (std::bad_alloc) fails the task like an Error.
//
// Summary statistics: after its files are finished, each task loads its own run
// back (analysis::load_run) and summarizes it (engine/analysis/summary.h: rates,
// ISI CV, Fano factors, synchrony); a point's complete trials are aggregated to
// mean ± SEM across trials (analysis::aggregate). The trial's summary is added to
// its manifest.json ("summary": per population, the keys of `spikeq stats --json`).
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/io/manifest.h"  // write_json_file
#include "engine/analysis/summary.h"
#include "engine/core/run_stats.h"
#include "engine/batch/progress.h"
#include "engine/io/run_directory.h"
#include "netdefs/spec.h"

namespace spikeq::inline batch {

struct BatchPoint {
  NetworkSpec spec;            // the point's network (after its overrides)
  std::vector<double> values;  // the swept values (empty without a sweep)
  std::string dir;             // its trials go to DIR/trial-KKKK/
};

struct TrialResult;

// Where a batch's workers get their tasks (task = point * trials + trial).
struct TaskGrant {
  std::size_t task = 0;
  // Every task below this one has been handed out, to this process or another
  // (a point all of whose tasks are below it needs no new network here).
  std::size_t handed_out = 0;
};
class TaskSource {
 public:
  virtual ~TaskSource() = default;
  // The next task for the calling worker, in increasing order; none: this worker
  // is done. Called from the batch's worker threads.
  virtual std::optional<TaskGrant> next() = 0;
  // A task this source granted has ended (complete, interrupted, failed, or not
  // started because the batch was stopped) with `result`. From worker threads.
  virtual void finished(std::size_t task, const TrialResult& result) = 0;
};

struct BatchOptions {
  std::string netdef_path;  // for manifests
  OutputFormat format = OutputFormat::H5;
  unsigned threads = 0;  // 0: every core (tbb::info::default_concurrency)
  std::uint32_t trials = 1;
  bool redraw_connectivity = false;
  // Set by the caller's signal handler to stop every task; the batch sets it too
  // when a task fails, so the others stop rather than run on for nothing.
  std::atomic<bool>* stop = nullptr;
  const std::atomic<bool>* abandon_builds = nullptr;  // see "Scheduling"
  ProgressMeter* progress = nullptr;  // task index = point * trials + trial
  analysis::SummaryOptions summary;
  TaskSource* tasks = nullptr;  // null: every task, to this process
};

struct TrialResult {
  std::uint64_t trial = 0;
  std::string dir;
  RunStatus status = RunStatus::NotStarted;
  std::string error;
  bool runtime_error = false;  // the error is a run-time failure (exit 1), not bad input
  RunStats stats;
  double wall_s = 0;
  std::optional<analysis::RunSummary> summary;
  int rank = 0;  // the MPI rank that ran it (engine/batch/batch_ranks.h)
};

struct PointResult {
  std::vector<TrialResult> trials;
  std::optional<analysis::RunSummary> aggregate;  // over the complete trials
  std::size_t complete() const;
  // "complete" only if every trial is; "failed" if one is; "not_started" if none
  // started; else "interrupted".
  RunStatus status() const;
};

struct BatchResult {
  std::vector<PointResult> points;
  std::uint64_t networks_built = 0;  // by every rank
  unsigned threads = 0;              // per rank
  unsigned ranks = 1;                // MPI ranks that ran the tasks (engine/batch/batch_ranks.h)
  double wall_s = 0;
  bool interrupted = false;
  const TrialResult* first_failure() const;
};

BatchResult run_batch(const std::vector<BatchPoint>& points, const BatchOptions& options);

// A point's aggregate (mean ± SEM) over its complete trials' summaries, recomputed
// (run_batch sets it; a batch over ranks again once every rank's results are in).
void aggregate_trials(PointResult& point);

std::string trial_dir_name(std::uint64_t trial);  // "trial-0003"
std::string point_dir_name(std::size_t point);    // "point-0012"

// The index of one point's trials: DIR/trials.json (named so that the analysis
// tools, which take a DIR with manifest.json for a single run, still find the
// trials under it). Lists every trial with its status, directory, counts and
// summary, and the aggregate across trials.
nlohmann::json trials_json(const BatchPoint& point, const PointResult& result, const BatchResult& batch,
                           const BatchOptions& options);

}  // namespace spikeq::batch
