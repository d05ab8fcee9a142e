// spikeq recover DIR: make a run directory whole after the run was killed
// (SIGKILL, power loss): build spikes.h5 / voltages.h5 from the journals and mark
// the manifest "interrupted" with the time reached (engine/run_directory.h).
#include <cstdio>

#include "commands.h"
#include "engine/run_directory.h"
#include "engine/run_lock.h"

namespace spikeq::cli {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& item : items) text += (text.empty() ? "" : ", ") + item;
  return text.empty() ? "none" : text;
}

int recover(const std::string& dir) {
  const auto lock = RunLock::acquire_if_writable(dir);  // never under a live run
  const RecoverReport r = recover_run_directory(dir);
  if (!r.changed) {
    std::printf("%s: status %s, nothing to recover (files: %s)\n", dir.c_str(), r.status.c_str(), join(r.files).c_str());
    return 0;
  }
  std::printf("%s: recovered %llu spikes up to %.17g ms; status %s (was %s); files: %s\n", dir.c_str(),
              static_cast<unsigned long long>(r.spikes), r.simulated_ms, r.status.c_str(), r.status_before.c_str(),
              join(r.files).c_str());
  return 0;
}

}  // namespace

Subcommand add_recover(CLI::App& app) {
  auto* sub = app.add_subcommand("recover", "Rebuild the files of a run that was killed (SIGKILL, power loss)");
  auto dir = std::make_shared<std::string>();
  sub->add_option("dir", *dir, "Run directory (spikeq run -o DIR)")->required();
  return {sub, [dir] { return recover(*dir); }};
}

}  // namespace spikeq::cli
