// The ISI density of a white-noise-driven LIF neuron (models/README.md §3): t_ref plus
// the first-passage time of the Ornstein–Uhlenbeck membrane from V_r to theta,
// from the Fokker–Planck equation
//     dp/dt = -dJ/dv,   J = (m - v)/tau p - (sigma^2 / 2 tau) dp/dv,
// absorbing at theta (p = 0), reflecting far below, all mass at V_r at t = 0; the
// density is the outflux J(theta, t). Solved by finite volumes (cell-centred, the
// absorbing wall half a cell beyond the last centre) and Crank–Nicolson in time
// after four backward-Euler half steps that damp the start from a point mass
// (Rannacher). Its mean and CV reproduce the Siegert rate and Brunel's CV to
// ~1e-4 (tests/theory/test_isi_density.cpp): an independent check of the
// quadrature formulas, and the theory curve of the ISI plots.
#pragma once

#include <vector>

namespace spikeq::inline theory {

struct IsiDensity {
  std::vector<double> t_ms;            // ascending, from t_ref
  std::vector<double> density_per_ms;  // g(t): integrates to 1 - survival over the span
  double survival = 1;                 // probability mass beyond the last time
  double mean_ms = 0;                  // mean ISI (t_ref included) of the absorbed mass
  double cv = 0;                       // its coefficient of variation
};

// Throws Error unless tau > 0, t_ref >= 0, sigma > 0, V_r < theta. Integrates
// until the survival probability falls below 1e-6 or t reaches max_t_ms (0: 40
// mean ISIs from the Siegert rate, at most 20 s); about `points` samples returned.
IsiDensity lif_isi_density(double tau_m_ms, double t_ref_ms, double v_th_mv, double v_reset_mv, double m_mv,
                           double sigma_mv, double max_t_ms = 0, int points = 400);

}  // namespace spikeq::theory
