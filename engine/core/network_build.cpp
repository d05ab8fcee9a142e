#include "engine/core/network_build.h"

#include <tbb/enumerable_thread_specific.h>
#include <tbb/info.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "engine/core/connect.h"
#include "engine/core/network_build_parts.h"
#include "engine/core/rng.h"
#include "engine/core/stop_check.h"
#include "netdefs/error.h"

namespace spikeq {
namespace {

using build::DegreeSum;
using build::for_each_index;
using build::reserve_on_huge_pages;
using build::resize_on_huge_pages;

// More blocks than threads let a thread that finishes early (or was not
// descheduled by another process) take another block.
constexpr std::uint64_t kBlocksPerThread = 4;
// Blocks beyond the first cost 8 bytes per slot each: allowed while they fit in
// a quarter byte per edge (or 1 MiB for small networks).
constexpr double kBlockBytesPerEdge = 0.25;
constexpr double kMinBlockBudgetBytes = 1 << 20;
// Edges between a write's prefetch and the write (place pass).
constexpr std::uint64_t kPrefetchAhead = 16;

std::uint64_t block_bytes(std::uint64_t slots, std::uint64_t projections) {
  // A cursor per slot; an in- and an out-degree sum per projection.
  return slots * sizeof(std::uint64_t) + projections * 2 * sizeof(DegreeSum);
}

// A spike-delivering projection into a population, with where its edges go:
// source s (local index) writes into slot `slot_base + s * slot_stride`.
struct Incoming {
  std::size_t projection;
  std::uint64_t source_size;
  bool same_population;
  std::uint64_t slot_base;    // the source population's group_base + the projection's delay group
  std::uint64_t slot_stride;  // the source population's delay groups per node
  // Drawn once, its draws kept from the count pass for the place pass: a
  // fixed_indegree projection (exactly `indegree` sources per target, so every
  // block knows in advance where its draws go) from at most 2^24 sources.
  bool kept = false;
  bool wide = false;  // kept, from more than 2^16 sources: one byte more per draw
  std::uint64_t indegree = 0;
};

// A delay group's projections by target population (sorted): the projection of
// an edge follows from its target when no two projections of one group reach
// one population.
struct GroupTarget {
  std::uint16_t target_population;
  std::uint16_t projection;
  bool operator<(const GroupTarget& o) const { return target_population < o.target_population; }
};

// The Network's tables the build fills, and what it reads.
struct Tables {
  const NetworkSpec& spec;
  std::uint64_t trial;
  NodeId node_count;
  std::vector<PopulationTable>& populations;
  std::vector<ProjectionTable>& projections;
  const std::vector<std::uint16_t>& node_population;
  ConnectivityGraph& graph;
  std::vector<std::uint64_t>& group_end;
  std::vector<std::vector<std::uint32_t>>& in_degrees;
  // The targets drawn: [target_begin, target_end), all nodes unless `part` is set.
  NodeId target_begin, target_end;
  const NetworkPart* part;
  std::vector<std::uint32_t>& group_edges_all_ranks;  // a part's (network.h)
};

class Build {
 public:
  Build(Tables t, unsigned threads, const std::atomic<bool>* stop) : t_(t), threads_(threads), stop_(stop) {
    if (threads_ > 1) arena_.emplace(static_cast<int>(threads_));
    const std::size_t pops = t_.populations.size();
    group_index_.assign(pops + 1, 0);
    for (std::size_t i = 0; i < pops; ++i) {
      const PopulationTable& p = t_.populations[i];
      slots_ = std::max(slots_, p.group_base + std::uint64_t{p.size} * p.group_delays_ms.size());
      group_index_[i + 1] = group_index_[i] + p.group_delays_ms.size();
    }
  }

  void run() {
    if (t_.part == nullptr) {
      draw();
      return;
    }
    // A part: the processes meet after drawing, so a stop on any of them must
    // reach that meeting (and stop them all there), not end this one alone.
    bool stopped = false;
    try {
      StopCheck(stop_).poll();
      draw();
    } catch (const Stopped&) {
      stopped = true;
    }
    reduce_over_ranks(stopped);
  }

 private:
  tbb::task_arena* arena() { return arena_ ? &*arena_ : nullptr; }
  std::uint64_t blocks() const { return block_begin_.size() - 1; }

