#include "engine/batch/batch_ranks.h"

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>

#include "engine/batch/trial_wire.h"
#include "engine/comm/wire.h"
#include "netdefs/error.h"

namespace spikeq::inline batch {
namespace {

using Clock = std::chrono::steady_clock;
using comm::ByteReader;
using comm::ByteWriter;

// Message tags. Non-root -> rank 0: request, result, progress, stopped, done.
// Rank 0 -> non-root: assign, stop, ping.
enum Tag : int { kRequest = 1, kAssign, kResult, kProgress, kStopped, kDone, kStop, kPing };
constexpr std::uint64_t kNoTask = std::numeric_limits<std::uint64_t>::max();
constexpr auto kIdleSleep = std::chrono::milliseconds(2);
constexpr auto kHeartbeatPeriod = std::chrono::milliseconds(500);
constexpr auto kPingPeriod = std::chrono::milliseconds(1000);
// A loop iteration this late means this rank itself was not running (the whole
// job suspended, SIGSTOP, a swapping node): that time is no peer's silence.
constexpr auto kOwnPause = std::chrono::milliseconds(1000);

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", s);
  return buf;
}

// Rank 0's counter of tasks, drawn by its own workers and on the other ranks' requests.
class Dispatcher final : public TaskSource {
 public:
  Dispatcher(std::size_t tasks, const std::atomic<bool>& stop) : tasks_(tasks), stop_(stop) {}
  std::optional<TaskGrant> next() override { return take(); }
  void finished(std::size_t, const TrialResult&) override {}
  // None once every task is handed out, or the batch is stopped.
  std::optional<TaskGrant> take() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stop_.load() || next_ >= tasks_) return std::nullopt;
    const std::size_t task = next_++;
    return TaskGrant{task, next_};
  }

 private:
  std::mutex mutex_;
  std::size_t next_ = 0;
  std::size_t tasks_;
  const std::atomic<bool>& stop_;
};

// A non-root rank's tasks: its workers wait for what rank 0 grants them; their
// results wait in an outbox for the polling loop to send.
class GrantedTasks final : public TaskSource {
 public:
  std::optional<TaskGrant> next() override {
    std::unique_lock<std::mutex> lock(mutex_);
    ++waiting_;
    ready_cv_.wait(lock, [&] { return !ready_.empty() || closed_; });
    --waiting_;
    if (ready_.empty()) return std::nullopt;
    const TaskGrant grant = ready_.front();
    ready_.pop_front();
    running_.push_back(grant.task);
    return grant;
  }
  void finished(std::size_t task, const TrialResult& result) override {
    ByteWriter out;
    out.put<std::uint64_t>(task);
    put_trial_result(out, result);
    std::lock_guard<std::mutex> lock(mutex_);
    outbox_.push_back(out.take());
    std::erase(running_, task);
  }

  // The polling loop's side. Requests to send now: one per waiting worker not yet served.
  std::size_t requests_due() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return 0;
    const std::size_t covered = requested_ + ready_.size();
    const std::size_t due = waiting_ > covered ? waiting_ - covered : 0;
    requested_ += due;
    return due;
  }
  void granted(std::optional<TaskGrant> grant) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (requested_ > 0) --requested_;
    if (grant) ready_.push_back(*grant);
    else closed_ = true;  // rank 0 has nothing more for this rank
    ready_cv_.notify_all();
  }
  void close() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    ready_cv_.notify_all();
  }
  std::vector<std::string> take_outbox() {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::exchange(outbox_, {});
  }
  std::vector<std::size_t> running() {
    std::lock_guard<std::mutex> lock(mutex_);
    return running_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_cv_;
  std::size_t waiting_ = 0, requested_ = 0;
  std::deque<TaskGrant> ready_;
  bool closed_ = false;
  std::vector<std::string> outbox_;
  std::vector<std::size_t> running_;
};

