#include "engine/theory/isi_density.h"

#include <algorithm>
#include <cmath>

#include "engine/theory/siegert.h"
#include "netdefs/error.h"

namespace spikeq::inline theory {
namespace {

// Solves a tridiagonal system in place (Thomas algorithm): sub[i] x[i-1] +
// diag[i] x[i] + sup[i] x[i+1] = rhs[i]; the matrices here are diagonally dominant.
void solve_tridiagonal(const std::vector<double>& sub, std::vector<double>& diag, const std::vector<double>& sup,
                       std::vector<double>& rhs) {
  const std::size_t n = diag.size();
  for (std::size_t i = 1; i < n; ++i) {
    const double w = sub[i] / diag[i - 1];
    diag[i] -= w * sup[i - 1];
    rhs[i] -= w * rhs[i - 1];
  }
  rhs[n - 1] /= diag[n - 1];
  for (std::size_t i = n - 1; i-- > 0;) rhs[i] = (rhs[i] - sup[i] * rhs[i + 1]) / diag[i];
}

}  // namespace

IsiDensity lif_isi_density(double tau, double t_ref, double theta, double v_reset, double m, double sigma,
                           double max_t_ms, int points) {
  if (!(tau > 0) || !(t_ref >= 0) || !(sigma > 0) || !(v_reset < theta))
    throw Error("ISI density: needs tau > 0, t_ref >= 0, sigma > 0 and V_r < theta");
  if (!(max_t_ms > 0)) {
    const double nu = siegert_rate_hz(tau, t_ref, theta, v_reset, m, sigma);
    max_t_ms = nu > 0 ? std::min(40 * 1000.0 / nu, 20000.0) : 20000.0;
  }
  // Grid: V_r on a cell centre K + 1/2 cells below the absorbing wall at theta,
  // cells small against the stationary SD and the reset gap; reflecting bottom
  // 6 stationary SDs below both V_r and m.
  const double sd = sigma / std::sqrt(2.0);
  const double gap = theta - v_reset;
  const int k = std::max(200, static_cast<int>(std::ceil(50 * gap / sd)));
  const double dv = gap / (k + 0.5);
  const double bottom = std::min(v_reset, m) - 6 * sd;
  const int below = static_cast<int>(std::ceil((v_reset - bottom) / dv));
  const std::size_t n = static_cast<std::size_t>(k + 1 + below);
  if (n > 200000) throw Error("ISI density: the grid would be too fine (sigma too small against theta - V_r)");
  auto centre = [&](std::size_t i) { return theta - (static_cast<double>(n - 1 - i) + 0.5) * dv; };

  // Interface fluxes J = a p_left + b p_right (drift averaged, diffusion centred);
  // the wall: J = (2 D / dv) p_top.
  const double d = sigma * sigma / (2 * tau);
  std::vector<double> a(n), b(n);  // interface i + 1/2, i = 0..n-2
  for (std::size_t i = 0; i + 1 < n; ++i) {
    const double drift = (m - (centre(i) + dv / 2)) / tau;
    a[i] = drift / 2 + d / dv;
    b[i] = drift / 2 - d / dv;
  }
  const double wall = 2 * d / dv;
  // dp/dt = M p: M(i,i-1) = a[i-1]/dv, M(i,i) = (b[i-1] - a[i])/dv, M(i,i+1) = -b[i]/dv.
  std::vector<double> lo(n, 0.0), di(n, 0.0), up(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) lo[i] = a[i - 1] / dv;
    di[i] = ((i > 0 ? b[i - 1] : 0.0) - (i + 1 < n ? a[i] : wall)) / dv;
    if (i + 1 < n) up[i] = -b[i] / dv;
  }

  std::vector<double> p(n, 0.0);
  p[n - 1 - static_cast<std::size_t>(k)] = 1 / dv;
  std::vector<double> ts = {0.0}, gs = {0.0};
  std::vector<double> diag(n), rhs(n), sub(n), sup(n);
  double t = 0, h = tau * 5e-4, survival = 1;
  const double h_max = tau / 50;
  for (int step = 0; t < max_t_ms && survival > 1e-6; ++step) {
    // Rannacher start: four backward-Euler half steps, then Crank–Nicolson.
    const bool implicit = step < 4;
    const double step_h = implicit ? h / 2 : h;
    const double theta_w = implicit ? 1.0 : 0.5;
    for (std::size_t i = 0; i < n; ++i) {
      double mp = di[i] * p[i];
      if (i > 0) mp += lo[i] * p[i - 1];
      if (i + 1 < n) mp += up[i] * p[i + 1];
      rhs[i] = p[i] + (1 - theta_w) * step_h * mp;
      diag[i] = 1 - theta_w * step_h * di[i];
      sub[i] = -theta_w * step_h * lo[i];
      sup[i] = -theta_w * step_h * up[i];
    }
    solve_tridiagonal(sub, diag, sup, rhs);
    p.swap(rhs);
    t += step_h;
    double mass = 0;
    for (double x : p) mass += x;
    survival = mass * dv;
    ts.push_back(t);
    gs.push_back(wall * p[n - 1]);
    // Longer steps once the start is smoothed out (CN is A-stable; the density is smooth).
    if (t > 2 * tau) h = std::min(h * 1.002, h_max);
  }

  IsiDensity out;
  out.survival = survival;
  const double span = ts.back();
  const int count = std::max(points, 2);
  std::size_t j = 0;
  for (int s = 0; s < count; ++s) {
    const double x = span * s / (count - 1);
    while (j + 2 < ts.size() && ts[j + 1] < x) ++j;
    const double w = ts[j + 1] > ts[j] ? std::clamp((x - ts[j]) / (ts[j + 1] - ts[j]), 0.0, 1.0) : 0.0;
    out.t_ms.push_back(t_ref + x);
    out.density_per_ms.push_back(gs[j] + w * (gs[j + 1] - gs[j]));
  }
  // Moments on the solver's own steps (trapezoid), conditional on the mass absorbed.
  double m0 = 0, m1 = 0, m2 = 0;
  for (std::size_t i = 1; i < ts.size(); ++i) {
    const double dt = ts[i] - ts[i - 1];
    const double f0 = gs[i - 1], f1 = gs[i];
    const double t0 = ts[i - 1] + t_ref, t1 = ts[i] + t_ref;
    m0 += dt * (f0 + f1) / 2;
    m1 += dt * (f0 * t0 + f1 * t1) / 2;
    m2 += dt * (f0 * t0 * t0 + f1 * t1 * t1) / 2;
  }
  out.mean_ms = m1 / m0;
  out.cv = std::sqrt(std::max(m2 / m0 - out.mean_ms * out.mean_ms, 0.0)) / out.mean_ms;
  return out;
}

}  // namespace spikeq::theory