  void draw() {
    plan();
    count_pass();
    lay_out_rows();
    place_pass();
    if (derive_projections_)
      read_rows<true>();
    else
      read_rows<false>();
    draw_independent();
  }

  // The nodes of `pop` among the targets drawn, as [first, last) global ids:
  // the whole population unless this is a part.
  std::pair<NodeId, NodeId> drawn_targets(const PopulationTable& pop) const {
    const NodeId end = pop.first + pop.size;
    return {std::clamp(t_.target_begin, pop.first, end), std::clamp(t_.target_end, pop.first, end)};
  }
  NodeId drawn_count(const PopulationTable& pop) const {
    const auto [first, last] = drawn_targets(pop);
    return last - first;
  }

  // Incoming projections per population, whether edge projections can be
  // derived from targets, which draws are kept, blocks of targets of about
  // equal work and where each block keeps its draws.
  void plan() {
    const std::size_t pops = t_.populations.size();
    group_targets_.resize(group_index_.back());
    derive_projections_ = true;
    for (std::size_t p = 0; p < t_.spec.projections.size(); ++p) {
      if (!t_.projections[p].delivers_spikes) continue;
      const ProjectionSpec& ps = t_.spec.projections[p];
      group_targets_[group_index_[ps.source] + t_.projections[p].delay_group].push_back(
          {static_cast<std::uint16_t>(ps.target), static_cast<std::uint16_t>(p)});
    }
    for (auto& list : group_targets_) {
      std::sort(list.begin(), list.end());
      for (std::size_t i = 1; i < list.size(); ++i)
        if (list[i].target_population == list[i - 1].target_population) derive_projections_ = false;
    }
    // With one projection per target population, only a multapse repeats a
    // target in a group row; elsewhere the rows need no check.
    may_repeat_.assign(group_targets_.size(), false);
    for (std::size_t g = 0; g < group_targets_.size(); ++g)
      for (const GroupTarget& gt : group_targets_[g]) {
        const ProjectionSpec& ps = t_.spec.projections[gt.projection];
        if (ps.rule == RuleKind::FixedIndegree && ps.allow_multapses) may_repeat_[g] = true;
      }

    incoming_.resize(pops);
    std::vector<double> work_per_node(pops, 1.0);  // 1: the per-target overhead
    std::vector<std::uint64_t> kept_per_target(pops, 0), wide_per_target(pops, 0);
    double expected_edges = 0;
    for (std::size_t p = 0; p < t_.spec.projections.size(); ++p) {
      const ProjectionSpec& ps = t_.spec.projections[p];
      if (!t_.projections[p].delivers_spikes) {
        independent_.push_back(p);
        continue;
      }
      const PopulationTable& src = t_.populations[ps.source];
      Incoming in{p, src.size, ps.source == ps.target, src.group_base + t_.projections[p].delay_group,
                  src.group_delays_ms.size()};
      // Kept draws live in the projection array, so only when nothing else is
      // written there before the rows are read.
      in.kept = derive_projections_ && ps.rule == RuleKind::FixedIndegree && src.size <= kKeptSources;
      in.wide = in.kept && src.size > kKeptNarrowSources;
      in.indegree = ps.indegree;
      if (in.kept) kept_per_target[ps.target] += ps.indegree;
      if (in.wide) wide_per_target[ps.target] += ps.indegree;
      incoming_[ps.target].push_back(in);
      const double k = expected_indegree(ps, src.size, ps.source == ps.target);
      work_per_node[ps.target] += k;
      expected_edges += k * static_cast<double>(drawn_count(t_.populations[ps.target]));
    }
    const std::uint64_t blocks = build_block_count(threads_, slots_, t_.projections.size(), expected_edges,
                                                   t_.target_end - t_.target_begin);
    // Block b starts where the cumulative work reaches b/blocks of the total
    // (over the targets drawn).
    double total = 0;
    for (std::size_t i = 0; i < pops; ++i) total += work_per_node[i] * drawn_count(t_.populations[i]);
    block_begin_.assign(blocks + 1, t_.target_end);
    block_begin_[0] = t_.target_begin;
    double before = 0;  // work of the populations before i
    std::uint64_t b = 1;
    for (std::size_t i = 0; i < pops && b < blocks; ++i) {
      const auto [first, last] = drawn_targets(t_.populations[i]);
      const NodeId count = last - first;
      const double w = work_per_node[i];
      while (b < blocks && before + w * count >= total * static_cast<double>(b) / static_cast<double>(blocks)) {
        const double into = std::ceil((total * static_cast<double>(b) / static_cast<double>(blocks) - before) / w);
        const auto offset = static_cast<NodeId>(std::clamp(into, 0.0, static_cast<double>(count)));
        block_begin_[b] = std::clamp<NodeId>(first + offset, block_begin_[b - 1], t_.target_end);
        ++b;
      }
      before += w * count;
    }
    // Block b's kept draws follow those of every target drawn before it.
    kept_begin_.assign(blocks + 1, 0);
    wide_begin_.assign(blocks + 1, 0);
    for (std::uint64_t k = 0; k <= blocks; ++k)
      for (std::size_t i = 0; i < pops; ++i) {
        const auto [first, last] = drawn_targets(t_.populations[i]);
        const std::uint64_t targets_before = std::clamp<std::uint64_t>(block_begin_[k], first, last) - first;
        kept_begin_[k] += targets_before * kept_per_target[i];
        wide_begin_[k] += targets_before * wide_per_target[i];
      }
    cursors_.assign(blocks * slots_, 0);
    in_sums_.assign(blocks * t_.projections.size(), DegreeSum{});
    // The kept draws' low bits fill the start of the projection array; with no
    // pairwise_bernoulli rule its final size is known already.
    reserve_on_huge_pages(edge_projections_, std::max(kept_begin_.back(), exact_edges()));
    edge_projections_.resize(kept_begin_.back());
    wide_.resize(wide_begin_.back());
    if (t_.part != nullptr) {
      // Out-degrees per (projection, source), summed over the parts at the end.
      out_base_.assign(t_.projections.size() + 1, 0);
      for (std::size_t p = 0; p < t_.projections.size(); ++p)
        out_base_[p + 1] = out_base_[p] + t_.populations[t_.spec.projections[p].source].size;
      out_degrees_.assign(out_base_.back(), 0);
      part_in_.assign(t_.projections.size(), DegreeSum{});
    }
  }

