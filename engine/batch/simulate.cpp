#include "engine/batch/simulate.h"

#include "engine/event/event_driver.h"
#include "engine/stepped/stepped_driver.h"

namespace spikeq::inline batch {

RunStats simulate(const Network& net, std::uint64_t trial, RunSink& sink, const std::atomic<bool>* stop,
                  unsigned threads, EpochExchange* exchange) {
  if (net.spec().simulation.mode == SimMode::Stepped) {
    SteppedDriver driver(net, trial, sink, stop, threads, exchange);
    return driver.run();
  }
  EventDriver driver(net, trial, sink, stop, threads, exchange);
  return driver.run();
}

}  // namespace spikeq::batch
