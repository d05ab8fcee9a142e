// spikeq stats DIR: per population of a recorded run (aggregated over trial-*/
// subdirectories, one block per point-*/ of a sweep): spike count, rate ± SEM,
// ISI mean and CV, Fano factors, synchrony, membrane moments
// (engine/analysis/summary.h). --json prints the same as JSON; --plot draws it.
#include <cmath>
#include <cstdio>

#include "analysis_plot.h"
#include "commands.h"
#include "flags.h"
#include "run_notes.h"
#include "engine/analysis/summary.h"
#include "engine/analysis/compare.h"
#include "engine/io/run_lock.h"
#include "netdefs/limits.h"

namespace spikeq::cli {
namespace {

const char* const kLiveNote = "a live run: its files are not finished";

struct StatsOptions {
  std::string dir;
  bool json = false;
  std::vector<double> windows_ms;
  double from_ms = 0;
  double to_ms = 0;
  double sync_bin_ms = 1;
  std::string plot_dir;
};

std::string pm(const analysis::Estimate& e, const char* unit = "") { return analysis::format_estimate(e, "%.4g", unit); }

void print_summary(const analysis::RunSummary& s, const std::string& label) {
  std::string engine = mode_name(s.mode);
  if (s.mode == SimMode::Stepped) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "stepped dt %g ms %s", s.dt_ms, s.integrator.c_str());
    engine = buf;
  }
  std::printf("%s (%s, %s, seed %llu): %zu trial%s, interval (%g, %g] ms%s\n", label.c_str(), s.name.c_str(),
              engine.c_str(), static_cast<unsigned long long>(s.seed), s.trials, s.trials == 1 ? "" : "s", s.from_ms,
              s.to_ms, s.trials > 1 ? "; values are means ± SEM over trials" : "");
  for (const analysis::PopulationSummary& p : s.populations) {
    if (!p.recorded && p.v_samples == 0) continue;
    std::printf("\n%s (%s, %llu nodes)", p.name.c_str(), p.lif ? "lif" : "poisson",
                static_cast<unsigned long long>(p.size));
    if (p.recorded && p.spike_count == 0) {
      std::printf(": no spikes in the interval\n");
    } else if (p.recorded) {
      std::printf(": %.0f spikes%s\n", p.spike_count, s.trials > 1 ? " per trial" : "");
      std::printf("  %-12s %s\n", "rate", pm(p.rate_hz, " Hz").c_str());
      std::printf("  %-12s mean %s, CV %s (%zu intervals)\n", "ISI", pm(p.isi_mean_ms, " ms").c_str(),
                  pm(p.cv_isi).c_str(), p.isi_count);
      std::printf("  %-12s", "Fano factor");
      if (p.fano.empty()) std::printf(" - (interval too short for %zu windows)", analysis::kMinFanoWindows);
      for (std::size_t i = 0; i < p.fano.size(); ++i)
        std::printf("%s%g ms: %s", i ? " | " : " ", p.fano[i].window_ms, pm(p.fano[i].fano).c_str());
      std::printf("\n  %-12s %s (Var/mean of the population count in %g ms bins; 1 = independent Poisson)\n",
                  "synchrony", pm(p.synchrony).c_str(), s.sync_bin_ms);
      std::printf("  %-12s %s of the spikes share their exact time with another spike%s\n", "coincident",
                  pm(p.coincident_fraction).c_str(),
                  s.mode == SimMode::Stepped ? " (on a time grid every spike shares its step)"
                                      : " (~1: lock-step volleys)");
    } else {
      std::printf(": spikes not recorded\n");
    }
    if (p.v_samples > 0)
      std::printf("  %-12s V mean %s, variance %s (%zu nodes, %zu samples)%s%s\n", "membrane",
                  pm(p.v_mean_mv, " mV").c_str(), pm(p.v_var_mv2, " mV^2").c_str(), p.v_nodes, p.v_samples,
                  std::isfinite(p.chi.value) ? "; Golomb chi " : "",
                  std::isfinite(p.chi.value) ? pm(p.chi).c_str() : "");
  }
}

