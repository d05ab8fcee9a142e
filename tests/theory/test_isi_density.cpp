// The Fokker–Planck ISI density of engine/theory/isi_density.h against the
// quadrature formulas it must reproduce: its mean is 1/nu (Siegert) and its CV
// Brunel's (2000, appendix A) — values from scipy 1.10.1 and mpmath
// (tests/theory/theory_reference.py), as in test_theory_siegert.cpp.
#include <catch2/catch.hpp>

#include "engine/theory/isi_density.h"
#include "netdefs/error.h"

using spikeq::theory::lif_isi_density;

TEST_CASE("LIF ISI density: mean 1/nu and CV match Siegert and Brunel", "[analysis]") {
  struct Case {
    double m, sigma, rate_hz, cv;
  };
  const Case cases[] = {{15, 5, 9.46079980575913, 0.81475721165945},   // ou_lif: noise driven
                        {20, 5, 27.3405673530773, 0.582635839932714},  // at threshold
                        {25, 3, 44.0705917736289, 0.294820874588491},  // supra-threshold
                        {19, 2, 13.0343467482059, 0.514564637473193},  // just below
                        {30, 1, 63.188002107254, 0.0767954423694046}}; // nearly deterministic
  for (const Case& c : cases) {
    INFO("m = " << c.m << ", sigma = " << c.sigma);
    const auto g = lif_isi_density(20, 2, 20, 10, c.m, c.sigma);
    CHECK(g.survival < 1e-5);
    // Measured: |relative error| <= 1.3e-4 for both.
    CHECK(g.mean_ms == Approx(1000.0 / c.rate_hz).epsilon(5e-4));
    CHECK(g.cv == Approx(c.cv).epsilon(5e-4));
    REQUIRE(g.t_ms.size() == 400);
    CHECK(g.t_ms.front() == 2);  // starts at t_ref
    for (double x : g.density_per_ms) CHECK(x >= -1e-12);
  }
  CHECK_THROWS_AS(lif_isi_density(20, 2, 20, 10, 15, 0), spikeq::Error);
}
