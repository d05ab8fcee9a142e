// Notes `stats` and `compare` print about the runs they read, on stderr.
#pragma once

#include <string>

namespace spikeq::cli {

// Before analysing DIR (a run, trials or a sweep): for every run below it that
// `spikeq recover` left with gaps (manifest "gaps", README "Recording"), one line
//   spikeq: note: DIR/trial-0001: recovered with 1 gap (spikes.journal, 60 to 190 ms): counted as silent time
// so that a record with a hole is never analysed as if it were whole without a word.
// Returns the number of such runs.
std::size_t note_recovery_gaps(const std::string& dir);

}  // namespace spikeq::cli
