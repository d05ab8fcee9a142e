// erfcx, the Siegert rate and Brunel's CV against numbers computed independently
// with scipy 1.10.1 (scipy.special.erfcx, scipy.integrate.quad/dblquad on the
// textbook integrands) and cross-checked with mpmath at 30 digits, which agreed
// to < 1e-15: tests/theory/theory_reference.py prints every number below.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "engine/theory/siegert.h"
#include "models/gaussian.h"
#include "netdefs/error.h"

using spikeq::siegert_cv;
using spikeq::siegert_rate_hz;

namespace {

// The LIF of models/README.md §4: tau 20 ms, t_ref 2 ms, theta 20 mV, V_r 10 mV.
double rate(double m_mv, double sigma_mv) { return siegert_rate_hz(20, 2, 20, 10, m_mv, sigma_mv); }
double cv(double m_mv, double sigma_mv) { return siegert_cv(20, 2, 20, 10, m_mv, sigma_mv); }

struct Reference {
  double m_mv, sigma_mv, rate_hz, cv;
};

}  // namespace

TEST_CASE("erfcx matches scipy.special.erfcx over the whole range", "[theory]") {
  // scipy.special.erfcx(x); mpmath e^(x^2) erfc(x) agrees to < 5e-16.
  const double table[][2] = {
      {-26.0, 7.657724931490568e+293}, {-5.0, 144009798674.66104},
      {-1.0, 5.008980080762283},       {-0.001, 1.001129379919849},
      {0.0, 1.0},                      {0.5, 0.6156903441929258},
      {2.9, 0.1846018259555908},       {3.0, 0.17900115118138998},
      {3.1, 0.17371840860540827},      {10.0, 0.05614099274382259},
      {1000.0, 0.0005641893014533876}, {1e10, 5.641895835477563e-11},
  };
  for (const auto& row : table) {
    INFO("x = " << row[0]);
    // e^(x^2) for x < 0 carries the rounding of x^2 (condition number 2x^2).
    const double tol = row[0] < -2 ? 4e-14 : 1e-15;
    CHECK(spikeq::erfcx(row[0]) == Approx(row[1]).epsilon(tol));
  }
  CHECK(std::isinf(spikeq::erfcx(-27.0)));
  CHECK(spikeq::erfcx(std::numeric_limits<double>::infinity()) == 0.0);
}

TEST_CASE("Siegert rate and CV match scipy, sub- and supra-threshold", "[theory]") {
  // rate: 1000/(t_ref + tau sqrt(pi) quad(erfcx(-u), y_r, y_th));
  // cv: sqrt(2 pi (nu tau)^2 dblquad(exp(x^2 - y^2) erfcx(-y)^2, y in (-inf, x), x in [y_r, y_th])).
  const Reference refs[] = {
      {15, 5, 9.46079980575913, 0.81475721165945},     // sub-threshold, noise driven
      {19, 2, 13.0343467482059, 0.514564637473193},    // just below
      {20, 5, 27.3405673530773, 0.582635839932714},    // at threshold
      {20, 1, 14.7631038805204, 0.32729661541239},     // at threshold, little noise
      {25, 3, 44.0705917736289, 0.294820874588491},    // supra-threshold
      {30, 1, 63.188002107254, 0.0767954423694046},    // nearly deterministic
      {15, 4.06201920231798, 6.11986833920421, 0.834641192970632},   // example, nu_ext 10 Hz
      {20, 4.12310562561766, 24.9263469320501, 0.53746391317077},    // nu_ext 12.5 Hz
      {25, 4.18330013267038, 45.8488391439552, 0.382869145599763},   // nu_ext 15 Hz
  };
  for (const auto& r : refs) {
    INFO("m = " << r.m_mv << " mV, sigma = " << r.sigma_mv << " mV");
    CHECK(rate(r.m_mv, r.sigma_mv) == Approx(r.rate_hz).epsilon(1e-9));
    CHECK(cv(r.m_mv, r.sigma_mv) == Approx(r.cv).epsilon(1e-9));
  }
}

