// Leaky integrate-and-fire node with delta-pulse input: the exact update rules
// (physics.md §3). Pure functions of plain numbers; randomness comes in as
// arguments (a standard normal xi) or through a caller's stream.
//
//   tau dV/dt = m - V + sigma*sqrt(tau)*eta(t),  m = E_l + mu
//
// Between pulses V is an Ornstein–Uhlenbeck process (plain exponential relaxation
// when sigma = 0). Its transition law over any interval h is known exactly, so
// nothing here has a step size except the bridge test, whose accuracy is set by
// the caller's piece length.
#pragma once

#include <cmath>
#include <limits>

namespace spikeq::lif {

// Deterministic relaxation towards m over a step whose decay factor is e^(-h/tau).
inline double relax(double v_mv, double m_mv, double decay) { return m_mv + (v_mv - m_mv) * decay; }

// Standard deviation of V(t+h) given V(t): sigma*sqrt((1 - e^(-2h/tau))/2).
inline double ou_transition_sd(double sigma_mv, double decay) {
  return sigma_mv * std::sqrt(0.5 * (1.0 - decay * decay));
}

// Exact OU transition: V(t+h) given V(t), with xi ~ N(0,1) and decay = e^(-h/tau).
inline double ou_step(double v_mv, double m_mv, double sigma_mv, double decay, double xi) {
  return relax(v_mv, m_mv, decay) + ou_transition_sd(sigma_mv, decay) * xi;
}

// sigma = 0: time until V, relaxing towards m, reaches theta; +inf when it never
// does (m <= theta). Requires v < theta.
inline double time_to_threshold_ms(double v_mv, double m_mv, double v_th_mv, double tau_m_ms) {
  if (m_mv <= v_th_mv) return std::numeric_limits<double>::infinity();
  return tau_m_ms * std::log((m_mv - v_mv) / (m_mv - v_th_mv));
}

// Probability that the OU path from x0 (at t) to x1 (at t+h), both below theta,
// touched theta in between:
//   exp(-2 (theta-x0)(theta-x1) / (sigma^2 sinh(h/tau)))
// Exact when theta = m; otherwise it is the Brownian-bridge crossing of the
// boundary's chord in the time-changed (Doob) coordinates, whose error is second
// order in h/tau (the boundary's curvature). For h << tau it becomes the Brownian
// formula with diffusion D = sigma^2/tau.
// `sigma2_sinh` is sigma^2 sinh(h/tau), which callers with a fixed h precompute.
inline double bridge_crossing_probability_pre(double x0_mv, double x1_mv, double v_th_mv, double sigma2_sinh) {
  if (x0_mv >= v_th_mv || x1_mv >= v_th_mv) return 1.0;
  if (sigma2_sinh <= 0.0) return 0.0;
  return std::exp(-2.0 * (v_th_mv - x0_mv) * (v_th_mv - x1_mv) / sigma2_sinh);
}

inline double bridge_crossing_probability(double x0_mv, double x1_mv, double v_th_mv,
                                          double sigma_mv, double h_ms, double tau_m_ms) {
  return bridge_crossing_probability_pre(x0_mv, x1_mv, v_th_mv, sigma_mv * sigma_mv * std::sinh(h_ms / tau_m_ms));
}

struct Gaussian {
  double mean;
  double sd;
};

// Law of V at t0+h1 given V(t0) = x0 and V(t0+h1+h2) = x1 (the OU bridge):
// Gaussian, from combining the forward transition with the backward likelihood.
inline Gaussian ou_bridge_point(double x0_mv, double x1_mv, double m_mv, double sigma_mv,
                                double h1_ms, double h2_ms, double tau_m_ms) {
  const double a1 = std::exp(-h1_ms / tau_m_ms);
  const double a2 = std::exp(-h2_ms / tau_m_ms);
  const double one_minus_a1sq = -std::expm1(-2.0 * h1_ms / tau_m_ms);
  const double one_minus_a2sq = -std::expm1(-2.0 * h2_ms / tau_m_ms);
  const double denom = 1.0 - a1 * a1 * a2 * a2;
  const double mean = m_mv + ((x0_mv - m_mv) * a1 * one_minus_a2sq +
                              (x1_mv - m_mv) * a2 * one_minus_a1sq) / denom;
  const double var = 0.5 * sigma_mv * sigma_mv * one_minus_a1sq * one_minus_a2sq / denom;
  return {mean, std::sqrt(var)};
}

// Given that the path from (t0, x0) to (t0+h, x1) crosses theta (decided by the
// caller's bridge test, or x1 >= theta), find the first crossing time to within
// tolerance_ms: sample the bridge midpoint, test the left half, and keep the first
// half that crossed. Both halves are re-tested from the sampled midpoint, so the
// chosen half is drawn from the conditional law given "a crossing happened";
// when neither half crosses (possible because the outer decision was random) the
// midpoint is redrawn. Returns the offset from t0 in ms.
// `normal()` and `uniform()` are the caller's random draws (N(0,1), U(0,1]).
template <class Normal, class Uniform>
double locate_crossing_ms(double x0_mv, double x1_mv, double h_ms, double m_mv, double v_th_mv,
                          double sigma_mv, double tau_m_ms, double tolerance_ms, Normal&& normal,
                          Uniform&& uniform) {
  double t_lo = 0.0;
  double t_hi = h_ms;
  double x_lo = x0_mv;
  double x_hi = x1_mv;
  constexpr int kMaxRedraws = 64;
  while (t_hi - t_lo > tolerance_ms) {
    const double half = 0.5 * (t_hi - t_lo);
    bool chosen = false;
    for (int attempt = 0; attempt < kMaxRedraws && !chosen; ++attempt) {
      const Gaussian g = ou_bridge_point(x_lo, x_hi, m_mv, sigma_mv, half, half, tau_m_ms);
      const double x_mid = g.mean + g.sd * normal();
      if (x_mid >= v_th_mv ||
          uniform() <= bridge_crossing_probability(x_lo, x_mid, v_th_mv, sigma_mv, half, tau_m_ms)) {
        t_hi = t_lo + half;  // crossed in the left half: the first crossing is there
        x_hi = x_mid;
        chosen = true;
      } else if (x_hi >= v_th_mv ||
                 uniform() <= bridge_crossing_probability(x_mid, x_hi, v_th_mv, sigma_mv, half, tau_m_ms)) {
        t_lo += half;
        x_lo = x_mid;
        chosen = true;
      }
    }
    if (!chosen) break;  // crossing so unlikely that the outer decision was a fluke
  }
  return t_hi;
}

}  // namespace spikeq::lif
