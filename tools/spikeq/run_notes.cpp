#include "run_notes.h"

#include <cstdio>

#include "engine/analysis/recorded_run.h"
#include "engine/io/run_directory.h"

namespace spikeq::cli {

std::size_t note_recovery_gaps(const std::string& dir) {
  std::size_t runs_with_gaps = 0;
  for (const analysis::RunPoint& point : analysis::discover_runs(dir)) {
    for (const std::string& run : point.trial_dirs) {
      const nlohmann::json manifest = read_run_manifest(run);
      const auto it = manifest.find("gaps");
      if (it == manifest.end() || !it->is_array() || it->empty()) continue;
      const nlohmann::json& first = it->front();
      const auto number = [&](const char* key) {
        return first.contains(key) && first[key].is_number() ? first[key].get<double>() : 0.0;
      };
      const std::string file = first.contains("file") && first["file"].is_string() ? first["file"].get<std::string>() : "?";
      std::fprintf(stderr, "spikeq: note: %s: recovered with %zu gap%s (the first in %s, %.6g to %.6g ms): counted as silent time\n",
                   run.c_str(), it->size(), it->size() == 1 ? "" : "s", file.c_str(), number("from_ms"), number("to_ms"));
      ++runs_with_gaps;
    }
  }
  return runs_with_gaps;
}

}  // namespace spikeq::cli
