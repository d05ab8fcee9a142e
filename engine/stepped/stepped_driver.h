// Time-stepped reference simulation of one trial (models/README.md §5, Q2 and Q8):
// the conventional grid simulator (NEST iaf_psc_delta, Brian2) that users compare
// the exact engine against, run from the same netdef. Same interface and output
// as EventDriver; the difference is the physics of the grid, stated here.
//
// Grid. t_k = k dt, k = 0..K, K dt = duration (a duration that is not a whole
// number of steps is refused). Step k moves the state from t_(k-1) to t_k, and
// everything that happens in it is stamped t_k (NEST's convention): spikes of a
// run lie in (0, duration], plus t = 0 for a node that starts at threshold.
// Delays and refractory periods are rounded to whole steps (round to nearest,
// halves up; engine/stepped/stepped_plan.h).
//
// Epochs. Let D = the smallest delay in steps of a projection from a LIF
// population (>= 1; the flush interval when there is none). Steps are taken in
// epochs of E = min(D, flush interval) steps (the last one shorter): no LIF spike
// of an epoch can reach any node before the epoch ends, so every LIF node can
// be advanced through a whole epoch on its own (the split NEST and Arbor use).
// Step 0 is an epoch of its own: a node that starts at or above threshold fires at t = 0.
// One epoch [k0, k1], in this order:
//  1. Poisson nodes with their own train (recorded, or feeding shared-train
//     projections) draw their spikes of steps k0..k1: each fires with
//     probability p = λ dt per step, independently (Bernoulli, models/README.md Q2;
//     p > 1 is refused). They are sorted by (step, node).
//  2. For k = k0..k1: the Poisson spikes of step k (in node order) add their
//     pulses into the targets' ring slots of steps k + d, d = round(delay/dt) >= 0:
//     a delay that rounds to 0 acts in this same step. Then each LIF node: its
//     input for the step is the ring-buffer slot of step k plus, for each
//     projection of independent Poisson trains into it, a count ~ Binomial(K_in, p)
//     times the weight — K_in the node's in-degree from that projection: the exact
//     sum of K_in independent Bernoulli sources (trains start after the
//     projection's delay, as in the event engine). If refractory, the input is
//     dropped and V stays at V_r. Otherwise V takes one integrator step
//     (models/lif_stepped.h: Euler–Maruyama by default, or the exact OU step), then
//     the step's summed pulses are added; if V >= theta the node spikes at t_k,
//     V = V_r, and it is refractory for the next R = round(t_ref/dt) steps (NEST's
//     RefractoryCounts: steps k+1..k+R ignore input and stay at V_r; step k+R+1
//     integrates again, so the effective refractory period is R dt). The threshold
//     is seen on grid points only. Then voltage probes: a probe time
//     t = start + j interval <= duration is sampled at the grid point round(t/dt),
//     after that step, reported with the grid time (V_r while refractory). Several
//     probe times may share a grid point.
//  3. The LIF spikes of the epoch, in (step, node) order, add their pulses along
//     their out-edges (CSR rows) into ring slot k + d, d = round(delay/dt) >= D
//     (a LIF-sourced delay shorter than dt is refused), so after the epoch.
// Order of summation: a ring slot receives its pulses epoch by epoch, in each
// epoch first the Poisson spikes' (by step, node, then edge), then the LIF
// spikes' (same order). This order is a property of the network and dt alone,
// which is what makes the output identical for every number of threads.
// (Before threads, a slot summed everything in step order; the two orders differ,
// at the rounding level only, where a Poisson shared-train spike and an earlier
// LIF spike of the same epoch reach one slot.)
// Spikes and samples go to the sink at the end of the first epoch that reaches a
// multiple of ~10 ms of simulated time (one batch), sorted by (time, node) and
// (time, probe, node); the stop flag is checked after every epoch, and a stop
// hands over the epochs done (a prefix of the run).
//
// Threads: `threads` > 1 splits the LIF nodes into that many contiguous blocks of
// about equal size (at most one per node) run in a oneTBB arena of that size,
// each on its own thread (static partition). In one parallel pass per epoch a
// block adds the pulses of every block's LIF spikes of the previous epoch into
// its own nodes' ring slots (step 3 of that epoch: none of them arrives earlier),
// then advances its nodes through the epoch (step 2, fanning the Poisson spikes
// into its own nodes only). Nothing is written by two blocks: each has its own
// spike, sample and counter buffers, merged at a flush. A block finds its part of a CSR row by
// binary search when the row is sorted by target, otherwise by testing each edge.
// One thread takes the same path with one block and no arena. Spikes, samples
// and RunStats are identical for every number of threads.
//
// Processes (MPI ranks, engine/core/epoch_exchange.h). With an EpochExchange of
// R processes, process r owns the r-th of R ranges of the LIF nodes
// (engine/core/rank_share.h, the event engine's split), cut further into its T
// blocks, and only those nodes are advanced (and only they get input trains).
// The epoch's end is the exchange point: each process sends its LIF spikes of
// the epoch, (step, node) as a node list and an index per step (4 bytes per
// spike plus 4 per step), and every process merges them step by step in rank
// order, which is (step, node) order: the same list one process would fan out,
// so every ring slot sums the same pulses in the same order. Every process
// draws every Poisson node's spikes (its own stream, no trade needed), but only
// rank 0 records and counts them, and counts the fan-outs; the recorded spikes
// and samples of the others travel to rank 0 in the same trade, with the stop
// flag (OR-ed, so every process stops after the same epoch); the counts are
// summed at the end. Output and RunStats are identical for every R and T.
//
// Ring buffers (NEST-style): ring_slots = max delay in steps + 1 rows, one double
// per LIF node each, stored slot-major so a step reads one contiguous row and a
// fan-out writes one row in target order. Neuron state is structure-of-arrays.
// Nothing is allocated per step once the output buffers have grown.
//
// Randomness: counter-based streams as in the event engine, keyed (seed, trial),
// named (purpose, a, b) with purposes of their own, so no stepped draw ever
// reuses an event-engine number: SteppedSource (population, node) for Bernoulli
// trains, SteppedInput (projection, target) for merged trains, SteppedNoise
// (population, node) for membrane noise. Initial V uses the event engine's
// InitialState stream on purpose: both engines start from the same state.
// Same seed, trial and dt give byte-identical output, on any number of threads.
//
// RunStats: recurrent_pulses = pulses delivered through the graph (fan-outs that
// land within the run, including those that find the target refractory);
// external_pulses = the summed counts of the merged independent trains;
// queue_entries = (spike, delay group) fan-outs, the entries the event engine
// would have queued.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/core/epoch_exchange.h"
#include "engine/core/run_stats.h"
#include "engine/core/network.h"
#include "engine/core/recording.h"
#include "engine/core/rng.h"
#include "engine/stepped/stepped_plan.h"
#include "engine/stepped/stepped_sampling.h"

