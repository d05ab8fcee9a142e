// Exact event-driven simulation of one trial (models/README.md §1–§3, no time step).
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
// Threads. One network runs over T threads by that split: the nodes are cut into
// T blocks of consecutive ids (about equal LIF counts), and in each epoch every
// block walks the same list of the epoch's deliveries (taken from the queue in
// (time, source, group) order before the epoch starts) and takes only the pulses
// of its own targets (a delay group's row is ascending in target, so the block's
// part of a row is found by binary search). A block writes only its own nodes'
// state and its own scratch (spikes, samples, outgoing deliveries, counts); the
// blocks' outgoing deliveries enter the queue and their spikes the sink at the
// epoch's end. What a node does depends only on the pulses that reach it and on
// its own random streams, never on which block or thread it is in, and every
// merge is into a total order (queue by (time, source, group), spikes by (time,
// node), samples by (time, probe, node)), so the output is identical for every T.
// Serial per epoch: taking the deliveries off the queue, Poisson source trains,
// pushing the epoch's outgoing deliveries, handing the output to the sink.
//
// Processes (MPI ranks, engine/core/epoch_exchange.h). With an EpochExchange of
// R processes, process r owns the r-th of R ranges of consecutive node ids (about
// equal LIF counts, engine/core/rank_share.h), cut further into its T thread blocks, and simulates only
// those nodes. Its Network need only hold the edges into them: the whole
// network, or the part of process r (engine/core/network.h, "Parts"), whose rows
// hold only its targets. At each epoch end the processes trade the deliveries
// their spikes cause (everyone's go into every heap), the recorded spikes and
// samples (to rank 0, whose sink alone receives output) and the stop flags (so
// all stop at the same epoch); the counts are summed at the end. A spike is
// queued for each delay group whose row has edges in the whole network
// (Network::group_edges_all_ranks), not in the part held here, since the row's
// targets may all be on other processes. Every process emits every Poisson
// source's train (cheap, and no trade before the epoch), but only rank 0
// records and counts them. Since every node sees the same pulses as in one
// process, the output is identical for every R and T.
//
// Simultaneous pulses (models/README.md §3, "Simultaneous pulses"). Everything that
// reaches a node at one instant t is one jump of the summed weight, followed by
// one threshold test: the pulses of every delivery with time t (any sources, any
// delay groups, a target listed twice in one group) and the node's input-train
// arrivals at exactly t. A refractory node drops the whole sum; a node fires at
// most once at t (t_ref = 0 still makes it refractory at t itself).
// How: the deliveries of an instant are popped together. One delivery whose
// targets are distinct (the common case) is fanned out as it is. Otherwise the
// targets hit more than once are found first (one mark byte per node), their
// pulses are counted per projection, and each takes, after the others, the jump
//   sum over the projections into its population, in netdef order, of count x weight.
// So a jump depends on which pulses arrived, never on the order the deliveries
// were popped in (node numbering), and a lone pulse is exactly its weight. Input
// trains arriving at t add their weights in projection order.
//
// Order of one node's events at one instant t: (1) a predicted crossing at t fires
// the node (V reached theta from below at t); (2) the pulses of t make one jump,
// dropped if the node is refractory; (3) probe samples at t see V(t+). Events
// strictly earlier than t go first, in time order. Deliveries are popped by
// (time, source, group); the order in which targets are visited within an
// instant cannot change the result, since a spike at t reaches nobody before
// t + d_min.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/event/delivery_queue.h"
#include "engine/core/epoch_exchange.h"
#include "engine/core/network.h"
#include "engine/core/recording.h"
#include "engine/core/run_stats.h"
#include "engine/core/rng.h"
#include "engine/core/stop_check.h"

namespace spikeq::inline event {

class EventDriver {
 public:
  // `stop`, when set by another thread or a signal handler, ends the run within
  // milliseconds: at the epoch boundary reached, or, when seen inside an epoch, at
  // that epoch's start (the epoch's partial output is dropped). Either way the
  // sink holds exactly the uninterrupted run's output before stats.simulated_ms.
  // Other exceptions (std::bad_alloc) propagate.
  // `threads` (>= 1): how many threads the one network is split over; the
  // output does not depend on it. `exchange`: this is one of several processes
  // running the network together (see "Processes"); null: the only one.
  EventDriver(const Network& network, std::uint64_t trial, RunSink& sink,
              const std::atomic<bool>* stop = nullptr, unsigned threads = 1,
              EpochExchange* exchange = nullptr);
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

  // A thread's share of an epoch: nodes [first, last) and everything the block
  // writes besides its nodes' state. Blocks share nothing writable.
  struct Block {
    NodeId first = 0, last = 0;
    bool whole = false;  // every node: rows are taken whole, no search
    StopCheck stop_check;
    bool stopped = false;  // a stop was seen inside the epoch
    std::vector<NodeId> touched;  // targets hit more than once in this instant
    std::vector<SpikeRecord> spikes;
    std::vector<VoltageSample> samples;
    std::vector<Delivery> outgoing;  // of the epoch's spikes, queued at its end
    std::vector<std::uint64_t> spikes_per_population;
    std::uint64_t recurrent_pulses = 0, external_pulses = 0, queue_entries = 0;
  };
  // Targets [begin, end) of one delivery inside a block.
  struct Row {
    std::uint64_t begin, end;
  };

