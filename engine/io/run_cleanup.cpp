#include "engine/io/run_cleanup.h"

#include <filesystem>
#include <vector>

#include "engine/io/run_lock.h"
#include "netdefs/error.h"

namespace spikeq::inline io {
namespace fs = std::filesystem;

namespace {

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// trial-NNNN or point-NNNN (engine/batch/trials.h names them).
bool numbered_dir(const std::string& name, const char* prefix) {
  if (!starts_with(name, prefix) || name.size() == std::char_traits<char>::length(prefix)) return false;
  for (std::size_t i = std::char_traits<char>::length(prefix); i < name.size(); ++i)
    if (name[i] < '0' || name[i] > '9') return false;
  return true;
}

bool run_subdir(const fs::directory_entry& e) {
  const std::string name = e.path().filename().string();
  std::error_code ec;
  return e.is_directory(ec) && !e.is_symlink(ec) && (numbered_dir(name, "trial-") || numbered_dir(name, "point-"));
}

bool journal_name(const std::string& name) {
  return starts_with(name, "spikes.journal") || starts_with(name, "voltages.journal");
}

// A file a run writes at a directory's top (a trial's, a point's or a batch's).
bool run_file(const std::string& name) {
  if (journal_name(name)) return true;
  for (const char* base : {"manifest.json", "trials.json", "sweep.json", "sweep.tsv", "spikes.h5", "voltages.h5",
                           "spikes.tsv", "voltages.tsv"})
    if (name == base || name == std::string(base) + ".tmp") return true;
  return false;
}

// manifest.json, trials.json, sweep.json or a journal in DIR, or (depth levels
// down) in its trial-*/ and point-*/ subdirectories.
bool looks_like_run(const fs::path& dir, int depth) {
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name == "manifest.json" || name == "trials.json" || name == "sweep.json" || journal_name(name)) return true;
    if (depth > 0 && run_subdir(e) && looks_like_run(e.path(), depth - 1)) return true;
  }
  return false;
}

// Refuses when a trial-*/ or point-*/trial-*/ below DIR is held by another process
// (their own locks only: DIR's is ours).
void refuse_live_subdirs(const fs::path& dir, int depth) {
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    if (!run_subdir(e)) continue;
    if (const auto holder = own_lock_holder(e.path().string()))
      throw Error(e.path().string() + ": in use by " + *holder);
    if (depth > 0) refuse_live_subdirs(e.path(), depth - 1);
  }
}

void remove_entry(const fs::path& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) throw Error(path.string() + ": cannot remove: " + ec.message(), Error::Kind::Runtime);
}

}  // namespace

void create_run_directory(const std::string& dir) {
  refuse_if_live(dir);  // inside a live batch: refused before anything is created
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    throw Error(dir + ": not a directory (-o names the output directory)");
  fs::create_directories(dir, ec);
  if (ec) throw Error(dir + ": cannot create directory: " + ec.message(), Error::Kind::Runtime);
}

void prepare_run_directory(const std::string& dir, bool force) {
  std::error_code ec;
  std::vector<fs::directory_entry> entries;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec))
    if (e.path().filename() != kLockFileName) entries.push_back(e);
  if (ec) throw Error(dir + ": cannot read directory: " + ec.message(), Error::Kind::Runtime);
  if (entries.empty()) return;
  if (!force) throw Error(dir + ": output directory is not empty (use --force to overwrite)");
  if (!looks_like_run(dir, 2))
    throw Error(dir + ": not a spikeq run directory (no manifest.json, trials.json, sweep.json or journal): "
                      "--force only replaces an earlier run; choose a new or empty directory");
  refuse_live_subdirs(dir, 1);
  for (const fs::directory_entry& e : entries)
    if (run_file(e.path().filename().string()) || run_subdir(e)) remove_entry(e.path());
}

}  // namespace spikeq::io
