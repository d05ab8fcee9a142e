// spikeq compare DIR_A DIR_B: two runs side by side per population, with
// confidence intervals, differences, the theory column, a two-sample KS test on
// the ISIs and a verdict per quantity (engine/analysis/compare.h).
#include <cstdio>

#include "analysis_plot.h"
#include "commands.h"
#include "flags.h"
#include "run_notes.h"
#include "engine/analysis/compare.h"
#include "engine/io/run_lock.h"
#include "netdefs/limits.h"

namespace spikeq::cli {
namespace {

const char* const kLiveNote = "a live run: its files are not finished";

struct CompareOptions {
  std::string dir_a, dir_b;
  bool json = false;
  std::string plot_dir;
  double alpha = 0.01;
  std::vector<double> windows_ms;
  double from_ms = 0;
  double to_ms = 0;
};

int run(const CompareOptions& opt) {
  analysis::SummaryOptions so;
  so.from_ms = opt.from_ms;
  if (opt.to_ms > 0) so.to_ms = opt.to_ms;
  if (!opt.windows_ms.empty()) so.fano_windows_ms = opt.windows_ms;
  refuse_if_live(opt.dir_a, kLiveNote);  // runs still being written are not compared as if done
  refuse_if_live(opt.dir_b, kLiveNote);
  note_recovery_gaps(opt.dir_a);
  note_recovery_gaps(opt.dir_b);
  const analysis::CompareSide a = analysis::load_side(opt.dir_a, so);
  const analysis::CompareSide b = analysis::load_side(opt.dir_b, so);
  const auto theory = analysis::theory_of(a.summary);
  const analysis::Comparison c = analysis::compare(a, b, opt.alpha, theory ? &*theory : nullptr);
  nlohmann::json j = analysis::comparison_json(c);
  if (theory) j["theory"] = theory::theory_json(*theory);
  if (opt.json) std::printf("%s\n", j.dump(2).c_str());
  else std::fputs(analysis::format_comparison(c).c_str(), stdout);
  if (!opt.plot_dir.empty()) {
    const std::string path = opt.plot_dir + "/compare.json";
    if (theory) j["theory"] = theory::theory_json(*theory, true);  // with the ISI densities
    write_text_file(path, j.dump(2) + "\n");
    char from[32];
    std::snprintf(from, sizeof from, "%.17g", opt.from_ms);
    run_plot_script({"compare", opt.dir_a, opt.dir_b, "--compare", path, "--from", from, "--out", opt.plot_dir});
  }
  return 0;
}

}  // namespace

Subcommand add_compare(CLI::App& app) {
  auto* sub = app.add_subcommand("compare", "Compare two runs per population: rates with CIs, ISI CV, Fano, KS test "
                                            "on ISIs, membrane moments, theory, verdicts");
  auto opt = std::make_shared<CompareOptions>();
  sub->add_option("dir_a", opt->dir_a, "First run directory (or one holding trial-*/)")->required();
  sub->add_option("dir_b", opt->dir_b, "Second run directory")->required();
  sub->add_flag("--json", opt->json, "Print JSON (keys documented in engine/analysis/compare.h)");
  sub->add_option("--plot", opt->plot_dir, "Also draw side-by-side plots (PNG, SVG) into OUTDIR");
  // Numbers: tools/spikeq/flags.h; times within a run's range (netdefs/limits.h).
  add_number_flag(*sub, "--alpha", opt->alpha, {1e-12, 0.5}, "Level of each test, 1e-12 to 0.5 (default 0.01); CIs at 1 - alpha");
  add_numbers_flag(*sub, "--window", opt->windows_ms, {0, limits::kMaxTimeMs, true},
                   "Fano factor count windows, ms (comma-separated; default 10,100,1000)");
  add_number_flag(*sub, "--from", opt->from_ms, {0, limits::kMaxTimeMs},
                  "Observation interval starts after this time, ms (default 0)");
  add_number_flag(*sub, "--to", opt->to_ms, {0, limits::kMaxTimeMs, true},
                  "Observation interval ends at this time, ms (default: the end of each run)");
  return {sub, [opt] { return run(*opt); }};
}

}  // namespace spikeq::cli
