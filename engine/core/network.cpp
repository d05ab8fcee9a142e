#include "engine/core/network.h"

#include <algorithm>
#include <limits>
#include <map>
#include <numeric>

#include "engine/core/connect.h"
#include "engine/core/rng.h"
#include "engine/core/stop_check.h"
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

// The same over `size` nodes of which only `touched` have nonzero degrees (read
// from `degrees`), the rest 0: O(touched) instead of O(size).
DegreeStats sparse_degree_stats(const std::vector<std::uint32_t>& degrees, const std::vector<NodeId>& touched,
                                std::uint64_t size, std::uint64_t total) {
  DegreeStats s;
  if (size == 0) return s;
  for (NodeId n : touched) s.max = std::max<std::uint64_t>(s.max, degrees[n]);
  s.min = touched.size() < size ? 0 : s.max;
  for (NodeId n : touched) s.min = std::min<std::uint64_t>(s.min, degrees[n]);
  s.mean = static_cast<double>(total) / static_cast<double>(size);
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
  // (source population, delay) -> its group: a map, so that one population with
  // 65535 projections of distinct delays is not 65535^2 comparisons. Groups stay
  // numbered in order of first appearance (the delivery order).
  std::map<std::pair<std::size_t, double>, std::uint16_t> group_of;
  for (std::size_t p = 0; p < spec_.projections.size(); ++p) {
    const ProjectionSpec& ps = spec_.projections[p];
    ProjectionTable& pt = projections_[p];
    pt.delivers_spikes = delivers_spikes(spec_, ps);
    if (!pt.delivers_spikes) continue;
    auto& delays = populations_[ps.source].group_delays_ms;
    const auto [it, added] =
        group_of.try_emplace({ps.source, ps.delay_ms}, static_cast<std::uint16_t>(delays.size()));
    if (added) delays.push_back(ps.delay_ms);
    pt.delay_group = it->second;
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
  // One projection's out-degree per source node, indexed by global id; only the
  // entries a projection touched are read and reset, so its statistics cost
  // O(its edges), not O(source size) per projection.
  std::vector<std::uint32_t> projection_out(node_count_, 0);
  std::vector<NodeId> touched;
  for (std::size_t p : order) {
    const ProjectionSpec& ps = spec_.projections[p];
    const PopulationTable& src = populations_[ps.source];
    const PopulationTable& tgt = populations_[ps.target];
    SourceSampler sampler(ps, src.size, ps.source == ps.target, &stop_check);
    std::vector<std::uint32_t>& in_deg = in_degrees_[p];
    in_deg.assign(tgt.size, 0);
    const bool delivers = projections_[p].delivers_spikes;
    touched.clear();
    for (NodeId t = 0; t < tgt.size; ++t) {
      stop_check.tick();
      RngStream rng(spec_.seed, connectivity_trial_, Purpose::Connectivity, p, t);
      sampler.draw(t, rng, sources);
      in_deg[t] = static_cast<std::uint32_t>(sources.size());
      for (std::uint32_t s : sources) {
        const NodeId source = src.first + s;
        if (projection_out[source]++ == 0) touched.push_back(source);
        // An independent-train projection is only a rate per target: its edges
        // are counted (in-degree, out-degree statistics), never stored.
        if (!delivers) continue;
        raw.push_back({source, tgt.first + t, static_cast<std::uint16_t>(p)});
        ++out_degree[source];
      }
    }
    ProjectionTable& pt = projections_[p];
    pt.in_degree = degree_stats(in_deg);
    pt.edges = std::accumulate(in_deg.begin(), in_deg.end(), std::uint64_t{0});
    pt.out_degree = sparse_degree_stats(projection_out, touched, src.size, pt.edges);
    for (NodeId n : touched) projection_out[n] = 0;
    // The drivers read in-degrees only for independent Poisson trains (the
    // merged train's rate); the others' would cost 4 B per target and projection.
    if (pt.delivers_spikes) std::vector<std::uint32_t>().swap(in_deg);
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
