// spikeq info NETDEF: what the netdef builds — populations, edges and degrees,
// memory, and for each LIF population the input moments theory gives.
#include <tbb/info.h>

#include <chrono>
#include <cstdio>

#include "commands.h"
#include "flags.h"
#include "engine/core/memory_estimate.h"
#include "engine/core/network.h"
#include "engine/theory/theory.h"
#include "netdefs/limits.h"
#include "netdefs/loader.h"

namespace spikeq::cli {
namespace {

const char* rule_name(RuleKind r) {
  switch (r) {
    case RuleKind::FixedIndegree: return "fixed_indegree";
    case RuleKind::OneToOne: return "one_to_one";
    case RuleKind::AllToAll: return "all_to_all";
    case RuleKind::PairwiseBernoulli: return "pairwise_bernoulli";
  }
  return "?";
}

void print_info(const Network& net, const MemoryEstimate& mem, double build_s, unsigned threads) {
  const NetworkSpec& spec = net.spec();
  std::uint64_t synapses = 0;
  for (const ProjectionTable& pt : net.projections()) synapses += pt.edges;
  std::printf("network %s: %llu nodes, %llu synapses, %llu of them stored as edges (independent-train inputs are "
              "rates), duration %g ms, seed %llu\n",
              spec.name.c_str(), static_cast<unsigned long long>(net.node_count()),
              static_cast<unsigned long long>(synapses), static_cast<unsigned long long>(net.stored_edges()),
              spec.duration_ms, static_cast<unsigned long long>(spec.seed));
  std::printf("built in %.3f s on %u thread%s\n", build_s, threads, threads == 1 ? "" : "s");
  std::printf("memory: estimated peak %s (graph %s, its build %s, one trial's state %s)\n",
              format_bytes(static_cast<double>(mem.peak_bytes())).c_str(),
              format_bytes(static_cast<double>(mem.graph_bytes)).c_str(),
              format_bytes(static_cast<double>(mem.build_peak_bytes)).c_str(),
              format_bytes(static_cast<double>(mem.state_bytes)).c_str());
  // Per stored edge (independent-train inputs are rates, not edges): what the
  // network holds (Network::bytes: CSR arrays, row starts, group ends, tables)
  // and the estimated peak of a run (engine/core/memory_estimate.h).
  const std::uint64_t edges = net.stored_edges();
  if (edges > 0)
    std::printf("bytes per stored synapse: %.2f held by the network, %.2f at the estimated peak\n",
                static_cast<double>(net.bytes()) / static_cast<double>(edges),
                static_cast<double>(mem.peak_bytes()) / static_cast<double>(edges));
  std::printf("\npopulations\n");
  for (const PopulationSpec& p : spec.populations) {
    if (p.kind == ModelKind::Poisson) {
      std::printf("  %-12s %8llu  poisson rate %g Hz\n", p.name.c_str(),
                  static_cast<unsigned long long>(p.size), p.poisson.rate_hz);
    } else {
      const LifParams& l = p.lif;
      std::printf("  %-12s %8llu  lif tau_m %g ms, E_l %g, theta %g, V_r %g mV, t_ref %g ms, mu %g, sigma %g mV\n",
                  p.name.c_str(), static_cast<unsigned long long>(p.size), l.tau_m_ms, l.e_l_mv, l.v_th_mv,
                  l.v_reset_mv, l.t_ref_ms, l.mu_mv, l.sigma_mv);
    }
  }
  std::printf("\n  %-54s %10s   %-24s %-24s\n", "projections", "edges", "in-degree min/mean/max",
              "out-degree min/mean/max");
  for (std::size_t i = 0; i < spec.projections.size(); ++i) {
    const ProjectionSpec& p = spec.projections[i];
    const ProjectionTable& t = net.projections()[i];
    char label[160];
    std::snprintf(label, sizeof label, "%s -> %s (%s, %g mV, %g ms)", spec.populations[p.source].name.c_str(),
                  spec.populations[p.target].name.c_str(), rule_name(p.rule), p.weight_mv, p.delay_ms);
    std::printf("  %-54s %10llu   %6llu/%8.2f/%-8llu %6llu/%8.2f/%-8llu%s\n", label,
                static_cast<unsigned long long>(t.edges), static_cast<unsigned long long>(t.in_degree.min),
                t.in_degree.mean, static_cast<unsigned long long>(t.in_degree.max),
                static_cast<unsigned long long>(t.out_degree.min), t.out_degree.mean,
                static_cast<unsigned long long>(t.out_degree.max),
                spec.populations[p.source].kind == ModelKind::Poisson
                    ? (p.independent_trains ? "  independent trains" : "  shared trains")
                    : "");
  }
  const std::vector<PopulationTheory> theory = predict(spec);
  bool header = false;
  for (std::size_t i = 0; i < spec.populations.size(); ++i) {
    const PopulationTheory& th = theory[i];
    if (!th.is_lif || th.recurrent) continue;
    if (!header) std::printf("\ninput to LIF populations (models/README.md §2, Q6-Q7)\n");
    header = true;
    std::printf("  %-12s mu = %.4g mV, sigma = %.4g mV  -> theory rate %.4g Hz, ISI CV %.3g (%s)\n",
                spec.populations[i].name.c_str(), th.mu_mv, th.sigma_mv, th.rate_hz, th.cv_isi, th.formula.c_str());
  }
}

}  // namespace

Subcommand add_info(CLI::App& app) {
  auto* sub = app.add_subcommand("info", "Build a netdef's network and describe it");
  auto file = std::make_shared<std::string>();
  auto sets = std::make_shared<std::vector<std::string>>();
  auto limit_mb = std::make_shared<double>(0);  // 0: available memory
  auto threads = std::make_shared<std::uint64_t>(0);  // 0: every core
  sub->add_option("netdef", *file, "Netdef file (.pbtxt)")->required();
  sub->add_option("--set", *sets, "Override a field: PATH=VALUE (repeatable)");
  add_number_flag(*sub, "--memory-limit-mb", *limit_mb, {0, limits::kMaxMemoryLimitMb, true},
                  "Refuse networks estimated above this, MB (default: available memory)");
  add_count_flag(*sub, "--threads", *threads, 1, limits::kMaxThreads,
                 "more threads than cores only add stacks and contention",
                 "Threads building the network, 1 to 1024 (default: all cores); the network does not depend on it");
  return {sub, [file, sets, limit_mb, threads] {
    const NetworkSpec spec = load_netdef_file(*file, *sets);
    const std::uint64_t limit = memory_limit_bytes(*limit_mb);
    const unsigned build_threads =
        *threads > 0 ? static_cast<unsigned>(*threads) : static_cast<unsigned>(tbb::info::default_concurrency());
    RunShape shape;
    shape.threads = build_threads;
    check_memory(spec, *file, limit, shape);
    const auto t0 = std::chrono::steady_clock::now();
    const Network net(spec, 0, nullptr, build_threads);
    const double build_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    print_info(net, estimate_memory(spec, shape), build_s, build_threads);
    return 0;
  }};
}

}  // namespace spikeq::cli