// This rank's batch on a thread of its own, so that the thread of the MPI
// session stays free to poll.
class BatchThread {
 public:
  BatchThread(const std::vector<BatchPoint>& points, const BatchOptions& options)
      : thread_([this, &points, options] {
          try {
            result_ = run_batch(points, options);
          } catch (...) {
            error_ = std::current_exception();
          }
          done_.store(true);
        }) {}
  ~BatchThread() {
    if (thread_.joinable()) thread_.join();
  }
  bool done() const { return done_.load(); }
  BatchResult join() {
    thread_.join();
    if (error_) std::rethrow_exception(error_);
    return std::move(result_);
  }

 private:
  BatchResult result_;
  std::exception_ptr error_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

[[noreturn]] void malformed(int source, int tag) {
  throw Error("malformed message between ranks: tag " + std::to_string(tag) + " from rank " + std::to_string(source),
              Error::Kind::Runtime);
}

// The protocol itself broke (a malformed message: a bug, or ranks running
// different builds): this rank's tasks stop with their files finished, one
// line says why, and the job ends.
[[noreturn]] void give_up(comm::Comm& comm, std::atomic<bool>& stop, BatchThread& local, const std::string& why) {
  stop.store(true);
  try {
    local.join();
  } catch (...) {
  }
  std::fprintf(stderr, "spikeq: rank %d: %s\n", comm.rank(), why.c_str());
  comm.abort(1);
}

}  // namespace

double silence_limit_s(double fallback) {
  const char* text = std::getenv("SPIKEQ_MPI_SILENCE_S");
  if (!text || !*text) return fallback;
  char* end = nullptr;
  const double s = std::strtod(text, &end);
  if (*end != '\0' || !std::isfinite(s) || s <= 0 || s > 1e6)
    throw Error(std::string("SPIKEQ_MPI_SILENCE_S=") + text + ": not a number of seconds in (0, 1e6]");
  return s;
}

BatchOverRanks::BatchOverRanks(comm::Comm& world, RanksOptions options)
    : comm_(world.duplicate()), options_(std::move(options)) {}

BatchOverRanks::~BatchOverRanks() = default;

