// models/lif.h: relaxation, the exact OU transition and the deterministic
// threshold time, against the closed forms of models/README.md §3.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "engine/core/rng.h"
#include "models/lif.h"
#include "stat_check.h"

using namespace spikeq;

namespace {
constexpr double kTau = 20.0;
}

TEST_CASE("relax and ou_step follow the closed form", "[lif]") {
  // <V(t)> = m + (V0 - m) e^(-t/tau); sd of V(t) given V0: sigma sqrt((1 - e^(-2t/tau))/2).
  for (double h : {1e-3, 0.1, 5.0, 20.0, 200.0}) {
    const double d = std::exp(-h / kTau);
    INFO("h = " << h);
    CHECK(lif::relax(12.0, 15.0, d) == Approx(15.0 - 3.0 * std::exp(-h / kTau)).epsilon(1e-14));
    CHECK(lif::ou_transition_sd(5.0, d) ==
          Approx(5.0 * std::sqrt(0.5 * (1.0 - std::exp(-2.0 * h / kTau)))).epsilon(1e-9));
    CHECK(lif::ou_step(12.0, 15.0, 5.0, d, 1.7) ==
          Approx(lif::relax(12.0, 15.0, d) + 1.7 * lif::ou_transition_sd(5.0, d)).epsilon(1e-14));
    CHECK(lif::ou_step(12.0, 15.0, 0.0, d, 1.7) == lif::relax(12.0, 15.0, d));
  }
  // Long times forget V0; the stationary sd is sigma/sqrt(2).
  CHECK(lif::relax(-50.0, 15.0, 0.0) == 15.0);
  CHECK(lif::ou_transition_sd(5.0, 0.0) == Approx(5.0 / std::sqrt(2.0)));
}

TEST_CASE("OU transitions compose (Chapman-Kolmogorov)", "[lif]") {
  // Two exact steps h1, h2 have the law of one step h1 + h2: means compose,
  // and sd(h1)^2 e^(-2 h2/tau) + sd(h2)^2 = sd(h1 + h2)^2.
  const double m = 15.0, sigma = 5.0;
  for (double h1 : {0.01, 0.7, 13.0}) {
    for (double h2 : {0.05, 2.0, 31.0}) {
      const double d1 = std::exp(-h1 / kTau), d2 = std::exp(-h2 / kTau), d12 = std::exp(-(h1 + h2) / kTau);
      CHECK(lif::relax(lif::relax(3.0, m, d1), m, d2) == Approx(lif::relax(3.0, m, d12)).epsilon(1e-13));
      const double s1 = lif::ou_transition_sd(sigma, d1), s2 = lif::ou_transition_sd(sigma, d2);
      CHECK(s1 * s1 * d2 * d2 + s2 * s2 == Approx(std::pow(lif::ou_transition_sd(sigma, d12), 2)).epsilon(1e-9));
    }
  }
}

TEST_CASE("OU transition mean and variance by Monte Carlo", "[lif][statistical]") {
  // 400000 exact steps from V0 = 12 over h = 7 ms (m = 15, sigma = 5):
  // mean 15 - 3 e^(-0.35) = 12.8859, variance 12.5 (1 - e^(-0.7)) = 6.2927.
  // SE(mean) = sd/sqrt(n) = 0.0040, SE(var) = var sqrt(2/(n-1)) = 0.0141; we allow
  // 4.5 SE. A variance without the 1/2 (12.59) would be 450 SE off.
  const double v0 = 12.0, m = 15.0, sigma = 5.0, h = 7.0, d = std::exp(-h / kTau);
  const double mean = m + (v0 - m) * d;
  const double var = 0.5 * sigma * sigma * (1.0 - d * d);
  RngStream rng(11, 0, Purpose::MembraneNoise, 1, 0);
  test::Moments mom;
  for (int i = 0; i < 400000; ++i) mom.add(lif::ou_step(v0, m, sigma, d, rng.normal()));
  INFO("mean " << mom.mean() << " +- " << mom.se_mean() << ", var " << mom.variance() << " +- "
               << mom.se_variance_gaussian());
  CHECK(std::abs(mom.mean() - mean) < 4.5 * mom.se_mean());
  CHECK(std::abs(mom.variance() - var) < 4.5 * mom.se_variance_gaussian());
  CHECK(std::abs(mom.variance() - 2.0 * var) > 100 * mom.se_variance_gaussian());
}

TEST_CASE("OU path of many small steps matches one big step", "[lif][statistical]") {
  // 100000 paths of 64 steps of 0.5 ms vs the single-step law over 32 ms from V0 = 25
  // (m = 15, sigma = 4): mean 15 + 10 e^(-1.6) = 17.019, var 8 (1 - e^(-3.2)) = 7.674.
  // SE(mean) = 0.0088, SE(var) = 0.034; 4.5 SE allowed.
  const double v0 = 25.0, m = 15.0, sigma = 4.0, d = std::exp(-0.5 / kTau), D = std::exp(-32.0 / kTau);
  RngStream rng(11, 0, Purpose::MembraneNoise, 2, 0);
  test::Moments mom;
  for (int p = 0; p < 100000; ++p) {
    double v = v0;
    for (int k = 0; k < 64; ++k) v = lif::ou_step(v, m, sigma, d, rng.normal());
    mom.add(v);
  }
  CHECK(std::abs(mom.mean() - lif::relax(v0, m, D)) < 4.5 * mom.se_mean());
  CHECK(std::abs(mom.variance() - std::pow(lif::ou_transition_sd(sigma, D), 2)) <
        4.5 * mom.se_variance_gaussian());
}

TEST_CASE("time_to_threshold_ms is the analytic LIF period", "[lif]") {
  // From V_r = 10 towards m = 30, theta = 20: T = tau ln((m - V_r)/(m - theta)) = 20 ln 2.
  const double t = lif::time_to_threshold_ms(10.0, 30.0, 20.0, kTau);
  CHECK(t == Approx(20.0 * std::log(2.0)).epsilon(1e-15));
  // ... which is where relaxation meets theta.
  CHECK(lif::relax(10.0, 30.0, std::exp(-t / kTau)) == Approx(20.0).epsilon(1e-14));
  for (double m : {20.5, 25.0, 100.0}) {
    for (double v : {-5.0, 10.0, 19.99}) {
      const double tt = lif::time_to_threshold_ms(v, m, 20.0, kTau);
      INFO("m = " << m << ", v = " << v);
      CHECK(tt > 0.0);
      CHECK(lif::relax(v, m, std::exp(-tt / kTau)) == Approx(20.0).epsilon(1e-12));
    }
  }
  // Never reached when m <= theta.
  CHECK(std::isinf(lif::time_to_threshold_ms(10.0, 20.0, 20.0, kTau)));
  CHECK(std::isinf(lif::time_to_threshold_ms(10.0, 15.0, 20.0, kTau)));
}
