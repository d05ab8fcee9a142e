// Input moments of each population and the per-population predictions
// (physics.md §2–§4). The homogeneous reduction and the scan for all
// solutions live in mean_field.cpp.
#include "engine/theory.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/connect.h"
#include "engine/fixed_point.h"

namespace spikeq {
namespace {

const char* const kPoissonFormula = "Poisson: rate, CV 1 (physics.md §1)";
const char* const kSiegertFormula = "Siegert (diffusion approximation, physics.md §3)";
const char* const kFeedForwardFormula =
    "Siegert with predicted upstream LIF rates (diffusion approximation, physics.md §3)";
const char* const kMeanFieldFormula = "self-consistent mean field (Brunel 2000, physics.md §4)";

bool is_lif(const NetworkSpec& spec, std::size_t pop) {
  return spec.populations[pop].kind == ModelKind::Lif;
}

// Whether population `to` receives (nonzero) drive from LIF population `from`.
std::vector<std::vector<bool>> lif_drive_graph(const NetworkSpec& spec) {
  const std::size_t n = spec.populations.size();
  std::vector<std::vector<bool>> drives(n, std::vector<bool>(n, false));
  for (const auto& proj : spec.projections) {
    if (!is_lif(spec, proj.source) || !is_lif(spec, proj.target)) continue;
    if (proj.weight_mv != 0.0 && expected_indegree(spec, proj) > 0.0)
      drives[proj.source][proj.target] = true;
  }
  return drives;
}

// Populations on a cycle of the drive graph (transitive closure; populations are few).
std::vector<bool> on_cycle(std::vector<std::vector<bool>> reach) {
  const std::size_t n = reach.size();
  for (std::size_t k = 0; k < n; ++k)
    for (std::size_t i = 0; i < n; ++i)
      if (reach[i][k])
        for (std::size_t j = 0; j < n; ++j)
          if (reach[k][j]) reach[i][j] = true;
  std::vector<bool> cyclic(n);
  for (std::size_t i = 0; i < n; ++i) cyclic[i] = reach[i][i];
  return cyclic;
}

double siegert_for(const NetworkSpec& spec, std::size_t pop, const InputMoments& in) {
  const LifParams& p = spec.populations[pop].lif;
  return siegert_rate_hz(p.tau_m_ms, p.t_ref_ms, p.v_th_mv, p.v_reset_mv, p.e_l_mv + in.mu_mv,
                         in.sigma_mv);
}

double cv_for(const NetworkSpec& spec, std::size_t pop, const InputMoments& in) {
  const LifParams& p = spec.populations[pop].lif;
  return siegert_cv(p.tau_m_ms, p.t_ref_ms, p.v_th_mv, p.v_reset_mv, p.e_l_mv + in.mu_mv,
                    in.sigma_mv);
}

double max_rate_hz(const LifParams& p) {
  return p.t_ref_ms > 0 ? 1000.0 / p.t_ref_ms : std::numeric_limits<double>::infinity();
}

}  // namespace

double expected_indegree(const NetworkSpec& spec, const ProjectionSpec& proj) {
  return expected_indegree(proj, spec.populations[proj.source].size, proj.source == proj.target);
}

InputCoefficients input_coefficients(const NetworkSpec& spec, std::size_t population) {
  const std::size_t n = spec.populations.size();
  const LifParams& target = spec.populations[population].lif;
  InputCoefficients c;
  c.mu_fixed_mv = target.mu_mv;
  c.var_fixed_mv2 = target.sigma_mv * target.sigma_mv;
  c.mu_mv_per_hz.assign(n, 0.0);
  c.var_mv2_per_hz.assign(n, 0.0);
  for (const auto& proj : spec.projections) {
    if (proj.target != population) continue;
    const double k = expected_indegree(spec, proj);
    // tau K w nu and tau K w^2 nu, with nu in 1/ms = Hz / 1000.
    const double mean_per_hz = target.tau_m_ms * k * proj.weight_mv / 1000.0;
    const double var_per_hz = mean_per_hz * proj.weight_mv;
    const PopulationSpec& src = spec.populations[proj.source];
    if (src.kind == ModelKind::Poisson) {
      c.mu_fixed_mv += mean_per_hz * src.poisson.rate_hz;
      c.var_fixed_mv2 += var_per_hz * src.poisson.rate_hz;
    } else {
      c.mu_mv_per_hz[proj.source] += mean_per_hz;
      c.var_mv2_per_hz[proj.source] += var_per_hz;
    }
  }
  return c;
}

InputMoments input_moments(const NetworkSpec& spec, std::size_t population,
                           const std::vector<double>& rates_hz) {
  const InputCoefficients c = input_coefficients(spec, population);
  double mu = c.mu_fixed_mv;
  double var = c.var_fixed_mv2;
  for (std::size_t j = 0; j < c.mu_mv_per_hz.size(); ++j) {
    if (!is_lif(spec, j)) continue;
    mu += c.mu_mv_per_hz[j] * rates_hz[j];
    var += c.var_mv2_per_hz[j] * rates_hz[j];
  }
  return {mu, std::sqrt(std::max(var, 0.0))};
}

std::vector<PopulationTheory> predict(const NetworkSpec& spec) {
  const std::size_t n = spec.populations.size();
  const auto drives = lif_drive_graph(spec);
  std::vector<bool> lif_input(n, false);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) lif_input[i] = lif_input[i] || drives[j][i];

