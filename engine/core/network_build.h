// ConnectivityBuilder: draws a Network's edges straight into its CSR arrays.
//
// Every (projection, target)'s sources come from their own counter-based stream
// (engine/core/rng.h), so they can be drawn twice with identical results:
//
//  1. Count. Targets are split into contiguous blocks (by expected edges); each
//     block draws its targets' sources and counts, per (source node, delay
//     group) "slot", the edges it will write there.
//  2. Place. An exclusive prefix sum over slots, and within a slot over blocks
//     in target order, gives every block its write cursor inside every slot, and
//     the row starts and group ends of the CSR. Each block redraws the same
//     sources and writes each edge at its cursor: targets ascending, then, per
//     target, projections in netdef order (network.h's row invariant) with no
//     sort. Blocks write disjoint places, so they run in parallel and the
//     arrays are the same for any number of blocks.
//
// Then one read of the rows gives each projection's out-degree statistics and
// each delay group's "targets distinct" flag. Peak memory: the final arrays
// (4 + 2 bytes per edge, 8 per node and per slot) plus 8 bytes per slot and
// block, plus per thread a draw buffer and a sampler of O(in-degree). Drawing
// twice costs about as much as drawing once and keeping the draws (4 bytes per
// edge more, a 10 B/edge peak), see the commit that introduced it.
//
// Independent-train projections store no edges: they are drawn once, projection
// by projection, for their in-degrees and degree statistics.
#pragma once

#include <atomic>
#include <cstdint>

#include "engine/core/network.h"

namespace spikeq {

// Memory of the per-block tables (write cursors, degree accumulators) for a
// network with `slots` (source node, delay group) pairs, `projections`
// projections and `expected_edges` stored edges: one block, or more when
// threads > 1 but never more than max(1 MiB, 0.25 bytes per expected edge).
// An upper bound whatever the thread count (engine/core/memory_estimate.cpp).
std::uint64_t build_block_bytes_bound(std::uint64_t slots, std::uint64_t projections, double expected_edges);
// The number of target blocks `threads` threads use (1 for one thread).
std::uint64_t build_block_count(unsigned threads, std::uint64_t slots, std::uint64_t projections,
                                double expected_edges, std::uint64_t nodes);

class ConnectivityBuilder {
 public:
  ConnectivityBuilder(Network& net, unsigned threads, const std::atomic<bool>* stop)
      : net_(net), threads_(threads), stop_(stop) {}
  // Fills the network's graph, group ends, projection tables (edges, degree
  // statistics), in-degrees of independent-train projections and the groups'
  // targets-distinct flags. Throws Stopped when a stop is requested.
  void build();

 private:
  Network& net_;
  unsigned threads_;
  const std::atomic<bool>* stop_;
};

}  // namespace spikeq
