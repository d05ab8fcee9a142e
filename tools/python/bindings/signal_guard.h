// Ctrl-C while the engine runs from Python. Python's own SIGINT handler only
// notes the signal for the interpreter, which cannot act on it while a run holds
// no GIL; so for the run's duration SIGINT and SIGTERM get a C handler that sets
// the run's stop flag (the engine ends at its next epoch, engine/core/stop_check.h),
// and the previous handlers come back when the guard ends. Several runs at once
// (Python threads) each register their flag; the handlers are installed by the
// first and restored by the last. A SIGTERM received is raised again once the
// handlers are restored (StopOnSignal::reraise_sigterm), so the process still
// ends as asked — after the run has been stopped and its data kept.
#pragma once

#include <atomic>

namespace spikeq::python {

class StopOnSignal {
 public:
  explicit StopOnSignal(std::atomic<bool>& stop);
  ~StopOnSignal();
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;

  // The signal that stopped the run (SIGINT, SIGTERM), or 0.
  int received() const;

 private:
  std::atomic<bool>* stop_;
  int slot_ = -1;
};

// Keeps the process's SIGINT/SIGTERM handlers as they are now and puts them back
// when it ends: around code that installs its own (the CLI's run_command).
class KeepSignalHandlers {
 public:
  KeepSignalHandlers();
  ~KeepSignalHandlers();
  KeepSignalHandlers(const KeepSignalHandlers&) = delete;
  KeepSignalHandlers& operator=(const KeepSignalHandlers&) = delete;

 private:
  struct Saved;
  Saved* saved_;
};

// After the handlers are restored: a run stopped by SIGTERM raises it again.
void reraise_sigterm(int received);

}  // namespace spikeq::python