  // Poisson rates are given and LIF populations driven only by Poisson sources
  // and background follow from them directly; the rest are solved jointly.
  std::vector<double> rates(n, 0.0);
  std::vector<std::size_t> unknown;
  for (std::size_t i = 0; i < n; ++i) {
    if (!is_lif(spec, i)) rates[i] = spec.populations[i].poisson.rate_hz;
    else if (lif_input[i]) unknown.push_back(i);
  }
  for (std::size_t i = 0; i < n; ++i)
    if (is_lif(spec, i) && !lif_input[i]) rates[i] = siegert_for(spec, i, input_moments(spec, i, rates));

  auto siegert_unknown = [&](const std::vector<double>& x) {
    std::vector<double> all = rates;
    for (std::size_t k = 0; k < unknown.size(); ++k) all[unknown[k]] = x[k];
    std::vector<double> out(unknown.size());
    for (std::size_t k = 0; k < unknown.size(); ++k)
      out[k] = siegert_for(spec, unknown[k], input_moments(spec, unknown[k], all));
    return out;
  };
  std::vector<double> upper(unknown.size());
  for (std::size_t k = 0; k < unknown.size(); ++k)
    upper[k] = max_rate_hz(spec.populations[unknown[k]].lif);
  FixedPointResult solved;
  solved.converged = true;
  if (!unknown.empty())
    solved = solve_fixed_point(siegert_unknown, std::vector<double>(unknown.size(), 0.0), upper);
  for (std::size_t k = 0; k < unknown.size(); ++k) rates[unknown[k]] = solved.x[k];

  const auto cyclic = on_cycle(drives);
  std::vector<PopulationTheory> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    PopulationTheory& t = out[i];
    t.rate_hz = rates[i];
    if (!is_lif(spec, i)) {
      t.cv_isi = 1.0;
      t.formula = kPoissonFormula;
      continue;
    }
    const InputMoments in = input_moments(spec, i, rates);
    t.is_lif = true;
    t.mu_mv = in.mu_mv;
    t.sigma_mv = in.sigma_mv;
    t.cv_isi = cv_for(spec, i, in);
    t.recurrent = cyclic[i];
    t.converged = !lif_input[i] || solved.converged;
    t.formula = t.recurrent      ? kMeanFieldFormula
                : lif_input[i] ? kFeedForwardFormula
                               : kSiegertFormula;
  }
  return out;
}

}  // namespace spikeq
