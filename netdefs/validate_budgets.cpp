// Work budgets: each field may be in range and the whole still be more than the
// engine can do in bounded time and memory (a rate of 1e9 Hz over a million
// targets, a probe every 1e-12 ms). Estimated here from the netdef alone, before
// anything is built, and refused with the estimate, naming the field that
// contributes most. The budgets and why they are what they are: netdefs/limits.h.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "netdefs/validate_scope.h"

namespace spikeq::netdef {
namespace {

std::string projection_context(const pb::Projection& projection, int index) {
  std::string context = "projections[" + std::to_string(index) + "] ";
  if (!projection.name().empty()) return context + quote(projection.name());
  return context + "(" + projection.source() + " -> " + projection.target() + ")";
}

// What validate_projections has already resolved, per projection.
struct Endpoints {
  std::size_t source = 0, target = 0;
};

std::vector<Endpoints> endpoints_of(const pb::Network& network, const PopulationIndex& populations) {
  std::vector<Endpoints> out;
  out.reserve(static_cast<std::size_t>(network.projections_size()));
  for (const pb::Projection& projection : network.projections())
    out.push_back({populations.find(projection.source())->second, populations.find(projection.target())->second});
  return out;
}

double size_of(const pb::Network& network, std::size_t population) {
  return static_cast<double>(network.populations(static_cast<int>(population)).size());
}

// Expected edges into one target node (engine/core/connect.h, expected_indegree).
double expected_indegree(const pb::Projection& projection, double source_size, bool same_population) {
  switch (projection.rule_case()) {
    case pb::Projection::kFixedIndegree:
      return static_cast<double>(projection.fixed_indegree().indegree());
    case pb::Projection::kOneToOne:
      return 1;
    case pb::Projection::kAllToAll:
      return source_size - (same_population && !projection.all_to_all().allow_autapses() ? 1 : 0);
    case pb::Projection::kPairwiseBernoulli:
      return projection.pairwise_bernoulli().p() *
             (source_size - (same_population && !projection.pairwise_bernoulli().allow_autapses() ? 1 : 0));
    case pb::Projection::RULE_NOT_SET:
      break;
  }
  return 0;
}

// The rule's own number, for the message: the field a user would change.
std::string rule_field(const pb::Projection& projection) {
  switch (projection.rule_case()) {
    case pb::Projection::kFixedIndegree:
      return "fixed_indegree.indegree = " + format_number(projection.fixed_indegree().indegree());
    case pb::Projection::kPairwiseBernoulli:
      return "pairwise_bernoulli.p = " + format_number(projection.pairwise_bernoulli().p());
    case pb::Projection::kAllToAll:
      return "all_to_all";
    case pb::Projection::kOneToOne:
    case pb::Projection::RULE_NOT_SET:
      break;
  }
  return "one_to_one";
}

std::vector<double> validate_edges(const pb::Network& network, const std::vector<Endpoints>& ends,
                                   const std::string& origin) {
  std::vector<double> edges(ends.size());
  double total = 0;
  for (std::size_t i = 0; i < ends.size(); ++i) {
    const pb::Projection& projection = network.projections(static_cast<int>(i));
    const double targets = size_of(network, ends[i].target);
    edges[i] = expected_indegree(projection, size_of(network, ends[i].source), ends[i].source == ends[i].target) *
               targets;
    total += edges[i];
    if (total > limits::kMaxEdges) {
      const std::string these = rule_field(projection) + ": ~" + estimate_text(edges[i]) + " expected edges (" +
                                format_number(network.populations(static_cast<int>(ends[i].target)).size()) +
                                " targets)";
      Scope(origin, projection_context(projection, static_cast<int>(i)))
          .fail(these + (edges[i] == total ? "" : ", ~" + estimate_text(total) + " in the network") +
                ": must be <= " + estimate_text(limits::kMaxEdges) + " in all (degree counters are 32-bit)");
    }
  }
  return edges;
}

std::vector<bool> recorded_populations(const pb::Network& network, const PopulationIndex& populations) {
  std::vector<bool> recorded(static_cast<std::size_t>(network.populations_size()),
                             network.recording().spikes_from().empty());
  for (const std::string& name : network.recording().spikes_from()) recorded[populations.find(name)->second] = true;
  return recorded;
}

// Poisson spikes generated (recorded, or feeding any projection) and arrivals
// delivered (one per edge and source spike, merged trains included).
void validate_poisson_events(const pb::Network& network, const std::vector<Endpoints>& ends,
                             const std::vector<double>& edges, const std::vector<bool>& recorded,
                             const std::string& origin) {
  const std::size_t n = static_cast<std::size_t>(network.populations_size());
  std::vector<double> targets_per_source(n, 0);  // out-edges, then + generated nodes
  std::vector<bool> feeds(n, false);
  for (std::size_t i = 0; i < ends.size(); ++i) {
    targets_per_source[ends[i].source] += edges[i];
    feeds[ends[i].source] = true;
  }
  const double seconds = network.duration_ms() / 1000.0;
  double total = 0, worst = -1;
  std::size_t worst_index = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const pb::Population& population = network.populations(static_cast<int>(i));
    if (!population.has_poisson()) continue;
    const double generated = recorded[i] || feeds[i] ? static_cast<double>(population.size()) : 0.0;
    const double events = population.poisson().rate_hz() * seconds * (generated + targets_per_source[i]);
    total += events;
    if (events > worst) worst = events, worst_index = i;
  }
  if (total > limits::kMaxPoissonEvents) {
    const pb::Population& population = network.populations(static_cast<int>(worst_index));
    Scope(origin, "populations[" + std::to_string(worst_index) + "] " + quote(population.name()))
        .fail("poisson.rate_hz", population.poisson().rate_hz(),
              "~" + estimate_text(total) + " Poisson events expected over duration_ms = " +
                  format_number(network.duration_ms()) +
                  " (rate x (generated nodes + out-edges) x duration, all sources): must be <= " +
                  estimate_text(limits::kMaxPoissonEvents));
  }
}

// LIF populations whose free membrane (m = e_l + mu above threshold) fires by
// drift alone, t_ref + tau ln((m - V_r)/(m - theta)) apart: their spikes and the
// pulses those deliver are work like Poisson events. (Firing driven by noise or
// pulses is not bounded here: every spike still advances time, see
// validate_tolerance.) Without this, mu = 1e6 mV with t_ref = 0 fires every
// 1e-19 ms, below a double's resolution of t, and the run never ends.
void validate_drift_spikes(const pb::Network& network, const std::vector<Endpoints>& ends,
                           const std::vector<double>& edges, const std::string& origin) {
  const std::size_t n = static_cast<std::size_t>(network.populations_size());
  std::vector<double> out_edges(n, 0);
  for (std::size_t i = 0; i < ends.size(); ++i) out_edges[ends[i].source] += edges[i];
  const double seconds = network.duration_ms() / 1000.0;
  double total = 0, worst = -1, worst_rate = 0;
  std::size_t worst_index = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const pb::Population& population = network.populations(static_cast<int>(i));
    if (!population.has_lif()) continue;
    const pb::LifModel& lif = population.lif();
    const double m = lif.e_l_mv() + lif.mu_mv();
    if (!(m > lif.v_th_mv())) continue;
    // ln((m - V_r)/(m - theta)) as log1p, exact when m is far above threshold.
    const double period_ms = lif.t_ref_ms() + lif.tau_m_ms() * std::log1p((lif.v_th_mv() - lif.v_reset_mv()) / (m - lif.v_th_mv()));
    const double rate_hz = period_ms > 0 ? 1000.0 / period_ms : std::numeric_limits<double>::infinity();
    const double events = rate_hz * seconds * (static_cast<double>(population.size()) + out_edges[i]);
    total += events;
    if (events > worst) worst = events, worst_index = i, worst_rate = rate_hz;
  }
  if (total > limits::kMaxDriftEvents) {
    const pb::Population& population = network.populations(static_cast<int>(worst_index));
    Scope(origin, "populations[" + std::to_string(worst_index) + "] " + quote(population.name()))
        .fail("lif.mu_mv", population.lif().mu_mv(),
              "the free membrane fires by drift alone at ~" + estimate_text(worst_rate) + " Hz, ~" +
                  estimate_text(total) + " spikes and pulses over duration_ms = " + format_number(network.duration_ms()) +
                  ": must be <= " + estimate_text(limits::kMaxDriftEvents));
  }
}

