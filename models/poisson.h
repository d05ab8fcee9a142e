// Poisson source: exact continuous-time spikes (models/README.md §1).
#pragma once

#include <limits>

namespace spikeq::poisson {

// Time to the next arrival of a train of rate_per_ms (> 0), given an Exp(1) draw.
inline double interval_ms(double rate_per_ms, double exp1) { return exp1 / rate_per_ms; }

// Next arrival after t_ms for a train of rate_per_ms, given an Exp(1) draw.
// Rate 0 never fires. Superposition: C independent trains of rate r are one train
// of rate C*r, which is how the engine merges a target's independent inputs.
inline double next_arrival_ms(double t_ms, double rate_per_ms, double exp1) {
  if (rate_per_ms <= 0.0) return std::numeric_limits<double>::infinity();
  return t_ms + interval_ms(rate_per_ms, exp1);
}

}  // namespace spikeq::poisson
