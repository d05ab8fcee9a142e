// Progress of a batch of runs (trials × sweep points), for the display of
// `spikeq run`: lock-free counters the tasks update once per batch of spikes,
// and a thread that reads them and draws one line on stderr.
//
// The drivers are not touched: a task's simulated time is seen through its
// sink (ProgressSink), as the time of the last spike handed over. Batches come
// once per epoch, so this lags the true time by the silence since the last
// spike; a finished task counts its whole duration.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/core/recording.h"

namespace spikeq::inline batch {

class ProgressMeter {
 public:
  // One entry per task: its simulated duration, ms.
  explicit ProgressMeter(std::vector<double> task_duration_ms);

  void started(std::size_t task);
  void reached(std::size_t task, double t_ms);  // monotone; called from the task's thread
  void add_spikes(std::size_t count);
  void finished(std::size_t task, double simulated_ms, std::uint64_t events);

  struct Snapshot {
    std::size_t tasks = 0, done = 0, running = 0;
    double simulated_ms = 0, total_ms = 0;  // summed over tasks
    std::uint64_t events_done = 0;          // of finished tasks
    double simulated_done_ms = 0;           // of finished tasks
    std::uint64_t spikes = 0;               // handed to sinks so far
    double elapsed_s = 0;
  };
  Snapshot snapshot() const;
  double reached_ms(std::size_t task) const;  // as last reported (0 before)
  std::uint64_t spikes() const;               // handed to sinks so far

 private:
  std::vector<double> duration_ms_;
  std::unique_ptr<std::atomic<double>[]> reached_ms_;
  std::atomic<std::size_t> done_{0}, running_{0};
  std::atomic<std::uint64_t> events_{0}, spikes_{0};
  std::atomic<double> done_ms_{0};
  std::chrono::steady_clock::time_point start_;
};

// "3/8 tasks done, 2 running | 4.20/8.00 s simulated (52%) | 1.3e+07 events/s | ETA 0:12"
// Events are counted when a task ends; the rate is the finished tasks' events per
// simulated ms times all the time simulated so far, per wall second.
std::string format_progress(const ProgressMeter::Snapshot& s);

// Forwards to `inner` and reports the task's progress.
class ProgressSink : public RunSink {
 public:
  ProgressSink(RunSink& inner, ProgressMeter* meter, std::size_t task)
      : inner_(inner), meter_(meter), task_(task) {}
  void spikes(std::span<const SpikeRecord> batch) override;
  void samples(std::span<const VoltageSample> batch) override;

 private:
  RunSink& inner_;
  ProgressMeter* meter_;
  std::size_t task_;
};

// Draws the meter on `out` until destroyed: on a terminal one line rewritten in
// place every `tty_period`; otherwise a plain line every `plain_period`. The
// destructor prints the final state as a last line.
class ProgressDisplay {
 public:
  ProgressDisplay(const ProgressMeter& meter, std::FILE* out, bool terminal,
                  std::chrono::milliseconds tty_period = std::chrono::milliseconds(200),
                  std::chrono::milliseconds plain_period = std::chrono::milliseconds(10000));
  ~ProgressDisplay();
  ProgressDisplay(const ProgressDisplay&) = delete;
  ProgressDisplay& operator=(const ProgressDisplay&) = delete;

 private:
  void loop();
  void draw(bool final_line);

  const ProgressMeter& meter_;
  std::FILE* out_;
  bool terminal_;
  std::chrono::milliseconds period_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace spikeq::batch
