// A trial's result (engine/batch/trials.h TrialResult) as the bytes of a message
// from the rank that ran it to rank 0, which writes the batch's indexes
// (engine/batch/batch_ranks.h). Every field travels bit for bit
// (engine/comm/wire.h), so the aggregates rank 0 computes from them are those
// of a one-process run of the same tasks.
#pragma once

#include <string>

#include "engine/batch/trials.h"
#include "engine/comm/wire.h"

namespace spikeq::inline batch {

void put_trial_result(comm::ByteWriter& out, const TrialResult& t);
// Throws Error (Runtime) on a malformed message.
TrialResult get_trial_result(comm::ByteReader& in);

}  // namespace spikeq::batch
