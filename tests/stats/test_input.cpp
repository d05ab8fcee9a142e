// Seed Q6–Q7 (models/README.md §2): the summed synaptic input into one LIF node.
//
// C_E = 1000 inputs of J = 0.1 mV and C_I = 250 of -gJ (g = 5), independent Poisson
// trains of r = 10 Hz. Over a window T the charge is Q = τ·ΔV, with
//   <Q>   = r·T·τ·J·(C_E − g·C_I)       ->  <ΔV>   = r·T·J·(C_E − g·C_I)  = −0.25 mV/ms · T
//   Var Q = r·T·(τJ)²·(C_E + g²·C_I)    ->  Var ΔV = r·T·J²·(C_E + g²·C_I) = 0.725 mV²/ms · T
// Measured through the engine: τ_m = 1e9 ms, so the leak is negligible; threshold
// 1e9 mV, never reached; probes every 5 ms on every node give ΔV per window.
// Leak bound: |V| stays below ~600 mV in a 2 s run (drift −500 mV ± 40 mV), so the
// leak moves V by at most 600·T/τ = 3e-6 mV in a 5 ms window (1e-3 of the SE of
// the mean below) and scales the variance by e^(−2T/τ) = 1 − 1e-8.
//
// What this catches: a merged train of rate r instead of C·r (mean off by 1000x),
// the variance with g instead of g² (0.225 T instead of 0.725 T), pulses lost or
// doubled at coincident times, per-target trains that are not independent Poisson
// (a Fano factor ≠ 1 shows as a wrong variance), a wrong in-degree.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>

#include "tests/stats/stats_util.h"

namespace spikeq::stats {
namespace {

const char* kInputNet = R"pb(
name: "stats_input"
duration_ms: 2000
seed: 23
populations { name: "exc_inputs" size: 1000 poisson { rate_hz: 10 } }
populations { name: "inh_inputs" size: 250 poisson { rate_hz: 10 } }
populations {
  name: "sums"
  size: 1000
  lif {
    tau_m_ms: 1e9 e_l_mv: 0 v_th_mv: 1e9 v_reset_mv: 0 t_ref_ms: 0
    v_init { fixed_mv: 0 }
  }
}
projections { name: "exc" source: "exc_inputs" target: "sums" fixed_indegree { indegree: 1000 } weight_mv: 0.1 }
projections { name: "inh" source: "inh_inputs" target: "sums" fixed_indegree { indegree: 250 } weight_mv: -0.5 }
recording {
  spikes_from: "sums"
  voltage_probes { population: "sums" interval_ms: 5 start_ms: 5 }
}
)pb";

}  // namespace

TEST_CASE("Summed Poisson input per window: mean and variance (models/README.md Q6-Q7)", "[stats]") {
  const NetworkSpec spec = load_text(kInputNet);
  const RunOutput out = run_event(spec);
  std::printf("[stats] input run: %.4g external pulses, %.2f s\n", static_cast<double>(out.stats.external_pulses),
              out.wall_s);
  CHECK(out.spikes.empty());  // threshold out of reach

  std::vector<double> times;
  const auto v = voltage_series(out, 2, 0, &times);
  REQUIRE(times.size() == 400);
  const double r_per_ms = 0.010, j = 0.1, g = 5, c_e = 1000, c_i = 250, tau = 1e9;
  for (std::size_t stride : {1u, 4u, 20u}) {  // T = 5, 20, 100 ms
    const double t_win = 5.0 * static_cast<double>(stride);
    std::vector<double> dv;
    for (const auto& series : v) {
      REQUIRE(series.size() == times.size());
      double prev = 0;  // V(0) = 0 exactly
      for (std::size_t k = stride - 1; k < series.size(); k += stride) {
        dv.push_back(series[k] - prev);
        prev = series[k];
      }
    }
    const Moments m = moments(dv);
    const double mean_q = r_per_ms * t_win * tau * j * (c_e - g * c_i);
    const double var_q = r_per_ms * t_win * (tau * j) * (tau * j) * (c_e + g * g * c_i);
    char name[96];
    // SE of the mean: sqrt(Var ΔV / n); T = 5 ms: sqrt(3.625/4e5) = 0.003 mV (0.24% of 1.25 mV).
    std::snprintf(name, sizeof name, "T=%g ms mean ΔV (mV)", t_win);
    CHECK(within_se(name, m.mean, mean_q / tau, std::sqrt(var_q / (tau * tau) / m.n), 4.5));
    // SE of the variance from the sample's 4th moment: ≈ Var·sqrt(2/n) (shot-noise
    // excess kurtosis is small); T = 5 ms: 0.0081 mV² (0.22%); T = 100 ms, n = 2e4: 0.73 mV² (1%).
    std::snprintf(name, sizeof name, "T=%g ms Var ΔV (mV^2)", t_win);
    CHECK(within_se(name, m.var, var_q / (tau * tau), m.se_var(), 4.5));
  }
}

}  // namespace spikeq::stats