  // The number of stored edges when no rule draws a random number of them (0 otherwise).
  std::uint64_t exact_edges() const {
    std::uint64_t edges = 0;
    for (std::size_t p = 0; p < t_.spec.projections.size(); ++p) {
      if (!t_.projections[p].delivers_spikes) continue;
      const ProjectionSpec& ps = t_.spec.projections[p];
      if (ps.rule == RuleKind::PairwiseBernoulli) return 0;
      edges += static_cast<std::uint64_t>(expected_indegree(ps, t_.populations[ps.source].size, ps.source == ps.target)) *
               drawn_count(t_.populations[ps.target]);
    }
    return edges;
  }

  // Visits block b's targets in ascending order and, per target, its incoming
  // spike-delivering projections in netdef order: visit(incoming, sampler,
  // global target, local target). The same calls in the same order every time.
  template <class Visit>
  void visit_block(std::uint64_t b, StopCheck& stop, const Visit& visit) {
    const NodeId begin = block_begin_[b], end = block_begin_[b + 1];
    std::vector<SourceSampler> samplers;
    SamplerScratch scratch;
    for (NodeId seg = begin; seg < end;) {
      const std::uint16_t pop_index = t_.node_population[seg];
      const PopulationTable& pop = t_.populations[pop_index];
      const NodeId seg_end = std::min<NodeId>(end, pop.first + pop.size);
      const std::vector<Incoming>& in = incoming_[pop_index];
      samplers.clear();
      for (const Incoming& i : in)
        samplers.emplace_back(t_.spec.projections[i.projection], i.source_size, i.same_population, scratch, &stop);
      for (NodeId t = in.empty() ? seg_end : seg; t < seg_end; ++t) {
        stop.tick();
        for (std::size_t k = 0; k < in.size(); ++k) visit(in[k], samplers[k], t, t - pop.first);
      }
      seg = seg_end;
    }
  }

  void draw(const Incoming& in, SourceSampler& sampler, std::uint64_t local, std::vector<std::uint32_t>& sources) const {
    RngStream rng(t_.spec.seed, t_.trial, Purpose::Connectivity, in.projection, local);
    sampler.draw(local, rng, sources);
  }

