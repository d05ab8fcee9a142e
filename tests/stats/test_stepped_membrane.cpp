// The stepped integrators on the free membrane (threshold out of reach), white
// noise μ = 5 mV, σ = 4 mV, τ = 20 ms (models/README.md §3 and §5, Q8–Q9):
//  * EXACT samples the OU transition law on the grid, so at any Δt the stationary
//    law has mean m = 5 mV and variance σ²/2 = 8 mV². Checked at Δt = 0.1 and 2 ms.
//  * Euler–Maruyama is the AR(1) V' = m + (1 − a)(V − m) + σ√a ξ, a = Δt/τ, whose
//    stationary variance is σ² a / (1 − (1 − a)²) = σ²/(2 − a): its known O(Δt)
//    error. At Δt = 10 ms (a = 0.5) that is 10.67 mV², 33% above σ²/2.
// 10000 nodes start at V = m; V is sampled at 100, 200, 300, 400 ms (≥ 5τ apart
// from the start, so Var(t) is within e^−10 of stationary; successive samples of
// a node are correlated by e^−5 < 1%, ignored). 40000 samples: SE of the mean
// ≈ 0.014 mV, of the variance ≈ 0.7%. Tolerance 4.5 SE.
// What this catches: the exact step with Euler's noise σ√(Δt/τ) (Var 8.83 at
// Δt = 2, ~14 SE off), Euler with the exact step's noise (Var 6.7 at Δt = 10),
// a wrong leak rate or target m (mean or variance off), noise shared between
// nodes (variance across nodes ≈ 0).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>

#include "models/lif_stepped.h"
#include "tests/stats/test_stepped_util.h"

namespace spikeq::stats {
namespace {

const char* kFree = R"pb(
name: "stepped_free"
duration_ms: 400
seed: 43
populations {
  name: "membranes"
  size: 10000
  lif {
    tau_m_ms: 20 e_l_mv: 0 v_th_mv: 1000000 v_reset_mv: 10 t_ref_ms: 2
    v_init { fixed_mv: 5 }
    mu_mv: 5 sigma_mv: 4
  }
}
recording { voltage_probes { population: "membranes" interval_ms: 100 start_ms: 100 } }
)pb";

// `far_var` > 0: a variance the measurement must exclude (> 10 SE away): the test's power.
bool check_stationary(double dt_ms, Integrator integrator, double expected_var, double far_var = 0) {
  const RunOutput out = run_stepped(with_grid(load_text(kFree), dt_ms, integrator));
  std::vector<double> v;
  for (const VoltageSample& s : out.samples) v.push_back(s.v_mv);
  REQUIRE(v.size() == 40000);
  const Moments m = moments(v);
  char name[96];
  const char* label = integrator == Integrator::Exact ? "exact" : "Euler";
  std::printf("[stats] stepped free membrane, %s, dt %g ms: %.2f s\n", label, dt_ms, out.wall_s);
  std::snprintf(name, sizeof name, "%s dt=%g: stationary <V>", label, dt_ms);
  bool ok = within_se(name, m.mean, 5.0, m.se_mean(), 4.5);
  std::snprintf(name, sizeof name, "%s dt=%g: stationary Var V", label, dt_ms);
  ok &= within_se(name, m.var, expected_var, m.se_var(), 4.5);
  if (far_var > 0) {
    const double z = (m.var - far_var) / m.se_var();
    std::printf("[stats] %s dt=%g: Var %g is %.1f SE away\n", label, dt_ms, far_var, std::abs(z));
    ok &= std::abs(z) > 10;
  }
  return ok;
}

}  // namespace

TEST_CASE("Stepped EXACT free membrane: stationary mean m and variance sigma^2/2 at any dt", "[stats]") {
  const double var = lif_stepped::exact_stationary_variance(4.0);
  CHECK(var == 8.0);
  CHECK(check_stationary(0.1, Integrator::Exact, var));
  // Power: the exact decay with Euler's noise σ√a would give σ² a / (1 − e^−2a) = 8.83.
  CHECK(check_stationary(2.0, Integrator::Exact, var, 16.0 * 0.1 / -std::expm1(-0.2)));
}

TEST_CASE("Stepped Euler-Maruyama free membrane: the AR(1) stationary variance, not sigma^2/2", "[stats]") {
  const double var = lif_stepped::euler_stationary_variance(4.0, 10.0 / 20.0);
  CHECK(var == Approx(16.0 * 0.5 / 0.75));
  CHECK(check_stationary(10.0, Integrator::EulerMaruyama, var, 8.0));
  // ... and still right in the limit: at dt = 0.1 the formula is within 0.25% of 8.
  CHECK(check_stationary(0.1, Integrator::EulerMaruyama, lif_stepped::euler_stationary_variance(4.0, 0.1 / 20.0)));
}

}  // namespace spikeq::stats
