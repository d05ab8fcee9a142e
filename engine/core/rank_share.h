// Which nodes each process owns when one network runs over several processes
// (MPI ranks): the LIF nodes, counted in LIF order (populations in netdef order,
// Poisson populations skipped), are cut into `ranks` ranges of consecutive ids
// with about equal counts; process r owns the r-th. Both engines split this way,
// so a process holds the same nodes whichever engine runs. Poisson nodes receive
// nothing; they fall in whichever range contains their ids (the first range
// starts at node 0 and the last ends at the node count, so every node is owned).
#pragma once

#include <cstdint>

#include "engine/core/network.h"

namespace spikeq {

struct RankShare {
  std::uint64_t lif_begin = 0, lif_end = 0;  // LIF nodes [lif_begin, lif_end), in LIF order
  NodeId node_begin = 0, node_end = 0;       // the global ids they span (see above)
};

RankShare rank_share(const NetworkSpec& spec, std::uint64_t rank, std::uint64_t ranks);
// The global id of LIF node `lif_index` in LIF order (the node count past the last).
NodeId lif_node(const NetworkSpec& spec, std::uint64_t lif_index);
std::uint64_t lif_node_count(const NetworkSpec& spec);

// Throws Error (Runtime) unless `net` stores the edges into every node of
// `share` (the whole network, or that process's part): a driver's check.
void check_stores_share(const Network& net, const RankShare& share, std::uint64_t rank, std::uint64_t ranks);
// Whether every edge `net` stores reaches a node of [first, last): then a block
// owning those nodes takes the rows whole, with no search.
bool stores_only(const Network& net, NodeId first, NodeId last);

}  // namespace spikeq
