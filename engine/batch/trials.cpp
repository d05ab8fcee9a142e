#include "engine/batch/trials.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <new>

#include <oneapi/tbb/info.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>

#include "engine/core/thread_allowance.h"
#include "engine/analysis/recorded_run.h"
#include "engine/io/manifest.h"
#include "engine/core/network.h"
#include "engine/batch/single_run.h"
#include "engine/core/stop_check.h"
#include "netdefs/error.h"

namespace spikeq::inline batch {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// A point's frozen network: built by the first trial that needs it, freed once
// all of the point's tasks are handed out and none of its trials here runs.
struct SharedNetwork {
  std::mutex mutex;
  std::shared_ptr<const Network> net;
  double build_s = 0;
  std::uint32_t running = 0;  // this process's trials of the point in flight
};

// Every task, in order, to this process.
class AllTasks final : public TaskSource {
 public:
  explicit AllTasks(std::size_t tasks) : tasks_(tasks) {}
  std::optional<TaskGrant> next() override {
    const std::size_t i = next_.fetch_add(1);
    if (i >= tasks_) return std::nullopt;
    return TaskGrant{i, i + 1};
  }
  void finished(std::size_t, const TrialResult&) override {}

 private:
  std::size_t tasks_;
  std::atomic<std::size_t> next_{0};
};

class Batch {
 public:
  Batch(const std::vector<BatchPoint>& points, const BatchOptions& options)
      : points_(points), options_(options), shared_(points.size()) {
    result_.points.resize(points.size());
    for (std::size_t p = 0; p < points.size(); ++p) {
      result_.points[p].trials.resize(options.trials);
      for (std::uint32_t k = 0; k < options.trials; ++k) {
        TrialResult& t = result_.points[p].trials[k];
        t.trial = k;
        t.dir = points[p].dir + "/" + trial_dir_name(k);
      }
    }
  }

