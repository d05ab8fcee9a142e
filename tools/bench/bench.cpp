// spikeq_bench: throughput of the event-driven engine on a netdef.
//
//   spikeq_bench NETDEF [--duration MS] [--set PATH=VALUE ...]
//                [--mode event|stepped] [--dt MS] [--integrator euler|exact] [--threads T]
//
// --mode stepped runs the time-stepped reference engine instead and also reports
// neuron-steps per second (LIF nodes x grid steps / simulation wall time).
// --threads T (default 1) splits the one simulation over T threads (the stepped
// engine; the event engine runs on one).
// Reports build and simulation wall time, events per second, and memory. An event
// is one delivered pulse: every target of every recurrent spike (including pulses
// that find the target refractory and are dropped) plus every arrival of an
// independent external Poisson train. Spikes are counted but not written, so the
// figure is the engine's, not the disk's. Peak RSS is the process's maximum
// resident set (getrusage); memory per synapse is the graph's storage divided by
// its edges.
#include <sys/resource.h>

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

double peak_rss_mib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // ru_maxrss is KiB on Linux
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0) {
    std::fprintf(stderr, "usage: spikeq_bench NETDEF [--duration MS] [--set PATH=VALUE ...] [--mode event|stepped] "
                         "[--dt MS] [--integrator euler|exact] [--threads T]\n");
    return 2;
  }
  const std::string netdef = argv[1];
  std::vector<std::string> sets;
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
    else if (flag == "--integrator") sets.push_back(std::string("simulation.integrator=") + (std::strcmp(argv[i + 1], "exact") == 0 ? "EXACT" : "EULER_MARUYAMA"));
    else {
      std::fprintf(stderr, "spikeq_bench: unknown option %s\n", flag.c_str());
      return 2;
    }
  }
  try {
    using clock = std::chrono::steady_clock;
    const spikeq::NetworkSpec spec = spikeq::load_netdef_file(netdef, sets);
    const auto t0 = clock::now();
    const spikeq::Network net(spec);
    const auto t1 = clock::now();
    CountingSink sink;
    const bool stepped = spec.simulation.mode == spikeq::SimMode::Stepped;
    const double cpu0 = user_cpu_s();
    const spikeq::RunStats stats = spikeq::simulate(net, 0, sink, nullptr, threads);
    const auto t2 = clock::now();
    const double sim_cpu_s = user_cpu_s() - cpu0;
    const double build_s = std::chrono::duration<double>(t1 - t0).count();
    const double sim_s = std::chrono::duration<double>(t2 - t1).count();
    const double edges = static_cast<double>(boost::num_edges(net.graph()));
    const double graph_bytes = edges * (sizeof(spikeq::NodeId) + sizeof(spikeq::EdgeData)) +
                               (net.node_count() + 1.0) * sizeof(std::uint64_t);
    std::uint64_t spikes = 0;
    for (auto s : stats.spikes_per_population) spikes += s;
    std::printf("netdef           %s (%g ms simulated, %u nodes, %.0f edges)\n", netdef.c_str(),
                stats.simulated_ms, net.node_count(), edges);
    std::printf("build            %.3f s\n", build_s);
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
    if (edges > 0) std::printf("bytes/synapse    %.2f (graph storage incl. row starts)\n", graph_bytes / edges);
  } catch (const spikeq::Error& e) {
    std::fprintf(stderr, "spikeq_bench: %s\n", e.what());
    return 2;
  }
  return 0;
}
