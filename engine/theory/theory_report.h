// What theory predicts for every population of a netdef, each number with the
// formula it came from (models/README.md and its questions Q1–Q9): Poisson counts and ISIs
// (Q1–Q5), each LIF population's input mean and variance term by term (Q6–Q7),
// the free membrane's stationary moments (Q9), the Siegert rate and Brunel's ISI
// CV (§3), the long-window Fano factor of a renewal process, and for recurrent
// networks every self-consistent mean-field rate with its stability (§4).
// `spikeq theory` prints it; stats/compare put its numbers next to measured ones.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "netdefs/spec.h"

namespace spikeq::inline theory {

// One input of a LIF population: a projection (or the background drive).
struct InputTerm {
  std::string label;      // `projection "exc" from exc_inputs`, or `background`
  double indegree = 0;    // expected K
  double rate_hz = 0;     // the source's rate (predicted, for LIF sources)
  double weight_mv = 0;
  double mu_mv = 0;       // r tau J K
  double var_mv2 = 0;     // r tau J^2 K
};

struct PopulationPrediction {
  std::string name;
  bool lif = false;
  std::uint64_t size = 0;
  double rate_hz = 0;
  double cv_isi = 0;
  double isi_mean_ms = 0;  // 1000 / rate (infinite for a silent population)
  double fano_long = 1;    // Fano factor for windows much longer than the mean ISI: CV^2 (renewal)
  // LIF only:
  LifParams neuron;  // tau, t_ref, theta, V_r, E_l as in the netdef
  std::vector<InputTerm> inputs;
  double mu_mv = 0, sigma_mv = 0;               // all input, background included
  double free_v_mean_mv = 0, free_v_var_mv2 = 0;  // E_l + mu, sigma^2 / 2 (Q9)
  // The threshold is at least 3 free-membrane SDs above E_l + mu, so the membrane
  // spends its time like a free one and Q9 describes it.
  bool free_membrane_applies = false;
  bool white_noise_only = false;  // no input pulses: Siegert and the CV are exact
  bool recurrent = false;
  bool converged = true;
  std::string rate_formula, cv_formula, input_formula, membrane_formula, fano_formula, isi_formula;
};

struct MeanFieldSolution {
  double rate_hz = 0;
  double slope = 0;     // dPhi/dnu at the solution
  bool stable = false;  // slope < 1: stable in tau dnu/dt = -nu + Phi(nu)
};

struct TheoryReport {
  std::string name;
  std::vector<PopulationPrediction> populations;
  bool recurrent = false;    // some LIF populations drive each other
  bool homogeneous = false;  // ... and reduce to one equation (Brunel's model A)
  std::vector<MeanFieldSolution> solutions;  // when homogeneous
  std::string mean_field_note;
};

TheoryReport theory_report(const NetworkSpec& spec);

// Text for `spikeq theory`: one block per population, each line
// "quantity  value  [formula, source]".
std::string format_theory(const TheoryReport& report);

// Keys: name, populations[] {name, model, size, rate_hz, cv_isi, isi_mean_ms,
// fano_long, mu_mv, sigma_mv, free_v_mean_mv, free_v_var_mv2,
// free_membrane_applies, white_noise_only, recurrent, converged, inputs[]
// {label, indegree, rate_hz, weight_mv, mu_mv, var_mv2}, formulas {rate, cv_isi,
// input, membrane, fano, isi}}, mean_field {recurrent, homogeneous, solutions[]
// {rate_hz, slope, stable}, note}.
// with_isi_density: LIF populations with noise also get isi_density {t_ms[],
// density_per_ms[], mean_ms, cv} (engine/theory/isi_density.h; ~0.1 s each),
// the theory curve of the ISI plots.
nlohmann::json theory_json(const TheoryReport& report, bool with_isi_density = false);
nlohmann::json prediction_json(const PopulationPrediction& p, bool with_isi_density = false);

}  // namespace spikeq::theory
