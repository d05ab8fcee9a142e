#include "engine/analysis/summary.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "netdefs/error.h"

namespace spikeq::analysis {
namespace {

constexpr std::size_t kBlocks = 10;

// Count arrays (nodes x Fano windows, synchrony bins) are held in memory: a
// width that needs more counts than this is refused (1.6 GB of doubles).
constexpr double kMaxCounts = 2e8;

// Number of whole windows of width w in (from, to], tolerant of decimal rounding
// (saturating: a count beyond kMaxCounts is refused before it is used).
std::size_t whole_windows(double from, double to, double w) {
  const double q = (to - from) / w;
  if (!(q < 1e18)) return q > 0 ? static_cast<std::size_t>(1e18) : 0;
  return q > 0 ? static_cast<std::size_t>(std::floor(q * (1 + 1e-12))) : 0;
}

// The --window and --sync-bin widths against kMaxCounts, before any array exists.
void check_counts(const RecordedRun& run, const SummaryOptions& opt, double from, double to) {
  double largest = 0;
  for (const PopulationSpikes& pop : run.populations)
    if (pop.recorded) largest = std::max(largest, static_cast<double>(pop.size));
  const auto refuse = [&](const char* flag, double width, double counts, const char* what) {
    char text[256];
    std::snprintf(text, sizeof text, "%s = %g ms: ~%.3g %s over (%g, %g] ms: must be <= %g", flag, width, counts,
                  what, from, to, kMaxCounts);
    throw Error(text);
  };
  const double bins = (to - from) / opt.sync_bin_ms;
  if (!(bins <= kMaxCounts)) refuse("--sync-bin", opt.sync_bin_ms, bins, "bins");
  for (double w : opt.fano_windows_ms) {
    const double counts = largest * (to - from) / w;
    if (!(counts <= kMaxCounts)) refuse("--window", w, counts, "counts (nodes x windows)");
  }
}

// A statistic over kBlocks consecutive blocks of `n` items: the SE of the whole
// value is the SD of the block values over sqrt(blocks).
template <typename F>
double block_se(std::size_t n, F&& value_of_range) {
  if (n < 2 * kBlocks) return kNaN;
  std::vector<double> values;
  for (std::size_t b = 0; b < kBlocks; ++b) {
    const double v = value_of_range(b * n / kBlocks, (b + 1) * n / kBlocks);
    if (std::isfinite(v)) values.push_back(v);
  }
  if (values.size() < 2) return kNaN;
  return moments(values).se_mean();
}

void summarize_spikes(const PopulationSpikes& pop, const SummaryOptions& opt, double from, double to,
                      PopulationSummary& s) {
  const std::vector<std::vector<double>> trains = pop.trains();
  const double seconds = (to - from) * 1e-3;
  std::vector<double> rates(pop.size);
  std::vector<double> all_isis;
  for (std::size_t i = 0; i < trains.size(); ++i) {
    const auto& t = trains[i];
    const auto n = std::upper_bound(t.begin(), t.end(), to) - std::upper_bound(t.begin(), t.end(), from);
    s.spike_count += static_cast<double>(n);
    rates[i] = static_cast<double>(n) / seconds;
    const std::vector<double> one = isis(t, from, to);
    all_isis.insert(all_isis.end(), one.begin(), one.end());
  }
  const Moments r = moments(rates);
  s.rate_hz = {r.mean, pop.size >= 2 ? r.se_mean() : kNaN};
  s.isi_count = all_isis.size();
  if (all_isis.size() >= 2) {
    const Moments m = moments(all_isis);
    s.isi_mean_raw_ms = m.mean;
    s.cv_isi_raw = m.cv();
    // An interval of length L fits in the window T - L ways out of T: weighting
    // each by 1/(T - L) undoes that length bias (stationary renewal trains).
    const double window = to - from;
    double sw = 0, sw2 = 0, swl = 0;
    for (double l : all_isis) {
      const double w = 1 / (window - l);
      sw += w, sw2 += w * w, swl += w * l;
    }
    const double mean = swl / sw;
    double swd = 0;
    for (double l : all_isis) swd += (l - mean) * (l - mean) / (window - l);
    const double n_eff = sw * sw / sw2;
    const double var = swd / sw * n_eff / (n_eff - 1);
    const double inflate = std::sqrt(m.n / n_eff);  // the weights' cost in precision
    s.isi_mean_ms = {mean, std::sqrt(var / n_eff)};
    s.cv_isi = {std::sqrt(var) / mean, m.se_cv() * inflate};
  }
  for (double w : opt.fano_windows_ms) {
    const std::size_t nw = whole_windows(from, to, w);
    if (!(w > 0) || nw < kMinFanoWindows) continue;
    std::vector<std::vector<double>> counts;
    counts.reserve(trains.size());
    for (const auto& t : trains) counts.push_back(counts_in_windows(t, from, w, nw));
    s.fano.push_back({w, nw, fano_factor(counts)});
  }
  // Synchrony: the population count per bin.
  const std::size_t nb = whole_windows(from, to, opt.sync_bin_ms);
  if (nb >= 2) {
    const std::vector<double> bins = counts_in_windows(pop.times_ms, from, opt.sync_bin_ms, nb);
    auto fano_of = [&bins](std::size_t a, std::size_t b) {
      const Moments m = moments(std::span<const double>(bins).subspan(a, b - a));
      return m.mean > 0 ? m.var / m.mean : kNaN;
    };
    s.synchrony = {fano_of(0, nb), block_se(nb, fano_of)};
  }
}

// Per node: the samples' values in time order.
struct NodeSeries {
  std::vector<double> t, v;
};

void summarize_voltages(const PopulationVoltages& pv, double from, double to, PopulationSummary& s) {
  std::map<std::uint32_t, NodeSeries> nodes;
  for (std::size_t i = 0; i < pv.v_mv.size(); ++i) {
    if (!(pv.times_ms[i] > from && pv.times_ms[i] <= to)) continue;
    NodeSeries& n = nodes[pv.node_ids[i]];
    n.t.push_back(pv.times_ms[i]);
    n.v.push_back(pv.v_mv[i]);
  }
  std::vector<double> all;
  for (const auto& [id, n] : nodes) all.insert(all.end(), n.v.begin(), n.v.end());
  s.v_samples = all.size();
  s.v_nodes = nodes.size();
  if (all.size() < 2) return;
  const Moments m = moments(all);
  s.v_mean_mv.value = m.mean;
  s.v_var_mv2.value = m.var;
  // Units for the SEs: nodes, or time blocks of a single node.
  std::vector<double> unit_mean, unit_m2;
  auto add_unit = [&](std::span<const double> v) {
    double a = 0, b = 0;
    for (double x : v) a += x, b += (x - m.mean) * (x - m.mean);
    unit_mean.push_back(a / static_cast<double>(v.size()));
    unit_m2.push_back(b / static_cast<double>(v.size()));
  };
  if (nodes.size() >= 2) {
    for (const auto& [id, n] : nodes) add_unit(n.v);
  } else if (all.size() >= 2 * kBlocks) {
    for (std::size_t b = 0; b < kBlocks; ++b)
      add_unit(std::span<const double>(all).subspan(b * all.size() / kBlocks,
                                                    (b + 1) * all.size() / kBlocks - b * all.size() / kBlocks));
  }
  if (unit_mean.size() >= 2) {
    s.v_mean_mv.se = moments(unit_mean).se_mean();
    s.v_var_mv2.se = moments(unit_m2).se_mean();
  }
  // Golomb's chi: variance of the node-averaged V over time against the mean of
  // each node's variance over time.
  if (nodes.size() < 2) return;
  std::map<double, std::pair<double, int>> by_time;
  double mean_node_var = 0;
  for (const auto& [id, n] : nodes) {
    for (std::size_t k = 0; k < n.t.size(); ++k) {
      auto& cell = by_time[n.t[k]];
      cell.first += n.v[k];
      cell.second += 1;
    }
    mean_node_var += moments(n.v).var;
  }
  mean_node_var /= static_cast<double>(nodes.size());
  std::vector<double> avg;
  for (const auto& [t, cell] : by_time)
    if (cell.second >= 2) avg.push_back(cell.first / cell.second);
  if (avg.size() >= 2 && mean_node_var > 0) s.chi.value = std::sqrt(moments(avg).var / mean_node_var);
}

// Spike times of the given populations in (from, to], merged, ascending.
std::vector<double> times_in(std::span<const PopulationSpikes> populations, double from, double to) {
  std::vector<double> out;
  for (const PopulationSpikes& pop : populations) {
    if (!pop.recorded) continue;
    const auto begin = std::upper_bound(pop.times_ms.begin(), pop.times_ms.end(), from);
    const auto end = std::upper_bound(begin, pop.times_ms.end(), to);
    const std::size_t mid = out.size();
    out.insert(out.end(), begin, end);
    std::inplace_merge(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(mid), out.end());
  }
  return out;
}

}  // namespace

std::vector<double> pooled_isis(const PopulationSpikes& pop, double from_ms, double to_ms) {
  std::vector<double> out;
  for (const auto& t : pop.trains()) {
    const std::vector<double> one = isis(t, from_ms, to_ms);
    out.insert(out.end(), one.begin(), one.end());
  }
  return out;
}

RunSummary summarize(const RecordedRun& run, const SummaryOptions& opt) {
  RunSummary s;
  s.name = run.name;
  s.mode = run.mode;
  s.dt_ms = run.dt_ms;
  s.integrator = run.integrator;
  s.seed = run.seed;
  s.from_ms = opt.from_ms;
  s.to_ms = std::isnan(opt.to_ms) ? run.simulated_ms : std::min(opt.to_ms, run.simulated_ms);
  s.sync_bin_ms = opt.sync_bin_ms;
  s.netdef_resolved = run.netdef_resolved;
  if (!(s.to_ms > s.from_ms))
    throw Error("observation interval (" + std::to_string(s.from_ms) + ", " + std::to_string(s.to_ms) +
                "] ms is empty (the run reached " + std::to_string(run.simulated_ms) + " ms)");
  check_counts(run, opt, s.from_ms, s.to_ms);
  const std::vector<double> network_times = times_in(run.populations, s.from_ms, s.to_ms);
  for (std::size_t i = 0; i < run.populations.size(); ++i) {
    const PopulationSpikes& pop = run.populations[i];
    PopulationSummary p;
    p.name = pop.name;
    p.lif = pop.lif;
    p.size = pop.size;
    p.recorded = pop.recorded;
    if (pop.recorded && pop.size > 0) {
      summarize_spikes(pop, opt, s.from_ms, s.to_ms, p);
      const std::vector<double> own = times_in(std::span(&pop, 1), s.from_ms, s.to_ms);
      auto fraction_of = [&](std::size_t a, std::size_t b) {
        return coincident_fraction(std::span<const double>(own).subspan(a, b - a), network_times);
      };
      p.coincident_fraction = {coincident_fraction(own, network_times), block_se(own.size(), fraction_of)};
    }
    if (i < run.voltages.size() && !run.voltages[i].empty()) summarize_voltages(run.voltages[i], s.from_ms, s.to_ms, p);
    s.populations.push_back(std::move(p));
  }
  return s;
}

RunSummary aggregate(const std::vector<RunSummary>& trials) {
  if (trials.empty()) throw Error("no trials to aggregate");
  if (trials.size() == 1) return trials.front();
  RunSummary out = trials.front();
  out.trials = trials.size();
  for (const RunSummary& t : trials)
    if (t.populations.size() != out.populations.size())
      throw Error("trials of different networks cannot be aggregated");
  auto across = [&](std::size_t p, auto get) {
    std::vector<double> v;
    for (const RunSummary& t : trials)
      if (const double x = get(t.populations[p]); std::isfinite(x)) v.push_back(x);
    return v.size() == trials.size() ? mean_with_sem(v) : Estimate{};
  };
  for (std::size_t p = 0; p < out.populations.size(); ++p) {
    PopulationSummary& s = out.populations[p];
    for (const RunSummary& t : trials)
      if (t.populations[p].name != s.name) throw Error("trials of different networks cannot be aggregated");
    double count = 0;
    std::size_t isi_count = 0, v_samples = 0;
    for (const RunSummary& t : trials) {
      count += t.populations[p].spike_count;
      isi_count += t.populations[p].isi_count;
      v_samples += t.populations[p].v_samples;
    }
    s.spike_count = count / static_cast<double>(trials.size());
    s.isi_count = isi_count;
    s.v_samples = v_samples;
    s.rate_hz = across(p, [](const PopulationSummary& q) { return q.rate_hz.value; });
    s.isi_mean_ms = across(p, [](const PopulationSummary& q) { return q.isi_mean_ms.value; });
    s.cv_isi = across(p, [](const PopulationSummary& q) { return q.cv_isi.value; });
    s.isi_mean_raw_ms = across(p, [](const PopulationSummary& q) { return q.isi_mean_raw_ms; }).value;
    s.cv_isi_raw = across(p, [](const PopulationSummary& q) { return q.cv_isi_raw; }).value;
    s.synchrony = across(p, [](const PopulationSummary& q) { return q.synchrony.value; });
    s.coincident_fraction = across(p, [](const PopulationSummary& q) { return q.coincident_fraction.value; });
    s.chi = across(p, [](const PopulationSummary& q) { return q.chi.value; });
    s.v_mean_mv = across(p, [](const PopulationSummary& q) { return q.v_mean_mv.value; });
    s.v_var_mv2 = across(p, [](const PopulationSummary& q) { return q.v_var_mv2.value; });
    for (std::size_t f = 0; f < s.fano.size(); ++f)
      s.fano[f].fano = across(p, [f](const PopulationSummary& q) {
        return f < q.fano.size() ? q.fano[f].fano.value : kNaN;
      });
  }
  return out;
}

nlohmann::json json_number(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); }

