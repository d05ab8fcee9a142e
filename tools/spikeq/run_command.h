// `spikeq run` as a function: what the command does once its flags are parsed.
// Shared by the CLI (cmd_run.cpp) and the Python module's `spikeq.run(out=DIR)`
// (tools/python/bindings), so that both write exactly the same run directory.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/batch/progress.h"
#include "netdefs/spec.h"

namespace spikeq::cli {

struct RunOptions {
  std::string netdef;  // the file; with netdef_text, only its name in manifests and messages
  std::optional<std::string> netdef_text;  // the netdef itself (a network made in Python)
  std::string out_dir;
  std::vector<std::string> sets;
  // --seed, --duration, --dt, --trials as --set overrides (tools/spikeq/flags.h),
  // applied after `sets` so a flag wins.
  std::vector<std::string> flag_sets;
  bool force = false;
  bool quiet = false;
  double memory_limit_mb = 0;  // 0: available memory
  std::string mode;        // "event" | "stepped"; empty: the netdef's
  std::string integrator;  // "euler" | "exact"; empty: the netdef's
  std::string format = "h5";  // "h5" | "tsv" | "both"
  std::uint64_t threads = 0;   // 0: every core
  std::uint64_t trial = 0;     // with trial_given: run just this trial (flat layout)
  bool trial_given = false;
  bool redraw_connectivity = false;
  std::vector<std::string> sweeps;  // --sweep PATH=FROM:TO:COUNT | PATH=V1,V2,...
  // Called with the meter the run updates once its tasks are known, and with
  // nullptr once they are over (the Python module draws its progress bar from it).
  std::function<void(const ProgressMeter*)> watch_progress;
};

// The network `spikeq run` would run: the netdef with `sets`, then the flags
// (flag_sets, mode, integrator) as overrides, and the --sweep arguments added.
// Throws Error (BadInput) as the command reports it.
NetworkSpec load_run_netdef(const RunOptions& opt);

// Runs `spikeq run`: installs its SIGINT/SIGTERM handlers (a caller with handlers
// of its own restores them afterwards), writes the run directory, prints the
// summary unless quiet. Returns the exit code: 0, or 130/143 when a signal
// stopped the run. Throws Error for bad input and failures.
int run_command(const RunOptions& opt);

}  // namespace spikeq::cli