namespace spikeq::inline stepped {

class SteppedDriver {
 public:
  // Throws Error (BadInput) for what the grid cannot represent (check_step_grid).
  // `stop`, when set by another thread or a signal handler, ends the run at the
  // next epoch boundary with everything up to it delivered to the sink.
  // `threads` (>= 1; 0 counts as 1): how many threads the one network is split over.
  // `exchange`: this is one of several processes running the network together
  // (see "Processes"); null: the only one.
  SteppedDriver(const Network& network, std::uint64_t trial, RunSink& sink,
                const std::atomic<bool>* stop = nullptr, unsigned threads = 1,
                EpochExchange* exchange = nullptr);
  ~SteppedDriver();
  RunStats run();

 private:
  struct LifPopulation;
  struct SourcePopulation;
  struct Probe;
  struct Block;
  struct Arena;
  // Merged independent trains of one (projection, LIF node). One cache line.
  struct alignas(64) InputTrain {
    StreamCursor rng;  // stream (SteppedInput, projection, local target)
    // Dense law: the first step with input (delay steps + 1). Sparse law: the
    // next step with a non-zero count.
    std::uint64_t next_step;
    std::uint32_t law;  // index into binomials_
    std::uint32_t projection;
    std::uint32_t local_target;
    bool sparse;
  };
  static_assert(sizeof(InputTrain) == 64);
  struct EdgeTarget {  // per projection: what a fan-out adds, and where
    double weight_mv;
    std::uint32_t lif_shift;  // ring index = global target id - lif_shift
  };
  struct StepSpike {  // a Poisson spike of the current epoch
    std::uint64_t step;
    NodeId node;
  };
  struct ProbeTime {  // a probe time of the current epoch, at its grid step
    std::uint64_t step;
    std::uint32_t probe;  // index into probes_
  };
  // LIF spikes of one epoch [k0, k1] in (step, node) order: step k's begin at
  // fired_at[k - k0], one past the end at fired_at[k1 - k0 + 1].
  struct EpochSpikes {
    std::vector<NodeId> fired;
    std::vector<std::uint32_t> fired_at;
  };