nlohmann::json population_json(const PopulationSummary& p) {
  nlohmann::json fano = nlohmann::json::array();
  for (const FanoEstimate& f : p.fano)
    fano.push_back({{"window_ms", f.window_ms}, {"windows", f.windows}, {"fano", json_number(f.fano.value)},
                    {"fano_se", json_number(f.fano.se)}});
  return {{"name", p.name},
          {"model", p.lif ? "lif" : "poisson"},
          {"size", p.size},
          {"recorded", p.recorded},
          {"spike_count", p.spike_count},
          {"rate_hz", json_number(p.rate_hz.value)},
          {"rate_sem_hz", json_number(p.rate_hz.se)},
          {"isi_count", p.isi_count},
          {"isi_mean_ms", json_number(p.isi_mean_ms.value)},
          {"isi_mean_sem_ms", json_number(p.isi_mean_ms.se)},
          {"cv_isi", json_number(p.cv_isi.value)},
          {"cv_isi_se", json_number(p.cv_isi.se)},
          {"isi_mean_raw_ms", json_number(p.isi_mean_raw_ms)},
          {"cv_isi_raw", json_number(p.cv_isi_raw)},
          {"fano", fano},
          {"synchrony", json_number(p.synchrony.value)},
          {"synchrony_se", json_number(p.synchrony.se)},
          {"coincident_fraction", json_number(p.coincident_fraction.value)},
          {"coincident_fraction_se", json_number(p.coincident_fraction.se)},
          {"chi", json_number(p.chi.value)},
          {"chi_se", json_number(p.chi.se)},
          {"v_samples", p.v_samples},
          {"v_nodes", p.v_nodes},
          {"v_mean_mv", json_number(p.v_mean_mv.value)},
          {"v_mean_sem_mv", json_number(p.v_mean_mv.se)},
          {"v_var_mv2", json_number(p.v_var_mv2.value)},
          {"v_var_sem_mv2", json_number(p.v_var_mv2.se)}};
}

nlohmann::json summary_json(const RunSummary& s) {
  nlohmann::json pops = nlohmann::json::array();
  for (const PopulationSummary& p : s.populations) pops.push_back(population_json(p));
  nlohmann::json j = {{"name", s.name},   {"mode", mode_name(s.mode)},       {"seed", s.seed},
                      {"from_ms", s.from_ms}, {"to_ms", s.to_ms}, {"trials", s.trials},
                      {"sync_bin_ms", s.sync_bin_ms}, {"populations", pops}};
  if (s.mode == SimMode::Stepped) {
    j["dt_ms"] = s.dt_ms;
    j["integrator"] = s.integrator;
  }
  return j;
}

}  // namespace spikeq::analysis
