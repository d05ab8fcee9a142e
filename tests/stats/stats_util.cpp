#include "tests/stats/stats_util.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <stdexcept>

#include "netdefs/loader.h"

namespace spikeq::stats {

NetworkSpec load_text(const std::string& text, const std::vector<std::string>& overrides) {
  std::vector<std::string> all = overrides;
  if (const char* seed = std::getenv("SPIKEQ_STATS_SEED")) all.push_back(std::string("seed=") + seed);
  return load_netdef_text(text, "stats-test", all);
}

void CollectingSink::spikes(std::span<const SpikeRecord> batch) {
  if (!batch.empty() && !spike_records.empty() && batch.front().time_ms < spike_records.back().time_ms)
    order_ok = false;
  spike_records.insert(spike_records.end(), batch.begin(), batch.end());
}

void CollectingSink::samples(std::span<const VoltageSample> batch) {
  if (!batch.empty() && !sample_records.empty() && batch.front().time_ms < sample_records.back().time_ms)
    order_ok = false;
  sample_records.insert(sample_records.end(), batch.begin(), batch.end());
}

RunOutput run_event(const NetworkSpec& spec, std::uint64_t trial) {
  const double t0 = now_s();
  const Network net(spec);
  CollectingSink sink;
  EventDriver driver(net, trial, sink);
  RunOutput out;
  out.stats = driver.run();
  out.wall_s = now_s() - t0;
  if (!sink.order_ok) throw std::runtime_error("RunSink batches out of time order");
  out.spikes = std::move(sink.spike_records);
  out.samples = std::move(sink.sample_records);
  out.populations = net.populations();
  return out;
}

std::vector<std::vector<double>> spike_times_by_node(const RunOutput& out, std::size_t population) {
  const PopulationTable& pop = out.populations.at(population);
  std::vector<std::vector<double>> times(pop.size);
  for (const SpikeRecord& s : out.spikes)
    if (s.node >= pop.first && s.node < pop.first + pop.size) times[s.node - pop.first].push_back(s.time_ms);
  for (auto& t : times) std::sort(t.begin(), t.end());
  return times;
}

std::vector<std::vector<double>> voltage_series(const RunOutput& out, std::size_t population,
                                                std::uint32_t probe, std::vector<double>* times) {
  const PopulationTable& pop = out.populations.at(population);
  std::vector<std::vector<double>> v(pop.size);
  if (times) times->clear();
  for (const VoltageSample& s : out.samples) {
    if (s.probe != probe || s.node < pop.first || s.node >= pop.first + pop.size) continue;
    v[s.node - pop.first].push_back(s.v_mv);
    if (times && s.node == pop.first) times->push_back(s.time_ms);
  }
  return v;
}

std::vector<double> isis(const std::vector<double>& times, double t_from) {
  std::vector<double> out;
  const auto first = std::lower_bound(times.begin(), times.end(), t_from);
  for (auto it = first; it != times.end() && std::next(it) != times.end(); ++it) out.push_back(*std::next(it) - *it);
  return out;
}

std::vector<double> pooled_isis(const std::vector<std::vector<double>>& times_by_node, double t_from) {
  std::vector<double> out;
  for (const auto& t : times_by_node) {
    const std::vector<double> one = isis(t, t_from);
    out.insert(out.end(), one.begin(), one.end());
  }
  return out;
}

std::vector<double> counts_in_windows(const std::vector<double>& times, double t0, double window_ms,
                                      std::size_t n_windows) {
  std::vector<double> counts(n_windows, 0.0);
  for (double t : times) {
    if (t < t0) continue;
    const auto k = static_cast<std::size_t>((t - t0) / window_ms);
    if (k < n_windows) counts[k] += 1;
  }
  return counts;
}

Moments moments(const std::vector<double>& x) {
  Moments m;
  m.n = static_cast<double>(x.size());
  if (x.size() < 2) return m;
  double sum = 0;
  for (double v : x) sum += v;
  m.mean = sum / m.n;
  double s2 = 0, s3 = 0, s4 = 0;
  for (double v : x) {
    const double d = v - m.mean;
    const double d2 = d * d;
    s2 += d2;
    s3 += d2 * d;
    s4 += d2 * d2;
  }
  m.var = s2 / (m.n - 1);
  m.m3 = s3 / m.n;
  m.m4 = s4 / m.n;
  return m;
}

double Moments::se_mean() const { return std::sqrt(var / n); }

double Moments::se_var() const {
  return std::sqrt(std::max(0.0, (m4 - var * var * (n - 3) / (n - 1)) / n));
}

double Moments::cv() const { return std::sqrt(var) / mean; }

// CV = sqrt(v)/m: Var ≈ [v^2/m^4 + (m4 - v^2)/(4 m^2 v) - m3/m^3] / n.
double Moments::se_cv() const {
  const double v2 = var * var;
  const double m2 = mean * mean;
  const double s = v2 / (m2 * m2) + (m4 - v2) / (4 * m2 * var) - m3 / (m2 * mean);
  return std::sqrt(std::max(0.0, s / n));
}

// F = v/m: Var ≈ [(m4 - v^2)/m^2 + v^3/m^4 - 2 v m3/m^3] / n  (2/n for Poisson counts).
double Moments::se_fano() const {
  const double v2 = var * var;
  const double m2 = mean * mean;
  const double s = (m4 - v2) / m2 + v2 * var / (m2 * m2) - 2 * var * m3 / (m2 * mean);
  return std::sqrt(std::max(0.0, s / n));
}

double ks_statistic(std::vector<double> x, const std::function<double(double)>& cdf) {
  std::sort(x.begin(), x.end());
  const double n = static_cast<double>(x.size());
  double d = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double f = cdf(x[i]);
    d = std::max({d, static_cast<double>(i + 1) / n - f, f - static_cast<double>(i) / n});
  }
  return d;
}

double ks_p_value(double d, std::size_t n) {
  const double sn = std::sqrt(static_cast<double>(n));
  const double lambda = (sn + 0.12 + 0.11 / sn) * d;
  if (lambda < 0.2) return 1.0;
  double p = 0;
  for (int k = 1; k <= 100; ++k) {
    const double term = std::exp(-2.0 * k * k * lambda * lambda);
    p += (k % 2 ? 2.0 : -2.0) * term;
    if (term < 1e-16) break;
  }
  return std::clamp(p, 0.0, 1.0);
}

double ks_critical(double alpha, std::size_t n) {
  return std::sqrt(-0.5 * std::log(alpha / 2)) / std::sqrt(static_cast<double>(n));
}

bool within_se(const std::string& name, double measured, double expected, double se, double k_se) {
  const double z = se > 0 ? (measured - expected) / se : (measured == expected ? 0.0 : std::numeric_limits<double>::infinity());
  const bool ok = std::abs(measured - expected) <= k_se * se;
  std::printf("[stats] %-46s measured %.6g  expected %.6g  SE %.3g  z %+.2f  %s\n", name.c_str(), measured,
              expected, se, z, ok ? "ok" : "FAIL");
  std::fflush(stdout);
  return ok;
}

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace spikeq::stats
