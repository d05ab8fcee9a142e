// Checks every rank makes before a job writes anything, agreed on by all: each
// rank runs the same check (read the netdef, validate the points, estimate
// memory on its own node, prepare the output directory on rank 0); if it throws
// on any rank, it throws on every rank, so that all stop together with one exit
// code and rank 0 prints the one line (a check failing on rank R != 0 only, such
// as memory on R's node, says "rank R: ..."). One process: just the check.
//
// Collective (engine/comm/comm.h): every rank calls it at the same point.
#pragma once

#include <functional>

#include "engine/comm/comm.h"

namespace spikeq::comm {

void agree(Comm& comm, const std::function<void()>& check);

}  // namespace spikeq::comm