TEST_CASE("Siegert rate stays accurate far below threshold", "[theory]") {
  // m = 10, sigma = 1 (y_th = 10): scipy quad 1.04411315408462e-41 Hz, CV 1 - 5e-15.
  CHECK(rate(10, 1) == Approx(1.04411315408462e-41).epsilon(1e-9));
  CHECK(cv(10, 1) == Approx(1.0).epsilon(1e-9));
  // m = 0, sigma = 1 (y_th = 20): beyond scipy's double quad (the integrand
  // overflows), mpmath at 30 digits gives 1.079164690849399e-171 Hz.
  CHECK(rate(0, 1) == Approx(1.079164690849399e-171).epsilon(1e-9));
  // Further down the rate underflows to exactly 0, never NaN.
  for (double m : {-10.0, -100.0, -1e6}) {
    INFO("m = " << m);
    CHECK(rate(m, 1) == 0.0);
    CHECK(cv(m, 1) == Approx(1.0).epsilon(1e-9));
  }
  CHECK(rate(19.999, 1e-300) == 0.0);
}

TEST_CASE("Siegert rate tends to the deterministic period as sigma -> 0", "[theory]") {
  // sigma = 0: 1/(t_ref + tau ln((m - V_r)/(m - theta))), e.g. m = 30: 1000/(2 + 20 ln 2).
  const double deterministic = 1000.0 / (2.0 + 20.0 * std::log(2.0));
  CHECK(rate(30, 0) == Approx(deterministic).epsilon(1e-15));
  CHECK(cv(30, 0) == 0.0);
  CHECK(rate(20, 0) == 0.0);
  CHECK(rate(19, 0) == 0.0);
  // mpmath (30 digits) at m = 100, sigma = 1e-3: 229.58629376794925 Hz; the
  // deterministic value 229.5862937679... differs only at O(sigma^2).
  CHECK(rate(100, 1e-3) == Approx(229.58629376794925).epsilon(1e-12));
  // Continuity: the difference from the sigma = 0 value shrinks with sigma.
  double previous_gap = std::abs(rate(30, 1.0) - deterministic);
  for (double sigma : {0.3, 0.1, 0.03, 0.01, 1e-3, 1e-5}) {
    const double gap = std::abs(rate(30, sigma) - deterministic);
    INFO("sigma = " << sigma);
    CHECK(gap < previous_gap);
    previous_gap = gap;
  }
  CHECK(previous_gap < 1e-8 * deterministic);
  CHECK(cv(30, 1e-5) < 1e-5);
  CHECK(rate(30, 1e-200) == Approx(deterministic).epsilon(1e-14));
  // At threshold the small-noise rate goes to 0 only logarithmically:
  // mpmath gives 2.9070019837289686 Hz at sigma = 1e-6.
  CHECK(rate(20, 1e-6) == Approx(2.9070019837289686).epsilon(1e-10));
}

TEST_CASE("Siegert rate saturates at 1/t_ref and rejects bad parameters", "[theory]") {
  CHECK(rate(1e6, 5) < 500.0);
  CHECK(rate(1e6, 5) == Approx(500.0).epsilon(1e-3));
  CHECK(siegert_rate_hz(20, 0, 20, 10, 25, 3) > rate(25, 3));
  CHECK_THROWS_AS(siegert_rate_hz(0, 2, 20, 10, 15, 5), spikeq::Error);
  CHECK_THROWS_AS(siegert_rate_hz(20, -1, 20, 10, 15, 5), spikeq::Error);
  CHECK_THROWS_AS(siegert_rate_hz(20, 2, 20, 20, 15, 5), spikeq::Error);
  CHECK_THROWS_AS(siegert_rate_hz(20, 2, 20, 10, 15, -1), spikeq::Error);
  CHECK_THROWS_AS(siegert_cv(20, 2, 20, 10, std::nan(""), 1), spikeq::Error);
}
