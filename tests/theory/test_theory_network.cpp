// Input moments, predictions and mean-field solutions for NetworkSpecs built in
// code. Reference rates: scipy 1.10.1 (quad of erfcx(-u), brentq on
// Siegert(nu) - nu over a 4001-point grid), tests/theory/theory_reference.py.
#include <catch2/catch.hpp>

#include <cmath>

#include "engine/theory/fixed_point.h"
#include "engine/theory/theory.h"

using namespace spikeq;

namespace {

PopulationSpec lif_population(const std::string& name, std::uint64_t size) {
  PopulationSpec p;
  p.name = name;
  p.size = size;
  p.kind = ModelKind::Lif;  // LifParams defaults: tau 20, E_l 0, theta 20, V_r 10, t_ref 2
  return p;
}

PopulationSpec poisson_population(const std::string& name, std::uint64_t size, double rate_hz) {
  PopulationSpec p;
  p.name = name;
  p.size = size;
  p.kind = ModelKind::Poisson;
  p.poisson.rate_hz = rate_hz;
  return p;
}

ProjectionSpec indegree_projection(std::size_t src, std::size_t tgt, std::uint64_t k, double w_mv) {
  ProjectionSpec p;
  p.source = src;
  p.target = tgt;
  p.rule = RuleKind::FixedIndegree;
  p.indegree = k;
  p.weight_mv = w_mv;
  p.delay_ms = 1.5;
  return p;
}

// Brunel (2000) model A at the reference sizes of models/README.md §4, C_E external
// Poisson inputs of rate nu_ext = eta * nu_thr = eta * 10 Hz.
NetworkSpec brunel_model_a(double g, double eta) {
  NetworkSpec spec;
  spec.populations = {lif_population("exc", 10000), lif_population("inh", 2500),
                      poisson_population("ext", 10000, eta * 10.0)};
  for (std::size_t tgt : {0u, 1u}) {
    spec.projections.push_back(indegree_projection(0, tgt, 1000, 0.1));
    spec.projections.push_back(indegree_projection(1, tgt, 250, -0.1 * g));
    spec.projections.push_back(indegree_projection(2, tgt, 1000, 0.1));
  }
  return spec;
}

// One LIF neuron (population of 1) fed by Poisson populations only: models/README.md Q6–Q7.
NetworkSpec seed_q6_input(double r_hz, double nu_ext_hz) {
  NetworkSpec spec;
  spec.populations = {lif_population("neuron", 1), poisson_population("exc", 1000, r_hz),
                      poisson_population("inh", 250, r_hz),
                      poisson_population("ext", 1000, nu_ext_hz)};
  spec.projections = {indegree_projection(1, 0, 1000, 0.1), indegree_projection(2, 0, 250, -0.5),
                      indegree_projection(3, 0, 1000, 0.1)};
  return spec;
}

}  // namespace

TEST_CASE("expected in-degree of every connection rule", "[theory]") {
  NetworkSpec spec;
  spec.populations = {lif_population("a", 100), lif_population("b", 40)};
  ProjectionSpec p;
  p.source = 0;
  p.target = 1;
  p.rule = RuleKind::AllToAll;
  CHECK(expected_indegree(spec, p) == 100);
  p.target = 0;
  CHECK(expected_indegree(spec, p) == 99);  // no autapses within a population
  p.allow_autapses = true;
  CHECK(expected_indegree(spec, p) == 100);
  p.rule = RuleKind::PairwiseBernoulli;
  p.p = 0.1;
  CHECK(expected_indegree(spec, p) == Approx(10.0));
  p.allow_autapses = false;
  CHECK(expected_indegree(spec, p) == Approx(9.9));
  p.target = 1;
  CHECK(expected_indegree(spec, p) == Approx(10.0));
  p.rule = RuleKind::OneToOne;
  CHECK(expected_indegree(spec, p) == 1);
  p.rule = RuleKind::FixedIndegree;
  p.indegree = 17;
  CHECK(expected_indegree(spec, p) == 17);
}

