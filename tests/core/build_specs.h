// Networks that exercise every path of the build (engine/core/network_build.h),
// shared by the build's and the parts' tests.
#pragma once

#include <cstdint>

#include "netdefs/spec.h"
#include "spec_builders.h"

namespace spikeq::test {

// Every rule, multapses and autapses, two delays from one population, two
// projections of one delay group into one target population (so that group can
// list a target twice), shared and independent Poisson trains.
inline NetworkSpec mixed_spec(std::uint64_t seed) {
  auto ee = projection(1, 1, RuleKind::FixedIndegree, 0.1, 1.5);
  ee.indegree = 60;
  auto ei = projection(1, 2, RuleKind::FixedIndegree, 0.1, 1.5);
  ei.indegree = 60;
  auto ee_slow = projection(1, 1, RuleKind::FixedIndegree, 0.05, 3.0);
  ee_slow.indegree = 25;
  ee_slow.allow_multapses = true;
  ee_slow.allow_autapses = true;
  auto ie = projection(2, 1, RuleKind::PairwiseBernoulli, -0.5, 1.5);
  ie.p = 0.2;
  auto ie_twin = projection(2, 1, RuleKind::FixedIndegree, -0.2, 1.5);  // same group and target population as ie
  ie_twin.indegree = 10;
  auto ii = projection(2, 2, RuleKind::AllToAll, -0.5, 2.0);
  auto one = projection(1, 1, RuleKind::OneToOne, 0.3, 3.0);  // joins ee_slow's group
  auto ext = projection(0, 1, RuleKind::FixedIndegree, 0.1, 1.0);  // independent trains: no edges
  ext.indegree = 30;
  auto shared = projection(0, 2, RuleKind::PairwiseBernoulli, 0.1, 1.0);
  shared.p = 0.1;
  shared.independent_trains = false;
  return network({poisson_population("ext", 200, 10), lif_population("e", 400), lif_population("i", 100)},
                 {ee, ei, ee_slow, ie, ie_twin, ii, one, ext, shared}, 100, seed);
}

// No two projections of a delay group reach one population, so the build keeps
// its fixed_indegree draws between passes (16 bits in the projection array, and
// 8 more in a byte array from the 70,000-node population) and writes the edge
// projections from the targets afterwards.
inline NetworkSpec kept_draws_spec(std::uint64_t seed) {
  auto wide = projection(1, 2, RuleKind::FixedIndegree, 0.1, 1.5);  // kept: bits 0..23
  wide.indegree = 40;
  auto wide_multapses = projection(1, 2, RuleKind::FixedIndegree, 0.1, 2.5);  // another delay group
  wide_multapses.indegree = 30;
  wide_multapses.allow_multapses = true;
  auto narrow = projection(2, 2, RuleKind::FixedIndegree, -0.5, 1.5);  // kept: bits 0..15
  narrow.indegree = 25;
  auto back = projection(2, 1, RuleKind::PairwiseBernoulli, 0.2, 1.5);  // drawn twice; a random edge count
  back.p = 0.01;
  auto all = projection(2, 3, RuleKind::AllToAll, 0.2, 1.5);  // drawn twice
  auto shared = projection(0, 2, RuleKind::FixedIndegree, 0.1, 1.0);  // Poisson, shared trains: kept
  shared.indegree = 5;
  shared.independent_trains = false;
  auto ext = projection(0, 3, RuleKind::FixedIndegree, 0.1, 1.0);  // independent trains: no edges
  ext.indegree = 8;
  return network({poisson_population("ext", 50, 10), lif_population("w", 70000), lif_population("t", 300),
                  lif_population("u", 40)},
                 {wide, wide_multapses, narrow, back, all, shared, ext}, 100, seed);
}

}  // namespace spikeq::test
