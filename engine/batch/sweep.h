// Parameter sweeps: the points of a sweep as batch points (engine/batch/trials.h), and
// what a sweep leaves besides its runs: DIR/sweep.tsv for plotting and
// DIR/sweep.json listing the sweeps, the points and their status.
//
// Points are the Cartesian product of the sweeps' values, first sweep varying
// slowest (netdefs/sweep_points.h); point p runs in DIR/point-PPPP/ with its
// trials under it. Each point is loaded as its own netdef (the base's resolved
// text, sweeps removed, the point's overrides applied and validated), so a
// point's manifest reruns that point alone with `spikeq run`.
//
// sweep.tsv (the layout tools/plot/spikeq_plot.py `phase` reads): one header
// line, one row per point in point order, tab-separated. Columns: `point`; one
// per sweep, named by the sweep's name (default: its path with '.' -> '_', since
// a column holding '.' is a statistic); then per recorded population POP:
// POP.rate_hz, POP.rate_sem_hz, POP.cv_isi, POP.synchrony, POP.fano_<W>ms for
// each Fano window, and POP.chi for probed populations; last, `status`: the
// point's status (complete, interrupted, not_started, failed), so a sweep
// stopped early still lists every point. Statistics are the mean
// over the point's complete trials; rate_sem_hz is the SEM across trials (with
// one trial: across nodes). `nan` where no value exists (no complete trial, a
// silent population, a window longer than a third of the run).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/batch/trials.h"
#include "netdefs/spec.h"

namespace spikeq::inline batch {

// The points of `sweeps` applied to `base`, each validated; dirs DIR/point-PPPP.
// Throws Error (BadInput) naming the point for one that does not load.
std::vector<BatchPoint> sweep_points(const NetworkSpec& base, const std::vector<SweepSpec>& sweeps,
                                     const std::string& dir, const std::string& origin);

std::string sweep_tsv(const std::vector<SweepSpec>& sweeps, const std::vector<BatchPoint>& points,
                      const BatchResult& result, const analysis::SummaryOptions& options);

nlohmann::json sweep_json(const std::vector<SweepSpec>& sweeps, const std::vector<BatchPoint>& points,
                          const BatchResult& result, const BatchOptions& options);

}  // namespace spikeq::batch
