// `spikeq converge`: the stepped engine against the exact one as dt shrinks
// (models/README.md §5). One netdef is run by the event-driven engine and by the
// stepped engine at each dt with each integrator (Euler–Maruyama, exact OU
// step), N trials each (trial k keys the random streams, so every result is the
// same for any thread count). For each recorded LIF population it reports the
// stepped rate and ISI CV, their errors against the event-driven values and
// against theory, and the order p of |rate error| ∝ dt^p fitted in log–log.
// A white-noise LIF stepped on a grid misses threshold crossings between grid
// points, so its rate is biased by ∝ √dt (Brunel, Chance, Fourcaud & Abbott,
// PRL 2001): p ≈ 1/2 for both integrators.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/analysis/summary.h"
#include "engine/theory/theory_report.h"
#include "netdefs/spec.h"

namespace spikeq::inline batch {

struct ConvergeOptions {
  std::vector<double> dts_ms;
  std::vector<Integrator> integrators = {Integrator::EulerMaruyama, Integrator::Exact};
  std::uint32_t trials = 1;
  analysis::SummaryOptions summary;  // observation interval; NaN from_ms: duration / 10
  int threads = 0;         // 0: TBB's default
};

struct EngineRun {
  std::string engine;      // "event", "euler", "exact"
  double dt_ms = 0;        // 0 for event
  analysis::RunSummary summary;      // aggregated over trials
  double wall_s = 0;       // summed over trials (CPU-ish: runs may overlap)
};

// Errors of one stepped run's population against the references.
struct ConvergeError {
  std::size_t population = 0;  // index into the summaries' populations
  std::size_t run = 0;         // index into ConvergeResult::stepped
  analysis::Estimate rate_hz, rate_vs_event, rate_vs_theory;  // absolute errors, Hz
  analysis::Estimate cv, cv_vs_event, cv_vs_theory;
};

struct OrderFit {
  std::size_t population = 0;
  std::string engine;     // "euler" | "exact"
  std::string reference;  // "event" | "theory" (only where theory is exact: white-noise input)
  analysis::LinearFit fit;          // ln|rate error| on ln dt: slope = order
};

struct ConvergeResult {
  std::string name;
  std::vector<double> dts_ms;
  std::uint32_t trials = 1;
  double from_ms = 0, to_ms = 0;
  TheoryReport theory;
  EngineRun event;
  std::vector<EngineRun> stepped;        // dt-major, integrators in option order
  std::vector<std::size_t> populations;  // the recorded LIF populations analysed
  std::vector<ConvergeError> errors;
  std::vector<OrderFit> fits;
};

// Checks every dt against the grid (check_step_grid) before running anything;
// throws Error (BadInput) naming the dt that does not fit.
ConvergeResult run_converge(const NetworkSpec& spec, const ConvergeOptions& options);

std::string format_converge(const ConvergeResult& r);
// Keys: name, dts_ms, trials, from_ms, to_ms, theory (theory_json), event
// {engine, wall_s, summary}, stepped[] {engine, dt_ms, wall_s, summary}, errors[]
// {population, engine, dt_ms, rate_hz, rate_sem_hz, rate_error_vs_event_hz,
// rate_error_vs_event_se_hz, rate_rel_error_vs_event, rate_error_vs_theory_hz,
// rate_error_vs_theory_se_hz, rate_rel_error_vs_theory, cv_isi, cv_isi_se,
// cv_error_vs_event, cv_error_vs_event_se, cv_error_vs_theory}, fits[]
// {population, engine, reference, order, order_se, points, chi2}.
nlohmann::json converge_json(const ConvergeResult& r);

}  // namespace spikeq::batch
