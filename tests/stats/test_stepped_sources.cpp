// The stepped engine's Poisson inputs are Q2 of models/README.md discretisation (models/README.md
// §1, time-stepped counterpart): at most one spike per step with probability
// p = λΔt, on the grid.
//  * A source's count over M steps ~ Binomial(M, p): Fano factor 1 − p. At
//    λ = 2000 Hz, Δt = 0.1 ms, p = 0.2, so Fano 0.8; with 20000 windows of 100
//    steps its SE is ≈ 0.008, and the continuous-time answer 1 is ~25 SE away.
//  * K merged independent trains give per-step counts ~ Binomial(K, p), so a
//    target's count over M steps ~ Binomial(KM, p): Fano 1 − p again. Checked for
//    K = 50 (mean 10 per step: the CDF-table sampler), K = 500 (mean 100: BTRD),
//    and the sparse path (non-empty steps Geometric, counts from the law given
//    >= 1) with K = 1, p = 0.12 (Fano 0.88) and K = 3, p = 0.05, by reading the
//    counts off a membrane with τ = 1e12 ms and w = 1 mV, so that V is the
//    running count (drift over the run < 1e-5 mV).
// Tolerances: 4.5 SE (delta-method SE of the Fano factor, SE of the mean).
// What this catches: a Poisson count per step instead of Bernoulli (Fano 1), two
// spikes in one step, off-grid times, a rate in the wrong unit (mean off), a
// sampler with the wrong law (Fano or mean off), trains shared between targets.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <set>

#include "tests/stats/test_stepped_util.h"

namespace spikeq::stats {
namespace {

const char* kSources = R"pb(
name: "stepped_sources"
duration_ms: 200
seed: 41
populations { name: "src" size: 1000 poisson { rate_hz: 2000 } }
)pb";

const char* kMerged = R"pb(
name: "stepped_merged"
duration_ms: 200
seed: 42
populations { name: "few" size: 50 poisson { rate_hz: 2000 } }
populations { name: "many" size: 500 poisson { rate_hz: 2000 } }
populations { name: "one" size: 1 poisson { rate_hz: 1200 } }
populations { name: "three" size: 3 poisson { rate_hz: 500 } }
populations {
  name: "count_few"
  size: 1000
  lif { tau_m_ms: 1e12 e_l_mv: 0 v_th_mv: 1e9 v_reset_mv: 0 t_ref_ms: 0 v_init { fixed_mv: 0 } }
}
populations {
  name: "count_many"
  size: 1000
  lif { tau_m_ms: 1e12 e_l_mv: 0 v_th_mv: 1e9 v_reset_mv: 0 t_ref_ms: 0 v_init { fixed_mv: 0 } }
}
populations {
  name: "count_one"
  size: 1000
  lif { tau_m_ms: 1e12 e_l_mv: 0 v_th_mv: 1e9 v_reset_mv: 0 t_ref_ms: 0 v_init { fixed_mv: 0 } }
}
populations {
  name: "count_three"
  size: 1000
  lif { tau_m_ms: 1e12 e_l_mv: 0 v_th_mv: 1e9 v_reset_mv: 0 t_ref_ms: 0 v_init { fixed_mv: 0 } }
}
projections { name: "f" source: "few" target: "count_few" all_to_all {} weight_mv: 1 }
projections { name: "m" source: "many" target: "count_many" all_to_all {} weight_mv: 1 }
projections { name: "o" source: "one" target: "count_one" all_to_all {} weight_mv: 1 }
projections { name: "t" source: "three" target: "count_three" all_to_all {} weight_mv: 1 }
recording {
  spikes_from: "count_few"
  voltage_probes { population: "count_few" interval_ms: 10 start_ms: 0 }
  voltage_probes { population: "count_many" interval_ms: 10 start_ms: 0 }
  voltage_probes { population: "count_one" interval_ms: 10 start_ms: 0 }
  voltage_probes { population: "count_three" interval_ms: 10 start_ms: 0 }
}
)pb";

constexpr double kDt = 0.1;
constexpr double kP = 0.2;  // 2000 Hz x 0.1 ms

