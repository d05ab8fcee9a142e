// Random draws of the stepped engine's Poisson inputs (physics.md §1, the seed's
// Q2 discretisation: a source of rate λ fires in a step of length dt with
// probability p = λ dt, at most once).
//
//  * One source's own train: the steps between its spikes are Geometric(p)
//    (P(gap = g) = (1-p)^(g-1) p), drawn by inversion from one uniform:
//    gap = floor(ln U / ln(1-p)) + 1. This is the Bernoulli train exactly — each
//    step fires independently with probability p — at one draw per spike rather
//    than one per step.
//  * K independent sources merged into one target: the step's count is the sum
//    of K independent Bernoulli(p), i.e. exactly Binomial(K, p). Drawn with
//    Boost.Random's binomial_distribution (inversion when (K+1)p < 11, Kachitvichyanukul
//    & Schmeiser's BTRD otherwise; exact in distribution, and its draw is const
//    so one table entry serves every target with the same K).
#pragma once

#include <boost/random/binomial_distribution.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <utility>
#include <vector>

#include "engine/rng.h"

namespace spikeq::stepped {

// Steps from one spike of a Bernoulli(p) train to the next (>= 1), given U in
// (0,1]. `log_q` = ln(1 - p), precomputed (-inf when p = 1: every step). Gaps
// beyond `cap` are returned as `cap` (the caller's "never again").
inline std::uint64_t bernoulli_gap(double u, double log_q, std::uint64_t cap) {
  if (!(log_q < 0.0)) return cap;  // p = 0 (log_q = -0 or 0): never fires
  const double gap = std::floor(std::log(u) / log_q) + 1.0;
  return gap < static_cast<double>(cap) ? static_cast<std::uint64_t>(gap) : cap;
}

// Signed: BTRD computes candidate counts that may be negative before rejecting them.
using Binomial = boost::random::binomial_distribution<int, double>;

// The Binomial(K, p) laws of a run, one per distinct (projection, K).
class BinomialTable {
 public:
  std::uint32_t index(std::uint32_t projection, std::uint32_t k, double p) {
    const auto [it, inserted] = by_key_.try_emplace({projection, k}, static_cast<std::uint32_t>(laws_.size()));
    if (inserted) laws_.emplace_back(static_cast<int>(k), p);
    return it->second;
  }
  // A draw from law `i`, consuming 64-bit words of `draw()`.
  template <class Draw>
  int sample(std::uint32_t i, Draw&& draw) const {
    UrbgAdaptor<Draw&> urbg{draw};
    return laws_[i](urbg);
  }
  double mean(std::uint32_t i) const { return laws_[i].t() * laws_[i].p(); }

 private:
  std::vector<Binomial> laws_;
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint32_t> by_key_;
};

}  // namespace spikeq::stepped
