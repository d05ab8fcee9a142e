// Semantic validation of a parsed netdef: everything the schema cannot say
// (ranges, cross references, finite numbers). Throws spikeq::Error naming the
// first offending field and its value, e.g.
//   net.pbtxt: populations[2] "exc": lif.tau_m_ms = -5: must be > 0
#pragma once

#include <string>

#include "spikeq.pb.h"

namespace spikeq::netdef {

void validate(const pb::Network& network, const std::string& origin);

}  // namespace spikeq::netdef
