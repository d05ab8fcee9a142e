// Stopping long loops on request: SIGINT/SIGTERM, or a sibling task that failed.
//
// The signal handlers of `spikeq run` only set an atomic flag. Every loop that
// can run long (OU pieces, probe samples, source and input-train arrivals, the
// epoch and step loops, the network build, the HDF5 build) polls it through a
// StopCheck: tick(cost) subtracts `cost` from a counter held in the object, and
// only when the counter runs out does poll() load the flag (relaxed) and throw
// Stopped if it is set. A loop thus pays a decrement and a never-taken branch per
// iteration; nothing is added per pulse in the delivery fan-out. kPeriod work
// units (one unit ~ one cheap iteration, 10-100 ns) keep a stop seen within a few
// milliseconds.
//
// Stopped unwinds to the owner of the loop's result, which decides what the stop
// leaves (documented there): EventDriver ends the run at the start of the epoch
// it was in, SteppedDriver after its last whole epoch, Network builds nothing,
// RunRecorder::finish keeps the journals for `spikeq recover`.
//
// Test seam: the environment variable SPIKEQ_FAULT_BAD_ALLOC=SITE makes the
// first fault_point(SITE) of the process throw std::bad_alloc, as a failed
// allocation there would: `build` (the network build, as it starts) or `run`
// (the simulation, after the first epoch's or flush's output reached the sink). Tests use it to check that an out-of-memory failure still leaves a
// manifest with "status": "failed".
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>

namespace spikeq {

// Thrown by StopCheck when a stop was requested; caught by the loop's owner.
struct Stopped : std::exception {
  const char* what() const noexcept override { return "interrupted"; }
};

class StopCheck {
 public:
  static constexpr std::int64_t kPeriod = 1 << 14;

  explicit StopCheck(const std::atomic<bool>* flag = nullptr) : flag_(flag) {}

  // One iteration of `cost` work units; throws Stopped when asked to stop.
  void tick(std::int64_t cost = 1) {
    countdown_ -= cost;
    if (countdown_ <= 0) [[unlikely]] poll();
  }
  // Checks the flag now (throws Stopped if set) and restarts the count.
  void poll();
  // The flag, without throwing.
  bool requested() const { return flag_ && flag_->load(std::memory_order_relaxed); }

 private:
  const std::atomic<bool>* flag_;
  std::int64_t countdown_ = kPeriod;
};

// Test seam (see above): throws std::bad_alloc at the first call with the site
// named by SPIKEQ_FAULT_BAD_ALLOC ("build" | "run"), once per process.
void fault_point(const char* site);

}  // namespace spikeq