BatchResult BatchOverRanks::run(const std::vector<BatchPoint>& points, const BatchOptions& options) {
  if (options.trials < 1) throw Error("trials must be >= 1");
  const auto t0 = Clock::now();
  const std::size_t tasks = points.size() * options.trials;
  const auto silence = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options_.silence_s));
  std::atomic<bool> own_stop{false};
  std::atomic<bool>& stop = options.stop ? *options.stop : own_stop;
  BatchOptions bo = options;
  bo.stop = &stop;
  ProgressMeter* meter = options.progress;

  if (!comm_.is_root()) {
    GrantedTasks source;
    bo.tasks = &source;
    BatchThread local(points, bo);
    auto heard = Clock::now();  // from rank 0
    auto next_beat = heard;
    auto last_turn = heard;
    bool stop_reported = false;
    try {
    for (;;) {
      const auto turn = Clock::now();
      if (turn - last_turn > kOwnPause) heard += turn - last_turn;
      last_turn = turn;
      bool busy = false;
      while (std::optional<comm::Message> m = comm_.poll()) {
        busy = true;
        heard = Clock::now();
        ByteReader in(m->bytes);
        if (m->tag == kAssign) {
          const auto task = in.get<std::uint64_t>();
          const auto handed_out = in.get<std::uint64_t>();
          if (task != kNoTask && task >= tasks) malformed(m->source, m->tag);
          source.granted(task == kNoTask ? std::nullopt : std::optional<TaskGrant>(TaskGrant{task, handed_out}));
        } else if (m->tag == kStop) {
          stop.store(true);
        } else if (m->tag != kPing) {
          malformed(m->source, m->tag);
        }
      }
      for (std::size_t n = source.requests_due(); n > 0; --n) comm_.send(0, kRequest, "");
      for (std::string& result : source.take_outbox()) comm_.send(0, kResult, std::move(result));
      if (stop.load() && !stop_reported) {  // a signal here, or a task that failed here
        comm_.send(0, kStopped, ByteWriter().put<int>(options_.signal ? options_.signal->load() : 0).take());
        stop_reported = true;
      }
      const auto now = Clock::now();
      if (now >= next_beat) {
        ByteWriter beat;
        beat.put<std::uint64_t>(meter ? meter->spikes() : 0);
        const std::vector<std::size_t> running = source.running();
        beat.put<std::uint64_t>(running.size());
        for (std::size_t task : running) beat.put<std::uint64_t>(task).put(meter ? meter->reached_ms(task) : 0.0);
        comm_.send(0, kProgress, beat.take());
        next_beat = now + kHeartbeatPeriod;
      }
      if (local.done()) {
        BatchResult result = local.join();
        for (std::string& r : source.take_outbox()) comm_.send(0, kResult, std::move(r));
        comm_.send(0, kDone, ByteWriter().put<std::uint64_t>(result.networks_built).take());
        return result;
      }
      if (now - heard > silence) {
        // Rank 0 is gone and the launcher let this rank run on: stop, keep what is done, end the job.
        stop.store(true);
        source.close();
        local.join();
        std::fprintf(stderr,
                     "spikeq: rank %d: rank 0 stopped answering for %s s; trials finished here are complete, "
                     "`spikeq recover %s` rebuilds the rest and the indexes\n",
                     comm_.rank(), seconds_text(options_.silence_s).c_str(), options_.dir.c_str());
        comm_.abort(1);
      }
      if (!busy) std::this_thread::sleep_for(kIdleSleep);
    }
    } catch (const std::exception& e) {
      source.close();
      give_up(comm_, stop, local, e.what());
    }
  }

  // Rank 0.
  Dispatcher dispatcher(tasks, stop);
  bo.tasks = &dispatcher;
  struct Peer {
    Clock::time_point heard;
    bool done = false, lost = false;
    std::uint64_t spikes = 0;
  };
  std::vector<Peer> peers(static_cast<std::size_t>(comm_.size()), Peer{Clock::now()});
  peers[0].done = true;
  std::vector<int> owner(tasks, 0);
  std::vector<char> started(tasks, 0), reported(tasks, 0);
  std::vector<std::pair<std::size_t, TrialResult>> remote;
  std::uint64_t remote_built = 0;
  bool stop_sent = false;
  auto next_ping = Clock::now();
  const auto start = [&](std::size_t task) {
    if (meter && !started[task]) meter->started(task);
    started[task] = 1;
  };
  const auto handle = [&](const comm::Message& m) {
    Peer& peer = peers[static_cast<std::size_t>(m.source)];
    peer.heard = Clock::now();
    ByteReader in(m.bytes);
    switch (m.tag) {
      case kRequest: {
        const std::optional<TaskGrant> grant = peer.lost ? std::nullopt : dispatcher.take();
        if (grant) owner[grant->task] = m.source;
        comm_.send(m.source, kAssign,
                   ByteWriter().put<std::uint64_t>(grant ? grant->task : kNoTask)
                       .put<std::uint64_t>(grant ? grant->handed_out : 0).take());
        break;
      }
      case kResult: {
        const auto task = in.get<std::uint64_t>();
        if (task >= tasks || owner[task] != m.source || reported[task]) malformed(m.source, m.tag);
        TrialResult r = get_trial_result(in);
        if (r.status == RunStatus::Failed) stop.store(true);  // as one process: a failure stops the others
        if (r.status != RunStatus::NotStarted) {
          start(task);
          if (meter) meter->finished(task, r.stats.simulated_ms, r.stats.events());
        }
        reported[task] = 1;
        remote.emplace_back(task, std::move(r));
        break;
      }
      case kProgress: {
        const auto spikes = in.get<std::uint64_t>();
        if (meter && spikes > peer.spikes) meter->add_spikes(spikes - peer.spikes);
        peer.spikes = std::max(peer.spikes, spikes);
        const std::uint64_t n = in.get_count(sizeof(std::uint64_t) + sizeof(double));
        for (std::uint64_t i = 0; i < n; ++i) {
          const auto task = in.get<std::uint64_t>();
          const double reached_ms = in.get<double>();
          if (task >= tasks) malformed(m.source, m.tag);
          if (reported[task]) continue;
          start(task);
          if (meter) meter->reached(task, reached_ms);
        }
        break;
      }
      case kStopped: {
        int signal = in.get<int>();
        if (signal != 0 && options_.signal) {
          int none = 0;
          options_.signal->compare_exchange_strong(none, signal);  // rank 0's own signal, if any, wins
        }
        stop.store(true);
        break;
      }
      case kDone:
        remote_built += in.get<std::uint64_t>();
        peer.done = true;
        break;
      default:
        malformed(m.source, m.tag);
    }
  };

  BatchThread local(points, bo);
  auto last_turn = Clock::now();
  try {
  for (;;) {
    const auto turn = Clock::now();
    if (turn - last_turn > kOwnPause)
      for (Peer& peer : peers) peer.heard += turn - last_turn;
    last_turn = turn;
    bool busy = false;
    while (std::optional<comm::Message> m = comm_.poll()) {
      busy = true;
      handle(*m);
    }
    const auto now = Clock::now();
    if (stop.load() && !stop_sent) {
      for (int r = 1; r < comm_.size(); ++r)
        if (!peers[static_cast<std::size_t>(r)].done && !peers[static_cast<std::size_t>(r)].lost)
          comm_.send(r, kStop, "");
      stop_sent = true;
    }
    if (now >= next_ping) {
      for (int r = 1; r < comm_.size(); ++r)
        if (!peers[static_cast<std::size_t>(r)].done && !peers[static_cast<std::size_t>(r)].lost)
          comm_.send(r, kPing, "");
      next_ping = now + kPingPeriod;
    }
    bool all_done = local.done();
    for (int r = 1; r < comm_.size(); ++r) {
      Peer& peer = peers[static_cast<std::size_t>(r)];
      if (!peer.done && !peer.lost && now - peer.heard > silence) {
        peer.lost = true;  // its running tasks are failed below; the others stop
        lost_.push_back(r);
        stop.store(true);
      }
      all_done = all_done && (peer.done || peer.lost);
    }
    if (all_done) break;
    if (!busy) std::this_thread::sleep_for(kIdleSleep);
  }
  } catch (const std::exception& e) {
    give_up(comm_, stop, local, e.what());
  }

  BatchResult result = local.join();
  for (auto& [task, r] : remote) {
    r.rank = owner[task];
    result.points[task / options.trials].trials[task % options.trials] = std::move(r);
  }
  for (std::size_t task = 0; task < tasks; ++task) {
    if (owner[task] == 0 || reported[task]) continue;
    // Granted to a rank taken for dead: whatever it did is lost with it.
    TrialResult& t = result.points[task / options.trials].trials[task % options.trials];
    t.rank = owner[task];
    t.status = RunStatus::Failed;
    t.runtime_error = true;
    t.error = "rank " + std::to_string(owner[task]) + " stopped answering for " + seconds_text(options_.silence_s) +
              " s (killed, or its node is gone); its running trials are lost: `spikeq recover " + options_.dir +
              "` rebuilds their files";
    if (meter && started[task]) meter->finished(task, 0, 0);
  }
  for (PointResult& p : result.points) aggregate_trials(p);
  result.networks_built += remote_built;
  result.ranks = static_cast<unsigned>(comm_.size());
  result.interrupted = stop.load();
  result.wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
  return result;
}

}  // namespace spikeq::batch
