#include "engine/analysis/statistics.h"

#include "engine/core/strprintf.h"

#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>

namespace spikeq::analysis {

std::string format_estimate(const Estimate& e, const char* value_format, const char* unit) {
  if (!std::isfinite(e.value)) return "-";
  std::string s = strprintf(value_format, e.value);
  if (std::isfinite(e.se)) s += strprintf(" ± %.2g", e.se);
  return s + unit;
}

Moments moments(std::span<const double> x) {
  Moments m;
  m.n = static_cast<double>(x.size());
  if (x.size() == 1) m.mean = x[0];
  if (x.size() < 2) return m;
  double sum = 0;
  for (double v : x) sum += v;
  m.mean = sum / m.n;
  double s2 = 0, s3 = 0, s4 = 0;
  for (double v : x) {
    const double d = v - m.mean;
    const double d2 = d * d;
    s2 += d2;
    s3 += d2 * d;
    s4 += d2 * d2;
  }
  m.var = s2 / (m.n - 1);
  m.m3 = s3 / m.n;
  m.m4 = s4 / m.n;
  return m;
}

double Moments::se_mean() const { return std::sqrt(var / n); }

double Moments::se_var() const { return std::sqrt(std::max(0.0, (m4 - var * var * (n - 3) / (n - 1)) / n)); }

double Moments::cv() const { return std::sqrt(var) / mean; }

// CV = sqrt(v)/m: Var ≈ [v^2/m^4 + (m4 - v^2)/(4 m^2 v) - m3/m^3] / n.
double Moments::se_cv() const {
  const double v2 = var * var;
  const double m2 = mean * mean;
  const double s = v2 / (m2 * m2) + (m4 - v2) / (4 * m2 * var) - m3 / (m2 * mean);
  return std::sqrt(std::max(0.0, s / n));
}

// F = v/m: Var ≈ [(m4 - v^2)/m^2 + v^3/m^4 - 2 v m3/m^3] / n  (2/n for Poisson counts).
double Moments::se_fano() const {
  const double v2 = var * var;
  const double m2 = mean * mean;
  const double s = (m4 - v2) / m2 + v2 * var / (m2 * m2) - 2 * var * m3 / (m2 * mean);
  return std::sqrt(std::max(0.0, s / n));
}

std::vector<double> isis(std::span<const double> times, double t_from, double t_to) {
  std::vector<double> out;
  const auto first = std::upper_bound(times.begin(), times.end(), t_from);
  const auto last = std::upper_bound(first, times.end(), t_to);
  if (last - first < 2) return out;
  out.reserve(static_cast<std::size_t>(last - first - 1));
  for (auto it = first + 1; it != last; ++it) out.push_back(*it - *(it - 1));
  return out;
}

std::vector<double> counts_in_windows(std::span<const double> times, double t0, double window_ms,
                                      std::size_t n_windows) {
  std::vector<double> counts(n_windows, 0.0);
  for (double t : times) {
    if (!(t > t0)) continue;
    // (t0 + k w, t0 + (k+1) w]: a time on a boundary closes the window before it,
    // also when it is a grid time k dt that rounding put an ulp past the boundary.
    const double u = (t - t0) / window_ms * (1 - 1e-12);
    const auto k = static_cast<std::size_t>(std::max(std::ceil(u), 1.0)) - 1;
    if (k < n_windows) counts[k] += 1;
  }
  return counts;
}

Estimate ratio_of_means(std::span<const double> y, std::span<const double> x) {
  Estimate e;
  const std::size_t n = std::min(y.size(), x.size());
  if (n == 0) return e;
  double sy = 0, sx = 0;
  for (std::size_t i = 0; i < n; ++i) sy += y[i], sx += x[i];
  if (sx == 0) return e;
  e.value = sy / sx;
  if (n < 2) return e;
  double ss = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double r = y[i] - e.value * x[i];
    ss += r * r;
  }
  const double nn = static_cast<double>(n);
  e.se = std::sqrt(ss / (nn * (nn - 1))) / (sx / nn);
  return e;
}

Estimate fano_factor(const std::vector<std::vector<double>>& counts) {
  std::vector<double> vars, means;
  std::size_t windows = 0;
  for (const auto& c : counts) {
    if (c.size() < 2) continue;
    const Moments m = moments(c);
    vars.push_back(m.var);
    means.push_back(m.mean);
    windows = c.size();
  }
  Estimate e = ratio_of_means(vars, means);
  if (vars.size() == 1 && windows >= 2) e.se = e.value * std::sqrt(2.0 / static_cast<double>(windows - 1));
  return e;
}

double kolmogorov_survival(double lambda) {
  if (!(lambda > 0)) return 1.0;
  if (lambda < 1.0) {
    // P(K <= lambda) = sqrt(2 pi)/lambda sum_k exp(-(2k-1)^2 pi^2 / (8 lambda^2)).
    const double a = std::numbers::pi * std::numbers::pi / (8 * lambda * lambda);
    double s = 0;
    for (int k = 1; k <= 50; ++k) {
      const double term = std::exp(-(2.0 * k - 1) * (2.0 * k - 1) * a);
      s += term;
      if (term < 1e-17 * s) break;
    }
    return std::clamp(1.0 - std::sqrt(2 * std::numbers::pi) / lambda * s, 0.0, 1.0);
  }
  double p = 0;
  for (int k = 1; k <= 100; ++k) {
    const double term = std::exp(-2.0 * k * k * lambda * lambda);
    p += (k % 2 ? 2.0 : -2.0) * term;
    if (term < 1e-17) break;
  }
  return std::clamp(p, 0.0, 1.0);
}

