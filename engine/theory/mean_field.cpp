// Mean field of a homogeneous network (Brunel 2000, models/README.md §4): the reduction
// of a NetworkSpec to one equation nu = Siegert(mu(nu), sigma(nu)) and the scan
// for all of its solutions. A network can have several (a quiet and an active
// state, say); the simulation settles on a stable one, so `spikeq theory` shows
// them all rather than whichever an iteration happens to reach.
#include <boost/math/tools/roots.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>

#include "engine/theory/theory.h"

namespace spikeq::inline theory {
namespace {

// Parameters agree to rounding: input sums built in different orders still match.
bool same(double a, double b) { return std::abs(a - b) <= 1e-12 * std::max(std::abs(a), std::abs(b)); }

bool same_neuron(const LifParams& a, const LifParams& b) {
  return same(a.tau_m_ms, b.tau_m_ms) && same(a.t_ref_ms, b.t_ref_ms) && same(a.v_th_mv, b.v_th_mv) &&
         same(a.v_reset_mv, b.v_reset_mv) && same(a.e_l_mv, b.e_l_mv);
}

// The rate of the homogeneous network is capped by the refractory period; without
// one, 10 kHz is far beyond anything a diffusion approximation describes.
constexpr double kNoRefractoryCapHz = 1e4;

}  // namespace

double HomogeneousMeanField::siegert_hz(double nu_hz) const {
  const double mu = mu_fixed_mv + mu_mv_per_hz * nu_hz;
  const double var = var_fixed_mv2 + var_mv2_per_hz * nu_hz;
  // Never throw for a validated netdef: moments that overflow have no rate.
  if (!std::isfinite(e_l_mv + mu) || !std::isfinite(var)) return std::numeric_limits<double>::quiet_NaN();
  return siegert_rate_hz(tau_m_ms, t_ref_ms, v_th_mv, v_reset_mv, e_l_mv + mu,
                         std::sqrt(std::max(var, 0.0)));
}

std::optional<HomogeneousMeanField> homogeneous_reduction(const NetworkSpec& spec) {
  std::optional<HomogeneousMeanField> out;
  const LifParams* first = nullptr;
  // Sparse coefficients, built once: linear in populations + projections.
  const std::vector<SparseInput> inputs = sparse_inputs(spec);
  for (std::size_t i = 0; i < spec.populations.size(); ++i) {
    const PopulationSpec& pop = spec.populations[i];
    if (pop.kind != ModelKind::Lif) continue;
    const SparseInput& c = inputs[i];
    HomogeneousMeanField mf;
    mf.tau_m_ms = pop.lif.tau_m_ms;
    mf.t_ref_ms = pop.lif.t_ref_ms;
    mf.v_th_mv = pop.lif.v_th_mv;
    mf.v_reset_mv = pop.lif.v_reset_mv;
    mf.e_l_mv = pop.lif.e_l_mv;
    mf.mu_fixed_mv = c.mu_fixed_mv;
    mf.var_fixed_mv2 = c.var_fixed_mv2;
    // All LIF populations at one rate nu: their contributions add up.
    for (std::size_t k = 0; k < c.lif_sources.size(); ++k) {
      mf.mu_mv_per_hz += c.mu_mv_per_hz[k];
      mf.var_mv2_per_hz += c.var_mv2_per_hz[k];
    }
    if (!first) {
      first = &pop.lif;
      out = mf;
      continue;
    }
    if (!same_neuron(*first, pop.lif) || !same(out->mu_fixed_mv, mf.mu_fixed_mv) ||
        !same(out->var_fixed_mv2, mf.var_fixed_mv2) || !same(out->mu_mv_per_hz, mf.mu_mv_per_hz) ||
        !same(out->var_mv2_per_hz, mf.var_mv2_per_hz))
      return std::nullopt;
  }
  // Coefficients that overflowed (only outside the validated ranges) reduce to nothing.
  if (out && !(std::isfinite(out->mu_fixed_mv) && std::isfinite(out->var_fixed_mv2) &&
               std::isfinite(out->mu_mv_per_hz) && std::isfinite(out->var_mv2_per_hz)))
    return std::nullopt;
  return out;
}

std::vector<double> mean_field_solutions_hz(const HomogeneousMeanField& mf, std::size_t grid_points,
                                            double max_rate_hz) {
  if (!(max_rate_hz > 0))
    max_rate_hz = mf.t_ref_ms > 0 ? 1000.0 / mf.t_ref_ms : kNoRefractoryCapHz;
  grid_points = std::max<std::size_t>(grid_points, 2);
  auto gap = [&mf](double nu) { return mf.siegert_hz(nu) - nu; };
  std::vector<double> roots;
  // Quadratic spacing: fine steps where quiet states live (the first step is
  // max_rate / grid_points^2, ~3 mHz for 400 points and t_ref = 2 ms).
  auto grid = [&](std::size_t k) {
    const double u = static_cast<double>(k) / static_cast<double>(grid_points - 1);
    return max_rate_hz * u * u;
  };
  double a = grid(0);
  double ga = gap(a);
  for (std::size_t k = 1; k < grid_points; ++k) {
    const double b = grid(k);
    const double gb = gap(b);
    if (ga == 0.0) {
      roots.push_back(a);
    } else if (std::isfinite(ga) && std::isfinite(gb) && (ga < 0.0) != (gb < 0.0) && gb != 0.0) {
      std::uintmax_t max_iter = 200;
      const auto tol = boost::math::tools::eps_tolerance<double>(40);  // ~1e-12 relative
      try {
        const auto bracket = boost::math::tools::toms748_solve(gap, a, b, ga, gb, tol, max_iter);
        roots.push_back(0.5 * (bracket.first + bracket.second));
      } catch (const std::exception&) {
        // A gap that turns NaN inside the bracket (moments beyond the validated
        // ranges): no root is reported there rather than an exception.
      }
    }
    a = b;
    ga = gb;
  }
  if (ga == 0.0) roots.push_back(a);
  return roots;
}

}  // namespace spikeq::theory
