// models/poisson.h: exact continuous-time Poisson arrivals (models/README.md §1).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "engine/core/rng.h"
#include "models/poisson.h"
#include "stat_check.h"

using namespace spikeq;

TEST_CASE("next_arrival_ms scales an Exp(1) draw by the rate", "[poisson]") {
  CHECK(poisson::next_arrival_ms(5.0, 0.02, 1.0) == Approx(55.0));
  CHECK(poisson::next_arrival_ms(5.0, 0.02, 0.0) == 5.0);
  CHECK(std::isinf(poisson::next_arrival_ms(5.0, 0.0, 1.0)));
  CHECK(std::isinf(poisson::next_arrival_ms(5.0, -1.0, 1.0)));
}

TEST_CASE("Poisson ISIs are exponential with CV 1", "[poisson][statistical]") {
  // 200000 ISIs at 40 Hz: mean 25 ms (SE 25/sqrt(n) = 0.056 ms), variance 625 ms^2
  // (SE sqrt(8/n) * 625 = 3.95 ms^2 for exponential data: Var of s^2 = 8 mu^4/n);
  // P(ISI > t) = e^(-t/25) at t = 5, 25, 75 ms, binomial SE. 4.5 SE allowed.
  const double rate_per_ms = 0.04;
  const int n = 200000;
  RngStream rng(51, 0, Purpose::SourceTrain, 0, 0);
  test::Moments isi;
  int above[3] = {0, 0, 0};
  const double probe_ms[3] = {5.0, 25.0, 75.0};
  double t = 0.0;
  for (int i = 0; i < n; ++i) {
    const double next = poisson::next_arrival_ms(t, rate_per_ms, rng.exponential());
    const double gap = next - t;
    isi.add(gap);
    for (int k = 0; k < 3; ++k) above[k] += gap > probe_ms[k] ? 1 : 0;
    t = next;
  }
  CHECK(std::abs(isi.mean() - 25.0) < 4.5 * 25.0 / std::sqrt(n));
  CHECK(std::abs(isi.variance() - 625.0) < 4.5 * 625.0 * std::sqrt(8.0 / n));
  CHECK(std::sqrt(isi.variance()) / isi.mean() == Approx(1.0).epsilon(0.01));
  for (int k = 0; k < 3; ++k) {
    const double p = std::exp(-probe_ms[k] * rate_per_ms);
    INFO("t = " << probe_ms[k]);
    CHECK(std::abs(above[k] / double(n) - p) < 4.5 * test::se_fraction(p, n));
  }
}

TEST_CASE("Poisson counts have Fano factor 1 and merged trains add rates", "[poisson][statistical]") {
  // Counts in T = 100 ms of one merged train standing for C = 50 sources of 10 Hz
  // (superposition: rate C r = 0.5/ms), 20000 windows: mean = variance = 50.
  // SE(mean) = sqrt(50/n) = 0.05; SE(var) ~ 50 sqrt(2/n) = 0.5 (Poisson, large mean).
  // 4.5 SE allowed. A binomial count on a 1 ms grid would have Fano 1 - r dt = 0.5.
  const double rate_per_ms = 50 * 0.010, window_ms = 100.0;
  const int windows = 20000;
  RngStream rng(52, 0, Purpose::InputTrain, 0, 0);
  test::Moments counts;
  double t = poisson::next_arrival_ms(0.0, rate_per_ms, rng.exponential());
  for (int w = 0; w < windows; ++w) {
    int k = 0;
    const double end = (w + 1) * window_ms;
    for (; t < end; t = poisson::next_arrival_ms(t, rate_per_ms, rng.exponential())) ++k;
    counts.add(k);
  }
  CHECK(std::abs(counts.mean() - 50.0) < 4.5 * std::sqrt(50.0 / windows));
  CHECK(std::abs(counts.variance() - 50.0) < 4.5 * 50.0 * std::sqrt(2.0 / windows));
  CHECK(counts.variance() / counts.mean() > 0.9);
}
