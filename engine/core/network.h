// Network: the immutable result of building a NetworkSpec — node numbering, the
// connectivity as a Boost compressed_sparse_row_graph, and per-projection tables.
// Built once, then shared read-only by every trial.
//
// Node numbering: populations in netdef order, each a contiguous block of global
// ids. Out-edges of a source node are grouped by delivery delay ("delay group":
// one queue entry per spike and distinct delay, groups in order of first
// appearance among the source's projections).
//
// Row invariant: within a delay group, edges are ordered by target (global id,
// non-decreasing), then by projection (netdef order), then in draw order. So a
// spike's fan-out walks memory in target order, a thread can binary-search the
// block of targets it owns inside any group, and one target's pulses from one
// spike still come in netdef order of their projections (the order sums are
// taken in). Weights and delays are per projection (homogeneous), so an edge
// stores only its target (4 bytes) and its projection (2 bytes).
//
// The build (engine/core/network_build.h) draws every (projection, target)'s
// sources twice from the same counter-based stream: once to count each row, once
// to write each edge straight into its place. Nothing larger than the final
// arrays is ever held, and the graph is the same whatever the thread count.
//
// Parts. When one network runs over R processes (MPI ranks, engine/core/rank_share.h),
// each builds only a part (NetworkPart): the edges into its own targets. Every row
// slot (source node, delay group) is still there, for every node, but holds only
// the edges into the part's targets, in the whole network's order (so a whole
// row is the concatenation of the parts' rows in target order). Memory per
// process scales with its share of the synapses; per node and per slot it holds
// what the whole network does (8 bytes each), and 4 more per slot. What
// the run needs about the whole graph is reduced over the processes while they
// build: the projection tables (edges, degree statistics), the groups'
// targets-distinct flags, and each slot's edge count (group_edges_all_ranks: a
// source whose row reaches only other processes' targets still sends its spike).
#pragma once

#include <boost/graph/compressed_sparse_row_graph.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "netdefs/spec.h"

namespace spikeq {

using NodeId = std::uint32_t;

struct EdgeData {
  std::uint16_t projection;
};

using ConnectivityGraph =
    boost::compressed_sparse_row_graph<boost::directedS, boost::no_property, EdgeData,
                                       boost::no_property, NodeId, std::uint64_t>;

struct DegreeStats {
  std::uint64_t min = 0;
  double mean = 0;
  std::uint64_t max = 0;
};

struct ProjectionTable {
  std::uint64_t edges = 0;
  DegreeStats in_degree;   // over the target population's nodes
  DegreeStats out_degree;  // over the source population's nodes
  std::uint16_t delay_group = 0;  // index among the source population's delay groups
  // Delivered through the graph at run time: LIF sources, and Poisson sources with
  // shared trains. Independent Poisson trains are generated per target instead.
  bool delivers_spikes = false;
};

struct PopulationTable {
  NodeId first = 0;  // global id of node 0
  NodeId size = 0;
  std::vector<double> group_delays_ms;  // distinct delays of spike-delivering projections
  // Per delay group: every node's group lists each target at most once (strictly
  // ascending targets), as drawn. False when some node's group lists a target
  // twice (a multapse, or two projections of the group both reaching it): then a
  // single spike brings that target several pulses at once, which must be summed.
  std::vector<bool> group_targets_distinct;
  std::uint64_t group_base = 0;  // offset of node `first`'s groups in Network::group_end
};

// One process's part of a network built by R processes together (see "Parts"
// above; engine/core/rank_part.h makes one over MPI). The parts' target ranges
// must cut [0, node count) into pieces, one per process: the sums over the
// processes count every target once.
struct NetworkPart {
  NodeId target_begin = 0, target_end = 0;  // this part stores the edges into [begin, end)
  // Collectives: element-wise sum and maximum of a vector over the R processes,
  // in place. Every process's build calls them the same number of times, in the
  // same order, with vectors of the same size, from the thread that builds.
  std::function<void(std::vector<std::uint64_t>&)> sum_over_ranks;
  std::function<void(std::vector<std::uint64_t>&)> max_over_ranks;
};

class Network {
 public:
  // Builds the connectivity (deterministic in spec.seed, see engine/core/rng.h) from
  // the streams of trial `connectivity_trial`: 0 for the frozen network every
  // trial shares, k when trial k redraws its own (--redraw-connectivity).
  // `stop` (SIGINT/SIGTERM) is polled throughout the build (engine/core/stop_check.h):
  // once set, the build throws Stopped within milliseconds and leaves nothing (what
  // was drawn is freed; `spikeq run` then records a run interrupted at 0 ms).
  // `threads` oneTBB threads build it (0: every core); the graph is identical
  // for every thread count.
  // `part`: build only this process's part (see "Parts"; collective over the
  // processes); null: the whole network. A part's build meets the others at its
  // end and throws Stopped on every process when a stop reached any of them
  // (a process that was not stopped finishes drawing its part first).
  explicit Network(const NetworkSpec& spec, std::uint64_t connectivity_trial = 0,
                   const std::atomic<bool>* stop = nullptr, unsigned threads = 1,
                   const NetworkPart* part = nullptr);