TEST_CASE("input moments of models/README.md Q6-Q7 match the hand formula", "[theory]") {
  // mu = r tau J (C_E - g C_I), sigma^2 = r tau J^2 (C_E + g^2 C_I), r in 1/ms
  // (models/README.md §2); C_E = 1000, C_I = 250, J = 0.1 mV, g = 5, tau = 20 ms.
  for (double r_hz : {1.0, 10.0, 37.5}) {
    const NetworkSpec spec = seed_q6_input(r_hz, 0.0);
    const double r = r_hz / 1000.0;
    const InputMoments in = input_moments(spec, 0, {0, r_hz, r_hz, 0});
    INFO("r = " << r_hz << " Hz");
    CHECK(in.mu_mv == Approx(r * 20 * 0.1 * (1000 - 5 * 250)).epsilon(1e-14));
    CHECK(in.sigma_mv == Approx(std::sqrt(r * 20 * 0.01 * (1000 + 25 * 250))).epsilon(1e-14));
  }
  // r = 10 Hz: mu = -5 mV, sigma^2 = 14.5 mV^2. Background drive adds to both.
  NetworkSpec spec = seed_q6_input(10.0, 0.0);
  spec.populations[0].lif.mu_mv = 3;
  spec.populations[0].lif.sigma_mv = 2;
  const InputMoments in = input_moments(spec, 0, {0, 10, 10, 0});
  CHECK(in.mu_mv == Approx(-2.0));
  CHECK(in.sigma_mv == Approx(std::sqrt(18.5)));
}

TEST_CASE("predict: Poisson-driven LIF neuron, the nu_ext example", "[theory]") {
  // C_E = 1000 at 10 Hz (0.1 mV), C_I = 250 at 10 Hz (-0.5 mV), 1000 external at
  // nu_ext (0.1 mV): mu = 15, 20, 25 mV for nu_ext = 10, 12.5, 15 Hz.
  const double nu_ext[] = {10, 12.5, 15};
  const double rate_scipy[] = {6.11986833920421, 24.9263469320501, 45.8488391439552};
  const double cv_scipy[] = {0.834641192970632, 0.53746391317077, 0.382869145599763};
  for (int i = 0; i < 3; ++i) {
    const auto theory = predict(seed_q6_input(10.0, nu_ext[i]));
    INFO("nu_ext = " << nu_ext[i] << " Hz");
    REQUIRE(theory.size() == 4);
    const PopulationTheory& t = theory[0];
    CHECK(t.is_lif);
    CHECK(t.mu_mv == Approx(-5.0 + 2.0 * nu_ext[i]).epsilon(1e-13));  // 15, 20, 25 mV
    CHECK(t.rate_hz == Approx(rate_scipy[i]).epsilon(1e-9));
    CHECK(t.cv_isi == Approx(cv_scipy[i]).epsilon(1e-9));
    CHECK_FALSE(t.recurrent);
    CHECK(t.converged);
    CHECK(t.formula == "Siegert (diffusion approximation, models/README.md §3)");
    CHECK_FALSE(theory[1].is_lif);
    CHECK(theory[1].rate_hz == 10.0);
    CHECK(theory[1].cv_isi == 1.0);
    CHECK(theory[1].formula == "Poisson: rate, CV 1 (models/README.md §1)");
  }
}

TEST_CASE("predict: Brunel model A mean field, asynchronous irregular state", "[theory]") {
  // g = 5, eta = 2: scipy brentq gives the single solution 37.9496970857634 Hz
  // (mu = 21.0251514571 mV, sigma = 7.6829070523 mV, CV 0.6753285860072676).
  const NetworkSpec spec = brunel_model_a(5, 2);
  const auto theory = predict(spec);
  REQUIRE(theory.size() == 3);
  for (int i = 0; i < 2; ++i) {
    const PopulationTheory& t = theory[i];
    INFO("population " << i);
    CHECK(t.converged);
    CHECK(t.recurrent);
    CHECK(t.rate_hz == Approx(37.9496970857634).epsilon(1e-8));
    CHECK(t.mu_mv == Approx(21.02515145711832).epsilon(1e-8));
    CHECK(t.sigma_mv == Approx(7.682907052304933).epsilon(1e-8));
    CHECK(t.cv_isi == Approx(0.6753285860072676).epsilon(1e-7));
    CHECK(t.formula == "self-consistent mean field (Brunel 2000, models/README.md §4)");
  }
  const auto mf = homogeneous_reduction(spec);
  REQUIRE(mf);
  CHECK(mf->mu_fixed_mv == Approx(40.0));  // C_E J tau nu_ext = 1000 * 0.1 * 20 * 0.02
  const auto roots = mean_field_solutions_hz(*mf);
  REQUIRE(roots.size() == 1);
  CHECK(roots[0] == Approx(37.9496970857634).epsilon(1e-10));
}

