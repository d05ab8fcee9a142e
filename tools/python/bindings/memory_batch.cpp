#include "memory_batch.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <new>

#include <oneapi/tbb/info.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>

#include "engine/core/thread_allowance.h"
#include "engine/io/manifest.h"
#include "engine/core/network.h"
#include "engine/batch/simulate.h"
#include "engine/stepped/stepped_driver.h"
#include "engine/core/stop_check.h"
#include "netdefs/error.h"

namespace spikeq::python {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// A point's frozen network: built by its first trial, freed by its last.
struct SharedNetwork {
  std::mutex mutex;
  std::shared_ptr<const Network> net;
  double build_s = 0;
  std::atomic<std::uint32_t> remaining{0};
};

class Batch {
 public:
  Batch(const std::vector<BatchPoint>& points, const MemoryBatchOptions& options)
      : points_(points), options_(options), shared_(points.size()) {
    result_.tasks.resize(points.size() * options.trials);
    for (std::size_t p = 0; p < points.size(); ++p) {
      shared_[p].remaining.store(options.trials);
      for (std::uint32_t k = 0; k < options.trials; ++k) {
        MemoryTask& t = result_.tasks[p * options.trials + k];
        t.point = p;
        t.trial = k;
      }
    }
    limit_.mapped_bytes = &mapped_;
    limit_.limit_bytes = options.memory_limit_bytes;
    limit_.stop = options.stop;
    limit_.exceeded = &exceeded_;
  }

  MemoryBatchResult run() {
    const auto t0 = Clock::now();
    const std::size_t tasks = result_.tasks.size();
    const int threads = std::min<int>(options_.threads > 0 ? static_cast<int>(options_.threads)
                                                            : tbb::info::default_concurrency(),
                                      static_cast<int>(std::max<std::size_t>(tasks, 1)));
    result_.threads = static_cast<unsigned>(threads);
    const ThreadAllowance allow(static_cast<unsigned>(threads));
    tbb::task_arena arena(threads);
    arena.execute([&] {
      tbb::task_group workers;
      for (int w = 0; w < threads; ++w)
        workers.run([&] {
          for (std::size_t i = next_.fetch_add(1); i < tasks; i = next_.fetch_add(1)) run_task(i);
        });
      workers.wait();
    });
    result_.wall_s = seconds_since(t0);
    result_.memory_exceeded = exceeded_.load();
    result_.interrupted = options_.stop && options_.stop->load();
    result_.peak_mapped_bytes = mapped_.load();  // nothing is released before the end
    return std::move(result_);
  }

 private:
  bool stopped() const { return options_.stop && options_.stop->load(std::memory_order_relaxed); }

  void run_task(std::size_t i) {
    MemoryTask& task = result_.tasks[i];
    const std::size_t p = task.point;
    if (!stopped()) {
      if (options_.progress) options_.progress->started(i);
      try {
        run_trial(i, task);
      } catch (const Error& e) {
        fail(task, e.what(), e.kind() == Error::Kind::Runtime);
      } catch (const std::bad_alloc&) {
        fail(task, "out of memory while simulating (lower the network size, or record to disk with out=DIR)", true);
      } catch (const std::exception& e) {
        fail(task, e.what(), true);
      }
      if (options_.progress) options_.progress->finished(i, task.stats.simulated_ms, task.stats.events());
    }
    if (shared_[p].remaining.fetch_sub(1) == 1) {
      std::lock_guard<std::mutex> lock(shared_[p].mutex);
      shared_[p].net.reset();
    }
  }

  void fail(MemoryTask& task, const std::string& message, bool runtime) {
    task.status = RunStatus::Failed;
    task.error = message;
    task.runtime_error = runtime;
    if (options_.stop) options_.stop->store(true);  // the others stop at their next epoch
  }

  std::shared_ptr<const Network> network_for(std::size_t p, std::uint32_t k, double& build_s) {
    const auto t0 = Clock::now();
    if (options_.redraw_connectivity) {
      auto net = std::make_shared<const Network>(points_[p].spec, k, options_.stop);
      build_s = seconds_since(t0);
      return net;
    }
    SharedNetwork& shared = shared_[p];
    std::lock_guard<std::mutex> lock(shared.mutex);
    if (!shared.net) {
      shared.net = std::make_shared<const Network>(points_[p].spec, 0, options_.stop);
      shared.build_s = seconds_since(t0);
    }
    build_s = shared.build_s;
    return shared.net;
  }

  void run_trial(std::size_t i, MemoryTask& task) {
    const auto t0 = Clock::now();
    const NetworkSpec& spec = points_[task.point].spec;
    RunInfo info;
    info.netdef_path = options_.netdef_path;
    info.started_utc = utc_now_iso8601();
    info.trial = task.trial;
    std::shared_ptr<const Network> net;
    try {
      net = network_for(task.point, task.trial, info.build_s);
    } catch (const Stopped&) {
      // As `spikeq run`: a batch's trial stopped this early has not started; a
      // single run is interrupted at 0 ms.
      if (result_.tasks.size() > 1) return;
      task.status = info.status = RunStatus::Interrupted;
      info.finished_utc = utc_now_iso8601();
      info.wall_s = seconds_since(t0);
      task.manifest = make_manifest(spec, options_.redraw_connectivity ? task.trial : 0, RunStats{}, info);
      return;
    } catch (const std::bad_alloc&) {
      throw Error("out of memory while building the network (lower the network size)", Error::Kind::Runtime);
    }
    task.sink = std::make_unique<MemorySink>(*net, limit_);
    ProgressSink sink(*task.sink, options_.progress, i);
    try {
      task.stats = simulate(*net, task.trial, sink, options_.stop);
    } catch (...) {
      task.sink->finish();  // what was recorded stays readable; the failure is reported
      throw;
    }
    task.sink->finish();
    task.status = info.status = task.stats.interrupted ? RunStatus::Interrupted : RunStatus::Complete;
    info.finished_utc = utc_now_iso8601();
    info.wall_s = seconds_since(t0);
    task.manifest = make_manifest(*net, task.stats, info);
  }

  const std::vector<BatchPoint>& points_;
  const MemoryBatchOptions& options_;
  std::vector<SharedNetwork> shared_;
  MemoryBatchResult result_;
  std::atomic<std::size_t> next_{0};
  std::atomic<std::int64_t> mapped_{0};
  std::atomic<bool> exceeded_{false};
  MemoryLimit limit_;
};

}  // namespace

const MemoryTask* MemoryBatchResult::first_failure() const {
  for (const MemoryTask& t : tasks)
    if (t.status == RunStatus::Failed) return &t;
  return nullptr;
}

MemoryBatchResult run_memory_batch(const std::vector<BatchPoint>& points, const MemoryBatchOptions& options) {
  if (options.trials < 1) throw Error("trials must be >= 1");
  return Batch(points, options).run();
}

}  // namespace spikeq::python
