// Recurrent network (models/README.md §4): Brunel (2000) model A in the asynchronous
// irregular state (g = 5, η = 2) at reduced size — N_E = 4000, N_I = 1000,
// C_E = 400, C_I = 100, J = 0.2 mV, D = 1.5 ms,
// τ = 20 ms, θ = 20, V_r = 10, t_ref = 2 ms; ν_thr = θ/(J·C_E·τ) = 20/(0.2·400·20 ms)
// = 12.5 Hz, ν_ext = η·ν_thr = 25 Hz. External drive: one Poisson source of
// rate C_E·ν_ext = 400 · 25 Hz = 10 kHz with independent trains to every neuron.
// 200 ms transient, then 1 s measured.
//
// Tolerance: the excitatory rate within 10% of the self-consistent mean-field
// rate predict(spec) gives for this network. The 10% is the diffusion
// approximation's allowance (J/(θ − V_r) = 0.02 is not small), not a statistical
// one: the statistical SE, from the spread of the population rate over ten
// 100 ms bins, is ~0.2% and is printed.
//
// What this catches: inhibition with the wrong sign or weight (rate far above),
// pulses delivered to refractory neurons or a missing refractory clamp, wrong or
// zero delays (synchronous states with very different rates), an external
// source delivered as one shared train (synchronised, far off), a merged train
// of rate ν_ext instead of C_E·ν_ext (silent network).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>

#include "reduced_brunel.h"
#include "engine/theory/theory.h"
#include "tests/stats/stats_util.h"

namespace spikeq::stats {
namespace {

const std::string kBrunelReduced = test::reduced_brunel_netdef("stats_brunel_reduced", 29, R"pb(populations { name: "ext" size: 1 poisson { rate_hz: 10000 } })pb");

}  // namespace

TEST_CASE("Brunel 2000 AI state (g=5, eta=2), reduced size: rate within 10% of mean field", "[stats]") {
  const NetworkSpec spec = load_text(kBrunelReduced);
  const std::vector<PopulationTheory> theory = predict(spec);
  REQUIRE(theory.size() == 3);
  REQUIRE(theory[1].converged);
  const RunOutput out = run_event(spec);

  constexpr double kSkipMs = 200, kBinMs = 100;
  constexpr std::size_t kBins = 10;
  for (std::size_t pop : {1u, 2u}) {
    const double n = static_cast<double>(out.populations[pop].size);
    std::vector<double> bin_rates(kBins, 0.0);
    for (const auto& t : spike_times_by_node(out, pop)) {
      const std::vector<double> c = counts_in_windows(t, kSkipMs, kBinMs, kBins);
      for (std::size_t k = 0; k < kBins; ++k) bin_rates[k] += c[k] / (n * kBinMs * 1e-3);
    }
    const Moments m = moments(bin_rates);
    std::printf("[stats] Brunel reduced %s: rate %.3f ± %.3f Hz (bins of 100 ms), mean field %.3f Hz "
                "(mu %.3f mV, sigma %.3f mV, CV %.3f): error %+.2f%%; %.4g events, %.1f s\n",
                spec.populations[pop].name.c_str(), m.mean, m.se_mean(), theory[pop].rate_hz, theory[pop].mu_mv,
                theory[pop].sigma_mv, theory[pop].cv_isi, 100 * (m.mean / theory[pop].rate_hz - 1),
                static_cast<double>(out.stats.events()), out.wall_s);
    if (pop == 1) CHECK(std::abs(m.mean / theory[pop].rate_hz - 1) < 0.10);
  }
}

}  // namespace spikeq::stats
