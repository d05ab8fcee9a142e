// The stepped engine's grid semantics (engine/stepped/stepped_driver.h), checked on small
// deterministic networks against a scalar re-statement of the rules, plus its
// refusals, counters, batching, reproducibility and stop flag.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <set>

#include "engine/stepped/stepped_driver.h"
#include "engine/stepped/stepped_plan.h"
#include "models/lif_stepped.h"
#include "netdefs/error.h"
#include "spec_builders.h"

using namespace spikeq;
using namespace spikeq::test;

namespace {

struct Collector : RunSink {
  void spikes(std::span<const SpikeRecord> batch) override {
    ++spike_batches;
    for (const SpikeRecord& s : batch) {
      if (!spike_list.empty()) {
        const SpikeRecord& last = spike_list.back();
        if (s.time_ms < last.time_ms || (s.time_ms == last.time_ms && s.node <= last.node)) ordered = false;
      }
      spike_list.push_back(s);
    }
  }
  void samples(std::span<const VoltageSample> batch) override {
    sample_list.insert(sample_list.end(), batch.begin(), batch.end());
  }
  std::vector<SpikeRecord> spike_list;
  std::vector<VoltageSample> sample_list;
  int spike_batches = 0;
  bool ordered = true;
};

struct Result {
  Collector sink;
  RunStats stats;
};

Result run_stepped(const NetworkSpec& spec, const std::atomic<bool>* stop = nullptr) {
  const Network net(spec);
  Result r;
  SteppedDriver driver(net, 0, r.sink, stop);
  r.stats = driver.run();
  return r;
}

NetworkSpec on_grid(NetworkSpec spec, double dt_ms, Integrator integrator = Integrator::Exact) {
  spec.simulation.mode = SimMode::Stepped;
  spec.simulation.dt_ms = dt_ms;
  spec.simulation.integrator = integrator;
  return spec;
}

PopulationSpec lif_pop(const std::string& name, std::uint64_t size, double m_mv, double t_ref_ms = 2) {
  PopulationSpec p = lif_population(name, size);
  p.lif.mu_mv = m_mv;
  p.lif.t_ref_ms = t_ref_ms;
  return p;
}

VoltageProbeSpec probe(std::size_t population, double interval_ms, double start_ms) {
  VoltageProbeSpec v;
  v.population = population;
  v.interval_ms = interval_ms;
  v.start_ms = start_ms;
  return v;
}

std::string refusal(const NetworkSpec& spec) {
  try {
    check_step_grid(spec);
  } catch (const Error& e) {
    CHECK(e.kind() == Error::Kind::BadInput);
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("stepped: a suprathreshold drift fires on the grid as the scalar rule says") {
  // m = 30 > theta = 20, no noise: the spike train is deterministic. Re-state
  // the rules for one node: step, compare at grid points, R = round(2/0.1) = 20
  // clamped steps after each spike.
  for (Integrator integ : {Integrator::Exact, Integrator::EulerMaruyama}) {
    const Result r = run_stepped(on_grid(network({lif_pop("n", 1, 30)}, {}, 100), 0.1, integ));
    const auto c = lif_stepped::coefficients(0.1, 20, 0);
    std::vector<double> expected;
    double v = 0;
    std::uint32_t refractory = 0;
    for (int k = 1; k <= 1000; ++k) {
      if (refractory > 0) {
        --refractory;
        continue;
      }
      v = integ == Integrator::Exact ? lif_stepped::exact_step(v, 30, c.decay, 0, 0)
                                     : lif_stepped::euler_maruyama_step(v, 30, c.euler_rate, 0, 0);
      if (v >= 20) {
        expected.push_back(k * 0.1);
        v = 10;
        refractory = 20;
      }
    }
    REQUIRE(r.sink.spike_list.size() == expected.size());
    for (std::size_t s = 0; s < expected.size(); ++s) CHECK(r.sink.spike_list[s].time_ms == expected[s]);
    // Exact: from V_r the crossing needs ceil(200 ln 2) = 139 steps, then 20 refractory.
    if (integ == Integrator::Exact) CHECK(expected[1] - expected[0] == Approx(15.9));
  }
}

TEST_CASE("stepped: delay 0 of a shared Poisson train acts in the same step; delays round to nearest") {
  // A 10 kHz source at dt 0.1 has p = 1: it fires at every grid point t_k, k >= 1.
  // Weight 1 into a leak-free-ish membrane (tau huge, threshold unreachable): V at
  // t_k counts the pulses that arrived by then.
  for (const auto& [delay, first_arrival_step] : std::vector<std::pair<double, int>>{{0.0, 1}, {0.04, 1}, {0.05, 2},
                                                                                    {0.25, 4}, {1.5, 16}}) {
    auto src = poisson_population("src", 1, 10000);
    auto n = lif_pop("n", 1, 0);
    n.lif.tau_m_ms = 1e12;
    n.lif.v_th_mv = 1e9;
    auto p = projection(0, 1, RuleKind::AllToAll, 1.0, delay);
    p.independent_trains = false;
    NetworkSpec spec = on_grid(network({src, n}, {p}, 3), 0.1);
    spec.recording.voltage_probes.push_back(probe(1, 0.1, 0.1));
    const Result r = run_stepped(spec);
    REQUIRE(r.sink.sample_list.size() == 30);
    for (int k = 1; k <= 30; ++k) {
      const double expected = std::max(0, k - first_arrival_step + 1);
      INFO("delay " << delay << " step " << k);
      CHECK(r.sink.sample_list[k - 1].time_ms == Approx(0.1 * k));
      CHECK(r.sink.sample_list[k - 1].v_mv == Approx(expected).margin(1e-6));
    }
    // Source spikes: one per step; pulses counted only when they land within the run.
    CHECK(r.stats.spikes_per_population[0] == 30);
    CHECK(r.stats.recurrent_pulses == static_cast<std::uint64_t>(30 - (first_arrival_step - 1)));
    CHECK(r.stats.external_pulses == 0);
  }
}

TEST_CASE("stepped: refractory steps drop their pulses and clamp V at V_r") {
  // p = 1 source, delay 0.1 (1 step), w = 6 mV into a LIF with m = 0, t_ref 0.5 ms
  // (R = 5). Pulses that arrive while refractory must be lost: if they were kept,
  // the first step after refractoriness would start far above V_r.
  auto src = poisson_population("src", 1, 10000);
  auto n = lif_pop("n", 1, 0, 0.5);
  auto p = projection(0, 1, RuleKind::AllToAll, 6.0, 0.1);
  p.independent_trains = false;
  NetworkSpec spec = on_grid(network({src, n}, {p}, 5), 0.1);
  spec.recording.spikes_from = {false, true};
  spec.recording.voltage_probes.push_back(probe(1, 0.1, 0.1));
  const Result r = run_stepped(spec);
  const double decay = std::exp(-0.1 / 20);
  std::vector<double> expected_spikes, expected_v;
  double v = 0;
  std::uint32_t refractory = 0;
  for (int k = 1; k <= 50; ++k) {
    const double input = k >= 2 ? 6.0 : 0.0;
    if (refractory > 0) {
      --refractory;
    } else {
      v = v * decay + input;
      if (v >= 20) {
        expected_spikes.push_back(0.1 * k);
        v = 10;
        refractory = 5;
      }
    }
    expected_v.push_back(v);
  }
  REQUIRE(r.sink.spike_list.size() == expected_spikes.size());
  for (std::size_t s = 0; s < expected_spikes.size(); ++s)
    CHECK(r.sink.spike_list[s].time_ms == Approx(expected_spikes[s]).epsilon(1e-12));
  REQUIRE(r.sink.sample_list.size() == 50);
  for (int k = 0; k < 50; ++k) CHECK(r.sink.sample_list[k].v_mv == Approx(expected_v[k]).epsilon(1e-12));
  // Here: a spike every R + 2 = 7 steps after the first (5 clamped, 2 to climb).
  CHECK(expected_spikes[2] - expected_spikes[1] == Approx(0.7));
}

TEST_CASE("stepped: independent trains count every pulse of a multi-count step") {
  // 200 sources at 500 Hz, dt 0.1: each target's step count ~ Binomial(200, 0.05),
  // mean 10, so most steps carry several pulses. tau huge and w = 1 make V the
  // running count, so the final V of each node must equal its own count.
  auto src = poisson_population("src", 200, 500);
  auto n = lif_pop("n", 50, 0);
  n.lif.tau_m_ms = 1e12;
  n.lif.v_th_mv = 1e9;
  NetworkSpec spec = on_grid(network({src, n}, {projection(0, 1, RuleKind::AllToAll, 1.0, 0.3)}, 20), 0.1);
  spec.recording.voltage_probes.push_back(probe(1, 20, 20));
  const Result r = run_stepped(spec);
  REQUIRE(r.sink.sample_list.size() == 50);
  double total = 0;
  for (const VoltageSample& s : r.sink.sample_list) total += std::round(s.v_mv);
  CHECK(static_cast<double>(r.stats.external_pulses) == total);
  CHECK(r.stats.recurrent_pulses == 0);
  // Trains start after the delay: 197 steps of mean 10 per node; total ~ Binomial
  // with mean 50*197*10 = 98500, sd ≈ 305: allow 5 sd.
  CHECK(std::abs(total - 98500.0) < 5 * 305.0);
}

TEST_CASE("stepped: same seed and dt give identical spikes; another seed differs") {
  auto make = [](std::uint64_t seed) {
    auto src = poisson_population("ext", 100, 10);
    auto e = lif_pop("e", 200, 5);
    e.lif.sigma_mv = 6;
    e.lif.v_init_high_mv = 20;
    auto rec = projection(1, 1, RuleKind::FixedIndegree, 0.3, 1.0);
    rec.indegree = 20;
    NetworkSpec spec = on_grid(network({src, e}, {projection(0, 1, RuleKind::AllToAll, 0.2, 0), rec}, 200, seed), 0.1,
                               Integrator::EulerMaruyama);
    return spec;
  };
  const Result a = run_stepped(make(3));
  const Result b = run_stepped(make(3));
  const Result c = run_stepped(make(4));
  REQUIRE(a.sink.spike_list.size() > 100);
  REQUIRE(a.sink.spike_list.size() == b.sink.spike_list.size());
  bool same = true;
  for (std::size_t s = 0; s < a.sink.spike_list.size(); ++s)
    same &= a.sink.spike_list[s].time_ms == b.sink.spike_list[s].time_ms &&
            a.sink.spike_list[s].node == b.sink.spike_list[s].node;
  CHECK(same);
  CHECK(a.stats.recurrent_pulses == b.stats.recurrent_pulses);
  CHECK(a.stats.external_pulses == b.stats.external_pulses);
  CHECK(a.stats.external_pulses != c.stats.external_pulses);
  // Batches every 10 ms (20 of them), spikes sorted by (time, node) across batches,
  // every time on the grid.
  CHECK(a.sink.spike_batches == 20);
  CHECK(a.sink.ordered);
  for (const SpikeRecord& s : a.sink.spike_list) {
    const double steps = s.time_ms / 0.1;
    REQUIRE(std::abs(steps - std::round(steps)) < 1e-9);
  }
}

TEST_CASE("stepped: probes sample at the nearest grid point, with the grid time") {
  auto n = lif_pop("n", 3, 5);
  n.lif.v_th_mv = 1e6;
  NetworkSpec spec = on_grid(network({n}, {}, 10), 0.5);
  spec.recording.voltage_probes.push_back(probe(0, 1.3, 0.2));  // 0.2, 1.5, 2.8, ... 9.3
  spec.recording.voltage_probes.back().node_ids = {2, 0};
  const Result r = run_stepped(spec);
  REQUIRE(r.sink.sample_list.size() == 16);  // 8 times x 2 nodes
  const double grid[] = {0.0, 1.5, 3.0, 4.0, 5.5, 6.5, 8.0, 9.5};  // round(t/0.5) * 0.5, halves up
  const double decay = std::exp(-0.5 / 20);
  for (int j = 0; j < 8; ++j) {
    for (int m = 0; m < 2; ++m) {
      const VoltageSample& s = r.sink.sample_list[2 * j + m];
      CHECK(s.time_ms == grid[j]);
      CHECK(s.node == (m == 0 ? 0u : 2u));
      const double steps = grid[j] / 0.5;
      CHECK(s.v_mv == Approx(5.0 * (1.0 - std::pow(decay, steps))).margin(1e-12));
    }
  }
}

TEST_CASE("stepped: the stop flag ends the run after the epoch it is seen in") {
  // Epochs are min(smallest LIF-sourced delay, flush interval) steps: 1.5 ms
  // with a recurrent delay of 1.5 ms, the 10 ms flush interval without one.
  auto n = lif_pop("n", 10, 30);
  auto rec = projection(0, 0, RuleKind::FixedIndegree, 0.1, 1.5);
  rec.indegree = 2;
  for (const auto& [projections, epoch_ms] :
       {std::pair{std::vector<ProjectionSpec>{}, 10.0}, std::pair{std::vector<ProjectionSpec>{rec}, 1.5}}) {
    std::atomic<bool> stop{true};
    const Result r = run_stepped(on_grid(network({n}, projections, 100), 0.1), &stop);
    CHECK(r.stats.interrupted);
    CHECK(r.stats.simulated_ms == Approx(epoch_ms));
    for (const SpikeRecord& s : r.sink.spike_list) CHECK(s.time_ms <= epoch_ms + 1e-9);
    CHECK(r.sink.spike_batches == 1);
  }
}

TEST_CASE("stepped: what the grid cannot represent is refused with one line naming it") {
  auto src = poisson_population("drive", 1, 20000);
  auto n = lif_pop("n", 1, 0);
  // rate*dt = 2 for a source feeding independent trains.
  const std::string rate = refusal(on_grid(network({src, n}, {projection(0, 1, RuleKind::AllToAll, 0.1, 0)}), 0.1));
  CHECK(rate.find("population \"drive\"") != std::string::npos);
  CHECK(rate.find("rate*dt = 2 > 1") != std::string::npos);
  CHECK(rate.find('\n') == std::string::npos);
  // ... fine at a smaller step, and for a source that emits nothing.
  CHECK(refusal(on_grid(network({src, n}, {projection(0, 1, RuleKind::AllToAll, 0.1, 0)}), 0.05)).empty());
  NetworkSpec silent = on_grid(network({src, n}, {}), 0.1);
  silent.recording.spikes_from = {false, true};
  CHECK(refusal(silent).empty());

  auto rec = projection(0, 0, RuleKind::FixedIndegree, 0.1, 0.05);
  rec.name = "ee";
  rec.indegree = 1;
  const std::string delay = refusal(on_grid(network({lif_pop("e", 5, 0)}, {rec}), 0.1));
  CHECK(delay.find("projection \"ee\": delay_ms 0.05 is shorter than dt_ms 0.1") != std::string::npos);
  rec.delay_ms = 0.1;
  CHECK(refusal(on_grid(network({lif_pop("e", 5, 0)}, {rec}), 0.1)).empty());

  CHECK(refusal(on_grid(network({n}, {}, 100), 0.3)).find("duration_ms 100 is not a whole number of steps") !=
        std::string::npos);
  CHECK(refusal(on_grid(network({n}, {}, 120), 40, Integrator::EulerMaruyama)).find("unstable") !=
        std::string::npos);
  CHECK(refusal(on_grid(network({n}, {}, 120), 40, Integrator::Exact)).empty());
  // The driver refuses too, not only the check.
  const Network net(on_grid(network({src, n}, {projection(0, 1, RuleKind::AllToAll, 0.1, 0)}), 0.1));
  Collector sink;
  CHECK_THROWS_AS(SteppedDriver(net, 0, sink), Error);
}

TEST_CASE("stepped: round_to_steps rounds to nearest, halves up, as written in decimal") {
  CHECK(round_to_steps(0.25, 0.1) == 3);
  CHECK(round_to_steps(0.24, 0.1) == 2);
  CHECK(round_to_steps(1.5, 0.1) == 15);
  CHECK(round_to_steps(2.0, 0.3) == 7);
  CHECK(round_to_steps(0.0, 0.1) == 0);
  CHECK(round_to_steps(0.049, 0.1) == 0);
  CHECK(round_to_steps(0.05, 0.1) == 1);
}
