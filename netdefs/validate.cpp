// Top-level and simulation checks, and the shared Scope helpers; populations,
// projections and recording each have their own file.
#include "netdefs/validate.h"

#include <cmath>
#include <cstdio>
#include <vector>

#include "netdefs/error.h"
#include "netdefs/validate_scope.h"

namespace spikeq::netdef {

namespace gp = google::protobuf;

void Scope::fail(const std::string& what) const {
  throw Error(origin_ + ": " + (context_.empty() ? what : context_ + ": " + what));
}

void Scope::require_finite(const gp::Message& message, const std::string& prefix,
                           const std::string& skip_a, const std::string& skip_b) const {
  const gp::Reflection& reflection = *message.GetReflection();
  std::vector<const gp::FieldDescriptor*> fields;
  reflection.ListFields(message, &fields);  // set fields only, in field-number order
  for (const gp::FieldDescriptor* field : fields) {
    if (field->name() == skip_a || field->name() == skip_b) continue;
    const std::string name = prefix + field->name();
    if (field->cpp_type() == gp::FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection.FieldSize(message, field); ++i) {
          require_finite(reflection.GetRepeatedMessage(message, field, i),
                         name + "[" + std::to_string(i) + "].");
        }
      } else {
        require_finite(reflection.GetMessage(message, field), name + ".");
      }
    } else if (field->cpp_type() == gp::FieldDescriptor::CPPTYPE_DOUBLE) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection.FieldSize(message, field); ++i) {
          const double value = reflection.GetRepeatedDouble(message, field, i);
          if (!std::isfinite(value)) {
            fail(name + "[" + std::to_string(i) + "]", value, "must be finite");
          }
        }
      } else if (!std::isfinite(reflection.GetDouble(message, field))) {
        fail(name, reflection.GetDouble(message, field), "must be finite");
      }
    }
  }
}

void Scope::require_voltage(const std::string& field, double value) const {
  if (!(std::abs(value) <= limits::kMaxAbsMv)) {
    fail(field, value,
         "must be in [" + format_number(-limits::kMaxAbsMv) + ", " + format_number(limits::kMaxAbsMv) + "]");
  }
}

std::string estimate_text(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", value);
  return text;
}

namespace {

void validate_duration(const pb::Network& network, const Scope& top) {
  if (!network.has_duration_ms()) top.fail("duration_ms not set: must be > 0");
  top.require_positive("duration_ms", network.duration_ms());
  top.require_at_most("duration_ms", network.duration_ms(), limits::kMaxTimeMs);
}

void validate_simulation(const pb::Simulation& simulation, const Scope& top) {
  top.require_positive("simulation.dt_ms", simulation.dt_ms());
  top.require_at_most("simulation.dt_ms", simulation.dt_ms(), limits::kMaxTimeMs);
  if (simulation.trials() < 1) top.fail("simulation.trials", simulation.trials(), "must be >= 1");
  top.require_at_most("simulation.trials", simulation.trials(), static_cast<double>(limits::kMaxTrials));
  top.require_positive("simulation.ou_check_interval_ms", simulation.ou_check_interval_ms());
  top.require_at_most("simulation.ou_check_interval_ms", simulation.ou_check_interval_ms(), limits::kMaxTimeMs);
  top.require_positive("simulation.crossing_tolerance_ms", simulation.crossing_tolerance_ms());
  top.require_at_least("simulation.crossing_tolerance_ms", simulation.crossing_tolerance_ms(),
                       limits::kMinToleranceMs, "finer than a double resolves spike times");
  top.require_at_most("simulation.crossing_tolerance_ms", simulation.crossing_tolerance_ms(), limits::kMaxTimeMs);
}

PopulationIndex index_populations(const pb::Network& network) {
  PopulationIndex index;
  for (int i = 0; i < network.populations_size(); ++i) {
    index.emplace(network.populations(i).name(), static_cast<std::size_t>(i));
  }
  return index;
}

}  // namespace

void validate(const pb::Network& network, const std::string& origin) {
  const Scope top(origin, "");
  top.require_finite(network, "", "populations", "projections");
  validate_duration(network, top);
  validate_populations(network, origin);
  const PopulationIndex populations = index_populations(network);
  validate_projections(network, populations, origin);
  validate_simulation(network.simulation(), top);
  validate_recording(network, populations, origin);
  validate_budgets(network, populations, origin);
  validate_sweeps(network, origin);
}

}  // namespace spikeq::netdef