  // Pass 1: per block, the in-degree sums and the edges per slot; kept draws
  // are written down.
  void count_pass() {
    for_each_index(arena(), blocks(), [&](std::uint64_t b) {
      StopCheck stop(stop_);
      std::uint64_t* count = cursors_.data() + b * slots_;
      DegreeSum* in_sum = in_sums_.data() + b * t_.projections.size();
      EdgeData* kept = edge_projections_.data() + kept_begin_[b];
      std::uint8_t* wide = wide_.data() + wide_begin_[b];
      std::vector<std::uint32_t> sources;
      visit_block(b, stop, [&](const Incoming& in, SourceSampler& sampler, NodeId, std::uint64_t local) {
        draw(in, sampler, local, sources);
        in_sum[in.projection].add(sources.size());
        for (const std::uint32_t s : sources) ++count[in.slot_base + s * in.slot_stride];
        if (!in.kept) return;
        for (const std::uint32_t s : sources) *kept++ = {static_cast<std::uint16_t>(s)};
        if (in.wide)
          for (const std::uint32_t s : sources) *wide++ = static_cast<std::uint8_t>(s >> 16);
      });
    });
  }

  // Counts become cursors: a slot's edges from block b start after those of
  // blocks before b. The slot ends are the group ends; a node's row starts where
  // its first slot does (slots are numbered in node order, then group order).
  void lay_out_rows() {
    StopCheck stop(stop_);
    std::vector<std::uint64_t>& group_end = t_.group_end;
    group_end.assign(slots_, 0);
    std::uint64_t at = 0;
    for (std::uint64_t slot = 0; slot < slots_; ++slot) {
      stop.tick();
      for (std::uint64_t b = 0; b < blocks(); ++b) {
        std::uint64_t& c = cursors_[b * slots_ + slot];
        const std::uint64_t n = c;
        c = at;
        at += n;
      }
      group_end[slot] = at;
    }
    row_start_.assign(std::uint64_t{t_.node_count} + 1, 0);
    for (const PopulationTable& pop : t_.populations) {
      const std::uint64_t groups = pop.group_delays_ms.size();
      for (NodeId n = pop.first; n < pop.first + pop.size; ++n)
        row_start_[n + 1] = groups == 0 ? row_start_[n] : group_end[pop.group_base + (n - pop.first) * groups + groups - 1];
    }
    stop.poll();
    resize_on_huge_pages(targets_, at);
    if (derive_projections_) {
      edge_projections_.resize(at);  // keeps the kept draws at its start
    } else {
      resize_on_huge_pages(edge_projections_, at);
    }
  }

  // Pass 2: the same sources (kept or drawn again), each edge's target written
  // at its slot's cursor, and its projection too unless read_rows derives it.
  void place_pass() {
    for_each_index(arena(), blocks(), [&](std::uint64_t b) {
      StopCheck stop(stop_);
      std::uint64_t* cursor = cursors_.data() + b * slots_;
      NodeId* targets = targets_.data();
      EdgeData* projections = edge_projections_.data();
      const EdgeData* kept = edge_projections_.data() + kept_begin_[b];
      const std::uint8_t* wide = wide_.data() + wide_begin_[b];
      std::vector<std::uint32_t> sources;
      visit_block(b, stop, [&](const Incoming& in, SourceSampler& sampler, NodeId t, std::uint64_t local) {
        if (in.kept) {
          // (Written out here rather than through scatter(): 7% faster, measured.)
          const std::uint64_t base = in.slot_base, stride = in.slot_stride, n = in.indegree;
          stop.tick(static_cast<std::int64_t>(n / 16));  // drawn sources tick in the sampler; kept ones here
          for (std::uint64_t i = 0; i < n; ++i) {
            if (i + kPrefetchAhead < n) {
              const std::uint64_t f = i + kPrefetchAhead;
              const std::uint32_t ahead = kept[f].projection | (in.wide ? std::uint32_t{wide[f]} << 16 : 0u);
              __builtin_prefetch(&targets[cursor[base + ahead * stride]], 1);
            }
            const std::uint32_t s = kept[i].projection | (in.wide ? std::uint32_t{wide[i]} << 16 : 0u);
            targets[cursor[base + s * stride]++] = t;
          }
          kept += n;
          if (in.wide) wide += n;
          return;  // kept draws are never of a projection whose edges need it written
        }
        draw(in, sampler, local, sources);
        const std::uint32_t* drawn = sources.data();
        auto source_at = [drawn](std::uint64_t i) { return drawn[i]; };
        if (derive_projections_)
          scatter<false>(in, t, sources.size(), source_at, cursor, targets, projections);
        else
          scatter<true>(in, t, sources.size(), source_at, cursor, targets, projections);
      });
    });
    std::vector<std::uint64_t>().swap(cursors_);
    std::vector<std::uint8_t>().swap(wide_);
    ConnectivityGraph& g = t_.graph;
    g.m_forward.m_rowstart = std::move(row_start_);
    g.m_forward.m_column = std::move(targets_);
    g.m_forward.m_edge_properties = std::move(edge_projections_);
  }

