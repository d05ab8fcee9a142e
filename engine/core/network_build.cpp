#include "engine/core/network_build.h"

#include <sys/mman.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>

#include "engine/core/connect.h"
#include "engine/core/rng.h"
#include "engine/core/stop_check.h"

namespace spikeq {
namespace {

// More blocks than threads let a thread that finishes early (or was not
// descheduled by another process) take another block.
constexpr std::uint64_t kBlocksPerThread = 4;
// Blocks beyond the first cost 8 bytes per slot each: allowed while they fit in
// a quarter byte per edge (or 1 MiB for small networks).
constexpr double kBlockBytesPerEdge = 0.25;
constexpr double kMinBlockBudgetBytes = 1 << 20;

// Degree statistics accumulated over nodes, mergeable in any order (min, max
// and integer sums), so blocks give the same statistics however they are split.
struct DegreeSum {
  std::uint64_t min = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t max = 0;
  std::uint64_t sum = 0;
  std::uint64_t nodes = 0;  // nodes added
  void add(std::uint64_t degree) {
    min = std::min(min, degree);
    max = std::max(max, degree);
    sum += degree;
    ++nodes;
  }
  void merge(const DegreeSum& o) {
    min = std::min(min, o.min);
    max = std::max(max, o.max);
    sum += o.sum;
    nodes += o.nodes;
  }
  // Over `size` nodes; those never added had degree 0.
  DegreeStats stats(std::uint64_t size) const {
    DegreeStats s;
    if (size == 0) return s;
    s.max = max;
    s.min = nodes < size ? 0 : min;
    s.mean = static_cast<double>(sum) / static_cast<double>(size);
    return s;
  }
};

// Sizes `v` to n elements (zeros) on 2 MiB pages where the kernel allows it
// (transparent huge pages in "madvise" or "always" mode; else this is a plain
// resize). The place pass writes edges in target order into ~N rows at once:
// on 4 KiB pages nearly every write misses the TLB, and a page walk is costly
// (twice so in a virtual machine).
template <class T>
void resize_on_huge_pages(std::vector<T>& v, std::size_t n) {
  v.reserve(n);
  constexpr std::uintptr_t kHuge = std::uintptr_t{2} << 20;
  const auto begin = reinterpret_cast<std::uintptr_t>(v.data());
  const std::uintptr_t lo = (begin + kHuge - 1) & ~(kHuge - 1);
  const std::uintptr_t hi = (begin + n * sizeof(T)) & ~(kHuge - 1);
  if (hi > lo) madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE);  // advice only: ignore failure
  v.resize(n);
}

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
};

// Runs fn(0..count-1), on the arena's threads when there is one. Every index
// writes only its own data, so the order and the thread do not matter.
template <class Fn>
void for_each_index(tbb::task_arena* arena, std::uint64_t count, const Fn& fn) {
  if (arena == nullptr || count <= 1) {
    for (std::uint64_t i = 0; i < count; ++i) fn(i);
    return;
  }
  arena->execute([&] {
    tbb::parallel_for(tbb::blocked_range<std::uint64_t>(0, count, 1), [&](const tbb::blocked_range<std::uint64_t>& r) {
      for (std::uint64_t i = r.begin(); i != r.end(); ++i) fn(i);
    });
  });
}

class Build {
 public:
  Build(Tables t, unsigned threads, const std::atomic<bool>* stop) : t_(t), threads_(threads), stop_(stop) {
    if (threads_ > 1) arena_.emplace(static_cast<int>(threads_));
    for (std::uint64_t i = 0; i < t_.populations.size(); ++i) slots_ = std::max(slots_, end_slot(i));
  }

  void run() {
    plan();
    count_pass();
    lay_out_rows();
    place_pass();
    read_rows();
    draw_independent();
  }

 private:
  std::uint64_t end_slot(std::size_t pop) const {
    const PopulationTable& p = t_.populations[pop];
    return p.group_base + std::uint64_t{p.size} * p.group_delays_ms.size();
  }
  tbb::task_arena* arena() { return arena_ ? &*arena_ : nullptr; }

