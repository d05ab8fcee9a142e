#include "engine/network.h"

#include <algorithm>
#include <limits>
#include <numeric>

#include "engine/connect.h"
#include "engine/rng.h"
#include "engine/stop_check.h"
#include "netdefs/error.h"

namespace spikeq {
namespace {

struct RawEdge {
  NodeId source;
  NodeId target;
  std::uint16_t projection;
};

DegreeStats degree_stats(const std::vector<std::uint32_t>& degrees) {
  DegreeStats s;
  if (degrees.empty()) return s;
  const auto [lo, hi] = std::minmax_element(degrees.begin(), degrees.end());
  s.min = *lo;
  s.max = *hi;
  s.mean = std::accumulate(degrees.begin(), degrees.end(), 0.0) / static_cast<double>(degrees.size());
  return s;
}

bool delivers_spikes(const NetworkSpec& spec, const ProjectionSpec& p) {
  return spec.populations[p.source].kind == ModelKind::Lif || !p.independent_trains;
}

}  // namespace

Network::Network(const NetworkSpec& spec, std::uint64_t connectivity_trial, const std::atomic<bool>* stop)
    : spec_(spec), connectivity_trial_(connectivity_trial) {
  StopCheck stop_check(stop);
  stop_check.poll();
  fault_point("build");
  if (spec_.projections.size() > std::numeric_limits<std::uint16_t>::max())
    throw Error("too many projections (at most 65535)");
  if (spec_.total_nodes() >= std::numeric_limits<NodeId>::max())
    throw Error("too many nodes (at most 4294967294)");

  // Node numbering and per-population delay groups.
  populations_.resize(spec_.populations.size());
  for (std::size_t i = 0; i < spec_.populations.size(); ++i) {
    populations_[i].first = node_count_;
    populations_[i].size = static_cast<NodeId>(spec_.populations[i].size);
    node_count_ += populations_[i].size;
  }
  node_population_.resize(node_count_);
  for (std::size_t i = 0; i < populations_.size(); ++i)
    std::fill_n(node_population_.begin() + populations_[i].first, populations_[i].size,
                static_cast<std::uint16_t>(i));

  projections_.resize(spec_.projections.size());
  for (std::size_t p = 0; p < spec_.projections.size(); ++p) {
    const ProjectionSpec& ps = spec_.projections[p];
    ProjectionTable& pt = projections_[p];
    pt.delivers_spikes = delivers_spikes(spec_, ps);
    if (!pt.delivers_spikes) continue;
    auto& delays = populations_[ps.source].group_delays_ms;
    auto it = std::find(delays.begin(), delays.end(), ps.delay_ms);
    if (it == delays.end()) it = delays.insert(delays.end(), ps.delay_ms);
    pt.delay_group = static_cast<std::uint16_t>(it - delays.begin());
  }
  std::uint64_t group_count = 0;
  for (auto& pop : populations_) {
    pop.group_base = group_count;
    group_count += static_cast<std::uint64_t>(pop.size) * pop.group_delays_ms.size();
  }

  // Draw every projection's edges, target by target. Projections are visited so
  // that, after the stable sort by source below, each source's row is ordered by
  // delay group, then projection, then target (the delivery order).
  std::vector<std::size_t> order(spec_.projections.size());
  std::iota(order.begin(), order.end(), 0);
  auto group_key = [&](std::size_t p) {
    return projections_[p].delivers_spikes ? projections_[p].delay_group
                                           : std::numeric_limits<std::uint16_t>::max();
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return group_key(a) < group_key(b); });