TEST_CASE("mean field: the other states of Brunel's phase diagram", "[theory]") {
  // scipy brentq, single solutions: (g, eta) = (3, 2) 327.00847929494 Hz,
  // (6, 4) 55.8412623762044 Hz, (4.5, 0.9) 6.51670226841508 Hz.
  const double cases[][3] = {{3, 2, 327.00847929494}, {6, 4, 55.8412623762044},
                             {4.5, 0.9, 6.51670226841508}};
  for (const auto& c : cases) {
    INFO("g = " << c[0] << ", eta = " << c[1]);
    const NetworkSpec spec = brunel_model_a(c[0], c[1]);
    const auto theory = predict(spec);
    CHECK(theory[0].converged);
    CHECK(theory[0].rate_hz == Approx(c[2]).epsilon(1e-8));
    const auto roots = mean_field_solutions_hz(*homogeneous_reduction(spec));
    REQUIRE(roots.size() == 1);
    CHECK(roots[0] == Approx(c[2]).epsilon(1e-10));
  }
}

TEST_CASE("mean field: all three solutions of a bistable network", "[theory]") {
  // g = 3, eta = 0.8: scipy brentq finds 0.00391119858490716, 2.19525620198772
  // and 302.0855245309 Hz (quiet, unstable, active). predict, started from
  // silence, settles on the quiet one, as the rate dynamics would.
  const NetworkSpec spec = brunel_model_a(3, 0.8);
  const auto roots = mean_field_solutions_hz(*homogeneous_reduction(spec));
  REQUIRE(roots.size() == 3);
  CHECK(roots[0] == Approx(0.00391119858490716).epsilon(1e-8));
  CHECK(roots[1] == Approx(2.19525620198772).epsilon(1e-9));
  CHECK(roots[2] == Approx(302.0855245309).epsilon(1e-10));
  const auto theory = predict(spec);
  CHECK(theory[0].converged);
  CHECK(theory[0].rate_hz == Approx(0.00391119858490716).epsilon(1e-9));
}

TEST_CASE("homogeneous reduction refuses unlike populations", "[theory]") {
  NetworkSpec spec = brunel_model_a(5, 2);
  CHECK(homogeneous_reduction(spec));
  spec.populations[1].lif.tau_m_ms = 10;
  CHECK_FALSE(homogeneous_reduction(spec));
  spec = brunel_model_a(5, 2);
  spec.projections[1].indegree = 200;  // E receives less inhibition than I
  CHECK_FALSE(homogeneous_reduction(spec));
}

TEST_CASE("predict: feed-forward LIF chain uses the upstream prediction", "[theory]") {
  NetworkSpec spec = seed_q6_input(10.0, 12.5);
  spec.populations.push_back(lif_population("reader", 10));
  spec.populations.back().lif.sigma_mv = 3;
  spec.projections.push_back(indegree_projection(0, 4, 1, 10.0));  // K = 1, w = 10 mV
  const auto theory = predict(spec);
  const double upstream_hz = theory[0].rate_hz;  // 24.9263469320501 Hz
  // mu = tau K w nu = 20 * 10 * nu / 1000, sigma^2 = 9 + 20 * 100 * nu / 1000.
  const double mu = 0.2 * upstream_hz;
  const double sigma = std::sqrt(9.0 + 2.0 * upstream_hz);
  CHECK(theory[4].mu_mv == Approx(mu).epsilon(1e-13));
  CHECK(theory[4].rate_hz == Approx(siegert_rate_hz(20, 2, 20, 10, mu, sigma)).epsilon(1e-9));
  CHECK_FALSE(theory[4].recurrent);
  CHECK(theory[4].converged);
  CHECK(theory[4].formula.rfind("Siegert with predicted upstream", 0) == 0);
}

TEST_CASE("fixed-point solver: known roots, steep maps, no solution", "[theory]") {
  using Vec = std::vector<double>;
  const Vec inf(2, std::numeric_limits<double>::infinity());
  // x = cos x: 0.7390851332151607 (Dottie number). y = 10 - 20 y (f' = -20,
  // plain iteration diverges): 10/21.
  const auto r = solve_fixed_point(
      [](const Vec& x) { return Vec{std::cos(x[0]), 10.0 - 20.0 * x[1]}; }, {0, 0}, inf);
  CHECK(r.converged);
  CHECK(r.x[0] == Approx(0.7390851332151607).epsilon(1e-9));
  CHECK(r.x[1] == Approx(10.0 / 21.0).epsilon(1e-9));
  // x = 2x - 1 has its root at 1, repelling for the relaxation: Newton finds it.
  const auto u = solve_fixed_point([](const Vec& x) { return Vec{2 * x[0] - 1}; }, {0.5}, {10});
  CHECK(u.converged);
  CHECK(u.x[0] == Approx(1.0).epsilon(1e-9));
  // x = x + 1 has none.
  const auto none = solve_fixed_point([](const Vec& x) { return Vec{x[0] + 1}; }, {0}, {10});
  CHECK_FALSE(none.converged);
}
