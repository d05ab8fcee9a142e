// ConnectivityBuilder: draws a Network's edges straight into its CSR arrays.
//
// Every (projection, target)'s sources come from their own counter-based stream
// (engine/core/rng.h), so the build can work in passes over the targets:
//
//  1. Count. Targets are split into contiguous blocks (by expected edges); each
//     block draws its targets' sources and counts, per (source node, delay
//     group) "slot", the edges it will write there.
//  2. Place. An exclusive prefix sum over slots, and within a slot over blocks
//     in target order, gives every block its write cursor inside every slot, and
//     the row starts and group ends of the CSR. Each block takes the same
//     sources again and writes each edge's target at its cursor: targets
//     ascending, then, per target, projections in netdef order (network.h's
//     row invariant) with no sort. Blocks write disjoint places, so they run in
//     parallel and the arrays are the same for any number of blocks.
//  3. Rows. One pass over the rows writes each edge's projection (see below),
//     each projection's out-degree statistics, each delay group's
//     targets-distinct flag.
//
// Sources a second time: when no two projections of one delay group reach one
// target population (the common case), an edge's projection follows from its
// target's population, so pass 3 writes it (a run per projection and row,
// found by binary search) and the projection array is free until then. It
// keeps the count pass's fixed_indegree draws (whose positions are known in
// advance, exactly `indegree` per target): bits 0..15 of each source index,
// and bits 16..23 in a byte array for source populations above 2^16 nodes.
// Other draws (pairwise_bernoulli, source populations above 2^24, and all of
// them when projections share a target population) are drawn again from the
// same stream, and then pass 2 also writes the projections.
//
// Peak memory: the final arrays (4 + 2 bytes per edge, 8 per node and per
// slot) plus 1 byte per kept draw from a population above 2^16 nodes, 8 bytes
// per slot and block, and per thread a pool of the largest source population
// (engine/core/connect.h). Measured on brunel2000_ai (15.6M edges, one
// thread, user CPU of the whole spikeq_bench process): drawing everything
// twice 0.36 s, keeping the draws 0.20 s (the old sort-based build: 0.49-0.70 s).
//
// Independent-train projections store no edges: they are drawn once, projection
// by projection, for their in-degrees and degree statistics.
//
// A part (network.h, "Parts") draws only its targets: its blocks cut its range
// of targets, so passes 1 and 2 draw exactly the whole network's edges into
// them, in the same order, and pass 2 lays out rows over every slot all the
// same; its independent-train projections are drawn for its targets only. Its
// figures are then reduced over the processes (two sums and a maximum, one
// vector each): out-degrees per (projection, source), edges per slot, repeats
// per delay group, in-degree sums and extremes per projection. That costs 8
// bytes per slot and per source node of each projection, after the rows are
// built. A stop on one process is carried to that meeting, where all stop.
#pragma once

#include <atomic>
#include <cstdint>

#include "engine/core/network.h"

namespace spikeq {

// Kept draws (see above): bits 0..15 of a source index in the projection
// array, bits 16..23 in a byte array when the source population has more than
// kKeptNarrowSources nodes; above kKeptSources nodes they are drawn again.
inline constexpr std::uint64_t kKeptNarrowSources = std::uint64_t{1} << 16;
inline constexpr std::uint64_t kKeptSources = std::uint64_t{1} << 24;

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
  // `part`: null, or the part (network.h) whose range the network already holds.
  ConnectivityBuilder(Network& net, unsigned threads, const std::atomic<bool>* stop, const NetworkPart* part)
      : net_(net), threads_(threads), stop_(stop), part_(part) {}
  // Fills the network's graph, group ends, projection tables (edges, degree
  // statistics), in-degrees of independent-train projections and the groups'
  // targets-distinct flags (and a part's whole-network slot counts). Throws
  // Stopped when a stop is requested (a part: when it reached any process).
  void build();

 private:
  Network& net_;
  unsigned threads_;
  const std::atomic<bool>* stop_;
  const NetworkPart* part_;
};

}  // namespace spikeq