nlohmann::json with_theory(const analysis::RunSummary& s, bool isi_density) {
  nlohmann::json j = analysis::summary_json(s);
  if (const auto th = analysis::theory_of(s)) j["theory"] = theory::theory_json(*th, isi_density);
  return j;
}

int run(const StatsOptions& opt) {
  analysis::SummaryOptions so;
  so.from_ms = opt.from_ms;
  if (opt.to_ms > 0) so.to_ms = opt.to_ms;
  if (!opt.windows_ms.empty()) so.fano_windows_ms = opt.windows_ms;
  so.sync_bin_ms = opt.sync_bin_ms;
  refuse_if_live(opt.dir, kLiveNote);  // a run still being written is not reported as if it were done
  note_recovery_gaps(opt.dir);
  const std::vector<analysis::RunPoint> points = analysis::discover_runs(opt.dir);
  nlohmann::json out_points = nlohmann::json::array();
  nlohmann::json single, plot_json;
  for (std::size_t i = 0; i < points.size(); ++i) {
    std::vector<analysis::RunSummary> trials;
    for (const std::string& t : points[i].trial_dirs) trials.push_back(analysis::summarize(analysis::load_run(t), so));
    const analysis::RunSummary s = analysis::aggregate(trials);
    nlohmann::json j = with_theory(s, false);
    // The plots draw the first point, with the theory ISI densities.
    if (i == 0 && !opt.plot_dir.empty()) plot_json = with_theory(s, true);
    if (points[i].label.empty()) single = j;
    else out_points.push_back({{"label", points[i].label}, {"summary", j}});
    if (!opt.json) {
      if (i) std::printf("\n");
      print_summary(s, points[i].label.empty() ? opt.dir : opt.dir + "/" + points[i].label);
    }
  }
  const nlohmann::json result = single.is_null() ? nlohmann::json{{"points", out_points}} : single;
  if (opt.json) std::printf("%s\n", result.dump(2).c_str());
  if (!opt.plot_dir.empty()) {
    const std::string stats_path = opt.plot_dir + "/stats.json";
    write_text_file(stats_path, plot_json.dump(2) + "\n");
    char from[32];
    std::snprintf(from, sizeof from, "%.17g", opt.from_ms);
    run_plot_script({"run", points.front().trial_dirs.front(), "--stats", stats_path, "--from", from, "--out",
                     opt.plot_dir});
  }
  return 0;
}

}  // namespace

Subcommand add_stats(CLI::App& app) {
  auto* sub = app.add_subcommand("stats", "Statistics of a recorded run per population: rate ± SEM, ISI mean and CV, "
                                          "Fano factors, synchrony, membrane moments");
  auto opt = std::make_shared<StatsOptions>();
  sub->add_option("dir", opt->dir, "Run directory (or one holding trial-*/ or point-*/)")->required();
  sub->add_flag("--json", opt->json, "Print JSON (keys documented in engine/analysis/summary.h)");
  // Numbers: tools/spikeq/flags.h; times within a run's range (netdefs/limits.h).
  add_numbers_flag(*sub, "--window", opt->windows_ms, {0, limits::kMaxTimeMs, true},
                   "Fano factor count windows, ms (comma-separated; default 10,100,1000)");
  add_number_flag(*sub, "--from", opt->from_ms, {0, limits::kMaxTimeMs},
                  "Observation interval starts after this time, ms (default 0)");
  add_number_flag(*sub, "--to", opt->to_ms, {0, limits::kMaxTimeMs, true},
                  "Observation interval ends at this time, ms (default: the end of the run)");
  add_number_flag(*sub, "--sync-bin", opt->sync_bin_ms, {0, limits::kMaxTimeMs, true},
                  "Bin of the synchrony index, ms (default 1)");
  sub->add_option("--plot", opt->plot_dir, "Also draw raster, ISI, count and membrane plots (PNG, SVG) into OUTDIR");
  return {sub, [opt] { return run(*opt); }};
}

}  // namespace spikeq::cli
