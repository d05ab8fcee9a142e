// Estimates a network's memory before anything is allocated, so that a netdef
// too large for the machine is refused with a clear message instead of an
// out-of-memory kill halfway through the build.
#pragma once

#include <cstdint>
#include <string>

#include "netdefs/spec.h"

namespace spikeq {

struct MemoryEstimate {
  double edges = 0;               // expected number of edges
  std::uint64_t graph_bytes = 0;  // the CSR graph kept for the run
  std::uint64_t build_peak_bytes = 0;  // transient peak while building it
  std::uint64_t state_bytes = 0;  // one trial's simulation state
  std::uint64_t peak_bytes() const;
};

MemoryEstimate estimate_memory(const NetworkSpec& spec);

// The machine's available memory (MemAvailable), the default limit.
std::uint64_t available_memory_bytes();

// Throws Error (BadInput) when the estimate exceeds limit_bytes; `origin` names the
// netdef in the message.
void check_memory(const NetworkSpec& spec, const std::string& origin, std::uint64_t limit_bytes);

std::string format_bytes(double bytes);

}  // namespace spikeq
