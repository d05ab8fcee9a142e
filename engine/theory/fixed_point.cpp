// Relaxation towards a fixed point, polished by Newton (see fixed_point.h).
//
// Why not plain iteration x <- f(x): it diverges in inhibition-dominated
// networks, where f falls steeply with x (f' << -1) and every step overshoots.
// Why not a residual-decreasing damped iteration: on the way up from silence in
// an excitatory network |f(x) - x| first grows (f' > 1 at low rates), so such a
// rule stalls at once. Integrating the relaxation dynamics with error control
// does both right, and lands on a solution the rate dynamics would reach. Newton
// then converges quadratically, and finds the solutions relaxation leaves.
#include "engine/theory/fixed_point.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace spikeq::inline theory {
namespace {

using Vec = std::vector<double>;

constexpr int kMaxRelaxSteps = 3000;
constexpr double kRelaxTol = 1e-3;    // per-step error of the relaxation path, relative
constexpr double kNearRelTol = 1e-4;  // hand over to Newton once this close
constexpr int kMaxNewtonSteps = 60;

double norm2(const Vec& v) {
  double s = 0.0;
  for (double x : v) s += x * x;
  return std::sqrt(s);
}

bool small_enough(const Vec& r, const Vec& x, double rel_tol, double abs_tol) {
  for (std::size_t i = 0; i < r.size(); ++i)
    if (!(std::abs(r[i]) <= abs_tol + rel_tol * std::abs(x[i]))) return false;
  return true;
}

Vec clamp_box(Vec x, const Vec& upper) {
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::clamp(x[i], 0.0, upper[i]);
  return x;
}

// Solves a x = b by Gaussian elimination with partial pivoting; false if singular.
bool solve_linear(std::vector<Vec> a, Vec b, Vec& x) {
  const std::size_t n = b.size();
  for (std::size_t c = 0; c < n; ++c) {
    std::size_t p = c;
    for (std::size_t r = c + 1; r < n; ++r)
      if (std::abs(a[r][c]) > std::abs(a[p][c])) p = r;
    if (!(std::abs(a[p][c]) > 0.0)) return false;
    std::swap(a[p], a[c]);
    std::swap(b[p], b[c]);
    for (std::size_t r = c + 1; r < n; ++r) {
      const double factor = a[r][c] / a[c][c];
      for (std::size_t k = c; k < n; ++k) a[r][k] -= factor * a[c][k];
      b[r] -= factor * b[c];
    }
  }
  x.assign(n, 0.0);
  for (std::size_t c = n; c-- > 0;) {
    double s = b[c];
    for (std::size_t k = c + 1; k < n; ++k) s -= a[c][k] * x[k];
    x[c] = s / a[c][c];
  }
  return std::all_of(x.begin(), x.end(), [](double v) { return std::isfinite(v); });
}

// Newton on r(x) = f(x) - x with a forward-difference Jacobian and backtracking on |r|.
void newton(const std::function<Vec(const Vec&)>& residual, Vec& x, Vec& r, const Vec& upper,
            const std::function<bool()>& done) {
  const std::size_t n = x.size();
  for (int step = 0; step < kMaxNewtonSteps && !done(); ++step) {
    std::vector<Vec> jac(n, Vec(n));
    for (std::size_t j = 0; j < n; ++j) {
      double h = 1e-6 * std::max(std::abs(x[j]), 1e-3);
      if (x[j] + h > upper[j]) h = -h;
      Vec xh = x;
      xh[j] += h;
      const Vec rh = residual(xh);
      for (std::size_t i = 0; i < n; ++i) jac[i][j] = (rh[i] - r[i]) / h;
    }
    Vec minus_r(n);
    for (std::size_t i = 0; i < n; ++i) minus_r[i] = -r[i];
    Vec dx;
    if (!solve_linear(jac, minus_r, dx)) return;
    bool accepted = false;
    for (double lambda = 1.0; lambda > 1e-6 && !accepted; lambda *= 0.5) {
      Vec trial = x;
      for (std::size_t i = 0; i < n; ++i) trial[i] += lambda * dx[i];
      trial = clamp_box(std::move(trial), upper);
      Vec r_trial = residual(trial);
      if (norm2(r_trial) < norm2(r)) {
        x = std::move(trial);
        r = std::move(r_trial);
        accepted = true;
      }
    }
    if (!accepted) return;
  }
}

}  // namespace

FixedPointResult solve_fixed_point(const std::function<Vec(const Vec&)>& f, Vec start,
                                   const Vec& upper, double rel_tol, double abs_tol) {
  FixedPointResult result;
  const std::function<Vec(const Vec&)> residual = [&](const Vec& x) {
    ++result.evaluations;
    Vec r = f(x);
    for (std::size_t i = 0; i < r.size(); ++i) r[i] -= x[i];
    return r;
  };
  const std::size_t n = start.size();
  const Vec x0 = clamp_box(std::move(start), upper);
  Vec x = x0;
  Vec r = residual(x);
  const std::function<bool()> done = [&] { return small_enough(r, x, rel_tol, abs_tol); };
  auto near = [&] { return small_enough(r, x, kNearRelTol, kNearRelTol); };

  // The relaxation dx/dt = f(x) - x by Heun's method with Euler as the embedded
  // error estimate. The error control follows the transient; the step is also
  // kept below 1/L, L the slope of f - x seen across the step, because on the
  // approach the error estimate vanishes and would otherwise let the step grow
  // to the stability limit, where Heun stops contracting (steep f' << -1).
  double dt = 1.0;
  for (int step = 0; step < kMaxRelaxSteps && !near(); ++step) {
    Vec euler = x;
    for (std::size_t i = 0; i < n; ++i) euler[i] += dt * r[i];
    euler = clamp_box(std::move(euler), upper);
    const Vec r_euler = residual(euler);
    Vec heun = x;
    double err = 0.0;
    Vec dr(n), dx(n);
    for (std::size_t i = 0; i < n; ++i) {
      heun[i] += 0.5 * dt * (r[i] + r_euler[i]);
      err = std::max(err, 0.5 * dt * std::abs(r_euler[i] - r[i]) / (1.0 + std::abs(x[i])));
      dr[i] = r_euler[i] - r[i];
      dx[i] = euler[i] - x[i];
    }
    if (err <= kRelaxTol) {
      x = clamp_box(std::move(heun), upper);
      r = residual(x);
    }
    dt *= std::clamp(0.9 * std::sqrt(kRelaxTol / std::max(err, 1e-300)), 0.2, 4.0);
    if (norm2(dx) > 0.0 && norm2(dr) > 0.0) dt = std::min(dt, norm2(dx) / norm2(dr));
  }
  newton(residual, x, r, upper, done);
  if (!done()) {  // e.g. a solution the relaxation flows away from
    x = x0;
    r = residual(x);
    newton(residual, x, r, upper, done);
  }
  result.converged = done();
  result.x = std::move(x);
  return result;
}

}  // namespace spikeq::theory
