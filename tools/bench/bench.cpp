// spikeq_bench: throughput of the event-driven engine on a netdef.
//
//   spikeq_bench NETDEF [--duration MS] [--set PATH=VALUE ...]
//                [--mode event|stepped] [--dt MS] [--integrator euler|exact] [--threads T]
//                [--build-threads T]
//
// --mode stepped runs the time-stepped reference engine instead and also reports
// neuron-steps per second (LIF nodes x grid steps / simulation wall time).
// --threads T (default 1) splits the one simulation over T threads (either
// engine; the output does not depend on T).
// Reports build and simulation wall time, events per second, and memory. An event
// is one delivered pulse: every target of every recurrent spike (including pulses
// that find the target refractory and are dropped) plus every arrival of an
// independent external Poisson train. Spikes are counted but not written, so the
// figure is the engine's, not the disk's. Peak RSS is the process's maximum
// resident set (getrusage). Per stored synapse (an edge of the graph;
// independent-train inputs are rates, not edges): the build's wall time in ns,
// the network's bytes (Network::bytes) and the process's peak RSS in bytes. The
// build's CPU time (user + system, all threads) is printed next to its wall time.
// --build-threads T builds the network on T threads (0: every core; default 1).
#include <sys/resource.h>
#include <tbb/info.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "engine/batch/simulate.h"
#include "engine/core/network.h"
#include "netdefs/error.h"
#include "netdefs/loader.h"

namespace {

class CountingSink : public spikeq::RunSink {
 public:
  void spikes(std::span<const spikeq::SpikeRecord> batch) override { spikes_ += batch.size(); }
  void samples(std::span<const spikeq::VoltageSample>) override {}
  std::uint64_t spikes_ = 0;
};

double user_cpu_s() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec) + 1e-6 * static_cast<double>(ru.ru_utime.tv_usec);
}

// User + system CPU of the whole process (every thread), for the build: on a
// loaded machine its wall time says little.
double process_cpu_s() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

double peak_rss_mib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // ru_maxrss is KiB on Linux
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0) {
    std::fprintf(stderr, "usage: spikeq_bench NETDEF [--duration MS] [--set PATH=VALUE ...] [--mode event|stepped] "
                         "[--dt MS] [--integrator euler|exact] [--threads T] [--build-threads T]\n");
    return 2;
  }
  const std::string netdef = argv[1];
  std::vector<std::string> sets;
  unsigned build_threads = 1;
  unsigned threads = 1;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--duration") sets.push_back(std::string("duration_ms=") + argv[i + 1]);
    else if (flag == "--set") sets.push_back(argv[i + 1]);
    else if (flag == "--threads") {
      const int t = std::atoi(argv[i + 1]);
      if (t < 1 || t > 1024) {
        std::fprintf(stderr, "spikeq_bench: --threads %s: expected an integer in [1, 1024]\n", argv[i + 1]);
        return 2;
      }
      threads = static_cast<unsigned>(t);
    }
    else if (flag == "--mode") sets.push_back(std::string("simulation.mode=") + (std::strcmp(argv[i + 1], "stepped") == 0 ? "STEPPED" : "EVENT"));
    else if (flag == "--dt") sets.push_back(std::string("simulation.dt_ms=") + argv[i + 1]);
    else if (flag == "--build-threads") build_threads = static_cast<unsigned>(std::strtoul(argv[i + 1], nullptr, 10));
    else if (flag == "--integrator") sets.push_back(std::string("simulation.integrator=") + (std::strcmp(argv[i + 1], "exact") == 0 ? "EXACT" : "EULER_MARUYAMA"));
    else {
      std::fprintf(stderr, "spikeq_bench: unknown option %s\n", flag.c_str());
      return 2;
    }
  }
  try {
    using clock = std::chrono::steady_clock;
    const spikeq::NetworkSpec spec = spikeq::load_netdef_file(netdef, sets);
    if (build_threads == 0) build_threads = static_cast<unsigned>(tbb::info::default_concurrency());
    const double build_cpu0 = process_cpu_s();
    const auto t0 = clock::now();
    const spikeq::Network net(spec, 0, nullptr, build_threads);
    const auto t1 = clock::now();
    const double build_cpu_s = process_cpu_s() - build_cpu0;
    CountingSink sink;
    const bool stepped = spec.simulation.mode == spikeq::SimMode::Stepped;
    const double cpu0 = user_cpu_s();
    const spikeq::RunStats stats = spikeq::simulate(net, 0, sink, nullptr, threads);
    const auto t2 = clock::now();
    const double sim_cpu_s = user_cpu_s() - cpu0;
    const double build_s = std::chrono::duration<double>(t1 - t0).count();
    const double sim_s = std::chrono::duration<double>(t2 - t1).count();
    const double edges = static_cast<double>(net.stored_edges());
    std::uint64_t spikes = 0;
    for (auto s : stats.spikes_per_population) spikes += s;
    std::printf("netdef           %s (%g ms simulated, %u nodes, %.0f edges)\n", netdef.c_str(),
                stats.simulated_ms, net.node_count(), edges);
    std::printf("build            %.3f s wall, %.3f s CPU on %u thread%s", build_s, build_cpu_s, build_threads,
                build_threads == 1 ? "" : "s");
    if (edges > 0) std::printf("; per stored synapse %.2f ns wall, %.2f ns CPU", 1e9 * build_s / edges, 1e9 * build_cpu_s / edges);
    std::printf("\n");
    std::printf("simulate         %.3f s wall, %.3f s user CPU, %u thread%s\n", sim_s, sim_cpu_s, threads,
                threads == 1 ? "" : "s");
    if (stepped) {
      double lif_nodes = 0;
      for (const auto& p : spec.populations)
        if (p.kind == spikeq::ModelKind::Lif) lif_nodes += static_cast<double>(p.size);
      const double steps = stats.simulated_ms / spec.simulation.dt_ms;
      std::printf("stepped          dt %g ms, %s; %.4g neuron-steps/s (%.4g per user CPU s)\n", spec.simulation.dt_ms,
                  spec.simulation.integrator == spikeq::Integrator::Exact ? "exact" : "Euler-Maruyama",
                  lif_nodes * steps / sim_s, lif_nodes * steps / sim_cpu_s);
    }
    std::printf("spikes           %llu\n", static_cast<unsigned long long>(spikes));
    std::printf("events           %.4g (%.4g recurrent pulses + %.4g external arrivals)\n",
                static_cast<double>(stats.events()), static_cast<double>(stats.recurrent_pulses),
                static_cast<double>(stats.external_pulses));
    std::printf("events/s         %.4g\n", static_cast<double>(stats.events()) / sim_s);
    std::printf("queue entries    %llu (one per spike and delay group)\n",
                static_cast<unsigned long long>(stats.queue_entries));
    std::printf("peak RSS         %.1f MiB\n", peak_rss_mib());
    if (edges > 0) {
      std::printf("bytes/synapse    %.2f network (Network::bytes), %.2f peak RSS (per stored synapse)\n",
                  static_cast<double>(net.bytes()) / edges, peak_rss_mib() * 1048576.0 / edges);
    }
  } catch (const spikeq::Error& e) {
    std::fprintf(stderr, "spikeq_bench: %s\n", e.what());
    return 2;
  }
  return 0;
}