// Event mode, noisy LIF: a crossing is located to within the tolerance and the
// spike placed at the end of its bracket, at least tolerance / 2 after the
// piece's start; that step must move t, so the tolerance must exceed a few ulps
// of the largest time, duration_ms.
void validate_tolerance(const pb::Network& network, const Scope& top) {
  bool noisy = false;
  for (const pb::Population& population : network.populations())
    noisy = noisy || (population.has_lif() && population.lif().sigma_mv() > 0);
  const double duration = network.duration_ms();
  const double ulps8 = 8 * (std::nextafter(duration, std::numeric_limits<double>::infinity()) - duration);
  const double tolerance = network.simulation().crossing_tolerance_ms();
  if (noisy && !(tolerance >= ulps8)) {
    top.fail("simulation.crossing_tolerance_ms", tolerance,
             "must be >= " + estimate_text(ulps8) + " (8 ulps of duration_ms = " + format_number(duration) +
                 ": a located crossing must advance time)");
  }
}

// Event mode: epochs of the smallest LIF-sourced delay (10 ms without one).
void validate_epochs(const pb::Network& network, const std::vector<Endpoints>& ends, const std::string& origin) {
  double smallest = 10;
  int which = -1;
  for (std::size_t i = 0; i < ends.size(); ++i) {
    const pb::Projection& projection = network.projections(static_cast<int>(i));
    if (!network.populations(static_cast<int>(ends[i].source)).has_lif() || !(projection.delay_ms() < smallest))
      continue;
    smallest = projection.delay_ms();
    which = static_cast<int>(i);
  }
  const double epochs = network.duration_ms() / smallest;
  if (which >= 0 && epochs > limits::kMaxEpochs) {
    Scope(origin, projection_context(network.projections(which), which))
        .fail("delay_ms", smallest,
              "~" + estimate_text(epochs) + " epochs (duration_ms / smallest LIF delay): must be <= " +
                  estimate_text(limits::kMaxEpochs));
  }
}