  // Construction (stepped_driver_init.cpp).
  void init_state();
  void init_trains();
  void init_probes();
  void init_blocks(unsigned threads);
  void init_row_splits();

  // The run (stepped_driver.cpp).
  template <class Work>
  void for_each_block(Work&& work);
  void prepare_epoch(std::uint64_t k0, std::uint64_t k1);
  void advance_block(Block& b, std::uint64_t k0, std::uint64_t k1);
  void fire_initial(Block& b);
  template <bool Exact, bool Noisy>
  void update_range(Block& b, const LifPopulation& lp, std::uint32_t j_begin, std::uint32_t j_end,
                    std::uint64_t k, double* slot);
  void fan_out_epoch(Block& b, std::uint64_t k0, std::uint64_t k1);
  // After an epoch's parallel pass (stepped_processes.cpp): every block's (and
  // process's) spikes of the epoch into epoch_spikes_, the recorded output to
  // rank 0; returns whether the processes agreed to stop (the stop flag alone
  // with one process).
  bool gather_epoch_spikes(std::uint64_t k0, std::uint64_t k1);
  void merge_ranks(std::uint64_t steps);
  struct Stretch {
    std::uint64_t begin, end;
    bool filter;
  };
  Stretch block_edges(const Block& b, NodeId n, std::uint32_t g) const;
  void prefetch_edges(const Block& b, NodeId n) const;
  void fan_out(Block& b, NodeId n, std::uint64_t k);
  std::uint64_t probe_step(const Probe& probe) const;
  void flush();

  const Network& net_;
  std::uint64_t trial_;
  RunSink& sink_;
  const std::atomic<bool>* stop_;
  EpochExchange* exchange_;
  bool records_sources_ = true;  // Poisson spikes are counted and recorded here (rank 0)
  StepPlan plan_;
  std::uint64_t epoch_steps_ = 1;  // E

  std::vector<LifPopulation> lif_pops_;
  std::vector<SourcePopulation> source_pops_;
  std::vector<std::int32_t> lif_of_population_;  // population -> index into lif_pops_, or -1
  std::uint32_t lif_count_ = 0;
  // LIF node state, indexed by LIF index (global id - the population's lif_shift).
  std::vector<double> v_mv_;
  std::vector<std::uint32_t> refractory_left_;
  std::vector<StreamCursor> noise_;  // populations with sigma > 0 only
  std::vector<double> ring_;         // ring_slots rows of lif_count_
  std::vector<std::uint32_t> train_begin_;  // LIF index -> its InputTrains [begin, begin+1)
  std::vector<InputTrain> trains_;
  stepped::BinomialTable binomials_;
  std::vector<EdgeTarget> edge_targets_;
  std::vector<Probe> probes_;

  // Blocks of LIF nodes, one per thread; the arena only with more than one.
  // `whole_`: one block holds every LIF node (one thread, one process), so rows
  // are taken whole.
  std::vector<Block> blocks_;
  bool whole_ = true;
  std::unique_ptr<Arena> arena_;
  // Filled only when not whole_. Per population and delay group: every row's
  // targets ascend, so each block's part of a row is one stretch. Then per row
  // (in Network's group order, PopulationTable::group_base), blocks + 1 bounds:
  // where block b's stretch begins (bound b) and where the last one ends (bound
  // blocks), relative to the row's begin (found once here, not per spike: a
  // binary search in a cold row costs a cache miss per probe).
  std::vector<std::vector<bool>> rows_ascending_;
  std::vector<std::uint32_t> row_splits_;

  // Every block's and process's LIF spikes of the last epoch, fanned out by
  // every block at the start of the next one; and, with several processes,
  // each process's part as received (reused from epoch to epoch).
  EpochSpikes epoch_spikes_;
  std::vector<EpochSpikes> rank_spikes_;
  std::vector<SpikeRecord> outbox_spikes_;  // a process other than rank 0: its records of the epoch
  std::vector<VoltageSample> outbox_samples_;
  bool agreed_stop_ = false;

  // The current epoch: its Poisson spikes by (step, node), where each step's
  // begin (index k - k0; one past the end at k1 - k0 + 1), and its probe times.
  std::vector<StepSpike> source_spikes_;
  std::vector<std::uint32_t> source_spikes_at_;
  std::vector<ProbeTime> probe_times_;

  std::vector<SpikeRecord> source_records_;  // recorded Poisson spikes since the last flush
  std::vector<SpikeRecord> batch_spikes_;
  std::vector<VoltageSample> batch_samples_;
  RunStats stats_;  // Poisson spike counts; the blocks' counters are added at the end
};

}  // namespace spikeq::stepped