  // Writes target t's n edges, from sources source_at(0..n-1), at their slots' cursors.
  template <bool kWriteProjection, class SourceAt>
  static void scatter(const Incoming& in, NodeId t, std::uint64_t n, const SourceAt& source_at, std::uint64_t* cursor,
                      NodeId* targets, EdgeData* projections) {
    const auto p = static_cast<std::uint16_t>(in.projection);
    const std::uint64_t base = in.slot_base, stride = in.slot_stride;
    for (std::uint64_t i = 0; i < n; ++i) {
      // The rows being written are too many for the cache: fetch the place of
      // the edge kPrefetchAhead on while this one is written.
      if (i + kPrefetchAhead < n) __builtin_prefetch(&targets[cursor[base + source_at(i + kPrefetchAhead) * stride]], 1);
      const std::uint64_t at = cursor[base + source_at(i) * stride]++;
      targets[at] = t;
      if constexpr (kWriteProjection) projections[at] = {p};
    }
  }

  // One read of the rows, in parts of about equal edges: each edge's projection
  // written (kDerive: from its target's population), each projection's
  // out-degree statistics, each delay group's targets-distinct flag.
  template <bool kDerive>
  void read_rows() {
    const std::size_t projections = t_.projections.size();
    const std::uint64_t parts = blocks();
    const std::uint64_t flags_per_part = group_index_.back();
    std::vector<DegreeSum> out_sums(parts * projections);
    std::vector<char> distinct(parts * flags_per_part, 1);
    const auto rows = std::span<const std::uint64_t>(t_.graph.m_forward.m_rowstart);
    const NodeId* targets = t_.graph.m_forward.m_column.data();
    EdgeData* edges = t_.graph.m_forward.m_edge_properties.data();
    const std::uint64_t total = rows.back();
    for_each_index(arena(), parts, [&](std::uint64_t part) {
      StopCheck stop(stop_);
      // The nodes whose rows start in this part's share of the edges.
      auto first_node = [&](std::uint64_t k) {
        if (k == 0) return NodeId{0};
        if (k == parts) return t_.node_count;
        const std::uint64_t edge = total / parts * k + std::min(k, total % parts);
        return static_cast<NodeId>(std::lower_bound(rows.begin(), rows.end() - 1, edge) - rows.begin());
      };
      const NodeId begin = first_node(part), end = first_node(part + 1);
      DegreeSum* out_sum = out_sums.data() + part * projections;
      char* flags = distinct.data() + part * flags_per_part;
      std::vector<std::uint32_t> count(projections, 0);
      std::vector<std::uint16_t> touched;
      for (NodeId n = begin; n < end; ++n) {
        stop.tick(1 + static_cast<std::int64_t>((rows[n + 1] - rows[n]) / 16));
        const std::uint16_t pop_index = t_.node_population[n];
        const PopulationTable& pop = t_.populations[pop_index];
        const std::uint64_t groups = pop.group_delays_ms.size();
        std::uint64_t e = rows[n];
        for (std::uint64_t g = 0; g < groups; ++g) {
          const std::uint64_t group_end = t_.group_end[pop.group_base + (n - pop.first) * groups + g];
          const std::uint64_t group_index = group_index_[pop_index] + g;
          if (!kDerive || may_repeat_[group_index]) {
            bool repeats = false;
            for (std::uint64_t i = e + 1; i < group_end; ++i) repeats |= targets[i] <= targets[i - 1];
            if (repeats) flags[group_index] = 0;
          }
          if constexpr (kDerive) {
            // Targets ascend and each projection of the group reaches a
            // population of its own: its edges are the run of targets inside
            // that population, its end found by binary search. (Runs, not the
            // group's projections, are walked: a group can have thousands of
            // projections and most rows a few edges.)
            const std::vector<GroupTarget>& list = group_targets_[group_index];
            while (e < group_end) {
              const std::uint16_t target_pop = t_.node_population[targets[e]];
              const std::uint16_t p = std::lower_bound(list.begin(), list.end(), GroupTarget{target_pop, 0})->projection;
              const PopulationTable& tp = t_.populations[target_pop];
              const auto run_end =
                  static_cast<std::uint64_t>(std::lower_bound(targets + e, targets + group_end, tp.first + tp.size) - targets);
              std::fill(edges + e, edges + run_end, EdgeData{p});
              add_out_degree(out_sum, p, n - pop.first, run_end - e);  // a projection has one group: one run per node
              e = run_end;
            }
          } else {
            for (; e < group_end; ++e) {
              const std::uint16_t p = edges[e].projection;
              if (count[p]++ == 0) touched.push_back(p);
            }
          }
        }
        for (const std::uint16_t p : touched) {
          add_out_degree(out_sum, p, n - pop.first, count[p]);
          count[p] = 0;
        }
        touched.clear();
      }
    });
    for (std::size_t i = 0; i < t_.populations.size(); ++i) {
      PopulationTable& pop = t_.populations[i];
      pop.group_targets_distinct.assign(pop.group_delays_ms.size(), true);
      for (std::uint64_t part = 0; part < parts; ++part)
        for (std::size_t g = 0; g < pop.group_delays_ms.size(); ++g)
          if (!distinct[part * flags_per_part + group_index_[i] + g]) pop.group_targets_distinct[g] = false;
    }
    for (std::size_t p = 0; p < projections; ++p) {
      ProjectionTable& pt = t_.projections[p];
      if (!pt.delivers_spikes) continue;
      DegreeSum in, out;
      for (std::uint64_t part = 0; part < parts; ++part) {
        in.merge(in_sums_[part * projections + p]);
        out.merge(out_sums[part * projections + p]);
      }
      const ProjectionSpec& ps = t_.spec.projections[p];
      pt.edges = in.sum;
      pt.in_degree = in.stats(t_.populations[ps.target].size);
      pt.out_degree = out.stats(t_.populations[ps.source].size);  // a part's: set by reduce_over_ranks
      if (t_.part != nullptr) part_in_[p] = in;
    }
    std::vector<DegreeSum>().swap(in_sums_);
  }

