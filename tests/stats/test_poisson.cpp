// Seed Q1–Q5 (models/README.md §1): the engine's Poisson sources are Poisson processes.
// Counts in a window T have mean λT and Fano factor 1 at every T; ISIs are Exp(λ)
// (KS test) with mean 1/λ and CV 1.
//
// What these checks catch: the time-stepped Bernoulli source with a 1 ms bin
// (Fano 1 - λΔt = 0.95 at 50 Hz, ~35 SE off at T = 10 ms; ISI KS distance ≈ 0.05,
// ~20x the critical value), a rate in the wrong unit (mean off by 1000x), a dead
// time or any non-exponential renewal law (KS, CV), and a train that does not
// restart from t = 0 with an exponential first interval (first ISI included).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>

#include "tests/stats/stats_util.h"

namespace spikeq::stats {
namespace {

const char* kPoissonNet = R"pb(
name: "stats_poisson"
duration_ms: 100000
seed: 11
populations { name: "slow" size: 400 poisson { rate_hz: 5 } }
populations { name: "fast" size: 100 poisson { rate_hz: 50 } }
)pb";

struct PoissonCase {
  std::size_t population;
  double rate_hz;
};

void check_counts(const std::vector<std::vector<double>>& times, double rate_hz, double duration_ms,
                  const char* pop) {
  for (double window_ms : {10.0, 100.0, 1000.0}) {
    const auto n_windows = static_cast<std::size_t>(duration_ms / window_ms);
    std::vector<double> counts;
    for (const auto& t : times) {
      const std::vector<double> c = counts_in_windows(t, 0.0, window_ms, n_windows);
      counts.insert(counts.end(), c.begin(), c.end());
    }
    const Moments m = moments(counts);
    const double lt = rate_hz * 1e-3 * window_ms;
    char name[96];
    // Mean count: SE = sqrt(λT/n) (Poisson variance λT, n independent windows).
    std::snprintf(name, sizeof name, "%s T=%g ms count mean", pop, window_ms);
    CHECK(within_se(name, m.mean, lt, std::sqrt(lt / m.n), 4.5));
    // Fano factor: SE = sqrt(2/n) for Poisson counts (delta method on var/mean);
    // n = 4e6 windows (slow, 10 ms) .. 1e4 (fast, 1 s) -> SE 0.0007 .. 0.014.
    std::snprintf(name, sizeof name, "%s T=%g ms Fano", pop, window_ms);
    CHECK(within_se(name, m.fano(), 1.0, m.se_fano(), 4.5));
    // Fraction of empty windows: e^(-λT), binomial SE (only where it is not ~0).
    if (lt < 3) {
      double empty = 0;
      for (double c : counts) empty += c == 0;
      const double p0 = std::exp(-lt);
      std::snprintf(name, sizeof name, "%s T=%g ms P(count=0)", pop, window_ms);
      CHECK(within_se(name, empty / m.n, p0, std::sqrt(p0 * (1 - p0) / m.n), 4.5));
    }
  }
}

void check_isis(const std::vector<std::vector<double>>& times, double rate_hz, double duration_ms,
                const char* pop) {
  // The first M intervals of every node, the first one measured from t = 0: a
  // fixed number per node, so no selection bias from the end of the run (taking
  // every complete ISI would bias the mean by ~1/(spikes per node), ~1 SE here).
  const double rate_per_ms = rate_hz * 1e-3;
  const auto m_per_node = static_cast<std::size_t>(0.7 * rate_per_ms * duration_ms);
  std::vector<double> x;
  for (const auto& t : times) {
    REQUIRE(t.size() > m_per_node);  // P(fail) ~ 1e-11 per node: a Poisson(λT) count below 0.7 λT
    double prev = 0;
    for (std::size_t k = 0; k < m_per_node; ++k) {
      x.push_back(t[k] - prev);
      prev = t[k];
    }
  }
  const Moments m = moments(x);
  char name[96];
  // Mean ISI 1/λ: SE = (1/λ)/sqrt(n).
  std::snprintf(name, sizeof name, "%s ISI mean (ms)", pop);
  CHECK(within_se(name, m.mean, 1 / rate_per_ms, 1 / rate_per_ms / std::sqrt(m.n), 4.5));
  // CV 1: SE of the sample CV of an exponential sample is 1/sqrt(n) (2e-3 here).
  std::snprintf(name, sizeof name, "%s ISI CV", pop);
  CHECK(within_se(name, m.cv(), 1.0, 1 / std::sqrt(m.n), 4.5));
  // KS against Exp(λ) at level 1e-3: D_crit = 1.95/sqrt(n) (0.0049 slow, 0.0039 fast).
  const double d = ks_statistic(x, [&](double t) { return -std::expm1(-rate_per_ms * t); });
  const auto n = x.size();
  const double d_crit = ks_critical(1e-3, n);
  std::printf("[stats] %s ISI KS vs Exp(λ): D = %.5f (critical %.5f at alpha 1e-3), p = %.3g, n = %zu\n", pop, d,
              d_crit, ks_p_value(d, n), n);
  CHECK(d < d_crit);
}

}  // namespace

TEST_CASE("Poisson sources (models/README.md Q1-Q5): count mean lambda T and Fano factor 1 in 3 window sizes - ISIs exponential with CV 1", "[stats]") {
  const NetworkSpec spec = load_text(kPoissonNet);
  const RunOutput out = run_event(spec);
  std::printf("[stats] Poisson run: %zu spikes, %.2f s\n", out.spikes.size(), out.wall_s);
  for (const PoissonCase c : {PoissonCase{0, 5.0}, PoissonCase{1, 50.0}}) {
    const auto times = spike_times_by_node(out, c.population);
    const char* pop = spec.populations[c.population].name.c_str();
    check_counts(times, c.rate_hz, spec.duration_ms, pop);
    check_isis(times, c.rate_hz, spec.duration_ms, pop);
  }
}

}  // namespace spikeq::stats
