// The statistics of `spikeq stats`, per population of a recorded run: spike count,
// mean rate ± SEM, ISI mean and CV, Fano factors of counts in windows, a
// synchrony index, Golomb's chi and the membrane moments from voltage probes —
// and their aggregation over trials (mean ± SEM across trials).
//
// Observation interval: spikes and samples with from < t <= to (left-open: a
// stepped run stamps a step's spikes at the step's end). Standard errors within
// one trial treat the population's nodes as independent units (right for
// feed-forward networks; in a recurrent network nodes are correlated and the
// SEs are too small: run several trials, whose spread is then used).
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/analysis/recorded_run.h"
#include "engine/analysis/statistics.h"

namespace spikeq::analysis {

struct SummaryOptions {
  double from_ms = 0;
  double to_ms = kNaN;  // NaN: the run's simulated_ms
  // Fano factor windows; a window that fits fewer than kMinFanoWindows times in
  // the interval is skipped.
  std::vector<double> fano_windows_ms = {10, 100, 1000};
  double sync_bin_ms = 1;
};
inline constexpr std::size_t kMinFanoWindows = 3;

struct FanoEstimate {
  double window_ms = 0;
  std::size_t windows = 0;  // per node (per trial)
  Estimate fano;
};

struct PopulationSummary {
  std::string name;
  bool lif = false;
  std::uint64_t size = 0;
  bool recorded = false;  // false: no spikes recorded; every estimate NaN
  double spike_count = 0;  // in the interval (mean over trials when aggregated)
  Estimate rate_hz;        // mean over nodes of count / interval; SEM over nodes (or trials)
  std::size_t isi_count = 0;  // pooled over nodes (and trials)
  // Mean and CV of the ISI distribution from the intervals pooled over nodes,
  // corrected for the window: of the intervals of length L, only a fraction
  // (T - L)/T fits whole in an observation window T, so long ones are
  // under-represented (mean and CV biased low by ~Var/T); each interval is
  // weighted by 1/(T - L), exact for stationary renewal trains (intervals longer
  // than T are never seen: keep T >> mean ISI). SEs: delta method on the
  // effective sample size (sum w)^2 / sum w^2.
  Estimate isi_mean_ms;
  Estimate cv_isi;
  double isi_mean_raw_ms = kNaN;  // the plain averages of the pooled intervals
  double cv_isi_raw = kNaN;
  std::vector<FanoEstimate> fano;
  // Var/mean of the population's spike count in sync_bin_ms bins: 1 for
  // independent Poisson neurons, ~N for fully synchronous ones. SE from 10 blocks.
  Estimate synchrony;
  // Fraction of the population's spikes whose exact time is shared by another
  // recorded spike of the run (analysis::coincident_fraction): a lock-step
  // detector for event-driven runs (~1 in volleys; 1 on any time grid). SE from
  // 10 blocks of consecutive spikes.
  Estimate coincident_fraction;
  // Golomb's chi = sqrt(Var_t <V>_nodes / <Var_t V_i>_nodes) from voltage probes
  // (>= 2 nodes): ~1/sqrt(N) asynchronous, 1 fully synchronous. NaN without probes.
  Estimate chi;
  std::size_t v_samples = 0;
  std::size_t v_nodes = 0;
  Estimate v_mean_mv;  // pooled over probed nodes and times; SE over nodes (or 10 time blocks for one node)
  Estimate v_var_mv2;  // pooled variance; SE likewise
};

struct RunSummary {
  std::string name;
  SimMode mode = SimMode::Event;
  double dt_ms = 0;
  std::string integrator;
  std::uint64_t seed = 0;
  double from_ms = 0, to_ms = 0;
  std::size_t trials = 1;
  double sync_bin_ms = 1;
  std::string netdef_resolved;
  std::vector<PopulationSummary> populations;
};

RunSummary summarize(const RecordedRun& run, const SummaryOptions& options);

// Mean over trials of every estimate, SE = sd / sqrt(K) with K - 1 dof (K >= 2);
// counts are averaged, ISI counts summed. One trial: returned as is. The trials
// must be of one netdef (same populations). Throws Error otherwise.
RunSummary aggregate(const std::vector<RunSummary>& trials);

// The pooled ISIs of a population over (from, to] (compare's KS test).
std::vector<double> pooled_isis(const PopulationSpikes& pop, double from_ms, double to_ms);

// JSON keys per population: name, model, size, recorded, spike_count, rate_hz,
// rate_sem_hz, isi_count, isi_mean_ms, isi_mean_sem_ms, cv_isi, cv_isi_se,
// isi_mean_raw_ms, cv_isi_raw, fano [{window_ms, windows, fano, fano_se}], synchrony, synchrony_se,
// coincident_fraction, coincident_fraction_se, chi,
// chi_se, v_samples, v_nodes, v_mean_mv, v_mean_sem_mv, v_var_mv2,
// v_var_sem_mv2; NaN is null. Top level: name, mode, dt_ms, integrator, seed,
// from_ms, to_ms, trials, sync_bin_ms, populations.
nlohmann::json summary_json(const RunSummary& s);
nlohmann::json population_json(const PopulationSummary& p);

// JSON number, or null for NaN/inf.
nlohmann::json json_number(double x);

}  // namespace spikeq::analysis
