// The two-pass build (engine/core/network_build.h): the graph it writes is the
// one a plain "draw everything, then sort" build gives, row order included, and
// it is identical for every thread count. The sampler's draws are those of a
// full Fisher–Yates pool.
#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>
#include <tuple>

#include "engine/core/connect.h"
#include "engine/core/network.h"
#include "build_specs.h"
#include "spec_builders.h"

using namespace spikeq;
using namespace spikeq::test;

namespace {

NetworkSpec spec_named(const std::string& name, std::uint64_t seed) {
  return name == "mixed" ? mixed_spec(seed) : kept_draws_spec(seed);
}

struct Edge {
  NodeId source, target;
  std::uint16_t projection;
  bool operator==(const Edge&) const = default;
};

// The reference: every (projection, target)'s draws in one list, then a stable
// sort into rows by (source, delay group, target, projection): draw order is
// kept for equal keys (multapses).
std::vector<Edge> reference_edges(const Network& net) {
  const NetworkSpec& spec = net.spec();
  std::vector<Edge> edges;
  SamplerScratch scratch;
  std::vector<std::uint32_t> sources;
  for (std::size_t p = 0; p < spec.projections.size(); ++p) {
    if (!net.projections()[p].delivers_spikes) continue;
    const ProjectionSpec& ps = spec.projections[p];
    const PopulationTable& src = net.populations()[ps.source];
    const PopulationTable& tgt = net.populations()[ps.target];
    SourceSampler sampler(ps, src.size, ps.source == ps.target, scratch);
    for (NodeId t = 0; t < tgt.size; ++t) {
      RngStream rng(spec.seed, net.connectivity_trial(), Purpose::Connectivity, p, t);
      sampler.draw(t, rng, sources);
      for (const std::uint32_t s : sources)
        edges.push_back({src.first + s, tgt.first + t, static_cast<std::uint16_t>(p)});
    }
  }
  auto key = [&](const Edge& e) {
    return std::make_tuple(e.source, net.projections()[e.projection].delay_group, e.target, e.projection);
  };
  std::stable_sort(edges.begin(), edges.end(), [&](const Edge& a, const Edge& b) { return key(a) < key(b); });
  return edges;
}

std::vector<Edge> graph_edges(const Network& net) {
  std::vector<Edge> edges;
  const auto rows = net.row_starts();
  for (NodeId s = 0; s < net.node_count(); ++s)
    for (std::uint64_t e = rows[s]; e < rows[s + 1]; ++e)
      edges.push_back({s, net.targets()[e], net.edge_projections()[e].projection});
  return edges;
}

// Everything a Network holds, compared field by field.
void require_identical(const Network& a, const Network& b) {
  REQUIRE(std::ranges::equal(a.row_starts(), b.row_starts()));
  REQUIRE(std::ranges::equal(a.targets(), b.targets()));
  REQUIRE(std::ranges::equal(a.edge_projections(), b.edge_projections(),
                             [](EdgeData x, EdgeData y) { return x.projection == y.projection; }));
  for (std::size_t i = 0; i < a.populations().size(); ++i) {
    const PopulationTable& pa = a.populations()[i];
    REQUIRE(pa.group_targets_distinct == b.populations()[i].group_targets_distinct);
    for (NodeId n = pa.first; n < pa.first + pa.size; ++n)
      for (std::size_t g = 0; g < pa.group_delays_ms.size(); ++g) REQUIRE(a.group_end(n, g) == b.group_end(n, g));
  }
  for (std::size_t p = 0; p < a.projections().size(); ++p) {
    const ProjectionTable& x = a.projections()[p];
    const ProjectionTable& y = b.projections()[p];
    REQUIRE(x.edges == y.edges);
    REQUIRE(x.in_degree.min == y.in_degree.min);
    REQUIRE(x.in_degree.max == y.in_degree.max);
    REQUIRE(x.in_degree.mean == y.in_degree.mean);
    REQUIRE(x.out_degree.min == y.out_degree.min);
    REQUIRE(x.out_degree.max == y.out_degree.max);
    REQUIRE(x.out_degree.mean == y.out_degree.mean);
    REQUIRE(a.in_degrees(p) == b.in_degrees(p));
  }
}

// The partial Fisher–Yates shuffle over a full pool, as the build drew before
// its pool became shared: the sampler must give exactly these sources.
std::vector<std::uint32_t> full_pool_draw(std::uint64_t n, std::uint64_t k, bool exclude_self, std::uint64_t target,
                                          RngStream& rng) {
  std::vector<std::uint32_t> pool(n);
  std::iota(pool.begin(), pool.end(), 0u);
  if (exclude_self) {
    std::swap(pool[n - 1], pool[target]);
    --n;
  }
  std::vector<std::uint32_t> out;
  for (std::uint64_t i = 0; i < k; ++i) {
    std::swap(pool[i], pool[i + rng.below(n - i)]);
    out.push_back(pool[i]);
  }
  return out;
}

}  // namespace