  // Source `local` (index in its population) has `degree` edges of projection p
  // here: into the part's sums, or the whole network's statistics.
  void add_out_degree(DegreeSum* out_sum, std::uint16_t p, std::uint64_t local, std::uint64_t degree) {
    if (t_.part != nullptr)
      out_degrees_[out_base_[p] + local] = degree;
    else
      out_sum[p].add(degree);
  }

  // Independent-train projections: drawn once, for the in-degree of every
  // target (kept: the rate of its merged train) and the degree statistics.
  // Each thread counts its targets' sources in its own array; the arrays are
  // summed (integer sums: the same whatever thread drew what).
  void draw_independent() {
    if (independent_.empty()) return;
    std::uint64_t largest_source = 0;
    for (const std::size_t p : independent_)
      largest_source = std::max<std::uint64_t>(largest_source, t_.populations[t_.spec.projections[p].source].size);
    struct Counts {
      std::vector<std::uint32_t> out;
      std::vector<std::uint32_t> touched;
      SamplerScratch scratch;  // one per thread for every projection (connect.h)
    };
    tbb::enumerable_thread_specific<Counts> local(
        [&] { return Counts{std::vector<std::uint32_t>(largest_source, 0), {}, {}}; });
    std::vector<std::uint32_t> total(largest_source, 0);
    std::vector<std::uint32_t> touched;
    for (const std::size_t p : independent_) {
      const ProjectionSpec& ps = t_.spec.projections[p];
      const PopulationTable& src = t_.populations[ps.source];
      const PopulationTable& tgt = t_.populations[ps.target];
      std::vector<std::uint32_t>& in_deg = t_.in_degrees[p];
      in_deg.assign(tgt.size, 0);
      // The targets drawn, [first, first + drawn) in the population (a part's only).
      const std::uint64_t first = drawn_targets(tgt).first - tgt.first, drawn = drawn_count(tgt);
      const std::uint64_t parts = threads_ > 1 ? std::min<std::uint64_t>(kBlocksPerThread * threads_, drawn) : 1;
      for_each_index(arena(), parts, [&](std::uint64_t part) {
        StopCheck stop(stop_);
        Counts& c = local.local();
        SourceSampler sampler(ps, src.size, ps.source == ps.target, c.scratch, &stop);
        std::vector<std::uint32_t> sources;
        const std::uint64_t end = first + drawn * (part + 1) / parts;
        for (std::uint64_t t = first + drawn * part / parts; t < end; ++t) {
          stop.tick();
          RngStream rng(t_.spec.seed, t_.trial, Purpose::Connectivity, p, t);
          sampler.draw(t, rng, sources);
          in_deg[t] = static_cast<std::uint32_t>(sources.size());
          for (const std::uint32_t s : sources)
            if (c.out[s]++ == 0) c.touched.push_back(s);
        }
      });
      StopCheck stop(stop_);
      touched.clear();
      for (Counts& c : local) {
        for (const std::uint32_t s : c.touched) {
          stop.tick();
          if (total[s] == 0) touched.push_back(s);
          total[s] += c.out[s];
          c.out[s] = 0;
        }
        c.touched.clear();
      }
      DegreeSum in, out;
      for (std::uint64_t t = first; t < first + drawn; ++t) in.add(in_deg[t]);
      for (const std::uint32_t s : touched) {
        if (t_.part != nullptr)
          out_degrees_[out_base_[p] + s] = total[s];
        else
          out.add(total[s]);
        total[s] = 0;
      }
      ProjectionTable& pt = t_.projections[p];
      pt.edges = in.sum;
      pt.in_degree = in.stats(tgt.size);
      pt.out_degree = out.stats(src.size);  // a part's: set by reduce_over_ranks
      if (t_.part != nullptr) part_in_[p] = in;
    }
  }

