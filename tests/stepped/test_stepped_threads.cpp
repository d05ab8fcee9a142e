// One stepped simulation split over T threads (engine/stepped/stepped_driver.h,
// "Threads") and over R processes (threads of this process standing in for MPI
// ranks, tests/support/local_exchange.h): spikes, voltage samples and RunStats
// must be bit-identical for every R and T, including more of them than nodes,
// and a stop must leave a prefix of the uninterrupted run. Voltages are probed at every step, so
// an order of summation that depends on T shows even when no spike moves.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstring>
#include <memory>
#include <thread>

#include "engine/stepped/stepped_driver.h"
#include "local_exchange.h"
#include "local_parts.h"
#include "spec_builders.h"

using namespace spikeq;
using namespace spikeq::test;

namespace {

struct Collector : RunSink {
  void spikes(std::span<const SpikeRecord> batch) override {
    spike_list.insert(spike_list.end(), batch.begin(), batch.end());
    ++batches;
    if (stop_after_batch && batches == stop_after_batch) stop_after_batch_flag->store(true);
  }
  void samples(std::span<const VoltageSample> batch) override {
    sample_list.insert(sample_list.end(), batch.begin(), batch.end());
  }
  std::vector<SpikeRecord> spike_list;
  std::vector<VoltageSample> sample_list;
  int batches = 0;
  int stop_after_batch = 0;  // > 0: set the flag when that batch arrives
  std::atomic<bool>* stop_after_batch_flag = nullptr;
};

struct Result {
  Collector sink;
  RunStats stats;
};

Result run_on(const Network& net, unsigned threads, std::atomic<bool>* stop = nullptr, int stop_after_batch = 0) {
  Result r;
  r.sink.stop_after_batch = stop_after_batch;
  r.sink.stop_after_batch_flag = stop;
  SteppedDriver driver(net, 0, r.sink, stop, threads);
  r.stats = driver.run();
  return r;
}

// R SteppedDrivers as R processes (LocalExchangeGroup), T threads each: rank
// 0's sink gets the output, every rank returns the same summed stats. Each
// process builds its part of `spec` (with the others, as MPI ranks do), or,
// given `whole`, they all share that whole network. A stop (stop_after_batch >
// 0) is set by rank 0's sink for the last rank alone: the trade must carry it
// to the others.
Result run_split(const NetworkSpec& spec, unsigned ranks, unsigned threads, int stop_after_batch = 0,
                 const Network* whole = nullptr) {
  std::vector<std::atomic<bool>> stops(ranks);
  std::vector<Result> results(ranks);
  for (unsigned r = 0; r < ranks; ++r) {
    stops[r] = false;
    results[r].sink.stop_after_batch = r == 0 ? stop_after_batch : 0;
    results[r].sink.stop_after_batch_flag = &stops[ranks - 1];
  }
  test::run_as_processes(spec, ranks, whole, [&](unsigned r, const Network& net, EpochExchange& exchange) {
    SteppedDriver driver(net, 0, results[r].sink, &stops[r], threads, &exchange);
    results[r].stats = driver.run();
  });
  for (unsigned r = 1; r < ranks; ++r) {
    CHECK(results[r].sink.spike_list.empty());
    CHECK(results[r].sink.sample_list.empty());
    CHECK(results[r].stats.spikes_per_population == results[0].stats.spikes_per_population);
    CHECK(results[r].stats.recurrent_pulses == results[0].stats.recurrent_pulses);
    CHECK(results[r].stats.simulated_ms == results[0].stats.simulated_ms);
  }
  return std::move(results[0]);
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// Everything the run produced, compared bit for bit; `prefix_ms` >= 0 compares
// `part` against the part of `whole` up to that time.
void check_identical(const Result& whole, const Result& part, double prefix_ms = -1) {
  std::size_t spikes = whole.sink.spike_list.size(), samples = whole.sink.sample_list.size();
  if (prefix_ms >= 0) {
    spikes = 0;
    while (spikes < whole.sink.spike_list.size() && whole.sink.spike_list[spikes].time_ms <= prefix_ms) ++spikes;
    samples = 0;
    while (samples < whole.sink.sample_list.size() && whole.sink.sample_list[samples].time_ms <= prefix_ms) ++samples;
  }
  REQUIRE(part.sink.spike_list.size() == spikes);
  std::size_t spike_mismatches = 0;
  for (std::size_t s = 0; s < spikes; ++s) {
    const SpikeRecord& a = whole.sink.spike_list[s];
    const SpikeRecord& b = part.sink.spike_list[s];
    spike_mismatches += !same_bits(a.time_ms, b.time_ms) || a.node != b.node;
  }
  CHECK(spike_mismatches == 0);
  REQUIRE(part.sink.sample_list.size() == samples);
  std::size_t sample_mismatches = 0;
  for (std::size_t s = 0; s < samples; ++s) {
    const VoltageSample& a = whole.sink.sample_list[s];
    const VoltageSample& b = part.sink.sample_list[s];
    sample_mismatches +=
        !same_bits(a.time_ms, b.time_ms) || a.probe != b.probe || a.node != b.node || !same_bits(a.v_mv, b.v_mv);
  }
  CHECK(sample_mismatches == 0);
  if (prefix_ms >= 0) return;
  CHECK(part.stats.spikes_per_population == whole.stats.spikes_per_population);
  CHECK(part.stats.population_simulated == whole.stats.population_simulated);
  CHECK(part.stats.recurrent_pulses == whole.stats.recurrent_pulses);
  CHECK(part.stats.external_pulses == whole.stats.external_pulses);
  CHECK(part.stats.queue_entries == whole.stats.queue_entries);
  CHECK(part.stats.simulated_ms == whole.stats.simulated_ms);
  CHECK(part.stats.interrupted == whole.stats.interrupted);
}

PopulationSpec lif(const std::string& name, std::uint64_t size, double t_ref_ms = 2, double sigma_mv = 0) {
  PopulationSpec p = lif_population(name, size);
  p.lif.t_ref_ms = t_ref_ms;
  p.lif.sigma_mv = sigma_mv;
  p.lif.v_init_low_mv = 0;
  p.lif.v_init_high_mv = 20;
  return p;
}

ProjectionSpec indegree(std::size_t source, std::size_t target, std::uint64_t k, double weight_mv, double delay_ms) {
  ProjectionSpec p = projection(source, target, RuleKind::FixedIndegree, weight_mv, delay_ms);
  p.indegree = k;
  return p;
}

VoltageProbeSpec every_step(std::size_t population) {
  VoltageProbeSpec v;
  v.population = population;
  v.interval_ms = 0.1;
  v.start_ms = 0;
  return v;
}

NetworkSpec on_grid(NetworkSpec spec, Integrator integrator = Integrator::EulerMaruyama) {
  spec.simulation.mode = SimMode::Stepped;
  spec.simulation.dt_ms = 0.1;
  spec.simulation.integrator = integrator;
  return spec;
}

// Brunel's model A at N = 500 (400 + 100): independent external trains, one
// recurrent delay (1.5 ms: epochs of 15 steps), rows ascending in target.
NetworkSpec small_brunel() {
  NetworkSpec spec = network({poisson_population("ext", 1000, 20), lif("exc", 400), lif("inh", 100)},
                             {projection(0, 1, RuleKind::AllToAll, 0.1, 1.5), projection(0, 2, RuleKind::AllToAll, 0.1, 1.5),
                              indegree(1, 1, 40, 0.13, 1.5), indegree(1, 2, 40, 0.13, 1.5),
                              indegree(2, 1, 10, -0.61, 1.5), indegree(2, 2, 10, -0.61, 1.5)},
                             200, 7);
  spec.recording.spikes_from = {false, true, true};
  spec.recording.voltage_probes = {every_step(1), every_step(2)};
  return spec;
}

// Poisson shared trains with delays that round to 0 steps (0.04 ms; two
// projections of different weights, so the order of source spikes within a step
// matters) and to less than D (0.3 ms: 3 steps, D = 12), a noisy population,
// refractoriness 0 and 2 ms, two delay groups out of "a" (1.2 and 2.5 ms), and out
// of "a"'s 1.2 ms group projections listed inh-first, so its rows are not
// ascending in target (blocks filter them edge by edge).
NetworkSpec shared_trains_two_delays() {
  std::vector<ProjectionSpec> shared = {indegree(0, 1, 10, 0.37, 0.04), indegree(0, 1, 10, 0.41, 0.04),
                                        indegree(0, 2, 15, 0.29, 0.3)};
  for (ProjectionSpec& p : shared) p.independent_trains = false;
  NetworkSpec spec = network({poisson_population("src", 60, 100), lif("a", 97, 2), lif("b", 61, 0, 4.0)},
                             {shared[0], shared[1], shared[2], indegree(1, 2, 30, 0.21, 1.2), indegree(1, 1, 30, 0.17, 1.2),
                              indegree(1, 1, 40, -0.29, 2.5), indegree(2, 1, 40, 0.23, 1.3), indegree(2, 2, 20, -0.31, 1.6)},
                             150, 3);
  spec.populations[1].lif.mu_mv = 6;
  spec.populations[2].lif.mu_mv = 15;
  spec.recording.voltage_probes = {every_step(1), every_step(2)};
  return spec;
}

void check_every_thread_count(const NetworkSpec& spec, std::initializer_list<unsigned> thread_counts) {
  const Network net(spec);
  const Result one = run_on(net, 1);
  // The case is not vacuous: every LIF population spikes, pulses travel, V is sampled.
  for (std::size_t p = 0; p < spec.populations.size(); ++p)
    if (spec.populations[p].kind == ModelKind::Lif) CHECK(one.stats.spikes_per_population[p] > 20);
  CHECK(one.stats.recurrent_pulses > 1000);
  CHECK_FALSE(one.sink.sample_list.empty());
  for (unsigned t : thread_counts) {
    INFO("threads " << t);
    check_identical(one, run_on(net, t));
  }
}

}  // namespace

TEST_CASE("stepped threads: a small Brunel network gives the same spikes, samples and counts on 1-4 and 600 threads") {
  for (Integrator integ : {Integrator::EulerMaruyama, Integrator::Exact}) {
    INFO("integrator " << (integ == Integrator::Exact ? "exact" : "euler"));
    check_every_thread_count(on_grid(small_brunel(), integ), {1, 2, 3, 4, 600});
  }
}

TEST_CASE("stepped threads: shared trains at delay 0 and below D, noise, two delay groups: same on 1-4 and 200 threads") {
  const NetworkSpec spec = on_grid(shared_trains_two_delays());
  check_every_thread_count(spec, {2, 3, 4, 158, 200});
  // Poisson spikes are drawn and recorded the same way on every T.
  const Network net(spec);
  CHECK(run_on(net, 3).stats.spikes_per_population[0] > 600);
}

TEST_CASE("stepped threads: a stop seen at T = 2 leaves a prefix of the uninterrupted run") {
  const Network net(on_grid(small_brunel()));
  const Result whole = run_on(net, 1);
  std::atomic<bool> stop{false};
  // Set while the first batch (after 10.5 ms: 7 epochs of 1.5 ms) is handed over,
  // seen at the end of the next epoch (12 ms).
  const Result part = run_on(net, 2, &stop, 1);
  CHECK(part.stats.interrupted);
  CHECK(part.stats.simulated_ms == Approx(12.0));
  CHECK(part.sink.batches == 2);
  CHECK_FALSE(part.sink.spike_list.empty());
  check_identical(whole, part, part.stats.simulated_ms + 1e-9);
  // Every pulse of the spikes before the stop lands within the 200 ms: all counted,
  // as in the uninterrupted run.
  std::uint64_t pulses = 0, entries = 0;
  for (const SpikeRecord& s : part.sink.spike_list) {
    const std::size_t groups = net.populations()[net.population_of(s.node)].group_delays_ms.size();
    for (std::size_t g = 0; g < groups; ++g) {
      const std::uint64_t edges = net.group_end(s.node, g) - net.group_begin(s.node, g);
      pulses += edges;
      entries += edges > 0;
    }
  }
  CHECK(part.stats.recurrent_pulses == pulses);
  CHECK(part.stats.queue_entries == entries);
  // And the same counts at T = 1.
  std::atomic<bool> stop_one{false};
  const Result part_one = run_on(net, 1, &stop_one, 1);
  CHECK(part_one.stats.simulated_ms == part.stats.simulated_ms);
  CHECK(part_one.stats.spikes_per_population == part.stats.spikes_per_population);
  CHECK(part_one.stats.recurrent_pulses == part.stats.recurrent_pulses);
  CHECK(part_one.stats.external_pulses == part.stats.external_pulses);
}

TEST_CASE("stepped processes: one network over R processes x T threads is identical to one process") {
  struct Case {
    const char* name;
    NetworkSpec spec;
  };
  for (const Case& c : {Case{"small Brunel, Euler", on_grid(small_brunel())},
                        Case{"small Brunel, exact step", on_grid(small_brunel(), Integrator::Exact)},
                        Case{"shared trains, two delay groups, noise", on_grid(shared_trains_two_delays())}}) {
    CAPTURE(c.name);
    const Network net(c.spec);
    const Result one = run_on(net, 1);
    CHECK(one.stats.recurrent_pulses > 1000);
    // Each process holds its part of the network.
    for (unsigned ranks : {1u, 2u, 3u})
      for (unsigned threads : {1u, 2u, 3u}) {
        CAPTURE(ranks, threads);
        check_identical(one, run_split(c.spec, ranks, threads));
      }
    CAPTURE("more processes than LIF nodes: some own none");
    check_identical(one, run_split(c.spec, 500, 1));
    CAPTURE("every process holding the whole network");
    check_identical(one, run_split(c.spec, 2, 2, 0, &net));
  }
}

TEST_CASE("stepped processes: a stop seen by one process ends all at the same epoch, a prefix") {
  const NetworkSpec spec = on_grid(small_brunel());
  const Network net(spec);
  const Result whole = run_on(net, 1);
  for (unsigned threads : {1u, 2u}) {
    CAPTURE(threads);
    const Result part = run_split(spec, 3, threads, 1);
    CHECK(part.stats.interrupted);
    // Set after the first batch (10.5 ms), seen by the last rank at the end of
    // an epoch after that: which one depends on when rank 0's flush ran.
    CHECK(part.stats.simulated_ms >= 12.0 - 1e-9);
    CHECK(part.stats.simulated_ms < 200.0);
    CHECK_FALSE(part.sink.spike_list.empty());
    check_identical(whole, part, part.stats.simulated_ms + 1e-9);
  }
}
