// A run's progress shown from Python while the run holds no GIL: a thread reads
// the run's ProgressMeter (engine/batch/progress.h) every `period` and calls a Python
// callable with the GIL held, with a dict of the snapshot (tasks, done, running,
// simulated_ms, total_ms, spikes, events_done, simulated_done_ms, elapsed_s,
// final). The package's callable draws a tqdm bar or a plain line.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "bindings.h"
#include "engine/batch/progress.h"

namespace spikeq::python {

class ProgressWatch {
 public:
  // `callback` None: watches nothing. Create and destroy with the GIL held.
  ProgressWatch(py::object callback, std::chrono::milliseconds period);
  ~ProgressWatch();
  ProgressWatch(const ProgressWatch&) = delete;
  ProgressWatch& operator=(const ProgressWatch&) = delete;

  // Without the GIL: starts watching `meter`, or with nullptr stops (a last call
  // with final = True) and waits for the thread, before the meter goes away.
  void watch(const ProgressMeter* meter);
  bool active() const { return !callback_.is_none(); }

 private:
  void loop(const ProgressMeter* meter);
  void report(const ProgressMeter& meter, bool final_call);

  py::object callback_;
  std::chrono::milliseconds period_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool failed_ = false;  // the callback raised: it is not called again
  std::thread thread_;
};

}  // namespace spikeq::python
