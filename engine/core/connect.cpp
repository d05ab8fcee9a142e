#include "engine/core/connect.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace spikeq {
namespace {
// Draws between two stop checks: the checks cost nothing per draw.
constexpr std::uint64_t kBlock = 4096;
}  // namespace

void SamplerScratch::ensure(std::uint64_t n) {
  const std::uint64_t had = pool_.size();
  if (had >= n) return;
  pool_.resize(n);
  std::iota(pool_.begin() + static_cast<std::ptrdiff_t>(had), pool_.end(), static_cast<std::uint32_t>(had));
}

SourceSampler::SourceSampler(const ProjectionSpec& projection, std::uint64_t source_size,
                             bool same_population, SamplerScratch& scratch, StopCheck* stop)
    : rule_(projection.rule),
      indegree_(projection.indegree),
      p_(projection.p),
      allow_multapses_(projection.allow_multapses),
      source_size_(source_size),
      exclude_self_(same_population && !projection.allow_autapses),
      scratch_(scratch),
      stop_(stop) {
  if (rule_ == RuleKind::FixedIndegree && !allow_multapses_) scratch_.ensure(source_size_);
}

double expected_indegree(const ProjectionSpec& projection, std::uint64_t source_size,
                         bool same_population) {
  const bool exclude_self = same_population && !projection.allow_autapses;
  const double eligible = static_cast<double>(source_size) - (exclude_self ? 1.0 : 0.0);
  switch (projection.rule) {
    case RuleKind::FixedIndegree: return static_cast<double>(projection.indegree);
    case RuleKind::OneToOne: return 1.0;
    case RuleKind::AllToAll: return eligible;
    case RuleKind::PairwiseBernoulli: return projection.p * eligible;
  }
  return 0.0;
}

void SourceSampler::draw(std::uint64_t target, RngStream& rng, std::vector<std::uint32_t>& sources) {
  sources.clear();
  const auto t = static_cast<std::uint32_t>(target);
  switch (rule_) {
    case RuleKind::OneToOne:
      sources.push_back(t);
      return;
    case RuleKind::AllToAll:
      for (std::uint64_t block = 0; block < source_size_; block += kBlock) {
        if (stop_) stop_->tick(kBlock);
        const auto end = static_cast<std::uint32_t>(std::min(source_size_, block + kBlock));
        for (auto s = static_cast<std::uint32_t>(block); s < end; ++s)
          if (!(exclude_self_ && s == t)) sources.push_back(s);
      }
      return;
    case RuleKind::PairwiseBernoulli: {
      const double p = p_;
      if (p <= 0.0) return;
      // Geometric skipping: the gap to the next accepted source is Geometric(p),
      // so the cost is O(accepted) rather than O(source_size).
      const double log_q = std::log1p(-p);
      for (std::uint64_t s = 0;; ++s) {
        if (stop_) stop_->tick();
        if (p < 1.0) {
          // For tiny p the gap can exceed 2^64: compare as a double before converting.
          const double gap = std::floor(std::log(rng.uniform_open0()) / log_q);
          if (!(gap < static_cast<double>(source_size_ - s))) return;
          s += static_cast<std::uint64_t>(gap);
        }
        if (s >= source_size_) return;
        if (!(exclude_self_ && s == t)) sources.push_back(static_cast<std::uint32_t>(s));
      }
    }
    case RuleKind::FixedIndegree:
      if (allow_multapses_) {
        while (sources.size() < indegree_) {
          if (stop_) stop_->tick(kBlock);
          const std::uint64_t block_end = std::min<std::uint64_t>(indegree_, sources.size() + kBlock);
          while (sources.size() < block_end) {
            const auto s = static_cast<std::uint32_t>(rng.below(source_size_));
            if (!(exclude_self_ && s == t)) sources.push_back(s);
          }
        }
      } else {
        draw_without_replacement(target, rng, sources);
      }
      return;
  }
}

// A partial Fisher–Yates shuffle of the pool 0..n-1: step k swaps position k
// with a uniform position j in [k, n) and emits the value now at k. Cost
// O(indegree): the swaps are undone afterwards, in reverse, so the pool is the
// identity again for the next draw (of any projection).
void SourceSampler::draw_without_replacement(std::uint64_t target, RngStream& rng,
                                             std::vector<std::uint32_t>& sources) {
  std::uint32_t* pool = scratch_.pool_.data();
  std::vector<std::uint32_t>& swapped_at = scratch_.swapped_at_;
  std::uint64_t n = source_size_;
  swapped_at.clear();
  auto swap_and_log = [&](std::uint64_t i, std::uint64_t j) {
    std::swap(pool[i], pool[j]);
    swapped_at.push_back(static_cast<std::uint32_t>(j));
  };
  // Keep the target itself out of reach by moving it past the sampled range.
  if (exclude_self_) {
    swap_and_log(n - 1, target);
    --n;
  }
  for (std::uint64_t block = 0; block < indegree_; block += kBlock) {
    if (stop_) stop_->tick(kBlock);
    const std::uint64_t end = std::min<std::uint64_t>(indegree_, block + kBlock);
    for (std::uint64_t k = block; k < end; ++k) {
      const std::uint64_t j = k + rng.below(n - k);
      swap_and_log(k, j);
      sources.push_back(pool[k]);
    }
  }
  // Undo in reverse so the pool is 0..n-1 again for the next target.
  std::uint64_t k = indegree_;
  for (auto it = swapped_at.rbegin(); it != swapped_at.rend(); ++it) {
    const bool is_self_swap = exclude_self_ && it + 1 == swapped_at.rend();
    const std::uint64_t i = is_self_swap ? source_size_ - 1 : --k;
    std::swap(pool[i], pool[*it]);
  }
}

}  // namespace spikeq
