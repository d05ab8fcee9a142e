// manifest.json: what a run was (resolved netdef, seed, mode, build) and what it
// produced (status, counts, timings), so a run directory explains itself.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "engine/core/run_stats.h"
#include "engine/core/run_status.h"
#include "engine/core/network.h"

namespace spikeq::inline io {

struct RunInfo {
  std::string netdef_path;
  RunStatus status = RunStatus::Running;
  std::string format;  // spike file format: "h5" | "tsv" | "both"
  std::string error;   // for Failed
  std::string started_utc, finished_utc;
  double wall_s = 0;
  double build_s = 0;
  std::vector<std::string> files;
  std::uint64_t trial = 0;  // the driver's trial index (RNG streams keyed (seed, trial))
};

nlohmann::json make_manifest(const Network& net, const RunStats& stats, const RunInfo& info);
// The same before (or without) the network: for a run stopped or failed while
// its network was being built. `connectivity_trial` as Network's.
nlohmann::json make_manifest(const NetworkSpec& spec, std::uint64_t connectivity_trial, const RunStats& stats,
                             const RunInfo& info);

// Writes DIR/manifest.json atomically (temporary file, then rename), so a reader
// never sees half a manifest. Throws Error (Runtime) on failure.
void write_manifest(const std::string& dir, const nlohmann::json& manifest);

// Writes DIR/NAME the same way (temporary file, fsync, rename): trials.json, sweep.json.
void write_json_file(const std::string& dir, const std::string& name, const nlohmann::json& json);

std::string utc_now_iso8601();

}  // namespace spikeq::io