TEST_CASE("the build writes the rows a draw-then-sort build gives: by group, target, projection, draw order") {
  const std::string name = GENERATE("mixed", "kept draws");
  INFO(name);
  const Network net(spec_named(name, 3));
  const std::vector<Edge> expected = reference_edges(net);
  REQUIRE(expected.size() > 10000);
  REQUIRE(graph_edges(net) == expected);
}

TEST_CASE("every delay-group row is non-decreasing in target, then projection") {
  const std::string name = GENERATE("mixed", "kept draws");
  INFO(name);
  const Network net(spec_named(name, 5));
  std::uint64_t pairs = 0;
  for (const PopulationTable& pop : net.populations())
    for (NodeId s = pop.first; s < pop.first + pop.size; ++s)
      for (std::size_t g = 0; g < pop.group_delays_ms.size(); ++g)
        for (std::uint64_t e = net.group_begin(s, g) + 1; e < net.group_end(s, g); ++e) {
          const auto before = std::make_pair(net.targets()[e - 1], net.edge_projections()[e - 1].projection);
          const auto here = std::make_pair(net.targets()[e], net.edge_projections()[e].projection);
          REQUIRE(before <= here);
          ++pairs;
        }
  REQUIRE(pairs > 10000);
}

TEST_CASE("the graph is identical for every thread count") {
  const std::string name = GENERATE("mixed", "kept draws");
  INFO(name);
  const NetworkSpec spec = spec_named(name, 7);
  const Network serial(spec, 0, nullptr, 1);
  for (const unsigned threads : {2u, 3u, 4u, 7u, 16u}) {
    INFO("threads " << threads);
    require_identical(serial, Network(spec, 0, nullptr, threads));
  }
  require_identical(serial, Network(spec, 0, nullptr, 0));  // 0: every core
}

TEST_CASE("degree statistics match the edges") {
  const std::string name = GENERATE("mixed", "kept draws");
  INFO(name);
  const Network net(spec_named(name, 9), 0, nullptr, 3);
  const std::vector<Edge> edges = graph_edges(net);
  for (std::size_t p = 0; p < net.spec().projections.size(); ++p) {
    if (!net.projections()[p].delivers_spikes) continue;
    const ProjectionSpec& ps = net.spec().projections[p];
    const PopulationTable& src = net.populations()[ps.source];
    const PopulationTable& tgt = net.populations()[ps.target];
    std::vector<std::uint64_t> in(tgt.size, 0), out(src.size, 0);
    std::uint64_t count = 0;
    for (const Edge& e : edges)
      if (e.projection == p) {
        REQUIRE(e.target - tgt.first < tgt.size);
        REQUIRE(e.source - src.first < src.size);
        ++in[e.target - tgt.first];
        ++out[e.source - src.first];
        ++count;
      }
    const ProjectionTable& pt = net.projections()[p];
    INFO("projection " << p);
    CHECK(pt.edges == count);
    CHECK(pt.in_degree.min == *std::min_element(in.begin(), in.end()));
    CHECK(pt.in_degree.max == *std::max_element(in.begin(), in.end()));
    CHECK(pt.out_degree.min == *std::min_element(out.begin(), out.end()));
    CHECK(pt.out_degree.max == *std::max_element(out.begin(), out.end()));
    CHECK(pt.out_degree.mean == Approx(static_cast<double>(count) / src.size));
  }
  if (name != "mixed") return;
  // The group with two projections into one population lists some targets twice.
  CHECK_FALSE(net.populations()[2].group_targets_distinct[0]);
  // One projection without multapses: distinct.
  CHECK(net.populations()[1].group_targets_distinct[0]);
  // Multapses allowed (200 draws of 25 from 400): some row repeats a target.
  CHECK_FALSE(net.populations()[1].group_targets_distinct[1]);
}

TEST_CASE("fixed_indegree without multapses draws what a full Fisher-Yates pool draws, in one shared scratch") {
  SamplerScratch scratch;  // shared by samplers of several sizes, as one build thread shares it
  for (const auto& [n, k, self] : {std::tuple{1000ull, 100ull, true}, std::tuple{37ull, 36ull, true},
                                   std::tuple{5000ull, 999ull, false}, std::tuple{64ull, 64ull, false}}) {
    auto p = projection(0, 0, RuleKind::FixedIndegree, 1, 1);
    p.indegree = k;
    p.allow_autapses = !self;
    SourceSampler sampler(p, n, true, scratch);
    std::vector<std::uint32_t> drawn;
    for (std::uint64_t t = 0; t < std::min<std::uint64_t>(n, 50); ++t) {
      RngStream a(1, 0, Purpose::Connectivity, 4, t), b(1, 0, Purpose::Connectivity, 4, t);
      sampler.draw(t, a, drawn);
      REQUIRE(drawn == full_pool_draw(n, k, self, t, b));
    }
  }
}