bool check_fano(const char* label, const std::vector<double>& counts, double n_trials_per_count, double p,
                bool poisson_far = true) {
  const Moments m = moments(counts);
  char name[96];
  std::snprintf(name, sizeof name, "%s: mean count", label);
  bool ok = within_se(name, m.mean, n_trials_per_count * p, m.se_mean(), 4.5);
  std::snprintf(name, sizeof name, "%s: Fano factor (1 - p)", label);
  ok &= within_se(name, m.fano(), 1.0 - p, m.se_fano(), 4.5);
  // The test's power: the continuous-time answer (Fano 1) must be far outside.
  const double z_poisson = (m.fano() - 1.0) / m.se_fano();
  std::printf("[stats] %s: Poisson's Fano 1 is %.1f SE away\n", label, std::abs(z_poisson));
  if (poisson_far) ok &= std::abs(z_poisson) > 10;
  return ok;
}

}  // namespace

TEST_CASE("Stepped Bernoulli sources: one spike per step at most, on the grid, Fano 1 - p (models/README.md Q2)", "[stats]") {
  const RunOutput out = run_stepped(with_grid(load_text(kSources), kDt, Integrator::EulerMaruyama));
  std::printf("[stats] stepped sources run: %zu spikes, %.2f s\n", out.spikes.size(), out.wall_s);
  // Counts per node in 20 windows of 100 steps, by step index (no time rounding).
  std::vector<std::vector<double>> counts(1000, std::vector<double>(20, 0.0));
  std::vector<std::set<long>> steps_seen(1000);
  bool on_grid = true, at_most_one = true;
  for (const SpikeRecord& s : out.spikes) {
    const double x = s.time_ms / kDt;
    const long step = std::lround(x);
    on_grid &= std::abs(x - static_cast<double>(step)) < 1e-9 && step >= 1 && step <= 2000;
    at_most_one &= steps_seen[s.node].insert(step).second;
    if (step >= 1 && step <= 2000) counts[s.node][static_cast<std::size_t>((step - 1) / 100)] += 1;
  }
  CHECK(on_grid);
  CHECK(at_most_one);
  std::vector<double> pooled;
  for (const auto& c : counts) pooled.insert(pooled.end(), c.begin(), c.end());
  CHECK(check_fano("Bernoulli source, 100 steps", pooled, 100, kP));
}

TEST_CASE("Stepped merged independent trains: per-step counts Binomial(K, p)", "[stats]") {
  const RunOutput out = run_stepped(with_grid(load_text(kMerged), kDt, Integrator::Exact));
  std::printf("[stats] stepped merged trains run: %.4g pulses, %.2f s\n",
              static_cast<double>(out.stats.external_pulses), out.wall_s);
  CHECK(out.spikes.empty());
  struct Case {
    const char* label;
    double k_in, p;
    bool poisson_far;  // whether Fano 1 - p is far enough from 1 to demand it
  };
  const Case cases[] = {{"merged K=50 (table), 100 steps", 50, kP, true},
                        {"merged K=500 (BTRD), 100 steps", 500, kP, true},
                        {"merged K=1 p=0.12 (sparse), 100 steps", 1, 0.12, true},
                        {"merged K=3 p=0.05 (sparse), 100 steps", 3, 0.05, false}};
  double total = 0;
  for (std::uint32_t probe = 0; probe < 4; ++probe) {
    const Case& c = cases[probe];
    std::vector<double> times;
    const auto v = voltage_series(out, 4 + probe, probe, &times);
    REQUIRE(times.size() == 21);  // 0, 10, ..., 200 ms
    std::vector<double> counts;
    for (const auto& series : v) {
      for (std::size_t j = 1; j < series.size(); ++j) counts.push_back(std::round(series[j] - series[j - 1]));
      total += std::round(series.back());
    }
    CHECK(check_fano(c.label, counts, 100 * c.k_in, c.p, c.poisson_far));
  }
  CHECK(total == static_cast<double>(out.stats.external_pulses));
}

}  // namespace spikeq::stats
