// Stationary firing rate and ISI variability of one white-noise-driven LIF neuron
// (models/README.md §3): the Siegert / Ricciardi formula and Brunel's (2000) CV.
//
// m is the free membrane's mean target E_l + mu (all input included), sigma the
// noise amplitude with stationary free variance sigma^2/2. Both are exact for
// white-noise input and the diffusion approximation for Poisson shot noise.
#pragma once

namespace spikeq::inline theory {

// 1/nu = t_ref + tau sqrt(pi) * integral_{y_r}^{y_th} erfcx(-u) du,
// y = (v - m)/sigma. Returns Hz. sigma = 0 gives the deterministic limit
// 1/(t_ref + tau ln((m - V_r)/(m - theta))) for m > theta, else 0. Finite for
// every valid input: a far sub-threshold neuron returns 0 (underflow), never NaN.
// Throws spikeq::Error unless tau > 0, t_ref >= 0, sigma >= 0, V_r < theta.
double siegert_rate_hz(double tau_m_ms, double t_ref_ms, double v_th_mv, double v_reset_mv,
                       double m_mv, double sigma_mv);

// Coefficient of variation of the interspike intervals (Brunel 2000, appendix A):
//   CV^2 = 2 pi (nu tau)^2 integral_{y_r}^{y_th} e^(x^2) integral_{-inf}^{x} e^(y^2)(1 + erf y)^2 dy dx.
// sigma = 0 gives 0 (a regular or silent neuron). Same arguments and checks as
// siegert_rate_hz.
double siegert_cv(double tau_m_ms, double t_ref_ms, double v_th_mv, double v_reset_mv,
                  double m_mv, double sigma_mv);

}  // namespace spikeq::theory
