// Where a run stands, as manifests, trials.json and sweep.json name it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace spikeq {

enum class RunStatus {
  NotStarted,   // a trial or sweep point a stopped batch never began
  Running,      // written first: what `spikeq recover` finds after a kill
  Complete,     // ran to duration_ms, files built
  Interrupted,  // stopped by a signal (files hold the run up to simulated_ms)
  Failed,       // an error (out of memory, a full disk); the manifest names it
};

// The word in the files: "not_started", "running", "complete", "interrupted", "failed".
inline const char* status_name(RunStatus s) {
  switch (s) {
    case RunStatus::NotStarted: return "not_started";
    case RunStatus::Running: return "running";
    case RunStatus::Complete: return "complete";
    case RunStatus::Interrupted: return "interrupted";
    case RunStatus::Failed: return "failed";
  }
  return "failed";
}

// The status a file names; nullopt for any other word.
inline std::optional<RunStatus> parse_status(std::string_view word) {
  for (RunStatus s : {RunStatus::NotStarted, RunStatus::Running, RunStatus::Complete, RunStatus::Interrupted,
                      RunStatus::Failed})
    if (word == status_name(s)) return s;
  return std::nullopt;
}

}  // namespace spikeq
