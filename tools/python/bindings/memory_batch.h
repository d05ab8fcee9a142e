// An in-memory run: the tasks of `spikeq run` — trials × sweep points, on a
// oneTBB arena, as engine/batch/trials.h runs them — with a MemorySink each instead of
// files. Same determinism: trial k's driver gets trial index k, a point's
// network is built once from the connectivity streams of trial 0 (or per trial
// with redraw_connectivity), so its spikes are the ones `spikeq run` writes to
// DIR/[point-PPPP/]trial-KKKK/ for the same netdef and seed, whatever the threads.
//
// Stop (the stop flag: SIGINT, a failed task, or the memory limit passed):
// running drivers end at their next epoch with everything before it recorded
// and status "interrupted"; tasks not started stay "not_started", and so do the
// trials of a batch stopped while their network was being built (a single run
// stopped then is "interrupted" at 0 ms), as with `spikeq run`.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/core/run_status.h"

#include "engine/event/event_driver.h"
#include "engine/batch/progress.h"
#include "engine/batch/trials.h"
#include "memory_sink.h"

namespace spikeq::python {

struct MemoryBatchOptions {
  std::string netdef_path;  // for the manifests
  unsigned threads = 0;     // 0: every core
  std::uint32_t trials = 1;
  bool redraw_connectivity = false;
  std::atomic<bool>* stop = nullptr;
  ProgressMeter* progress = nullptr;  // task index = point * trials + trial
  std::int64_t memory_limit_bytes = 0;  // for everything the sinks keep; 0: none
};

struct MemoryTask {
  std::size_t point = 0;
  std::uint32_t trial = 0;
  RunStatus status = RunStatus::NotStarted;
  std::string error;
  bool runtime_error = false;
  RunStats stats;
  // What manifest.json would say (engine/io/manifest.h; no files): status, counts,
  // rates and theory per population, the resolved netdef.
  nlohmann::json manifest;
  std::unique_ptr<MemorySink> sink;  // the recorded data (null if never started)
};

struct MemoryBatchResult {
  std::vector<MemoryTask> tasks;  // point-major
  bool interrupted = false;
  bool memory_exceeded = false;
  std::int64_t peak_mapped_bytes = 0;
  unsigned threads = 0;
  double wall_s = 0;
  const MemoryTask* first_failure() const;
};

MemoryBatchResult run_memory_batch(const std::vector<BatchPoint>& points, const MemoryBatchOptions& options);

}  // namespace spikeq::python
