#include "engine/core/strprintf.h"
#include "engine/theory/theory_report.h"

#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <limits>
#include <optional>

#include "engine/theory/isi_density.h"
#include "engine/theory/theory.h"

namespace spikeq::inline theory {
namespace {

std::string projection_label(const NetworkSpec& spec, const ProjectionSpec& proj) {
  const std::string& src = spec.populations[proj.source].name;
  return proj.name.empty() ? "from " + src : "projection \"" + proj.name + "\" from " + src;
}

PopulationPrediction predict_poisson(const PopulationSpec& pop) {
  PopulationPrediction p;
  p.name = pop.name;
  p.size = pop.size;
  p.rate_hz = pop.poisson.rate_hz;
  p.cv_isi = 1;
  p.isi_mean_ms = p.rate_hz > 0 ? 1000.0 / p.rate_hz : std::numeric_limits<double>::infinity();
  p.fano_long = 1;
  p.rate_formula = "given (netdef poisson.rate_hz)";
  p.cv_formula = "exponential ISIs: CV 1 (models/README.md §1, Q4)";
  p.isi_formula = "ISI ~ Exp(rate), P(ISI > t) = exp(-rate t) (models/README.md §1, Q4)";
  p.fano_formula = "count in T ~ Poisson(rate T): Fano 1 for every window (models/README.md §1, Q3 and Q5)";
  return p;
}

// `into` lists the projections into population i (built once for all
// populations, so the report is linear in populations + projections).
PopulationPrediction predict_lif(const NetworkSpec& spec, std::size_t i, const std::vector<PopulationTheory>& th,
                                 const std::vector<std::size_t>& into) {
  const PopulationSpec& pop = spec.populations[i];
  const LifParams& lif = pop.lif;
  const PopulationTheory& t = th[i];
  PopulationPrediction p;
  p.name = pop.name;
  p.lif = true;
  p.neuron = lif;
  p.size = pop.size;
  p.rate_hz = t.rate_hz;
  p.cv_isi = t.cv_isi;
  p.isi_mean_ms = t.rate_hz > 0 ? 1000.0 / t.rate_hz : std::numeric_limits<double>::infinity();
  p.fano_long = t.cv_isi * t.cv_isi;
  p.mu_mv = t.mu_mv;
  p.sigma_mv = t.sigma_mv;
  p.recurrent = t.recurrent;
  p.converged = t.converged;
  if (lif.mu_mv != 0 || lif.sigma_mv != 0)
    p.inputs.push_back({"background (lif.mu_mv, lif.sigma_mv)", 0, 0, 0, lif.mu_mv, lif.sigma_mv * lif.sigma_mv});
  bool pulses = false, lif_upstream = false;
  for (std::size_t index : into) {
    const ProjectionSpec& proj = spec.projections[index];
    InputTerm term;
    term.label = projection_label(spec, proj);
    term.indegree = expected_indegree(spec, proj);
    term.rate_hz = th[proj.source].rate_hz;
    term.weight_mv = proj.weight_mv;
    term.mu_mv = term.rate_hz / 1000.0 * lif.tau_m_ms * term.weight_mv * term.indegree;
    term.var_mv2 = term.mu_mv * term.weight_mv;
    const bool active = term.indegree > 0 && term.weight_mv != 0;
    pulses = pulses || active;
    lif_upstream = lif_upstream || (active && spec.populations[proj.source].kind == ModelKind::Lif);
    p.inputs.push_back(term);
  }
  p.white_noise_only = !pulses;
  p.free_v_mean_mv = lif.e_l_mv + t.mu_mv;
  p.free_v_var_mv2 = t.sigma_mv * t.sigma_mv / 2;
  p.free_membrane_applies = lif.v_th_mv - p.free_v_mean_mv >= 3 * std::sqrt(p.free_v_var_mv2);
  p.input_formula =
      "mu = sum r tau J K, sigma^2 = sum r tau J^2 K (+ background) (models/README.md §2, Q6-Q7)";
  p.membrane_formula = std::string("free membrane: <V> -> E_l + mu, Var V -> sigma^2/2 (models/README.md §3, Q9)") +
                       (p.free_membrane_applies ? "" : "; threshold within 3 SD: only the subthreshold part is free");
  const char* exactness = p.white_noise_only ? "exact for white noise" : "diffusion approximation of the shot noise";
  if (t.recurrent)
    p.rate_formula = strprintf("self-consistent mean field, nu = Siegert(mu(nu), sigma(nu)) (Brunel 2000, models/README.md §4; %s)",
                         exactness);
  else if (lif_upstream)
    p.rate_formula = strprintf("Siegert with predicted upstream LIF rates (models/README.md §3; %s)", exactness);
  else
    p.rate_formula = strprintf("Siegert / Ricciardi (models/README.md §3; %s)", exactness);
  p.cv_formula = strprintf("Brunel 2000, appendix A (models/README.md §3; %s)", exactness);
  p.isi_formula = "mean ISI = 1/rate (stationary renewal process)";
  p.fano_formula = "renewal process: Fano -> CV^2 for windows >> mean ISI, -> 1 for windows << it (Cox 1962)";
  return p;
}

std::string value_line(const char* label, const std::string& value, const std::string& formula) {
  return strprintf("  %-20s %-40s [%s]\n", label, value.c_str(), formula.c_str());
}

}  // namespace

TheoryReport theory_report(const NetworkSpec& spec) {
  TheoryReport r;
  r.name = spec.name;
  const std::vector<PopulationTheory> th = predict(spec);
  std::vector<std::vector<std::size_t>> into(spec.populations.size());
  for (std::size_t p = 0; p < spec.projections.size(); ++p) into[spec.projections[p].target].push_back(p);
  for (std::size_t i = 0; i < spec.populations.size(); ++i) {
    r.populations.push_back(spec.populations[i].kind == ModelKind::Lif ? predict_lif(spec, i, th, into[i])
                                                                      : predict_poisson(spec.populations[i]));
    r.recurrent = r.recurrent || th[i].recurrent;
  }
  if (!r.recurrent) return r;
  const std::optional<HomogeneousMeanField> mf = homogeneous_reduction(spec);
  if (!mf) {
    r.mean_field_note =
        "the LIF populations differ (parameters or inputs), so the rates above are the one solution reached "
        "from silence by the relaxation dynamics; other solutions are not searched";
    return r;
  }
  r.homogeneous = true;
  for (double nu : mean_field_solutions_hz(*mf)) {
    const double h = std::max(1e-6 * nu, 1e-6);
    const double lo = std::max(nu - h, 0.0);
    MeanFieldSolution s;
    s.rate_hz = nu;
    s.slope = (mf->siegert_hz(nu + h) - mf->siegert_hz(lo)) / (nu + h - lo);
    s.stable = s.slope < 1;
    r.solutions.push_back(s);
  }
  r.mean_field_note =
      "all solutions of nu = Phi(nu) = Siegert(mu(nu), sigma(nu)) with every LIF population at one rate "
      "(Brunel 2000 model A); stable means Phi'(nu) < 1 in the rate dynamics tau dnu/dt = -nu + Phi(nu). "
      "Oscillatory instabilities of the asynchronous state (Brunel's SR/SI states) are not assessed here.";
  return r;
}

std::string format_theory(const TheoryReport& r) {
  std::string out = strprintf("theory for %s (formulas: models/README.md §n, questions Qn)\n", r.name.c_str());
  for (const PopulationPrediction& p : r.populations) {
    out += strprintf("\n%s (%s, %llu nodes)\n", p.name.c_str(), p.lif ? "lif" : "poisson",
               static_cast<unsigned long long>(p.size));
    if (!p.lif) {
      out += value_line("rate", strprintf("%.6g Hz", p.rate_hz), p.rate_formula);
      out += value_line("spike count in T", "Poisson(rate T): mean = variance", p.fano_formula);
      out += value_line("ISI", strprintf("mean %.6g ms, CV 1", p.isi_mean_ms), p.isi_formula);
      continue;
    }
    for (const InputTerm& in : p.inputs) {
      if (in.indegree == 0 && in.weight_mv == 0)
        out += strprintf("  input %-46s mu %+.6g mV, sigma^2 %+.6g mV^2\n", in.label.c_str(), in.mu_mv, in.var_mv2);
      else
        out += strprintf("  input %-46s K %g x %.6g Hz x J %g mV: mu %+.6g mV, sigma^2 %+.6g mV^2\n", in.label.c_str(),
                   in.indegree, in.rate_hz, in.weight_mv, in.mu_mv, in.var_mv2);
    }
    out += value_line("input mean, sd", strprintf("mu = %.6g mV, sigma = %.6g mV", p.mu_mv, p.sigma_mv), p.input_formula);
    out += value_line("free membrane", strprintf("<V> = %.6g mV, Var V = %.6g mV^2", p.free_v_mean_mv, p.free_v_var_mv2),
                      p.membrane_formula);
    out += value_line("rate", strprintf("%.6g Hz%s", p.rate_hz, p.converged ? "" : " (NOT CONVERGED)"), p.rate_formula);
    out += value_line("ISI CV", strprintf("%.6g", p.cv_isi), p.cv_formula);
    out += value_line("ISI mean", strprintf("%.6g ms", p.isi_mean_ms), p.isi_formula);
    out += value_line("Fano (long windows)", strprintf("CV^2 = %.6g", p.fano_long), p.fano_formula);
  }
  if (r.recurrent) {
    out += "\nmean field (Brunel 2000, models/README.md §4)\n";
    for (const MeanFieldSolution& s : r.solutions)
      out += strprintf("  solution nu = %.6g Hz   Phi'(nu) = %.4g  %s\n", s.rate_hz, s.slope, s.stable ? "stable" : "unstable");
    out += "  note: " + r.mean_field_note + "\n";
  }
  return out;
}

nlohmann::json prediction_json(const PopulationPrediction& p, bool with_isi_density) {
  auto num = [](double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); };
  nlohmann::json j = {{"name", p.name},
                      {"model", p.lif ? "lif" : "poisson"},
                      {"size", p.size},
                      {"rate_hz", num(p.rate_hz)},
                      {"cv_isi", num(p.cv_isi)},
                      {"isi_mean_ms", num(p.isi_mean_ms)},
                      {"fano_long", num(p.fano_long)}};
  nlohmann::json formulas = {{"rate", p.rate_formula}, {"cv_isi", p.cv_formula}, {"fano", p.fano_formula},
                             {"isi", p.isi_formula}};
  if (p.lif) {
    j["mu_mv"] = p.mu_mv;
    j["sigma_mv"] = p.sigma_mv;
    j["free_v_mean_mv"] = p.free_v_mean_mv;
    j["free_v_var_mv2"] = p.free_v_var_mv2;
    j["free_membrane_applies"] = p.free_membrane_applies;
    j["white_noise_only"] = p.white_noise_only;
    j["recurrent"] = p.recurrent;
    j["converged"] = p.converged;
    nlohmann::json inputs = nlohmann::json::array();
    for (const InputTerm& in : p.inputs)
      inputs.push_back({{"label", in.label}, {"indegree", in.indegree}, {"rate_hz", in.rate_hz},
                        {"weight_mv", in.weight_mv}, {"mu_mv", in.mu_mv}, {"var_mv2", in.var_mv2}});
    j["inputs"] = inputs;
    formulas["input"] = p.input_formula;
    formulas["membrane"] = p.membrane_formula;
    if (with_isi_density && p.sigma_mv > 0 && p.converged && p.rate_hz > 1e-3) {
      const LifParams& n = p.neuron;
      const IsiDensity g =
          lif_isi_density(n.tau_m_ms, n.t_ref_ms, n.v_th_mv, n.v_reset_mv, p.free_v_mean_mv, p.sigma_mv);
      j["isi_density"] = {{"t_ms", g.t_ms}, {"density_per_ms", g.density_per_ms}, {"mean_ms", g.mean_ms},
                          {"cv", g.cv}};
      formulas["isi_density"] =
          "first passage V_r -> theta of the OU membrane, Fokker-Planck (models/README.md §3; diffusion approximation "
          "for shot noise)";
    }
  }
  j["formulas"] = formulas;
  return j;
}

nlohmann::json theory_json(const TheoryReport& r, bool with_isi_density) {
  nlohmann::json pops = nlohmann::json::array();
  for (const PopulationPrediction& p : r.populations) pops.push_back(prediction_json(p, with_isi_density));
  nlohmann::json sols = nlohmann::json::array();
  for (const MeanFieldSolution& s : r.solutions)
    sols.push_back({{"rate_hz", s.rate_hz}, {"slope", s.slope}, {"stable", s.stable}});
  return {{"name", r.name},
          {"populations", pops},
          {"mean_field",
           {{"recurrent", r.recurrent}, {"homogeneous", r.homogeneous}, {"solutions", sols}, {"note", r.mean_field_note}}}};
}

}  // namespace spikeq::theory
