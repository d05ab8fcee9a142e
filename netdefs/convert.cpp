#include "netdefs/convert.h"

#include <map>
#include <string>

#include "netdefs/sweep_points.h"

namespace spikeq::netdef {
namespace {

using Names = std::map<std::string, std::size_t, std::less<>>;

LifParams to_lif(const pb::LifModel& lif) {
  LifParams params;
  params.tau_m_ms = lif.tau_m_ms();
  params.e_l_mv = lif.e_l_mv();
  params.v_th_mv = lif.v_th_mv();
  params.v_reset_mv = lif.v_reset_mv();
  params.t_ref_ms = lif.t_ref_ms();
  params.mu_mv = lif.mu_mv();
  params.sigma_mv = lif.sigma_mv();
  // Unset v_init means "start at rest"; a fixed value is an empty uniform range.
  params.v_init_low_mv = params.v_init_high_mv = lif.e_l_mv();
  if (lif.v_init().has_fixed_mv()) {
    params.v_init_low_mv = params.v_init_high_mv = lif.v_init().fixed_mv();
  } else if (lif.v_init().has_uniform()) {
    params.v_init_low_mv = lif.v_init().uniform().low_mv();
    params.v_init_high_mv = lif.v_init().uniform().high_mv();
  }
  return params;
}

PopulationSpec to_population(const pb::Population& population) {
  PopulationSpec spec;
  spec.name = population.name();
  spec.size = population.size();
  if (population.has_poisson()) {
    spec.kind = ModelKind::Poisson;
    spec.poisson.rate_hz = population.poisson().rate_hz();
  } else {
    spec.kind = ModelKind::Lif;
    spec.lif = to_lif(population.lif());
  }
  return spec;
}

void set_rule(const pb::Projection& projection, ProjectionSpec& spec) {
  switch (projection.rule_case()) {
    case pb::Projection::kFixedIndegree:
      spec.rule = RuleKind::FixedIndegree;
      spec.indegree = projection.fixed_indegree().indegree();
      spec.allow_autapses = projection.fixed_indegree().allow_autapses();
      spec.allow_multapses = projection.fixed_indegree().allow_multapses();
      break;
    case pb::Projection::kOneToOne:
      spec.rule = RuleKind::OneToOne;
      break;
    case pb::Projection::kAllToAll:
      spec.rule = RuleKind::AllToAll;
      spec.allow_autapses = projection.all_to_all().allow_autapses();
      break;
    case pb::Projection::kPairwiseBernoulli:
      spec.rule = RuleKind::PairwiseBernoulli;
      spec.p = projection.pairwise_bernoulli().p();
      spec.allow_autapses = projection.pairwise_bernoulli().allow_autapses();
      break;
    case pb::Projection::RULE_NOT_SET:
      break;  // refused by validation
  }
}

ProjectionSpec to_projection(const pb::Projection& projection, const Names& populations) {
  ProjectionSpec spec;
  spec.name = projection.name();
  spec.source = populations.at(projection.source());
  spec.target = populations.at(projection.target());
  set_rule(projection, spec);
  spec.weight_mv = projection.weight_mv();
  spec.delay_ms = projection.delay_ms();
  spec.independent_trains = projection.independent_trains();
  return spec;
}

SimulationSpec to_simulation(const pb::Simulation& simulation) {
  SimulationSpec spec;
  spec.mode = simulation.mode() == pb::Simulation::STEPPED ? SimMode::Stepped : SimMode::Event;
  spec.dt_ms = simulation.dt_ms();
  spec.integrator =
      simulation.integrator() == pb::Simulation::EXACT ? Integrator::Exact : Integrator::EulerMaruyama;
  spec.trials = simulation.trials();
  spec.ou_check_interval_ms = simulation.ou_check_interval_ms();
  spec.crossing_tolerance_ms = simulation.crossing_tolerance_ms();
  return spec;
}

RecordingSpec to_recording(const pb::Recording& recording, const Names& populations) {
  RecordingSpec spec;
  // Listing none means recording every population's spikes.
  spec.spikes_from.assign(populations.size(), recording.spikes_from().empty());
  for (const std::string& name : recording.spikes_from()) spec.spikes_from[populations.at(name)] = true;
  for (const pb::VoltageProbe& probe : recording.voltage_probes()) {
    VoltageProbeSpec& out = spec.voltage_probes.emplace_back();
    out.population = populations.at(probe.population());
    out.node_ids.assign(probe.node_ids().begin(), probe.node_ids().end());
    out.interval_ms = probe.interval_ms();
    out.start_ms = probe.has_start_ms() ? probe.start_ms() : probe.interval_ms();
  }
  return spec;
}

}  // namespace

NetworkSpec to_spec(const pb::Network& network) {
  NetworkSpec spec;
  spec.name = network.name();
  spec.duration_ms = network.duration_ms();
  spec.seed = network.seed();
  Names populations;
  for (const pb::Population& population : network.populations()) {
    populations.emplace(population.name(), spec.populations.size());
    spec.populations.push_back(to_population(population));
  }
  for (const pb::Projection& projection : network.projections()) {
    spec.projections.push_back(to_projection(projection, populations));
  }
  spec.simulation = to_simulation(network.simulation());
  spec.recording = to_recording(network.recording(), populations);
  spec.sweeps = to_sweeps(network);
  return spec;
}

std::vector<SweepSpec> to_sweeps(const pb::Network& network) {
  std::vector<SweepSpec> sweeps;
  for (const pb::Sweep& sweep : network.sweep()) {
    SweepSpec& out = sweeps.emplace_back();
    out.paths.assign(sweep.path().begin(), sweep.path().end());
    out.name = sweep.has_name() ? sweep.name() : default_sweep_name(sweep.path().empty() ? "" : sweep.path(0));
    out.scale = sweep.scale();
    if (sweep.has_range()) {
      out.values = range_values(sweep.range().from(), sweep.range().to(), sweep.range().count());
    } else {
      out.values.assign(sweep.values().begin(), sweep.values().end());
    }
  }
  return sweeps;
}

}  // namespace spikeq::netdef
