#include "progress_watch.h"

namespace spikeq::python {

ProgressWatch::ProgressWatch(py::object callback, std::chrono::milliseconds period)
    : callback_(std::move(callback)), period_(period) {}

ProgressWatch::~ProgressWatch() {
  if (thread_.joinable()) {  // watch(nullptr) was not reached: stop without the GIL
    py::gil_scoped_release free;
    watch(nullptr);
  }
}

void ProgressWatch::watch(const ProgressMeter* meter) {
  if (!active()) return;
  if (meter) {
    if (thread_.joinable()) watch(nullptr);
    stop_ = false;
    thread_ = std::thread([this, meter] { loop(meter); });
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ProgressWatch::loop(const ProgressMeter* meter) {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    const bool stopping = wake_.wait_for(lock, period_, [this] { return stop_; });
    lock.unlock();
    report(*meter, stopping);
    lock.lock();
    if (stopping) return;
  }
}

void ProgressWatch::report(const ProgressMeter& meter, bool final_call) {
  if (failed_) return;
  const ProgressMeter::Snapshot s = meter.snapshot();
  py::gil_scoped_acquire gil;
  try {
    py::dict d;
    d["tasks"] = s.tasks;
    d["done"] = s.done;
    d["running"] = s.running;
    d["simulated_ms"] = s.simulated_ms;
    d["total_ms"] = s.total_ms;
    d["spikes"] = s.spikes;
    d["events_done"] = s.events_done;
    d["simulated_done_ms"] = s.simulated_done_ms;
    d["elapsed_s"] = s.elapsed_s;
    d["final"] = final_call;
    callback_(d);
  } catch (py::error_already_set& e) {
    failed_ = true;  // a broken progress bar must not break the run
    e.restore();
    PyErr_WriteUnraisable(callback_.ptr());
  }
}

}  // namespace spikeq::python
