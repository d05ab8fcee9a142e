// spikeq converge NETDEF --dt LIST: the event-driven engine against the stepped
// one at each dt and integrator; errors against event and theory, fitted order
// (engine/batch/converge.h).
#include <cmath>
#include <cstdio>

#include "analysis_plot.h"
#include "commands.h"
#include "flags.h"
#include "engine/batch/converge.h"
#include "engine/core/memory_estimate.h"
#include "netdefs/limits.h"
#include "netdefs/loader.h"

namespace spikeq::cli {
namespace {

struct ConvergeOptions {
  std::string netdef;
  std::vector<std::string> sets;
  std::vector<std::string> flag_sets;  // --seed, --duration as --set overrides, after `sets`
  std::vector<double> dts_ms;
  std::vector<std::string> integrators;
  std::uint64_t trials = 1;
  double from_ms = -1;  // < 0: duration / 10
  std::uint64_t threads = 0;
  bool json = false;
  std::string plot_dir;
};

int run(const ConvergeOptions& opt) {
  std::vector<std::string> sets = opt.sets;
  sets.insert(sets.end(), opt.flag_sets.begin(), opt.flag_sets.end());
  const NetworkSpec spec = load_netdef_file(opt.netdef, sets);
  RunShape shape = batch_shape(spec, 1, opt.threads, false);
  shape.trials = opt.trials;
  check_memory(spec, opt.netdef, available_memory_bytes(), shape);
  batch::ConvergeOptions co;
  co.dts_ms = opt.dts_ms;
  co.trials = static_cast<std::uint32_t>(opt.trials);
  co.threads = static_cast<int>(opt.threads);
  co.summary.from_ms = opt.from_ms >= 0 ? opt.from_ms : analysis::kNaN;
  if (!opt.integrators.empty()) {
    co.integrators.clear();
    for (const std::string& i : opt.integrators)
      co.integrators.push_back(i == "exact" ? Integrator::Exact : Integrator::EulerMaruyama);
  }
  const batch::ConvergeResult r = batch::run_converge(spec, co);
  const nlohmann::json j = batch::converge_json(r);
  if (opt.json) std::printf("%s\n", j.dump(2).c_str());
  else std::fputs(batch::format_converge(r).c_str(), stdout);
  if (!opt.plot_dir.empty()) {
    const std::string path = opt.plot_dir + "/converge.json";
    write_text_file(path, j.dump(2) + "\n");
    run_plot_script({"converge", path, "--out", opt.plot_dir});
  }
  return 0;
}

}  // namespace

Subcommand add_converge(CLI::App& app) {
  auto* sub = app.add_subcommand("converge", "Stepped engine vs event-driven engine and theory as dt shrinks: rate and "
                                             "CV errors per dt and integrator, fitted order of convergence");
  auto opt = std::make_shared<ConvergeOptions>();
  sub->add_option("netdef", opt->netdef, "Netdef file (.pbtxt)")->required();
  add_numbers_flag(*sub, "--dt", opt->dts_ms, {0, limits::kMaxTimeMs, true},
                   "Grid steps, ms, comma-separated (e.g. 1,0.5,0.2,0.1,0.05,0.01)")
      ->required();
  sub->add_option("--integrator", opt->integrators, "Stepped integrators, comma-separated (default euler,exact)")
      ->delimiter(',')
      ->check(CLI::IsMember({"euler", "exact"}));
  add_count_flag(*sub, "--trials", opt->trials, 1, limits::kMaxTrials, "", "Trials per engine and dt (default 1)");
  sub->add_option("--set", opt->sets, "Override a field: PATH=VALUE (repeatable)");
  add_override_flag(*sub, "--seed", "seed", opt->flag_sets, "Master seed, any 64-bit value (is --set seed=SEED)");
  add_override_flag(*sub, "--duration", "duration_ms", opt->flag_sets, "Simulated time, ms (is --set duration_ms=MS)");
  add_number_flag(*sub, "--from", opt->from_ms, {0, limits::kMaxTimeMs},
                  "Count spikes after this time, ms (default: duration / 10)");
  add_count_flag(*sub, "--threads", opt->threads, 1, limits::kMaxThreads,
                 "more threads than cores only add stacks and contention",
                 "Worker threads, 1 to 1024 (default: all cores); results do not depend on it");
  sub->add_flag("--json", opt->json, "Print JSON (keys documented in engine/batch/converge.h)");
  sub->add_option("--plot", opt->plot_dir, "Also draw the log-log convergence plot (PNG, SVG) into OUTDIR");
  return {sub, [opt] { return run(*opt); }};
}

}  // namespace spikeq::cli
