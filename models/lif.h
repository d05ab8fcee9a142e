// The leaky integrate-and-fire neuron with delta-pulse input (models/README.md §3),
// the whole model in one place: its parameters (LifParams), the exact update
// between events (relax, ou_step), what a pulse, a spike and the reset do
// (apply_pulse, refractory_end_ms), and the search for a threshold crossing
// between events (bridge test, locate_crossing_ms). Both drivers call these; they
// keep the state (V, time of last update) in their own structure-of-arrays
// layouts, and models/lif_stepped.h adds the grid rules of the stepped engine.
// Pure functions of plain numbers; randomness comes in as arguments (a standard
// normal xi) or through a caller's stream.
//
//   tau dV/dt = m - V + sigma*sqrt(tau)*eta(t),  m = E_l + mu
//
// Between pulses V is an Ornstein–Uhlenbeck process (plain exponential relaxation
// when sigma = 0). Its transition law over any interval h is known exactly, so
// nothing here has a step size except the bridge test, whose accuracy is set by
// the caller's piece length.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>

#include "models/gaussian.h"

namespace spikeq {

// Parameters of one LIF population, as the netdef gives them (netdefs/spikeq.proto
// states each one's range).
struct LifParams {
  double tau_m_ms = 20;    // membrane time constant
  double e_l_mv = 0;       // resting (leak reversal) potential E_l
  double v_th_mv = 20;     // firing threshold theta
  double v_reset_mv = 10;  // reset potential V_r, held for t_ref after a spike
  double t_ref_ms = 2;     // absolute refractory period; pulses in it are dropped
  // Initial V: uniform in [v_init_low_mv, v_init_high_mv); equal ends = fixed.
  double v_init_low_mv = 0;
  double v_init_high_mv = 0;
  double mu_mv = 0;     // background drive mean
  double sigma_mv = 0;  // background white-noise amplitude (stationary var sigma^2/2)
  double mean_target_mv() const { return e_l_mv + mu_mv; }  // m of models/README.md §3
  bool operator==(const LifParams&) const = default;
};

}  // namespace spikeq

