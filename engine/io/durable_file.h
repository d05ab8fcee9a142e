// Files that appear whole or not at all: written under NAME.tmp, synced, then
// renamed over NAME (and the directory synced), so a kill or power loss never
// leaves a half-written spikes.h5 or spikes.tsv under its final name.
#pragma once

#include <string>

namespace spikeq::inline io {

class PendingFile {
 public:
  explicit PendingFile(std::string path) : path_(std::move(path)), tmp_(path_ + ".tmp") {}
  ~PendingFile();  // removes the temporary if not published
  PendingFile(const PendingFile&) = delete;
  PendingFile& operator=(const PendingFile&) = delete;
  const std::string& tmp() const { return tmp_; }
  const std::string& path() const { return path_; }
  // fsync the temporary, rename it to the final name, fsync the directory.
  // Throws Error (Runtime) on failure.
  void publish();

 private:
  std::string path_, tmp_;
  bool published_ = false;
};

// fsync a file or directory; throws Error (Runtime) naming it on failure.
void sync_path(const std::string& path);

}  // namespace spikeq::io
