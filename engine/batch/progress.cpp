#include "engine/batch/progress.h"

#include <algorithm>
#include <cmath>

namespace spikeq::inline batch {

ProgressMeter::ProgressMeter(std::vector<double> task_duration_ms)
    : duration_ms_(std::move(task_duration_ms)),
      reached_ms_(new std::atomic<double>[duration_ms_.size()]),
      start_(std::chrono::steady_clock::now()) {
  for (std::size_t i = 0; i < duration_ms_.size(); ++i) reached_ms_[i].store(0, std::memory_order_relaxed);
}

void ProgressMeter::started(std::size_t) { running_.fetch_add(1, std::memory_order_relaxed); }

void ProgressMeter::reached(std::size_t task, double t_ms) {
  if (task < duration_ms_.size()) reached_ms_[task].store(t_ms, std::memory_order_relaxed);
}

void ProgressMeter::add_spikes(std::size_t count) { spikes_.fetch_add(count, std::memory_order_relaxed); }

void ProgressMeter::finished(std::size_t task, double simulated_ms, std::uint64_t events) {
  reached(task, simulated_ms);
  events_.fetch_add(events, std::memory_order_relaxed);
  done_ms_.fetch_add(simulated_ms, std::memory_order_relaxed);
  running_.fetch_sub(1, std::memory_order_relaxed);
  done_.fetch_add(1, std::memory_order_relaxed);
}

ProgressMeter::Snapshot ProgressMeter::snapshot() const {
  Snapshot s;
  s.tasks = duration_ms_.size();
  s.done = done_.load(std::memory_order_relaxed);
  s.running = running_.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < duration_ms_.size(); ++i) {
    s.total_ms += duration_ms_[i];
    s.simulated_ms += std::min(reached_ms_[i].load(std::memory_order_relaxed), duration_ms_[i]);
  }
  s.events_done = events_.load(std::memory_order_relaxed);
  s.simulated_done_ms = done_ms_.load(std::memory_order_relaxed);
  s.spikes = spikes_.load(std::memory_order_relaxed);
  s.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return s;
}

double ProgressMeter::reached_ms(std::size_t task) const {
  return task < duration_ms_.size() ? reached_ms_[task].load(std::memory_order_relaxed) : 0;
}

std::uint64_t ProgressMeter::spikes() const { return spikes_.load(std::memory_order_relaxed); }

std::string format_progress(const ProgressMeter::Snapshot& s) {
  char line[256];
  const double fraction = s.total_ms > 0 ? s.simulated_ms / s.total_ms : 0;
  char rate[32] = "-";
  if (s.events_done > 0 && s.simulated_done_ms > 0 && s.elapsed_s > 0)
    std::snprintf(rate, sizeof rate, "%.3g",
                  static_cast<double>(s.events_done) / s.simulated_done_ms * s.simulated_ms / s.elapsed_s);
  char eta[32] = "-";
  if (fraction > 0 && fraction < 1) {
    const double left = s.elapsed_s * (1 - fraction) / fraction;
    const long secs = std::lround(left);
    std::snprintf(eta, sizeof eta, "%ld:%02ld", secs / 60, secs % 60);
  } else if (fraction >= 1) {
    std::snprintf(eta, sizeof eta, "0:00");
  }
  std::snprintf(line, sizeof line,
                "%zu/%zu tasks done, %zu running | %.3f/%.3f s simulated (%.0f%%) | %s events/s | ETA %s",
                s.done, s.tasks, s.running, s.simulated_ms * 1e-3, s.total_ms * 1e-3, 100 * fraction, rate, eta);
  return line;
}

void ProgressSink::spikes(std::span<const SpikeRecord> batch) {
  inner_.spikes(batch);
  if (meter_ && !batch.empty()) {
    meter_->add_spikes(batch.size());
    meter_->reached(task_, batch.back().time_ms);  // batches are in time order
  }
}

void ProgressSink::samples(std::span<const VoltageSample> batch) {
  inner_.samples(batch);
  if (meter_ && !batch.empty()) meter_->reached(task_, batch.back().time_ms);
}

ProgressDisplay::ProgressDisplay(const ProgressMeter& meter, std::FILE* out, bool terminal,
                                 std::chrono::milliseconds tty_period, std::chrono::milliseconds plain_period)
    : meter_(meter), out_(out), terminal_(terminal), period_(terminal ? tty_period : plain_period) {
  thread_ = std::thread([this] { loop(); });
}

ProgressDisplay::~ProgressDisplay() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
  draw(true);
}

void ProgressDisplay::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!wake_.wait_for(lock, period_, [this] { return stop_; })) draw(false);
}

void ProgressDisplay::draw(bool final_line) {
  const std::string line = format_progress(meter_.snapshot());
  if (terminal_) {
    std::fprintf(out_, "\r%s\x1b[K%s", line.c_str(), final_line ? "\n" : "");
  } else {
    std::fprintf(out_, "progress: %s\n", line.c_str());
  }
  std::fflush(out_);
}

}  // namespace spikeq::batch
