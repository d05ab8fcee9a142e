#include "memory_sink.h"

#include <algorithm>

#include "engine/io/run_data.h"

namespace spikeq::python {

MemorySink::MemorySink(const Network& network, const MemoryLimit& limit) : net_(network), limit_(limit) {
  const NetworkSpec& spec = network.spec();
  for (std::size_t p = 0; p < spec.populations.size(); ++p)
    populations_.push_back({GrowableArray<double>(limit.mapped_bytes), GrowableArray<std::uint64_t>(limit.mapped_bytes)});
  const RunLayout layout = RunLayout::of(spec);
  for (std::size_t k = 0; k < layout.probes.size(); ++k) {
    Probe probe;
    probe.population = layout.probes[k].population;
    probe.columns = layout.probe_columns(k);
    probe.times_ms = GrowableArray<double>(limit.mapped_bytes);
    probe.v_mv = GrowableArray<double>(limit.mapped_bytes);
    probes_.push_back(std::move(probe));
  }
}

void MemorySink::spikes(std::span<const SpikeRecord> batch) {
  const auto& tables = net_.populations();
  for (const SpikeRecord& s : batch) {
    const std::uint16_t p = net_.population_of(s.node);
    populations_[p].times_ms.push_back(s.time_ms);
    populations_[p].node_ids.push_back(s.node - tables[p].first);
  }
  check_limit();
}

void MemorySink::samples(std::span<const VoltageSample> batch) {
  // Samples come sorted by (time, probe, node): one instant of one probe is its
  // columns in order, or r runs of equal nodes when r probe times share a grid point.
  for (const VoltageSample& s : batch) {
    Probe& probe = probes_[s.probe];
    if (probe.group_count > 0 && s.time_ms != probe.group_ms) close_group(probe);
    probe.v_mv.push_back(s.v_mv);
    probe.group_ms = s.time_ms;
    ++probe.group_count;
  }
  check_limit();
}

void MemorySink::close_group(Probe& probe) {
  const std::size_t n = probe.columns.size(), c = probe.group_count;
  probe.group_count = 0;
  if (n == 0) return;
  const std::size_t rows = c / n;
  if (c % n != 0) {  // never from a driver (an instant samples every column); dropped rather than misread
    probe.v_mv.truncate(probe.v_mv.size() - c);
    return;
  }
  if (rows > 1) {  // node-major (node i's r samples together) -> one row per sample
    double* v = probe.v_mv.data() + (probe.v_mv.size() - c);
    scratch_.assign(v, v + c);
    const std::vector<double>& by_node = scratch_;
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < rows; ++j) v[j * n + i] = by_node[i * rows + j];
  }
  for (std::size_t j = 0; j < rows; ++j) probe.times_ms.push_back(probe.group_ms);
}

void MemorySink::finish() {
  for (Probe& probe : probes_)
    if (probe.group_count > 0) close_group(probe);
}

void MemorySink::check_limit() {
  if (limit_.limit_bytes > 0 && limit_.mapped_bytes &&
      limit_.mapped_bytes->load(std::memory_order_relaxed) > limit_.limit_bytes) {
    if (limit_.exceeded) limit_.exceeded->store(true);
    if (limit_.stop) limit_.stop->store(true);
  }
}

}  // namespace spikeq::python
