// `spikeq compare`: two recorded runs side by side, population by population,
// each quantity with its standard error, the difference, what theory says, and
// a verdict: a two-sided test of "no difference" at a stated level alpha (z or
// Welch t for estimates, two-sample Kolmogorov–Smirnov for ISI distributions).
// The overall verdict is family-wise: Bonferroni over every quantity tested.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/analysis/summary.h"
#include "engine/theory/theory_report.h"

namespace spikeq::analysis {

// One side of a comparison: the summary (aggregated over its trials) and each
// population's ISIs pooled over nodes and trials, for the KS test.
struct CompareSide {
  std::string label;  // the directory, or a name
  RunSummary summary;
  std::vector<std::vector<double>> isis;  // per population (summary order)
};
CompareSide make_side(std::span<const RecordedRun> trials, const SummaryOptions& options, std::string label);
// Loads DIR (one run, or DIR/trial-*); a sweep (DIR/point-*) is refused.
CompareSide load_side(const std::string& dir, const SummaryOptions& options);

struct QuantityComparison {
  std::string key;    // rate_hz, cv_isi, isi_mean_ms, fano_10ms, synchrony, chi, v_mean_mv, v_var_mv2, isi_ks
  std::string label;  // for people: "rate (Hz)"
  Estimate a, b, diff;  // diff = b - a
  double theory = kNaN;
  bool ks = false;      // a KS row: a/b hold the ISI counts, diff.value the statistic D
  double p = kNaN;      // two-sided p-value of "no difference"
  bool tested = false;  // false: not enough data for a test
  bool consistent = true;
};

struct PopulationComparison {
  std::string name;
  bool lif = false;
  std::uint64_t size = 0;
  std::vector<QuantityComparison> rows;
};

struct Comparison {
  std::string label_a, label_b;
  RunSummary a, b;  // for the headers
  double alpha = 0.01;
  double ci_level = 0.99;  // 1 - alpha
  std::vector<PopulationComparison> populations;
  bool has_theory = false;
  std::size_t tested = 0, differing = 0;  // quantities tested, and those with p < alpha
  double family_alpha = 0;                // alpha / tested
  bool consistent = true;                 // no p below alpha / tested
};

// Compares populations present in both (by name, A's order); theory, when given,
// fills the theory column (from A's netdef).
Comparison compare(const CompareSide& a, const CompareSide& b, double alpha, const TheoryReport* theory);

// The theory report of a run's resolved netdef, or nullopt if it has none or it
// does not load.
std::optional<TheoryReport> theory_of(const RunSummary& s);

std::string format_comparison(const Comparison& c);
// Keys: a, b (labels), alpha, ci_level, interval {from_ms, to_ms}, summary_a,
// summary_b (summary_json), populations[] {name, model, size, quantities[] {key,
// label, a, a_se, b, b_se, diff, diff_se, ci_low, ci_high, theory, p, tested,
// verdict ("consistent"|"differs"|"untested"), (KS rows: n_a, n_b, d)}},
// overall {tested, differing, family_alpha, verdict}.
nlohmann::json comparison_json(const Comparison& c);

}  // namespace spikeq::analysis
