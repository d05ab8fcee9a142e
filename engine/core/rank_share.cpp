#include "engine/core/rank_share.h"

#include <string>

#include "netdefs/error.h"

namespace spikeq {

std::uint64_t lif_node_count(const NetworkSpec& spec) {
  std::uint64_t n = 0;
  for (const PopulationSpec& p : spec.populations)
    if (p.kind == ModelKind::Lif) n += p.size;
  return n;
}

NodeId lif_node(const NetworkSpec& spec, std::uint64_t lif_index) {
  std::uint64_t first = 0;  // global id of the population's node 0
  for (const PopulationSpec& p : spec.populations) {
    if (p.kind == ModelKind::Lif) {
      if (lif_index < p.size) return static_cast<NodeId>(first + lif_index);
      lif_index -= p.size;
    }
    first += p.size;
  }
  return static_cast<NodeId>(first);
}

RankShare rank_share(const NetworkSpec& spec, std::uint64_t rank, std::uint64_t ranks) {
  const std::uint64_t lif = lif_node_count(spec);
  RankShare s;
  s.lif_begin = rank * lif / ranks;
  s.lif_end = (rank + 1) * lif / ranks;
  s.node_begin = rank == 0 ? 0 : lif_node(spec, s.lif_begin);
  s.node_end = rank + 1 == ranks ? static_cast<NodeId>(spec.total_nodes()) : lif_node(spec, s.lif_end);
  return s;
}

void check_stores_share(const Network& net, const RankShare& share, std::uint64_t rank, std::uint64_t ranks) {
  if (share.node_begin < share.node_end &&
      (share.node_begin < net.stored_targets_begin() || share.node_end > net.stored_targets_end()))
    throw Error("process " + std::to_string(rank) + " of " + std::to_string(ranks) + " owns nodes [" +
                    std::to_string(share.node_begin) + ", " + std::to_string(share.node_end) +
                    ") but its network stores the edges into [" + std::to_string(net.stored_targets_begin()) + ", " +
                    std::to_string(net.stored_targets_end()) + ") only",
                Error::Kind::Runtime);
}

bool stores_only(const Network& net, NodeId first, NodeId last) {
  return net.stored_targets_begin() >= first && net.stored_targets_end() <= last;
}

}  // namespace spikeq
