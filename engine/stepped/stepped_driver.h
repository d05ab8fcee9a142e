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
// One step, in this order:
//  1. Poisson nodes with their own train (recorded, or feeding shared-train
//     projections) fire with probability p = λ dt each, independently per step
//     (Bernoulli, models/README.md Q2; p > 1 is refused). Their spikes enter the targets'
//     ring buffers at step k + d, d = round(delay/dt) >= 0: a delay that rounds
//     to 0 acts in this same step, since step 2 comes after.
//  2. Each LIF node: its input for the step is the ring-buffer slot of step k plus,
//     for each projection of independent Poisson trains into it, a count
//     ~ Binomial(K_in, p) times the weight — K_in the node's in-degree from that
//     projection: the exact sum of K_in independent Bernoulli sources (trains
//     start after the projection's delay, as in the event engine). If refractory,
//     the input is dropped and V stays at V_r. Otherwise V takes one
//     integrator step (models/lif_stepped.h: Euler–Maruyama by default, or the
//     exact OU step), then the step's summed pulses are added; if V >= theta the
//     node spikes at t_k, V = V_r, and it is refractory for the next
//     R = round(t_ref/dt) steps (NEST's RefractoryCounts: steps k+1..k+R ignore
//     input and stay at V_r; step k+R+1 integrates again, so the effective
//     refractory period is R dt). The threshold is seen on grid points only.
//  3. LIF spikes of step k fan out along their out-edges (CSR rows, target
//     order) into ring slot k + d, d = round(delay/dt) >= 1 (a LIF-sourced delay
//     shorter than dt is refused).
//  4. Voltage probes: a probe time t = start + j interval <= duration is sampled
//     at the grid point round(t/dt), after that step, reported with the grid time
//     (V_r while refractory). Several probe times may share a grid point.
// Spikes and samples go to the sink every ~10 ms of simulated time (one batch),
// sorted by (time, node) and (time, probe, node); the stop flag is checked after
// every step, and a stop hands over the steps done (a prefix of the run).
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
// Same seed, trial and dt give byte-identical output.
//
// RunStats: recurrent_pulses = pulses delivered through the graph (fan-outs that
// land within the run, including those that find the target refractory);
// external_pulses = the summed counts of the merged independent trains;
// queue_entries = (spike, delay group) fan-outs, the entries the event engine
// would have queued.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

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
  // next batch boundary with everything up to it delivered to the sink.
  SteppedDriver(const Network& network, std::uint64_t trial, RunSink& sink,
                const std::atomic<bool>* stop = nullptr);
  ~SteppedDriver();
  RunStats run();

 private:
  struct LifPopulation;
  struct SourcePopulation;
  struct Probe;
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

  void init_state();
  void init_trains();
  void init_probes();
  void step(std::uint64_t k);
  template <bool Exact, bool Noisy>
  void update_population(const LifPopulation& pop, std::uint64_t k, double* slot);
  void fire_sources(std::uint64_t k);
  void spike(NodeId n, std::uint16_t population, std::uint64_t k);
  void fan_out(NodeId n, std::uint16_t population, std::uint64_t k);
  std::uint64_t probe_step(const Probe& probe) const;
  void sample_probes(std::uint64_t k);
  void flush();

  const Network& net_;
  std::uint64_t trial_;
  RunSink& sink_;
  const std::atomic<bool>* stop_;
  StepPlan plan_;

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

  std::vector<NodeId> fired_;  // LIF spikes of the current step, to fan out
  std::vector<SpikeRecord> batch_spikes_;
  std::vector<VoltageSample> batch_samples_;
  RunStats stats_;
};

}  // namespace spikeq::stepped