  // A part, after every process drew its own: the whole network's projection
  // tables, targets-distinct flags and slot edge counts, from the sums (and
  // maxima) over the processes. Collective; every process gets the same.
  void reduce_over_ranks(bool stopped) {
    const NetworkPart& part = *t_.part;
    std::vector<std::uint64_t> stops{stopped ? 1u : 0u};
    part.sum_over_ranks(stops);
    if (stops[0] != 0) throw Stopped();
    // Sums, one vector: out-degrees per (projection, source) (already in
    // place), edges per slot, per delay group whether a row repeats a target,
    // per projection the in-degree sum and the targets counted.
    const std::size_t projections = t_.projections.size();
    const std::uint64_t groups = group_index_.back();
    const std::uint64_t slots_at = out_degrees_.size(), groups_at = slots_at + slots_, in_at = groups_at + groups;
    std::vector<std::uint64_t> sums = std::move(out_degrees_);
    sums.resize(in_at + 2 * projections, 0);
    for (std::uint64_t slot = 0; slot < slots_; ++slot)
      sums[slots_at + slot] = t_.group_end[slot] - (slot == 0 ? 0 : t_.group_end[slot - 1]);
    for (std::size_t i = 0; i < t_.populations.size(); ++i)
      for (std::size_t g = 0; g < t_.populations[i].group_delays_ms.size(); ++g)
        sums[groups_at + group_index_[i] + g] = t_.populations[i].group_targets_distinct[g] ? 0 : 1;
    // Maxima: per projection the largest in-degree and the complement of the smallest.
    std::vector<std::uint64_t> maxima(2 * projections, 0);
    for (std::size_t p = 0; p < projections; ++p) {
      sums[in_at + 2 * p] = part_in_[p].sum;
      sums[in_at + 2 * p + 1] = part_in_[p].nodes;
      maxima[2 * p] = part_in_[p].max;
      maxima[2 * p + 1] = ~part_in_[p].min;
    }
    part.sum_over_ranks(sums);
    part.max_over_ranks(maxima);

    t_.group_edges_all_ranks.resize(slots_);
    for (std::uint64_t slot = 0; slot < slots_; ++slot) {
      const std::uint64_t edges = sums[slots_at + slot];
      if (edges > std::numeric_limits<std::uint32_t>::max())
        throw Error("a source's delay group has " + std::to_string(edges) +
                    " edges: more than 2^32 - 1 cannot be split over processes");
      t_.group_edges_all_ranks[slot] = static_cast<std::uint32_t>(edges);
    }
    for (std::size_t i = 0; i < t_.populations.size(); ++i)
      for (std::size_t g = 0; g < t_.populations[i].group_delays_ms.size(); ++g)
        t_.populations[i].group_targets_distinct[g] = sums[groups_at + group_index_[i] + g] == 0;
    for (std::size_t p = 0; p < projections; ++p) {
      const ProjectionSpec& ps = t_.spec.projections[p];
      const PopulationTable& src = t_.populations[ps.source];
      DegreeSum in, out;
      in.sum = sums[in_at + 2 * p];
      in.nodes = sums[in_at + 2 * p + 1];
      in.max = maxima[2 * p];
      in.min = ~maxima[2 * p + 1];
      for (std::uint64_t s = 0; s < src.size; ++s) out.add(sums[out_base_[p] + s]);
      ProjectionTable& pt = t_.projections[p];
      pt.edges = in.sum;
      pt.in_degree = in.stats(t_.populations[ps.target].size);
      pt.out_degree = out.stats(src.size);
    }
  }