  std::vector<RawEdge> raw;
  std::vector<std::uint32_t> out_degree(node_count_, 0);
  in_degrees_.resize(spec_.projections.size());
  std::vector<std::uint32_t> sources;
  for (std::size_t p : order) {
    const ProjectionSpec& ps = spec_.projections[p];
    const PopulationTable& src = populations_[ps.source];
    const PopulationTable& tgt = populations_[ps.target];
    SourceSampler sampler(ps, src.size, ps.source == ps.target, &stop_check);
    std::vector<std::uint32_t>& in_deg = in_degrees_[p];
    in_deg.assign(tgt.size, 0);
    for (NodeId t = 0; t < tgt.size; ++t) {
      stop_check.tick();
      RngStream rng(spec_.seed, connectivity_trial_, Purpose::Connectivity, p, t);
      sampler.draw(t, rng, sources);
      in_deg[t] = static_cast<std::uint32_t>(sources.size());
      for (std::uint32_t s : sources) {
        raw.push_back({src.first + s, tgt.first + t, static_cast<std::uint16_t>(p)});
        ++out_degree[src.first + s];
      }
    }
    ProjectionTable& pt = projections_[p];
    pt.in_degree = degree_stats(in_deg);
    std::vector<std::uint32_t> src_out(src.size, 0);
    for (std::size_t e = raw.size() - std::accumulate(in_deg.begin(), in_deg.end(), std::uint64_t{0});
         e < raw.size(); ++e)
      ++src_out[raw[e].source - src.first];
    pt.out_degree = degree_stats(src_out);
    pt.edges = std::accumulate(in_deg.begin(), in_deg.end(), std::uint64_t{0});
  }

  // Stable counting sort by source keeps the per-source order set up above.
  std::vector<std::uint64_t> row_start(node_count_ + 1, 0);
  for (NodeId n = 0; n < node_count_; ++n) row_start[n + 1] = row_start[n] + out_degree[n];
  std::vector<std::pair<NodeId, NodeId>> sorted(raw.size());
  std::vector<EdgeData> props(raw.size());
  {
    std::vector<std::uint64_t> cursor(row_start.begin(), row_start.end() - 1);
    constexpr std::size_t kBlock = 1 << 16;  // edges between two stop checks
    for (std::size_t block = 0; block < raw.size(); block += kBlock) {
      stop_check.tick(kBlock);
      const std::size_t end = std::min(raw.size(), block + kBlock);
      for (std::size_t i = block; i < end; ++i) {
        const RawEdge& e = raw[i];
        const std::uint64_t at = cursor[e.source]++;
        sorted[at] = {e.source, e.target};
        props[at] = {e.projection};
      }
    }
  }
  raw.clear();
  raw.shrink_to_fit();
  stop_check.poll();
  graph_ = ConnectivityGraph(boost::edges_are_sorted, sorted.begin(), sorted.end(), props.begin(),
                             node_count_, sorted.size());

  // Group boundaries: rows are ordered by delay group, so each group is a run.
  group_end_.assign(group_count, 0);
  for (std::size_t i = 0; i < populations_.size(); ++i) {
    PopulationTable& pop = populations_[i];
    const std::size_t groups = pop.group_delays_ms.size();
    pop.group_targets_distinct.assign(groups, true);
    for (NodeId n = pop.first; n < pop.first + pop.size; ++n) {
      stop_check.tick();
      std::uint64_t e = row_start[n];
      for (std::size_t g = 0; g < groups; ++g) {
        const std::uint64_t begin = e;
        while (e < row_start[n + 1] && projections_[props[e].projection].delivers_spikes &&
               projections_[props[e].projection].delay_group == g) {
          if (e > begin && sorted[e].second <= sorted[e - 1].second) pop.group_targets_distinct[g] = false;
          ++e;
        }
        group_end_[pop.group_base + (n - pop.first) * groups + g] = e;
      }
    }
  }
}

std::uint64_t Network::group_begin(NodeId source, std::size_t g) const {
  return g == 0 ? graph_.m_forward.m_rowstart[source] : group_end(source, g - 1);
}

std::uint64_t Network::group_end(NodeId source, std::size_t g) const {
  const PopulationTable& pop = populations_[node_population_[source]];
  return group_end_[pop.group_base + (source - pop.first) * pop.group_delays_ms.size() + g];
}

}  // namespace spikeq
