// Graph building: exact in-degrees, autapse/multapse rules, determinism in the seed,
// and the delivery layout (rows grouped by delay, targets ascending).
#include <catch2/catch.hpp>

#include <set>

#include "engine/core/network.h"
#include "spec_builders.h"

using namespace spikeq;
using namespace spikeq::test;

namespace {

NetworkSpec recurrent_spec(std::uint64_t seed, bool autapses, bool multapses, std::uint64_t indegree) {
  auto p = projection(0, 0, RuleKind::FixedIndegree, 0.1, 1.5);
  p.indegree = indegree;
  p.allow_autapses = autapses;
  p.allow_multapses = multapses;
  auto q = projection(0, 1, RuleKind::FixedIndegree, -0.5, 2.0);
  q.indegree = indegree / 2;
  return network({lif_population("e", 300), lif_population("i", 100)}, {p, q}, 100, seed);
}

// FNV-1a over the edge list in graph order: any change of source, target or
// projection of any edge changes it.
std::uint64_t edge_hash(const Network& net) {
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&](std::uint64_t x) {
    for (int i = 0; i < 8; ++i) {
      h ^= (x >> (8 * i)) & 0xff;
      h *= 1099511628211ull;
    }
  };
  const auto rows = net.row_starts();
  for (NodeId s = 0; s < net.node_count(); ++s)
    for (std::uint64_t e = rows[s]; e < rows[s + 1]; ++e) {
      mix(s);
      mix(net.targets()[e]);
      mix(net.edge_projections()[e].projection);
    }
  return h;
}

std::vector<std::multiset<NodeId>> sources_by_target(const Network& net, std::uint16_t projection) {
  std::vector<std::multiset<NodeId>> in(net.node_count());
  const auto rows = net.row_starts();
  for (NodeId s = 0; s < net.node_count(); ++s)
    for (std::uint64_t e = rows[s]; e < rows[s + 1]; ++e)
      if (net.edge_projections()[e].projection == projection) in[net.targets()[e]].insert(s);
  return in;
}

}  // namespace

TEST_CASE("fixed_indegree gives every target exactly indegree edges, no autapses or multapses") {
  const Network net(recurrent_spec(7, false, false, 80));
  const auto in = sources_by_target(net, 0);
  for (NodeId t = 0; t < 300; ++t) {
    REQUIRE(in[t].size() == 80);
    REQUIRE(in[t].count(t) == 0);  // no autapse
    REQUIRE(std::set<NodeId>(in[t].begin(), in[t].end()).size() == 80);  // no multapse
  }
  const auto in_i = sources_by_target(net, 1);
  for (NodeId t = 300; t < 400; ++t) REQUIRE(in_i[t].size() == 40);
  CHECK(net.projections()[0].edges == 300 * 80);
  CHECK(net.projections()[0].in_degree.min == 80);
  CHECK(net.projections()[0].in_degree.max == 80);
}

TEST_CASE("fixed_indegree equal to the eligible sources connects to all of them") {
  const Network net(recurrent_spec(3, false, false, 299));
  const auto in = sources_by_target(net, 0);
  for (NodeId t = 0; t < 300; ++t) {
    REQUIRE(in[t].size() == 299);
    REQUIRE(in[t].count(t) == 0);
  }
}

TEST_CASE("multapses and autapses appear when allowed") {
  const Network net(recurrent_spec(5, true, true, 200));
  const auto in = sources_by_target(net, 0);
  std::size_t autapses = 0, duplicated_targets = 0;
  for (NodeId t = 0; t < 300; ++t) {
    REQUIRE(in[t].size() == 200);
    autapses += in[t].count(t);
    if (std::set<NodeId>(in[t].begin(), in[t].end()).size() < 200) ++duplicated_targets;
  }
  // 200 draws from 300 with replacement: P(no repeat) is astronomically small and the
  // expected autapse count is 300 * 200/300 = 200.
  CHECK(duplicated_targets == 300);
  CHECK(autapses > 100);
}

TEST_CASE("the same seed gives the same edges, another seed different ones") {
  const std::uint64_t a = edge_hash(Network(recurrent_spec(11, false, false, 50)));
  const std::uint64_t b = edge_hash(Network(recurrent_spec(11, false, false, 50)));
  const std::uint64_t c = edge_hash(Network(recurrent_spec(12, false, false, 50)));
  CHECK(a == b);
  CHECK(a != c);
}

TEST_CASE("rows are grouped by delay, targets ascending within a projection") {
  const Network net(recurrent_spec(1, false, false, 30));
  const auto& pop = net.populations()[0];
  REQUIRE(pop.group_delays_ms == std::vector<double>{1.5, 2.0});
  for (NodeId s = 0; s < 300; ++s) {
    for (std::size_t g = 0; g < 2; ++g) {
      for (std::uint64_t e = net.group_begin(s, g); e < net.group_end(s, g); ++e) {
        REQUIRE(net.edge_projections()[e].projection == g);  // projection g has delay group g here
        if (e > net.group_begin(s, g)) REQUIRE(net.targets()[e - 1] <= net.targets()[e]);
      }
    }
    REQUIRE(net.group_end(s, 1) == net.row_starts()[s + 1]);
  }
}

TEST_CASE("one_to_one, all_to_all and pairwise_bernoulli") {
  auto one = projection(0, 1, RuleKind::OneToOne, 1, 1);
  auto all = projection(0, 1, RuleKind::AllToAll, 1, 1);
  auto all_self = projection(1, 1, RuleKind::AllToAll, 1, 1);
  auto bern = projection(0, 1, RuleKind::PairwiseBernoulli, 1, 1);
  bern.p = 0.25;
  const Network net(network({lif_population("a", 400), lif_population("b", 400)}, {one, all, all_self, bern}));
  CHECK(net.projections()[0].edges == 400);
  const auto in = sources_by_target(net, 0);
  for (NodeId t = 400; t < 800; ++t) REQUIRE(in[t] == std::multiset<NodeId>{t - 400});
  CHECK(net.projections()[1].edges == 400 * 400);
  CHECK(net.projections()[2].edges == 400 * 399);  // no autapses by default
  // Bernoulli: edges ~ Binomial(160000, 0.25): mean 40000, SE sqrt(160000*0.25*0.75) ≈ 173; allow 5 SE.
  CHECK(std::abs(static_cast<double>(net.projections()[3].edges) - 40000.0) < 5 * 173.2);
}

TEST_CASE("an edge costs at most 8 bytes for homogeneous projections") {
  CHECK(sizeof(NodeId) + sizeof(EdgeData) <= 8);
}
