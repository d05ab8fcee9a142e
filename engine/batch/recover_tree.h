// `spikeq recover` over a tree of runs: DIR itself, or every run directory below
// it (DIR/trial-KKKK/, DIR/point-PPPP/[trial-KKKK/]), each recovered by
// engine/io/recover.h; then the indexes that are missing or stale are rewritten in
// the formats engine/batch/trials.h and engine/batch/sweep.h define. It lives in
// batch/ because those indexes are the batch's.
#pragma once

#include <string>
#include <vector>

#include "engine/io/recover.h"

namespace spikeq::inline batch {

// DIR as a single run or a tree of runs.
struct TreeRecoverReport {
  std::string layout;  // "run" | "trials" | "sweep"
  std::vector<RecoverReport> runs;
  struct Failure {
    std::string dir, message;
    bool runtime = false;  // a failure writing (exit 1), else bad input (exit 2)
  };
  std::vector<Failure> failures;
  std::vector<std::string> not_started;  // trial directories without a manifest
  std::vector<std::string> rewritten;    // index files rewritten, relative to DIR
  std::vector<std::string> notes;        // indexes that could not be rebuilt, and why

  // 1 if a file could not be written, else 2 if a run could not be read, else 3
  // if a gap was recorded (the files are valid, data inside them was lost), else 0.
  int exit_code() const;
};
// Throws Error (BadInput) if DIR holds no run at all.
TreeRecoverReport recover_tree(const std::string& dir, const RecoverOptions& options = {});

}  // namespace spikeq::batch