  // Incoming projections per population, blocks of targets of about equal work.
  void plan() {
    const std::size_t pops = t_.populations.size();
    incoming_.resize(pops);
    std::vector<double> work_per_node(pops, 1.0);  // 1: the per-target overhead
    double expected_edges = 0;
    for (std::size_t p = 0; p < t_.spec.projections.size(); ++p) {
      const ProjectionSpec& ps = t_.spec.projections[p];
      if (!t_.projections[p].delivers_spikes) {
        independent_.push_back(p);
        continue;
      }
      const PopulationTable& src = t_.populations[ps.source];
      incoming_[ps.target].push_back({p, src.size, ps.source == ps.target,
                                      src.group_base + t_.projections[p].delay_group, src.group_delays_ms.size()});
      const double k = expected_indegree(ps, src.size, ps.source == ps.target);
      work_per_node[ps.target] += k;
      expected_edges += k * static_cast<double>(t_.populations[ps.target].size);
    }
    const std::uint64_t blocks = build_block_count(threads_, slots_, t_.projections.size(), expected_edges,
                                                   t_.node_count);
    // Block b starts where the cumulative work reaches b/blocks of the total.
    double total = 0;
    for (std::size_t i = 0; i < pops; ++i) total += work_per_node[i] * t_.populations[i].size;
    block_begin_.assign(blocks + 1, t_.node_count);
    block_begin_[0] = 0;
    double before = 0;  // work of the populations before i
    std::uint64_t b = 1;
    for (std::size_t i = 0; i < pops && b < blocks; ++i) {
      const PopulationTable& pop = t_.populations[i];
      const double w = work_per_node[i];
      while (b < blocks && before + w * pop.size >= total * static_cast<double>(b) / static_cast<double>(blocks)) {
        const double into = std::ceil((total * static_cast<double>(b) / static_cast<double>(blocks) - before) / w);
        const auto offset = static_cast<NodeId>(std::clamp(into, 0.0, static_cast<double>(pop.size)));
        block_begin_[b] = std::max(block_begin_[b - 1], pop.first + offset);
        ++b;
      }
      before += w * pop.size;
    }
    cursors_.assign(blocks * slots_, 0);
    in_sums_.assign(blocks * t_.projections.size(), DegreeSum{});
  }

  std::uint64_t blocks() const { return block_begin_.size() - 1; }

