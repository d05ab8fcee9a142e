// The part of a network (engine/core/network.h, "Parts") that one rank of an MPI
// job builds when the job runs one network: the edges into the nodes it owns
// (engine/core/rank_share.h), its collectives over the job's Comm.
#pragma once

#include "engine/comm/comm.h"
#include "engine/core/network.h"

namespace spikeq {

// `comm` must outlive the build; the part's collectives run on the calling thread.
NetworkPart rank_part(const NetworkSpec& spec, comm::Comm& comm);

}  // namespace spikeq
