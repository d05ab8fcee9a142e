// Input moments of each population and the per-population predictions
// (models/README.md §2–§4). The homogeneous reduction and the scan for all
// solutions live in mean_field.cpp.
#include "engine/theory/theory.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <limits>
#include <map>

#include "engine/core/connect.h"
#include "engine/theory/fixed_point.h"

namespace spikeq::inline theory {
namespace {

const char* const kPoissonFormula = "Poisson: rate, CV 1 (models/README.md §1)";
const char* const kSiegertFormula = "Siegert (diffusion approximation, models/README.md §3)";
const char* const kFeedForwardFormula =
    "Siegert with predicted upstream LIF rates (diffusion approximation, models/README.md §3)";
const char* const kMeanFieldFormula = "self-consistent mean field (Brunel 2000, models/README.md §4)";

bool is_lif(const NetworkSpec& spec, std::size_t pop) {
  return spec.populations[pop].kind == ModelKind::Lif;
}

// drives[from] lists the populations that LIF population `from` drives (nonzero
// weight, some edges): adjacency lists, so that 40,000 populations cost 40,000
// entries and not 40,000^2.
std::vector<std::vector<std::size_t>> lif_drive_graph(const NetworkSpec& spec) {
  std::vector<std::vector<std::size_t>> drives(spec.populations.size());
  for (const auto& proj : spec.projections) {
    if (!is_lif(spec, proj.source) || !is_lif(spec, proj.target)) continue;
    if (proj.weight_mv != 0.0 && expected_indegree(spec, proj) > 0.0) drives[proj.source].push_back(proj.target);
  }
  return drives;
}

// Strongly connected components of the drive graph (Tarjan, iterative so that a
// chain of 40,000 populations does not overflow the stack). Returns each
// population's component, numbered so that a component only drives components
// with larger numbers (topological order), and whether it lies on a cycle.
struct Components {
  std::vector<std::size_t> of;
  std::size_t count = 0;
  std::vector<bool> cyclic;
};

Components strong_components(const std::vector<std::vector<std::size_t>>& drives) {
  const std::size_t n = drives.size();
  constexpr std::size_t kUnvisited = static_cast<std::size_t>(-1);
  std::vector<std::size_t> index(n, kUnvisited), low(n, 0), stack;
  std::vector<bool> on_stack(n, false);
  std::vector<std::pair<std::size_t, std::size_t>> frames;  // (node, next edge)
  Components c;
  c.of.assign(n, 0);
  std::vector<std::size_t> reversed_of(n, 0);
  std::size_t next_index = 0;
  for (std::size_t root = 0; root < n; ++root) {
    if (index[root] != kUnvisited) continue;
    frames.push_back({root, 0});
    while (!frames.empty()) {
      auto& [v, edge] = frames.back();
      if (edge == 0 && index[v] == kUnvisited) {
        index[v] = low[v] = next_index++;
        stack.push_back(v);
        on_stack[v] = true;
      }
      if (edge < drives[v].size()) {
        const std::size_t w = drives[v][edge++];
        if (index[w] == kUnvisited) {
          frames.push_back({w, 0});
        } else if (on_stack[w]) {
          low[v] = std::min(low[v], index[w]);
        }
        continue;
      }
      const std::size_t done = v;
      frames.pop_back();
      if (!frames.empty()) low[frames.back().first] = std::min(low[frames.back().first], low[done]);
      if (low[done] != index[done]) continue;
      std::size_t members = 0;
      std::size_t w = 0;
      do {
        w = stack.back();
        stack.pop_back();
        on_stack[w] = false;
        reversed_of[w] = c.count;
        ++members;
      } while (w != done);
      c.cyclic.push_back(members > 1);
      ++c.count;
    }
  }
  // Tarjan finishes a component after every component it drives: reverse.
  std::reverse(c.cyclic.begin(), c.cyclic.end());
  for (std::size_t v = 0; v < n; ++v) c.of[v] = c.count - 1 - reversed_of[v];
  for (std::size_t v = 0; v < n; ++v)
    for (std::size_t w : drives[v])
      if (w == v) c.cyclic[c.of[v]] = true;  // a population driving itself
  return c;
}

// The Siegert rate and CV, or NaN when the input moments are not finite (they
// overflow only for netdefs validation refuses; theory must not throw anyway).
bool usable(const LifParams& p, const InputMoments& in) {
  return std::isfinite(in.mu_mv) && std::isfinite(in.sigma_mv) && std::isfinite(p.e_l_mv + in.mu_mv);
}

double siegert_for(const NetworkSpec& spec, std::size_t pop, const InputMoments& in) {
  const LifParams& p = spec.populations[pop].lif;
  if (!usable(p, in)) return std::numeric_limits<double>::quiet_NaN();
  return siegert_rate_hz(p.tau_m_ms, p.t_ref_ms, p.v_th_mv, p.v_reset_mv, p.e_l_mv + in.mu_mv,
                         in.sigma_mv);
}

// Rates and CVs of the populations evaluated one by one, remembered by their
// exact arguments: 40,000 identical noisy populations cost one quadrature (the
// CV's double integral takes ~2 ms), and so does the tail of a long chain once
// its rates have converged to the last bit.
class SiegertMemo {
 public:
  double rate_hz(const NetworkSpec& spec, std::size_t pop, const InputMoments& in) {
    const LifParams& p = spec.populations[pop].lif;
    if (!usable(p, in)) return std::numeric_limits<double>::quiet_NaN();  // NaN keys would break the map's order
    const Key key = key_of(p, in);
    if (const auto found = rates_.find(key); found != rates_.end()) return found->second;
    return rates_.emplace(key, siegert_rate_hz(key[0], key[1], key[2], key[3], key[4], key[5])).first->second;
  }