  BatchResult run() {
    const auto t0 = Clock::now();
    const std::size_t tasks = points_.size() * options_.trials;
    const int threads = options_.threads > 0 ? static_cast<int>(options_.threads) : tbb::info::default_concurrency();
    result_.threads = static_cast<unsigned>(threads);
    const ThreadAllowance allow(static_cast<unsigned>(threads));
    // Threads go to tasks first; with fewer tasks than threads, each task's one
    // network is split over the threads left over (EventDriver/SteppedDriver).
    // With tasks spread over ranks (options_.tasks) `tasks` counts all of them: a
    // rank splits its networks only when the whole batch has fewer tasks than threads.
    const int workers_count = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(threads), tasks));
    network_threads_ = static_cast<unsigned>(std::max(1, threads / std::max(1, workers_count)));
    AllTasks all(tasks);
    TaskSource& source = options_.tasks ? *options_.tasks : all;
    tbb::task_arena arena(threads);
    arena.execute([&] {
      tbb::task_group workers;
      for (int w = 0; w < workers_count; ++w)
        workers.run([&] {
          while (const std::optional<TaskGrant> grant = take(source)) {
            run_task(grant->task);
            source.finished(grant->task, trial_of(grant->task));
          }
        });
      workers.wait();
    });
    for (std::size_t p = 0; p < points_.size(); ++p) aggregate_trials(result_.points[p]);
    result_.networks_built = built_.load();
    result_.wall_s = seconds_since(t0);
    result_.interrupted = options_.stop && options_.stop->load();
    return std::move(result_);
  }

 private:
  unsigned network_threads_ = 1;  // threads per task's network (set by run)

  bool stopped() const { return options_.stop && options_.stop->load(std::memory_order_relaxed); }

  TrialResult& trial_of(std::size_t task) {
    return result_.points[task / options_.trials].trials[task % options_.trials];
  }

  // The next task, counted as running at its point; then the points whose tasks
  // have all been handed out (below grant.handed_out) and that no trial here runs
  // free their frozen network: no trial of theirs can come here any more. One
  // worker at a time, so that a point is never freed between a grant of one of
  // its trials and that trial counting itself in.
  std::optional<TaskGrant> take(TaskSource& source) {
    std::lock_guard<std::mutex> grant_lock(grant_mutex_);
    const std::optional<TaskGrant> grant = source.next();
    if (!grant) return grant;
    {
      std::lock_guard<std::mutex> lock(shared_[grant->task / options_.trials].mutex);
      ++shared_[grant->task / options_.trials].running;
    }
    const std::size_t whole = std::min(grant->handed_out / options_.trials, points_.size());
    for (std::size_t p = released_below_.load(); p < whole; ++p) {
      std::lock_guard<std::mutex> lock(shared_[p].mutex);
      if (shared_[p].running == 0) shared_[p].net.reset();
    }
    released_below_.store(std::max(released_below_.load(), whole));
    return grant;
  }

  void run_task(std::size_t task) {
    const std::size_t p = task / options_.trials;
    const std::uint32_t k = static_cast<std::uint32_t>(task % options_.trials);
    TrialResult& out = result_.points[p].trials[k];
    if (!stopped()) {
      if (options_.progress) options_.progress->started(task);
      try {
        run_trial(p, k, task, out);
      } catch (const Error& e) {
        fail(out, e.what(), e.kind() == Error::Kind::Runtime);
      } catch (const std::bad_alloc&) {
        fail(out, "out of memory", true);
      } catch (const std::exception& e) {
        fail(out, e.what(), true);
      }
      if (options_.progress) options_.progress->finished(task, out.stats.simulated_ms, out.stats.events());
    }
    // The last trial here of a point whose tasks are all handed out frees its network.
    std::lock_guard<std::mutex> lock(shared_[p].mutex);
    if (--shared_[p].running == 0 && released_below_.load() > p) shared_[p].net.reset();
  }

  void fail(TrialResult& out, const std::string& message, bool runtime) {
    out.status = RunStatus::Failed;
    out.error = message;
    out.runtime_error = runtime;
    if (options_.stop) options_.stop->store(true);  // the others stop at their next epoch
  }

  std::shared_ptr<const Network> network_for(std::size_t p, std::uint32_t k, double& build_s) {
    const auto t0 = Clock::now();
    if (options_.redraw_connectivity) {
      auto net = std::make_shared<const Network>(points_[p].spec, k, options_.stop, network_threads_);
      built_.fetch_add(1);
      build_s = seconds_since(t0);
      return net;
    }
    SharedNetwork& shared = shared_[p];
    std::lock_guard<std::mutex> lock(shared.mutex);
    if (!shared.net) {
      shared.net = std::make_shared<const Network>(points_[p].spec, 0, options_.stop, network_threads_);
      shared.build_s = seconds_since(t0);
      built_.fetch_add(1);
    }
    build_s = shared.build_s;
    return shared.net;
  }

  void run_trial(std::size_t p, std::uint32_t k, std::size_t task, TrialResult& out) {
    const auto t0 = Clock::now();
    RunInfo info;
    info.netdef_path = options_.netdef_path;
    info.started_utc = utc_now_iso8601();
    info.trial = k;
    std::shared_ptr<const Network> net;
    try {
      net = network_for(p, k, info.build_s);
    } catch (const Stopped&) {
      return;  // stopped before anything of this trial existed: it stays "not_started"
    } catch (const std::bad_alloc&) {
      throw Error("out of memory while building the network", Error::Kind::Runtime);
    }
    std::error_code ec;
    std::filesystem::create_directories(out.dir, ec);
    if (ec) throw Error(out.dir + ": cannot create directory: " + ec.message(), Error::Kind::Runtime);
    SingleRun how;
    how.format = options_.format;
    how.stop = options_.stop;
    how.abandon_build = options_.abandon_builds;
    how.progress = options_.progress;
    how.task = task;
    how.threads = network_threads_;
    SingleRunResult run = record_run(*net, out.dir, how, info);
    out.stats = run.stats;
    out.status = info.status;
    nlohmann::json& manifest = run.manifest;
    out.wall_s = seconds_since(t0);
    try {
      out.summary = analysis::summarize(analysis::load_run(out.dir), options_.summary);
    } catch (const Error&) {
      // A run too short for any statistic still counts as run; its summary stays empty.
      return;
    }
    // The trial's own manifest carries its statistics too (as `spikeq stats --json` words them).
    manifest["summary"] = analysis::summary_json(*out.summary)["populations"];
    write_manifest(out.dir, manifest);
  }

  const std::vector<BatchPoint>& points_;
  const BatchOptions& options_;
  std::vector<SharedNetwork> shared_;
  BatchResult result_;
  std::mutex grant_mutex_;
  std::atomic<std::size_t> released_below_{0};  // points below have no task left to hand out
  std::atomic<std::uint64_t> built_{0};
};

