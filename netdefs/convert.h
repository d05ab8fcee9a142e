// The validated protobuf message as plain structs: defaults resolved, names
// turned into population indices. Protobuf types end here.
#pragma once

#include "netdefs/spec.h"
#include "spikeq.pb.h"

namespace spikeq::netdef {

// Requires a message that passed validate(); resolved_text is left to the caller.
NetworkSpec to_spec(const pb::Network& network);

// The sweeps with ranges expanded and default names filled in.
std::vector<SweepSpec> to_sweeps(const pb::Network& network);

}  // namespace spikeq::netdef
