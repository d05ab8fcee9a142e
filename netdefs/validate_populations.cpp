// Population checks: names (unique identifiers, so projections, recording and
// --set can refer to them), sizes that fit 32-bit node ids, model parameters.
#include <string>

#include "netdefs/validate_scope.h"

namespace spikeq::netdef {
namespace {

// A population name equal to a Network field could never be reached by --set,
// whose first path segment tries the Network's fields first.
bool is_network_field(const std::string& name) {
  return pb::Network::descriptor()->FindFieldByName(name) != nullptr;
}

// `seen` holds the names of the populations before this one.
void validate_name(const pb::Population& population, int index, const PopulationIndex& seen,
                   const std::string& origin) {
  const Scope scope(origin, "populations[" + std::to_string(index) + "]");
  const std::string& name = population.name();
  if (!population.has_name() || name.empty()) scope.fail("name not set: every population needs one");
  const std::string shown = "name = " + quote(name) + ": ";
  if (!is_identifier(name)) scope.fail(shown + "must match [A-Za-z][A-Za-z0-9_]*");
  if (is_network_field(name)) scope.fail(shown + "reserved (a field of Network)");
  if (const auto earlier = seen.find(name); earlier != seen.end()) {
    scope.fail(shown + "already used by populations[" + std::to_string(earlier->second) + "]");
  }
}

void validate_v_init(const pb::VInit& v_init, const Scope& scope) {
  if (v_init.kind_case() == pb::VInit::KIND_NOT_SET) {
    scope.fail("lif.v_init: empty, set fixed_mv or uniform (or leave v_init out)");
  }
  if (v_init.has_fixed_mv()) scope.require_voltage("lif.v_init.fixed_mv", v_init.fixed_mv());
  if (v_init.has_uniform()) {
    const pb::UniformRange& range = v_init.uniform();
    scope.require_voltage("lif.v_init.uniform.low_mv", range.low_mv());
    scope.require_voltage("lif.v_init.uniform.high_mv", range.high_mv());
    if (range.low_mv() > range.high_mv()) {
      scope.fail("lif.v_init.uniform.low_mv", range.low_mv(),
                 "must be <= lif.v_init.uniform.high_mv = " + format_number(range.high_mv()));
    }
  }
}

void validate_lif(const pb::LifModel& lif, const Scope& scope) {
  scope.require_positive("lif.tau_m_ms", lif.tau_m_ms());
  scope.require_at_least("lif.tau_m_ms", lif.tau_m_ms(), limits::kMinTauMs);
  scope.require_at_most("lif.tau_m_ms", lif.tau_m_ms(), limits::kMaxTauMs);
  scope.require_voltage("lif.e_l_mv", lif.e_l_mv());
  scope.require_voltage("lif.v_th_mv", lif.v_th_mv());
  scope.require_voltage("lif.v_reset_mv", lif.v_reset_mv());
  if (!(lif.v_reset_mv() < lif.v_th_mv())) {
    scope.fail("lif.v_reset_mv", lif.v_reset_mv(),
               "must be < lif.v_th_mv = " + format_number(lif.v_th_mv()));
  }
  scope.require_non_negative("lif.t_ref_ms", lif.t_ref_ms());
  scope.require_at_most("lif.t_ref_ms", lif.t_ref_ms(), limits::kMaxTimeMs);
  scope.require_voltage("lif.mu_mv", lif.mu_mv());
  scope.require_non_negative("lif.sigma_mv", lif.sigma_mv());
  scope.require_at_most("lif.sigma_mv", lif.sigma_mv(), limits::kMaxAbsMv);
  if (lif.has_v_init()) validate_v_init(lif.v_init(), scope);
}

void validate_population(const pb::Population& population, const Scope& scope) {
  scope.require_finite(population, "");
  if (population.model_case() == pb::Population::MODEL_NOT_SET) {
    scope.fail("model not set: need poisson or lif");
  }
  if (population.size() < 1) scope.fail("size", population.size(), "must be >= 1");
  if (population.size() > max_nodes) {
    scope.fail("size", population.size(),
               "must be <= " + format_number(max_nodes) + " (node ids are 32-bit)");
  }
  if (population.has_poisson()) {
    scope.require_non_negative("poisson.rate_hz", population.poisson().rate_hz());
    scope.require_at_most("poisson.rate_hz", population.poisson().rate_hz(), limits::kMaxRateHz);
  }
  if (population.has_lif()) validate_lif(population.lif(), scope);
}

}  // namespace

void validate_populations(const pb::Network& network, const std::string& origin) {
  const Scope top(origin, "");
  if (network.populations_size() == 0) top.fail("populations: none given, need at least one");
  if (static_cast<std::uint64_t>(network.populations_size()) > limits::kMaxPopulations) {
    top.fail("populations: " + format_number(network.populations_size()) + " given: at most " +
             format_number(limits::kMaxPopulations) + " (population indices are 16-bit)");
  }
  PopulationIndex seen;
  std::uint64_t total_nodes = 0;
  for (int i = 0; i < network.populations_size(); ++i) {
    const pb::Population& population = network.populations(i);
    validate_name(population, i, seen, origin);
    seen.emplace(population.name(), static_cast<std::size_t>(i));
    validate_population(population,
                        Scope(origin, "populations[" + std::to_string(i) + "] " + quote(population.name())));
    // Each size is <= max_nodes here, so the running sum cannot wrap.
    total_nodes += population.size();
    if (total_nodes > max_nodes) {
      top.fail("populations: total size = " + format_number(total_nodes) + ": must be <= " +
               format_number(max_nodes) + " (node ids are 32-bit)");
    }
  }
}

}  // namespace spikeq::netdef