std::string numbered(const char* prefix, std::uint64_t n) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s-%04llu", prefix, static_cast<unsigned long long>(n));
  return buf;
}

}  // namespace

std::size_t PointResult::complete() const {
  std::size_t n = 0;
  for (const TrialResult& t : trials) n += t.status == RunStatus::Complete;
  return n;
}

RunStatus PointResult::status() const {
  bool all_complete = true, any_started = false;
  for (const TrialResult& t : trials) {
    if (t.status == RunStatus::Failed) return RunStatus::Failed;
    all_complete &= t.status == RunStatus::Complete;
    any_started |= t.status != RunStatus::NotStarted;
  }
  return all_complete ? RunStatus::Complete : any_started ? RunStatus::Interrupted : RunStatus::NotStarted;
}

const TrialResult* BatchResult::first_failure() const {
  for (const PointResult& p : points)
    for (const TrialResult& t : p.trials)
      if (t.status == RunStatus::Failed) return &t;
  return nullptr;
}

void aggregate_trials(PointResult& point) {
  point.aggregate.reset();
  std::vector<analysis::RunSummary> complete;
  for (const TrialResult& t : point.trials)
    if (t.status == RunStatus::Complete && t.summary) complete.push_back(*t.summary);
  if (complete.empty()) return;
  try {
    point.aggregate = analysis::aggregate(complete);
  } catch (const Error&) {
  }
}

BatchResult run_batch(const std::vector<BatchPoint>& points, const BatchOptions& options) {
  if (options.trials < 1) throw Error("trials must be >= 1");
  return Batch(points, options).run();
}

std::string trial_dir_name(std::uint64_t trial) { return numbered("trial", trial); }
std::string point_dir_name(std::size_t point) { return numbered("point", point); }

nlohmann::json trials_json(const BatchPoint& point, const PointResult& result, const BatchResult& batch,
                           const BatchOptions& options) {
  const NetworkSpec& spec = point.spec;
  nlohmann::json j;
  j["kind"] = "trials";
  j["netdef_path"] = options.netdef_path;
  j["name"] = spec.name;
  j["seed"] = spec.seed;
  j["trials"] = options.trials;
  j["connectivity"] = options.redraw_connectivity ? "redrawn" : "frozen";
  j["threads"] = batch.threads;
  if (batch.ranks > 1) j["ranks"] = batch.ranks;  // one process: the key is absent, as before MPI
  j["networks_built"] = batch.networks_built;  // over the whole batch
  j["status"] = status_name(result.status());
  j["trials_complete"] = result.complete();
  nlohmann::json list = nlohmann::json::array();
  for (const TrialResult& t : result.trials) {
    nlohmann::json e = {{"trial", t.trial},
                        {"dir", std::filesystem::path(t.dir).filename().string()},
                        {"status", status_name(t.status)}};
    if (t.status != RunStatus::NotStarted) {
      e["simulated_ms"] = t.stats.simulated_ms;
      e["wall_s"] = t.wall_s;
      e["events"] = t.stats.events();
      if (batch.ranks > 1) e["rank"] = t.rank;
    }
    if (!t.error.empty()) e["error"] = t.error;
    if (t.summary) e["summary"] = analysis::summary_json(*t.summary)["populations"];
    list.push_back(e);
  }
  j["trial_runs"] = list;
  // Mean over the complete trials, SEM = sd / sqrt(K) across trials.
  j["aggregate"] = result.aggregate ? analysis::summary_json(*result.aggregate) : nlohmann::json(nullptr);
  return j;
}

}  // namespace spikeq::batch
