// Parts of a network (engine/core/network.h, "Parts"): R processes each build the
// edges into their own nodes (here R threads, tests/support/local_parts.h). The
// parts' rows, concatenated in rank order, are the whole network's rows; their
// projection tables, targets-distinct flags and whole-network slot counts are
// the whole network's, on every part; a stop on one process stops them all.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <string>
#include <vector>

#include "engine/core/memory_estimate.h"
#include "engine/core/network.h"
#include "engine/core/rank_share.h"
#include "build_specs.h"
#include "local_parts.h"
#include "netdefs/loader.h"
#include "build_specs.h"
#include "spec_builders.h"

using namespace spikeq;
using namespace spikeq::test;

namespace {

// build_specs.h's mixed network and a sparse group (most rows empty on most
// parts), and independent trains with a random in-degree.
NetworkSpec mixed_with_sparse_rows() {
  NetworkSpec spec = mixed_spec(3);
  auto sparse = projection(2, 2, RuleKind::PairwiseBernoulli, 0.1, 4.0);  // ~2 edges per row
  sparse.p = 0.02;
  auto ext_bernoulli = projection(0, 2, RuleKind::PairwiseBernoulli, 0.1, 1.0);  // independent, random in-degree
  ext_bernoulli.p = 0.3;
  spec.projections.push_back(sparse);
  spec.projections.push_back(ext_bernoulli);
  return spec;
}


NetworkSpec netdef(const std::string& name) {
  return load_netdef_file(std::string(SPIKEQ_SOURCE_DIR) + "/netdefs/" + name, {});
}

bool same_stats(const DegreeStats& a, const DegreeStats& b) {
  return a.min == b.min && a.max == b.max && a.mean == b.mean;
}

// Everything a part must agree on with the whole network.
void check_parts(const Network& whole, const std::vector<std::unique_ptr<const Network>>& parts) {
  const unsigned ranks = static_cast<unsigned>(parts.size());
  std::uint64_t stored = 0;
  for (unsigned r = 0; r < ranks; ++r) {
    INFO("rank " << r << " of " << ranks);
    REQUIRE(parts[r] != nullptr);
    const Network& part = *parts[r];
    const RankShare share = rank_share(whole.spec(), r, ranks);
    REQUIRE(part.is_part());
    REQUIRE(part.stored_targets_begin() == share.node_begin);
    REQUIRE(part.stored_targets_end() == share.node_end);
    REQUIRE(part.row_starts().size() == whole.row_starts().size());
    stored += part.stored_edges();
    for (std::size_t i = 0; i < whole.populations().size(); ++i)
      REQUIRE(part.populations()[i].group_targets_distinct == whole.populations()[i].group_targets_distinct);
    for (std::size_t p = 0; p < whole.projections().size(); ++p) {
      INFO("projection " << p);
      const ProjectionTable& x = whole.projections()[p];
      const ProjectionTable& y = part.projections()[p];
      REQUIRE(x.edges == y.edges);
      REQUIRE(same_stats(x.in_degree, y.in_degree));
      REQUIRE(same_stats(x.out_degree, y.out_degree));
      // In-degrees of independent trains: drawn for the part's own targets only.
      const PopulationTable& tgt = whole.populations()[whole.spec().projections[p].target];
      REQUIRE(whole.in_degrees(p).size() == part.in_degrees(p).size());
      for (std::size_t t = 0; t < whole.in_degrees(p).size(); ++t) {
        const bool own = tgt.first + t >= share.node_begin && tgt.first + t < share.node_end;
        REQUIRE(part.in_degrees(p)[t] == (own ? whole.in_degrees(p)[t] : 0));
      }
    }
  }
  REQUIRE(stored == whole.stored_edges());
  // Row by row: the parts' rows in rank order are the whole row, each part's
  // inside its own targets, and every part knows the whole row's size.
  std::vector<NodeId> targets;
  std::vector<std::uint16_t> projections;
  for (const PopulationTable& pop : whole.populations())
    for (NodeId n = pop.first; n < pop.first + pop.size; ++n)
      for (std::size_t g = 0; g < pop.group_delays_ms.size(); ++g) {
        targets.clear();
        projections.clear();
        for (const auto& part : parts) {
          for (std::uint64_t e = part->group_begin(n, g); e < part->group_end(n, g); ++e) {
            const NodeId t = part->targets()[e];
            if (t < part->stored_targets_begin() || t >= part->stored_targets_end()) FAIL("a target outside the part");
            targets.push_back(t);
            projections.push_back(part->edge_projections()[e].projection);
          }
          if (part->group_edges_all_ranks(n, g) != whole.group_end(n, g) - whole.group_begin(n, g))
            FAIL("whole row size of node " << n << " group " << g);
        }
        const auto b = whole.targets().begin() + static_cast<std::ptrdiff_t>(whole.group_begin(n, g));
        const auto e = whole.targets().begin() + static_cast<std::ptrdiff_t>(whole.group_end(n, g));
        if (!std::equal(targets.begin(), targets.end(), b, e)) FAIL("targets of node " << n << " group " << g);
        for (std::uint64_t k = 0; k < projections.size(); ++k)
          if (projections[k] != whole.edge_projections()[whole.group_begin(n, g) + k].projection)
            FAIL("projections of node " << n << " group " << g);
      }
}

}  // namespace