  const NetworkSpec& spec() const { return spec_; }
  std::uint64_t connectivity_trial() const { return connectivity_trial_; }
  const ConnectivityGraph& graph() const { return graph_; }
  NodeId node_count() const { return node_count_; }
  const std::vector<PopulationTable>& populations() const { return populations_; }
  const std::vector<ProjectionTable>& projections() const { return projections_; }
  std::uint16_t population_of(NodeId node) const { return node_population_[node]; }

  // The targets whose incoming edges are stored: [0, node_count()) for the
  // whole network, the part's range for a part.
  NodeId stored_targets_begin() const { return stored_targets_begin_; }
  NodeId stored_targets_end() const { return stored_targets_end_; }
  bool is_part() const { return is_part_; }

  // Edges of `source`'s delay group g stored here: indices [begin, end) into
  // targets()/edge_projections(). For a part, only those into its targets.
  std::uint64_t group_begin(NodeId source, std::size_t g) const;
  std::uint64_t group_end(NodeId source, std::size_t g) const;
  // Edges of `source`'s delay group g in the whole network, summed over the
  // parts: group_end - group_begin for the whole network. Whether a spike is
  // sent for the group at all (and counted) is decided on this, the same on
  // every process, not on the locally stored row.
  std::uint64_t group_edges_all_ranks(NodeId source, std::size_t g) const {
    return is_part() ? group_edges_all_ranks_[slot(source, g)] : group_end(source, g) - group_begin(source, g);
  }

  // The CSR's storage as plain arrays for the delivery loop (Boost keeps them in
  // the public m_forward member; indexing them avoids iterator overhead per edge).
  std::span<const NodeId> targets() const { return graph_.m_forward.m_column; }
  std::span<const EdgeData> edge_projections() const {
    return graph_.m_forward.m_edge_properties;
  }
  std::span<const std::uint64_t> row_starts() const { return graph_.m_forward.m_rowstart; }

  // Number of edges from projection p into each node of p's target population,
  // kept for independent Poisson projections only (the rate of the merged
  // train); empty for projections that deliver spikes through the graph.
  // A part draws only its own targets' in-degrees: 0 for the other nodes.
  const std::vector<std::uint32_t>& in_degrees(std::size_t projection) const {
    return in_degrees_[projection];
  }

  // Edges stored in the graph (spike-delivering projections only); for a part,
  // those into its targets (the whole network's: the sum of the
  // spike-delivering projections' `edges`).
  std::uint64_t stored_edges() const { return graph_.m_forward.m_column.size(); }
  // Bytes the network holds for the run: the CSR arrays (targets, projections,
  // row starts), group boundaries, node populations and in-degree tables (and a
  // part's whole-network slot counts).
  std::uint64_t bytes() const;

 private:
  friend class ConnectivityBuilder;  // engine/core/network_build.h fills the tables below

  // Index of (source, delay group g) among all slots (group_end_'s index).
  std::uint64_t slot(NodeId source, std::size_t g) const {
    const PopulationTable& pop = populations_[node_population_[source]];
    return pop.group_base + (source - pop.first) * pop.group_delays_ms.size() + g;
  }

  NetworkSpec spec_;
  std::uint64_t connectivity_trial_ = 0;
  NodeId node_count_ = 0;
  std::vector<PopulationTable> populations_;
  std::vector<ProjectionTable> projections_;
  std::vector<std::uint16_t> node_population_;
  ConnectivityGraph graph_;
  std::vector<std::uint64_t> group_end_;  // per node and delay group: one past its last edge
  std::vector<std::vector<std::uint32_t>> in_degrees_;
  NodeId stored_targets_begin_ = 0, stored_targets_end_ = 0;
  bool is_part_ = false;
  // A part only: per slot, its edges in the whole network (empty for the whole network).
  std::vector<std::uint32_t> group_edges_all_ranks_;
};

}  // namespace spikeq
