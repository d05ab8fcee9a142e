// The build's memory: its measured peak stays near the final graph (a few
// bytes per edge, not the 28 of a draw-then-sort build), and the memory
// estimate that refuses runs (engine/core/memory_estimate.h) follows it.
#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>

#include "engine/core/memory_estimate.h"
#include "engine/core/network.h"
#include "spec_builders.h"

using namespace spikeq;
using namespace spikeq::test;

namespace {

double resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  double size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<double>(sysconf(_SC_PAGESIZE));
}

double peak_resident_bytes() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) * 1024.0;  // KiB on Linux
}

// Brunel's model A at N = 6,000 (in-degrees 1000 and 250: 7.5M stored edges),
// with its external drive as independent trains.
NetworkSpec brunel_like(std::uint64_t exc, std::uint64_t inh) {
  auto ext_e = projection(0, 1, RuleKind::AllToAll, 0.1, 1.5);
  auto ext_i = projection(0, 2, RuleKind::AllToAll, 0.1, 1.5);
  auto ee = projection(1, 1, RuleKind::FixedIndegree, 0.1, 1.5);
  auto ei = projection(1, 2, RuleKind::FixedIndegree, 0.1, 1.5);
  auto ie = projection(2, 1, RuleKind::FixedIndegree, -0.5, 1.5);
  auto ii = projection(2, 2, RuleKind::FixedIndegree, -0.5, 1.5);
  ee.indegree = ei.indegree = 1000;
  ie.indegree = ii.indegree = 250;
  return network({poisson_population("ext", 1000, 20), lif_population("exc", exc), lif_population("inh", inh)},
                 {ext_e, ext_i, ee, ei, ie, ii});
}

}  // namespace

TEST_CASE("the build's peak is the graph and little more, and the memory estimate follows it") {
  // Run alone (CTest starts a process per test case): the high-water mark
  // before the build is this process's start-up, well below the build's.
  const NetworkSpec spec = brunel_like(4800, 1200);
  const double before = resident_bytes();
  REQUIRE(peak_resident_bytes() < before + (16 << 20));
  const Network net(spec);
  const double build_peak = peak_resident_bytes() - before;
  const double edges = static_cast<double>(net.stored_edges());
  REQUIRE(edges == 7.5e6);
  INFO("build peak " << build_peak / edges << " bytes per edge, network " << net.bytes() / edges);
  CHECK(build_peak < 7.0 * edges);
  const MemoryEstimate m = estimate_memory(spec);
  CHECK(m.stored_edges == edges);
  CHECK(m.graph_bytes == Approx(static_cast<double>(net.bytes())).epsilon(0.02));
  // The estimate bounds the measured peak, and not by a wide margin.
  CHECK(static_cast<double>(m.build_peak_bytes) > build_peak);
  CHECK(static_cast<double>(m.build_peak_bytes) < 1.25 * build_peak);
}
