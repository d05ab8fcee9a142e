// Gaussian tail functions and truncated-normal sampling: what the OU bridge
// sampler in lif.h and the rate theory in engine/ (Siegert integrand) need and
// the standard library lacks. Pure functions; randomness comes in as callables.
#pragma once

#include <cmath>
#include <limits>
#include <numbers>

namespace spikeq {

namespace detail {

// Laplace continued fraction, erfcx(x) = (1/sqrt(pi)) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))),
// evaluated bottom-up. For x >= 3, 32 levels already agree with mpmath to 2e-16;
// 48 leave a margin. Below 3 the direct product is as accurate and cheaper.
inline double erfcx_continued_fraction(double x) {
  constexpr int kLevels = 48;
  double tail = x;
  for (int k = kLevels; k >= 1; --k) tail = x + 0.5 * k / tail;
  return 1.0 / (std::sqrt(std::numbers::pi) * tail);
}

}  // namespace detail

// erfcx(x) = e^(x^2) erfc(x), for every x. Relative accuracy ~1e-15 for x >= 0;
// for x < 0 it is 2 e^(x^2) - erfcx(-x), whose error is that of e^(x^2)
// (condition number 2x^2, unavoidable), and +inf below x ~ -26.6, where the
// true value exceeds the double range. Keeps products like e^(a) erfc(b) finite
// where each factor alone overflows or underflows.
inline double erfcx(double x) {
  if (std::isnan(x)) return x;
  if (x >= 3.0) return detail::erfcx_continued_fraction(x);
  if (x >= 0.0) return std::exp(x * x) * std::erfc(x);
  if (x < -26.7) return std::numeric_limits<double>::infinity();
  return 2.0 * std::exp(x * x) - erfcx(-x);
}

namespace gauss {

// P(U < x) for U ~ N(0, 1), accurate in both tails.
inline double cdf(double x) { return 0.5 * std::erfc(-x * std::numbers::sqrt2 / 2.0); }

// E[exp(-a (c - U)); U < c] = exp(-a c + a^2/2) cdf(c - a) for U ~ N(0,1), a >= 0:
// the mass of a Gaussian times a bridge-crossing factor e^(-a (c - U)) below a
// level. Written so that neither factor overflows: when c - a < 0 the erfcx form.
inline double tilted_mass_below(double c, double a) {
  const double r = (a - c) * std::numbers::sqrt2 / 2.0;
  if (r > 0.0) return 0.5 * std::exp(-0.5 * c * c) * erfcx(r);
  return std::exp(-a * (c - 0.5 * a)) * cdf(c - a);  // c >= a >= 0: exponent <= 0
}

// U ~ N(0,1) conditioned on U < c. Plain rejection while that is likely
// (acceptance >= cdf(-0.5) = 0.31); in the far tail, Robert's (1995) exponential
// proposal, whose acceptance is >= 0.76 for every c <= -0.5. Expected O(1) draws.
// `normal()` returns N(0,1), `uniform()` U(0,1].
template <class Normal, class Uniform>
double sample_below(double c, Normal&& normal, Uniform&& uniform) {
  if (c >= -0.5) {
    for (;;) {
      const double u = normal();
      if (u < c) return u;
    }
  }
  const double a = -c;  // sample V = -U > a
  const double lambda = 0.5 * (a + std::sqrt(a * a + 4.0));
  for (;;) {
    const double v = a - std::log(uniform()) / lambda;
    const double d = v - lambda;
    if (uniform() <= std::exp(-0.5 * d * d)) return -v;
  }
}

// U ~ N(0,1) conditioned on U > c.
template <class Normal, class Uniform>
double sample_above(double c, Normal&& normal, Uniform&& uniform) {
  return -sample_below(-c, normal, uniform);
}

}  // namespace gauss
}  // namespace spikeq