double ks_statistic(std::vector<double> x, const std::function<double(double)>& cdf) {
  std::sort(x.begin(), x.end());
  const double n = static_cast<double>(x.size());
  double d = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double f = cdf(x[i]);
    d = std::max({d, static_cast<double>(i + 1) / n - f, f - static_cast<double>(i) / n});
  }
  return d;
}

double ks_p_value(double d, double n) {
  if (!(n > 0)) return kNaN;
  const double sn = std::sqrt(n);
  return kolmogorov_survival((sn + 0.12 + 0.11 / sn) * d);
}

double ks_critical(double alpha, std::size_t n) {
  return std::sqrt(-0.5 * std::log(alpha / 2)) / std::sqrt(static_cast<double>(n));
}

KsResult ks_two_sample(std::vector<double> a, std::vector<double> b) {
  KsResult r;
  r.n_a = a.size();
  r.n_b = b.size();
  if (a.empty() || b.empty()) return r;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  const double na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
  std::size_t i = 0, j = 0;
  double d = 0;
  while (i < a.size() && j < b.size()) {
    const double t = std::min(a[i], b[j]);
    while (i < a.size() && a[i] == t) ++i;
    while (j < b.size() && b[j] == t) ++j;
    d = std::max(d, std::abs(static_cast<double>(i) / na - static_cast<double>(j) / nb));
  }
  r.d = d;
  r.p = ks_p_value(d, na * nb / (na + nb));
  return r;
}

double two_sided_quantile(double alpha, double dof) {
  if (!(alpha > 0 && alpha < 1)) return kNaN;
  if (std::isinf(dof) || dof > 1e7) {
    const boost::math::normal_distribution<double> z;
    return boost::math::quantile(boost::math::complement(z, alpha / 2));
  }
  if (!(dof > 0)) return kNaN;
  const boost::math::students_t_distribution<double> t(dof);
  return boost::math::quantile(boost::math::complement(t, alpha / 2));
}

double two_sided_p(double z, double dof) {
  if (!std::isfinite(z)) return std::isnan(z) ? kNaN : 0.0;
  const double a = std::abs(z);
  if (std::isinf(dof) || dof > 1e7) {
    // erfc keeps the far tail (p ~ 1e-300) instead of 1 - cdf = 0.
    return std::erfc(a / std::numbers::sqrt2);
  }
  if (!(dof > 0)) return kNaN;
  const boost::math::students_t_distribution<double> t(dof);
  return 2 * boost::math::cdf(boost::math::complement(t, a));
}

Estimate difference(const Estimate& a, const Estimate& b) {
  Estimate d;
  d.value = a.value - b.value;
  d.se = std::hypot(a.se, b.se);
  const double va = a.se * a.se, vb = b.se * b.se;
  // Welch–Satterthwaite; an infinite dof contributes nothing to the denominator.
  double denom = 0;
  if (!std::isinf(a.dof)) denom += va * va / a.dof;
  if (!std::isinf(b.dof)) denom += vb * vb / b.dof;
  d.dof = denom > 0 ? (va + vb) * (va + vb) / denom : std::numeric_limits<double>::infinity();
  return d;
}

Estimate mean_with_sem(std::span<const double> x) {
  Estimate e;
  if (x.empty()) return e;
  const Moments m = moments(x);
  e.value = m.mean;
  if (x.size() >= 2) {
    e.se = m.se_mean();
    e.dof = m.n - 1;
  }
  return e;
}

LinearFit weighted_linear_fit(std::span<const double> x, std::span<const double> y, std::span<const double> w) {
  LinearFit f;
  double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!(w[i] > 0) || !std::isfinite(x[i]) || !std::isfinite(y[i]) || !std::isfinite(w[i])) continue;
    sw += w[i], sx += w[i] * x[i], sy += w[i] * y[i], sxx += w[i] * x[i] * x[i], sxy += w[i] * x[i] * y[i];
    ++f.n;
  }
  const double det = sw * sxx - sx * sx;
  if (f.n < 2 || !(det > 0)) return f;
  f.slope = (sw * sxy - sx * sy) / det;
  f.intercept = (sy - f.slope * sx) / sw;
  f.slope_se = std::sqrt(sw / det);
  f.chi2 = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!(w[i] > 0) || !std::isfinite(x[i]) || !std::isfinite(y[i]) || !std::isfinite(w[i])) continue;
    const double r = y[i] - f.intercept - f.slope * x[i];
    f.chi2 += w[i] * r * r;
  }
  return f;
}

double coincident_fraction(std::span<const double> times, std::span<const double> network_times) {
  if (times.empty()) return kNaN;
  std::size_t shared = 0;
  std::size_t j = 0;  // network_times[j] is the first >= the current time
  for (std::size_t i = 0; i < times.size();) {
    const double t = times[i];
    std::size_t same = 0;  // spikes of the population at t
    while (i < times.size() && times[i] == t) ++i, ++same;
    while (j < network_times.size() && network_times[j] < t) ++j;
    std::size_t k = j;
    while (k < network_times.size() && network_times[k] == t) ++k;
    if (k - j > 1) shared += same;
  }
  return static_cast<double>(shared) / static_cast<double>(times.size());
}

}  // namespace spikeq::analysis