// Event mode: pieces of free OU path checked for hidden crossings.
void validate_ou_pieces(const pb::Network& network, const Scope& top) {
  double noisy_nodes = 0;
  for (const pb::Population& population : network.populations())
    if (population.has_lif() && population.lif().sigma_mv() > 0) noisy_nodes += static_cast<double>(population.size());
  const double interval = network.simulation().ou_check_interval_ms();
  const double pieces = noisy_nodes * (network.duration_ms() / interval);
  if (pieces > limits::kMaxOuPieces) {
    top.fail("simulation.ou_check_interval_ms", interval,
             "~" + estimate_text(pieces) + " OU pieces (noisy nodes x duration_ms / interval): must be <= " +
                 estimate_text(limits::kMaxOuPieces));
  }
}

void validate_probe_samples(const pb::Network& network, const PopulationIndex& populations, const Scope& top) {
  double samples = 0, nodes = 0, worst = -1;
  int worst_index = 0;
  const auto& probes = network.recording().voltage_probes();
  for (int k = 0; k < probes.size(); ++k) {
    const pb::VoltageProbe& probe = probes[k];
    const double probed = probe.node_ids().empty()
                              ? size_of(network, populations.find(probe.population())->second)
                              : static_cast<double>(probe.node_ids_size());
    const double start = probe.has_start_ms() ? probe.start_ms() : probe.interval_ms();
    // Samples at start, start + interval, ... <= duration (engine/event/event_driver.cpp).
    const double per_node = start > network.duration_ms() ? 0 : (network.duration_ms() - start) / probe.interval_ms() + 1;
    samples += probed * per_node;
    nodes += probed;
    if (probed * per_node > worst) worst = probed * per_node, worst_index = k;
  }
  const std::string field = "recording.voltage_probes[" + std::to_string(worst_index) + "].";
  if (samples > limits::kMaxProbeSamples) {
    top.fail(field + "interval_ms", probes[worst_index].interval_ms(),
             "~" + estimate_text(samples) + " voltage samples (probed nodes x duration_ms / interval, all probes): " +
                 "must be <= " + estimate_text(limits::kMaxProbeSamples));
  }
  if (nodes > limits::kMaxProbeSamples) {
    top.fail("recording.voltage_probes: " + estimate_text(nodes) + " probed nodes in all: must be <= " +
             estimate_text(limits::kMaxProbeSamples));
  }
}

// Stepped mode: grid steps, and LIF node updates.
void validate_steps(const pb::Network& network, const Scope& top) {
  double lif_nodes = 0;
  for (const pb::Population& population : network.populations())
    if (population.has_lif()) lif_nodes += static_cast<double>(population.size());
  const double dt = network.simulation().dt_ms();
  const double steps = network.duration_ms() / dt;
  if (steps > limits::kMaxSteps) {
    top.fail("simulation.dt_ms", dt,
             "~" + estimate_text(steps) + " steps (duration_ms / dt_ms): must be <= " + estimate_text(limits::kMaxSteps));
  }
  if (steps * lif_nodes > limits::kMaxNodeSteps) {
    top.fail("simulation.dt_ms", dt,
             "~" + estimate_text(steps * lif_nodes) + " LIF node updates (LIF nodes x duration_ms / dt_ms): must be <= " +
                 estimate_text(limits::kMaxNodeSteps));
  }
}

}  // namespace

void validate_budgets(const pb::Network& network, const PopulationIndex& populations, const std::string& origin) {
  const Scope top(origin, "");
  const std::vector<Endpoints> ends = endpoints_of(network, populations);
  const std::vector<double> edges = validate_edges(network, ends, origin);
  validate_poisson_events(network, ends, edges, recorded_populations(network, populations), origin);
  validate_drift_spikes(network, ends, edges, origin);
  if (network.simulation().mode() == pb::Simulation::STEPPED) {
    validate_steps(network, top);
  } else {
    validate_epochs(network, ends, origin);
    validate_ou_pieces(network, top);
    validate_tolerance(network, top);
  }
  validate_probe_samples(network, populations, top);
}

}  // namespace spikeq::netdef
