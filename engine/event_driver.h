// Exact event-driven simulation of one trial (physics.md §1–§3, no time step).
//
// Scheduling has two levels:
//  * global: a DeliveryQueue of spike deliveries, one entry per spike and delay
//    group, ordered by (time, source, group);
//  * per node: the node's own upcoming events — the next arrival of each merged
//    input train, a predicted threshold crossing (sigma = 0, drift above
//    threshold), the next probe sample — kept as `next_internal_ms` and processed
//    lazily: before a pulse reaches a node at t, the node first handles its own
//    events earlier than t, in time order.
// Time advances in minimum-delay epochs [T, T + d_min): no spike emitted inside
// an epoch can reach anyone before its end, so within an epoch every node's
// events are independent of other nodes' and each node is simply brought up to
// the epoch end at its close. This is the split NEST and Arbor use for threads
// and MPI ranks; here it also bounds how long spikes wait before being sorted
// and handed to the sink.
//
// Tie-breaks (all deterministic): deliveries by (time, source, group); within a
// node, internal events strictly earlier than a delivery go first, an internal
// event at exactly the delivery time goes after it; among a node's internal
// events at one time: input trains in projection order, then the predicted
// crossing, then probe samples in probe order.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "engine/delivery_queue.h"
#include "engine/network.h"
#include "engine/recording.h"
#include "engine/rng.h"

namespace spikeq {

struct RunStats {
  std::vector<std::uint64_t> spikes_per_population;
  // false for Poisson populations that only feed independent trains and are not
  // recorded: their own spikes are never generated, so they have no count.
  std::vector<bool> population_simulated;
  std::uint64_t recurrent_pulses = 0;   // pulses delivered through the graph
  std::uint64_t external_pulses = 0;    // arrivals of independent Poisson input trains
  std::uint64_t queue_entries = 0;      // deliveries pushed to the global queue
  double simulated_ms = 0;              // time reached (the duration unless interrupted)
  bool interrupted = false;
  std::uint64_t events() const { return recurrent_pulses + external_pulses; }
};

class EventDriver {
 public:
  // `stop`, when set by another thread or a signal handler, ends the run at the
  // next epoch boundary with everything up to it delivered to the sink.
  EventDriver(const Network& network, std::uint64_t trial, RunSink& sink,
              const std::atomic<bool>* stop = nullptr);
  ~EventDriver();
  RunStats run();

 private:
  struct PopulationModel;
  struct Membrane {
    // V itself, or for "scaled" populations (sigma = 0, see PopulationModel) the
    // scaled deviation u = (V - m) e^((t - base)/tau), which is constant between
    // pulses: V(t) = m + u e^(-(t - base)/tau). A recurrent spike reaches all its
    // targets at one time t, so e^((t - base)/tau) is computed once per delivery
    // instead of once per target.
    double v_mv;
    // Time V was last brought up to. After a spike it is set to the end of the
    // refractory period: V is clamped at v_reset until then, so a pulse earlier
    // than t_last_ms is one that arrives while refractory, and is dropped.
    double t_last_ms;
    double next_internal_ms;  // earliest of the node's own pending events
    // Which one it is: an index into trains_, or kCrossing, or kProbe + index into probes_.
    std::uint32_t next_internal;
  };
  static constexpr std::uint32_t kCrossing = 0xffffffffu;
  static constexpr std::uint32_t kProbe = 0x80000000u;
  // Merged independent Poisson trains of one (projection, target). One cache line:
  // the arrival loop touches nothing else of it.
  struct alignas(64) InputTrain {
    double next_ms;
    double rate_per_ms;
    StreamCursor rng;  // stream (InputTrain, projection, local_target)
    std::uint32_t projection;
    std::uint32_t local_target;
  };
  struct SourceTrain {  // a Poisson node's own train (recorded and/or shared)
    double next_ms;
    RngStream rng;
  };
  struct ProbeCursor {
    double next_ms;
    std::uint32_t probe;
    // Sample j is at start + j * interval, computed rather than accumulated; the
    // number of samples is fixed up front (probe_samples_), so rounding can neither
    // add nor drop the last one.
    std::uint32_t next_index;
  };

  void init_state();
  void run_epoch(double t_end, bool last);
  void emit_source_spikes(double t_end);
  void deliver(const Delivery& d);
  void advance(NodeId n, double t_until);
  void sample_probe(NodeId n, std::uint32_t probe_cursor, double t);
  // `scale` is e^((t - base)/tau) of n's population when it is scaled (else unused).
  void pulse(NodeId n, double t, double w_mv, const PopulationModel& pm, double scale);
  void propagate(NodeId n, double t);
  double voltage_at(NodeId n, double t);
  double scale_at(const PopulationModel& pm, double t) const;
  void rebase_scaled(NodeId n, const PopulationModel& pm, double new_base_ms);
  void propagate_noisy(NodeId n, double t);
  void spike(NodeId n, double t);
  void refresh_next_internal(NodeId n);
  double next_interval_ms(InputTrain& train) const;
  void flush_epoch();

  const Network& net_;
  std::uint64_t trial_;
  RunSink& sink_;
  const std::atomic<bool>* stop_;
  double duration_ms_;
  double epoch_ms_;
  double base_ms_ = 0;  // time origin of the scaled membranes (the current epoch start)

  std::vector<PopulationModel> models_;
  std::vector<Membrane> membrane_;        // indexed by global node id (LIF nodes)
  std::vector<double> crossing_ms_;       // predicted crossing (drift above threshold)
  std::vector<std::uint32_t> train_begin_;  // node -> its InputTrains [begin, begin+1)
  std::vector<InputTrain> trains_;
  std::vector<std::uint32_t> probe_begin_;
  std::vector<ProbeCursor> probes_;
  std::vector<std::uint64_t> probe_samples_;  // per probe: samples in [start, duration]
  std::vector<RngStream> noise_rng_;      // per node, populations with sigma > 0
  std::vector<std::vector<SourceTrain>> source_trains_;  // per Poisson population
  std::vector<double> weight_mv_;         // per projection

  DeliveryQueue queue_;
  std::vector<SpikeRecord> epoch_spikes_;
  std::vector<VoltageSample> epoch_samples_;
  RunStats stats_;
};

}  // namespace spikeq
