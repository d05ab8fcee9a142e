// One network split over T threads (EventDriver, "Threads" in its header): spikes,
// voltage samples and every count must be identical for every T, T = 1 included.
// The netdefs cover what could tell the blocks apart: recurrent rows that cross
// block boundaries, multapses and two projections into one population (coincident
// pulses counted per node), two delay groups, noisy membranes (crossings found
// between events), drift above threshold (predicted crossings), shared Poisson
// source trains with a delay shorter than the epoch, refractoriness and probes.
// Over R processes (ranks as threads) each holds only its part of the network,
// the edges into its own nodes (engine/core/network.h, "Parts"), as the ranks of
// `mpirun -np R spikeq run` do.
#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/core/network.h"
#include "engine/event/event_driver.h"
#include "local_exchange.h"
#include "local_parts.h"
#include "netdefs/loader.h"

using namespace spikeq;

namespace {

struct Collector : RunSink {
  void spikes(std::span<const SpikeRecord> batch) override {
    spike_list.insert(spike_list.end(), batch.begin(), batch.end());
    if (stop_after_batches > 0 && ++batches == stop_after_batches) stop->store(true);
  }
  void samples(std::span<const VoltageSample> batch) override {
    sample_list.insert(sample_list.end(), batch.begin(), batch.end());
  }
  std::vector<SpikeRecord> spike_list;
  std::vector<VoltageSample> sample_list;
  int stop_after_batches = 0, batches = 0;
  std::atomic<bool>* stop = nullptr;
};

struct Outcome {
  std::vector<SpikeRecord> spikes;
  std::vector<VoltageSample> samples;
  RunStats stats;
};

Outcome run(const Network& net, unsigned threads, int stop_after_batches = 0) {
  std::atomic<bool> stop{false};
  Collector sink;
  sink.stop_after_batches = stop_after_batches;
  sink.stop = &stop;
  EventDriver driver(net, 3, sink, &stop, threads);
  Outcome o;
  o.stats = driver.run();
  o.spikes = std::move(sink.spike_list);
  o.samples = std::move(sink.sample_list);
  return o;
}

// R EventDrivers as R processes (LocalExchangeGroup), T threads each: rank 0's
// sink gets the output, and every rank returns the same summed stats. Each
// process builds its part of `spec` (with the others, as MPI ranks do), or,
// given `whole`, they all share that whole network.
Outcome run_split(const NetworkSpec& spec, unsigned ranks, unsigned threads, int stop_after_batches = 0,
                  const Network* whole = nullptr) {
  std::vector<std::atomic<bool>> stops(ranks);
  std::vector<Collector> sinks(ranks);
  std::vector<RunStats> stats(ranks);
  for (unsigned r = 0; r < ranks; ++r) {
    stops[r] = false;
    // A stop reaches one process only (rank ranks-1, from rank 0's sink): the
    // trade must carry it to the others.
    sinks[r].stop_after_batches = r == 0 ? stop_after_batches : 0;
    sinks[r].stop = &stops[ranks - 1];
  }
  test::run_as_processes(spec, ranks, whole, [&](unsigned r, const Network& net, EpochExchange& exchange) {
    EventDriver driver(net, 3, sinks[r], &stops[r], threads, &exchange);
    stats[r] = driver.run();
  });
  for (unsigned r = 1; r < ranks; ++r) {
    CHECK(sinks[r].spike_list.empty());
    CHECK(stats[r].spikes_per_population == stats[0].spikes_per_population);
    CHECK(stats[r].simulated_ms == stats[0].simulated_ms);
  }
  return Outcome{std::move(sinks[0].spike_list), std::move(sinks[0].sample_list), stats[0]};
}

bool same_spikes(const std::vector<SpikeRecord>& a, const std::vector<SpikeRecord>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].time_ms != b[i].time_ms || a[i].node != b[i].node) return false;
  return true;
}

bool same_samples(const std::vector<VoltageSample>& a, const std::vector<VoltageSample>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].time_ms != b[i].time_ms || a[i].probe != b[i].probe || a[i].node != b[i].node ||
        a[i].v_mv != b[i].v_mv)
      return false;
  return true;
}

