// Building blocks of semantic validation: a Scope names where in the netdef a
// check happens, so every failure reads `origin: context: field = value: problem`.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <google/protobuf/message.h>

#include "netdefs/format.h"
#include "netdefs/limits.h"
#include "spikeq.pb.h"

namespace spikeq::netdef {

class Scope {
 public:
  // `context` is e.g. `populations[2] "exc"`; empty for top-level fields.
  Scope(const std::string& origin, std::string context)
      : origin_(origin), context_(std::move(context)) {}

  // Throws Error "origin: context: what".
  [[noreturn]] void fail(const std::string& what) const;

  // Throws "field = value: problem".
  template <typename T>
  [[noreturn]] void fail(const std::string& field, T value, const std::string& problem) const {
    fail(field + " = " + format_number(value) + ": " + problem);
  }

  void require_positive(const std::string& field, double value) const {
    if (!(value > 0)) fail(field, value, "must be > 0");
  }
  void require_non_negative(const std::string& field, double value) const {
    if (!(value >= 0)) fail(field, value, "must be >= 0");
  }
  // The bounds of netdefs/limits.h; `why` (optional) is appended in parentheses.
  void require_at_most(const std::string& field, double value, double max, const std::string& why = {}) const {
    if (!(value <= max)) fail(field, value, "must be <= " + format_number(max) + (why.empty() ? "" : " (" + why + ")"));
  }
  void require_at_least(const std::string& field, double value, double min, const std::string& why = {}) const {
    if (!(value >= min)) fail(field, value, "must be >= " + format_number(min) + (why.empty() ? "" : " (" + why + ")"));
  }
  // |value| <= limits::kMaxAbsMv, for every voltage and weight.
  void require_voltage(const std::string& field, double value) const;

  // Every double set anywhere below `message` (fields named relative to
  // `prefix`) must be finite: TextFormat accepts nan and inf, the engine does
  // not. Repeated message fields named in `skip` are left to their own scopes.
  void require_finite(const google::protobuf::Message& message, const std::string& prefix,
                      const std::string& skip_a = {}, const std::string& skip_b = {}) const;

 private:
  const std::string& origin_;
  std::string context_;
};

// Population name -> index, built once the names are known to be unique.
using PopulationIndex = std::map<std::string, std::size_t, std::less<>>;

// Node ids are 32-bit in the engine, and the top value marks "no node".
inline constexpr std::uint64_t max_nodes = limits::kMaxNodes;

// "1.8e+22": an estimate, to three significant digits.
std::string estimate_text(double value);

void validate_populations(const pb::Network& network, const std::string& origin);
void validate_projections(const pb::Network& network, const PopulationIndex& populations,
                          const std::string& origin);
void validate_recording(const pb::Network& network, const PopulationIndex& populations,
                        const std::string& origin);
// What a whole run will do, from the netdef alone: expected edges, Poisson
// events, epochs, OU pieces, probe samples, grid steps; each within its budget
// of netdefs/limits.h (validate_budgets.cpp). Needs the other checks passed.
void validate_budgets(const pb::Network& network, const PopulationIndex& populations,
                      const std::string& origin);
// Each sweep's fields, then every point: the network with the point's overrides
// applied must validate (validate_sweeps.cpp).
void validate_sweeps(const pb::Network& network, const std::string& origin);

}  // namespace spikeq::netdef
