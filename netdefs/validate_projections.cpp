// Projection checks: names, endpoints, the connection rule's feasibility, and
// the delays and trains that only make sense for one kind of source.
#include <string>

#include "netdefs/validate_scope.h"

namespace spikeq::netdef {
namespace {

using ProjectionNames = std::map<std::string, std::size_t, std::less<>>;

std::string endpoint(const std::string& name) { return is_identifier(name) ? name : quote(name); }

// `projections[1] "inh"` when named, else `projections[1] (ext -> exc)`.
std::string context_of(const pb::Projection& projection, int index) {
  std::string context = "projections[" + std::to_string(index) + "] ";
  if (!projection.name().empty()) return context + quote(projection.name());
  return context + "(" + endpoint(projection.source()) + " -> " + endpoint(projection.target()) + ")";
}

void validate_name(const pb::Projection& projection, int index, const PopulationIndex& populations,
                   const ProjectionNames& seen, const std::string& origin) {
  const std::string& name = projection.name();
  if (name.empty()) return;  // optional: unnamed projections are fine
  const Scope scope(origin, "projections[" + std::to_string(index) + "]");
  const std::string shown = "name = " + quote(name) + ": ";
  if (!is_identifier(name)) scope.fail(shown + "must match [A-Za-z][A-Za-z0-9_]*");
  if (pb::Network::descriptor()->FindFieldByName(name) != nullptr) {
    scope.fail(shown + "reserved (a field of Network)");
  }
  // --set looks a name up among populations first, so a clash would hide the projection.
  if (const auto population = populations.find(name); population != populations.end()) {
    scope.fail(shown + "already used by populations[" + std::to_string(population->second) + "]");
  }
  if (const auto earlier = seen.find(name); earlier != seen.end()) {
    scope.fail(shown + "already used by projections[" + std::to_string(earlier->second) + "]");
  }
}

std::size_t find_endpoint(const std::string& field, const std::string& name,
                          const PopulationIndex& populations, const Scope& scope) {
  if (name.empty()) scope.fail(field + " not set: need a population name");
  const auto found = populations.find(name);
  if (found == populations.end()) scope.fail(field + " = " + quote(name) + ": no such population");
  return found->second;
}

void validate_fixed_indegree(const pb::FixedIndegree& rule, std::uint64_t eligible_sources,
                             const Scope& scope) {
  const std::uint64_t indegree = rule.indegree();
  if (rule.allow_multapses()) {
    if (indegree > 0 && eligible_sources == 0) {
      scope.fail("fixed_indegree.indegree", indegree, "no eligible sources to draw from");
    }
  } else if (indegree > eligible_sources) {
    scope.fail("fixed_indegree.indegree", indegree,
               "must be <= " + format_number(eligible_sources) +
                   ", the eligible sources (or set allow_multapses)");
  }
}

void validate_rule(const pb::Projection& projection, const pb::Population& source,
                   const pb::Population& target, bool same_population, const Scope& scope) {
  switch (projection.rule_case()) {
    case pb::Projection::RULE_NOT_SET:
      scope.fail("rule not set: need fixed_indegree, one_to_one, all_to_all or pairwise_bernoulli");
    case pb::Projection::kFixedIndegree: {
      const bool autapses = projection.fixed_indegree().allow_autapses();
      const std::uint64_t excluded = (same_population && !autapses) ? 1 : 0;
      validate_fixed_indegree(projection.fixed_indegree(), source.size() - excluded, scope);
      break;
    }
    case pb::Projection::kOneToOne:
      if (source.size() != target.size()) {
        scope.fail("one_to_one: sizes differ (source " + quote(source.name()) + " has " +
                   format_number(source.size()) + " nodes, target " + quote(target.name()) +
                   " has " + format_number(target.size()) + ")");
      }
      break;
    case pb::Projection::kPairwiseBernoulli: {
      const double p = projection.pairwise_bernoulli().p();
      if (!(p >= 0 && p <= 1)) scope.fail("pairwise_bernoulli.p", p, "must be in [0, 1]");
      break;
    }
    case pb::Projection::kAllToAll:
      break;
  }
}

void validate_delay_and_trains(const pb::Projection& projection, bool lif_source, const Scope& scope) {
  scope.require_non_negative("delay_ms", projection.delay_ms());
  scope.require_at_most("delay_ms", projection.delay_ms(), limits::kMaxTimeMs);
  if (!lif_source) return;
  // A zero delay between spiking nodes would let a spike cause another at the
  // same instant (and leaves no minimum-delay epoch for the scheduler).
  if (!(projection.delay_ms() > 0)) {
    scope.fail("delay_ms", projection.delay_ms(), "must be > 0 for a LIF source");
  }
  if (projection.has_independent_trains()) {
    scope.fail(std::string("independent_trains = ") +
               (projection.independent_trains() ? "true" : "false") + ": only for Poisson sources");
  }
}

void validate_projection(const pb::Network& network, const pb::Projection& projection,
                         const PopulationIndex& populations, const Scope& scope) {
  scope.require_finite(projection, "");
  const std::size_t source_index = find_endpoint("source", projection.source(), populations, scope);
  const std::size_t target_index = find_endpoint("target", projection.target(), populations, scope);
  const pb::Population& source = network.populations(static_cast<int>(source_index));
  const pb::Population& target = network.populations(static_cast<int>(target_index));
  if (!target.has_lif()) {
    scope.fail("target = " + quote(target.name()) + ": must be a LIF population (it is Poisson)");
  }
  validate_rule(projection, source, target, source_index == target_index, scope);
  scope.require_voltage("weight_mv", projection.weight_mv());
  validate_delay_and_trains(projection, source.has_lif(), scope);
}

}  // namespace

void validate_projections(const pb::Network& network, const PopulationIndex& populations,
                          const std::string& origin) {
  if (static_cast<std::uint64_t>(network.projections_size()) > limits::kMaxProjections) {
    Scope(origin, "").fail("projections: " + format_number(network.projections_size()) + " given: at most " +
                           format_number(limits::kMaxProjections) + " (projection indices are 16-bit)");
  }
  ProjectionNames seen;
  for (int i = 0; i < network.projections_size(); ++i) {
    const pb::Projection& projection = network.projections(i);
    validate_name(projection, i, populations, seen, origin);
    if (!projection.name().empty()) seen.emplace(projection.name(), static_cast<std::size_t>(i));
    validate_projection(network, projection, populations, Scope(origin, context_of(projection, i)));
  }
}

}  // namespace spikeq::netdef
