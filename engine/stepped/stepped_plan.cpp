#include "engine/stepped/stepped_plan.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "netdefs/error.h"
#include "netdefs/format.h"

namespace spikeq::inline stepped {
namespace {

using netdef::format_number;
using netdef::quote;

constexpr std::uint64_t kMaxSteps = std::numeric_limits<std::uint32_t>::max() - 1;

std::string dt_text(double dt_ms) { return "dt_ms " + format_number(dt_ms); }
std::string population_text(const PopulationSpec& p) { return "population " + quote(p.name); }

std::uint32_t checked_steps(double ms, double dt_ms, const std::string& what) {
  const std::uint64_t steps = round_to_steps(ms, dt_ms);
  if (steps > kMaxSteps)
    throw Error(what + " " + format_number(ms) + " is more than 2^32 - 2 steps of " + dt_text(dt_ms));
  return static_cast<std::uint32_t>(steps);
}

std::uint64_t grid_steps(const NetworkSpec& spec, double dt_ms) {
  const double x = spec.duration_ms / dt_ms;
  const double k = std::round(x);
  if (k < 1 || std::abs(x - k) > 1e-9 * std::max(1.0, x))
    throw Error("duration_ms " + format_number(spec.duration_ms) + " is not a whole number of steps of " +
                dt_text(dt_ms) + " (the stepped engine runs whole steps)");
  if (k > 9e15) throw Error("duration_ms " + format_number(spec.duration_ms) + ": too many steps of " + dt_text(dt_ms));
  return static_cast<std::uint64_t>(k);
}

// Poisson populations whose spikes the stepped engine generates: recorded ones,
// and sources of any projection (shared trains through the graph, independent
// trains as per-target counts).
std::vector<bool> emitting_poisson(const NetworkSpec& spec) {
  std::vector<bool> emits(spec.populations.size(), false);
  for (std::size_t i = 0; i < spec.populations.size(); ++i)
    emits[i] = spec.populations[i].kind == ModelKind::Poisson && spec.recording.spikes_from[i];
  for (const ProjectionSpec& p : spec.projections)
    if (spec.populations[p.source].kind == ModelKind::Poisson) emits[p.source] = true;
  return emits;
}

// rate*dt/1000 rather than rate*1e-3*dt: exact for round numbers (10 kHz at 0.1 ms is 1).
double spike_probability(const PoissonParams& p, double dt_ms) { return p.rate_hz * dt_ms / 1000.0; }

}  // namespace

std::uint64_t round_to_steps(double ms, double dt_ms) {
  const double steps = std::floor(ms / dt_ms * (1.0 + 1e-12) + 0.5);
  return steps < 1.8e19 ? static_cast<std::uint64_t>(steps) : std::numeric_limits<std::uint64_t>::max();
}

std::string describe_projection(const NetworkSpec& spec, std::size_t projection) {
  const ProjectionSpec& p = spec.projections[projection];
  if (!p.name.empty()) return "projection " + quote(p.name);
  return "projections[" + std::to_string(projection) + "] (" + spec.populations[p.source].name + " -> " +
         spec.populations[p.target].name + ")";
}

void check_step_grid(const NetworkSpec& spec) {
  const double dt = spec.simulation.dt_ms;
  if (!(dt > 0)) throw Error("simulation.dt_ms = " + format_number(dt) + ": must be > 0");
  grid_steps(spec, dt);
  const std::vector<bool> emits = emitting_poisson(spec);
  for (std::size_t i = 0; i < spec.populations.size(); ++i) {
    const PopulationSpec& ps = spec.populations[i];
    if (ps.kind == ModelKind::Poisson) {
      const double p = spike_probability(ps.poisson, dt);
      if (emits[i] && p > 1.0 + 1e-12)
        throw Error(population_text(ps) + ": rate_hz " + format_number(ps.poisson.rate_hz) + " gives rate*dt = " +
                    format_number(p) + " > 1 at " + dt_text(dt) +
                    " (a stepped Poisson source fires at most once per step); use a smaller dt_ms, or n sources "
                    "of rate/n (the same input, by superposition)");
      continue;
    }
    const LifParams& lp = ps.lif;
    if (spec.simulation.integrator == Integrator::EulerMaruyama && dt >= 2.0 * lp.tau_m_ms)
      throw Error(population_text(ps) + ": tau_m_ms " + format_number(lp.tau_m_ms) + " with " + dt_text(dt) +
                  ": the Euler-Maruyama step is unstable for dt >= 2 tau_m (use integrator EXACT or a smaller dt_ms)");
    checked_steps(lp.t_ref_ms, dt, population_text(ps) + ": t_ref_ms");
  }
  for (std::size_t p = 0; p < spec.projections.size(); ++p) {
    const ProjectionSpec& ps = spec.projections[p];
    const std::string who = describe_projection(spec, p);
    if (spec.populations[ps.source].kind == ModelKind::Lif && ps.delay_ms < dt * (1.0 - 1e-12))
      throw Error(who + ": delay_ms " + format_number(ps.delay_ms) + " is shorter than " + dt_text(dt) +
                  " (a LIF spike cannot act within the step that emitted it); use a smaller dt_ms");
    checked_steps(ps.delay_ms, dt, who + ": delay_ms");
  }
}

StepPlan make_step_plan(const Network& net) {
  const NetworkSpec& spec = net.spec();
  check_step_grid(spec);
  const double dt = spec.simulation.dt_ms;
  StepPlan plan;
  plan.dt_ms = dt;
  plan.steps = grid_steps(spec, dt);
  plan.flush_every = std::max<std::uint64_t>(1, round_to_steps(10.0, dt));
  plan.refractory_steps.assign(spec.populations.size(), 0);
  plan.spike_probability.assign(spec.populations.size(), 0.0);
  for (std::size_t i = 0; i < spec.populations.size(); ++i) {
    const PopulationSpec& ps = spec.populations[i];
    if (ps.kind == ModelKind::Poisson)
      plan.spike_probability[i] = std::min(spike_probability(ps.poisson, dt), 1.0);
    else
      plan.refractory_steps[i] = static_cast<std::uint32_t>(round_to_steps(ps.lif.t_ref_ms, dt));
  }
  plan.delay_steps.assign(spec.projections.size(), 0);
  for (std::size_t p = 0; p < spec.projections.size(); ++p)
    plan.delay_steps[p] = static_cast<std::uint32_t>(round_to_steps(spec.projections[p].delay_ms, dt));
  plan.group_delay_steps.resize(spec.populations.size());
  std::uint32_t max_delay = 0;
  for (std::size_t i = 0; i < spec.populations.size(); ++i) {
    for (double d : net.populations()[i].group_delays_ms) {
      const auto steps = static_cast<std::uint32_t>(round_to_steps(d, dt));  // checked above, per projection
      plan.group_delay_steps[i].push_back(steps);
      max_delay = std::max(max_delay, steps);
    }
  }
  plan.ring_slots = max_delay + 1;
  return plan;
}

}  // namespace spikeq::stepped
