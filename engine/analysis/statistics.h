// Estimators on plain arrays of spike times, counts and samples, each with its
// standard error, so that every statement spikeq makes about a run ("consistent",
// "differs", "order 0.5") is a stated number of standard errors. No I/O, no
// knowledge of runs or networks: engine/analysis/summary.h applies these to a run.
#pragma once

#include <string>

#include <cstddef>
#include <functional>
#include <limits>
#include <span>
#include <vector>

namespace spikeq::analysis {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A value with its standard error and the degrees of freedom behind the SE
// (infinity: a large-sample SE; K - 1: the spread of K trials). NaN = unknown.
struct Estimate {
  double value = kNaN;
  double se = kNaN;
  double dof = std::numeric_limits<double>::infinity();
};

// "12.34 ± 0.56" (value in `value_format`, the SE to two digits, then `unit`);
// the value alone when the SE is unknown; "-" when the value is. Every command
// prints estimates this one way.
std::string format_estimate(const Estimate& e, const char* value_format = "%.4g", const char* unit = "");

// Sample moments and the standard errors of the usual estimators (i.i.d. sample).
struct Moments {
  double n = 0;
  double mean = 0;
  double var = 0;  // unbiased (n - 1)
  double m3 = 0;   // central third moment (1/n)
  double m4 = 0;   // central fourth moment (1/n)
  double se_mean() const;  // sqrt(var / n)
  double se_var() const;   // sqrt((m4 - var^2 (n-3)/(n-1)) / n)
  double cv() const;       // sd / mean
  double se_cv() const;    // delta method; 1/sqrt(n) for an exponential sample
  double fano() const { return var / mean; }
  double se_fano() const;  // delta method on var/mean; sqrt(2/n) for Poisson counts
};
// n < 2 gives n and zeros (mean = the one value for n = 1).
Moments moments(std::span<const double> x);

// Intervals between consecutive spikes of one node (times ascending), counting
// only spikes with t_from < t <= t_to.
std::vector<double> isis(std::span<const double> times, double t_from = -std::numeric_limits<double>::infinity(),
                         double t_to = std::numeric_limits<double>::infinity());

// Spike counts in n consecutive windows (t0 + k w, t0 + (k+1) w], k < n.
// (Left-open: a time-stepped run stamps a step's spikes at its end.)
std::vector<double> counts_in_windows(std::span<const double> times, double t0, double window_ms,
                                      std::size_t n_windows);

// Fano factor of counts in windows for a population: counts[i][k] is node i's
// count in window k (every node the same number of windows, >= 2). The estimate
// is the ratio of averages F = sum_i var_i / sum_i mean_i (var_i unbiased over
// node i's windows), so silent nodes count and low-rate nodes do not blow up a
// ratio; SE is the ratio estimator's, from the spread over nodes (independent nodes).
// With one node, SE comes from the chi-square law of a Poisson-like variance, sqrt(2/(n_w - 1)) F.
Estimate fano_factor(const std::vector<std::vector<double>>& counts);

// Ratio of means R = sum y_i / sum x_i with the SE of the ratio estimator
// (sqrt(sum (y_i - R x_i)^2 / (n (n-1))) / mean x).
Estimate ratio_of_means(std::span<const double> y, std::span<const double> x);

// Fraction of the spikes `times` (one population's, ascending) whose exact time is
// shared by another spike of `network_times` (every recorded spike of the run,
// the population's own included; ascending). An exact, event-driven asynchronous
// network has some — one pulse can lift two neurons over threshold together —
// while ~1 means lock-step volleys; on a time grid every spike shares its step.
// NaN when `times` is empty.
double coincident_fraction(std::span<const double> times, std::span<const double> network_times);

// Kolmogorov's limiting law: P(K > lambda), K = sup |Brownian bridge|.
// Alternating series 2 sum (-1)^(k-1) exp(-2 k^2 lambda^2) for lambda >= 1, its
// Jacobi-transformed form 1 - sqrt(2 pi)/lambda sum exp(-(2k-1)^2 pi^2/(8 lambda^2))
// below (both converge fast where used); accurate to ~1e-15 absolute.
double kolmogorov_survival(double lambda);

// One-sample KS statistic D = sup |F_n - F| of a sample against a continuous CDF.
double ks_statistic(std::vector<double> x, const std::function<double(double)>& cdf);
// Asymptotic p-value of D for an effective sample size n, with Stephens'
// finite-n correction lambda = (sqrt(n) + 0.12 + 0.11/sqrt(n)) D.
double ks_p_value(double d, double n);
// Critical D at level alpha (asymptotic): sqrt(-ln(alpha/2)/2) / sqrt(n).
double ks_critical(double alpha, std::size_t n);

// Two-sample Kolmogorov–Smirnov test: D = sup |F_a - F_b| (ties handled by
// stepping over equal values in both samples together) and the asymptotic
// p-value at the effective n = n_a n_b / (n_a + n_b). p = NaN when a sample is empty.
struct KsResult {
  double d = kNaN;
  double p = kNaN;
  std::size_t n_a = 0, n_b = 0;
};
KsResult ks_two_sample(std::vector<double> a, std::vector<double> b);

// Two-sided normal and Student-t quantiles: z with P(|Z| > z) = alpha.
double two_sided_quantile(double alpha, double dof = std::numeric_limits<double>::infinity());

// Two-sided p-value of a z (dof infinite) or t statistic: P(|Z| > |z|).
double two_sided_p(double z, double dof = std::numeric_limits<double>::infinity());

// Difference a - b with SE hypot(se_a, se_b) and Welch–Satterthwaite dof.
Estimate difference(const Estimate& a, const Estimate& b);

// Mean over K values with SE = sd / sqrt(K) and dof K - 1 (K >= 2; K = 1 gives SE NaN).
Estimate mean_with_sem(std::span<const double> x);

// Weighted least squares y = intercept + slope x (weights 1/Var y). SEs from the
// weights (slope_se = sqrt(sum w / det)); chi2 = weighted residual sum of squares.
struct LinearFit {
  double slope = kNaN, slope_se = kNaN;
  double intercept = kNaN;
  double chi2 = kNaN;
  std::size_t n = 0;
};
LinearFit weighted_linear_fit(std::span<const double> x, std::span<const double> y, std::span<const double> w);

}  // namespace spikeq::analysis
