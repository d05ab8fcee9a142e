// Small helpers for the statistical model tests: running moments, standard
// errors, and the Kolmogorov–Smirnov distance. Every Monte Carlo check states
// its standard error and compares within a fixed number of them (fixed seeds,
// so a test is deterministic; the tolerance says how surprising a failure is).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace spikeq::test {

struct Moments {
  double n = 0, sum = 0, sum2 = 0;
  void add(double x) {
    n += 1;
    sum += x;
    sum2 += x * x;
  }
  double mean() const { return sum / n; }
  double variance() const { return (sum2 - sum * sum / n) / (n - 1); }
  double se_mean() const { return std::sqrt(variance() / n); }
  // SE of the sample variance of Gaussian data: var * sqrt(2/(n-1)).
  double se_variance_gaussian() const { return variance() * std::sqrt(2.0 / (n - 1)); }
};

// Binomial standard error of an estimated probability p from n trials.
inline double se_fraction(double p, double n) { return std::sqrt(p * (1.0 - p) / n); }

// sup_x |F_n(x) - F(x)| over x <= x_max, for samples (sorted in place) against a
// CDF F. Samples that never happened within x_max (e.g. no crossing) are passed
// as +inf: they only keep the empirical CDF below 1, which F must then match.
template <class Cdf>
double ks_distance(std::vector<double>& samples, Cdf&& cdf, double x_max) {
  std::sort(samples.begin(), samples.end());
  const double n = static_cast<double>(samples.size());
  double d = 0.0;
  std::size_t k = 0;
  for (; k < samples.size() && samples[k] <= x_max; ++k) {
    const double f = cdf(samples[k]);
    d = std::max({d, std::abs(static_cast<double>(k + 1) / n - f), std::abs(static_cast<double>(k) / n - f)});
  }
  return std::max(d, std::abs(static_cast<double>(k) / n - cdf(x_max)));
}

// Kolmogorov's asymptotic critical value of sqrt(n) D at level 0.001 (one test
// in a thousand fails by chance): 1.949.
constexpr double kKsCritical001 = 1.949;

}  // namespace spikeq::test
