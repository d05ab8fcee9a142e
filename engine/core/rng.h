// Counter-based random streams (Random123 Philox4x64-10).
//
// A stream is named by (seed, trial) — the Philox key — and by (purpose, a, b) in
// the counter; its n-th block of four 64-bit words is philox(key, {purpose, a, b, n}).
// Every draw therefore depends only on the stream's name and the draw's position
// in it, never on which thread ran it or in what order nodes were processed:
// the basis of bit-for-bit reproducibility on any number of threads.
#pragma once

#include <Random123/philox.h>
#include <Random123/uniform.hpp>
#include <boost/random/exponential_distribution.hpp>
#include <boost/random/normal_distribution.hpp>

#include <cmath>
#include <cstdint>

namespace spikeq {

// Exponential and normal variates come from Boost.Random's ziggurat samplers:
// exact in distribution, and about one 64-bit draw and no log/sqrt/sin per variate
// in 99% of cases (the exponential draw is on the path of every Poisson arrival).
template <class Draw>
struct UrbgAdaptor {  // makes any 64-bit draw function a C++ UniformRandomBitGenerator
  using result_type = std::uint64_t;
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return ~result_type{0}; }
  result_type operator()() { return draw(); }
  Draw draw;
};
template <class Draw>
double exponential_variate(Draw&& draw) {
  UrbgAdaptor<Draw&> urbg{draw};
  return boost::random::exponential_distribution<double>(1.0)(urbg);
}
template <class Draw>
double normal_variate(Draw&& draw) {
  UrbgAdaptor<Draw&> urbg{draw};
  return boost::random::normal_distribution<double>(0.0, 1.0)(urbg);
}

// What a stream is for; part of its name so two purposes never share numbers.
enum class Purpose : std::uint64_t {
  Connectivity = 1,  // a = projection, b = target node (or source for Bernoulli)
  InitialState = 2,  // a = population, b = node
  SourceTrain = 3,   // a = population, b = node: a Poisson node's own train
  InputTrain = 4,    // a = projection, b = target node: merged independent trains
  MembraneNoise = 5, // a = population, b = node: OU noise and bridge tests
  SteppedInput = 6,  // stepped engine, a = projection, b = target node: merged independent trains
  SteppedSource = 7, // stepped engine, a = population, b = node: a Poisson node's own train
  SteppedNoise = 8,  // stepped engine, a = population, b = node: membrane noise
};

class RngStream {
 public:
  RngStream() = default;
  RngStream(std::uint64_t seed, std::uint64_t trial, Purpose purpose, std::uint64_t a,
            std::uint64_t b)
      : key_{{seed, trial}}, counter_{{static_cast<std::uint64_t>(purpose), a, b, 0}} {}

  std::uint64_t next_u64() {
    if (used_ == 4) refill();
    return block_[used_++];
  }
  // Uniform in (0, 1]: never 0, so log() is always finite.
  double uniform_open0() { return r123::u01<double>(next_u64()); }
  // Exp(1): the inter-event interval of a unit-rate Poisson process.
  double exponential() {
    return exponential_variate([this] { return next_u64(); });
  }
  // Standard normal.
  double normal() {
    return normal_variate([this] { return next_u64(); });
  }
  // Uniform integer in [0, n), without modulo bias (Lemire's method).
  std::uint64_t below(std::uint64_t n) {
    unsigned __int128 m = static_cast<unsigned __int128>(next_u64()) * n;
    auto low = static_cast<std::uint64_t>(m);
    if (low < n) {
      const std::uint64_t threshold = -n % n;
      while (low < threshold) {
        m = static_cast<unsigned __int128>(next_u64()) * n;
        low = static_cast<std::uint64_t>(m);
      }
    }
    return static_cast<std::uint64_t>(m >> 64);
  }

 private:
  using Philox = r123::Philox4x64;
  void refill() {
    block_ = Philox()(counter_, key_);
    counter_.v[3]++;
    used_ = 0;
  }

  Philox::key_type key_{};
  Philox::ctr_type counter_{};
  Philox::ctr_type block_{};
  unsigned used_ = 4;
};

// The same stream as RngStream(seed, trial, purpose, a, b), for owners that keep
// millions of streams: the key and the name (purpose, a, b) are passed in by the
// owner at each draw instead of being stored, so the cursor is 40 bytes and a
// merged input train (cursor + next time + rate) fits one 64-byte cache line.
class StreamCursor {
 public:
  struct Name {
    r123::Philox4x64::key_type key;
    std::uint64_t purpose, a, b;
  };
  static Name name(std::uint64_t seed, std::uint64_t trial, Purpose purpose, std::uint64_t a, std::uint64_t b) {
    return Name{{{seed, trial}}, static_cast<std::uint64_t>(purpose), a, b};
  }

  std::uint64_t next_u64(const Name& n) {
    if (used_ == 4) {
      const r123::Philox4x64::ctr_type ctr{{n.purpose, n.a, n.b, block_}};
      block_words_ = r123::Philox4x64()(ctr, n.key);
      ++block_;
      used_ = 0;
    }
    return block_words_.v[used_++];
  }
  double uniform_open0(const Name& n) { return r123::u01<double>(next_u64(n)); }
  double exponential(const Name& n) {
    return exponential_variate([&] { return next_u64(n); });
  }

 private:
  r123::Philox4x64::ctr_type block_words_{};
  std::uint32_t block_ = 0;
  std::uint32_t used_ = 4;
};

}  // namespace spikeq
