#include "engine/memory_estimate.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "engine/connect.h"
#include "engine/network.h"
#include "netdefs/error.h"

namespace spikeq {
namespace {

// Bytes per edge while building: the raw edge list (12), the source-sorted copy
// with its properties (10), and the graph itself (6) exist at the same time.
constexpr double kBuildBytesPerEdge = 12 + 10 + 6;
constexpr double kGraphBytesPerEdge = sizeof(NodeId) + sizeof(EdgeData);
// Per node: CSR row start (8), population index (2), out-degree count while
// building (4), membrane state (24) and its RNG stream when noisy (96, counted
// for every node: an upper bound).
constexpr double kBytesPerNode = 8 + 2 + 4 + 24 + 96;
// Per merged input train (one per independent Poisson projection and target).
constexpr double kBytesPerTrain = 120;

}  // namespace

std::uint64_t MemoryEstimate::peak_bytes() const {
  return std::max(build_peak_bytes, graph_bytes + state_bytes);
}

MemoryEstimate estimate_memory(const NetworkSpec& spec) {
  MemoryEstimate m;
  double trains = 0;
  for (const ProjectionSpec& p : spec.projections) {
    const double target_size = static_cast<double>(spec.populations[p.target].size);
    m.edges += expected_indegree(p, spec.populations[p.source].size, p.source == p.target) * target_size;
    if (spec.populations[p.source].kind == ModelKind::Poisson && p.independent_trains)
      trains += target_size;
  }
  const double nodes = static_cast<double>(spec.total_nodes());
  m.graph_bytes = static_cast<std::uint64_t>(m.edges * kGraphBytesPerEdge + nodes * 8);
  m.build_peak_bytes = static_cast<std::uint64_t>(m.edges * kBuildBytesPerEdge + nodes * kBytesPerNode);
  m.state_bytes = static_cast<std::uint64_t>(nodes * kBytesPerNode + trains * kBytesPerTrain);
  return m;
}

std::uint64_t available_memory_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string line;
  while (std::getline(meminfo, line)) {
    std::istringstream in(line);
    std::string key;
    std::uint64_t kib = 0;
    if (in >> key >> kib && key == "MemAvailable:") return kib * 1024;
  }
  return 8ull << 30;  // no /proc: assume a modest machine rather than none
}

std::string format_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int u = 0;
  while (bytes >= 1024 && u < 6) {
    bytes /= 1024;
    ++u;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
  return buf;
}

void check_memory(const NetworkSpec& spec, const std::string& origin, std::uint64_t limit_bytes) {
  const MemoryEstimate m = estimate_memory(spec);
  if (static_cast<double>(m.peak_bytes()) > static_cast<double>(limit_bytes)) {
    char edges[32];
    std::snprintf(edges, sizeof edges, "%.3g", m.edges);
    throw Error(origin + ": estimated memory " + format_bytes(static_cast<double>(m.peak_bytes())) +
                " (" + edges + " edges) exceeds the limit of " +
                format_bytes(static_cast<double>(limit_bytes)) + " (--memory-limit-mb sets it)");
  }
}

}  // namespace spikeq
