// The sink of an in-memory run (`spikeq.run(net)` without `out`): spikes and
// voltage samples go into growable arrays (growable_array.h) laid out as the
// Python reader of run directories returns them (tools/python/spikeq_run.py), so
// that NumPy arrays can take the memory over without a copy:
//   per population  times_ms (float64) and node_ids (uint64, local), time order;
//   per probe       times_ms [T] and v_mv [T, n] row-major, n = the probe's
//                   columns (RunLayout::probe_columns: sorted node ids), one row
//                   per sampled instant; when several probe times share one grid
//                   point (stepped runs) the instant has that many rows, as in
//                   voltages.h5.
// Memory: every byte mapped by the arrays of one batch is counted; above the
// limit the sink sets `exceeded` and the stop flag, so the run ends at its next
// epoch instead of exhausting the machine.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

#include "engine/core/network.h"
#include "engine/core/recording.h"
#include "growable_array.h"

namespace spikeq::python {

struct MemoryLimit {
  std::atomic<std::int64_t>* mapped_bytes = nullptr;  // shared by the tasks of a batch
  std::int64_t limit_bytes = 0;                       // 0: none
  std::atomic<bool>* stop = nullptr;                  // set when the limit is passed
  std::atomic<bool>* exceeded = nullptr;
};

class MemorySink : public RunSink {
 public:
  struct Population {
    GrowableArray<double> times_ms;
    GrowableArray<std::uint64_t> node_ids;
  };
  struct Probe {
    std::uint32_t population = 0;
    std::vector<std::uint64_t> columns;
    GrowableArray<double> times_ms;
    GrowableArray<double> v_mv;
    double group_ms = 0;        // the instant whose samples are arriving
    std::size_t group_count = 0;
  };

  MemorySink(const Network& network, const MemoryLimit& limit);
  void spikes(std::span<const SpikeRecord> batch) override;
  void samples(std::span<const VoltageSample> batch) override;
  // After the driver returned: closes each probe's last instant.
  void finish();

  std::vector<Population>& populations() { return populations_; }
  std::vector<Probe>& probes() { return probes_; }

 private:
  void close_group(Probe& probe);
  void check_limit();

  const Network& net_;
  MemoryLimit limit_;
  std::vector<Population> populations_;
  std::vector<Probe> probes_;
  std::vector<double> scratch_;  // one instant's samples while they are reordered
};

}  // namespace spikeq::python
