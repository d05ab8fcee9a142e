// spikeq run with --trials N > 1 or a sweep: validates every point before any
// output exists, runs points × trials tasks on one TBB arena with a progress
// line on stderr, writes the indexes (trials.json per point, sweep.json and
// sweep.tsv for a sweep) and prints mean ± SEM across trials.
#include "run_batch.h"

#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include "flags.h"
#include "engine/core/memory_estimate.h"
#include "engine/batch/progress.h"
#include "engine/stepped/stepped_plan.h"
#include "engine/batch/sweep.h"
#include "engine/theory/theory.h"
#include "engine/batch/trials.h"
#include "engine/batch/batch_ranks.h"
#include "engine/comm/agree.h"
#include "netdefs/error.h"
#include "netdefs/format.h"

namespace spikeq::cli {
namespace {

std::string with_sem(const analysis::Estimate& e) { return analysis::format_estimate(e); }

// Right-aligned in `width` characters (not bytes: "±" is two).
std::string pad(const std::string& text, std::size_t width) {
  std::size_t chars = 0;
  for (unsigned char c : text) chars += (c & 0xC0) != 0x80;
  return std::string(chars < width ? width - chars : 0, ' ') + text;
}

const analysis::FanoEstimate* fano_of(const analysis::PopulationSummary& p) {
  for (const analysis::FanoEstimate& f : p.fano)
    if (f.window_ms == 100) return &f;
  return p.fano.empty() ? nullptr : &p.fano.front();
}

// " on each of 4 ranks" over MPI ranks; nothing on one process.
std::string ranks_text(const BatchResult& batch) {
  return batch.ranks > 1 ? " on each of " + std::to_string(batch.ranks) + " ranks" : "";
}

void print_trials(const BatchPoint& point, const PointResult& r, const BatchResult& batch, const BatchOptions& o) {
  const NetworkSpec& spec = point.spec;
  std::printf("%s: %zu of %u trials complete, %g ms each (%s, seed %llu, connectivity %s, %u threads%s)\n",
              spec.name.c_str(), r.complete(), o.trials, spec.duration_ms,
              spec.simulation.mode == SimMode::Stepped ? "stepped" : "event-driven",
              static_cast<unsigned long long>(spec.seed), o.redraw_connectivity ? "redrawn" : "frozen",
              batch.threads, ranks_text(batch).c_str());
  if (!r.aggregate) return;
  const std::vector<PopulationTheory> theory = predict(spec);
  std::printf("  mean ± SEM across trials\n  %-12s %20s %16s %24s %16s %12s\n", "population", "rate (Hz)", "ISI CV",
              "Fano", "synchrony", "theory (Hz)");
  for (std::size_t i = 0; i < r.aggregate->populations.size(); ++i) {
    const analysis::PopulationSummary& p = r.aggregate->populations[i];
    if (!p.recorded) continue;
    const analysis::FanoEstimate* f = fano_of(p);
    char fano[64] = "-";
    if (f) std::snprintf(fano, sizeof fano, "%s (%gms)", with_sem(f->fano).c_str(), f->window_ms);
    char th[32] = "-";
    if (theory[i].converged) std::snprintf(th, sizeof th, "%.4g", theory[i].rate_hz);
    std::printf("  %-12s %s %s %s %s %12s\n", p.name.c_str(), pad(with_sem(p.rate_hz), 20).c_str(),
                pad(with_sem(p.cv_isi), 16).c_str(), pad(fano, 24).c_str(), pad(with_sem(p.synchrony), 16).c_str(), th);
  }
}

void print_sweep(const std::vector<SweepSpec>& sweeps, const std::vector<BatchPoint>& points, const BatchResult& batch,
                 const BatchOptions& o) {
  std::printf("%s: sweep of %zu points x %u trials (connectivity %s, %u threads%s)\n", points.front().spec.name.c_str(),
              points.size(), o.trials, o.redraw_connectivity ? "redrawn" : "frozen", batch.threads,
              ranks_text(batch).c_str());
  for (std::size_t p = 0; p < points.size(); ++p) {
    std::string line = "  " + point_dir_name(p);
    for (std::size_t i = 0; i < sweeps.size(); ++i)
      line += " " + sweeps[i].name + "=" + netdef::format_number(points[p].values[i]);
    const PointResult& r = batch.points[p];
    if (r.aggregate) {
      for (const analysis::PopulationSummary& s : r.aggregate->populations) {
        if (!s.recorded) continue;
        line += " | " + s.name + " " + with_sem(s.rate_hz) + " Hz, sync " + with_sem(s.synchrony);
      }
    } else {
      line += std::string(" | ") + status_name(r.status());
    }
    std::printf("%s\n", line.c_str());
  }
}

// Every point's trials.json, and a sweep's sweep.json and sweep.tsv.
void write_indexes(const NetworkSpec& spec, const std::vector<BatchPoint>& points, const BatchResult& result,
                   const BatchOptions& bo, const BatchRunOptions& o) {
  const bool sweep = !spec.sweeps.empty();
  for (std::size_t p = 0; p < points.size(); ++p) {
    // A point none of whose trials started has no directory yet.
    std::error_code ec;
    std::filesystem::create_directories(points[p].dir, ec);
    if (ec) throw Error(points[p].dir + ": cannot create directory: " + ec.message(), Error::Kind::Runtime);
    write_json_file(points[p].dir, "trials.json", trials_json(points[p], result.points[p], result, bo));
  }
  if (sweep) {
    write_json_file(o.dir, "sweep.json", sweep_json(spec.sweeps, points, result, bo));
    const std::string tsv = sweep_tsv(spec.sweeps, points, result, bo.summary);
    const std::string path = o.dir + "/sweep.tsv";
    std::FILE* f = std::fopen(path.c_str(), "w");
    if (!f || std::fwrite(tsv.data(), 1, tsv.size(), f) != tsv.size() || std::fclose(f) != 0)
      throw Error(path + ": write failed", Error::Kind::Runtime);
  }
}

}  // namespace

int run_batch_command(const NetworkSpec& spec, const BatchRunOptions& o, std::atomic<bool>& stop,
                      std::atomic<int>& signal, const std::function<void()>& prepare_dir) {
  comm::Comm one_process;
  comm::Comm& comm = o.comm ? *o.comm : one_process;
  const bool sweep = !spec.sweeps.empty();
  std::vector<BatchPoint> points;
  double silence_s = 0;
  comm::agree(comm, [&] {  // every rank checks; before any output exists
    if (sweep) points = sweep_points(spec, spec.sweeps, o.dir, o.netdef);
    else points.push_back({spec, {}, o.dir});
    for (const BatchPoint& p : points) {
      if (p.spec.simulation.mode == SimMode::Stepped) check_step_grid(p.spec);
      check_memory(p.spec, o.netdef, o.memory_limit_bytes);
    }
    if (comm.size() > 1) silence_s = silence_limit_s(RanksOptions{}.silence_s);
  });
  // DIR is made ready (created, locked, emptied with --force) once, by rank 0,
  // before any rank writes into it.
  comm::agree(comm, [&] {
    if (comm.is_root()) prepare_dir();
  });
  std::optional<BatchOverRanks> ranks;
  if (comm.size() > 1) ranks.emplace(comm, RanksOptions{&signal, silence_s, o.dir});

  BatchOptions bo;
  bo.netdef_path = o.netdef;
  bo.format = o.format;
  bo.threads = o.threads;
  bo.trials = spec.simulation.trials;
  bo.redraw_connectivity = o.redraw_connectivity;
  bo.stop = &stop;
  bo.abandon_builds = o.abandon_builds;
  std::vector<double> durations;
  for (const BatchPoint& p : points) durations.insert(durations.end(), bo.trials, p.spec.duration_ms);
  ProgressMeter meter(durations);
  bo.progress = &meter;

  BatchResult result;
  {
    struct Watch {  // the caller's view of the meter ends with the tasks
      const BatchRunOptions& o;
      Watch(const BatchRunOptions& options, const ProgressMeter& m) : o(options) {
        if (o.watch_progress) o.watch_progress(&m);
      }
      ~Watch() {
        if (o.watch_progress) o.watch_progress(nullptr);
      }
    } watch(o, meter);
    std::unique_ptr<ProgressDisplay> display;
    if (!o.quiet && comm.is_root())
      display = std::make_unique<ProgressDisplay>(meter, stderr, ::isatty(STDERR_FILENO) == 1);
    result = ranks ? ranks->run(points, bo) : run_batch(points, bo);
  }
  if (!comm.is_root()) return 0;  // rank 0 reports the batch; this rank's tasks are on disk
  if (ranks && !ranks->lost().empty()) {
    // A rank taken for dead cannot finalise MPI: the indexes are written, then the job ends here.
    try {
      write_indexes(spec, points, result, bo, o);
    } catch (const Error& e) {
      std::fprintf(stderr, "spikeq: %s\n", e.what());
    }
    std::fprintf(stderr, "spikeq: %s\n", result.first_failure()->error.c_str());
    comm.abort(1);
  }
  write_indexes(spec, points, result, bo, o);
  if (const TrialResult* failed = result.first_failure())
    throw Error(failed->error, failed->runtime_error ? Error::Kind::Runtime : Error::Kind::BadInput);
  if (!o.quiet) {
    if (sweep) print_sweep(spec.sweeps, points, result, bo);
    else print_trials(points.front(), result.points.front(), result, bo);
    std::uint64_t events = 0;
    for (const PointResult& p : result.points)
      for (const TrialResult& t : p.trials) events += t.stats.events();
    std::printf("  wall %.3f s; %.4g events, %.3g events/s; networks built: %llu\n  output: %s/ (%s)\n",
                result.wall_s, static_cast<double>(events),
                result.wall_s > 0 ? static_cast<double>(events) / result.wall_s : 0.0,
                static_cast<unsigned long long>(result.networks_built), o.dir.c_str(),
                sweep ? "sweep.tsv, sweep.json" : "trials.json");
  }
  if (result.interrupted) {
    std::fprintf(stderr, "spikeq: interrupted; finished trials are complete, running ones marked interrupted, "
                 "the others not_started in %s/%s\n", o.dir.c_str(), sweep ? "sweep.json" : "trials.json");
    return exit_code_for(signal.load());
  }
  return 0;
}

}  // namespace spikeq::cli
