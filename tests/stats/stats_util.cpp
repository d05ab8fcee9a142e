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

std::vector<double> pooled_isis(const std::vector<std::vector<double>>& times_by_node, double t_from) {
  std::vector<double> out;
  for (const auto& t : times_by_node) {
    const std::vector<double> one = isis(t, t_from);
    out.insert(out.end(), one.begin(), one.end());
  }
  return out;
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