  // Visits block b's targets in ascending order and, per target, its incoming
  // spike-delivering projections in netdef order: on_sources(incoming, target,
  // sources) with the local source indices drawn from the (projection, target)
  // stream. The same calls, in the same order, every time it is run.
  template <class OnSources>
  void draw_block(std::uint64_t b, StopCheck& stop, const OnSources& on_sources) {
    const NodeId begin = block_begin_[b], end = block_begin_[b + 1];
    std::vector<std::uint32_t> sources;
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
        const std::uint64_t local = t - pop.first;
        for (std::size_t k = 0; k < in.size(); ++k) {
          RngStream rng(t_.spec.seed, t_.trial, Purpose::Connectivity, in[k].projection, local);
          samplers[k].draw(local, rng, sources);
          on_sources(in[k], t, sources);
        }
      }
      seg = seg_end;
    }
  }

  // Pass 1: per block, the in-degree sums and the edges per slot.
  void count_pass() {
    for_each_index(arena(), blocks(), [&](std::uint64_t b) {
      StopCheck stop(stop_);
      std::uint64_t* count = cursors_.data() + b * slots_;
      DegreeSum* in_sum = in_sums_.data() + b * t_.projections.size();
      draw_block(b, stop, [&](const Incoming& in, NodeId, const std::vector<std::uint32_t>& sources) {
        in_sum[in.projection].add(sources.size());
        for (const std::uint32_t s : sources) ++count[in.slot_base + s * in.slot_stride];
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
    resize_on_huge_pages(edge_projections_, at);
  }

  // Pass 2: the same draws, each edge written at its slot's cursor.
  void place_pass() {
    for_each_index(arena(), blocks(), [&](std::uint64_t b) {
      StopCheck stop(stop_);
      std::uint64_t* cursor = cursors_.data() + b * slots_;
      NodeId* targets = targets_.data();
      EdgeData* projections = edge_projections_.data();
      draw_block(b, stop, [&](const Incoming& in, NodeId t, const std::vector<std::uint32_t>& sources) {
        const auto p = static_cast<std::uint16_t>(in.projection);
        for (const std::uint32_t s : sources) {
          const std::uint64_t at = cursor[in.slot_base + s * in.slot_stride]++;
          targets[at] = t;
          projections[at] = {p};
        }
      });
    });
    std::vector<std::uint64_t>().swap(cursors_);
    ConnectivityGraph& g = t_.graph;
    g.m_forward.m_rowstart = std::move(row_start_);
    g.m_forward.m_column = std::move(targets_);
    g.m_forward.m_edge_properties = std::move(edge_projections_);
  }

  // One read of the rows, in blocks of about equal edges: each projection's
  // out-degree statistics, each delay group's targets-distinct flag.
  void read_rows() {
    const std::size_t projections = t_.projections.size();
    std::vector<std::uint64_t> flag_base(t_.populations.size() + 1, 0);  // per population, its groups' flags
    for (std::size_t i = 0; i < t_.populations.size(); ++i)
      flag_base[i + 1] = flag_base[i] + t_.populations[i].group_delays_ms.size();
    const std::uint64_t parts = blocks();
    std::vector<DegreeSum> out_sums(parts * projections);
    std::vector<char> distinct(parts * flag_base.back(), 1);
    const auto rows = std::span<const std::uint64_t>(t_.graph.m_forward.m_rowstart);
    const NodeId* targets = t_.graph.m_forward.m_column.data();
    const EdgeData* edges = t_.graph.m_forward.m_edge_properties.data();
    const std::uint64_t total = rows.back();
    for_each_index(arena(), parts, [&](std::uint64_t part) {
      StopCheck stop(stop_);
      // Nodes whose rows start in this part's share of the edges.
      auto first_node = [&](std::uint64_t k) {
        if (k == parts) return t_.node_count;
        const std::uint64_t edge = total / parts * k + std::min(k, total % parts);
        return static_cast<NodeId>(std::lower_bound(rows.begin(), rows.end() - 1, edge) - rows.begin());
      };
      const NodeId begin = part == 0 ? 0 : first_node(part), end = first_node(part + 1);
      DegreeSum* out_sum = out_sums.data() + part * projections;
      char* flags = distinct.data() + part * flag_base.back();
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
          char& flag = flags[flag_base[pop_index] + g];
          for (const std::uint64_t begin_e = e; e < group_end; ++e) {
            const std::uint16_t p = edges[e].projection;
            if (count[p]++ == 0) touched.push_back(p);
            if (e > begin_e && targets[e] <= targets[e - 1]) flag = 0;
          }
        }
        for (const std::uint16_t p : touched) {
          out_sum[p].add(count[p]);
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
          if (!distinct[part * flag_base.back() + flag_base[i] + g]) pop.group_targets_distinct[g] = false;
    }
    for (std::size_t p = 0; p < projections; ++p) {
      ProjectionTable& pt = t_.projections[p];
      if (!pt.delivers_spikes) continue;
      DegreeSum in, out;
      for (std::uint64_t b = 0; b < parts; ++b) {
        in.merge(in_sums_[b * projections + p]);
        out.merge(out_sums[part_index(b, p)]);
      }
      const ProjectionSpec& ps = t_.spec.projections[p];
      pt.edges = in.sum;
      pt.in_degree = in.stats(t_.populations[ps.target].size);
      pt.out_degree = out.stats(t_.populations[ps.source].size);
    }
    std::vector<DegreeSum>().swap(in_sums_);
  }
  std::uint64_t part_index(std::uint64_t part, std::size_t p) const { return part * t_.projections.size() + p; }

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
    };
    tbb::enumerable_thread_specific<Counts> local([&] { return Counts{std::vector<std::uint32_t>(largest_source, 0), {}}; });
    std::vector<std::uint32_t> total(largest_source, 0);
    std::vector<std::uint32_t> touched;
    for (const std::size_t p : independent_) {
      const ProjectionSpec& ps = t_.spec.projections[p];
      const PopulationTable& src = t_.populations[ps.source];
      const PopulationTable& tgt = t_.populations[ps.target];
      std::vector<std::uint32_t>& in_deg = t_.in_degrees[p];
      in_deg.assign(tgt.size, 0);
      const std::uint64_t parts = threads_ > 1 ? std::min<std::uint64_t>(kBlocksPerThread * threads_, tgt.size) : 1;
      for_each_index(arena(), parts, [&](std::uint64_t part) {
        StopCheck stop(stop_);
        Counts& c = local.local();
        SamplerScratch scratch;
        SourceSampler sampler(ps, src.size, ps.source == ps.target, scratch, &stop);
        std::vector<std::uint32_t> sources;
        const std::uint64_t end = tgt.size * (part + 1) / parts;
        for (std::uint64_t t = tgt.size * part / parts; t < end; ++t) {
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
      for (const std::uint32_t d : in_deg) in.add(d);
      for (const std::uint32_t s : touched) {
        out.add(total[s]);
        total[s] = 0;
      }
      ProjectionTable& pt = t_.projections[p];
      pt.edges = in.sum;
      pt.in_degree = in.stats(tgt.size);
      pt.out_degree = out.stats(src.size);
    }
  }

  Tables t_;
  unsigned threads_;
  const std::atomic<bool>* stop_;
  std::optional<tbb::task_arena> arena_;
  std::uint64_t slots_ = 0;
  std::vector<std::vector<Incoming>> incoming_;
  std::vector<std::size_t> independent_;
  std::vector<NodeId> block_begin_;           // blocks + 1 node ids
  std::vector<std::uint64_t> cursors_;        // per block and slot: a count, then a write cursor
  std::vector<DegreeSum> in_sums_;            // per block and projection
  std::vector<std::uint64_t> row_start_;
  std::vector<NodeId> targets_;
  std::vector<EdgeData> edge_projections_;
};

}  // namespace

std::uint64_t build_block_bytes_bound(std::uint64_t slots, std::uint64_t projections, double expected_edges) {
  const double budget = std::max(kMinBlockBudgetBytes, kBlockBytesPerEdge * expected_edges);
  return std::max<std::uint64_t>(block_bytes(slots, projections), static_cast<std::uint64_t>(std::min(budget, 1.8e19)));
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
  Tables t{net_.spec_,     net_.connectivity_trial_, net_.node_count_, net_.populations_, net_.projections_,
           net_.node_population_, net_.graph_, net_.group_end_, net_.in_degrees_};
  t.in_degrees.resize(t.spec.projections.size());
  Build(t, threads, stop_).run();
}

}  // namespace spikeq
