// Counter-based random streams (Random123 Philox4x64-10).
//
// A stream is named by (seed, trial) — the Philox key — and by (purpose, a, b) in
// the counter; its n-th block of four 64-bit words is philox(key, {purpose, a, b, n}).
// Every draw therefore depends only on the stream's name and the draw's position
// in it, never on which thread ran it or in what order nodes were processed:
// the basis of bit-for-bit reproducibility on any number of threads.
#pragma once

#include <Random123/boxmuller.hpp>
#include <Random123/philox.h>
#include <Random123/uniform.hpp>

#include <cmath>
#include <cstdint>

namespace spikeq {

// What a stream is for; part of its name so two purposes never share numbers.
enum class Purpose : std::uint64_t {
  Connectivity = 1,  // a = projection, b = target node (or source for Bernoulli)
  InitialState = 2,  // a = population, b = node
  SourceTrain = 3,   // a = population, b = node: a Poisson node's own train
  InputTrain = 4,    // a = projection, b = target node: merged independent trains
  MembraneNoise = 5, // a = population, b = node: OU noise and bridge tests
  SteppedInput = 6,  // stepped engine, a = projection, b = target node
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
  // Exp(1): -ln U, the inter-event interval of a unit-rate Poisson process.
  double exponential() { return -std::log(uniform_open0()); }
  // Standard normal (Box–Muller, the second value of each pair kept for the next call).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const std::uint64_t u0 = next_u64();
    const std::uint64_t u1 = next_u64();
    const r123::double2 z = r123::boxmuller(u0, u1);
    spare_ = z.y;
    has_spare_ = true;
    return z.x;
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
  bool has_spare_ = false;
  double spare_ = 0;
};

}  // namespace spikeq
