// --set overrides: "PATH=VALUE" strings applied to the parsed message through
// protobuf reflection, before validation (so an override that breaks the
// network is reported like a bad file).
//
// PATH is '.'-separated field names; repeated fields take an index
// (`populations[1].size`). A first segment that is not a Network field names a
// population, else a projection (`exc.lif.sigma_mv`, `inh.weight_mv`).
// Overrides change values, never structure: they cannot switch a oneof (a
// Poisson population has no lif.* fields) nor grow a list.
#pragma once

#include <string>
#include <vector>

#include "spikeq.pb.h"

namespace spikeq::netdef {

// Applies the overrides in order; throws Error "--set TEXT: problem".
void apply_overrides(pb::Network& network, const std::vector<std::string>& overrides);

}  // namespace spikeq::netdef
