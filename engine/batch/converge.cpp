#include "engine/core/strprintf.h"
#include "engine/batch/converge.h"

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdio>

#include "engine/batch/simulate.h"
#include "engine/core/network.h"
#include "engine/stepped/stepped_plan.h"
#include "netdefs/error.h"

namespace spikeq::inline batch {

using namespace spikeq::analysis;  // the summaries converge compares
namespace {

struct Config {
  std::string engine;
  NetworkSpec spec;
};

const char* engine_name(Integrator i) { return i == Integrator::Exact ? "exact" : "euler"; }

// Runs every trial of one configuration on one Network (built once: connectivity
// depends on the seed only), each trial into memory, summarized and dropped.
EngineRun run_config(const Config& config, std::uint32_t trials, const SummaryOptions& options) {
  const Network net(config.spec);
  std::vector<RunSummary> summaries(trials);
  std::vector<double> wall(trials);
  tbb::parallel_for(std::uint32_t{0}, trials, [&](std::uint32_t k) {
    const auto t0 = std::chrono::steady_clock::now();
    RecordingSink sink(net, k);
    const RunStats stats = simulate(net, k, sink);
    summaries[k] = summarize(sink.finish(stats.simulated_ms, !stats.interrupted), options);
    wall[k] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  });
  EngineRun r;
  r.engine = config.engine;
  r.dt_ms = config.spec.simulation.mode == SimMode::Stepped ? config.spec.simulation.dt_ms : 0.0;
  r.summary = aggregate(summaries);
  for (double w : wall) r.wall_s += w;
  return r;
}

Estimate minus_constant(const Estimate& e, double c) { return {e.value - c, e.se, e.dof}; }

}  // namespace

ConvergeResult run_converge(const NetworkSpec& spec, const ConvergeOptions& options) {
  if (options.dts_ms.empty()) throw Error("converge: no dt given");
  if (options.trials < 1) throw Error("converge: trials must be >= 1");
  ConvergeResult r;
  r.name = spec.name;
  r.dts_ms = options.dts_ms;
  r.trials = options.trials;
  r.theory = theory_report(spec);
  SummaryOptions sum = options.summary;
  if (std::isnan(sum.from_ms)) sum.from_ms = spec.duration_ms / 10;

  std::vector<Config> configs;
  NetworkSpec event = spec;
  event.simulation.mode = SimMode::Event;
  configs.push_back({"event", event});
  for (double dt : options.dts_ms) {
    if (!(dt > 0)) throw Error("converge: dt must be > 0 (got " + strprintf("%g", dt) + ")");
    for (Integrator integrator : options.integrators) {
      NetworkSpec s = spec;
      s.simulation.mode = SimMode::Stepped;
      s.simulation.dt_ms = dt;
      s.simulation.integrator = integrator;
      try {
        check_step_grid(s);
      } catch (const Error& e) {
        throw Error(strprintf("converge: dt = %g ms: ", dt) + e.what());
      }
      configs.push_back({engine_name(integrator), std::move(s)});
    }
  }

  std::vector<EngineRun> runs(configs.size());
  auto work = [&] {
    tbb::parallel_for(std::size_t{0}, configs.size(),
                      [&](std::size_t i) { runs[i] = run_config(configs[i], options.trials, sum); });
  };
  if (options.threads > 0) tbb::task_arena(options.threads).execute(work);
  else work();

  r.event = std::move(runs.front());
  r.stepped.assign(std::make_move_iterator(runs.begin() + 1), std::make_move_iterator(runs.end()));
  r.from_ms = r.event.summary.from_ms;
  r.to_ms = r.event.summary.to_ms;

  for (std::size_t p = 0; p < r.event.summary.populations.size(); ++p)
    if (r.event.summary.populations[p].lif && r.event.summary.populations[p].recorded) r.populations.push_back(p);

  for (std::size_t p : r.populations) {
    const PopulationPrediction& th = r.theory.populations[p];
    const PopulationSummary& ev = r.event.summary.populations[p];
    for (std::size_t s = 0; s < r.stepped.size(); ++s) {
      const PopulationSummary& st = r.stepped[s].summary.populations[p];
      ConvergeError e;
      e.population = p;
      e.run = s;
      e.rate_hz = st.rate_hz;
      e.rate_vs_event = difference(st.rate_hz, ev.rate_hz);
      e.rate_vs_theory = th.converged ? minus_constant(st.rate_hz, th.rate_hz) : Estimate{};
      e.cv = st.cv_isi;
      e.cv_vs_event = difference(st.cv_isi, ev.cv_isi);
      e.cv_vs_theory = th.converged ? minus_constant(st.cv_isi, th.cv_isi) : Estimate{};
      r.errors.push_back(e);
    }
    // Against theory only where it is exact (white noise): a diffusion
    // approximation carries an error of its own that no dt removes.
    std::vector<const char*> references = {"event"};
    if (th.white_noise_only && th.converged) references.push_back("theory");
    for (Integrator integrator : options.integrators) {
      for (const char* reference : references) {
        std::vector<double> x, y, w;
        for (const ConvergeError& e : r.errors) {
          if (e.population != p || r.stepped[e.run].engine != engine_name(integrator)) continue;
          const Estimate& err = reference[0] == 'e' ? e.rate_vs_event : e.rate_vs_theory;
          if (!(std::abs(err.value) > 0) || !(err.se > 0)) continue;
          x.push_back(std::log(r.stepped[e.run].dt_ms));
          y.push_back(std::log(std::abs(err.value)));
          w.push_back(std::pow(err.value / err.se, 2));  // 1 / Var(ln|err|)
        }
        r.fits.push_back({p, engine_name(integrator), reference, weighted_linear_fit(x, y, w)});
      }
    }
  }
  return r;
}

namespace {

std::string pm(const Estimate& e, const char* f = "%.4g") { return format_estimate(e, f); }

// Which law the fitted order is consistent with: within 3 SE plus 0.1 (the
// curvature of the rate in the threshold shift and Euler's O(dt) variance excess
// move a finite-dt fit by a few hundredths to a tenth; tests/stats/test_stepped_convergence.cpp).
std::string order_reading(const LinearFit& f) {
  if (f.n < 2 || !std::isfinite(f.slope)) return "too few points";
  if (f.slope_se > 0.15) return "inconclusive (errors mostly within noise: more trials or nodes)";
  const double k = 3;  // SEs
  const bool half = std::abs(f.slope - 0.5) <= k * f.slope_se + 0.1;
  const bool one = std::abs(f.slope - 1.0) <= k * f.slope_se + 0.1;
  if (half && !one) return "sqrt(dt) bias (order 1/2)";
  if (one && !half) return "first order (dt)";
  if (half && one) return "between 1/2 and 1 (refine: more trials or smaller dt)";
  return "neither 1/2 nor 1";
}

}  // namespace

std::string format_converge(const ConvergeResult& r) {
  std::string out = strprintf("converge %s: %u trial%s per engine, spikes in (%g, %g] ms\n", r.name.c_str(), r.trials,
                        r.trials == 1 ? "" : "s", r.from_ms, r.to_ms);
  for (std::size_t p : r.populations) {
    const PopulationPrediction& th = r.theory.populations[p];
    const PopulationSummary& ev = r.event.summary.populations[p];
    out += strprintf("\n%s (%llu LIF nodes)\n", ev.name.c_str(), static_cast<unsigned long long>(ev.size));
    out += strprintf("  theory        rate %.4g Hz, ISI CV %.4g  [%s]\n", th.rate_hz, th.cv_isi, th.rate_formula.c_str());
    out += strprintf("  event-driven  rate %s Hz, ISI CV %s  (%.2f s)\n", pm(ev.rate_hz).c_str(), pm(ev.cv_isi).c_str(),
               r.event.wall_s);
    out += strprintf("\n  %7s %-10s %-18s %-28s %-28s %-12s %-16s %s\n", "dt (ms)", "integrator", "rate (Hz)",
               "error vs event (Hz, %)", "error vs theory (Hz, %)", "rel/sqrt(dt)", "ISI CV", "CV - event");
    for (const ConvergeError& e : r.errors) {
      if (e.population != p) continue;
      const EngineRun& run = r.stepped[e.run];
      const double rel_event = e.rate_vs_event.value / ev.rate_hz.value;
      const double rel_theory = e.rate_vs_theory.value / th.rate_hz;
      out += strprintf("  %7g %-10s %-18s %-28s %-28s %-12s %-16s %s\n", run.dt_ms, run.engine.c_str(),
                 pm(e.rate_hz).c_str(),
                 (pm(e.rate_vs_event, "%+.4g") + strprintf(" (%+.1f%%)", 100 * rel_event)).c_str(),
                 std::isfinite(e.rate_vs_theory.value)
                     ? (pm(e.rate_vs_theory, "%+.4g") + strprintf(" (%+.1f%%)", 100 * rel_theory)).c_str()
                     : "-",
                 strprintf("%+.1f%%", 100 * rel_event / std::sqrt(run.dt_ms)).c_str(), pm(e.cv, "%.4f").c_str(),
                 pm(e.cv_vs_event, "%+.4f").c_str());
    }
    out += "  (rel/sqrt(dt): relative error vs event over sqrt(dt/ms); constant down the column = a sqrt(dt) law)\n";
    out += "\n  fitted order p of |rate error| ∝ dt^p (weighted least squares of ln|error| on ln dt):\n";
    for (const OrderFit& f : r.fits) {
      if (f.population != p) continue;
      out += strprintf("    %-6s vs %-7s p = %s  over %zu dt  -> %s\n", f.engine.c_str(), f.reference.c_str(),
                 std::isfinite(f.fit.slope) ? strprintf("%.3f ± %.3f", f.fit.slope, f.fit.slope_se).c_str() : "-", f.fit.n,
                 order_reading(f.fit).c_str());
    }
    if (!th.white_noise_only)
      out += "    (no fit against theory: here it is the diffusion approximation of shot noise, whose own error\n"
             "     does not shrink with dt)\n";
  }
  if (r.populations.empty()) out += "\nno recorded LIF population: nothing to converge\n";
  return out;
}

nlohmann::json converge_json(const ConvergeResult& r) {
  auto summary_of = [](const EngineRun& e) {
    nlohmann::json j = {{"engine", e.engine}, {"wall_s", e.wall_s}, {"summary", summary_json(e.summary)}};
    if (e.dt_ms > 0) j["dt_ms"] = e.dt_ms;
    return j;
  };
  nlohmann::json stepped = nlohmann::json::array(), errors = nlohmann::json::array(), fits = nlohmann::json::array();
  for (const EngineRun& e : r.stepped) stepped.push_back(summary_of(e));
  for (const ConvergeError& e : r.errors) {
    const EngineRun& run = r.stepped[e.run];
    const double ev_rate = r.event.summary.populations[e.population].rate_hz.value;
    const double th_rate = r.theory.populations[e.population].rate_hz;
    errors.push_back({{"population", r.event.summary.populations[e.population].name},
                      {"engine", run.engine},
                      {"dt_ms", run.dt_ms},
                      {"rate_hz", json_number(e.rate_hz.value)},
                      {"rate_sem_hz", json_number(e.rate_hz.se)},
                      {"rate_error_vs_event_hz", json_number(e.rate_vs_event.value)},
                      {"rate_error_vs_event_se_hz", json_number(e.rate_vs_event.se)},
                      {"rate_rel_error_vs_event", json_number(e.rate_vs_event.value / ev_rate)},
                      {"rate_error_vs_theory_hz", json_number(e.rate_vs_theory.value)},
                      {"rate_error_vs_theory_se_hz", json_number(e.rate_vs_theory.se)},
                      {"rate_rel_error_vs_theory", json_number(e.rate_vs_theory.value / th_rate)},
                      {"cv_isi", json_number(e.cv.value)},
                      {"cv_isi_se", json_number(e.cv.se)},
                      {"cv_error_vs_event", json_number(e.cv_vs_event.value)},
                      {"cv_error_vs_event_se", json_number(e.cv_vs_event.se)},
                      {"cv_error_vs_theory", json_number(e.cv_vs_theory.value)}});
  }
  for (const OrderFit& f : r.fits)
    fits.push_back({{"population", r.event.summary.populations[f.population].name},
                    {"engine", f.engine},
                    {"reference", f.reference},
                    {"order", json_number(f.fit.slope)},
                    {"order_se", json_number(f.fit.slope_se)},
                    {"intercept", json_number(f.fit.intercept)},
                    {"points", f.fit.n},
                    {"chi2", json_number(f.fit.chi2)}});
  return {{"name", r.name},     {"dts_ms", r.dts_ms},         {"trials", r.trials},
          {"from_ms", r.from_ms}, {"to_ms", r.to_ms},         {"theory", theory_json(r.theory)},
          {"event", summary_of(r.event)}, {"stepped", stepped}, {"errors", errors},
          {"fits", fits}};
}

}  // namespace spikeq::batch
