// spikeq converge NETDEF --dt LIST: the event-driven engine against the stepped
// one at each dt and integrator; errors against event and theory, fitted order
// (engine/converge.h).
#include <cmath>
#include <cstdio>

#include "analysis_plot.h"
#include "commands.h"
#include "engine/converge.h"
#include "engine/memory_estimate.h"
#include "netdefs/loader.h"

namespace spikeq::cli {
namespace {

struct ConvergeOptions {
  std::string netdef;
  std::vector<std::string> sets;
  std::vector<double> dts_ms;
  std::vector<std::string> integrators;
  std::uint32_t trials = 1;
  std::uint64_t seed = 0;
  double duration_ms = 0;
  double from_ms = -1;
  int threads = 0;
  bool json = false;
  std::string plot_dir;
};

int run(const ConvergeOptions& opt) {
  std::vector<std::string> sets = opt.sets;
  if (opt.seed != 0) sets.push_back("seed=" + std::to_string(opt.seed));
  if (opt.duration_ms > 0) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "duration_ms=%.17g", opt.duration_ms);
    sets.push_back(buf);
  }
  const NetworkSpec spec = load_netdef_file(opt.netdef, sets);
  check_memory(spec, opt.netdef, available_memory_bytes());
  analysis::ConvergeOptions co;
  co.dts_ms = opt.dts_ms;
  co.trials = opt.trials;
  co.threads = opt.threads;
  co.summary.from_ms = opt.from_ms >= 0 ? opt.from_ms : analysis::kNaN;
  if (!opt.integrators.empty()) {
    co.integrators.clear();
    for (const std::string& i : opt.integrators)
      co.integrators.push_back(i == "exact" ? Integrator::Exact : Integrator::EulerMaruyama);
  }
  const analysis::ConvergeResult r = analysis::run_converge(spec, co);
  const nlohmann::json j = analysis::converge_json(r);
  if (opt.json) std::printf("%s\n", j.dump(2).c_str());
  else std::fputs(analysis::format_converge(r).c_str(), stdout);
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
  sub->add_option("--dt", opt->dts_ms, "Grid steps, ms, comma-separated (e.g. 1,0.5,0.2,0.1,0.05,0.01)")
      ->required()
      ->delimiter(',')
      ->check(CLI::PositiveNumber);
  sub->add_option("--integrator", opt->integrators, "Stepped integrators, comma-separated (default euler,exact)")
      ->delimiter(',')
      ->check(CLI::IsMember({"euler", "exact"}));
  sub->add_option("--trials", opt->trials, "Trials per engine and dt (default 1)")->check(CLI::Range(1, 100000));
  sub->add_option("--set", opt->sets, "Override a field: PATH=VALUE (repeatable)");
  sub->add_option("--seed", opt->seed, "Master seed (overrides the netdef's; >= 1)")->check(CLI::PositiveNumber);
  sub->add_option("--duration", opt->duration_ms, "Simulated time, ms (overrides duration_ms)")
      ->check(CLI::PositiveNumber);
  sub->add_option("--from", opt->from_ms, "Count spikes after this time, ms (default: duration / 10)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--threads", opt->threads, "Worker threads (default: all cores); results do not depend on it")
      ->check(CLI::Range(1, 4096));
  sub->add_flag("--json", opt->json, "Print JSON (keys documented in engine/converge.h)");
  sub->add_option("--plot", opt->plot_dir, "Also draw the log-log convergence plot (PNG, SVG) into OUTDIR");
  return {sub, [opt] { return run(*opt); }};
}

}  // namespace spikeq::cli