namespace spikeq::lif {

// Deterministic relaxation towards m over a step whose decay factor is e^(-h/tau).
inline double relax(double v_mv, double m_mv, double decay) { return m_mv + (v_mv - m_mv) * decay; }

// Standard deviation of V(t+h) given V(t): sigma*sqrt((1 - e^(-2h/tau))/2).
inline double ou_transition_sd(double sigma_mv, double decay) {
  return sigma_mv * std::sqrt(0.5 * (1.0 - decay * decay));
}

// Exact OU transition, the one step every engine uses: V(t+h) given V(t), with
// xi ~ N(0,1), decay = e^(-h/tau) and `sd_mv` = ou_transition_sd(sigma, decay)
// (callers with a fixed h precompute decay and sd).
inline double ou_step_pre(double v_mv, double m_mv, double decay, double sd_mv, double xi) {
  return relax(v_mv, m_mv, decay) + sd_mv * xi;
}
inline double ou_step(double v_mv, double m_mv, double sigma_mv, double decay, double xi) {
  return ou_step_pre(v_mv, m_mv, decay, ou_transition_sd(sigma_mv, decay), xi);
}

// A pulse of w_mv at t (V already brought to t): V jumps by w; the node fires
// when V reaches theta. Pulses that share one instant are summed by the caller
// first and applied as one jump (models/README.md §3, "Simultaneous pulses").
inline bool apply_pulse(double& v_mv, double w_mv, double v_th_mv) {
  v_mv += w_mv;
  return v_mv >= v_th_mv;
}

// After a spike at t, V is held at V_r until this time, and pulses before it are
// dropped. With t_ref = 0 the node is still refractory at t itself (the next
// double), so that it fires at most once at one instant.
inline double refractory_end_ms(double t_ms, double t_ref_ms) {
  return std::max(t_ms + t_ref_ms, std::nextafter(t_ms, std::numeric_limits<double>::infinity()));
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
  // 1 - (a1 a2)^2 without the cancellation that costs eps*tau/(h1+h2) relative
  // precision on short intervals (deep in the crossing bisection).
  const double denom = -std::expm1(-2.0 * (h1_ms + h2_ms) / tau_m_ms);
  const double mean = m_mv + ((x0_mv - m_mv) * a1 * one_minus_a2sq +
                              (x1_mv - m_mv) * a2 * one_minus_a1sq) / denom;
  const double var = 0.5 * sigma_mv * sigma_mv * one_minus_a1sq * one_minus_a2sq / denom;
  return {mean, std::sqrt(var)};
}

// One bisection step of the crossing search. The path runs from x_lo to x_hi
// over two halves of length half_ms and is known to cross theta (x_lo < theta).
// Draws the midpoint and which half holds the first crossing from their joint
// law given that crossing, and returns them. Exact given the bridge crossing
// probabilities of bridge_crossing_probability (so exact when theta = m),
// with O(1) expected draws however unlikely the crossing was.
//
// With the midpoint Z = mean + sd U (U ~ N(0,1), the bridge law) and
// c = (theta - mean)/sd, the halves cross with probabilities
//   left:  1 for U >= c, else e^(-a (c - U)),  a = 2 sd (theta - x_lo)/(sigma^2 sinh(half/tau))
//   right: 1 for U >= c or x_hi >= theta, else e^(-b (c - U)), b likewise with x_hi.
// So the joint law is a mixture of three pieces, each a (tilted) truncated normal:
//   left,  U >= c:  N(0,1) above c;                    mass 1 - cdf(c)
//   left,  U <  c:  N(a,1) below c;                    mass M(a) = E[e^(-a(c-U)); U < c]
//   right, U <  c:  N(b,1) below c, thinned by 1 - e^(-a(c-U))  (b = 0 if x_hi >= theta);
//                                                     mass M(b) - M(a+b)
// The thinning loop needs M(b)/(M(b) - M(a+b)) proposals on average and runs with
// probability (M(b) - M(a+b))/total, so it costs M(b)/total <= 1 proposal per
// step. (Redrawing the unconditioned midpoint until some half crosses would be
// exact too, but needs 1/total draws: a heavy tail, since the halves chosen at
// each step can have small crossing probabilities.)
struct CrossedMidpoint {
  double x_mv;
  bool in_left_half;
};

template <class Normal, class Uniform>
CrossedMidpoint sample_crossed_midpoint(double x_lo_mv, double x_hi_mv, double half_ms,
                                        double m_mv, double v_th_mv, double sigma_mv,
                                        double tau_m_ms, Normal&& normal, Uniform&& uniform) {
  const Gaussian g = ou_bridge_point(x_lo_mv, x_hi_mv, m_mv, sigma_mv, half_ms, half_ms, tau_m_ms);
  const double sigma2_sinh = sigma_mv * sigma_mv * std::sinh(half_ms / tau_m_ms);
  if (!(g.sd > 0.0) || !(sigma2_sinh > 0.0)) {
    // No noise: the midpoint is certain and only an endpoint at theta crosses.
    return {g.mean, g.mean >= v_th_mv};
  }
  const double c = (v_th_mv - g.mean) / g.sd;
  const double a = 2.0 * g.sd * (v_th_mv - x_lo_mv) / sigma2_sinh;
  const bool right_sure = x_hi_mv >= v_th_mv;
  const double b = right_sure ? 0.0 : 2.0 * g.sd * (v_th_mv - x_hi_mv) / sigma2_sinh;
  const double mass_above = gauss::cdf(-c);
  const double mass_left_below = gauss::tilted_mass_below(c, a);
  const double mass_right = std::max(
      0.0, gauss::tilted_mass_below(c, b) - gauss::tilted_mass_below(c, a + b));
  const double total = mass_above + mass_left_below + mass_right;
  if (!(total > 0.0)) return {g.mean, g.mean >= v_th_mv};  // crossing below double range

  const double pick = uniform() * total;
  if (pick <= mass_above) return {g.mean + g.sd * gauss::sample_above(c, normal, uniform), true};
  if (pick <= mass_above + mass_left_below) {
    const double u = a + gauss::sample_below(c - a, normal, uniform);
    return {g.mean + g.sd * u, true};
  }
  for (;;) {
    const double u = b + gauss::sample_below(c - b, normal, uniform);
    if (uniform() <= -std::expm1(-a * (c - u))) return {g.mean + g.sd * u, false};
  }
}

// Given that the path from (t0, x0) to (t0+h, x1) crosses theta (decided by the
// caller's bridge test, or x1 >= theta), find the first crossing time to within
// tolerance_ms by bisection: at each step draw the midpoint and the half that
// holds the first crossing from their joint law given the crossing
// (sample_crossed_midpoint), and keep that half. Returns the offset from t0 in
// ms, the upper end of the final bracket: in (0, h].
// `normal()` and `uniform()` are the caller's random draws (N(0,1), U(0,1]).
template <class Normal, class Uniform>
double locate_crossing_ms(double x0_mv, double x1_mv, double h_ms, double m_mv, double v_th_mv,
                          double sigma_mv, double tau_m_ms, double tolerance_ms, Normal&& normal,
                          Uniform&& uniform) {
  double t_lo = 0.0;
  double t_hi = h_ms;
  double x_lo = x0_mv;
  double x_hi = x1_mv;
  while (t_hi - t_lo > tolerance_ms) {
    const double half = 0.5 * (t_hi - t_lo);
    const CrossedMidpoint mid = sample_crossed_midpoint(x_lo, x_hi, half, m_mv, v_th_mv, sigma_mv,
                                                        tau_m_ms, normal, uniform);
    if (mid.in_left_half) {
      t_hi = t_lo + half;
      x_hi = mid.x_mv;
    } else {
      t_lo += half;
      x_lo = mid.x_mv;
    }
  }
  return t_hi;
}

}  // namespace spikeq::lif
