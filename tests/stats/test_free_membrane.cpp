// Seed Q9 (models/README.md §3): the free membrane (threshold out of reach) started at V0:
//   <V(t)>   = m + (V0 − m)·e^(−t/τ)
//   Var V(t) = σ²/2 · (1 − e^(−2t/τ))
// across 10000 independent nodes, at 43 times (0.35, 5.05, ... ms: not on the
// 0.1 ms OU check grid, so truncated pieces are exercised too), for
//  * shot noise: the balanced Poisson inputs of netdefs/free_membrane.pbtxt
//    (m = r·τ·J·(C_E − g·C_I) = −5 mV, σ² = r·τ·J²·(C_E + g²·C_I) = 14.5 mV²;
//    Campbell's theorem makes both formulas exact for shot noise);
//  * white noise: mu_mv = 5, sigma_mv = 4, no inputs (the exact OU transition).
// SE per time point: mean sqrt(Var/N) ≤ 0.028 mV; variance from the sample 4th
// moment ≈ Var·sqrt(2/N) = 1.4% of Var.
//
// What this catches: a decay measured from the wrong reference time (mean off by
// a large fraction of V0 − m early on), a missing leak (variance growing like t),
// an OU step with sd σ·sqrt(1 − e^(−h/τ)) instead of σ·sqrt((1 − e^(−2h/τ))/2)
// (stationary variance σ² instead of σ²/2 for h ≪ τ: 100% off), pulses applied
// before the decay instead of after (mean off early on), a noise stream that is
// shared between nodes (variance across nodes ≈ 0).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>

#include "tests/stats/stats_util.h"

namespace spikeq::stats {
namespace {

const char* kShotNet = R"pb(
name: "stats_free_shot"
duration_ms: 200
seed: 5
populations { name: "exc_inputs" size: 1000 poisson { rate_hz: 10 } }
populations { name: "inh_inputs" size: 250 poisson { rate_hz: 10 } }
populations {
  name: "membranes"
  size: 10000
  lif {
    tau_m_ms: 20 e_l_mv: 0 v_th_mv: 1000000 v_reset_mv: 10 t_ref_ms: 2
    v_init { fixed_mv: 10 }
  }
}
projections { name: "exc" source: "exc_inputs" target: "membranes" fixed_indegree { indegree: 1000 } weight_mv: 0.1 }
projections { name: "inh" source: "inh_inputs" target: "membranes" fixed_indegree { indegree: 250 } weight_mv: -0.5 }
recording {
  spikes_from: "membranes"
  voltage_probes { population: "membranes" interval_ms: 4.7 start_ms: 0.35 }
}
)pb";

const char* kWhiteNet = R"pb(
name: "stats_free_white"
duration_ms: 200
seed: 6
populations {
  name: "membranes"
  size: 10000
  lif {
    tau_m_ms: 20 e_l_mv: 0 v_th_mv: 1000000 v_reset_mv: 10 t_ref_ms: 2
    v_init { fixed_mv: -10 }
    mu_mv: 5 sigma_mv: 4
  }
}
recording { voltage_probes { population: "membranes" interval_ms: 4.7 start_ms: 0.35 } }
)pb";

void check_free_membrane(const char* label, const RunOutput& out, std::size_t population, double v0, double m_mv,
                         double sigma2, double tau) {
  std::vector<double> times;
  const auto v = voltage_series(out, population, 0, &times);
  REQUIRE(times.size() == 43);
  int failures = 0;
  for (std::size_t k = 0; k < times.size(); ++k) {
    std::vector<double> across;
    across.reserve(v.size());
    for (const auto& series : v) across.push_back(series.at(k));
    const Moments s = moments(across);
    const double t = times[k];
    const double mean = m_mv + (v0 - m_mv) * std::exp(-t / tau);
    const double var = 0.5 * sigma2 * -std::expm1(-2 * t / tau);
    char name[96];
    std::snprintf(name, sizeof name, "%s t=%.2f ms <V>", label, t);
    failures += !within_se(name, s.mean, mean, std::sqrt(var / s.n), 4.5);
    std::snprintf(name, sizeof name, "%s t=%.2f ms Var V", label, t);
    failures += !within_se(name, s.var, var, s.se_var(), 4.5);
  }
  CHECK(failures == 0);
}

}  // namespace

TEST_CASE("Free membrane, shot noise: mean and variance relax as the OU formulas (models/README.md Q9)", "[stats]") {
  const NetworkSpec spec = load_text(kShotNet);
  const RunOutput out = run_event(spec);
  std::printf("[stats] free membrane (shot) run: %.4g pulses, %.2f s\n",
              static_cast<double>(out.stats.external_pulses), out.wall_s);
  CHECK(out.spikes.empty());
  const double r = 0.010, tau = 20, j = 0.1, g = 5, c_e = 1000, c_i = 250;
  check_free_membrane("shot", out, 2, 10.0, r * tau * j * (c_e - g * c_i), r * tau * j * j * (c_e + g * g * c_i), tau);
}

TEST_CASE("Free membrane, white noise: mean and variance relax as the OU formulas (models/README.md Q9)", "[stats]") {
  const NetworkSpec spec = load_text(kWhiteNet);
  const RunOutput out = run_event(spec);
  std::printf("[stats] free membrane (white) run: %.2f s\n", out.wall_s);
  CHECK(out.spikes.empty());
  check_free_membrane("white", out, 0, -10.0, 5.0, 16.0, 20.0);
}

}  // namespace spikeq::stats