  Tables t_;
  unsigned threads_;
  const std::atomic<bool>* stop_;
  std::optional<tbb::task_arena> arena_;
  std::uint64_t slots_ = 0;
  std::vector<std::uint64_t> group_index_;  // per population: index of its first delay group among all groups
  std::vector<std::vector<GroupTarget>> group_targets_;  // per delay group
  std::vector<bool> may_repeat_;                          // per delay group: a multapse projection in it
  bool derive_projections_ = true;
  std::vector<std::vector<Incoming>> incoming_;  // per population
  std::vector<std::size_t> independent_;
  std::vector<NodeId> block_begin_;       // blocks + 1 node ids
  std::vector<std::uint64_t> kept_begin_;  // blocks + 1: where each block's kept draws start
  std::vector<std::uint64_t> wide_begin_;
  std::vector<std::uint64_t> cursors_;    // per block and slot: a count, then a write cursor
  std::vector<DegreeSum> in_sums_;        // per block and projection
  std::vector<std::uint64_t> row_start_;
  std::vector<NodeId> targets_;
  std::vector<EdgeData> edge_projections_;  // first the kept draws' bits 0..15
  std::vector<std::uint8_t> wide_;          // the kept draws' bits 16..23
  // A part's figures for reduce_over_ranks: per projection, where its sources'
  // out-degrees start in out_degrees_ (one more entry: the end), and its
  // in-degree sums over the part's targets.
  std::vector<std::uint64_t> out_base_;
  std::vector<std::uint64_t> out_degrees_;
  std::vector<DegreeSum> part_in_;
};

}  // namespace

std::uint64_t build_block_bytes_bound(std::uint64_t slots, std::uint64_t projections, double expected_edges) {
  // In doubles: the memory estimate passes counts too large to build, and must
  // get a huge number back, not a wrapped one.
  const double one_block = static_cast<double>(slots) * sizeof(std::uint64_t) +
                           static_cast<double>(projections) * 2 * sizeof(DegreeSum);
  const double bound = std::max({one_block, kMinBlockBudgetBytes, kBlockBytesPerEdge * expected_edges});
  return bound < 1.8e19 ? static_cast<std::uint64_t>(bound) : std::numeric_limits<std::uint64_t>::max();
}

std::uint64_t build_block_count(unsigned threads, std::uint64_t slots, std::uint64_t projections,
                                double expected_edges, std::uint64_t nodes) {
  if (threads <= 1) return 1;
  const double budget = std::max(kMinBlockBudgetBytes, kBlockBytesPerEdge * expected_edges);
  const double fit = std::floor(budget / static_cast<double>(block_bytes(slots, projections)));
  const double wanted = static_cast<double>(kBlocksPerThread * threads);
  return static_cast<std::uint64_t>(std::max(1.0, std::min({fit, wanted, static_cast<double>(std::max<std::uint64_t>(nodes, 1))})));
}

void ConnectivityBuilder::build() {
  const unsigned threads = threads_ == 0 ? static_cast<unsigned>(tbb::info::default_concurrency()) : threads_;
  Tables t{net_.spec_,       net_.connectivity_trial_, net_.node_count_,           net_.populations_,
           net_.projections_, net_.node_population_,    net_.graph_,                net_.group_end_,
           net_.in_degrees_,  net_.stored_targets_begin_, net_.stored_targets_end_, part_,
           net_.group_edges_all_ranks_};
  t.in_degrees.resize(t.spec.projections.size());
  Build(t, threads, stop_).run();
}

}  // namespace spikeq
