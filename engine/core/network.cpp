#include "engine/core/network.h"

#include <algorithm>
#include <limits>
#include <map>
#include <string>

#include "engine/core/network_build.h"
#include "engine/core/stop_check.h"
#include "netdefs/error.h"

namespace spikeq {
namespace {

bool delivers_spikes(const NetworkSpec& spec, const ProjectionSpec& p) {
  return spec.populations[p.source].kind == ModelKind::Lif || !p.independent_trains;
}

}  // namespace

Network::Network(const NetworkSpec& spec, std::uint64_t connectivity_trial, const std::atomic<bool>* stop,
                 unsigned threads, const NetworkPart* part)
    : spec_(spec), connectivity_trial_(connectivity_trial) {
  StopCheck stop_check(stop);
  if (part == nullptr) stop_check.poll();  // a part's build polls where it can agree on a stop with the others
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

  stored_targets_end_ = node_count_;
  if (part != nullptr) {
    if (part->target_begin > part->target_end || part->target_end > node_count_)
      throw Error("a network part's targets [" + std::to_string(part->target_begin) + ", " +
                      std::to_string(part->target_end) + ") are not nodes of the network",
                  Error::Kind::Runtime);
    stored_targets_begin_ = part->target_begin;
    stored_targets_end_ = part->target_end;
    is_part_ = true;
  }
  ConnectivityBuilder(*this, threads, stop, part).build();
}

std::uint64_t Network::group_begin(NodeId source, std::size_t g) const {
  return g == 0 ? graph_.m_forward.m_rowstart[source] : group_end(source, g - 1);
}

std::uint64_t Network::group_end(NodeId source, std::size_t g) const { return group_end_[slot(source, g)]; }

std::uint64_t Network::bytes() const {
  std::uint64_t b = graph_.m_forward.m_column.size() * sizeof(NodeId) +
                    graph_.m_forward.m_edge_properties.size() * sizeof(EdgeData) +
                    graph_.m_forward.m_rowstart.size() * sizeof(std::uint64_t) +
                    group_end_.size() * sizeof(std::uint64_t) + node_population_.size() * sizeof(std::uint16_t);
  for (const auto& d : in_degrees_) b += d.size() * sizeof(std::uint32_t);
  return b + group_edges_all_ranks_.size() * sizeof(std::uint32_t);
}

}  // namespace spikeq
