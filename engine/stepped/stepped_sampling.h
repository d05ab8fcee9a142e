// Random draws of the stepped engine's Poisson inputs (models/README.md §1, the tutorial's
// Q2 discretisation: a source of rate λ fires in a step of length dt with
// probability p = λ dt, at most once).
//
//  * One source's own train: the steps between its spikes are Geometric(p)
//    (P(gap = g) = (1-p)^(g-1) p), drawn by inversion from one uniform:
//    gap = floor(ln U / ln(1-p)) + 1. This is the Bernoulli train exactly — each
//    step fires independently with probability p — at one draw per spike rather
//    than one per step.
//  * K independent sources merged into one target: the step's count is the sum
//    of K independent Bernoulli(p), i.e. exactly Binomial(K, p). Small means
//    (Kp <= 16, every input of the example networks) are drawn by inversion of a
//    table of the CDF in 64-bit fixed point: one 64-bit word per draw and about
//    Kp + 1 integer compares, no floating point (the table is built once per law in
//    long double; entries are exact to ~2^-60, the same truncation as any
//    floating-point inversion). Larger means use Boost.Random's
//    binomial_distribution (Kachitvichyanukul & Schmeiser's BTRD, exact).
//    Sparse laws (P(0) >= 0.85: small steps, where most steps bring nothing) are
//    drawn as a Bernoulli train of non-empty steps — the gaps between them
//    Geometric(1 - P(0)), as above — each carrying a count from the law
//    conditioned on >= 1 (the same table, entered above F(0)): the same process,
//    exactly, at a cost per non-empty step instead of per step. p = 1 gives K
//    every step.
#pragma once

#include <boost/random/binomial_distribution.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <utility>
#include <vector>

#include "engine/core/rng.h"

namespace spikeq::inline stepped {

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
  static constexpr double kTableMaxMean = 16;

  static constexpr double kSparseZero = 0.85;

  // p in (0, 1], k >= 1.
  std::uint32_t index(std::uint32_t projection, std::uint32_t k, double p) {
    const auto [it, inserted] = by_key_.try_emplace({projection, k}, static_cast<std::uint32_t>(laws_.size()));
    if (inserted) laws_.push_back(make_law(k, p));
    return it->second;
  }
  // Whether law `i` is drawn as gaps between non-empty steps (sample_nonzero, gap).
  bool sparse(std::uint32_t i) const { return laws_[i].sparse; }

  // A draw from law `i`, consuming 64-bit words of `draw()`.
  template <class Draw>
  std::uint32_t sample(std::uint32_t i, Draw&& draw) const {
    const Law& law = laws_[i];
    if (law.cdf_end == law.cdf_begin) {
      if (law.always >= 0) return static_cast<std::uint32_t>(law.always);
      UrbgAdaptor<Draw&> urbg{draw};
      return static_cast<std::uint32_t>(law.btrd(urbg));
    }
    return search(law, draw());
  }
  // A draw from sparse law `i` conditioned on >= 1: u uniform on [F(0) 2^64, 2^64).
  template <class Draw>
  std::uint32_t sample_nonzero(std::uint32_t i, Draw&& draw) const {
    const Law& law = laws_[i];
    const std::uint64_t f0 = cdf_[law.cdf_begin];
    const auto spread = static_cast<std::uint64_t>((static_cast<unsigned __int128>(draw()) * (0 - f0)) >> 64);
    return search(law, f0 + spread);
  }
  // Steps from one non-empty step of sparse law `i` to the next (>= 1), capped.
  template <class Draw>
  std::uint64_t gap(std::uint32_t i, Draw&& draw, std::uint64_t cap) const {
    return bernoulli_gap(r123::u01<double>(draw()), laws_[i].log_p0, cap);
  }

 private:
  struct Law {
    std::uint32_t cdf_begin = 0, cdf_end = 0;  // fixed-point CDF in cdf_; empty: btrd or always
    std::uint32_t cdf_last = 0;                // largest count in the table
    std::int64_t always = -1;                  // p = 1: the count, every step
    bool sparse = false;
    double log_p0 = 0;                         // ln P(0), for sparse laws
    Binomial btrd;
  };

  // Smallest k with u < F(k) 2^64; the last entry stands for F = 1. The first
  // four compares are branch-free (a data-dependent loop exit costs a
  // mispredicted branch per draw); tables are padded to at least five entries.
  std::uint32_t search(const Law& law, std::uint64_t u) const {
    const std::uint64_t* f = cdf_.data() + law.cdf_begin;
    const std::uint32_t last = law.cdf_last;
    std::uint32_t k = static_cast<std::uint32_t>(u >= f[0]) + static_cast<std::uint32_t>(u >= f[1]) +
                      static_cast<std::uint32_t>(u >= f[2]) + static_cast<std::uint32_t>(u >= f[3]);
    if (k < 4) return std::min(k, last);
    while (k < last && u >= f[k]) ++k;
    return std::min(k, last);
  }

  Law make_law(std::uint32_t k_in, double p) {
    Law law;
    if (p >= 1.0) {
      law.always = k_in;
      return law;
    }
    law.btrd = Binomial(static_cast<int>(k_in), p);
    if (static_cast<double>(k_in) * p > kTableMaxMean) return law;
    law.log_p0 = static_cast<double>(k_in) * std::log1p(-p);
    law.sparse = law.log_p0 >= std::log(kSparseZero);
    law.cdf_begin = static_cast<std::uint32_t>(cdf_.size());
    const long double two64 = 18446744073709551616.0L;
    const long double q = 1.0L - p;
    long double pk = std::exp(static_cast<long double>(k_in) * std::log1p(-static_cast<long double>(p)));
    long double f = 0;
    for (std::uint32_t k = 0;; ++k) {
      f += pk;
      const long double scaled = f * two64;
      // Stop once the rest of the law is below one part in 2^64, or at k = K.
      if (k == k_in || scaled >= two64 - 1.0L || (k > k_in * p && pk * two64 < 0.5L)) {
        cdf_.push_back(std::numeric_limits<std::uint64_t>::max());
        break;
      }
      cdf_.push_back(static_cast<std::uint64_t>(scaled));
      pk *= static_cast<long double>(k_in - k) / static_cast<long double>(k + 1) * (p / q);
    }
    law.cdf_last = static_cast<std::uint32_t>(cdf_.size()) - law.cdf_begin - 1;
    while (cdf_.size() < law.cdf_begin + 5u) cdf_.push_back(std::numeric_limits<std::uint64_t>::max());
    law.cdf_end = static_cast<std::uint32_t>(cdf_.size());
    return law;
  }

  std::vector<Law> laws_;
  std::vector<std::uint64_t> cdf_;
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint32_t> by_key_;
};

}  // namespace spikeq::stepped
