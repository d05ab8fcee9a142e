// Connection rules: which source nodes project to one target node.
// Each (projection, target) draws from its own RNG stream, so the edges of a
// target never depend on the order targets are built in or on the thread count.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/core/rng.h"
#include "engine/core/stop_check.h"
#include "netdefs/spec.h"

namespace spikeq {

// Expected number of edges of `projection` into one target node.
double expected_indegree(const ProjectionSpec& projection, std::uint64_t source_size,
                         bool same_population);

class SourceSampler {
 public:
  // `stop` (optional) is ticked once per source drawn, so a huge in-degree or
  // all-to-all row cannot hold off a stop (it throws Stopped, engine/core/stop_check.h).
  SourceSampler(const ProjectionSpec& projection, std::uint64_t source_size, bool same_population,
                StopCheck* stop = nullptr);

  // Replaces `sources` with the local source indices connecting to local target
  // `target`, in the order drawn (fixed_indegree) or ascending (other rules).
  void draw(std::uint64_t target, RngStream& rng, std::vector<std::uint32_t>& sources);

 private:
  void draw_without_replacement(std::uint64_t target, RngStream& rng,
                                std::vector<std::uint32_t>& sources);

  ProjectionSpec projection_;
  std::uint64_t source_size_;
  bool exclude_self_;
  StopCheck* stop_;
  // Partial Fisher–Yates over 0..n-1, undone after each target (cost O(indegree)).
  std::vector<std::uint32_t> pool_;
  std::vector<std::uint32_t> swapped_at_;
};

}  // namespace spikeq
