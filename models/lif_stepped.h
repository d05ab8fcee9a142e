// Leaky integrate-and-fire node on a fixed time grid: the update rules of the
// time-stepped reference engine (models/README.md §5, Q8). Pure functions of plain
// numbers; the caller supplies the standard normal xi.
//
//   tau dV/dt = m - V + sigma*sqrt(tau)*eta(t),  m = E_l + mu
//
// One step of length dt moves V from the grid point t to t + dt by one of:
//  * Euler–Maruyama (the tutorial's rule, models/README.md §5; the default):
//      V <- V + (m - V) dt/tau + sigma sqrt(dt/tau) xi
//    first order; its discrete AR(1) has decay 1 - dt/tau, so its stationary
//    variance is sigma^2 (dt/tau) / (1 - (1 - dt/tau)^2), not sigma^2/2, and it is
//    unstable for dt >= 2 tau;
//  * exact: the OU transition law of models/README.md §3 sampled on the grid,
//      V <- m + (V - m) e^(-dt/tau) + sigma sqrt((1 - e^(-2 dt/tau))/2) xi
//    no error in V at grid points for any dt.
// Either way the pulses that arrive in the step are added after the step, and
// the threshold is looked at only on grid points (see engine/stepped/stepped_driver.h).
#pragma once

#include <cmath>

#include "models/lif.h"

namespace spikeq::lif_stepped {

// Euler–Maruyama: `dt_over_tau` = dt/tau, `noise_mv` = sigma sqrt(dt/tau).
inline double euler_maruyama_step(double v_mv, double m_mv, double dt_over_tau, double noise_mv, double xi) {
  return v_mv + (m_mv - v_mv) * dt_over_tau + noise_mv * xi;
}

// Exact OU step: `decay` = e^(-dt/tau), `noise_mv` = sigma sqrt((1 - decay^2)/2).
inline double exact_step(double v_mv, double m_mv, double decay, double noise_mv, double xi) {
  return lif::ou_step_pre(v_mv, m_mv, decay, noise_mv, xi);
}

// Per-step constants of one population and step length.
struct StepCoefficients {
  double euler_rate = 0;   // dt/tau
  double euler_noise = 0;  // sigma sqrt(dt/tau)
  double decay = 0;        // e^(-dt/tau)
  double exact_noise = 0;  // sigma sqrt((1 - e^(-2 dt/tau))/2)
};

inline StepCoefficients coefficients(double dt_ms, double tau_m_ms, double sigma_mv) {
  StepCoefficients c;
  c.euler_rate = dt_ms / tau_m_ms;
  c.euler_noise = sigma_mv * std::sqrt(c.euler_rate);
  c.decay = std::exp(-c.euler_rate);
  c.exact_noise = sigma_mv * std::sqrt(-0.5 * std::expm1(-2.0 * c.euler_rate));
  return c;
}

// Stationary variance of the free (threshold-less) membrane under each rule:
// the AR(1) V' = m + a (V - m) + s xi has Var = s^2 / (1 - a^2).
inline double euler_stationary_variance(double sigma_mv, double dt_over_tau) {
  const double a = 1.0 - dt_over_tau;
  return sigma_mv * sigma_mv * dt_over_tau / (1.0 - a * a);
}
inline double exact_stationary_variance(double sigma_mv) { return 0.5 * sigma_mv * sigma_mv; }

}  // namespace spikeq::lif_stepped