void check_same(const Outcome& reference, const Outcome& o) {
  CHECK(same_spikes(reference.spikes, o.spikes));
  CHECK(same_samples(reference.samples, o.samples));
  CHECK(reference.stats.spikes_per_population == o.stats.spikes_per_population);
  CHECK(reference.stats.recurrent_pulses == o.stats.recurrent_pulses);
  CHECK(reference.stats.external_pulses == o.stats.external_pulses);
  CHECK(reference.stats.queue_entries == o.stats.queue_entries);
  CHECK(reference.stats.simulated_ms == o.stats.simulated_ms);
}

// A small Brunel network in the asynchronous irregular regime (rows of ~80
// targets over two LIF populations), with multapses in "ee" and two projections
// from exc into inh with one delay (coincident pulses), inhibition on a second
// delay group, and probes on a few nodes of each population.
const char* kBrunel = R"(
name: "threads_brunel" duration_ms: 150 seed: 11
populations { name: "ext" size: 200 poisson { rate_hz: 20 } }
populations { name: "exc" size: 400 lif { tau_m_ms: 20 v_th_mv: 20 v_reset_mv: 10 t_ref_ms: 2
  v_init { uniform { low_mv: 0 high_mv: 20 } } } }
populations { name: "inh" size: 100 lif { tau_m_ms: 20 v_th_mv: 20 v_reset_mv: 10 t_ref_ms: 2
  v_init { uniform { low_mv: 0 high_mv: 20 } } } }
projections { source: "ext" target: "exc" fixed_indegree { indegree: 200 allow_multapses: true } weight_mv: 0.5 }
projections { source: "ext" target: "inh" all_to_all {} weight_mv: 0.5 }
projections { source: "exc" target: "exc" fixed_indegree { indegree: 40 allow_multapses: true } weight_mv: 0.2 delay_ms: 1.5 }
projections { source: "exc" target: "inh" fixed_indegree { indegree: 30 } weight_mv: 0.2 delay_ms: 1.5 }
projections { source: "exc" target: "inh" fixed_indegree { indegree: 10 } weight_mv: 0.3 delay_ms: 1.5 }
projections { source: "inh" target: "exc" fixed_indegree { indegree: 10 } weight_mv: -1.0 delay_ms: 2.0 }
projections { source: "inh" target: "inh" fixed_indegree { indegree: 10 } weight_mv: -1.0 delay_ms: 2.0 }
recording {
  voltage_probes { population: "exc" node_ids: 0 node_ids: 199 node_ids: 200 node_ids: 399 interval_ms: 0.7 start_ms: 0.3 }
  voltage_probes { population: "inh" interval_ms: 5 start_ms: 0 }
}
)";

// Noisy membranes (crossings between events) fed by a shared Poisson source train
// whose delay (0.4 ms) is shorter than the epoch (1 ms), plus a population driven
// above threshold (predicted crossings) that inhibits the noisy one.
const char* kNoisyAndDrift = R"(
name: "threads_noisy" duration_ms: 120 seed: 4
populations { name: "src" size: 50 poisson { rate_hz: 40 } }
populations { name: "noisy" size: 300 lif { tau_m_ms: 10 v_th_mv: 20 v_reset_mv: 10 t_ref_ms: 1
  v_init { uniform { low_mv: 5 high_mv: 20 } } mu_mv: 14 sigma_mv: 4 } }
populations { name: "drift" size: 70 lif { tau_m_ms: 15 v_th_mv: 20 v_reset_mv: 10 t_ref_ms: 0
  v_init { uniform { low_mv: 10 high_mv: 20 } } mu_mv: 24 } }
projections { source: "src" target: "noisy" fixed_indegree { indegree: 5 } independent_trains: false weight_mv: 0.8 delay_ms: 0.4 }
projections { source: "noisy" target: "noisy" fixed_indegree { indegree: 20 } weight_mv: 0.3 delay_ms: 1 }
projections { source: "drift" target: "noisy" fixed_indegree { indegree: 7 } weight_mv: -0.4 delay_ms: 1.25 }
projections { source: "noisy" target: "drift" fixed_indegree { indegree: 15 } weight_mv: -0.6 delay_ms: 1 }
recording { voltage_probes { population: "noisy" node_ids: 0 node_ids: 150 node_ids: 299 interval_ms: 0.25 start_ms: 0 } }
)";

