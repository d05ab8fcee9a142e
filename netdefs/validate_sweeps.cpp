// Sweeps: each one names a --set path and a non-empty list of values; every
// point of their product must be a valid network. A point is checked the way it
// will run: the sweeps removed, its overrides applied, the whole netdef validated.
#include <string>

#include "netdefs/convert.h"
#include "netdefs/error.h"
#include "netdefs/overrides.h"
#include "netdefs/sweep_points.h"
#include "netdefs/validate.h"
#include "netdefs/validate_scope.h"

namespace spikeq::netdef {
namespace {

void validate_sweep(const pb::Sweep& sweep, const Scope& scope) {
  if (sweep.path().empty()) scope.fail("path not set: name a --set path, e.g. \"exc.lif.sigma_mv\"");
  for (const std::string& path : sweep.path())
    if (path.empty() || path.find('=') != std::string::npos) scope.fail("path = " + quote(path) + ": not a --set path");
  if (sweep.scale() == 0) scope.fail("scale", sweep.scale(), "must not be 0");
  if (sweep.has_name()) {
    const std::string& name = sweep.name();
    if (name.empty() || name.find_first_of(".\t\n\r") != std::string::npos || name == "point" || name == "trial")
      scope.fail("name = " + quote(name) + ": must be non-empty, without '.', tabs or newlines, not point/trial");
  }
  if (sweep.has_range() == (sweep.values_size() > 0)) scope.fail("set exactly one of values and range");
  if (sweep.has_range() && sweep.range().count() < 1) scope.fail("range.count", sweep.range().count(), "must be >= 1");
  // Checked before the range is expanded into its values.
  if (sweep.has_range() && sweep.range().count() > kMaxSweepPoints)
    scope.fail("range.count", sweep.range().count(), "must be <= " + format_number(std::uint64_t{kMaxSweepPoints}));
}

std::string joined(const std::vector<std::string>& sets) {
  std::string text;
  for (const std::string& s : sets) text += (text.empty() ? "" : " ") + s;
  return text;
}

}  // namespace

void validate_sweeps(const pb::Network& network, const std::string& origin) {
  for (int i = 0; i < network.sweep_size(); ++i)
    validate_sweep(network.sweep(i), Scope(origin, "sweep[" + std::to_string(i) + "]"));
  if (network.sweep_size() == 0) return;
  const std::vector<SweepSpec> sweeps = to_sweeps(network);
  const std::size_t points = sweep_point_count(sweeps);
  if (points > kMaxSweepPoints)
    Scope(origin, "sweep").fail("more than " + std::to_string(kMaxSweepPoints) + " points");
  check_sweep_size(points, static_cast<std::size_t>(network.populations_size() + network.projections_size()),
                   origin);
  pb::Network point_network = network;
  point_network.clear_sweep();
  for (std::size_t p = 0; p < points; ++p) {
    pb::Network copy = point_network;
    const std::vector<std::string> sets = sweep_point_overrides(sweeps, p);
    try {
      apply_overrides(copy, sets);
      validate(copy, origin);
    } catch (const Error& e) {
      std::string message = e.what();
      if (message.rfind(origin + ": ", 0) == 0) message.erase(0, origin.size() + 2);
      throw Error(origin + ": sweep point " + std::to_string(p) + " (" + joined(sets) + "): " + message);
    }
  }
}

}  // namespace spikeq::netdef