  // sigma = 0 costs nothing (CV 0); the others are integrated while fewer than
  // kMaxCvIntegrals distinct ones have been, then NaN.
  double cv(const NetworkSpec& spec, std::size_t pop, const InputMoments& in) {
    const LifParams& p = spec.populations[pop].lif;
    if (!usable(p, in)) return std::numeric_limits<double>::quiet_NaN();
    const Key key = key_of(p, in);
    if (in.sigma_mv == 0) return siegert_cv(key[0], key[1], key[2], key[3], key[4], key[5]);
    if (const auto found = cvs_.find(key); found != cvs_.end()) return found->second;
    if (cvs_.size() >= kMaxCvIntegrals) return std::numeric_limits<double>::quiet_NaN();
    return cvs_.emplace(key, siegert_cv(key[0], key[1], key[2], key[3], key[4], key[5])).first->second;
  }

 private:
  using Key = std::array<double, 6>;

  static Key key_of(const LifParams& p, const InputMoments& in) {
    return {p.tau_m_ms, p.t_ref_ms, p.v_th_mv, p.v_reset_mv, p.e_l_mv + in.mu_mv, in.sigma_mv};
  }

  std::map<Key, double> rates_, cvs_;
};

InputMoments moments_of(const SparseInput& in, const std::vector<double>& rates_hz) {
  double mu = in.mu_fixed_mv;
  double var = in.var_fixed_mv2;
  for (std::size_t k = 0; k < in.lif_sources.size(); ++k) {
    mu += in.mu_mv_per_hz[k] * rates_hz[in.lif_sources[k]];
    var += in.var_mv2_per_hz[k] * rates_hz[in.lif_sources[k]];
  }
  return {mu, std::sqrt(std::max(var, 0.0))};
}

double max_rate_hz(const LifParams& p) {
  return p.t_ref_ms > 0 ? 1000.0 / p.t_ref_ms : std::numeric_limits<double>::infinity();
}

}  // namespace

double expected_indegree(const NetworkSpec& spec, const ProjectionSpec& proj) {
  return expected_indegree(proj, spec.populations[proj.source].size, proj.source == proj.target);
}

std::vector<SparseInput> sparse_inputs(const NetworkSpec& spec) {
  std::vector<SparseInput> out(spec.populations.size());
  for (std::size_t i = 0; i < spec.populations.size(); ++i) {
    if (!is_lif(spec, i)) continue;
    const LifParams& lif = spec.populations[i].lif;
    out[i].mu_fixed_mv = lif.mu_mv;
    out[i].var_fixed_mv2 = lif.sigma_mv * lif.sigma_mv;
  }
  for (const auto& proj : spec.projections) {
    if (!is_lif(spec, proj.target)) continue;
    SparseInput& c = out[proj.target];
    const double k = expected_indegree(spec, proj);
    // tau K w nu and tau K w^2 nu, with nu in 1/ms = Hz / 1000.
    const double mean_per_hz = spec.populations[proj.target].lif.tau_m_ms * k * proj.weight_mv / 1000.0;
    const double var_per_hz = mean_per_hz * proj.weight_mv;
    const PopulationSpec& src = spec.populations[proj.source];
    if (src.kind == ModelKind::Poisson) {
      c.mu_fixed_mv += mean_per_hz * src.poisson.rate_hz;
      c.var_fixed_mv2 += var_per_hz * src.poisson.rate_hz;
    } else {
      c.lif_sources.push_back(proj.source);
      c.mu_mv_per_hz.push_back(mean_per_hz);
      c.var_mv2_per_hz.push_back(var_per_hz);
    }
  }
  return out;
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

namespace {

using RateMap = std::function<std::vector<double>(const std::vector<double>&)>;

// Solves the rates of `unknown` jointly from silence, the others held at `rates`.
FixedPointResult solve_jointly(const NetworkSpec& spec, const std::vector<SparseInput>& inputs,
                               const std::vector<std::size_t>& unknown, const std::vector<double>& rates) {
  const RateMap siegert_unknown = [&](const std::vector<double>& x) {
    std::vector<double> all = rates;
    for (std::size_t k = 0; k < unknown.size(); ++k) all[unknown[k]] = x[k];
    std::vector<double> out(unknown.size());
    for (std::size_t k = 0; k < unknown.size(); ++k)
      out[k] = siegert_for(spec, unknown[k], moments_of(inputs[unknown[k]], all));
    return out;
  };
  std::vector<double> upper(unknown.size());
  for (std::size_t k = 0; k < unknown.size(); ++k) upper[k] = max_rate_hz(spec.populations[unknown[k]].lif);
  return solve_fixed_point(siegert_unknown, std::vector<double>(unknown.size(), 0.0), upper);
}

// More unknowns than one joint solve takes: component by component in
// topological order; a feed-forward population is one Siegert evaluation, a
// cycle of at most kMaxJointPopulations is solved jointly, a larger one is not
// solved (NaN, so everything downstream is not converged either).
void solve_by_components(const NetworkSpec& spec, const std::vector<SparseInput>& inputs,
                         const std::vector<std::size_t>& unknown, const Components& comps,
                         std::vector<double>& rates, std::vector<bool>& converged, SiegertMemo& memo) {
  std::vector<std::vector<std::size_t>> members(comps.count);
  for (std::size_t i : unknown) members[comps.of[i]].push_back(i);
  for (const std::vector<std::size_t>& group : members) {
    if (group.empty()) continue;
    if (!comps.cyclic[comps.of[group.front()]]) {
      const std::size_t i = group.front();
      rates[i] = memo.rate_hz(spec, i, moments_of(inputs[i], rates));
      converged[i] = std::isfinite(rates[i]);
      continue;
    }
    if (group.size() > kMaxJointPopulations) {
      for (std::size_t i : group) {
        rates[i] = std::numeric_limits<double>::quiet_NaN();
        converged[i] = false;
      }
      continue;
    }
    const FixedPointResult solved = solve_jointly(spec, inputs, group, rates);
    for (std::size_t k = 0; k < group.size(); ++k) {
      rates[group[k]] = solved.x[k];
      converged[group[k]] = solved.converged && std::isfinite(solved.x[k]);
    }
  }
}

}  // namespace

std::vector<PopulationTheory> predict(const NetworkSpec& spec, bool with_cv) {
  const std::size_t n = spec.populations.size();
  const auto drives = lif_drive_graph(spec);
  const std::vector<SparseInput> inputs = sparse_inputs(spec);
  std::vector<bool> lif_input(n, false);
  for (std::size_t j = 0; j < n; ++j)
    for (std::size_t i : drives[j]) lif_input[i] = true;

  // Poisson rates are given and LIF populations driven only by Poisson sources
  // and background follow from them directly; the rest are solved jointly.
  std::vector<double> rates(n, 0.0);
  std::vector<std::size_t> unknown;
  for (std::size_t i = 0; i < n; ++i) {
    if (!is_lif(spec, i)) rates[i] = spec.populations[i].poisson.rate_hz;
    else if (lif_input[i]) unknown.push_back(i);
  }
  SiegertMemo memo;
  for (std::size_t i = 0; i < n; ++i)
    if (is_lif(spec, i) && !lif_input[i]) rates[i] = memo.rate_hz(spec, i, moments_of(inputs[i], rates));

  const Components comps = strong_components(drives);
  std::vector<bool> converged(n, true);
  if (unknown.size() <= kMaxJointPopulations) {
    if (!unknown.empty()) {
      const FixedPointResult solved = solve_jointly(spec, inputs, unknown, rates);
      for (std::size_t k = 0; k < unknown.size(); ++k) {
        rates[unknown[k]] = solved.x[k];
        converged[unknown[k]] = solved.converged;
      }
    }
  } else {
    solve_by_components(spec, inputs, unknown, comps, rates, converged, memo);
  }

  std::vector<PopulationTheory> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    PopulationTheory& t = out[i];
    t.rate_hz = rates[i];
    if (!is_lif(spec, i)) {
      t.cv_isi = 1.0;
      t.formula = kPoissonFormula;
      continue;
    }
    const InputMoments in = moments_of(inputs[i], rates);
    t.is_lif = true;
    t.mu_mv = in.mu_mv;
    t.sigma_mv = in.sigma_mv;
    t.cv_isi = with_cv ? memo.cv(spec, i, in) : std::numeric_limits<double>::quiet_NaN();
    t.recurrent = comps.cyclic[comps.of[i]];
    t.converged = converged[i] && std::isfinite(t.rate_hz);
    t.formula = t.recurrent      ? kMeanFieldFormula
                : lif_input[i] ? kFeedForwardFormula
                               : kSiegertFormula;
  }
  return out;
}

}  // namespace spikeq::theory