  void init_state();
  void init_pulse_counts();
  void init_blocks(unsigned threads);
  bool owns(NodeId n) const { return n >= own_first_ && n < own_last_; }
  void run_epochs();
  // Returns true when the processes agreed to stop after this epoch.
  bool run_epoch(double t_end, bool last);
  void take_epoch_deliveries(double t_end);
  void run_block(Block& b, double t_end, bool last);
  void end_epoch_nodes(Block& b, double t_end, bool last);
  void emit_source_spikes(Block& b, double t_end);
  void collect_counts(Block& b);

  // Delivery of one instant's spikes (see "Simultaneous pulses" above).
  static constexpr std::uint64_t kPrefetchAhead = 8;  // targets fetched ahead in fan-out loops
  void prefetch_target(NodeId n, bool has_trains) const;
  static constexpr std::uint8_t kUnmarked = 0, kSeen = 1, kSeveral = 2;  // instant_marks_
  struct ScaleCache;
  Row row_in(const Block& b, const Delivery& d) const;
  void deliver_single(Block& b, const Delivery& d, Row row);
  void deliver_coincident(Block& b, std::size_t first, std::size_t end);
  void prefetch_row(Row row) const;
  void mark_targets(Block& b, Row row);
  void start_counting(Block& b, NodeId n);
  // LastUnmarked: the row is the instant's last delivery and its targets were
  // not marked (they cannot repeat), so a kSeen target is found hit twice here.
  template <bool LastUnmarked>
  void take_pulses(Block& b, Row row, double t, ScaleCache& cache);
  // n's pulses at instant t, after its events before t: `recurrent_mv` (the sum
  // of the deliveries' weights) plus its own input-train arrivals at exactly t.
  // Inlined into the delivery loops (a call per pulse is measurable there).
  [[gnu::always_inline]] void receive(Block& b, NodeId n, double t, double recurrent_mv,
                                      const PopulationModel& pm, double scale);
  [[gnu::always_inline]] void receive(Block& b, NodeId n, double t, double recurrent_mv, const ScaleCache& cache);
  // At instant t (n's next own event): a crossing fires n, and the summed weight
  // of the input trains arriving at t is returned (the trains move on).
  double own_pulses_at(Block& b, NodeId n, double t);
  void advance(Block& b, NodeId n, double t_until);
  void sample_probe(Block& b, NodeId n, std::uint32_t probe_cursor, double t);
  // One jump of w_mv at t and one threshold test. `scale` is e^((t - base)/tau)
  // of n's population when it is scaled (else unused).
  [[gnu::always_inline]] void pulse(Block& b, NodeId n, double t, double w_mv, const PopulationModel& pm,
                                    double scale);
  void propagate(Block& b, NodeId n, double t);
  double voltage_at(Block& b, NodeId n, double t);
  double scale_at(const PopulationModel& pm, double t) const;
  void rebase_scaled(NodeId n, const PopulationModel& pm, double new_base_ms);
  void propagate_noisy(Block& b, NodeId n, double t);
  void spike(Block& b, NodeId n, double t);
  void refresh_next_internal(NodeId n);
  double next_interval_ms(InputTrain& train) const;
  void flush_epoch();

  const Network& net_;
  std::uint64_t trial_;
  RunSink& sink_;
  const std::atomic<bool>* stop_;
  EpochExchange* exchange_;
  NodeId own_first_ = 0, own_last_ = 0;  // this process's nodes
  bool records_sources_ = true;  // Poisson sources are counted and recorded here (rank 0)
  double duration_ms_;
  double epoch_ms_;
  double base_ms_ = 0;  // time origin of the scaled membranes (the current epoch start)

  std::vector<PopulationModel> models_;
  std::vector<Membrane> membrane_;        // indexed by global node id (LIF nodes)
  std::vector<double> crossing_ms_;       // predicted crossing (drift above threshold)
  std::vector<std::uint32_t> train_begin_;  // node -> its InputTrains [begin, begin+1)
  // No crossings, no probes, at most one train per node: a train's next arrival is
  // its node's next own event, with no scan (refresh_next_internal) needed.
  bool one_train_only_ = false;
  std::vector<InputTrain> trains_;
  std::vector<std::uint32_t> probe_begin_;
  std::vector<ProbeCursor> probes_;
  std::vector<std::uint64_t> probe_samples_;  // per probe: samples in [start, duration]
  std::vector<RngStream> noise_rng_;      // per node, populations with sigma > 0
  std::vector<std::vector<SourceTrain>> source_trains_;  // per Poisson population
  std::vector<double> weight_mv_;         // per projection

  DeliveryQueue queue_;
  double epoch_end_ms_ = 0;  // end of the epoch being run: no LIF spike is delivered before it
  // The epoch's deliveries in queue order, and where each instant starts in them
  // (one more entry: the end).
  std::vector<Delivery> epoch_deliveries_;
  std::vector<std::size_t> instant_starts_;
  std::vector<Delivery> outgoing_;  // the epoch's deliveries from all blocks (and processes)
  // Pulse counts of one instant (deliver_coincident): per node, one per slot,
  // valid for the nodes in touched_ (the targets hit more than once), which are
  // zeroed when first found so. Every mark is kUnmarked between instants.
  std::vector<std::uint32_t> projection_slot_;  // per projection: its slot in the target population
  std::vector<std::uint32_t> slot_projection_;  // per population and slot: the projection
  std::vector<std::uint32_t> pulse_counts_;
  std::uint32_t slots_ = 0;
  std::vector<std::uint8_t> instant_marks_;  // per node: kSeen (hit once so far), kSeveral
  // blocks_[0] alone does the serial work (source trains, spikes at t = 0) too.
  std::vector<Block> blocks_;
  struct Parallel;  // the task arena, when threads > 1
  std::unique_ptr<Parallel> parallel_;
  RunStats stats_;
};

}  // namespace spikeq::event
