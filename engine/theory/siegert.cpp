// Siegert rate and Brunel CV by adaptive Gauss–Kronrod quadrature.
//
// Two things keep the integrals well behaved for any (m, sigma):
// - Scaling. Above threshold-in-sigmas y_th > 0 both integrals grow like
//   e^(y_th^2) (rate) and e^(2 y_th^2) (CV), so they are computed multiplied by
//   e^(-s) and e^(-2s), s = max(y_th, 0)^2, with every exponent combined before
//   exp() is called. The rate is then e^(-s) / (t_ref e^(-s) + tau sqrt(pi) A_s),
//   which underflows gracefully to 0 instead of producing inf/inf.
// - Substitution. Far below (u < -1) the integrands decay only like a power of
//   |u| over a range that reaches (V_r - m)/sigma, huge for small sigma; u = -e^t
//   turns that into a short, smooth integrand, which also gives the sigma -> 0
//   limit tau ln((m - V_r)/(m - theta)) continuously.
#include "engine/theory/siegert.h"

#include <boost/math/quadrature/gauss_kronrod.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "models/gaussian.h"
#include "netdefs/error.h"

namespace spikeq::inline theory {
namespace {

const double kSqrtPi = std::sqrt(std::numbers::pi);

// y_th beyond which the rate is below the smallest double (nu ~ y e^(-y^2)/(tau sqrt pi)):
// nothing is integrated, the rate is 0 and the CV its Poisson-escape limit 1.
constexpr double kSilentY = 40.0;
// y_th below which the diffusion corrections to the deterministic period are
// O(1/y^2) < 1e-16 relative: the sigma = 0 formula is used as is.
constexpr double kDeterministicY = -1e8;
// Lower limit clamp, so that ln(-y_r) stays finite when sigma is denormal.
constexpr double kMinY = -1e300;

// Integrands like e^(u^2 - y^2) (u <= y) fall below e^(-kCut) once y - u > kCut/y:
// only that window is integrated. Besides saving work, it keeps the adaptive
// quadrature from chasing relative accuracy where the integrand is ~1e-300.
constexpr double kCut = 50.0;

constexpr double kOuterTol = 1e-11;
constexpr double kInnerTol = 1e-12;

// Integrates over [a, b] as (b - a) * integral_0^1 f(a + (b - a) x) dx. Boost 1.74's
// adaptive Gauss–Kronrod compares its error estimate on [-1, 1] with a tolerance
// scaled by the half-width, so on a short interval (a sharp sigma -> 0 limit:
// width 1e-5 and less) it never stops refining; on [0, 1] the two agree.
template <class F>
double integrate(F f, double a, double b, double tol) {
  if (!(b > a)) return 0.0;
  const double width = b - a;
  auto unit = [&f, a, width](double x) { return f(a + width * x); };
  return width * boost::math::quadrature::gauss_kronrod<double, 31>::integrate(unit, 0.0, 1.0, 20, tol);
}

double sq(double x) { return x * x; }

// Start of the window [y - kCut/y, y] (y > 0), not below `lo`.
double window_start(double lo, double y) { return std::max(lo, y - kCut / y); }

struct Reduced {
  double y_r;
  double y_th;
  double s;  // scaling exponent max(y_th, 0)^2
};

void check_args(double tau_m_ms, double t_ref_ms, double v_th_mv, double v_reset_mv, double m_mv,
                double sigma_mv) {
  auto bad = [](const std::string& what) { throw Error("Siegert formula: " + what); };
  if (!(tau_m_ms > 0) || !std::isfinite(tau_m_ms)) bad("tau_m_ms must be > 0");
  if (!(t_ref_ms >= 0) || !std::isfinite(t_ref_ms)) bad("t_ref_ms must be >= 0");
  if (!(sigma_mv >= 0) || !std::isfinite(sigma_mv)) bad("sigma_mv must be >= 0");
  if (!std::isfinite(m_mv) || !std::isfinite(v_th_mv) || !std::isfinite(v_reset_mv))
    bad("voltages must be finite");
  if (!(v_reset_mv < v_th_mv)) bad("v_reset_mv must be below v_th_mv");
}

Reduced reduce(double v_th_mv, double v_reset_mv, double m_mv, double sigma_mv) {
  const double y_th = (v_th_mv - m_mv) / sigma_mv;
  const double y_r = std::max((v_reset_mv - m_mv) / sigma_mv, kMinY);
  return {y_r, y_th, y_th > 0 ? y_th * y_th : 0.0};
}

double deterministic_rate_hz(double tau_m_ms, double t_ref_ms, double v_th_mv, double v_reset_mv,
                             double m_mv) {
  if (m_mv <= v_th_mv) return 0.0;
  return 1000.0 / (t_ref_ms + tau_m_ms * std::log((m_mv - v_reset_mv) / (m_mv - v_th_mv)));
}

// A_s = e^(-s) * integral_{y_r}^{y_th} erfcx(-u) du.
double scaled_rate_integral(const Reduced& r) {
  const double scale = std::exp(-r.s);
  double total = 0.0;
  if (r.y_r < -1.0) {
    auto tail = [](double t) {
      const double e = std::exp(t);
      return e * erfcx(e);
    };
    total += scale * integrate(tail, std::log(-std::min(r.y_th, -1.0)), std::log(-r.y_r), kOuterTol);
  }
  const double lo = std::max(r.y_r, -1.0);
  if (r.y_th > lo) {
    const double mid = std::clamp(0.0, lo, r.y_th);
    total += scale * integrate([](double u) { return erfcx(-u); }, lo, mid, kOuterTol);
    // For u > 0, erfcx(-u) = 2 e^(u^2) - erfcx(u); the exponent u^2 - y_th^2 <= 0.
    auto above = [&r, scale](double u) {
      return 2.0 * std::exp((u - r.y_th) * (u + r.y_th)) - erfcx(u) * scale;
    };
    if (r.y_th > mid) total += integrate(above, window_start(mid, r.y_th), r.y_th, kOuterTol);
  }
  return total;
}

// G(x) = integral_{-inf}^{x} e^(x^2) e^(y^2)(1 + erf y)^2 dy for x <= 0, written with
// y = x - d as integral_0^inf e^(2xd - d^2) erfcx(d - x)^2 dd: every factor <= 1.
// The integrand decays on a scale 1/(1 + |x|) in d, hence d = r/(1 + |x|); r = 60
// leaves less than e^(-60) behind.
double g_nonpositive(double x) {
  const double w = 1.0 - x;
  auto f = [x, w](double r) {
    const double d = r / w;
    return std::exp(2.0 * x * d - d * d) * sq(erfcx(d - x));
  };
  return integrate(f, 0.0, 60.0, kInnerTol) / w;
}

// e^(-2s) G(x) for 0 < x <= y_th: G(0) e^(x^2 - 2s) plus the part over y in [0, x],
// where (1 + erf y)^2 lies in [1, 4] and e^(x^2 + y^2 - 2s) <= 1.
double g_positive_scaled(double x, double s, double g0) {
  auto f = [x, s](double y) { return std::exp(x * x + y * y - 2.0 * s) * sq(1.0 + std::erf(y)); };
  return g0 * std::exp(x * x - 2.0 * s) + integrate(f, window_start(0.0, x), x, kInnerTol);
}

// K_s = e^(-2s) * integral_{y_r}^{y_th} G(x) dx.
double scaled_cv_integral(const Reduced& r) {
  const double scale = std::exp(-2.0 * r.s);
  double total = 0.0;
  if (r.y_r < -1.0) {
    auto tail = [](double t) {
      const double e = std::exp(t);
      return e * g_nonpositive(-e);
    };
    total += scale * integrate(tail, std::log(-std::min(r.y_th, -1.0)), std::log(-r.y_r), kOuterTol);
  }
  const double lo = std::max(r.y_r, -1.0);
  if (r.y_th > lo) {
    const double mid = std::clamp(0.0, lo, r.y_th);
    total += scale * integrate(g_nonpositive, lo, mid, kOuterTol);
    if (r.y_th > mid) {
      const double g0 = g_nonpositive(0.0);
      auto f = [&r, g0](double x) { return g_positive_scaled(x, r.s, g0); };
      total += integrate(f, window_start(mid, r.y_th), r.y_th, kOuterTol);
    }
  }
  return total;
}

}  // namespace

double siegert_rate_hz(double tau_m_ms, double t_ref_ms, double v_th_mv, double v_reset_mv,
                       double m_mv, double sigma_mv) {
  check_args(tau_m_ms, t_ref_ms, v_th_mv, v_reset_mv, m_mv, sigma_mv);
  if (sigma_mv == 0.0) return deterministic_rate_hz(tau_m_ms, t_ref_ms, v_th_mv, v_reset_mv, m_mv);
  const Reduced r = reduce(v_th_mv, v_reset_mv, m_mv, sigma_mv);
  if (r.y_th > kSilentY) return 0.0;
  if (r.y_th < kDeterministicY)
    return deterministic_rate_hz(tau_m_ms, t_ref_ms, v_th_mv, v_reset_mv, m_mv);
  const double a_scaled = scaled_rate_integral(r);
  const double e_minus_s = std::exp(-r.s);
  return 1000.0 * e_minus_s / (t_ref_ms * e_minus_s + tau_m_ms * kSqrtPi * a_scaled);
}

double siegert_cv(double tau_m_ms, double t_ref_ms, double v_th_mv, double v_reset_mv,
                  double m_mv, double sigma_mv) {
  check_args(tau_m_ms, t_ref_ms, v_th_mv, v_reset_mv, m_mv, sigma_mv);
  if (sigma_mv == 0.0) return 0.0;
  const Reduced r = reduce(v_th_mv, v_reset_mv, m_mv, sigma_mv);
  if (r.y_th > kSilentY) return 1.0;
  if (r.y_th < kDeterministicY) return 0.0;
  // CV^2 = 2 pi tau^2 nu^2 K with nu = e^(-s)/(t_ref e^(-s) + tau sqrt(pi) A_s) and
  // K = e^(2s) K_s: the scale factors cancel.
  const double a_scaled = scaled_rate_integral(r);
  const double k_scaled = scaled_cv_integral(r);
  const double denom = t_ref_ms * std::exp(-r.s) + tau_m_ms * kSqrtPi * a_scaled;
  return std::sqrt(2.0 * std::numbers::pi * sq(tau_m_ms) * k_scaled) / denom;
}

}  // namespace spikeq::theory