TEST_CASE("parts: the R parts' rows make the whole network's, and every part has its tables, for R = 1, 2, 3, 5") {
  struct Case {
    std::string name;
    NetworkSpec spec;
  };
  std::vector<Case> cases;
  cases.push_back({"mixed", mixed_with_sparse_rows()});
  cases.push_back({"kept draws", kept_draws_spec(5)});
  for (const char* file : {"brunel2000_ai.pbtxt", "brunel2000_phase.pbtxt", "balanced_input.pbtxt",
                           "free_membrane.pbtxt", "ou_lif.pbtxt"})
    cases.push_back({file, netdef(file)});
  for (const Case& c : cases) {
    INFO(c.name);
    const Network whole(c.spec);
    for (const unsigned ranks : {1u, 2u, 3u, 5u}) {
      const unsigned threads = ranks == 3 ? 3 : 1;  // blocks cut inside a part's range too
      INFO("ranks " << ranks << ", threads " << threads);
      check_parts(whole, build_parts(c.spec, ranks, threads));
    }
  }
  // The sparse group really has rows whose targets are all on other parts.
  const NetworkSpec spec = mixed_with_sparse_rows();
  const auto parts = build_parts(spec, 3);
  std::uint64_t elsewhere = 0;
  for (const auto& part : parts)
    for (NodeId n = 0; n < part->node_count(); ++n) {
      const PopulationTable& pop = part->populations()[part->population_of(n)];
      for (std::size_t g = 0; g < pop.group_delays_ms.size(); ++g)
        elsewhere += part->group_begin(n, g) == part->group_end(n, g) && part->group_edges_all_ranks(n, g) > 0;
    }
  CHECK(elsewhere > 100);
}

TEST_CASE("parts: more ranks than LIF nodes, some parts without targets") {
  auto ee = projection(1, 1, RuleKind::FixedIndegree, 0.1, 1.5);
  ee.indegree = 3;
  ee.allow_multapses = true;
  auto shared = projection(0, 1, RuleKind::AllToAll, 0.1, 1.0);
  shared.independent_trains = false;
  const NetworkSpec spec = network({poisson_population("ext", 4, 10), lif_population("e", 6)}, {ee, shared});
  const Network whole(spec);
  for (const unsigned ranks : {6u, 9u}) {
    INFO("ranks " << ranks);
    check_parts(whole, build_parts(spec, ranks, 2));
  }
}

TEST_CASE("parts: the network's memory per part scales with its share of the edges") {
  const NetworkSpec spec = netdef("brunel2000_phase.pbtxt");
  const Network whole(spec);
  const auto parts = build_parts(spec, 4);
  for (const auto& part : parts) {
    // A quarter of the edges (6 bytes each); the per-node and per-slot tables
    // (8 bytes each, 4 more per slot) are small next to them.
    const double edges_share = static_cast<double>(part->stored_edges()) / static_cast<double>(whole.stored_edges());
    CHECK(edges_share == Approx(0.25).epsilon(0.05));
    CHECK(static_cast<double>(part->bytes()) < 0.3 * static_cast<double>(whole.bytes()));
  }
}

TEST_CASE("parts: the memory estimate of a rank (RunShape::ranks) follows its part") {
  const NetworkSpec spec = netdef("brunel2000_phase.pbtxt");  // fixed in-degrees: exact edge counts
  const unsigned ranks = 3;
  const auto parts = build_parts(spec, ranks);
  for (unsigned r = 0; r < ranks; ++r) {
    INFO("rank " << r);
    RunShape shape;
    shape.rank = r;
    shape.ranks = ranks;
    const MemoryEstimate m = estimate_memory(spec, shape);
    CHECK(m.stored_edges == static_cast<double>(parts[r]->stored_edges()));
    CHECK(m.graph_bytes == Approx(static_cast<double>(parts[r]->bytes())).epsilon(0.02));
    CHECK(m.graph_bytes < estimate_memory(spec).graph_bytes / 2);
  }
}

TEST_CASE("parts: a stop seen by one rank's build stops every rank's, none waits forever") {
  const NetworkSpec spec = mixed_with_sparse_rows();
  for (const unsigned stopped_rank : {0u, 2u}) {
    INFO("stopped rank " << stopped_rank);
    std::vector<std::atomic<bool>> stops(3);
    for (auto& s : stops) s = false;
    stops[stopped_rank] = true;
    const auto parts = build_parts(spec, 3, 1, &stops);
    for (const auto& part : parts) CHECK(part == nullptr);
  }
}