// Rows that reach only other processes' nodes: over 2 processes, process 0 owns
// "a" and process 1 "b", so a's one-to-one rows hold no target of process 0.
// "a" fires by drift alone; every pulse from it makes its "b" node fire.
const char* kCrossRanks = R"(
name: "threads_cross" duration_ms: 100 seed: 6
populations { name: "a" size: 150 lif { tau_m_ms: 10 v_th_mv: 20 v_reset_mv: 10 t_ref_ms: 1
  v_init { uniform { low_mv: 10 high_mv: 20 } } mu_mv: 22 } }
populations { name: "b" size: 150 lif { tau_m_ms: 10 v_th_mv: 20 v_reset_mv: 10 t_ref_ms: 1
  v_init { uniform { low_mv: 0 high_mv: 15 } } mu_mv: 15 } }
projections { source: "a" target: "b" one_to_one {} weight_mv: 6 delay_ms: 1 }
projections { source: "b" target: "a" fixed_indegree { indegree: 2 } weight_mv: -0.5 delay_ms: 1.5 }
)";

}  // namespace

TEST_CASE("one network over T threads: identical spikes, samples and counts for every T") {
  for (const char* text : {kBrunel, kNoisyAndDrift}) {
    const NetworkSpec spec = load_netdef_text(text, "threads.pbtxt");
    CAPTURE(spec.name);
    const Network net(spec);
    const Outcome reference = run(net, 1);
    REQUIRE(reference.spikes.size() > 500);  // the network is active: the split is exercised
    REQUIRE(reference.stats.recurrent_pulses > 10000);
    // T > LIF nodes: at most one block per node.
    for (unsigned threads : {2u, 3u, 4u, 7u, 2000u}) {
      CAPTURE(threads);
      check_same(reference, run(net, threads));
    }
  }
}

TEST_CASE("one network over T threads: a stop at an epoch boundary leaves a prefix, identical for every T") {
  const NetworkSpec spec = load_netdef_text(kBrunel, "threads.pbtxt");
  const Network net(spec);
  const Outcome whole = run(net, 1);
  const Outcome stopped1 = run(net, 1, 20);
  REQUIRE(stopped1.stats.interrupted);
  REQUIRE(stopped1.stats.simulated_ms < spec.duration_ms);
  for (unsigned threads : {2u, 3u}) {
    CAPTURE(threads);
    const Outcome stopped = run(net, threads, 20);
    check_same(stopped1, stopped);
    CHECK(stopped.stats.interrupted);
  }
  // The stopped run's spikes are the whole run's before the time reached.
  std::vector<SpikeRecord> prefix;
  for (const SpikeRecord& s : whole.spikes)
    if (s.time_ms < stopped1.stats.simulated_ms) prefix.push_back(s);
  CHECK(same_spikes(prefix, stopped1.spikes));
}

TEST_CASE("one network over R processes x T threads: identical to one process for every R and T") {
  for (const char* text : {kBrunel, kNoisyAndDrift, kCrossRanks}) {
    const NetworkSpec spec = load_netdef_text(text, "threads.pbtxt");
    CAPTURE(spec.name);
    const Network net(spec);
    const Outcome reference = run(net, 1);
    for (unsigned ranks : {1u, 2u, 3u}) {
      for (unsigned threads : {1u, 2u}) {
        CAPTURE(ranks, threads);
        check_same(reference, run_split(spec, ranks, threads));
      }
    }
    // More processes than LIF nodes: some own none, and most rows have no
    // targets on the process of their source.
    CAPTURE("ranks 600");
    check_same(reference, run_split(spec, 600, 1));
    // Every process may also hold the whole network.
    CAPTURE("whole network, ranks 2");
    check_same(reference, run_split(spec, 2, 2, 0, &net));
  }
}

TEST_CASE("one network over R processes: a stop seen by one process ends all at the same epoch, a prefix") {
  const NetworkSpec spec = load_netdef_text(kBrunel, "threads.pbtxt");
  const Network net(spec);
  const Outcome whole = run(net, 1);
  const Outcome stopped = run_split(spec, 3, 1, 20);
  REQUIRE(stopped.stats.interrupted);
  REQUIRE(stopped.stats.simulated_ms < spec.duration_ms);
  std::vector<SpikeRecord> prefix;
  for (const SpikeRecord& s : whole.spikes)
    if (s.time_ms < stopped.stats.simulated_ms) prefix.push_back(s);
  CHECK(same_spikes(prefix, stopped.spikes));
}
