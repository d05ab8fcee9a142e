#include "engine/core/strprintf.h"
#include "engine/analysis/compare.h"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <map>
#include <string_view>

#include "netdefs/error.h"
#include "netdefs/loader.h"

namespace spikeq::analysis {
namespace {

std::map<std::string_view, std::size_t> index_by_name(const std::vector<PopulationSummary>& populations) {
  std::map<std::string_view, std::size_t> index;
  for (std::size_t i = 0; i < populations.size(); ++i) index.emplace(populations[i].name, i);
  return index;
}

// `"exc", "inh"`, or the first three and how many more: one short line however
// many populations a run has.
std::string names_of(const RunSummary& s) {
  std::string text;
  const std::size_t shown = std::min<std::size_t>(s.populations.size(), 3);
  for (std::size_t i = 0; i < shown; ++i) text += (i ? ", \"" : "\"") + s.populations[i].name + "\"";
  if (s.populations.size() > shown) text += " and " + std::to_string(s.populations.size() - shown) + " more";
  return text.empty() ? "no populations" : text;
}

QuantityComparison estimate_row(std::string key, std::string label, const Estimate& a, const Estimate& b,
                                double theory, double alpha) {
  QuantityComparison q;
  q.key = std::move(key);
  q.label = std::move(label);
  q.a = a;
  q.b = b;
  q.diff = difference(b, a);
  q.theory = theory;
  if (std::isfinite(q.diff.value) && std::isfinite(q.diff.se)) {
    q.tested = true;
    if (q.diff.se > 0) q.p = two_sided_p(q.diff.value / q.diff.se, q.diff.dof);
    else q.p = q.diff.value == 0 ? 1.0 : 0.0;
    q.consistent = q.p >= alpha;
  }
  return q;
}

QuantityComparison ks_row(const std::vector<double>& a, const std::vector<double>& b, double alpha) {
  QuantityComparison q;
  q.key = "isi_ks";
  q.label = "ISI distribution (KS)";
  q.ks = true;
  const KsResult r = ks_two_sample(a, b);
  q.a.value = static_cast<double>(r.n_a);
  q.b.value = static_cast<double>(r.n_b);
  q.diff.value = r.d;
  q.p = r.p;
  // The asymptotic law wants a few dozen intervals on each side.
  if (r.n_a >= 20 && r.n_b >= 20 && std::isfinite(r.p)) {
    q.tested = true;
    q.consistent = r.p >= alpha;
  }
  return q;
}

std::string header_of(const std::string& label, const RunSummary& s) {
  std::string engine = s.mode == SimMode::Stepped ? strprintf("stepped dt %g ms %s", s.dt_ms, s.integrator.c_str())
                                                  : std::string(mode_name(s.mode));
  return strprintf("%s (%s, %s, seed %llu, %zu trial%s)", label.c_str(), s.name.c_str(), engine.c_str(),
             static_cast<unsigned long long>(s.seed), s.trials, s.trials == 1 ? "" : "s");
}

std::string num(double x) { return std::isfinite(x) ? strprintf("%.4g", x) : "-"; }

std::string with_se(const Estimate& e) { return format_estimate(e); }

std::string with_ci(const Estimate& e, double alpha) {
  if (!std::isfinite(e.value) || !std::isfinite(e.se)) return with_se(e);
  const double z = two_sided_quantile(alpha, e.dof);
  return strprintf("%.4g ± %.2g [%.4g, %.4g]", e.value, e.se, e.value - z * e.se, e.value + z * e.se);
}

std::string format_p(double p) {
  if (!std::isfinite(p)) return "-";
  if (p < 1e-300) return "p < 1e-300";
  return p < 1e-3 ? strprintf("p = %.1e", p) : strprintf("p = %.3f", p);
}

}  // namespace

CompareSide make_side(std::span<const RecordedRun> trials, const SummaryOptions& options, std::string label) {
  if (trials.empty()) throw Error(label + ": no runs");
  CompareSide side;
  side.label = std::move(label);
  std::vector<RunSummary> summaries;
  for (const RecordedRun& run : trials) {
    summaries.push_back(summarize(run, options));
    const RunSummary& s = summaries.back();
    side.isis.resize(run.populations.size());
    for (std::size_t p = 0; p < run.populations.size() && p < side.isis.size(); ++p) {
      if (!run.populations[p].recorded) continue;
      const std::vector<double> one = pooled_isis(run.populations[p], s.from_ms, s.to_ms);
      side.isis[p].insert(side.isis[p].end(), one.begin(), one.end());
    }
  }
  side.summary = aggregate(summaries);
  return side;
}

CompareSide load_side(const std::string& dir, const SummaryOptions& options) {
  const std::vector<RunPoint> points = discover_runs(dir);
  if (points.size() != 1 || !points.front().label.empty())
    throw Error(dir + ": a sweep (point-*/); compare one point's directory");
  std::vector<RecordedRun> runs;
  for (const std::string& t : points.front().trial_dirs) runs.push_back(load_run(t));
  return make_side(runs, options, dir);
}

std::optional<TheoryReport> theory_of(const RunSummary& s) {
  if (s.netdef_resolved.empty()) return std::nullopt;
  try {
    return theory_report(load_netdef_text(s.netdef_resolved, "manifest.json netdef_resolved"));
  } catch (const Error&) {
    return std::nullopt;
  }
}

Comparison compare(const CompareSide& a, const CompareSide& b, double alpha, const TheoryReport* theory) {
  if (!(alpha > 0 && alpha < 1)) throw Error("alpha must be in (0, 1)");
  Comparison c;
  c.label_a = a.label;
  c.label_b = b.label;
  c.a = a.summary;
  c.b = b.summary;
  c.alpha = alpha;
  c.ci_level = 1 - alpha;
  c.has_theory = theory != nullptr;
  // Names looked up in maps: 40,000 populations a side stay n log n.
  const std::map<std::string_view, std::size_t> b_index = index_by_name(b.summary.populations);
  std::map<std::string_view, const PopulationPrediction*> theory_index;
  if (theory)
    for (const PopulationPrediction& p : theory->populations) theory_index[p.name] = &p;
  std::size_t in_common = 0;
  for (std::size_t i = 0; i < a.summary.populations.size(); ++i) {
    const PopulationSummary& pa = a.summary.populations[i];
    const auto it = b_index.find(pa.name);
    if (it == b_index.end()) continue;
    ++in_common;
    const std::size_t j = it->second;
    const PopulationSummary& pb = b.summary.populations[j];
    if (!pa.recorded && !pb.recorded && pa.v_samples == 0 && pb.v_samples == 0) continue;
    const auto found_theory = theory_index.find(pa.name);
    const PopulationPrediction* th = found_theory == theory_index.end() ? nullptr : found_theory->second;
    PopulationComparison pc;
    pc.name = pa.name;
    pc.lif = pa.lif;
    pc.size = pa.size;
    if (pa.recorded && pb.recorded) {
      pc.rows.push_back(estimate_row("rate_hz", "rate (Hz)", pa.rate_hz, pb.rate_hz, th ? th->rate_hz : kNaN, alpha));
      pc.rows.push_back(estimate_row("isi_mean_ms", "ISI mean (ms)", pa.isi_mean_ms, pb.isi_mean_ms,
                                     th ? th->isi_mean_ms : kNaN, alpha));
      pc.rows.push_back(estimate_row("cv_isi", "ISI CV", pa.cv_isi, pb.cv_isi, th ? th->cv_isi : kNaN, alpha));
      for (const FanoEstimate& fa : pa.fano) {
        const auto fb = std::find_if(pb.fano.begin(), pb.fano.end(),
                                     [&](const FanoEstimate& f) { return f.window_ms == fa.window_ms; });
        if (fb == pb.fano.end()) continue;
        // Theory: exactly 1 for Poisson; CV^2 for a renewal LIF once the window holds >= 10 mean ISIs.
        double fano_theory = kNaN;
        if (th && (!th->lif || fa.window_ms >= 10 * th->isi_mean_ms)) fano_theory = th->fano_long;
        pc.rows.push_back(estimate_row(strprintf("fano_%gms", fa.window_ms), strprintf("Fano %g ms", fa.window_ms), fa.fano,
                                       fb->fano, fano_theory, alpha));
      }
      pc.rows.push_back(estimate_row(strprintf("synchrony"), strprintf("synchrony %g ms", a.summary.sync_bin_ms), pa.synchrony,
                                     pb.synchrony, th && !th->lif ? 1.0 : kNaN, alpha));
      if (i < a.isis.size() && j < b.isis.size()) pc.rows.push_back(ks_row(a.isis[i], b.isis[j], alpha));
    }
    if (pa.v_samples > 0 && pb.v_samples > 0) {
      const bool free = th && th->lif && th->free_membrane_applies;
      pc.rows.push_back(estimate_row("v_mean_mv", "V mean (mV)", pa.v_mean_mv, pb.v_mean_mv,
                                     free ? th->free_v_mean_mv : kNaN, alpha));
      pc.rows.push_back(estimate_row("v_var_mv2", "V variance (mV^2)", pa.v_var_mv2, pb.v_var_mv2,
                                     free ? th->free_v_var_mv2 : kNaN, alpha));
      if (std::isfinite(pa.chi.value) && std::isfinite(pb.chi.value))
        pc.rows.push_back(estimate_row("chi", "Golomb chi", pa.chi, pb.chi, kNaN, alpha));
    }
    for (const QuantityComparison& q : pc.rows) {
      c.tested += q.tested;
      c.differing += q.tested && !q.consistent;
    }
    c.populations.push_back(std::move(pc));
  }
  // "consistent — 0 of 0 tested" would read as agreement where nothing was compared.
  if (in_common == 0)
    throw Error(a.label + " and " + b.label + ": no population in common (" + names_of(a.summary) + " against " +
                names_of(b.summary) + "); nothing to compare");
  if (c.populations.empty())
    throw Error(a.label + " and " + b.label + ": no population is recorded in both (" + std::to_string(in_common) +
                " in common, none with spikes or voltage samples on both sides); nothing to compare");
  c.family_alpha = c.tested > 0 ? alpha / static_cast<double>(c.tested) : alpha;
  for (const PopulationComparison& pc : c.populations)
    for (const QuantityComparison& q : pc.rows)
      if (q.tested && q.p < c.family_alpha) c.consistent = false;
  return c;
}

std::string format_comparison(const Comparison& c) {
  std::string out = "A = " + header_of(c.label_a, c.a) + "\nB = " + header_of(c.label_b, c.b) + "\n";
  out += strprintf("interval (%g, %g] ms; each quantity: value ± SE [%g%% CI]; verdict: two-sided test of B = A at "
             "alpha = %g\n",
             c.a.from_ms, c.a.to_ms, 100 * c.ci_level, c.alpha);
  for (const PopulationComparison& pc : c.populations) {
    out += strprintf("\n%s (%s, %llu nodes)\n", pc.name.c_str(), pc.lif ? "lif" : "poisson",
               static_cast<unsigned long long>(pc.size));
    out += strprintf("  %-22s %-34s %-34s %-40s %-9s %s\n", "quantity", "A", "B", "B - A", "theory", "verdict");
    for (const QuantityComparison& q : pc.rows) {
      std::string va, vb, vd;
      if (q.ks) {
        va = strprintf("n = %.0f", q.a.value);
        vb = strprintf("n = %.0f", q.b.value);
        vd = std::isfinite(q.diff.value) ? strprintf("D = %.4f", q.diff.value) : "-";
      } else {
        va = with_ci(q.a, c.alpha);
        vb = with_ci(q.b, c.alpha);
        vd = with_ci(q.diff, c.alpha);
      }
      const std::string verdict =
          q.tested ? strprintf("%s (%s)", q.consistent ? "consistent" : "differs", format_p(q.p).c_str()) : "untested";
      out += strprintf("  %-22s %-34s %-34s %-40s %-9s %s\n", q.label.c_str(), va.c_str(), vb.c_str(), vd.c_str(),
                 num(q.theory).c_str(), verdict.c_str());
    }
  }
  out += strprintf("\noverall: %s — %zu of %zu quantities differ at alpha = %g; family-wise (Bonferroni, alpha/%zu = %.2g): "
             "%s\n",
             c.consistent ? "consistent" : "differs", c.differing, c.tested, c.alpha, c.tested, c.family_alpha,
             c.consistent ? "no quantity below it" : "some quantity below it");
  if (c.a.trials == 1 || c.b.trials == 1)
    out += "note: SEs of one trial treat nodes as independent; for recurrent networks run trials.\n";
  return out;
}

nlohmann::json comparison_json(const Comparison& c) {
  nlohmann::json pops = nlohmann::json::array();
  for (const PopulationComparison& pc : c.populations) {
    nlohmann::json rows = nlohmann::json::array();
    for (const QuantityComparison& q : pc.rows) {
      nlohmann::json r = {{"key", q.key}, {"label", q.label}, {"theory", json_number(q.theory)},
                          {"p", json_number(q.p)}, {"tested", q.tested},
                          {"verdict", q.tested ? (q.consistent ? "consistent" : "differs") : "untested"}};
      if (q.ks) {
        r["n_a"] = q.a.value;
        r["n_b"] = q.b.value;
        r["d"] = json_number(q.diff.value);
      } else {
        const double z = two_sided_quantile(c.alpha, q.diff.dof);
        r["a"] = json_number(q.a.value);
        r["a_se"] = json_number(q.a.se);
        r["b"] = json_number(q.b.value);
        r["b_se"] = json_number(q.b.se);
        r["diff"] = json_number(q.diff.value);
        r["diff_se"] = json_number(q.diff.se);
        r["ci_low"] = json_number(q.diff.value - z * q.diff.se);
        r["ci_high"] = json_number(q.diff.value + z * q.diff.se);
      }
      rows.push_back(r);
    }
    pops.push_back({{"name", pc.name}, {"model", pc.lif ? "lif" : "poisson"}, {"size", pc.size}, {"quantities", rows}});
  }
  return {{"a", c.label_a},
          {"b", c.label_b},
          {"alpha", c.alpha},
          {"ci_level", c.ci_level},
          {"interval", {{"from_ms", c.a.from_ms}, {"to_ms", c.a.to_ms}}},
          {"summary_a", summary_json(c.a)},
          {"summary_b", summary_json(c.b)},
          {"populations", pops},
          {"overall",
           {{"tested", c.tested},
            {"differing", c.differing},
            {"family_alpha", c.family_alpha},
            {"verdict", c.consistent ? "consistent" : "differs"}}}};
}

}  // namespace spikeq::analysis
