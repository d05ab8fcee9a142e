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

// Scratch space for SourceSampler: the Fisher–Yates pool 0..n-1 of
// fixed_indegree without multapses, and the log that undoes each draw's swaps.
// Every draw leaves the pool as it found it (the identity), so one scratch serves
// every sampler of a thread, whatever its projection: memory is one pool of the
// largest source population per thread, not one per projection.
class SamplerScratch {
 public:
  // Makes the pool 0..n-1 at least (the identity beyond what was there).
  void ensure(std::uint64_t n);

 private:
  friend class SourceSampler;
  std::vector<std::uint32_t> pool_;
  std::vector<std::uint32_t> swapped_at_;
};

class SourceSampler {
 public:
  // `stop` (optional) is ticked once per source drawn, so a huge in-degree or
  // all-to-all row cannot hold off a stop (it throws Stopped, engine/core/stop_check.h).
  // fixed_indegree without multapses draws in `scratch` (grown to the source
  // population's size here), which must outlive the sampler and serve one
  // thread at a time; other rules do not use it.
  SourceSampler(const ProjectionSpec& projection, std::uint64_t source_size, bool same_population,
                SamplerScratch& scratch, StopCheck* stop = nullptr);

  // Replaces `sources` with the local source indices connecting to local target
  // `target`, in the order drawn (fixed_indegree) or ascending (other rules).
  void draw(std::uint64_t target, RngStream& rng, std::vector<std::uint32_t>& sources);

 private:
  void draw_without_replacement(std::uint64_t target, RngStream& rng,
                                std::vector<std::uint32_t>& sources);

  RuleKind rule_;
  std::uint64_t indegree_;
  double p_;
  bool allow_multapses_;
  std::uint64_t source_size_;
  bool exclude_self_;
  SamplerScratch& scratch_;
  StopCheck* stop_;
};

}  // namespace spikeq
